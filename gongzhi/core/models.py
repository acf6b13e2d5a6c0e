from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """Append-only record of who did what outside a domain timeline: imports, reads of full personal records."""

    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=64)
    target = models.CharField(_("target"), max_length=200, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.target}"


class CalendarDay(models.Model):
    """An administrator's correction to the official working calendar (core.workcalendar): it always wins."""

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(
        _("working day"),
        default=False,
        help_text=_(
            "Tick for a day people work, such as a weekend worked in exchange for a holiday; leave unticked for a "
            "day off, such as a public holiday. This day then counts this way for every working-time deadline, "
            "whatever the built-in calendar says."
        ),
    )
    name = models.CharField(
        _("name"),
        max_length=64,
        blank=True,
        help_text=_("The holiday the day belongs to, for example Spring Festival."),
    )
    note = models.TextField(
        _("note"), blank=True, help_text=_("Why the day was added, for example the notice it follows.")
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}".strip()


class Throttle(models.Model):
    """How often one client (or phone, or address) did one thing in one fixed time window (``core.throttle``). Keys
    are keyed hashes, never raw addresses or numbers."""

    scope = models.CharField(max_length=32)
    key = models.CharField(max_length=64)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key", "window_start"], name="throttle_window_unique")]
        indexes = [models.Index(fields=["window_start"], name="throttle_window")]

    def __str__(self) -> str:
        return f"{self.scope} {self.key[:8]} {self.window_start:%Y-%m-%d %H:%M} ×{self.count}"
