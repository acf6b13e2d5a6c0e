"""The console's market pages (市集 and 服务列车进小区): the events of the communities in the viewer's scope with their
figures, planning an event or a recurring series, an event's page (windows, offerings from the projects list, prices,
places per slot, bookings with masked names, booking for a resident without a phone), the stall's check-in desk (scan,
typed code or phone number; walk-ups; close the day) and the subsidy ledger (补贴台账) with its Excel and PDF.

Thin: ``market.selectors`` read in the viewer's scope (another community's event is a 404, like a missing one),
``market.services`` write and refuse — 403 not allowed, 404 not found, 409 a step the state forbids, 400 bad input;
the page comes back with the reason and nothing is written. The market imports no other domain, so the projects list
(``lists``) and the stations (``stations``) are read here and what the market keeps of them is passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gongzhi.analytics import formulas
from gongzhi.console import market_exports
from gongzhi.console import market_forms as forms
from gongzhi.core import timeutil
from gongzhi.core.errors import DomainError, NotFound, PermissionDenied
from gongzhi.core.http import BadInput, parse_id
from gongzhi.core.privacy import mask_name, mask_phone
from gongzhi.grid import roles
from gongzhi.grid import selectors as grid_selectors
from gongzhi.grid.models import Compound, GridNode
from gongzhi.lists import selectors as lists_selectors
from gongzhi.market import policies, pricing, services
from gongzhi.market import selectors as market_selectors
from gongzhi.market.choices import BookingStatus, EventStatus, PlaceKind, RuleKind
from gongzhi.market.models import Booking, Event, Offering
from gongzhi.stations import selectors as station_selectors

MAX_COMMUNITIES = 200
MAX_EVENTS = 200
MAX_BOOKINGS = 500
WHEN = ("week", "upcoming", "past")
HELD = (BookingStatus.CONFIRMED, BookingStatus.SERVED, BookingStatus.NO_SHOW)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "403.html", {"exception": message}, status=403)


def _event_or_404(request: HttpRequest, event_id: int) -> Event:
    try:
        return market_selectors.event_for(request.user, event_id)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _community(node: GridNode) -> GridNode:
    return grid_selectors.ancestor_at(node, roles.COMMUNITY) or node


def _communities(request: HttpRequest) -> list[GridNode]:
    return list(market_selectors.communities(request.user)[:MAX_COMMUNITIES])


def _figures(events: QuerySet[Event]) -> formulas.MarketFigures:
    return formulas.market(formulas.market_bookings(market_selectors.figure_rows(events)))


def _rule_groups(jurisdiction_id: int) -> list[str]:
    """The household groups the free rules name (低保, 特困 …): what the stall may tick."""
    return [r.group for r in market_selectors.free_rules(jurisdiction_id) if r.kind == RuleKind.GROUP and r.group]


# ---------------------------------------------------------------------------------------------------- the markets


@login_required
def markets(request: HttpRequest) -> HttpResponse:
    """The events of the communities in scope (this week, upcoming or past; one community or all), with the figures
    of the events listed."""
    if not market_selectors.can_view(request.user):
        return _forbidden(request, _("Your posts keep no market."))
    nodes = _communities(request)
    when = request.GET.get("when") or "week"
    if when not in WHEN:
        raise BadInput(_("Unknown period: choose this week, upcoming or past."))
    node = None
    if request.GET.get("node"):
        node_id = parse_id(request.GET["node"])
        node = next((n for n in nodes if n.pk == node_id), None)
        if node is None:
            raise Http404(_("No such community in your scope."))
    today = timeutil.local_today()
    events = market_selectors.events_visible_to(request.user)
    if node is not None:
        events = events.filter(node__jurisdiction_id=node.jurisdiction_id, node__path__startswith=node.path)
    if when == "week":
        monday = today - timedelta(days=today.weekday())
        events = market_selectors.events_in(events, first=monday, last=monday + timedelta(days=6))
        ordered = events.order_by("day", "starts", "pk")
    elif when == "upcoming":
        ordered = events.filter(day__gte=today).order_by("day", "starts", "pk")
    else:
        ordered = events.filter(day__lt=today).order_by("-day", "-starts", "-pk")
    rows = list(
        ordered.annotate(
            services=Count("offerings", distinct=True),
            booked=Count("bookings", filter=Q(bookings__status__in=HELD), distinct=True),
            served=Count("bookings", filter=Q(bookings__status=BookingStatus.SERVED), distinct=True),
        )[:MAX_EVENTS]
    )
    plannable = [n for n in nodes if policies.can_manage(request.user, n)]
    context = {
        "rows": rows,
        "more": len(rows) == MAX_EVENTS,
        "nodes": nodes,
        "node": node,
        "when": when,
        "today": today,
        # The figures of the events listed (at most MAX_EVENTS: a long past stays one page's worth of bookings).
        "figures": _figures(market_selectors.events_visible_to(request.user).filter(pk__in=[e.pk for e in rows])),
        "can_plan": bool(plannable),
        "this_month": today.strftime("%Y-%m"),
    }
    return render(request, "console/market/markets.html", context)


# ---------------------------------------------------------------------------------------------------- planning


def _plannable(request: HttpRequest) -> list[GridNode]:
    return [n for n in _communities(request) if policies.can_manage(request.user, n)]


def _stations(nodes: list[GridNode]) -> list[dict[str, Any]]:
    rows = []
    for n in nodes:
        for s in station_selectors.public_stations(n)[:200]:
            rows.append(
                {"id": s.pk, "name": s.name, "lat": s.lat, "lon": s.lon, "community_id": n.pk, "community": n.name}
            )
    return rows


def _compounds(nodes: list[GridNode]) -> list[Compound]:
    if not nodes:
        return []
    condition = Q()
    for n in nodes:
        condition |= Q(jurisdiction_id=n.jurisdiction_id, node__path__startswith=n.path)
    return list(Compound.objects.filter(condition).select_related("node").order_by("name", "pk")[:1000])


def _place(data: dict[str, Any]) -> services.PlaceInput:
    kind, name = data["place_kind"], data.get("place_name") or ""
    if kind == PlaceKind.STATION:
        s = data["station_row"]
        return services.PlaceInput(kind=kind, name=name or s["name"], station_id=s["id"], lat=s["lat"], lon=s["lon"])
    if kind == PlaceKind.COMPOUND:
        return services.PlaceInput(kind=kind, name=name, compound=data["compound_obj"])
    return services.PlaceInput(kind=kind, name=name, lat=data.get("lat"), lon=data.get("lon"))


def _plan(request: HttpRequest, *, series: bool) -> HttpResponse:
    nodes = _plannable(request)
    if not nodes:
        return _forbidden(request, _("You may not plan markets."))
    form_class = forms.SeriesForm if series else forms.EventForm
    form = form_class(
        request.POST or None,
        nodes=nodes,
        stations=_stations(nodes),
        compounds=_compounds(nodes),
        initial={"starts": "09:00", "ends": "11:30", "skip_holidays": True},
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            common = {
                "actor": request.user,
                "node": data["node"],
                "title": data["title"],
                "theme": data["theme"],
                "kind": data["kind"],
                "starts": data["starts"],
                "ends": data["ends"],
                "place": _place(data),
                "publish": data["publish"],
            }
            try:
                if series:
                    made = services.create_series(
                        **common,
                        first_day=data["first_day"],
                        last_day=data["last_day"],
                        repeat=data["repeat"],
                        weekdays=[int(d) for d in data["weekdays"]],
                        skip_holidays=data["skip_holidays"],
                        skip_days=data["skip_days"],
                    )
                else:
                    event = services.create_event(**common, day=data["day"])
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.http_status
            else:
                if series:
                    n = made.events.count()
                    messages.success(
                        request, _("Series %(title)s planned: %(n)s days.") % {"title": made.title, "n": n}
                    )
                    return redirect(reverse("console:markets") + f"?when=upcoming&node={data['node'].pk}")
                messages.success(request, _("Event %(title)s planned.") % {"title": event.title})
                return redirect("console:market_event", event_id=event.pk)
    context = {"form": form, "series": series, "map_node": nodes[0]}
    return render(request, "console/market/plan.html", context, status=status)


@login_required
def event_new(request: HttpRequest) -> HttpResponse:
    return _plan(request, series=False)


@login_required
def series_new(request: HttpRequest) -> HttpResponse:
    return _plan(request, series=True)


# ---------------------------------------------------------------------------------------------------- one event


def _example_rule(jurisdiction_id: int) -> pricing.Rule | None:
    rules = services.rules_for(jurisdiction_id)
    return rules[0] if rules else None


def _quotes(offering: Offering, rule: pricing.Rule | None) -> dict[str, Any]:
    """The split for an ordinary resident and for one a free rule names (the first rule: aged 60 and over)."""
    ordinary = services.quote(offering)
    free = None
    if rule is not None and offering.free_rules_apply:
        if rule.kind == RuleKind.AGE:
            free = services.quote(offering, age=rule.min_age)
        else:
            free = services.quote(offering, groups=[rule.group])
    return {"ordinary": ordinary, "free": free}


def _rule_label(rule: pricing.Rule | None) -> str:
    if rule is None:
        return ""
    if rule.kind == RuleKind.AGE:
        return _("aged %(age)s and over") % {"age": rule.min_age}
    return rule.group


def _masked(booking: Booking) -> dict[str, Any]:
    return {
        "booking": booking,
        "name": mask_name(booking.name),
        "phone": mask_phone(booking.phone),
        "status": BookingStatus(booking.status).label,
    }


def _slot_choices(offerings: list[Offering]) -> list[tuple[str, str]]:
    now = timeutil.now()
    choices = []
    for o in offerings:
        for s in o.slots.all():
            if s.starts <= now:
                continue
            label = _("%(service)s %(start)s–%(end)s (%(free)s of %(places)s free)") % {
                "service": o.name,
                "start": timeutil.local(s.starts).strftime("%H:%M"),
                "end": timeutil.local(s.ends).strftime("%H:%M"),
                "free": s.free,
                "places": s.capacity,
            }
            choices.append((str(s.pk), label))
    return choices


def _projects(request: HttpRequest, event: Event) -> list[Any]:
    community = _community(event.node)
    return list(
        lists_selectors.projects_visible_to(request.user)
        .filter(node__jurisdiction_id=community.jurisdiction_id, node__path__startswith=community.path)
        .order_by("name", "pk")[:500]
    )


def _event_context(request: HttpRequest, event: Event, **overrides: Any) -> dict[str, Any]:
    offerings = market_selectors.offerings(event)
    rule = _example_rule(event.node.jurisdiction_id)
    windows = list(event.windows.all())
    groups = _rule_groups(event.node.jurisdiction_id)
    bookings = list(market_selectors.bookings_at(event)[:MAX_BOOKINGS])
    manage = policies.can_manage(request.user, event.node)
    context = {
        "event": event,
        "community": _community(event.node),
        "manage": manage,
        "desk": policies.can_desk(request.user, event.node),
        "offerings": [{"offering": o, **_quotes(o, rule)} for o in offerings],
        "rule_label": _rule_label(rule),
        "windows": windows,
        "bookings": [_masked(b) for b in bookings],
        "bookings_more": len(bookings) == MAX_BOOKINGS,
        "open": event.status == EventStatus.PUBLISHED,
        "window_form": forms.WindowForm(),
        "offering_form": forms.OfferingForm(projects=_projects(request, event), windows=windows) if manage else None,
        "book_form": forms.BookForm(slots=_slot_choices(offerings), groups=groups),
        "cancel_form": forms.CancelEventForm(),
        "station_name": station_selectors.station_name(event.station_id) if event.station_id else "",
    }
    context.update(overrides)
    return context


def _event_page(request: HttpRequest, event: Event, *, status: int = 200, **overrides: Any) -> HttpResponse:
    return render(request, "console/market/event.html", _event_context(request, event, **overrides), status=status)


def _refused(request: HttpRequest, event: Event, exc: DomainError, **overrides: Any) -> HttpResponse:
    """A write the market refused: the event's page again with the reason (nothing was written)."""
    if isinstance(exc, NotFound):
        raise Http404(exc.message)
    if isinstance(exc, PermissionDenied):
        return _forbidden(request, exc.message)
    return _event_page(request, event, status=exc.http_status, error=exc.message, **overrides)


@login_required
def event(request: HttpRequest, event_id: int) -> HttpResponse:
    return _event_page(request, _event_or_404(request, event_id))


def _done(event: Event) -> HttpResponse:
    return redirect("console:market_event", event_id=event.pk)


@login_required
@require_POST
def event_window(request: HttpRequest, event_id: int) -> HttpResponse:
    found = _event_or_404(request, event_id)
    form = forms.WindowForm(request.POST)
    if not form.is_valid():
        return _event_page(request, found, status=400, window_form=form)
    try:
        window = services.add_window(actor=request.user, event=found, **form.cleaned_data)
    except DomainError as exc:
        return _refused(request, found, exc, window_form=form)
    messages.success(request, _("Window %(window)s added.") % {"window": str(window)})
    return _done(found)


@login_required
@require_POST
def event_offering(request: HttpRequest, event_id: int) -> HttpResponse:
    """A service at the event from a project of the community's projects list (its name and provider copied; the
    list price is the project's unless another is given)."""
    found = _event_or_404(request, event_id)
    if not policies.can_manage(request.user, found.node):
        return _forbidden(request, _("You may not plan the services of this event."))
    form = forms.OfferingForm(request.POST, projects=_projects(request, found), windows=list(found.windows.all()))
    if not form.is_valid():
        return _event_page(request, found, status=400, offering_form=form)
    data = form.cleaned_data
    project = data["project"]
    offer = services.OfferingInput(
        name=project.name,
        provider=project.provider.name,
        project_id=project.pk,
        list_price=data["list_price"].strip() or str(project.price),
        merchant_discount=data["merchant_discount"].strip() or "0",
        discount_percent=data["discount_percent"].strip() or None,
        community_subsidy=data["community_subsidy"].strip() or "0",
        free_rules_apply=data["free_rules_apply"],
        slot_minutes=data["slot_minutes"],
        per_slot=data["per_slot"],
        per_resident=data["per_resident"],
        waiting_list=data["waiting_list"],
    )
    try:
        made = services.add_offering(
            actor=request.user, event=found, data=offer, window=data["window"], whole_series=data["whole_series"]
        )
    except DomainError as exc:
        return _refused(request, found, exc, offering_form=form)
    if len(made) > 1:
        messages.success(
            request, _("%(service)s offered at %(n)s days of the series.") % {"service": project.name, "n": len(made)}
        )
    else:
        messages.success(request, _("%(service)s offered.") % {"service": project.name})
    return _done(found)


def _offering_of(request: HttpRequest, found: Event, offering_id: int) -> Offering:
    try:
        offering = market_selectors.offering_for(request.user, offering_id)
    except NotFound as exc:
        raise Http404(exc.message) from None
    if offering.event_id != found.pk:
        raise Http404(_("No such service at this event."))
    return offering


@login_required
@require_POST
def offering_prices(request: HttpRequest, event_id: int, offering_id: int) -> HttpResponse:
    """New prices for what is booked from now on (bookings keep theirs)."""
    found = _event_or_404(request, event_id)
    offering = _offering_of(request, found, offering_id)
    form = forms.PricesForm(request.POST)
    if not form.is_valid():
        return _event_page(
            request,
            found,
            status=400,
            error=_("Check the prices: %(fields)s.")
            % {"fields": "; ".join(f"{form.fields[k].label}: {' '.join(v)}" for k, v in form.errors.items())},
        )
    data = form.cleaned_data
    offer = services.OfferingInput(
        name=offering.name,
        provider=offering.provider,
        project_id=offering.project_id,
        list_price=data["list_price"].strip(),
        merchant_discount=data["merchant_discount"].strip() or "0",
        discount_percent=data["discount_percent"].strip() or None,
        community_subsidy=data["community_subsidy"].strip() or "0",
        free_rules_apply=data["free_rules_apply"],
        slot_minutes=offering.slot_minutes,
        per_slot=offering.per_slot,
        per_resident=data["per_resident"],
        waiting_list=data["waiting_list"],
    )
    try:
        services.change_prices(actor=request.user, offering=offering, data=offer)
    except DomainError as exc:
        return _refused(request, found, exc)
    messages.success(request, _("Prices of %(service)s changed.") % {"service": offering.name})
    return _done(found)


@login_required
@require_POST
def slot_capacity(request: HttpRequest, event_id: int, slot_id: int) -> HttpResponse:
    found = _event_or_404(request, event_id)
    try:
        slot = market_selectors.slot_for(request.user, slot_id)
    except NotFound as exc:
        raise Http404(exc.message) from None
    if slot.offering.event_id != found.pk:
        raise Http404(_("No such slot at this event."))
    form = forms.CapacityForm(request.POST)
    if not form.is_valid():
        return _event_page(request, found, status=400, error=_("Places must be a whole number from 0 to 500."))
    try:
        services.set_capacity(actor=request.user, slot=slot, capacity=form.cleaned_data["capacity"])
    except DomainError as exc:
        return _refused(request, found, exc)
    messages.success(
        request,
        _("%(service)s %(time)s now holds %(n)s places.")
        % {
            "service": slot.offering.name,
            "time": timeutil.local(slot.starts).strftime("%H:%M"),
            "n": form.cleaned_data["capacity"],
        },
    )
    return _done(found)


@login_required
@require_POST
def event_publish(request: HttpRequest, event_id: int) -> HttpResponse:
    found = _event_or_404(request, event_id)
    try:
        services.publish(actor=request.user, event=found)
    except DomainError as exc:
        return _refused(request, found, exc)
    messages.success(request, _("Published: residents can book now."))
    return _done(found)


@login_required
@require_POST
def event_cancel(request: HttpRequest, event_id: int) -> HttpResponse:
    found = _event_or_404(request, event_id)
    form = forms.CancelEventForm(request.POST)
    if not form.is_valid():
        return _event_page(request, found, status=400, cancel_form=form)
    try:
        told = services.cancel_event(actor=request.user, event=found, reason=form.cleaned_data["reason"])
    except DomainError as exc:
        return _refused(request, found, exc, cancel_form=form)
    messages.success(request, _("Event cancelled; %(n)s residents were told by SMS.") % {"n": told})
    return _done(found)


def _resident(data: dict[str, Any]) -> services.Resident:
    return services.Resident(
        phone=data.get("phone") or "",
        name=data.get("name") or "",
        age=data.get("age"),
        groups=tuple(data.get("groups") or ()),
    )


@login_required
@require_POST
def event_book(request: HttpRequest, event_id: int) -> HttpResponse:
    """Staff book a place for a resident without a phone (logged by the service as made on their behalf)."""
    found = _event_or_404(request, event_id)
    form = forms.BookForm(
        request.POST,
        slots=_slot_choices(market_selectors.offerings(found)),
        groups=_rule_groups(found.node.jurisdiction_id),
    )
    if not form.is_valid():
        return _event_page(request, found, status=400, book_form=form)
    try:
        booking = services.book(
            event_id=found.pk,
            slot_id=int(form.cleaned_data["slot"]),
            resident=_resident(form.cleaned_data),
            actor=request.user,
        )
    except DomainError as exc:
        return _refused(request, found, exc, book_form=form)
    if booking.status == BookingStatus.WAITING:
        message = _("The slot is full: %(name)s is on the waiting list (code %(code)s).")
    else:
        message = _("Booked for %(name)s: code %(code)s, pays ¥%(paid)s.")
    messages.success(
        request, message % {"name": mask_name(booking.name), "code": booking.code, "paid": booking.resident_pays}
    )
    return _done(found)


# ---------------------------------------------------------------------------------------------------- the desk


def _terms_split(booking: Booking, *, free: bool) -> pricing.Price | None:
    terms = booking.terms or {}
    try:
        return pricing.split(
            terms["list_price"],
            discount=terms["discount"],
            discount_percent=terms["discount_percent"],
            subsidy=terms["subsidy"],
            free=free,
        )
    except (KeyError, pricing.PriceError):
        return None


def _desk_context(request: HttpRequest, found: Event, **overrides: Any) -> dict[str, Any]:
    offerings = market_selectors.offerings(found)
    groups = _rule_groups(found.node.jurisdiction_id)
    counts = {
        row["offering"]: row
        for row in market_selectors.bookings_at(found)
        .order_by()
        .values("offering")
        .annotate(
            confirmed=Count("pk", filter=Q(status=BookingStatus.CONFIRMED)),
            served=Count("pk", filter=Q(status=BookingStatus.SERVED)),
            no_show=Count("pk", filter=Q(status=BookingStatus.NO_SHOW)),
        )
    }
    context = {
        "event": found,
        "today": timeutil.local_today(),
        "offerings": [
            {
                "offering": o,
                "free_places": sum(s.free for s in o.slots.all() if s.ends > timeutil.now()),
                "counts": counts.get(o.pk, {}),
            }
            for o in offerings
        ],
        "walk_up_form": forms.WalkUpForm(offerings=offerings, groups=groups),
        "groups": groups,
        "found": None,
        "matches": [],
        "error": "",
    }
    context.update(overrides)
    return context


def _desk_page(request: HttpRequest, found: Event, *, status: int = 200, **overrides: Any) -> HttpResponse:
    return render(request, "console/market/desk.html", _desk_context(request, found, **overrides), status=status)


def _desk_or_refuse(request: HttpRequest, event_id: int) -> Event | HttpResponse:
    found = _event_or_404(request, event_id)
    if not policies.can_desk(request.user, found.node):
        return _forbidden(request, _("You keep no stall at this market."))
    return found


def _found(booking: Booking, groups: list[str]) -> dict[str, Any]:
    return {
        **_masked(booking),
        "slot_start": timeutil.local(booking.slot.starts),
        "slot_end": timeutil.local(booking.slot.ends),
        "ordinary": _terms_split(booking, free=False),
        "free": _terms_split(booking, free=True) if booking.offering.free_rules_apply else None,
        "can_check_in": booking.status == BookingStatus.CONFIRMED,
        "form": forms.CheckInForm(
            initial={"code": booking.code, "age": booking.declared_age, "groups": booking.declared_groups},
            groups=sorted({*groups, *booking.declared_groups}),
        ),
    }


def _lookup(request: HttpRequest, found: Event, code: str) -> tuple[Booking | None, str, int]:
    """The booking a scanned or typed code names at this event: (booking, error, status)."""
    try:
        booking = services.booking_for_desk(actor=request.user, code=code)
    except DomainError as exc:
        return None, exc.message, exc.http_status
    if booking.event_id != found.pk:
        other = booking.event
        return (
            None,
            _("This booking is for %(title)s on %(day)s, not for this event.")
            % {"title": other.title, "day": other.day},
            409,
        )
    return booking, "", 200


@login_required
def desk(request: HttpRequest, event_id: int) -> HttpResponse:
    """The stall's check-in screen (a tablet): scan or type the booking code, or find by phone number."""
    found = _desk_or_refuse(request, event_id)
    if isinstance(found, HttpResponse):
        return found
    groups = _rule_groups(found.node.jurisdiction_id)
    code = (request.GET.get("code") or "").strip()
    phone = (request.GET.get("phone") or "").strip()
    if code:
        booking, error, status = _lookup(request, found, code)
        if booking is None:
            return _desk_page(request, found, status=status, error=error, code=code)
        return _desk_page(request, found, found_booking=_found(booking, groups), code=code)
    if phone:
        try:
            rows = market_selectors.bookings_by_phone(found, services.mobile(phone))
        except DomainError as exc:
            return _desk_page(request, found, status=400, error=exc.message, phone=phone)
        if len(rows) == 1:
            return _desk_page(request, found, found_booking=_found(rows[0], groups), phone=phone)
        if not rows:
            return _desk_page(request, found, error=_("No booking with this number at this event."), phone=phone)
        return _desk_page(request, found, matches=[_masked(b) for b in rows], phone=phone)
    return _desk_page(request, found)


def _back_to_desk(found: Event) -> HttpResponse:
    return redirect("console:market_desk", event_id=found.pk)


@login_required
@require_POST
def desk_check_in(request: HttpRequest, event_id: int) -> HttpResponse:
    """Serve a resident with a booking: the age (and groups) as the stall confirms them; the price follows."""
    found = _desk_or_refuse(request, event_id)
    if isinstance(found, HttpResponse):
        return found
    groups = _rule_groups(found.node.jurisdiction_id)
    form = forms.CheckInForm(request.POST, groups=groups)
    raw_groups = request.POST.getlist("groups")
    if not form.is_valid() and set(form.errors) - {"groups"}:
        return _desk_page(request, found, status=400, error=_("Enter the age in years, from 0 to 130."))
    code = request.POST.get("code", "")
    booking, error, status = _lookup(request, found, code)
    if booking is None:
        return _desk_page(request, found, status=status, error=error)
    # Groups the resident declared stay choosable even if the rules changed since.
    allowed = {*groups, *booking.declared_groups}
    checked = [g for g in raw_groups if g in allowed]
    try:
        served = services.check_in(
            actor=request.user, code=booking.code, age=form.cleaned_data.get("age"), groups=checked
        )
    except DomainError as exc:
        if isinstance(exc, NotFound):
            return _desk_page(request, found, status=404, error=exc.message)
        return _desk_page(
            request, found, status=exc.http_status, error=exc.message, found_booking=_found(booking, groups)
        )
    messages.success(request, _checked_in_message(served))
    return _back_to_desk(found)


def _checked_in_message(booking: Booking) -> str:
    text = _("Checked in: %(service)s %(time)s, %(name)s — resident pays ¥%(paid)s.") % {
        "service": booking.offering.name,
        "time": timeutil.local(booking.slot.starts).strftime("%H:%M"),
        "name": mask_name(booking.name) or mask_phone(booking.phone) or booking.code,
        "paid": booking.resident_pays,
    }
    if booking.free_reason:
        text += " " + _("Free: the community pays ¥%(subsidy)s.") % {"subsidy": booking.subsidy}
    return text


@login_required
@require_POST
def desk_walk_up(request: HttpRequest, event_id: int) -> HttpResponse:
    """A resident without a booking takes a free place (the slot running now, else the next with room)."""
    found = _desk_or_refuse(request, event_id)
    if isinstance(found, HttpResponse):
        return found
    offerings = market_selectors.offerings(found)
    form = forms.WalkUpForm(request.POST, offerings=offerings, groups=_rule_groups(found.node.jurisdiction_id))
    if not form.is_valid():
        return _desk_page(request, found, status=400, walk_up_form=form)
    try:
        booking = services.walk_up(
            actor=request.user, offering=form.cleaned_data["offering"], resident=_resident(form.cleaned_data)
        )
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise Http404(exc.message) from None
        return _desk_page(request, found, status=exc.http_status, error=exc.message, walk_up_form=form)
    messages.success(request, _checked_in_message(booking))
    return _back_to_desk(found)


@login_required
@require_POST
def desk_close(request: HttpRequest, event_id: int) -> HttpResponse:
    """The end of the day: confirmed bookings whose slot is over become no-shows."""
    found = _desk_or_refuse(request, event_id)
    if isinstance(found, HttpResponse):
        return found
    try:
        missed = services.close_day(actor=request.user, event=found)
    except DomainError as exc:
        return _desk_page(request, found, status=exc.http_status, error=exc.message)
    messages.success(request, _("Day closed: %(n)s bookings marked as not come.") % {"n": missed})
    return _back_to_desk(found)


# ---------------------------------------------------------------------------------------------------- the ledger


@dataclass(frozen=True)
class LedgerScope:
    """Which events a ledger sums, and how its title names them."""

    events: QuerySet[Event]
    community: str
    period: str
    stem: str  # file name without extension
    query: str  # the page's query string, for the export links
    event: Event | None = None


def _month_end(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _ledger_scope(request: HttpRequest, event_id: int | None) -> tuple[LedgerScope | None, Any]:
    if event_id is not None:
        found = _event_or_404(request, event_id)
        scope = LedgerScope(
            events=market_selectors.events_visible_to(request.user).filter(pk=found.pk),
            community=_community(found.node).name,
            period=f"{found.day:%Y-%m-%d} {found.title}",
            stem=f"ledger-{found.day:%Y%m%d}-{found.pk}",
            query="",
            event=found,
        )
        return scope, None
    nodes = _communities(request)
    raw_node = request.GET.get("node") or ""
    if raw_node and parse_id(raw_node) not in {n.pk for n in nodes}:
        raise Http404(_("No such community in your scope."))
    data = request.GET.copy()
    data.setdefault("month", timeutil.local_today().strftime("%Y-%m"))
    form = forms.LedgerForm(data, nodes=nodes)
    if not form.is_valid():
        return None, form
    first, node = form.cleaned_data["month"], form.cleaned_data["node"]
    events = market_selectors.events_in(
        market_selectors.events_visible_to(request.user), first=first, last=_month_end(first)
    )
    if node is not None:
        events = events.filter(node__jurisdiction_id=node.jurisdiction_id, node__path__startswith=node.path)
    query = f"month={first:%Y-%m}" + (f"&node={node.pk}" if node else "")
    scope = LedgerScope(
        events=events,
        community=node.name if node else _("all communities in my area"),
        period=f"{first:%Y-%m}",
        stem=f"ledger-{first:%Y%m}" + (f"-{node.pk}" if node else ""),
        query=query,
    )
    return scope, form


def _ledger_or_refuse(
    request: HttpRequest, event_id: int | None
) -> tuple[LedgerScope | None, Any, HttpResponse | None]:
    if not market_selectors.can_view(request.user):
        return None, None, _forbidden(request, _("Your posts keep no market."))
    scope, form = _ledger_scope(request, event_id)
    if scope is None:
        context = {"form": form, "scope": None, "ledger": None}
        return None, form, render(request, "console/market/ledger.html", context, status=400)
    return scope, form, None


@login_required
def ledger(request: HttpRequest, event_id: int | None = None) -> HttpResponse:
    """The subsidy ledger (补贴台账) of one event, or of a month for one community or all in scope."""
    scope, form, refused = _ledger_or_refuse(request, event_id)
    if refused is not None:
        return refused
    assert scope is not None
    book = market_selectors.ledger(scope.events)
    context = {
        "form": form,
        "scope": scope,
        "ledger": book,
        "events": scope.events.count(),
        "xlsx": _export_url("xlsx", scope),
        "pdf": _export_url("pdf", scope),
    }
    return render(request, "console/market/ledger.html", context)


def _export_url(kind: str, scope: LedgerScope) -> str:
    if scope.event is not None:
        return reverse(f"console:market_event_ledger_{kind}", args=[scope.event.pk])
    return reverse(f"console:market_ledger_{kind}") + "?" + scope.query


def _export(request: HttpRequest, event_id: int | None, kind: str) -> HttpResponse:
    scope, _form, refused = _ledger_or_refuse(request, event_id)
    if refused is not None:
        return refused
    assert scope is not None
    book = market_selectors.ledger(scope.events)
    sheet = market_exports.LedgerSheet(community=scope.community, period=scope.period, ledger=book)
    if kind == "xlsx":
        response = HttpResponse(market_exports.ledger_xlsx(sheet), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{scope.stem}.xlsx"'
    else:
        response = HttpResponse(market_exports.ledger_pdf(sheet), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{scope.stem}.pdf"'
    return response


@login_required
def ledger_xlsx(request: HttpRequest, event_id: int | None = None) -> HttpResponse:
    return _export(request, event_id, "xlsx")


@login_required
def ledger_pdf(request: HttpRequest, event_id: int | None = None) -> HttpResponse:
    return _export(request, event_id, "pdf")
