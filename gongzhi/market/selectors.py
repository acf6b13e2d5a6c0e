"""Reads of the market. Staff reads are scoped to the communities of their posts granting ``market.desk`` or
``market.manage`` (a steward reads their community's markets); out of scope and missing are the same NotFound.
Public reads show published events only, and never who booked."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet, Sum

from gongzhi.core import crypto
from gongzhi.core.errors import NotFound, gettext_noop
from gongzhi.grid import roles
from gongzhi.grid import selectors as grid_selectors
from gongzhi.grid.models import PATH_SEGMENT_WIDTH, GridNode
from gongzhi.market.choices import BookingStatus, EventStatus
from gongzhi.market.models import Booking, BookingEvent, Event, FreeRule, Offering, Slot

COMMUNITY_PATH = PATH_SEGMENT_WIDTH * (roles.level_index(roles.COMMUNITY) + 1)


def _condition(user: Any, field: str = "node__") -> Q | None:
    found = [
        grid_selectors.capability_condition(user, capability, field, widen_to=COMMUNITY_PATH)
        for capability in (roles.MARKET_DESK, roles.MARKET_MANAGE)
    ]
    conditions = [c for c in found if c is not None]
    if not conditions:
        return None
    combined = Q()
    for c in conditions:
        if not c:  # everything
            return Q()
        combined |= c
    return combined


def can_view(user: Any) -> bool:
    return _condition(user) is not None


def communities(user: Any) -> QuerySet[GridNode]:
    """The communities whose markets the user may keep or plan."""
    qs = GridNode.objects.filter(level=roles.COMMUNITY).defer("boundary").order_by("path")
    condition = _condition(user, "")
    return qs.none() if condition is None else qs.filter(condition)


def events_visible_to(user: Any) -> QuerySet[Event]:
    condition = _condition(user)
    qs = Event.objects.select_related("node", "series", "compound")
    return qs.none() if condition is None else qs.filter(condition)


def event_for(user: Any, pk: object) -> Event:
    try:
        return events_visible_to(user).get(pk=int(str(pk)))
    except (Event.DoesNotExist, ValueError):
        raise NotFound(gettext_noop("No such event.")) from None


def offering_for(user: Any, pk: object) -> Offering:
    try:
        return Offering.objects.select_related("event__node", "window").get(
            pk=int(str(pk)), event__in=events_visible_to(user)
        )
    except (Offering.DoesNotExist, ValueError):
        raise NotFound(gettext_noop("No such service.")) from None


def slot_for(user: Any, pk: object) -> Slot:
    try:
        return Slot.objects.select_related("offering__event__node").get(
            pk=int(str(pk)), offering__event__in=events_visible_to(user)
        )
    except (Slot.DoesNotExist, ValueError):
        raise NotFound(gettext_noop("No such slot.")) from None


def offerings(event: Event) -> list[Offering]:
    """The event's services with their slots in time order (``free`` on each slot)."""
    return list(
        Offering.objects.filter(event=event)
        .select_related("window")
        .prefetch_related(Prefetch("slots", queryset=Slot.objects.order_by("starts")))
        .order_by("window__number", "pk")
    )


def bookings_at(event: Event, *, offering: Offering | None = None) -> QuerySet[Booking]:
    qs = Booking.objects.filter(event=event).select_related("offering", "slot").order_by("slot__starts", "created_at")
    return qs if offering is None else qs.filter(offering=offering)


def bookings_by_phone(event: Event, number: str, *, limit: int = 20) -> list[Booking]:
    """The bookings at ``event`` of a mainland mobile number (already checked, ``services.mobile``), by its blind
    index: the stall's search for a resident who cannot show the QR code."""
    return list(
        bookings_at(event).filter(phone_index=crypto.blind_index(number)).order_by("slot__starts", "pk")[:limit]
    )


def public_slot(event: Event, slot_id: object) -> Slot | None:
    """A slot of a published event's service, for the resident pages (None when it is not one of ``event``'s)."""
    slot = Slot.objects.select_related("offering__window").filter(pk=slot_id, offering__event=event).first()
    if slot is not None:
        slot.offering.event = event
    return slot


def history(booking: Booking) -> QuerySet[BookingEvent]:
    return BookingEvent.objects.filter(booking=booking).select_related("actor").order_by("at", "pk")


def free_rules(jurisdiction_id: int) -> QuerySet[FreeRule]:
    return FreeRule.objects.filter(jurisdiction_id=jurisdiction_id, active=True)


# ---------------------------------------------------------------------------------------------------- residents


def public_events(
    *, day_from: date, day_to: date, jurisdiction_id: int | None = None, node: GridNode | None = None
) -> QuerySet[Event]:
    """Published events between two days (inclusive), with the number of services and of free places."""
    qs = Event.objects.filter(status=EventStatus.PUBLISHED, day__gte=day_from, day__lte=day_to)
    if jurisdiction_id is not None:
        qs = qs.filter(node__jurisdiction_id=jurisdiction_id)
    if node is not None:
        qs = qs.filter(node__jurisdiction_id=node.jurisdiction_id, node__path__startswith=node.path[:COMMUNITY_PATH])
    return (
        qs.select_related("node").annotate(services=Count("offerings", distinct=True)).order_by("day", "starts", "pk")
    )


def public_event(pk: object) -> Event:
    try:
        return Event.objects.select_related("node").get(
            pk=int(str(pk)), status__in=(EventStatus.PUBLISHED, EventStatus.CANCELLED)
        )
    except (Event.DoesNotExist, ValueError):
        raise NotFound(gettext_noop("No such event.")) from None


def bookings_of(phone_index: str) -> QuerySet[Booking]:
    """A resident's bookings (by the blind index of their verified number), newest event first."""
    if not phone_index:
        return Booking.objects.none()
    return (
        Booking.objects.filter(phone_index=phone_index)
        .select_related("event", "offering", "slot")
        .order_by("-event__day", "slot__starts")
    )


def booking_of(phone_index: str, code: str) -> Booking:
    found = bookings_of(phone_index).filter(code=code).first()
    if found is None:
        raise NotFound(gettext_noop("No such booking."))
    return found


def waiting_position(booking: Booking) -> int | None:
    """1 for the first resident waiting for the slot; None when not waiting."""
    if booking.status != BookingStatus.WAITING:
        return None
    return (
        Booking.objects.filter(slot_id=booking.slot_id, status=BookingStatus.WAITING)
        .filter(Q(created_at__lt=booking.created_at) | Q(created_at=booking.created_at, pk__lt=booking.pk))
        .count()
        + 1
    )


# ---------------------------------------------------------------------------------------------------- the ledger


@dataclass
class LedgerRow:
    """One service and provider: how many were served and who paid what (yuan)."""

    service: str
    provider: str
    served: int = 0
    free: int = 0
    list_value: Decimal = Decimal("0.00")
    discount: Decimal = Decimal("0.00")
    subsidy: Decimal = Decimal("0.00")
    paid: Decimal = Decimal("0.00")


@dataclass
class Ledger:
    rows: list[LedgerRow] = field(default_factory=list)
    total: LedgerRow = field(default_factory=lambda: LedgerRow(service="", provider=""))


def ledger(events: QuerySet[Event] | Iterable[Event]) -> Ledger:
    """The subsidy ledger (补贴台账) of some events: per service and provider, the residents served and the list value,
    the merchant's discount, the community's subsidy and what residents paid, summed from the bookings served."""
    ids = [e.pk for e in events] if not isinstance(events, QuerySet) else events.values("pk")
    rows = (
        Booking.objects.filter(event__in=ids, status=BookingStatus.SERVED)
        .values("offering__name", "offering__provider")
        .annotate(
            served=Count("pk"),
            free=Count("pk", filter=~Q(free_reason="")),
            list_value=Sum("list_price"),
            discount=Sum("discount"),
            subsidy=Sum("subsidy"),
            paid=Sum("resident_pays"),
        )
        .order_by("offering__provider", "offering__name")
    )
    result = Ledger()
    for r in rows:
        row = LedgerRow(
            service=r["offering__name"],
            provider=r["offering__provider"],
            served=r["served"],
            free=r["free"],
            list_value=Decimal(r["list_value"]).quantize(Decimal("0.01")),
            discount=Decimal(r["discount"]).quantize(Decimal("0.01")),
            subsidy=Decimal(r["subsidy"]).quantize(Decimal("0.01")),
            paid=Decimal(r["paid"]).quantize(Decimal("0.01")),
        )
        result.rows.append(row)
        t = result.total
        t.served += row.served
        t.free += row.free
        t.list_value += row.list_value
        t.discount += row.discount
        t.subsidy += row.subsidy
        t.paid += row.paid
    return result


def events_in(events: QuerySet[Event], *, first: date, last: date) -> QuerySet[Event]:
    return events.filter(day__gte=first, day__lte=last)


def figure_rows(events: QuerySet[Event]) -> list[dict[str, Any]]:
    """What ``analytics.formulas.market`` needs of each booking of these events (no personal data)."""
    return list(
        Booking.objects.filter(event__in=events.values("pk")).values(
            "status", "walk_up", "declared_age", "free_reason", "list_price", "discount", "subsidy", "resident_pays"
        )
    )
