"""Stations (驿站), service points and steward points; their service items, opening hours, duty rota and visitor
log; the catalogue of administrative matters (办事) residents apply for online or have handled for them (代办).

Cases taken at a station are the case engine's (``gongzhi.cases``, a sibling this app must not import): a station
keeps only an ``Intake`` row naming the case by id, written by the interface in the case's own transaction.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from gongzhi.grid.models import GridNode, Jurisdiction, StaffPost
from gongzhi.stations.choices import Kind, MatterMode, Tier, Weekday


class ServiceItem(models.Model):
    """One thing a station offers (reading room, drinking water, first aid kit …), from one shared catalogue."""

    code = models.SlugField(_("code"), max_length=48, unique=True)
    name = models.CharField(_("name"), max_length=64)
    name_en = models.CharField(_("English name"), max_length=64, blank=True)
    outdoor_workers = models.BooleanField(
        _("for outdoor workers"),
        default=False,
        help_text=_("Part of the rest facilities for couriers, sanitation workers and other outdoor workers."),
    )
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("service item")
        verbose_name_plural = _("service items")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The name in the reader's language (the Chinese name when there is no English one)."""
        if self.name_en and not (get_language() or "zh").startswith("zh"):
            return self.name_en
        return self.name


class TierRequirement(models.Model):
    """A service item a station of a tier must offer (the practice: 16 for tier 1, 12 for tier 2, 8 for tier 3)."""

    tier = models.PositiveSmallIntegerField(_("tier"), choices=Tier.choices)
    item = models.ForeignKey(ServiceItem, verbose_name=_("service item"), on_delete=models.CASCADE)

    class Meta:
        verbose_name = _("tier requirement")
        verbose_name_plural = _("tier requirements")
        ordering = ["tier", "item__sort_order", "item__code"]
        constraints = [models.UniqueConstraint(fields=["tier", "item"], name="tier_requirement_unique")]

    def __str__(self) -> str:
        return f"{self.tier}: {self.item}"


class Station(models.Model):
    """A place residents walk into: a station (驿站), a service point or a compound steward's point."""

    node = models.ForeignKey(GridNode, verbose_name=_("grid node"), on_delete=models.PROTECT, related_name="stations")
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.STATION)
    tier = models.PositiveSmallIntegerField(_("tier"), choices=Tier.choices, default=Tier.THREE)
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True, help_text=_("The station's own (work) number."))
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    items = models.ManyToManyField(ServiceItem, verbose_name=_("service items"), blank=True, related_name="stations")
    closed_on_holidays = models.BooleanField(_("closed on public holidays"), default=True)
    notes = models.CharField(_("notes"), max_length=200, blank=True)
    active = models.BooleanField(_("open"), default=True)

    class Meta:
        verbose_name = _("station")
        verbose_name_plural = _("stations")
        ordering = ["node__path", "tier", "name"]
        constraints = [
            models.UniqueConstraint(fields=["node", "name"], name="station_name_unique_on_node"),
            models.CheckConstraint(
                condition=Q(lat__isnull=True, lon__isnull=True)
                | Q(lat__gte=-90, lat__lte=90, lon__gte=-180, lon__lte=180),
                name="station_point_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def has_point(self) -> bool:
        return self.lat is not None and self.lon is not None


class OpeningHours(models.Model):
    """One opening span on a weekday; a span whose end is not after its start runs past midnight."""

    station = models.ForeignKey(Station, verbose_name=_("station"), on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        ordering = ["station", "weekday", "opens"]
        constraints = [models.UniqueConstraint(fields=["station", "weekday", "opens"], name="opening_span_unique")]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class DutyShift(models.Model):
    """Who is on duty at a station when: a staff post (a steward, a grid worker …) on a weekday from ``starts`` to
    ``ends`` (past midnight when ``ends`` is not after ``starts``)."""

    station = models.ForeignKey(Station, verbose_name=_("station"), on_delete=models.CASCADE, related_name="shifts")
    post = models.ForeignKey(StaffPost, verbose_name=_("staff post"), on_delete=models.CASCADE, related_name="shifts")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    starts = models.TimeField(_("starts"))
    ends = models.TimeField(_("ends"))

    class Meta:
        verbose_name = _("duty shift")
        verbose_name_plural = _("duty shifts")
        ordering = ["station", "weekday", "starts", "id"]
        constraints = [
            models.UniqueConstraint(fields=["station", "post", "weekday", "starts"], name="duty_shift_unique"),
            models.CheckConstraint(condition=~Q(starts=models.F("ends")), name="duty_shift_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.post} {self.get_weekday_display()} {self.starts:%H:%M}–{self.ends:%H:%M}"


class Visit(models.Model):
    """One resident who walked in (the desk's "+1 visitor"), with what they came for if given."""

    station = models.ForeignKey(Station, verbose_name=_("station"), on_delete=models.CASCADE, related_name="visits")
    at = models.DateTimeField(_("at"))
    purpose = models.CharField(_("purpose"), max_length=100, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["station", "at"], name="station_visit_at")]

    def __str__(self) -> str:
        return f"{self.station} {self.at:%Y-%m-%d %H:%M}"


class Intake(models.Model):
    """A case taken at a station: a walk-in request, or a matter handled for a resident (代办). The case itself is the
    case engine's; ``case_id`` names it (no foreign key: ``cases`` is a sibling domain)."""

    station = models.ForeignKey(Station, verbose_name=_("station"), on_delete=models.CASCADE, related_name="intakes")
    case_id = models.BigIntegerField(_("case"), unique=True)
    at = models.DateTimeField(_("at"))
    on_the_spot = models.BooleanField(_("solved on the spot"), default=False)
    matter = models.ForeignKey(
        "Matter", verbose_name=_("matter"), null=True, blank=True, on_delete=models.PROTECT, related_name="intakes"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        verbose_name = _("case taken at a station")
        verbose_name_plural = _("cases taken at stations")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["station", "at"], name="station_intake_at")]

    def __str__(self) -> str:
        return f"{self.station} #{self.case_id}"


class Matter(models.Model):
    """An administrative matter (办事): applied for online (不见面审批) or handled by station staff on the
    resident's behalf (代办) as a case of kind errand, filed under ``category_code`` of the case catalogue."""

    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("jurisdiction"), on_delete=models.PROTECT, related_name="matters"
    )
    code = models.SlugField(_("code"), max_length=48)
    name = models.CharField(_("name"), max_length=100)
    mode = models.CharField(_("how it is handled"), max_length=16, choices=MatterMode.choices)
    materials = models.TextField(_("required materials"), blank=True, help_text=_("One per line."))
    handled_at = models.CharField(_("where it is handled"), max_length=200, blank=True)
    days = models.PositiveSmallIntegerField(_("expected working days"), default=5)
    category_code = models.CharField(
        _("case category code"), max_length=64, default="errands.proxy", help_text=_("The errand category it files.")
    )
    stations = models.ManyToManyField(
        Station, verbose_name=_("stations that accept it"), blank=True, related_name="matters"
    )
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("matter")
        verbose_name_plural = _("matters")
        ordering = ["jurisdiction", "sort_order", "code"]
        constraints = [models.UniqueConstraint(fields=["jurisdiction", "code"], name="matter_code_unique")]

    def __str__(self) -> str:
        return self.name

    @property
    def material_list(self) -> list[str]:
        return [line.strip() for line in self.materials.splitlines() if line.strip()]
