"""The console's station pages: the list (with the tier check), a station's set-up and rota, and its desk — "+1
visitor", a walk-in request recorded as a case (optionally 即时办结 in the same step), 代办 of a matter on a resident's
behalf (a case of kind errand), and the day report.

Cases are the case engine's: these views call ``cases.services`` and note the case at the station
(``stations.services.record_intake``) in the same transaction — the stations domain never imports the cases domain.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gongzhi.cases import services as case_services
from gongzhi.cases.choices import Channel
from gongzhi.cases.models import Case, CaseCategory
from gongzhi.console import selectors, station_forms
from gongzhi.core.errors import DomainError, NotFound
from gongzhi.core.http import BadInput, parse_id
from gongzhi.grid import roles
from gongzhi.grid import selectors as grid_selectors
from gongzhi.grid.models import GridNode, Jurisdiction, StaffPost
from gongzhi.stations import policies
from gongzhi.stations import selectors as station_selectors
from gongzhi.stations import services as station_services
from gongzhi.stations.models import Station

MANAGED_LEVELS = (roles.STREET, roles.COMMUNITY, roles.GRID, roles.MICRO_GRID)
MAX_NODES = 2000


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "403.html", {"exception": message}, status=403)


def _station_or_404(request: HttpRequest, station_id: int) -> Station:
    try:
        return station_selectors.station_for(request.user, station_id)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _managed_nodes(user: Any) -> list[GridNode]:
    """Where the viewer may set up stations: the subtrees their posts manage stations in (streets to micro-grids)."""
    condition = None
    for post in grid_selectors.active_posts(user):
        if post.node is None or not roles.can(post.role, roles.STATION_MANAGE):
            continue
        part = Q(jurisdiction_id=post.node.jurisdiction_id, path__startswith=post.node.path)
        condition = part if condition is None else condition | part
    if condition is None:
        if getattr(user, "is_superuser", False) and user.is_active:
            return list(
                GridNode.objects.filter(level__in=MANAGED_LEVELS).defer("boundary").order_by("path")[:MAX_NODES]
            )
        return []
    rows = GridNode.objects.filter(condition, level__in=MANAGED_LEVELS).defer("boundary").order_by("path")
    return list(rows[:MAX_NODES])


def _rota_posts(station: Station, user: Any) -> list[StaffPost]:
    """Active grid posts in the station's community (or the station's own area above it) the viewer manages."""
    node = grid_selectors.node(station.node_id)
    area = grid_selectors.ancestor_at(node, roles.COMMUNITY) or node
    rows = (
        StaffPost.objects.filter(
            active=True, node__jurisdiction_id=area.jurisdiction_id, node__path__startswith=area.path
        )
        .select_related("user", "node")
        .order_by("node__path", "role", "pk")[:500]
    )
    return [p for p in rows if p.node is not None and policies.can_manage(user, p.node)]


# ---------------------------------------------------------------------------------------------------------- list


@login_required
def stations(request: HttpRequest) -> HttpResponse:
    if not selectors.workbenches(request.user).stations:
        return _forbidden(request, _("Your posts keep no station."))
    required = station_selectors.requirements()
    rows = [
        {
            "station": s,
            "check": station_selectors.tier_check(s, required),
            "manage": policies.can_manage(request.user, s.node),
        }
        for s in station_selectors.stations_for(request.user)[:500]
    ]
    names = {i.code: i.label for i in station_selectors.items()}
    for row in rows:
        row["missing"] = [names.get(code, code) for code in row["check"].missing]
    context = {"rows": rows, "can_create": bool(_managed_nodes(request.user))}
    return render(request, "console/stations.html", context)


# --------------------------------------------------------------------------------------------------- set-up, rota


def _edit(request: HttpRequest, station: Station | None) -> HttpResponse:
    nodes = _managed_nodes(request.user)
    if not nodes:
        return _forbidden(request, _("You may not set up stations."))
    form = station_forms.StationForm(request.POST or None, nodes=nodes, station=station)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = station_services.save_station(
                actor=request.user,
                station=station,
                node=data["node"],
                name=data["name"],
                kind=data["kind"],
                tier=data["tier"],
                address=data["address"],
                phone=data["phone"],
                lat=data["lat"],
                lon=data["lon"],
                items=data["items"],
                hours=data["hours"],
                closed_on_holidays=data["closed_on_holidays"],
                active=data["active"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Station %(name)s saved.") % {"name": saved.name})
            return redirect("console:station", station_id=saved.pk)
    context = {"form": form, "station": station, "map_node": nodes[0]}
    return render(request, "console/station_edit.html", context, status=400 if form.errors else 200)


@login_required
def station_new(request: HttpRequest) -> HttpResponse:
    return _edit(request, None)


@login_required
def station_edit(request: HttpRequest, station_id: int) -> HttpResponse:
    station = _station_or_404(request, station_id)
    if not policies.can_manage(request.user, station.node):
        return _forbidden(request, _("You may not set up this station."))
    return _edit(request, station)


@login_required
def station_rota(request: HttpRequest, station_id: int) -> HttpResponse:
    station = _station_or_404(request, station_id)
    if not policies.can_manage(request.user, station.node):
        return _forbidden(request, _("You may not change this station's rota."))
    form = station_forms.ShiftForm(request.POST or None, posts=_rota_posts(station, request.user))
    if request.method == "POST":
        remove = parse_id(request.POST.get("remove"))
        if remove is not None:
            shift = station.shifts.filter(pk=remove).select_related("station__node").first()
            if shift is None:
                raise BadInput(_("That shift is not on this station's rota."))
            station_services.remove_shift(actor=request.user, shift=shift)
            messages.success(request, _("Shift removed."))
            return redirect("console:station_rota", station_id=station.pk)
        if form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    for weekday in data["weekdays"]:
                        station_services.add_shift(
                            actor=request.user,
                            station=station,
                            post=data["post"],
                            weekday=weekday,
                            starts=data["starts"],
                            ends=data["ends"],
                        )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Shifts added."))
                return redirect("console:station_rota", station_id=station.pk)
    context = {
        "station": station,
        "form": form,
        "shifts": station_selectors.shifts(station),
        "on_duty": station_selectors.on_duty(station),
    }
    return render(request, "console/station_rota.html", context, status=400 if form.errors else 200)


# ----------------------------------------------------------------------------------------------------------- desk


def _desk_context(request: HttpRequest, found: Station, **forms: Any) -> dict[str, Any]:
    check = station_selectors.tier_check(found)
    return {
        "station": found,
        "desk": policies.can_desk(request.user, found) and found.active,
        "manage": policies.can_manage(request.user, found.node),
        "check": check,
        "missing": station_selectors.item_names(check.missing),
        "on_duty": station_selectors.on_duty(found),
        "open": station_selectors.is_open(found),
        "visit_form": station_forms.VisitForm(),
        "walk_in_form": station_forms.WalkInForm(),
        "errand_form": station_forms.ErrandForm(matters=list(found.matters.filter(active=True))),
        **forms,
    }


@login_required
def station(request: HttpRequest, station_id: int) -> HttpResponse:
    """The station's desk: +1 visitor, a walk-in request (即时办结 too), 代办 for a resident, and the day report."""
    found = _station_or_404(request, station_id)
    return render(request, "console/station.html", _desk_context(request, found))


def _desk_or_refuse(request: HttpRequest, station_id: int) -> Station | HttpResponse:
    found = _station_or_404(request, station_id)
    try:
        station_services.check_desk(actor=request.user, station=found)
    except DomainError as exc:
        return _forbidden(request, exc.message)
    return found


@login_required
@require_POST
def station_visit(request: HttpRequest, station_id: int) -> HttpResponse:
    found = _desk_or_refuse(request, station_id)
    if isinstance(found, HttpResponse):
        return found
    form = station_forms.VisitForm(request.POST)
    if not form.is_valid():
        raise BadInput(_("The purpose is too long (at most 100 characters)."))
    try:
        station_services.record_visit(actor=request.user, station=found, purpose=form.cleaned_data["purpose"])
    except DomainError as exc:
        raise BadInput(exc.message) from None
    messages.success(request, _("+1 visitor counted."))
    return redirect("console:station", station_id=found.pk)


def file_at_station(
    *,
    station: Station,
    actor: Any,
    result: str = "",
    matter: Any = None,
    **submission: Any,
) -> Case:
    """File a case taken at ``station`` (and, with ``result``, solve it on the spot: 即时办结) and note it there, all
    in one transaction: the case, its events and the station's note exist together or not at all."""
    node = grid_selectors.node(station.node_id)
    prepared = case_services.prepare_submission(
        jurisdiction=Jurisdiction.objects.get(pk=node.jurisdiction_id),
        place_node=node,
        recorded_by=actor,
        **submission,
    )
    with transaction.atomic():
        case = case_services.file_submission(prepared)
        if result:
            case = case_services.resolve(case=case, actor=actor, result=result, on_the_spot=True)
        station_services.record_intake(
            station=station, case_id=case.pk, at=case.submitted_at, actor=actor, on_the_spot=bool(result), matter=matter
        )
    return case


def _desk_page_with(request: HttpRequest, found: Station, **forms: Any) -> HttpResponse:
    context = _desk_context(request, found, **forms)
    return render(request, "console/station.html", context, status=400)


@login_required
@require_POST
def station_walk_in(request: HttpRequest, station_id: int) -> HttpResponse:
    """A walk-in request recorded as a case (channel walk_in); ticked "solved on the spot", it is resolved at once."""
    found = _desk_or_refuse(request, station_id)
    if isinstance(found, HttpResponse):
        return found
    form = station_forms.WalkInForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            case = file_at_station(
                station=found,
                actor=request.user,
                result=data["result"].strip() if data["solved_on_the_spot"] else "",
                channel=Channel.WALK_IN,
                title=data["title"],
                description=data["description"],
                reporter_name=data["reporter_name"],
                reporter_phone=data["reporter_phone"],
                address=found.name,
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            if case.on_the_spot:
                messages.success(
                    request, _("Case %(code)s recorded and solved on the spot.") % {"code": case.tracking_code}
                )
            else:
                messages.success(request, _("Case %(code)s recorded.") % {"code": case.tracking_code})
            return redirect("console:station", station_id=found.pk)
    return _desk_page_with(request, found, walk_in_form=form)


def _errand_category(jurisdiction_id: int, code: str) -> CaseCategory | None:
    return CaseCategory.objects.filter(jurisdiction_id=jurisdiction_id, code=code, active=True, kind="errand").first()


@login_required
@require_POST
def station_errand(request: HttpRequest, station_id: int) -> HttpResponse:
    """代办: a matter handled for a resident, recorded at the desk as a case of kind errand on their behalf."""
    found = _desk_or_refuse(request, station_id)
    if isinstance(found, HttpResponse):
        return found
    form = station_forms.ErrandForm(request.POST, matters=list(found.matters.filter(active=True)))
    if form.is_valid():
        data = form.cleaned_data
        matter = data["matter"]
        category = _errand_category(matter.jurisdiction_id, matter.category_code)
        if category is None:
            form.add_error("matter", _("This matter has no errand category in the catalogue."))
        else:
            try:
                case = file_at_station(
                    station=found,
                    actor=request.user,
                    matter=matter,
                    channel=Channel.WALK_IN,
                    title=matter.name,
                    description=data["note"],
                    category=category,
                    reporter_name=data["reporter_name"],
                    reporter_phone=data["reporter_phone"],
                    address=found.name,
                    internal_attributes={"_matter": matter.code, "_on_behalf": True, "_station": found.pk},
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("代办 %(code)s recorded for the resident.") % {"code": case.tracking_code})
                return redirect("console:station", station_id=found.pk)
    return _desk_page_with(request, found, errand_form=form)
