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
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gongzhi.cases import policies, public, services
from gongzhi.cases import selectors as case_selectors
from gongzhi.cases import transitions as t
from gongzhi.cases.choices import CoTaskStatus
from gongzhi.cases.models import Case, CaseCategory
from gongzhi.console import actions, forms, selectors
from gongzhi.core import photos, timeutil
from gongzhi.core.db import replica_reads
from gongzhi.core.errors import DomainError, NotFound, PermissionDenied
from gongzhi.core.http import BadInput, parse_id
from gongzhi.core.redirects import safe_next
from gongzhi.grid import roles
from gongzhi.grid import selectors as grid_selectors
from gongzhi.grid.choices import DepartmentKind, Level
from gongzhi.grid.models import Jurisdiction
from gongzhi.lists import selectors as lists_selectors
from gongzhi.routing import services as routing
from gongzhi.stations import selectors as station_selectors


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
        if row is None or not (
            row.emergency or any(row.data.get(k) for k in ("top", "unit", "level", "duplicates", "place"))
        ):
            continue  # nothing said (no model yet): no empty card
        unit = row.data.get("unit") or None
        level = row.data.get("level") or None
        top = row.data.get("top", [])
        hints.append(
            {
                "case": case,
                "suggestion": forms.Suggestion(
                    category=top[0][0] if top else "",
                    confidence=float(top[0][1]) if top else 0.0,
                    level=level[0] if level else "",
                    unit=unit[0] if unit else "",
                ),
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


def _keyset_page(request: HttpRequest, rows: Any, *, descending: bool) -> tuple[list[Case], str]:
    try:
        return selectors.keyset_page(
            rows, key="submitted_at", descending=descending, cursor=request.GET.get("after", "")
        )
    except selectors.InvalidCursor:
        raise BadInput(
            _("This page link is not valid: it was changed or cut short. Open the list afresh from its first page.")
        ) from None


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """Community / street dispatcher: cases waiting for triage or dispatch, and the departments they summoned."""
    user = request.user
    if not selectors.workbenches(user).queue:
        return _forbidden(request, _("You do not sit at a dispatch desk."))
    desks = selectors.queue_nodes(user)
    chosen = parse_id(request.GET.get("desk"))
    node_ids = [chosen] if chosen is not None else None
    rows = selectors.dispatch_queue(user, node_ids=node_ids)
    page, cursor = _keyset_page(request, rows, descending=False)
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
    return redirect(safe_next(request, reverse("console:department")))


@login_required
def clearance(request: HttpRequest) -> HttpResponse:
    """日清日结: what is due by the end of a day in one of the viewer's areas and not cleared."""
    if not selectors.workbenches(request.user).clearance:
        return _forbidden(request, _("Daily clearance is the report of a grid area; you hold no post in one."))
    homes = selectors.clearance_nodes(request.user)
    node_id = request.GET.get("node")
    try:
        node = grid_selectors.grid_node_for(request.user, node_id) if node_id else homes[0]
    except NotFound as exc:
        raise Http404(exc.message) from None
    if not any(home.is_ancestor_of(node) for home in homes):
        raise Http404(_("No such area in your scope."))
    day = timezone.localdate()
    if request.GET.get("day"):
        try:
            day = timeutil.parse_day(request.GET["day"])
        except ValueError:
            raise BadInput(
                _("The day must be a date between %(first)s and %(last)s, written like 2025-03-01.")
                % {"first": timeutil.FIRST_DAY.isoformat(), "last": timeutil.LAST_DAY.isoformat()}
            ) from None
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
@replica_reads
def cases(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not selectors.workbenches(user).cases:
        return _forbidden(request, _("You may not see cases."))
    form = forms.CaseFilterForm(request.GET or None, user=user)
    filters = form.filters()
    rows = selectors.command_list(user, filters)
    page, cursor = _keyset_page(request, rows, descending=True)
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
DONE, REFUSED, REVIEW = "done", "refused", "review"


@login_required
@require_POST
def cases_bulk(request: HttpRequest) -> HttpResponse:
    """Bulk 督办 or 公示 of ticked cases: one service call per case, each checked like a single action; the page that
    answers lists every case with what happened to it and, when refused, why. Bulk 公示 publishes each case with its
    prefilled summary; a case whose summary holds what looks like personal data is not published but listed for
    review, with a link to its publish form."""
    action = request.POST.get("action", "")
    query = request.POST.get("query", "")
    back = reverse("console:cases") + ("?" + query if query else "")
    if action not in BULK_ACTIONS:
        raise Http404("unknown bulk action")
    ids = [i for i in map(parse_id, request.POST.getlist("case")) if i is not None][:BULK_LIMIT]
    reason = (request.POST.get("reason") or "").strip()
    if action == "supervise" and not reason:
        messages.error(request, _("Give the reason for the supervision notice."))
        return redirect(back)
    visible = list(
        case_selectors.case_list_visible_to(request.user)
        .select_related("owner_node", "category", "building__compound")
        .filter(pk__in=ids)
        .order_by("-submitted_at", "-id")
    )
    rows = [_bulk_one(request.user, case, action, reason) for case in visible]
    counts = {kind: sum(1 for r in rows if r["outcome"] == kind) for kind in (DONE, REFUSED, REVIEW)}
    return render(
        request,
        "console/bulk_result.html",
        {
            "action": actions.ACTIONS[action],
            "rows": rows,
            "counts": counts,
            "missing": len(set(ids)) - len(visible),
            "back": back,
        },
    )


def _bulk_one(user: Any, case: Case, action: str, reason: str) -> dict[str, Any]:
    row: dict[str, Any] = {"case": case, "outcome": REFUSED, "reason": "", "summary": ""}
    if not actions.allowed(user, case, action):
        row["reason"] = actions.refusal(user, case, action) or _("You may not do this to cases of %(unit)s.") % {
            "unit": case.owner_node.name
        }
        return row
    try:
        if action == "supervise":
            services.supervise(case=case, actor=user, reason=reason)
        else:
            summary = public.prefilled_summary(case)
            flags = public.summary_flags(summary)
            if flags:
                row.update(outcome=REVIEW, summary=summary, flags=flags)
                return row
            services.publish(case=case, actor=user, summary=summary)
            row["summary"] = summary
    except DomainError as exc:
        row["reason"] = exc.message
        return row
    row["outcome"] = DONE
    return row


MAP_LIMIT = 2000


@login_required
@replica_reads
def cases_map(request: HttpRequest) -> HttpResponse:
    if not selectors.workbenches(request.user).cases:
        return _forbidden(request, _("You may not see cases."))
    form = forms.CaseFilterForm(request.GET or None, user=request.user)
    homes = grid_selectors.home_nodes(request.user)
    return render(
        request,
        "console/cases_map.html",
        {
            "form": form,
            "query": request.GET.urlencode(),
            "limit": MAP_LIMIT,
            # The base layer (community boundaries and names) of the viewer's jurisdiction.
            "base_jurisdiction": homes[0].jurisdiction_id if homes else None,
        },
    )


@login_required
@replica_reads
def cases_geojson(request: HttpRequest) -> JsonResponse:
    """The filtered cases that have coordinates, newest first, at most MAP_LIMIT, as GeoJSON points."""
    from gongzhi.console.templatetags.console_tags import deadline_state

    if not selectors.workbenches(request.user).cases:
        return JsonResponse({"detail": "forbidden"}, status=403)
    form = forms.CaseFilterForm(request.GET or None, user=request.user)
    rows = (
        selectors.command_list(request.user, form.filters())
        .filter(lat__isnull=False, lon__isnull=False)
        .select_related(None)
        .only("id", "tracking_code", "title", "address", "status", "sla_state", "resolve_due", "lat", "lon")
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
                "address": c.address,
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


def _suggestion(hints: list[dict[str, Any]]) -> forms.Suggestion | None:
    return hints[0]["suggestion"] if hints else None


def _case_context(
    request: HttpRequest, case: Case, *, failed: tuple[str, Any] | None = None, phone: str = ""
) -> dict[str, Any]:
    user = request.user
    co_tasks = list(case.co_tasks.select_related("department", "reported_by").order_by("created_at", "id"))
    offered = actions.offered(user, case)
    hints = _triage_hints([case])
    action_forms = []
    for action in offered:
        if failed and failed[0] == action.name:
            form = failed[1]
        else:
            form = forms.action_form(action.name, case=case, user=user, suggestion=_suggestion(hints))
        action_forms.append((action, form))
    events = list(case_selectors.timeline(case, public_only=False))
    # Why 公示 is not possible, for someone who publishes cases of this unit, once the case is finished.
    publish_refusal = actions.refusal(user, case, "publish") if case.status not in t.OPEN else None
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
        "hints": hints,
        "publish_refusal": publish_refusal,
        "open_action": request.GET.get("open", ""),
        "idle": "" if offered else actions.why_idle(case),
        "may_reveal_phone": not phone and policies.may_reveal_phone(user, case),
        "reveal_form": forms.RevealPhoneForm(),
        "phone": phone,
        # The needs list: the need this case became, or whether the viewer may turn it into one (lists_views).
        "list_need": lists_selectors.need_for_case(case.pk),
        "may_make_need": case.grid_node is not None
        and grid_selectors.user_can(request.user, roles.LISTS_MANAGE, case.grid_node),
        "on_behalf": _on_behalf(case),
    }


def _on_behalf(case: Case) -> dict[str, str] | None:
    """A 代办: the station handling it for the resident and the matter (set when it was filed at a station's desk or
    asked for on the resident pages); None for any other case."""
    attributes = case.attributes or {}
    if attributes.get("_on_behalf") is not True:
        return None
    code = attributes.get("_matter")
    matter = station_selectors.matter(case.jurisdiction_id, code) if isinstance(code, str) and code else None
    return {
        "station": station_selectors.station_name(attributes.get("_station")),
        "matter": matter.name if matter else "",
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
        reason = actions.refusal(request.user, case, action)
        if reason is not None:  # they may do this to cases here, just not to this one now: say why
            messages.error(request, _("The action was refused: %(reason)s") % {"reason": reason})
            return render(request, "console/case.html", _case_context(request, case), status=409)
        return _forbidden(request, _("You may not do this to this case now."))
    form = forms.action_form(action, case=case, user=request.user, data=request.POST, files=request.FILES)
    if action == "publish" and request.POST.get("check"):
        # "Check again": the edited summary is checked and shown with its highlights; nothing is published.
        form.is_valid()
        return render(request, "console/case.html", _case_context(request, case, failed=(action, form)))
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
        return redirect("console:case", case_id=case.pk)
    try:
        case = case_selectors.case_for(request.user, case.pk)
    except NotFound:  # the action took the case out of the viewer's sight
        messages.success(request, actions.done_message(action, case))
        return redirect("console:home")
    if action == "triage":
        return _after_triage(request, case)
    messages.success(request, actions.done_message(action, case))
    if action == "accept" and request.POST.get("next") == "tasks":
        return redirect("console:tasks")
    return redirect("console:case", case_id=case.pk)


def _after_triage(request: HttpRequest, case: Case) -> HttpResponse:
    """Triage decides which desk owns the case. Still this desk: on to dispatching it. Another desk: say where it went
    (with the link to follow it) and go back to the queue, where the next case waits."""
    if actions.allowed(request.user, case, "dispatch"):
        messages.success(request, actions.done_message("triage", case))
        return redirect(reverse("console:case", args=[case.pk]) + "?open=dispatch#action-dispatch")
    messages.success(
        request,
        format_html(
            '{} <a href="{}">{}</a>',
            _("Triage is done: case %(code)s has gone to the dispatch desk of %(desk)s, which dispatches it.")
            % {"code": case.tracking_code, "desk": case.owner_node.name},
            reverse("console:case", args=[case.pk]),
            _("Follow the case"),
        ),
    )
    if selectors.workbenches(request.user).queue:
        return redirect("console:queue")
    return redirect("console:case", case_id=case.pk)


@login_required
@require_POST
def reveal_phone(request: HttpRequest, case_id: int) -> HttpResponse:
    """The reporter's full phone number with a tap-to-call link, on the case page, for the people working on the case
    (``cases.policies.phone_reveal_basis``); each reveal is one row of the access log. Asked for with a button
    (a POST: a link preview or a crawler never reveals one), never shown in lists."""
    case = _case_or_404(request, case_id)
    form = forms.RevealPhoneForm(request.POST)
    if not form.is_valid():
        context = _case_context(request, case)
        context["reveal_form"] = form
        return render(request, "console/case.html", context, status=400)
    try:
        phone = services.reveal_reporter_phone(case=case, actor=request.user, purpose=form.cleaned_data["purpose"])
    except PermissionDenied as exc:
        return _forbidden(request, exc.message)
    response = render(request, "console/case.html", _case_context(request, case, phone=phone))
    response["Cache-Control"] = "private, no-store"
    return response


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
