from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.grid.models import Jurisdiction


class Open311Key(models.Model):
    """An Open311 ``api_key`` of one client system (a city app, a FixMyStreet-style site). Only its SHA-256 is stored:
    the key itself is shown once, when it is created."""

    name = models.CharField(_("client"), max_length=100, help_text=_("Who uses this key, e.g. the city app."))
    jurisdiction = models.ForeignKey(
        Jurisdiction,
        verbose_name=_("jurisdiction"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="open311_keys",
        help_text=_("Empty: the key may file requests in every jurisdiction."),
    )
    prefix = models.CharField(_("key starts with"), max_length=12, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Open311 API key")
        verbose_name_plural = _("Open311 API keys")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
