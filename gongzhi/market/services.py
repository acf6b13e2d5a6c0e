"""Writes to the market, one keyword-only function per use case, atomic; a refused write changes nothing.

Places are counted on the slot row (``Slot.taken``) by one conditional UPDATE (``taken < capacity``), so bookings that
race for the last places can never overbook on SQLite or PostgreSQL; a cancellation locks the slot, then hands the
place to the first resident waiting for it (an SMS tells them) or gives it back. Every change to a booking writes one
``BookingEvent``. Prices are split by ``pricing`` and stored on the booking when booked; a later price change does not
touch them, and the stall's check of the age re-prices only the booking checked.
"""

from __future__ import annotations

import secrets
import time as clock
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from gongzhi.core import caches, calendar_days, crypto, prepared, timeutil
from gongzhi.core.errors import Conflict, DomainError, NotFound, PermissionDenied, Term, checked_text, gettext_noop
from gongzhi.grid import roles
from gongzhi.grid.models import Compound, GridNode, Jurisdiction
from gongzhi.market import pricing, schedule
from gongzhi.market.choices import BookingAction, BookingStatus, EventKind, EventStatus, PlaceKind, Repeat, RuleKind
from gongzhi.market.models import Booking, BookingEvent, Event, FreeRule, Offering, Series, Slot, Window
from gongzhi.market.policies import can_desk, can_manage
from gongzhi.notifications import services as notifications

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out over a stall
CODE_LENGTH = 12  # 60 bits: a forged code is found by nobody
DEFAULT_RULES: Sequence[tuple[str, int | None, str]] = (
    ("age", 60, ""),
    ("group", None, "低保"),
    ("group", None, "特困"),
)
EVENT_LEVELS = (roles.COMMUNITY, roles.GRID, roles.MICRO_GRID)


# ---------------------------------------------------------------------------------------------------- validation


def _money(value: object, field: str) -> Decimal:
    try:
        return pricing.money(value)  # refuses what a money column (9 digits, 2 after the point) cannot hold
    except pricing.PriceError:
        raise DomainError(
            gettext_noop("The %(field)s must be an amount in yuan, 0 or more, e.g. 12.50."),
            params={"field": Term(field)},
            code="invalid_amount",
        ) from None


def _count(value: object, field: str, *, low: int = 1, high: int = 500) -> int:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        number = low - 1
    if not low <= number <= high:
        raise DomainError(
            gettext_noop("The %(field)s must be a whole number from %(low)s to %(high)s."),
            params={"field": Term(field), "low": low, "high": high},
        )
    return number


def _times(starts: time, ends: time) -> None:
    if ends <= starts:
        raise DomainError(gettext_noop("An event must end after it starts."), code="invalid_times")


def require_manage(actor: Any, node: GridNode) -> None:
    if not can_manage(actor, node):
        raise PermissionDenied(gettext_noop("You may not plan the markets of %(node)s."), params={"node": node.name})


def _desk_event(actor: Any, event: Event) -> None:
    if not can_desk(actor, event.node):
        # Another community's stall cannot tell a booking of ours from none.
        raise NotFound(gettext_noop("No such booking at a market you keep."))


def local_moment(day: date, at: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, at))


def _history(booking: Booking, action: str, actor: Any, note: str, at: datetime) -> BookingEvent:
    return prepared.insert(
        BookingEvent(
            booking=booking, action=action, actor=actor if getattr(actor, "pk", None) else None, note=note[:300], at=at
        )
    )


# ---------------------------------------------------------------------------------------------------- planning


@dataclass(frozen=True)
class PlaceInput:
    """Where: a station (its id, name and point read by the interface), a compound, or a point with a name."""

    kind: str
    name: str = ""
    station_id: int | None = None
    compound: Compound | None = None
    lat: float | None = None
    lon: float | None = None


def _place(node: GridNode, place: PlaceInput) -> dict[str, Any]:
    if place.kind not in PlaceKind.values:
        raise DomainError(gettext_noop("Choose where the event is held."), code="invalid_place")
    name = checked_text(place.name, "place name", max_length=200)
    lat, lon = place.lat, place.lon
    if place.kind == PlaceKind.STATION and not place.station_id:
        raise DomainError(gettext_noop("Choose the station."), code="invalid_place")
    if place.kind == PlaceKind.COMPOUND:
        compound = place.compound
        if compound is None or compound.jurisdiction_id != node.jurisdiction_id:
            raise DomainError(gettext_noop("Choose the compound."), code="invalid_place")
        name = name or compound.name
        if lat is None and compound.lat is not None:
            lat, lon = compound.lat, compound.lon
    if (lat is None) != (lon is None) or (
        lat is not None and lon is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180)
    ):
        raise DomainError(gettext_noop("The point on the map is not valid."), code="invalid_place")
    if place.kind == PlaceKind.POINT and lat is None:
        raise DomainError(gettext_noop("Put the place on the map."), code="invalid_place")
    if not name:
        raise DomainError(gettext_noop("The %(field)s is required."), params={"field": Term("place name")})
    return {
        "place_kind": place.kind,
        "station_id": place.station_id if place.kind == PlaceKind.STATION else None,
        "compound": place.compound if place.kind == PlaceKind.COMPOUND else None,
        "place_name": name,
        "lat": lat,
        "lon": lon,
    }


def _check_node(node: GridNode) -> None:
    if node.level not in EVENT_LEVELS:
        raise DomainError(gettext_noop("Markets belong to a community or a grid inside one."), code="invalid_node")


def create_event(
    *,
    actor: Any,
    node: GridNode,
    title: str,
    day: date,
    starts: time,
    ends: time,
    place: PlaceInput,
    kind: str = EventKind.MARKET,
    theme: str = "",
    cancel_hours: int = 2,
    publish: bool = False,
    series: Series | None = None,
) -> Event:
    require_manage(actor, node)
    _check_node(node)
    if kind not in EventKind.values:
        raise DomainError(gettext_noop("Unknown %(field)s: %(value)s."), params={"field": Term("kind"), "value": kind})
    _times(starts, ends)
    now = timeutil.now()
    return Event.objects.create(
        node=node,
        series=series,
        kind=kind,
        title=checked_text(title, "title", required=True),
        theme=checked_text(theme, "theme", max_length=100),
        day=day,
        starts=starts,
        ends=ends,
        status=EventStatus.PUBLISHED if publish else EventStatus.DRAFT,
        cancel_hours=_count(cancel_hours, "cancel up to (hours before the slot)", low=0, high=72),
        created_by=actor if getattr(actor, "pk", None) else None,
        created_at=now,
        updated_at=now,
        **_place(node, place),
    )


@transaction.atomic
def create_series(
    *,
    actor: Any,
    node: GridNode,
    title: str,
    first_day: date,
    last_day: date,
    starts: time,
    ends: time,
    place: PlaceInput,
    repeat: str = Repeat.WORKDAYS,
    weekdays: Iterable[int] = (),
    skip_holidays: bool = True,
    skip_days: Iterable[date] = (),
    kind: str = EventKind.MARKET,
    theme: str = "",
    publish: bool = False,
) -> Series:
    """A recurring market and its events, one per day of the schedule (``schedule.days`` by the working calendar)."""
    require_manage(actor, node)
    _check_node(node)
    _times(starts, ends)
    chosen = sorted({int(d) for d in weekdays})
    if repeat not in Repeat.values:
        raise DomainError(
            gettext_noop("Unknown %(field)s: %(value)s."), params={"field": Term("repeats"), "value": repeat}
        )
    if repeat == Repeat.WEEKLY and (not chosen or any(not 0 <= d <= 6 for d in chosen)):
        raise DomainError(gettext_noop("Choose the weekdays the market is held."), code="invalid_weekdays")
    if last_day < first_day:
        raise DomainError(gettext_noop("The last day is before the first day."), code="invalid_days")
    skip = sorted(set(skip_days))
    try:
        found = schedule.days(
            first=first_day,
            last=last_day,
            repeat=repeat,
            weekdays=chosen,
            skip_holidays=skip_holidays,
            skip=skip,
            calendar=calendar_days.current_calendar(),
        )
    except ValueError:
        raise DomainError(
            gettext_noop("A series spans at most %(days)s days."), params={"days": schedule.MAX_DAYS}
        ) from None
    if not found:
        raise DomainError(gettext_noop("No day of this schedule falls between the first and the last day."))
    fields = _place(node, place)
    series = Series.objects.create(
        node=node,
        kind=kind,
        title=checked_text(title, "title", required=True),
        theme=checked_text(theme, "theme", max_length=100),
        repeat=repeat,
        weekdays="".join(str(d) for d in chosen),
        skip_holidays=skip_holidays,
        skip_days=[d.isoformat() for d in skip],
        first_day=first_day,
        last_day=last_day,
        starts=starts,
        ends=ends,
        created_by=actor if getattr(actor, "pk", None) else None,
        created_at=timeutil.now(),
        **fields,
    )
    now = timeutil.now()
    Event.objects.bulk_create(
        Event(
            node=node,
            series=series,
            kind=kind,
            title=series.title,
            theme=series.theme,
            day=day,
            starts=starts,
            ends=ends,
            status=EventStatus.PUBLISHED if publish else EventStatus.DRAFT,
            created_by=series.created_by,
            created_at=now,
            updated_at=now,
            **fields,
        )
        for day in found
    )
    return series


def add_window(*, actor: Any, event: Event, title: str, staffed_by: str = "") -> Window:
    require_manage(actor, event.node)
    number = (event.windows.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    return Window.objects.create(
        event=event,
        number=number,
        title=checked_text(title, "title", required=True, max_length=100),
        staffed_by=checked_text(staffed_by, "staffed by"),
    )


@dataclass(frozen=True)
class OfferingInput:
    name: str
    list_price: object
    provider: str = ""
    project_id: int | None = None
    merchant_discount: object = "0"
    discount_percent: object | None = None
    community_subsidy: object = "0"
    free_rules_apply: bool = True
    slot_minutes: int = 30
    per_slot: int = 2
    per_resident: int = 1
    waiting_list: bool = True
    starts: time | None = None  # within the event's hours; the event's by default
    ends: time | None = None


def _offering_fields(data: OfferingInput) -> dict[str, Any]:
    fields = {
        "project_id": data.project_id,
        "name": checked_text(data.name, "service", required=True),
        "provider": checked_text(data.provider, "provider"),
        "list_price": _money(data.list_price, "list price"),
        "merchant_discount": _money(data.merchant_discount or "0", "merchant discount"),
        "discount_percent": None
        if data.discount_percent in (None, "")
        else _money(data.discount_percent, "merchant discount (%)"),
        "community_subsidy": _money(data.community_subsidy or "0", "community subsidy"),
        "free_rules_apply": bool(data.free_rules_apply),
        "slot_minutes": _count(data.slot_minutes, "minutes per slot", low=5, high=480),
        "per_slot": _count(data.per_slot, "places per slot", low=1, high=500),
        "per_resident": _count(data.per_resident, "bookings per resident", low=1, high=20),
        "waiting_list": bool(data.waiting_list),
    }
    if fields["discount_percent"] is not None and fields["discount_percent"] > 100:
        raise DomainError(gettext_noop("A discount is at most 100 %."), code="invalid_amount")
    return fields


def _slots_for(event: Event, offering: Offering, starts: time | None, ends: time | None) -> list[Slot]:
    begin, end = starts or event.starts, ends or event.ends
    if begin < event.starts or end > event.ends or end <= begin:
        raise DomainError(gettext_noop("The service's hours must lie within the event's hours."), code="invalid_times")
    times = schedule.slot_times(event.day, begin, end, offering.slot_minutes)
    if not times:
        raise DomainError(gettext_noop("A slot is longer than the service's hours."), code="invalid_times")
    if len(times) > 200:
        raise DomainError(gettext_noop("At most 200 slots per service: make the slots longer."), code="invalid_times")
    return [
        Slot(
            offering=offering,
            starts=timezone.make_aware(a),
            ends=timezone.make_aware(b),
            capacity=offering.per_slot,
        )
        for a, b in times
    ]


@transaction.atomic
def add_offering(
    *, actor: Any, event: Event, data: OfferingInput, window: Window | None = None, whole_series: bool = False
) -> list[Offering]:
    """Offer a service at ``event`` (and, with ``whole_series``, at every later event of its series), with its time
    slots. Returns the offerings made, ``event``'s first."""
    require_manage(actor, event.node)
    if window is not None and window.event_id != event.pk:
        raise NotFound(gettext_noop("No such window at this event."))
    fields = _offering_fields(data)
    events = [event]
    if whole_series and event.series_id:
        events += list(
            Event.objects.filter(series_id=event.series_id, day__gt=event.day)
            .exclude(status=EventStatus.CANCELLED)
            .order_by("day")
        )
    made = []
    for target in events:
        offering = Offering.objects.create(event=target, window=window if target is event else None, **fields)
        Slot.objects.bulk_create(_slots_for(target, offering, data.starts, data.ends))
        made.append(offering)
    return made


@transaction.atomic
def change_prices(*, actor: Any, offering: Offering, data: OfferingInput) -> Offering:
    """New prices and rules for what is booked from now on; bookings keep the split they were made with."""
    require_manage(actor, offering.event.node)
    fields = _offering_fields(data)
    for name in (
        "name",
        "provider",
        "list_price",
        "merchant_discount",
        "discount_percent",
        "community_subsidy",
        "free_rules_apply",
        "per_resident",
        "waiting_list",
    ):
        setattr(offering, name, fields[name])
    offering.save()
    return offering


@transaction.atomic
def set_capacity(*, actor: Any, slot: Slot, capacity: int) -> Slot:
    """Places in one slot; never fewer than those already taken."""
    require_manage(actor, slot.offering.event.node)
    capacity = _count(capacity, "places per slot", low=0, high=500)
    locked = Slot.objects.select_for_update().get(pk=slot.pk)
    if capacity < locked.taken:
        raise Conflict(
            gettext_noop("%(taken)s places of this slot are booked already: it cannot hold fewer."),
            params={"taken": locked.taken},
        )
    locked.capacity = capacity
    locked.save(update_fields=["capacity"])
    # Room made: the waiting list moves up.
    while locked.taken < locked.capacity and _promote_next(locked, actor=actor, at=timeutil.now()):
        locked.taken += 1
    Slot.objects.filter(pk=locked.pk).update(taken=locked.taken)
    return locked


def publish(*, actor: Any, event: Event) -> Event:
    require_manage(actor, event.node)
    if event.status == EventStatus.CANCELLED:
        raise Conflict(gettext_noop("This event was cancelled."))
    Event.objects.filter(pk=event.pk).update(status=EventStatus.PUBLISHED, updated_at=timeutil.now())
    event.status = EventStatus.PUBLISHED
    return event


@transaction.atomic
def cancel_event(*, actor: Any, event: Event, reason: str) -> int:
    """Call off an event: every open booking is cancelled and its resident told by SMS. Returns how many."""
    require_manage(actor, event.node)
    reason = checked_text(reason, "reason", required=True, max_length=300)
    now = timeutil.now()
    Event.objects.filter(pk=event.pk).update(status=EventStatus.CANCELLED, updated_at=now)
    event.status = EventStatus.CANCELLED
    told = 0
    for booking in Booking.objects.select_for_update().filter(
        event=event, status__in=(BookingStatus.CONFIRMED, BookingStatus.WAITING)
    ):
        booking.status, booking.holder, booking.cancelled_at = BookingStatus.CANCELLED, None, now
        booking.save(update_fields=["status", "holder", "cancelled_at"])
        _history(booking, BookingAction.CANCELLED, actor, reason, now)
        told += _sms(booking, "market.event_cancelled", {"reason": reason})
    Slot.objects.filter(offering__event=event).update(taken=0)
    return told


# ---------------------------------------------------------------------------------------------------- prices


# The free rules of a jurisdiction, read on every booking: kept RULES_SECONDS in this process (and dropped when a rule
# is saved here, apps.py); an administrator's change reaches every process within that time.
RULES_SECONDS = 60.0
_rules: dict[int, tuple[float, tuple[pricing.Rule, ...]]] = {}
caches.register(__name__ + ".rules", _rules.clear)


def forget_rules() -> None:
    _rules.clear()


def rules_for(jurisdiction_id: int) -> tuple[pricing.Rule, ...]:
    kept = _rules.get(jurisdiction_id)
    now = clock.monotonic()
    if kept is not None and kept[0] > now:
        return kept[1]
    rules = tuple(
        pricing.Rule(kind=r.kind, min_age=r.min_age, group=r.group, label=str(r))
        for r in FreeRule.objects.filter(jurisdiction_id=jurisdiction_id, active=True).order_by("sort_order", "pk")
    )
    _rules[jurisdiction_id] = (now + RULES_SECONDS, rules)
    return rules


def install_rules(jurisdiction: Jurisdiction) -> int:
    """The default free rules (aged 60 and over, 低保 and 特困 households) where a jurisdiction has none."""
    if FreeRule.objects.filter(jurisdiction=jurisdiction).exists():
        return 0
    FreeRule.objects.bulk_create(
        FreeRule(jurisdiction=jurisdiction, kind=kind, min_age=age, group=group, sort_order=n)
        for n, (kind, age, group) in enumerate(DEFAULT_RULES)
    )
    return len(DEFAULT_RULES)


def _age(value: object) -> int | None:
    if value in (None, ""):
        return None
    try:
        age = int(str(value))
    except ValueError:
        age = -1
    if not 0 <= age <= 130:
        raise DomainError(gettext_noop("Enter the age in years, from 0 to 130."), code="invalid_age")
    return age


def _groups(values: Iterable[str] | None) -> list[str]:
    return sorted({checked_text(v, "household group", max_length=40) for v in (values or ()) if v and v.strip()})


def quote(offering: Offering, *, age: object = None, groups: Iterable[str] | None = None) -> pricing.Price:
    """What the resident would pay, split three ways, for the age and groups declared."""
    return _split(offering, free=bool(_free_reason(offering, _age(age), _groups(groups))))


def _split(offering: Offering, *, free: bool) -> pricing.Price:
    return pricing.split(
        offering.list_price,
        discount=offering.merchant_discount,
        discount_percent=offering.discount_percent,
        subsidy=offering.community_subsidy,
        free=free,
    )


def _free_reason(offering: Offering, age: int | None, groups: list[str]) -> str:
    if not offering.free_rules_apply:
        return ""
    rule = pricing.free_rule(age, groups, rules_for(offering.event.node.jurisdiction_id))
    if rule is None:
        return ""
    return f"age≥{rule.min_age}" if rule.kind == RuleKind.AGE else f"group:{rule.group}"


def _apply_price(booking: Booking, price: pricing.Price) -> None:
    booking.list_price, booking.discount = price.list_price, price.discount
    booking.subsidy, booking.resident_pays = price.subsidy, price.resident


# ---------------------------------------------------------------------------------------------------- bookings


def _new_code() -> str:
    # 32 letters: each random byte's low five bits pick one, uniformly (256 is a multiple of 32).
    return "".join(CODE_ALPHABET[b & 31] for b in secrets.token_bytes(CODE_LENGTH))


QR_PREFIX = "GZM:"


def qr_payload(code: str) -> str:
    """What a booking's QR code holds (the resident's booking page shows it; the stall's scanner reads it)."""
    return QR_PREFIX + code


def normalise_code(text: str) -> str:
    """A booking code as typed, scanned (the QR holds ``GZM:<code>``) or read out: upper case, no spaces or dashes."""
    raw = (text or "").strip()
    if raw.upper().startswith(QR_PREFIX):
        raw = raw[len(QR_PREFIX) :]
    return "".join(ch for ch in raw.upper() if ch.isalnum())[:32]


def _sms(booking: Booking, kind: str, extra: dict[str, Any]) -> int:
    if not booking.phone:
        return 0
    context = {
        "service": booking.offering.name,
        "event": booking.event.title,
        "day": booking.event.day.isoformat(),
        "time": timeutil.local(booking.slot.starts).strftime("%H:%M"),
        "place": booking.event.place_name,
        "code": booking.code,
        **extra,
    }
    sent = notifications.send_sms(phone=booking.phone, kind=kind, context=context, subject=f"booking:{booking.pk}")
    return int(sent is not None)


def mobile(text: str) -> str:
    """The mainland mobile number typed (spaces, dashes, +86 allowed), "" for none; DomainError for anything else."""
    if not (text or "").strip():
        return ""
    number = crypto.normalise_phone(text.strip())
    if not notifications.MOBILE.fullmatch(number):
        raise DomainError(
            gettext_noop("Enter a mainland mobile number: 11 digits starting with 1."), code="invalid_phone"
        )
    return number


@dataclass(frozen=True)
class Resident:
    """Who a booking is for: the verified number of a logged-in resident (or one staff took down), a name to call
    them by, the age and household groups they declare."""

    phone: str = ""
    name: str = ""
    age: object = None
    groups: tuple[str, ...] = ()


# The booking's hot path (many residents at once): reads compiled once (core.prepared), the place taken by one
# conditional UPDATE in plain SQL.
_SLOT = prepared.Objects(lambda pk: Slot.objects.select_related("offering__event__node").filter(pk=pk))
_HELD = prepared.Query(
    lambda offering, index: (
        Booking.objects.filter(offering_id=offering, phone_index=index, holder__isnull=False)
        .order_by()
        .values_list("holder")
    ),
    kinds=(int, str),
)


def _take_place(slot_id: int) -> bool:
    """One place of the slot taken if one is free: the row is never read first, so racing bookings cannot overbook."""
    with connection.cursor() as cursor:
        cursor.execute("UPDATE market_slot SET taken = taken + 1 WHERE id = %s AND taken < capacity", [slot_id])
        return cursor.rowcount == 1


def book(
    *,
    event_id: int,
    slot_id: int,
    resident: Resident,
    actor: Any = None,
    now: datetime | None = None,
) -> Booking:
    """Book a place in a slot, or a place on its waiting list when it is full (and the offering keeps one).

    ``actor`` is the staff member booking for a resident without a phone (``market.desk`` over the event): then the
    phone may be empty and the booking is logged as made on the resident's behalf. Raises NotFound for a slot of
    another event, DomainError for a past slot or an event not open, Conflict when the resident holds a booking for
    this service already or the slot is full with no waiting list.
    """
    now = now or timeutil.now()
    on_behalf = actor is not None
    found = _SLOT.objects(slot_id) if isinstance(slot_id, int) else []
    if not found:
        raise NotFound(gettext_noop("No such slot."))
    slot = found[0]
    offering, event = slot.offering, slot.offering.event
    if event.pk != event_id:
        raise NotFound(gettext_noop("This slot is not part of this event."))
    if on_behalf and not can_desk(actor, event.node):
        raise PermissionDenied(gettext_noop("You may not book for residents at this market."))
    if event.status != EventStatus.PUBLISHED:
        raise DomainError(gettext_noop("This event is not open for booking."), code="not_open")
    if slot.starts <= now:
        raise DomainError(gettext_noop("This slot has begun or is over: choose a later one."), code="past_slot")
    phone = mobile(resident.phone)
    if not phone and not on_behalf:
        raise DomainError(gettext_noop("Log in with your phone number to book."), code="login_required")
    name = checked_text(resident.name, "name", required=on_behalf, max_length=40)
    age, groups = _age(resident.age), _groups(resident.groups)
    index = crypto.blind_index(phone) if phone else ""
    free_reason = _free_reason(offering, age, groups)
    price = _split(offering, free=bool(free_reason))
    holder = None
    if index and offering.per_resident == 1:
        holder = index  # a second booking breaks the unique (offering, holder): refused below, nothing kept
    elif index:
        held = {row[0] for row in _HELD(offering.pk, index)}
        if len(held) >= offering.per_resident:
            raise Conflict(gettext_noop("You have booked this service at this event already."), code="already_booked")
        # The first number free: after a cancellation the count no longer names a free one (2 held, 1 cancelled:
        # "2" is still taken).
        holder = next(f"{index}:{n}" for n in range(1, offering.per_resident + 1) if f"{index}:{n}" not in held)
    try:
        with transaction.atomic():
            got = _take_place(slot.pk)
            if not got and not offering.waiting_list:
                raise Conflict(gettext_noop("This slot is full: choose another one."), code="full")
            booking = Booking(
                code=_new_code(),
                event=event,
                offering=offering,
                slot=slot,
                status=BookingStatus.CONFIRMED if got else BookingStatus.WAITING,
                phone=phone,
                phone_index=index,
                name=name,
                holder=holder,
                declared_age=age,
                declared_groups=groups,
                free_reason=free_reason,
                terms=_terms(offering),
                on_behalf=on_behalf,
                booked_by=actor if on_behalf else None,
                created_at=now,
            )
            _apply_price(booking, price)
            prepared.insert(booking)
            action = BookingAction.BOOKED if got else BookingAction.WAITLISTED
            _history(booking, action, actor, "on behalf of the resident" if on_behalf else "", now)
            if on_behalf or not got:
                # A resident booking on their phone sees the booking (and finds it again under "my bookings"); the
                # text goes to one booked by staff, and to one put on the waiting list, who must not miss that.
                _sms(booking, "market.booked" if got else "market.waitlisted", {})
    except IntegrityError:
        raise Conflict(
            gettext_noop("You have booked this service at this event already."), code="already_booked"
        ) from None
    return booking


def _promote_next(slot: Slot, *, actor: Any, at: datetime) -> Booking | None:
    """The first resident waiting for ``slot`` takes a freed place (the caller holds the slot's lock and counts it)."""
    nxt = (
        Booking.objects.select_for_update()
        .filter(slot=slot, status=BookingStatus.WAITING)
        .order_by("created_at", "pk")
        .first()
    )
    if nxt is None:
        return None
    nxt.status = BookingStatus.CONFIRMED
    nxt.save(update_fields=["status"])
    _history(nxt, BookingAction.PROMOTED, actor, "", at)
    _sms(nxt, "market.promoted", {})
    return nxt


def cancel_deadline(booking: Booking) -> datetime:
    return booking.slot.starts - timedelta(hours=booking.event.cancel_hours)


@transaction.atomic
def cancel(
    *, code: str, phone_index: str = "", actor: Any = None, reason: str = "", now: datetime | None = None
) -> Booking:
    """Cancel a booking: by its resident (``phone_index`` of their login) until the cut-off, or by desk staff until the
    slot begins. A confirmed place goes to the first resident waiting, else back to the slot."""
    now = now or timeutil.now()
    booking = (
        Booking.objects.select_for_update()
        .select_related("event__node", "offering", "slot")
        .filter(code=normalise_code(code))
        .first()
    )
    if booking is None or (actor is None and (not phone_index or booking.phone_index != phone_index)):
        raise NotFound(gettext_noop("No such booking."))
    if actor is not None:
        _desk_event(actor, booking.event)
    if booking.status not in (BookingStatus.CONFIRMED, BookingStatus.WAITING):
        raise Conflict(gettext_noop("This booking cannot be cancelled any more."), code="not_open")
    limit = booking.slot.starts if actor is not None else cancel_deadline(booking)
    if now >= limit:
        raise DomainError(
            gettext_noop("Bookings can be cancelled until %(hours)s hours before the slot."),
            params={"hours": booking.event.cancel_hours},
            code="too_late",
        )
    slot = Slot.objects.select_for_update().get(pk=booking.slot_id)
    was = booking.status
    booking.status, booking.holder, booking.cancelled_at = BookingStatus.CANCELLED, None, now
    booking.save(update_fields=["status", "holder", "cancelled_at"])
    _history(booking, BookingAction.CANCELLED, actor, checked_text(reason, "reason", max_length=300), now)
    if was == BookingStatus.CONFIRMED and _promote_next(slot, actor=actor, at=now) is None:
        Slot.objects.filter(pk=slot.pk, taken__gt=0).update(taken=F("taken") - 1)
    return booking


# ---------------------------------------------------------------------------------------------------- at the stall


def booking_for_desk(*, actor: Any, code: str) -> Booking:
    """The booking a stall scans or types in: NotFound for a forged code and for another community's booking."""
    found = Booking.objects.select_related("event__node", "offering", "slot").filter(code=normalise_code(code)).first()
    if found is None:
        raise NotFound(gettext_noop("No such booking at a market you keep."))
    _desk_event(actor, found.event)
    return found


@transaction.atomic
def check_in(
    *,
    actor: Any,
    code: str,
    age: object = None,
    groups: Iterable[str] | None = None,
    now: datetime | None = None,
) -> Booking:
    """Serve a resident with a booking: staff confirm the age (and groups) declared, or correct them — the price
    follows what they confirm. Only on the event's day."""
    now = now or timeutil.now()
    found = booking_for_desk(actor=actor, code=code)
    booking = Booking.objects.select_for_update().select_related("event__node", "offering", "slot").get(pk=found.pk)
    if booking.status == BookingStatus.SERVED:
        raise Conflict(gettext_noop("This booking was checked in already."), code="served")
    if booking.status != BookingStatus.CONFIRMED:
        raise Conflict(
            gettext_noop("This booking is %(status)s: it cannot be checked in."),
            params={"status": Term(BookingStatus(booking.status).label)},
            code="not_confirmed",
        )
    if timeutil.local(now).date() != booking.event.day:
        raise DomainError(gettext_noop("Check-in is open on the event's day only."), code="not_today")
    checked_age = booking.declared_age if age in (None, "") else _age(age)
    checked_groups = booking.declared_groups if groups is None else _groups(groups)
    note = ""
    if checked_age != booking.declared_age or checked_groups != booking.declared_groups:
        note = (
            f"declared age {booking.declared_age}, groups {booking.declared_groups}; "
            f"checked {checked_age}, {checked_groups}"
        )
    booking.declared_age, booking.declared_groups = checked_age, checked_groups
    _apply_price(booking, _stall_price(booking, checked_age, checked_groups))
    booking.free_reason = _free_reason(booking.offering, checked_age, checked_groups)
    booking.age_checked = True
    booking.status, booking.served_at = BookingStatus.SERVED, now
    booking.save()
    _history(booking, BookingAction.CHECKED_IN, actor, note, now)
    return booking


def _terms(offering: Offering) -> dict[str, str | None]:
    percent = offering.discount_percent
    return {
        "list_price": str(offering.list_price),
        "discount": str(offering.merchant_discount),
        "discount_percent": None if percent is None else str(percent),
        "subsidy": str(offering.community_subsidy),
    }


def _stall_price(booking: Booking, age: int | None, groups: list[str]) -> pricing.Price:
    """The terms as booked (not today's) with the free rule the stall confirmed."""
    terms = booking.terms
    return pricing.split(
        terms["list_price"],
        discount=terms["discount"],
        discount_percent=terms["discount_percent"],
        subsidy=terms["subsidy"],
        free=bool(_free_reason(booking.offering, age, groups)),
    )


@transaction.atomic
def walk_up(
    *,
    actor: Any,
    offering: Offering,
    resident: Resident,
    now: datetime | None = None,
) -> Booking:
    """Serve a resident without a booking in a free place: the slot running now, else the next with room."""
    now = now or timeutil.now()
    event = offering.event
    _desk_event(actor, event)
    if event.status != EventStatus.PUBLISHED or timeutil.local(now).date() != event.day:
        raise DomainError(gettext_noop("Walk-ups are served on the event's day only."), code="not_today")
    age, groups = _age(resident.age), _groups(resident.groups)
    phone = mobile(resident.phone)
    for slot in Slot.objects.filter(offering=offering, ends__gt=now).order_by("starts"):
        if Slot.objects.filter(pk=slot.pk, taken__lt=F("capacity")).update(taken=F("taken") + 1):
            break
    else:
        raise Conflict(gettext_noop("No free place is left for this service today."), code="full")
    booking = Booking(
        code=_new_code(),
        event=event,
        offering=offering,
        slot=slot,
        status=BookingStatus.SERVED,
        phone=phone,
        phone_index=crypto.blind_index(phone) if phone else "",
        name=checked_text(resident.name, "name", max_length=40),
        declared_age=age,
        declared_groups=groups,
        age_checked=True,
        free_reason=_free_reason(offering, age, groups),
        terms=_terms(offering),
        walk_up=True,
        booked_by=actor,
        created_at=now,
        served_at=now,
    )
    _apply_price(booking, quote(offering, age=age, groups=groups))
    booking.save(force_insert=True)
    _history(booking, BookingAction.WALK_UP, actor, "", now)
    return booking


@transaction.atomic
def close_day(*, actor: Any, event: Event, now: datetime | None = None) -> int:
    """At the end of the day: confirmed bookings whose slot is over become no-shows. Returns how many."""
    _desk_event(actor, event)
    return _mark_no_shows(Booking.objects.filter(event=event), actor=actor, now=now or timeutil.now())


def _mark_no_shows(bookings: Any, *, actor: Any, now: datetime) -> int:
    missed = list(
        bookings.select_for_update().filter(status=BookingStatus.CONFIRMED, slot__ends__lte=now).order_by("pk")
    )
    for booking in missed:
        booking.status = BookingStatus.NO_SHOW
        booking.save(update_fields=["status"])
        _history(booking, BookingAction.NO_SHOW, actor, "", now)
    # Those still waiting when the slot ended never had a place: their booking lapses.
    Booking.objects.filter(
        pk__in=bookings.filter(status=BookingStatus.WAITING, slot__ends__lte=now).values("pk")
    ).update(status=BookingStatus.CANCELLED, holder=None, cancelled_at=now)
    return len(missed)


# ---------------------------------------------------------------------------------------------------- the worker


@transaction.atomic
def mark_no_shows(*, now: datetime | None = None) -> int:
    """Worker: no-shows for every event of before today whose stalls did not close their day."""
    now = now or timeutil.now()
    today = timeutil.local(now).date()
    return _mark_no_shows(Booking.objects.filter(event__day__lt=today), actor=None, now=now)


def send_reminders(*, now: datetime | None = None, limit: int = 500) -> int:
    """Worker: an SMS the day before to each resident with a confirmed booking for tomorrow, once."""
    now = now or timeutil.now()
    tomorrow = timeutil.local(now).date() + timedelta(days=1)
    sent = 0
    pending = (
        Booking.objects.filter(
            event__day=tomorrow,
            event__status=EventStatus.PUBLISHED,
            status=BookingStatus.CONFIRMED,
            reminded_at__isnull=True,
        )
        .exclude(phone_index="")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in list(pending):
        with transaction.atomic():
            booking = (
                Booking.objects.select_for_update(skip_locked=True)
                .select_related("event", "offering", "slot")
                .filter(pk=pk, reminded_at__isnull=True)
                .first()
            )
            if booking is None:
                continue
            booking.reminded_at = now
            booking.save(update_fields=["reminded_at"])
            _history(booking, BookingAction.REMINDED, None, "", now)
            sent += _sms(booking, "market.reminder", {})
    return sent
