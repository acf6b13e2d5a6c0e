"""The service market (市集) and mobile service days (服务列车进小区): events, their windows and offerings, time slots,
bookings with the price as it was when booked, and the free rules (aged 60 and over, 低保 households …).

An offering names a project of the projects list (``gongzhi.lists``, a sibling this app must not import) by id and
keeps a copy of its name and provider, written by the interface that reads the project; an event held at a station
names the station by id the same way.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from gongzhi.core.fields import EncryptedTextField
from gongzhi.grid.models import Compound, GridNode, Jurisdiction
from gongzhi.market.choices import BookingAction, BookingStatus, EventKind, EventStatus, PlaceKind, Repeat, RuleKind

MONEY = {"max_digits": 9, "decimal_places": 2}
# A booking that holds (or waits for) a place: at most one per resident and offering unless the offering allows more.
ACTIVE = (BookingStatus.CONFIRMED, BookingStatus.WAITING, BookingStatus.SERVED)


class Place(models.Model):
    """Where an event is held: a station (by id, its name copied), a compound, or a point on the map."""

    place_kind = models.CharField(_("place"), max_length=16, choices=PlaceKind.choices, default=PlaceKind.STATION)
    station_id = models.PositiveBigIntegerField(_("station"), null=True, blank=True)
    compound = models.ForeignKey(
        Compound, verbose_name=_("compound"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    place_name = models.CharField(_("place name"), max_length=200)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)

    class Meta:
        abstract = True


class Series(Place):
    """A recurring market: every working day, or chosen weekdays, from one day to another, with days left out."""

    node = models.ForeignKey(GridNode, verbose_name=_("community"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=EventKind.choices, default=EventKind.MARKET)
    title = models.CharField(_("title"), max_length=200)
    theme = models.CharField(_("theme"), max_length=100, blank=True, default="")
    repeat = models.CharField(_("repeats"), max_length=16, choices=Repeat.choices, default=Repeat.WORKDAYS)
    weekdays = models.CharField(_("weekdays"), max_length=7, blank=True, default="")  # "024": Mon, Wed, Fri
    skip_holidays = models.BooleanField(_("not on public holidays"), default=True)
    skip_days = models.JSONField(_("days left out"), default=list, blank=True)  # ISO dates
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))
    starts = models.TimeField(_("starts"))
    ends = models.TimeField(_("ends"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("market series")
        verbose_name_plural = _("market series")
        ordering = ["first_day", "pk"]

    def __str__(self) -> str:
        return self.title


class Event(Place):
    """One market day or mobile service day at one place."""

    node = models.ForeignKey(GridNode, verbose_name=_("community"), on_delete=models.PROTECT, related_name="+")
    series = models.ForeignKey(
        Series, verbose_name=_("series"), null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=EventKind.choices, default=EventKind.MARKET)
    title = models.CharField(_("title"), max_length=200)
    theme = models.CharField(_("theme"), max_length=100, blank=True, default="")
    day = models.DateField(_("day"))
    starts = models.TimeField(_("starts"))
    ends = models.TimeField(_("ends"))
    status = models.CharField(_("status"), max_length=16, choices=EventStatus.choices, default=EventStatus.DRAFT)
    cancel_hours = models.PositiveSmallIntegerField(_("cancel up to (hours before the slot)"), default=2)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("market event")
        verbose_name_plural = _("market events")
        ordering = ["day", "starts", "pk"]
        indexes = [models.Index(fields=["day", "status"], name="market_event_day")]
        constraints = [models.CheckConstraint(condition=Q(ends__gt=F("starts")), name="market_event_ends_after")]

    def __str__(self) -> str:
        return f"{self.day} {self.title}"


class Window(models.Model):
    """A window of a mobile service day (书记面对面, the one-stop window, market services, anti-fraud outreach …)."""

    event = models.ForeignKey(Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="windows")
    number = models.PositiveSmallIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=100)
    staffed_by = models.CharField(_("staffed by"), max_length=200, blank=True, default="")

    class Meta:
        verbose_name = _("window")
        verbose_name_plural = _("windows")
        ordering = ["event", "number"]
        constraints = [models.UniqueConstraint(fields=["event", "number"], name="market_window_number_unique")]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"


class Offering(models.Model):
    """A service at an event (a haircut, a repair …): a project of the projects list, its provider, the price split
    and the capacity per time slot."""

    event = models.ForeignKey(Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="offerings")
    window = models.ForeignKey(
        Window, verbose_name=_("window"), null=True, blank=True, on_delete=models.SET_NULL, related_name="offerings"
    )
    project_id = models.PositiveBigIntegerField(_("project"), null=True, blank=True)
    name = models.CharField(_("service"), max_length=200)
    provider = models.CharField(_("provider"), max_length=200, blank=True, default="")
    list_price = models.DecimalField(_("list price (yuan)"), **MONEY)
    merchant_discount = models.DecimalField(_("merchant discount (yuan)"), default=0, **MONEY)
    discount_percent = models.DecimalField(
        _("merchant discount (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    community_subsidy = models.DecimalField(_("community subsidy (yuan)"), default=0, **MONEY)
    free_rules_apply = models.BooleanField(_("free for those the free rules name"), default=True)
    slot_minutes = models.PositiveSmallIntegerField(_("minutes per slot"), default=30)
    per_slot = models.PositiveSmallIntegerField(_("places per slot"), default=2)
    per_resident = models.PositiveSmallIntegerField(_("bookings per resident"), default=1)
    waiting_list = models.BooleanField(_("waiting list"), default=True)

    class Meta:
        verbose_name = _("offering")
        verbose_name_plural = _("offerings")
        ordering = ["event", "window__number", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(per_slot__gt=0), name="market_offering_capacity"),
            models.CheckConstraint(condition=Q(per_resident__gt=0), name="market_offering_per_resident"),
        ]

    def __str__(self) -> str:
        return self.name


class Slot(models.Model):
    """A time slot of an offering with its places; ``taken`` counts confirmed and served bookings, raised by one
    conditional UPDATE so that racing bookings can never overbook."""

    offering = models.ForeignKey(Offering, verbose_name=_("offering"), on_delete=models.CASCADE, related_name="slots")
    starts = models.DateTimeField(_("starts"))
    ends = models.DateTimeField(_("ends"))
    capacity = models.PositiveSmallIntegerField(_("places"))
    taken = models.PositiveSmallIntegerField(_("taken"), default=0)

    class Meta:
        verbose_name = _("slot")
        verbose_name_plural = _("slots")
        ordering = ["offering", "starts"]
        constraints = [
            models.CheckConstraint(condition=Q(taken__lte=F("capacity")), name="market_slot_not_overbooked"),
            models.UniqueConstraint(fields=["offering", "starts"], name="market_slot_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.offering} {self.starts:%H:%M}"

    @property
    def free(self) -> int:
        return max(self.capacity - self.taken, 0)


class FreeRule(models.Model):
    """Who pays nothing: aged ``min_age`` and over, or a household group such as 低保 (checked at the stall)."""

    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("jurisdiction"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=RuleKind.choices)
    min_age = models.PositiveSmallIntegerField(_("from age"), null=True, blank=True)
    group = models.CharField(_("household group"), max_length=40, blank=True, default="")
    active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("free rule")
        verbose_name_plural = _("free rules")
        ordering = ["jurisdiction", "sort_order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="age", min_age__isnull=False) | Q(kind="group") & ~Q(group=""),
                name="market_rule_complete",
            )
        ]

    def __str__(self) -> str:
        return f"≥{self.min_age}" if self.kind == RuleKind.AGE else self.group


class Booking(models.Model):
    """A resident's place in a slot (or on its waiting list), with the price split as it was when booked and as
    corrected at the stall. The number is encrypted at rest and found by its blind index."""

    code = models.CharField(_("booking code"), max_length=16, unique=True)  # random: the QR carries it
    event = models.ForeignKey(Event, verbose_name=_("event"), on_delete=models.PROTECT, related_name="bookings")
    offering = models.ForeignKey(
        Offering, verbose_name=_("offering"), on_delete=models.PROTECT, related_name="bookings"
    )
    slot = models.ForeignKey(Slot, verbose_name=_("slot"), on_delete=models.PROTECT, related_name="bookings")
    status = models.CharField(_("status"), max_length=16, choices=BookingStatus.choices)
    phone = EncryptedTextField(_("phone"), blank=True, default="", blind_index_field="phone_index")
    phone_index = models.CharField(max_length=64, blank=True, default="", db_index=True)
    name = EncryptedTextField(_("name"), blank=True, default="")
    # Set while the booking holds its place, cleared when cancelled: one booking per resident and offering.
    holder = models.CharField(max_length=80, null=True, blank=True, editable=False)  # noqa: DJ001  # NULLs never clash
    declared_age = models.PositiveSmallIntegerField(_("age (declared)"), null=True, blank=True)
    declared_groups = models.JSONField(_("household groups (declared)"), default=list, blank=True)
    age_checked = models.BooleanField(_("age checked at the stall"), default=False)
    free_reason = models.CharField(_("free because"), max_length=60, blank=True, default="")
    # The offering's terms when booked (list price, discount, discount %, subsidy as strings): the stall re-prices
    # a corrected age from these, never from today's terms.
    terms = models.JSONField(_("terms when booked"), default=dict)
    list_price = models.DecimalField(_("list price"), **MONEY)
    discount = models.DecimalField(_("merchant discount"), **MONEY)
    subsidy = models.DecimalField(_("community subsidy"), **MONEY)
    resident_pays = models.DecimalField(_("resident pays"), **MONEY)
    on_behalf = models.BooleanField(_("booked by staff for the resident"), default=False)
    walk_up = models.BooleanField(_("walked up without a booking"), default=False)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("booked at"))
    served_at = models.DateTimeField(_("served at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["slot__starts", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["offering", "holder"], name="market_booking_once"),
            models.CheckConstraint(
                condition=Q(list_price=F("discount") + F("subsidy") + F("resident_pays")),
                name="market_booking_split_adds_up",
            ),
        ]
        indexes = [
            models.Index(fields=["slot", "status", "created_at"], name="market_booking_queue"),
            models.Index(fields=["event", "status"], name="market_booking_event"),
        ]

    def __str__(self) -> str:
        return self.code


class BookingEvent(models.Model):
    """What happened to a booking: who (staff or the resident), when, what, why. Append-only."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="history")
    action = models.CharField(_("action"), max_length=16, choices=BookingAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("note"), max_length=300, blank=True, default="")
    at = models.DateTimeField(_("when"))

    class Meta:
        verbose_name = _("booking event")
        verbose_name_plural = _("booking events")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.booking_id} {self.action}"
