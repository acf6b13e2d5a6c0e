"""Resident pages of the stations: "near me" (a list and a map, nearest first with walking minutes, filtered by
service item and distance), a station's page (hours, items, who is on duty now) and the matters catalogue (办事) with
its "apply" / "代办" form for a resident logged in with their phone.

A 代办 request is a case of kind errand filed through the case engine (``cases.services``) and noted at the station
the resident chose (``stations.services.record_intake``) in the same transaction; the resident follows it in 我的诉求
like any case.
"""

from __future__ import annotations

import math
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from gongzhi.cases import services as case_services
from gongzhi.cases.choices import Channel
from gongzhi.cases.models import CaseCategory
from gongzhi.core.errors import DomainError
from gongzhi.core.http import BadInput, parse_id, query_point
from gongzhi.grid import selectors as grid_selectors
from gongzhi.grid.geo import haversine_m
from gongzhi.grid.models import Compound, Jurisdiction
from gongzhi.lists import selectors as lists_selectors
from gongzhi.lists.choices import ResourceKind
from gongzhi.portal import phone_login, selectors
from gongzhi.stations import selectors as station_selectors
from gongzhi.stations import services as station_services
from gongzhi.stations.choices import MatterMode
from gongzhi.stations.models import Matter

WITHIN = (5, 10, 15, 30)  # the distance filter, in walking minutes
ALL_PLACES = "all"  # ``show``: stations and every resource; "" stations only; a resource kind: those resources only
MAX_RESOURCES = 100  # resource rows on one page (the nearest first when the resident's place is known)
MAX_NOTE = 500


def _jurisdiction(request: HttpRequest) -> Jurisdiction | None:
    code = request.GET.get("j") or request.POST.get("j") or ""
    if code:
        return Jurisdiction.objects.filter(code=code[:32]).first()
    return selectors.default_jurisdiction()


def _card(post: Any) -> dict[str, str]:
    """Who is on duty, as residents see them: name and post title only (never a personal number)."""
    return {"name": str(post.user), "title": post.title or post.get_role_display()}


def _near(request: HttpRequest, jurisdiction: Jurisdiction) -> dict[str, Any]:
    lat = lon = None
    origin = ""
    point = query_point(request)
    if point is not None:
        lat, lon = point
        origin = _("your location")
    compound = None
    if request.GET.get("compound") and lat is None:
        compound_id = parse_id(request.GET["compound"])
        compound = Compound.objects.filter(pk=compound_id, jurisdiction=jurisdiction).first() if compound_id else None
        if compound is None or compound.lat is None or compound.lon is None:
            raise BadInput(_("That compound is not known or has no place on the map."))
        lat, lon, origin = compound.lat, compound.lon, compound.name
    items = station_selectors.items()
    item = request.GET.get("item", "")
    if item and item not in {i.code for i in items}:
        raise BadInput(_("That service is not known."))
    within_text = request.GET.get("within", "")
    within = parse_id(within_text) if within_text else None
    if within_text and within not in WITHIN:
        raise BadInput(_("Choose a walk of 5, 10, 15 or 30 minutes."))
    show = request.GET.get("show", "")
    if show and show != ALL_PLACES and show not in ResourceKind.values:
        raise BadInput(_("That kind of place is not known."))
    rows: list[dict[str, Any]] = []
    if show in ("", ALL_PLACES):
        if lat is not None and lon is not None:
            near = station_selectors.nearest(jurisdiction.pk, lat, lon, item=item, max_minutes=within)
            rows = [{"station": n.station, "metres": round(n.metres), "minutes": math.ceil(n.minutes)} for n in near]
        else:
            found = station_selectors.public_stations().filter(node__jurisdiction=jurisdiction)
            if item:
                found = found.filter(items__code=item).distinct()
            rows = [{"station": s, "metres": None, "minutes": None} for s in found]
        for row in rows:
            row["open"] = station_selectors.is_open(row["station"])
    resources, more = _resources(jurisdiction, show, lat, lon, within)
    rows = sorted(rows + resources, key=lambda r: r["metres"]) if lat is not None else rows + resources
    compounds = Compound.objects.filter(jurisdiction=jurisdiction, lat__isnull=False).order_by("name")[:2000]
    return {
        "jurisdiction": jurisdiction,
        "rows": rows,
        "items": items,
        "item": item,
        "show": show,
        "show_choices": [(ALL_PLACES, _("stations and every other place")), *ResourceKind.choices],
        "more_resources": more,
        "within": within,
        "within_choices": WITHIN,
        "origin": origin,
        "lat": lat,
        "lon": lon,
        "compound": compound,
        "compounds": compounds,
        "data_url": reverse("portal:stations_geojson") + "?" + request.GET.urlencode(),
    }


def _resources(
    jurisdiction: Jurisdiction, show: str, lat: float | None, lon: float | None, within: int | None
) -> tuple[list[dict[str, Any]], bool]:
    """The resources list's places (clinics, merchants, elderly care …) for "near me" when ``show`` asks for them:
    nearest first within the walk when the resident's place is known; at most MAX_RESOURCES (and whether more were
    left out). The lists domain keeps them; the walk is the stations' stated model, as for the stations."""
    if not show:
        return [], False
    model = station_selectors.walk_model()
    rows = []
    for resource in lists_selectors.placed_resources(jurisdiction.pk, "" if show == ALL_PLACES else show):
        row: dict[str, Any] = {"resource": resource, "metres": None, "minutes": None}
        if lat is not None and lon is not None:
            assert resource.lat is not None and resource.lon is not None
            metres = haversine_m(lat, lon, resource.lat, resource.lon)
            minutes = model.minutes_for(metres)
            if within is not None and minutes > within:
                continue
            row.update(metres=round(metres), minutes=math.ceil(minutes))
        rows.append(row)
    if lat is not None:
        rows.sort(key=lambda r: (r["metres"], r["resource"].pk))
    return rows[:MAX_RESOURCES], len(rows) > MAX_RESOURCES


@require_GET
def stations(request: HttpRequest) -> HttpResponse:
    """Stations near the resident: from the browser's location (``lat``, ``lon``) or their compound (``compound``),
    nearest first with walking minutes; filtered by a service item (``item``) and a walk (``within`` minutes)."""
    jurisdiction = _jurisdiction(request)
    if jurisdiction is None:
        return render(request, "portal/not_found.html", {"message": _("This area is not known.")}, status=404)
    return render(request, "portal/stations.html", _near(request, jurisdiction))


@require_GET
def stations_geojson(request: HttpRequest) -> HttpResponse:
    """The stations of the list as map points (the same filters), nearest first."""
    jurisdiction = _jurisdiction(request)
    if jurisdiction is None:
        return JsonResponse({"type": "FeatureCollection", "features": []})
    return JsonResponse(_features(_near(request, jurisdiction)["rows"]))


def _features(rows: list[dict[str, Any]]) -> dict[str, Any]:
    features = []
    for row in rows:
        place = row.get("station") or row["resource"]
        if place.lat is None or place.lon is None:
            continue
        if "station" in row:
            properties = {"kind": place.get_kind_display(), "url": reverse("portal:station", args=[place.pk])}
        else:
            properties = {
                "kind": place.get_kind_display(),
                "url": reverse("portal:service_resource", args=[place.node_id, place.pk]),
                "resource": True,
            }
        properties.update(id=place.pk, name=place.name, minutes=row["minutes"])
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [place.lon, place.lat]},
                "properties": properties,
            }
        )
    return {"type": "FeatureCollection", "features": features}


@require_GET
def station(request: HttpRequest, station_id: int) -> HttpResponse:
    found = station_selectors.public_station(station_id)
    if found is None:
        return render(request, "portal/not_found.html", {"message": _("This station is not known.")}, status=404)
    context = {
        "station": found,
        "open": station_selectors.is_open(found),
        "week": station_selectors.week(found),
        "duty": [_card(post) for post in station_selectors.on_duty(found) if post.is_public],
        "matters": list(found.matters.all()),
    }
    return render(request, "portal/station.html", context)


@require_GET
def matters(request: HttpRequest) -> HttpResponse:
    jurisdiction = _jurisdiction(request)
    rows = list(station_selectors.matters(jurisdiction.pk)) if jurisdiction else []
    return render(request, "portal/matters.html", {"matters": rows, "jurisdiction": jurisdiction})


def _errand_category(matter: Matter) -> CaseCategory | None:
    return CaseCategory.objects.filter(
        jurisdiction_id=matter.jurisdiction_id, code=matter.category_code, active=True, kind="errand"
    ).first()


@never_cache
@require_http_methods(["GET", "POST"])
def matter(request: HttpRequest, code: str) -> HttpResponse:
    """A matter: what to bring, where and how long; and, for a resident logged in with their phone, "代办" — a case of
    kind errand handled for them at the station they choose."""
    jurisdiction = _jurisdiction(request)
    found = station_selectors.matter(jurisdiction.pk, code) if jurisdiction else None
    if found is None:
        return render(request, "portal/not_found.html", {"message": _("This matter is not known.")}, status=404)
    login = phone_login.current(request)
    accepting = [s for s in found.stations.all() if s.active]
    context: dict[str, Any] = {"matter": found, "login": login, "stations": accepting, "error": "", "note": ""}
    if request.method == "GET":
        return render(request, "portal/matter.html", context)
    if login is None:
        return redirect(reverse("portal:login") + "?next=" + reverse("portal:matter", args=[found.code]))
    number = phone_login.number(request)
    note = request.POST.get("note", "").strip()
    context["note"] = note
    station_id = parse_id(request.POST.get("station"))
    chosen = next((s for s in accepting if s.pk == station_id), None)
    category = _errand_category(found)
    if found.mode != MatterMode.PROXY:
        context["error"] = _("This matter is applied for online; follow the link to the online service.")
    elif chosen is None:
        context["error"] = _("Choose the station that will handle it for you.")
    elif len(note) > MAX_NOTE:
        context["error"] = _("The note is too long (at most %(max)d characters).") % {"max": MAX_NOTE}
    elif category is None or not number:
        context["error"] = _("This matter cannot be requested here at the moment.")
    if context["error"]:
        return render(request, "portal/matter.html", context, status=400)
    assert chosen is not None and category is not None
    try:
        submission = case_services.prepare_submission(
            jurisdiction=jurisdiction,
            channel=Channel.WEB,
            title=found.name,
            description=note,
            category=category,
            reporter_phone=number,
            reporter_login_phone=number,
            place_node=grid_selectors.node(chosen.node_id),
            address=chosen.name,
            internal_attributes={"_matter": found.code, "_on_behalf": True, "_station": chosen.pk},
        )
        with transaction.atomic():
            case = case_services.file_submission(submission)
            station_services.record_intake(station=chosen, case_id=case.pk, at=case.submitted_at, matter=found)
    except DomainError as exc:
        context["error"] = exc.message
        return render(request, "portal/matter.html", context, status=400)
    return redirect("portal:track", code=case.tracking_code)
