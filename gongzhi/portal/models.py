"""Data the resident portal keeps for itself: one-time login codes and service points.

``ServicePoint`` stands in for the catalogue's ``Station`` (DESIGN.md §5) until that domain app exists; it holds only
what the service-points page shows.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.grid.models import GridNode, StaffPost


class LoginCode(models.Model):
    """A one-time code sent by text message; only its keyed hash is stored."""

    phone_index = models.CharField(max_length=32, db_index=True)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.phone_index[:8]} {self.created_at:%Y-%m-%d %H:%M}"


class ServicePoint(models.Model):
    """A service station or steward point (驿站 / 小区管家服务点) residents can walk into."""

    class Tier(models.IntegerChoices):
        ONE = 1, _("tier 1 station")
        TWO = 2, _("tier 2 station")
        THREE = 3, _("tier 3 station")

    node = models.ForeignKey(
        GridNode, verbose_name=_("grid node"), on_delete=models.PROTECT, related_name="service_points"
    )
    name = models.CharField(_("name"), max_length=100)
    tier = models.PositiveSmallIntegerField(_("tier"), choices=Tier.choices, default=Tier.THREE)
    address = models.CharField(_("address"), max_length=200, blank=True)
    hours = models.CharField(_("opening hours"), max_length=200, blank=True, help_text=_("e.g. 周一至周五 8:30–17:30"))
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    services = models.TextField(_("services offered"), blank=True, help_text=_("One service per line."))
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    on_duty = models.ManyToManyField(
        StaffPost, verbose_name=_("staff on duty"), blank=True, related_name="service_points"
    )
    active = models.BooleanField(_("open"), default=True)

    class Meta:
        verbose_name = _("service point")
        verbose_name_plural = _("service points")
        ordering = ["node__path", "tier", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def service_list(self) -> list[str]:
        return [line.strip() for line in self.services.splitlines() if line.strip()]
