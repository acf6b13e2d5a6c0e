"""Resident pages of the service market (市集) and the mobile service days (服务列车进小区), phone first: what's on
this week near me, an event (its place, windows, services with the price split and the free rules, slots with the
places left), booking a slot with the price shown before confirming, my bookings, and one booking with the QR code
the stall scans and "cancel" until the cut-off.

The market domain does the work (``market.services.book/cancel/quote``, ``market.selectors``); these views only read
the request and show the answer. Booking needs the phone login (``phone_login``): a booking is the number's, and only
that number's login sees it — another resident's code is the same 404 as no code at all. No page shows anyone's
number or name but the logged-in resident's own (the number masked).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import segno
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gongzhi.core import timeutil
from gongzhi.core.errors import DomainError, NotFound
from gongzhi.core.http import BadInput, parse_id, query_point
from gongzhi.grid.geo import haversine_m
from gongzhi.grid.models import GridNode, Jurisdiction
from gongzhi.market import pricing
from gongzhi.market import selectors as market
from gongzhi.market import services as market_services
from gongzhi.market.choices import BookingStatus, EventStatus, RuleKind
from gongzhi.market.models import Booking, Event, Offering, Slot
from gongzhi.portal import phone_login, selectors
from gongzhi.stations import selectors as station_selectors

WEEK_DAYS = 7
QUOTE, CONFIRM = "quote", "confirm"
OPEN = (BookingStatus.CONFIRMED, BookingStatus.WAITING)


# ----------------------------------------------------------------------------------------------------------- helpers


def _not_found(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "portal/not_found.html", {"message": message}, status=404)


def _login_url(next_url: str) -> str:
    return reverse("portal:login") + "?next=" + next_url


def _jurisdiction(request: HttpRequest) -> Jurisdiction | None:
    code = request.GET.get("j") or ""
    if code:
        return Jurisdiction.objects.filter(code=code[:32]).first()
    node = selectors.public_node(parse_id(request.GET.get("node")))
    return node.jurisdiction if node is not None else selectors.default_jurisdiction()


def _rule_labels(jurisdiction_id: int) -> list[str]:
    """The free rules as residents read them: "aged 60 and over", "低保" …"""
    return [
        _("aged %(age)s and over") % {"age": r.min_age} if r.kind == RuleKind.AGE else r.group
        for r in market_services.rules_for(jurisdiction_id)
    ]


def _group_rules(jurisdiction_id: int) -> list[str]:
    """The household groups a resident may claim (checked at the stall)."""
    return [r.group for r in market.free_rules(jurisdiction_id) if r.kind == RuleKind.GROUP and r.group]


def _when(slot: Slot) -> str:
    return f"{timeutil.local(slot.starts):%H:%M}–{timeutil.local(slot.ends):%H:%M}"


def _code_groups(code: str) -> str:
    """ABCDEFGHJKLM → ABCD EFGH JKLM: easier to read out at a stall."""
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))


def _qr_svg(code: str) -> str:
    # Sized by CSS (no width/height attributes): as wide as the phone allows, crisp at any size.
    qr = segno.make(market_services.qr_payload(code), error="m", micro=False)
    return qr.svg_inline(scale=1, border=4, omitsize=True, dark="#000", light="#fff")


# ------------------------------------------------------------------------------------------------ what's on near me


@dataclass
class DayGroup:
    day: date
    rows: list[dict[str, Any]] = field(default_factory=list)


def _position(request: HttpRequest, jurisdiction: Jurisdiction) -> tuple[float | None, float | None, GridNode | None]:
    """Where the resident is: the browser's location (``lat``, ``lon``) or their community (``node``)."""
    lat = lon = None
    node = None
    point = query_point(request)
    if point is not None:
        lat, lon = point
    elif request.GET.get("node"):
        node = selectors.public_node(parse_id(request.GET["node"]))
        if node is None or node.jurisdiction_id != jurisdiction.pk:
            raise BadInput(_("That community is not known."))
    return lat, lon, node


@require_GET
def whats_on(request: HttpRequest) -> HttpResponse:
    """The published market days and service days of this week (``week=next``: the following one), grouped by day:
    nearest first on each day when the resident's place is known, their community's only when they chose it."""
    jurisdiction = _jurisdiction(request)
    if jurisdiction is None:
        return _not_found(request, _("This area is not known."))
    lat, lon, node = _position(request, jurisdiction)
    week = request.GET.get("week", "")
    if week not in ("", "next"):
        raise BadInput(_("Choose this week or next week."))
    today = timeutil.local_today()
    first = today + timedelta(days=WEEK_DAYS if week == "next" else 0)
    last = first + timedelta(days=WEEK_DAYS - 1)
    events = market.public_events(day_from=first, day_to=last, jurisdiction_id=jurisdiction.pk, node=node)
    model = station_selectors.walk_model()
    days: dict[date, DayGroup] = {}
    points = []
    for event in events:
        row: dict[str, Any] = {"event": event, "metres": None, "minutes": None}
        if lat is not None and lon is not None and event.lat is not None and event.lon is not None:
            metres = haversine_m(lat, lon, event.lat, event.lon)
            row.update(metres=round(metres), minutes=math.ceil(model.minutes_for(metres)))
        days.setdefault(event.day, DayGroup(event.day)).rows.append(row)
        if event.lat is not None and event.lon is not None:
            points.append(
                {
                    "lat": event.lat,
                    "lon": event.lon,
                    "name": event.title,
                    "when": f"{event.day:%m-%d} {event.starts:%H:%M}–{event.ends:%H:%M}",
                    "place": event.place_name,
                    "url": reverse("portal:market_event", args=[event.pk]),
                }
            )
    if lat is not None:
        for group in days.values():
            group.rows.sort(key=lambda r: (r["metres"] is None, r["metres"] or 0))
    context = {
        "jurisdiction": jurisdiction,
        "days": list(days.values()),
        "first": first,
        "last": last,
        "today": today,
        "tomorrow": today + timedelta(days=1),
        "week": week,
        "lat": lat,
        "lon": lon,
        "node": node,
        "communities": selectors.communities(jurisdiction).defer("boundary"),
        "points": points,
        "rules": _rule_labels(jurisdiction.pk),
        "base_jurisdiction": jurisdiction.pk,
        "login": phone_login.current(request),
    }
    return render(request, "portal/market/whats_on.html", context)


# ------------------------------------------------------------------------------------------------------------ event


def _public_event(event_id: int) -> Event | None:
    try:
        return market.public_event(event_id)
    except NotFound:
        return None


@dataclass
class OfferingView:
    offering: Offering
    price: pricing.Price
    free_price: pricing.Price | None
    slots: list[dict[str, Any]]
    mine: Booking | None = None  # the logged-in resident's booking of this service


def _offering_views(event: Event, rules: list[str], held: dict[int, Booking]) -> list[OfferingView]:
    now = timeutil.now()
    shown = []
    for offering in market.offerings(event):
        offering.event = event  # the node is loaded: quote() needs its jurisdiction
        free = (
            pricing.split(
                offering.list_price,
                discount=offering.merchant_discount,
                discount_percent=offering.discount_percent,
                subsidy=offering.community_subsidy,
                free=True,
            )
            if offering.free_rules_apply and rules
            else None
        )
        slots = []
        for slot in offering.slots.all():
            over = slot.starts <= now
            slots.append({"slot": slot, "when": _when(slot), "over": over, "free": slot.free})
        shown.append(
            OfferingView(
                offering=offering,
                price=market_services.quote(offering),
                # What someone meeting a free rule pays (0): shown only when the jurisdiction has rules.
                free_price=free,
                slots=slots,
                mine=held.get(offering.pk),
            )
        )
    return shown


@require_GET
def event_page(request: HttpRequest, event_id: int) -> HttpResponse:
    event = _public_event(event_id)
    if event is None:
        return _not_found(request, _("This market day is not known."))
    rules = _rule_labels(event.node.jurisdiction_id)
    login = phone_login.current(request)
    # The resident's own bookings at this event: their services say so, with a link, instead of a second "book".
    held = (
        {b.offering_id: b for b in market.bookings_of(login["index"]).filter(event=event, holder__isnull=False)}
        if login
        else {}
    )
    context = {
        "event": event,
        "cancelled": event.status == EventStatus.CANCELLED,
        "windows": list(event.windows.all()),
        "offerings": _offering_views(event, rules, held),
        "rules": rules,
        "base_jurisdiction": event.node.jurisdiction_id,
        "points": [{"lat": event.lat, "lon": event.lon, "name": event.place_name}] if event.lat is not None else [],
    }
    return render(request, "portal/market/event.html", context)


# ---------------------------------------------------------------------------------------------------------- booking


def _slot_of(event: Event, slot_id: int) -> Slot | None:
    return market.public_slot(event, slot_id)


def _blocked(event: Event, slot: Slot, index: str) -> tuple[str, int, Booking | None]:
    """Why this slot cannot be booked by this resident now ("" when it can), the status, their booking if any."""
    offering = slot.offering
    if event.status != EventStatus.PUBLISHED:
        return _("This event is not open for booking."), 400, None
    if slot.starts <= timeutil.now():
        return _("This slot has begun or is over: choose a later one."), 400, None
    held = list(market.bookings_of(index).filter(offering=offering, holder__isnull=False)) if index else []
    if len(held) >= offering.per_resident:
        return _("You have booked this service at this event already."), 409, held[0]
    if slot.free <= 0 and not offering.waiting_list:
        return _("This slot is full: choose another one."), 409, None
    return "", 200, None


def _money(text: str) -> Decimal | None:
    try:
        return pricing.money(text)
    except pricing.PriceError:
        return None


@never_cache
@require_http_methods(["GET", "POST"])
def book(request: HttpRequest, event_id: int, slot_id: int) -> HttpResponse:
    """GET: the form. POST ``action=quote``: the same form with the price split for the age and groups entered;
    ``action=confirm``: book (``market.services.book``) and go to the booking (303). A refusal is shown with its 4xx
    status, and nothing is written."""
    here = reverse("portal:market_book", args=[event_id, slot_id])
    login = phone_login.current(request)
    number = phone_login.number(request)
    if request.method == "POST" and request.POST.get("action") == CONFIRM and number and login:
        # The hot path (many residents at once): straight to the service, which checks everything; the page is
        # built only when it refuses.
        try:
            resident = _resident(request, number)
            quoted = request.POST.get("quoted", "")
            if not quoted:
                booking = market_services.book(event_id=event_id, slot_id=slot_id, resident=resident)
                return HttpResponseRedirect(reverse("portal:market_booking", args=[booking.code]), status=303)
        except DomainError as exc:
            return _book_page(request, event_id, slot_id, login=login, error=exc.message, status=exc.http_status)
    event = _public_event(event_id)
    slot = _slot_of(event, slot_id) if event is not None else None
    if event is None or slot is None:
        return _not_found(request, _("This slot is not part of this event."))
    if login is None or not number:
        if request.method == "GET":
            return redirect(_login_url(here))
        return _book_page(
            request, event_id, slot_id, login=None, error=_("Log in with your phone number to book."), status=403
        )
    return _book_page(request, event_id, slot_id, login=login, event=event, slot=slot)


def _resident(request: HttpRequest, number: str) -> market_services.Resident:
    groups = tuple(request.POST.getlist("groups"))
    return market_services.Resident(
        phone=number, name=request.POST.get("name", "").strip(), age=request.POST.get("age", "").strip(), groups=groups
    )


def _book_page(
    request: HttpRequest,
    event_id: int,
    slot_id: int,
    *,
    login: dict[str, str] | None,
    event: Event | None = None,
    slot: Slot | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    event = event or _public_event(event_id)
    slot = slot or (_slot_of(event, slot_id) if event is not None else None)
    if event is None or slot is None:
        return _not_found(request, error or _("This slot is not part of this event."))
    offering = slot.offering
    jurisdiction_id = event.node.jurisdiction_id
    known_groups = _group_rules(jurisdiction_id) if offering.free_rules_apply else []
    posted = request.method == "POST"
    values = {
        "name": request.POST.get("name", "").strip()[:40] if posted else "",
        "age": request.POST.get("age", "").strip()[:8] if posted else "",
        "groups": [g for g in request.POST.getlist("groups") if g in known_groups] if posted else [],
    }
    context: dict[str, Any] = {
        "event": event,
        "offering": offering,
        "slot": slot,
        "when": _when(slot),
        "login": login,
        "values": values,
        "known_groups": known_groups,
        "rules": _rule_labels(jurisdiction_id) if offering.free_rules_apply else [],
        "price": None,
        "error": error,
        "held": None,
        "full": slot.free <= 0,
    }
    if login is None:
        context["login_url"] = _login_url(reverse("portal:market_book", args=[event.pk, slot.pk]))
        return render(request, "portal/market/book.html", context, status=status)
    blocked, blocked_status, held = _blocked(event, slot, login["index"])
    if blocked and not error:
        context.update(error=blocked, held=held, blocked=True)
        return render(request, "portal/market/book.html", context, status=blocked_status)
    context["blocked"] = bool(blocked)
    if error or not posted:
        return render(request, "portal/market/book.html", context, status=status)
    action = request.POST.get("action", "")
    if action not in (QUOTE, CONFIRM):
        context["error"] = _("Choose “Show the price” or “Confirm the booking”.")
        return render(request, "portal/market/book.html", context, status=400)
    if [g for g in request.POST.getlist("groups") if g not in known_groups]:
        context["error"] = _("That household group is not one the free rules name.")
        return render(request, "portal/market/book.html", context, status=400)
    if len(values["name"]) < len(request.POST.get("name", "").strip()):
        context["error"] = _("The name is longer than %(max)s characters.") % {"max": 40}
        return render(request, "portal/market/book.html", context, status=400)
    try:
        price = market_services.quote(offering, age=values["age"], groups=values["groups"])
    except DomainError as exc:
        context["error"] = exc.message
        return render(request, "portal/market/book.html", context, status=exc.http_status)
    context["price"] = price
    if action == CONFIRM:
        # Confirmed after seeing a price that is no longer the one for what was entered (the age was changed after
        # "show the price", or the prices changed): show the new price and ask again.
        quoted = _money(request.POST.get("quoted", ""))
        if quoted != price.resident:
            context["error"] = _("The price is not the one shown: check the new price and confirm again.")
            return render(request, "portal/market/book.html", context, status=409)
        try:
            booking = market_services.book(
                event_id=event.pk, slot_id=slot.pk, resident=_resident(request, phone_login.number(request))
            )
        except DomainError as exc:
            context["error"] = exc.message
            return render(request, "portal/market/book.html", context, status=exc.http_status)
        return HttpResponseRedirect(reverse("portal:market_booking", args=[booking.code]), status=303)
    return render(request, "portal/market/book.html", context)


# ------------------------------------------------------------------------------------------------------ my bookings


def _booking_row(booking: Booking, now: Any) -> dict[str, Any]:
    return {
        "booking": booking,
        "when": _when(booking.slot),
        "position": market.waiting_position(booking),
        "upcoming": booking.status in OPEN and booking.slot.ends > now,
    }


@never_cache
@require_GET
def my_bookings(request: HttpRequest) -> HttpResponse:
    login = phone_login.current(request)
    if login is None:
        return redirect(_login_url(reverse("portal:market_bookings")))
    now = timeutil.now()
    rows = [_booking_row(b, now) for b in market.bookings_of(login["index"])[:200]]
    upcoming = sorted((r for r in rows if r["upcoming"]), key=lambda r: r["booking"].slot.starts)
    past = [r for r in rows if not r["upcoming"]]
    return render(request, "portal/market/bookings.html", {"login": login, "upcoming": upcoming, "past": past})


def _own_booking(request: HttpRequest, code: str) -> Booking | None:
    login = phone_login.current(request)
    try:
        return market.booking_of(login["index"] if login else "", market_services.normalise_code(code))
    except NotFound:
        return None


def _booking_page(request: HttpRequest, booking: Booking, *, error: str = "", status: int = 200) -> HttpResponse:
    now = timeutil.now()
    deadline = market_services.cancel_deadline(booking)
    context = {
        "login": phone_login.current(request),
        "booking": booking,
        "event": booking.event,
        "when": _when(booking.slot),
        "code_groups": _code_groups(booking.code),
        "qr": mark_safe(_qr_svg(booking.code)) if booking.status in OPEN else "",  # noqa: S308 - segno's own SVG
        "position": market.waiting_position(booking),
        "open": booking.status in OPEN,
        "may_cancel": booking.status in OPEN and now < deadline,
        "deadline": timeutil.local(deadline),
        "free": bool(booking.free_reason),
        "error": error,
        "done": request.GET.get("done", ""),
    }
    return render(request, "portal/market/booking.html", context, status=status)


@never_cache
@require_GET
def booking_page(request: HttpRequest, code: str) -> HttpResponse:
    if phone_login.current(request) is None:
        return redirect(_login_url(reverse("portal:market_booking", args=[code])))
    booking = _own_booking(request, code)
    if booking is None:
        return _not_found(request, _("No such booking."))
    return _booking_page(request, booking)


@never_cache
@require_POST
def cancel(request: HttpRequest, code: str) -> HttpResponse:
    login = phone_login.current(request)
    booking = _own_booking(request, code)
    if login is None or booking is None:
        return _not_found(request, _("No such booking."))
    try:
        market_services.cancel(code=booking.code, phone_index=login["index"])
    except DomainError as exc:
        booking.refresh_from_db()
        return _booking_page(request, booking, error=exc.message, status=exc.http_status)
    return HttpResponseRedirect(reverse("portal:market_booking", args=[booking.code]) + "?done=cancelled", status=303)
