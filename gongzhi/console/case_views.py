"""Case workbenches and the case page. Thin: selectors read (scoped to the viewer), services write.

Out of scope is a 404 like a missing case. In scope but not allowed (wrong role, wrong state) is a 403 that changes
nothing. A refused service call (a race, a stale page) comes back as a message on the case page.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gongzhi.cases import selectors as case_selectors
from gongzhi.cases import services
from gongzhi.cases.choices import CoTaskStatus
from gongzhi.cases.models import Case, CaseCategory
from gongzhi.console import actions, forms, selectors
from gongzhi.core import photos
from gongzhi.core.errors import DomainError, NotFound
from gongzhi.grid import roles
from gongzhi.grid import selectors as grid_selectors
from gongzhi.grid.choices import DepartmentKind, Level
from gongzhi.grid.models import Jurisdiction
from gongzhi.routing import services as routing


def _case_or_404(request: HttpRequest, case_id: int) -> Case:
    try:
        return case_selectors.case_for(request.user, case_id)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "403.html", {"exception": message}, status=403)


def _refused(request: HttpRequest, exc: DomainError) -> None:
    messages.error(request, _("The action was refused: %(reason)s") % {"reason": exc.message})


# -------------------------------------------------------------------------------------------------- workbenches


@login_required
def tasks(request: HttpRequest) -> HttpResponse:
    """Steward / grid worker: my tasks, my unit's tasks, and the pool to accept — each by deadline."""
    user = request.user
    if not selectors.workbenches(user).tasks:
        return _forbidden(request, _("Your posts do not take tasks."))
    mine = list(selectors.my_tasks(user).order_by("resolve_due", "id")[:200])
    unit = list(selectors.unit_tasks(user).order_by("resolve_due", "id")[:100])
    pool = list(selectors.pool(user).order_by("resolve_due", "id")[:100])
    return render(
        request,
        "console/tasks.html",
        {"mine": mine, "unit": unit, "pool": pool, "bench": selectors.workbenches(user)},
    )


def _triage_hints(cases: list[Case]) -> list[dict[str, Any]]:
    """What smart triage said about these cases, with names for its codes. Duplicates are offered by tracking code
    and link; their pages check the viewer's scope as usual."""
    found = routing.triage_for(c.pk for c in cases)
    if not found:
        return []
    codes = {code for row in found.values() for code, _p in row.data.get("top", [])}
    jurisdictions = {c.jurisdiction_id for c in cases}
    names = dict(
        CaseCategory.objects.filter(jurisdiction_id__in=jurisdictions, code__in=codes).values_list("code", "name")
    )
    dup_ids = {d["case"] for row in found.values() for d in row.data.get("duplicates", [])}
    dup_codes = dict(Case.objects.filter(pk__in=dup_ids).values_list("pk", "tracking_code")) if dup_ids else {}
    hints = []
    for case in cases:
        row = found.get(case.pk)
        if row is None:
            continue
        unit = row.data.get("unit") or None
        level = row.data.get("level") or None
        hints.append(
            {
                "case": case,
                "auto": row.auto_applied,
                "emergency": row.emergency,
                "reasons": row.data.get("reasons", []),
                "top": [(names.get(code, code), round(p * 100)) for code, p in row.data.get("top", [])],
                "unit": DepartmentKind(unit[0]).label if unit and unit[0] in DepartmentKind.values else "",
                "level": Level(level[0]).label if level and level[0] in Level.values else "",
                "duplicates": [
                    {"id": d["case"], "code": dup_codes.get(d["case"], ""), "similarity": round(d["similarity"] * 100)}
                    for d in row.data.get("duplicates", [])
                    if d["case"] in dup_codes
                ],
                "place": (row.data.get("place") or {}).get("name", ""),
            }
        )
    return hints


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """Community / street dispatcher: cases waiting for triage or dispatch, and the departments they summoned."""
    user = request.user
    desks = selectors.queue_nodes(user)
    if not desks and not user.is_superuser:
        return _forbidden(request, _("You do not sit at a dispatch desk."))
    chosen = request.GET.get("desk")
    node_ids = [int(chosen)] if chosen and chosen.isdigit() else None
    rows = selectors.dispatch_queue(user, node_ids=node_ids)
    page, cursor = selectors.keyset_page(
        rows, key="submitted_at", descending=False, cursor=request.GET.get("after", "")
    )
    count, capped = selectors.capped_count(rows)
    watched = list(selectors.summoned_tasks_watched(user)[:100])
    return render(
        request,
        "console/queue.html",
        {
            "rows": page,
            "next_cursor": cursor,
            "count": count,
            "capped": capped,
            "desks": desks,
            "desk": node_ids[0] if node_ids else None,
            "watched": watched,
            "hints": _triage_hints(list(page)),
        },
    )


@login_required
def department(request: HttpRequest) -> HttpResponse:
    """Department staff: cases dispatched to the department and summons (吹哨) to report in to."""
    user = request.user
    if not selectors.workbenches(user).department:
        return _forbidden(request, _("You hold no post in a department."))
    co_tasks = list(selectors.department_co_tasks(user)[:200])
    recent = list(
        selectors.department_co_tasks(user, open_only=False)
        .filter(status=CoTaskStatus.REPORTED)
        .order_by("-reported_at")[:20]
    )
    rows = list(selectors.department_cases(user).order_by("resolve_due", "id")[:200])
    return render(
        request,
        "console/department.html",
        {"rows": rows, "co_tasks": co_tasks, "recent": recent, "form": forms.ReportInForm()},
    )


@login_required
@require_POST
def report_in(request: HttpRequest, task_id: int) -> HttpResponse:
    try:
        task = selectors.co_task_for(request.user, task_id)
    except NotFound as exc:
        raise Http404(exc.message) from None
    form = forms.ReportInForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write what your department did before reporting in."))
        return redirect("console:department")
    try:
        services.report_in(task=task, actor=request.user, report=form.cleaned_data["report"])
    except DomainError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Reported in for case %(code)s.") % {"code": task.case.tracking_code})
    return redirect(request.POST.get("next") or reverse("console:department"))


@login_required
def clearance(request: HttpRequest) -> HttpResponse:
    """日清日结: what is due by the end of a day in one of the viewer's areas and not cleared."""
    homes = grid_selectors.home_nodes(request.user)
    if not homes:
        return _forbidden(request, _("You hold no post in any grid yet."))
    node_id = request.GET.get("node")
    try:
        node = grid_selectors.grid_node_for(request.user, node_id) if node_id else homes[0]
    except NotFound as exc:
        raise Http404(exc.message) from None
    day = parse_date(request.GET.get("day") or "") or timezone.localdate()
    rows = case_selectors.daily_clearance(node, day)
    return render(
        request,
        "console/clearance.html",
        {
            "node": node,
            "homes": homes,
            "day": day,
            "rows": rows,
            "previous": day - timedelta(days=1),
            "next": day + timedelta(days=1),
        },
    )


# ---------------------------------------------------------------------------------------------- command centre


@login_required
def cases(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not selectors.workbenches(user).command:
        return _forbidden(request, _("You may not see cases."))
    form = forms.CaseFilterForm(request.GET or None, user=user)
    filters = form.filters()
    rows = selectors.command_list(user, filters)
    page, cursor = selectors.keyset_page(rows, key="submitted_at", descending=True, cursor=request.GET.get("after", ""))
    count, capped = selectors.capped_count(rows)
    query = request.GET.copy()
    query.pop("after", None)
    can_bulk = any(
        roles.can(p.role, roles.CASE_SUPERVISE) or roles.can(p.role, roles.CASE_PUBLISH)
        for p in grid_selectors.active_posts(user)
    )
    return render(
        request,
        "console/cases.html",
        {
            "form": form,
            "rows": page,
            "next_cursor": cursor,
            "count": count,
            "capped": capped,
            "query": query.urlencode(),
            "can_bulk": can_bulk or user.is_superuser,
        },
    )


BULK_ACTIONS = ("supervise", "publish")
BULK_LIMIT = 200


@login_required
@require_POST
def cases_bulk(request: HttpRequest) -> HttpResponse:
    """Bulk 督办 or 公示 of ticked cases: one service call per case; each is checked like a single action."""
    action = request.POST.get("action", "")
    back = reverse("console:cases") + ("?" + request.POST["query"] if request.POST.get("query") else "")
    if action not in BULK_ACTIONS:
        raise Http404("unknown bulk action")
    ids = [int(v) for v in request.POST.getlist("case") if v.isdigit()][:BULK_LIMIT]
    reason = (request.POST.get("reason") or "").strip()
    if action == "supervise" and not reason:
        messages.error(request, _("Give the reason for the supervision notice."))
        return redirect(back)
    done, refused = 0, []
    visible = (
        case_selectors.case_list_visible_to(request.user).select_related("owner_node", "category").filter(pk__in=ids)
    )
    for case in visible:
        if not actions.allowed(request.user, case, action):
            refused.append(case.tracking_code)
            continue
        try:
            if action == "supervise":
                services.supervise(case=case, actor=request.user, reason=reason)
            else:
                services.publish(case=case, actor=request.user)
            done += 1
        except DomainError:
            refused.append(case.tracking_code)
    if done:
        messages.success(request, _("Done for %(n)d case(s).") % {"n": done})
    if refused:
        messages.error(request, _("Not possible for: %(codes)s") % {"codes": ", ".join(refused)})
    return redirect(back)


MAP_LIMIT = 2000


@login_required
def cases_map(request: HttpRequest) -> HttpResponse:
    if not selectors.workbenches(request.user).command:
        return _forbidden(request, _("You may not see cases."))
    form = forms.CaseFilterForm(request.GET or None, user=request.user)
    return render(
        request,
        "console/cases_map.html",
        {"form": form, "query": request.GET.urlencode(), "limit": MAP_LIMIT},
    )


@login_required
def cases_geojson(request: HttpRequest) -> JsonResponse:
    """The filtered cases that have coordinates, newest first, at most MAP_LIMIT, as GeoJSON points."""
    from gongzhi.console.templatetags.console_tags import deadline_state

    if not selectors.workbenches(request.user).command:
        return JsonResponse({"detail": "forbidden"}, status=403)
    form = forms.CaseFilterForm(request.GET or None, user=request.user)
    rows = (
        selectors.command_list(request.user, form.filters())
        .filter(lat__isnull=False, lon__isnull=False)
        .select_related(None)
        .only("id", "tracking_code", "title", "status", "sla_state", "resolve_due", "lat", "lon")
        .order_by("-submitted_at", "-id")[:MAP_LIMIT]
    )
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [c.lon, c.lat]},
            "properties": {
                "id": c.pk,
                "code": c.tracking_code,
                "title": c.title,
                "status": c.get_status_display(),
                "deadline": deadline_state(c),
                "url": reverse("console:case", args=[c.pk]),
            },
        }
        for c in rows
    ]
    response = JsonResponse({"type": "FeatureCollection", "features": features, "limit": MAP_LIMIT})
    response["Cache-Control"] = "private, no-cache"
    return response


# --------------------------------------------------------------------------------------------------- case page


def _case_context(request: HttpRequest, case: Case, *, failed: tuple[str, Any] | None = None) -> dict[str, Any]:
    user = request.user
    co_tasks = list(case.co_tasks.select_related("department", "reported_by").order_by("created_at", "id"))
    offered = actions.offered(user, case)
    action_forms = []
    for action in offered:
        if failed and failed[0] == action.name:
            form = failed[1]
        else:
            form = forms.action_form(action.name, case=case, user=user)
        action_forms.append((action, form))
    events = list(case_selectors.timeline(case, public_only=False))
    assignments = [e for e in events if e.kind in {"dispatched", "accepted", "returned", "escalated", "rework"}]
    return {
        "case": case,
        "events": events,
        "assignments": assignments,
        "co_tasks": co_tasks,
        "notices": list(case.notices.select_related("issued_by")),
        "ratings": list(case.ratings.select_related("via_case")),
        "duplicates": list(case.duplicates.only("id", "tracking_code", "title")),
        "action_forms": action_forms,
        "failed_action": failed[0] if failed else "",
        "photos": list(range(len(case.photos or []))),
        "candidates": selectors.duplicate_candidates(case) if any(a.name == "merge" for a in offered) else [],
        "location": _location(case),
        "hints": _triage_hints([case]),
    }


def _location(case: Case) -> tuple[float, float] | None:
    if case.lat is not None and case.lon is not None:
        return case.lat, case.lon
    building = case.building
    if building is not None and building.lat is not None and building.lon is not None:
        return building.lat, building.lon
    return None


@login_required
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case_or_404(request, case_id)
    return render(request, "console/case.html", _case_context(request, case))


@login_required
@require_POST
def case_action(request: HttpRequest, case_id: int, action: str) -> HttpResponse:
    case = _case_or_404(request, case_id)
    if action not in actions.ACTIONS:
        raise Http404("unknown action")
    if not actions.allowed(request.user, case, action):
        return _forbidden(request, _("You may not do this to this case now."))
    form = forms.action_form(action, case=case, user=request.user, data=request.POST, files=request.FILES)
    if not form.is_valid():
        context = _case_context(request, case, failed=(action, form))
        return render(request, "console/case.html", context, status=400)
    data = dict(form.cleaned_data)
    stored: list[str] = []
    if action == "resolve" and data.get("photos"):
        stored = forms.store_photos(case, data["photos"])
        data["photos"] = stored
    try:
        actions.RUNNERS[action](request.user, case, data)
    except DomainError as exc:
        forms.discard_photos(stored)
        _refused(request, exc)
    else:
        messages.success(
            request,
            _("%(action)s: done for %(code)s.") % {"action": actions.ACTIONS[action].label, "code": case.tracking_code},
        )
        if action == "accept" and request.POST.get("next") == "tasks":
            return redirect("console:tasks")
    return redirect("console:case", case_id=case.pk)


@login_required
def case_photo(request: HttpRequest, case_id: int, index: int) -> FileResponse:
    """A case photo, for viewers who may see the case (photos are not public media)."""
    case = _case_or_404(request, case_id)
    photos = case.photos or []
    if index >= len(photos) or not isinstance(photos[index], str):
        raise Http404("no such photo")
    name = photos[index]
    if not default_storage.exists(name):
        raise Http404("photo file missing")
    response = FileResponse(default_storage.open(name, "rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# -------------------------------------------------------------------------------------------------------- record


@login_required
def record(request: HttpRequest) -> HttpResponse:
    """代录 a walk-in or phone request for a resident, or report something found on patrol (主动发现): what, its type,
    where (a building, a compound or a pin), photos (through the one cleaner, kept as report photos)."""
    user = request.user
    if not selectors.workbenches(user).record:
        return _forbidden(request, _("Your posts do not record cases."))
    form = forms.RecordForm(request.POST or None, request.FILES or None, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        node = form.place_node
        assert node is not None  # a valid form has a place
        if not grid_selectors.user_can(user, roles.CASE_RECORD, node):
            return _forbidden(request, _("You may not record cases there."))
        building = data["building"]
        stored = photos.store(data["photos"], prefix=photos.REPORT_PREFIX)
        submission = {
            "jurisdiction": Jurisdiction.objects.get(pk=node.jurisdiction_id),
            "channel": data["channel"],
            "title": data["title"],
            "description": data.get("description", ""),
            "category": data["category"],
            "building": building,
            "lat": data["lat"],
            "lon": data["lon"],
            "place_node": node,
            "address": data["address"] or (data["compound"].name if data["compound"] else ""),
            "reporter_name": data.get("reporter_name", ""),
            "reporter_phone": data.get("reporter_phone", ""),
            "recorded_by": user,
            "photos": stored,
        }
        try:
            if data.get("solved_on_the_spot"):
                case = services.submit_solved_on_the_spot(result=data["result"], **submission)
            else:
                case = services.submit(**submission)
        except DomainError as exc:
            photos.discard(stored)
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Case %(code)s recorded.") % {"code": case.tracking_code})
            return redirect("console:case", case_id=case.pk)
    nodes = form.nodes
    context = {
        "form": form,
        "map_node": nodes[0] if nodes else None,
        "max_photos": photos.MAX_REPORT_PHOTOS,
        "max_photo_mb": photos.max_bytes() // (1024 * 1024),
    }
    return render(request, "console/record.html", context, status=400 if form.errors else 200)
