"""The console's care pages (the care registry, DESIGN.md §5 "Care"; issue 27): search first (no list of everyone), a
resident's page (masked; the full record opened with a purpose, one access-log row per opening), a household's page,
a manager's changes, export and erasure on the resident's request, the visitor's day on a phone with the visit form
(which files the case a problem or an assistance application needs), overdue visits per grid node, the registry's
masked export and the access log for administrators.

Thin: ``care.selectors`` read in the viewer's scope (a record outside it is a 404, like a missing one) and
``care.services`` write and refuse — 403 not allowed, 404 not found, 409 a step the state forbids, 400 bad input; the
page comes back with the reason and nothing is written. ``care`` imports no other domain: the flows that span it and
``cases`` (a visit that files a case, an erasure that anonymises the resident's cases) are orchestrated here, in one
transaction each. Every page here is ``no-store``: none of it may stay in a browser's or a proxy's cache.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from gongzhi.care import policies, selectors, services
from gongzhi.care.choices import Access, Outcome, ResidentStatus
from gongzhi.care.models import AccessEntry, Household, Move, Resident
from gongzhi.cases import selectors as case_selectors
from gongzhi.cases.choices import Kind
from gongzhi.cases.models import CaseCategory
from gongzhi.console import care_flows
from gongzhi.console import care_forms as forms
from gongzhi.core import excel, photos, timeutil, uploads
from gongzhi.core.errors import DomainError, NotFound, PermissionDenied
from gongzhi.core.http import parse_id
from gongzhi.core.privacy import mask_phone, mask_text
from gongzhi.grid import roles
from gongzhi.grid import selectors as grid_selectors
from gongzhi.grid.models import Building, GridNode

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_DUE = 300  # a visitor's day: more than this is not one person's day
MAX_OVERDUE_ROWS = 300
MAX_BUILDINGS = 2000
MAX_NODES = 500
MAX_REGISTRY_ROWS = 20_000
MAX_LOG_EXPORT = 50_000
LOG_PAGE = 50
VISIT_PHOTOS = photos.MAX_REPORT_PHOTOS  # as many as a resident's report takes on the resident pages


def _visit_request_limit() -> int:
    return photos.request_limit(VISIT_PHOTOS)


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "403.html", {"exception": message}, status=403)


def _today() -> date:
    return timeutil.local_today()


def _resident_or_404(request: HttpRequest, pk: int) -> Resident:
    try:
        return selectors.resident_for(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _household_or_404(request: HttpRequest, pk: int) -> Household:
    try:
        return selectors.household_for(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _manages_somewhere(user: Any) -> bool:
    return grid_selectors.capability_condition(user, roles.CARE_MANAGE) is not None


def _xlsx(data: bytes, stem: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{stem}.xlsx"'
    return response


# ---------------------------------------------------------------------------------------------------- search


@dataclass(frozen=True)
class Row:
    """One resident in a list: masked, with the links the page needs."""

    masked: selectors.Masked
    household_id: int | None
    place: str  # building and room, or the address: how the visitor finds the door
    overdue_days: int | None = None


def _place(resident: Resident) -> str:
    household = resident.household
    if household is None:
        return ""
    where = household.building.name if household.building else household.address
    return " ".join(part for part in (where, household.room) if part)


def _row(resident: Resident, today: date) -> Row:
    due = resident.next_visit_due
    return Row(
        masked=selectors.masked(resident, today=today),
        household_id=resident.household_id,
        place=_place(resident),
        overdue_days=(today - due).days if due is not None else None,
    )


@login_required
@never_cache
def search(request: HttpRequest) -> HttpResponse:
    """Search first: one box for a full name, an ID number, a phone or a #ledger number; the answers are masked. A
    text too short to search by is refused on the page (no browsing). The box is posted, not put in the address: a
    name or an ID number typed there must not end up in server logs or the browser's history."""
    user = request.user
    if not policies.may_use_registry(user):
        return _forbidden(request, _("Your posts keep no care registry."))
    form = forms.SearchForm(request.POST if request.method == "POST" else None)
    rows: list[Row] = []
    error = ""
    searched = False
    if form.is_valid():
        searched = True
        try:
            found = selectors.search(user, form.cleaned_data["q"])
        except DomainError as exc:
            error = exc.message
        else:
            today = _today()
            rows = [_row(r, today) for r in found]
    elif form.errors:
        error = _("Type a full name, an ID number or a phone number.")
    context = {
        "form": form,
        "rows": rows,
        "error": error,
        "searched": searched and not error,
        "manage": _manages_somewhere(user),
        "audit": policies.can_audit(user),
        "limit": selectors.SEARCH_LIMIT,
    }
    return render(request, "console/care/search.html", context)


# ---------------------------------------------------------------------------------------------------- a resident


def _case_links(resident: Resident) -> list[dict[str, Any]]:
    return [
        {"link": link, "url": reverse("console:case", args=[link.case_id])}
        for link in resident.case_links.select_related("visit").order_by("-at", "-pk")[:100]
    ]


def _resident_context(request: HttpRequest, resident: Resident, **overrides: Any) -> dict[str, Any]:
    user = request.user
    today = _today()
    manage = policies.can_manage(user, resident.node)
    living = resident.status == ResidentStatus.LIVING
    groups = list(resident.groups.all())
    context: dict[str, Any] = {
        "resident": resident,
        "row": _row(resident, today),
        "living": living,
        "groups": groups,
        "levels": list(resident.level_changes.select_related("by").order_by("-at", "-pk")[:100]),
        "moves": list(resident.moves.select_related("household").order_by("-on", "-pk")[:100]),
        # Findings are free text: what looks like personal data in them is masked here too.
        "visits": [
            {"visit": v, "findings": mask_text(v.findings), "next_step": mask_text(v.next_step)}
            for v in selectors.visits_of(user, resident)[:100]
        ],
        "cases": _case_links(resident),
        "consents": list(resident.consents.select_related("by").order_by("-at", "-pk")[:100]),
        "manage": manage,
        "open_form": forms.OpenForm(),
        "full": None,
        "error": "",
    }
    if manage:
        context.update(
            level_form=forms.LevelForm(initial={"level": resident.level}),
            groups_form=forms.GroupsForm(
                jurisdiction_id=resident.jurisdiction_id, initial={"groups": [g.pk for g in groups]}
            ),
            phone_form=forms.PhoneForm(),
            move_out_form=forms.MoveOutForm(initial={"on": today}),
            move_in_form=forms.MoveInForm(initial={"on": today}),
            consent_form=forms.ConsentForm(),
            export_form=forms.ExportOwnForm(),
            erase_form=forms.EraseForm(),
        )
    context.update(overrides)
    return context


def _resident_page(request: HttpRequest, resident: Resident, *, status: int = 200, **overrides: Any) -> HttpResponse:
    context = _resident_context(request, resident, **overrides)
    return render(request, "console/care/resident.html", context, status=status)


@login_required
@never_cache
def resident(request: HttpRequest, resident_id: int) -> HttpResponse:
    """A resident, masked: level and its history, groups, visits, cases, consents. Never the clear name, ID number or
    phone: those are opened with a purpose (``resident_open``)."""
    return _resident_page(request, _resident_or_404(request, resident_id))


@login_required
@never_cache
@require_POST
def resident_open(request: HttpRequest, resident_id: int) -> HttpResponse:
    """Open the full record for a purpose: one access-log row, and the clear data in this response only."""
    found = _resident_or_404(request, resident_id)
    form = forms.OpenForm(request.POST)
    if not form.is_valid():
        return _resident_page(request, found, status=400, open_form=form)
    try:
        opened = services.read_full(
            user=request.user,
            resident=found.pk,
            purpose=form.cleaned_data["purpose"],
            detail=form.cleaned_data["detail"],
        )
    except NotFound as exc:
        raise Http404(exc.message) from None
    except DomainError as exc:
        return _resident_page(request, found, status=exc.http_status, open_form=form, error=exc.message)
    full = {"name": opened.name, "id_number": opened.id_number, "phone": opened.phone}
    return _resident_page(request, found, full=full, open_form=form)


def _refused(request: HttpRequest, found: Resident, exc: DomainError, **overrides: Any) -> HttpResponse:
    if isinstance(exc, NotFound):
        raise Http404(exc.message)
    if isinstance(exc, PermissionDenied):
        return _forbidden(request, exc.message)
    return _resident_page(request, found, status=exc.http_status, error=exc.message, **overrides)


def _manager_post(
    request: HttpRequest,
    resident_id: int,
    *,
    form_name: str,
    make_form: Callable[[Resident], Any],
    run: Callable[[Resident, dict[str, Any]], Any],
    done: str,
) -> HttpResponse:
    """A manager's change to a resident: 404 outside the viewer's sight, 403 without ``care.manage`` there, 400 with
    the form again when it does not validate, the service's refusal on the page; a redirect when done."""
    found = _resident_or_404(request, resident_id)
    if not policies.can_manage(request.user, found.node):
        return _forbidden(request, _("You may not change this resident's record."))
    form = make_form(found)
    if not form.is_valid():
        return _resident_page(request, found, status=400, **{form_name: form})
    try:
        run(found, form.cleaned_data)
    except DomainError as exc:
        return _refused(request, found, exc, **{form_name: form})
    messages.success(request, done)
    return redirect("console:care_resident", resident_id=found.pk)


@login_required
@require_POST
def resident_level(request: HttpRequest, resident_id: int) -> HttpResponse:
    return _manager_post(
        request,
        resident_id,
        form_name="level_form",
        make_form=lambda r: forms.LevelForm(request.POST),
        run=lambda r, d: services.set_level(resident=r.pk, level=d["level"], reason=d["reason"], actor=request.user),
        done=_("Care level changed."),
    )


@login_required
@require_POST
def resident_groups(request: HttpRequest, resident_id: int) -> HttpResponse:
    return _manager_post(
        request,
        resident_id,
        form_name="groups_form",
        make_form=lambda r: forms.GroupsForm(request.POST, jurisdiction_id=r.jurisdiction_id),
        run=lambda r, d: services.set_groups(resident=r.pk, groups=d["groups"], actor=request.user),
        done=_("Care groups saved."),
    )


@login_required
@require_POST
def resident_phone(request: HttpRequest, resident_id: int) -> HttpResponse:
    return _manager_post(
        request,
        resident_id,
        form_name="phone_form",
        make_form=lambda r: forms.PhoneForm(request.POST),
        run=lambda r, d: services.update_contact(resident=r.pk, phone=d["phone"], actor=request.user),
        done=_("Phone number changed."),
    )


@login_required
@require_POST
def resident_move_out(request: HttpRequest, resident_id: int) -> HttpResponse:
    return _manager_post(
        request,
        resident_id,
        form_name="move_out_form",
        make_form=lambda r: forms.MoveOutForm(request.POST),
        run=lambda r, d: services.move_out(resident=r.pk, on=d["on"], actor=request.user),
        done=_("Moved out: no more visits are scheduled."),
    )


def _move_in(request: HttpRequest, resident: Resident, data: dict[str, Any]) -> Any:
    try:
        household = selectors.household_by_code(request.user, data["household"])
    except NotFound as exc:  # the form's mistake, not a missing page: the resident's page again, with the reason
        raise DomainError(exc.template, code="household") from None
    return services.move_in(
        resident=resident.pk, household=household, on=data["on"], relation=data["relation"], actor=request.user
    )


@login_required
@require_POST
def resident_move_in(request: HttpRequest, resident_id: int) -> HttpResponse:
    """Into a household of the registry (back after moving away, or from another household): a ledger number
    outside the viewer's area is the same refusal as an unknown one."""
    return _manager_post(
        request,
        resident_id,
        form_name="move_in_form",
        make_form=lambda r: forms.MoveInForm(request.POST),
        run=lambda r, d: _move_in(request, r, d),
        done=_("Moved in: visits are scheduled from the household's grid."),
    )


@login_required
@require_POST
def resident_consent(request: HttpRequest, resident_id: int) -> HttpResponse:
    return _manager_post(
        request,
        resident_id,
        form_name="consent_form",
        make_form=lambda r: forms.ConsentForm(request.POST),
        run=lambda r, d: services.record_consent(
            resident=r.pk, purpose=d["purpose"], given=d["given"], note=d["note"], actor=request.user
        ),
        done=_("Consent recorded."),
    )


# The workbook of one resident's data, in Chinese as the resident reads it (the file is handed to them).
OWN_FIELDS = (
    ("name", "姓名"),
    ("id_number", "身份证号"),
    ("phone", "电话"),
    ("born", "出生日期"),
    ("sex", "性别"),
    ("status", "状态"),
    ("household", "户号"),
    ("room", "单元房号"),
    ("address", "地址"),
    ("relation", "与户主关系"),
    ("level", "关爱等级"),
    ("level_reason", "等级原因"),
)


def own_data_xlsx(data: dict[str, Any]) -> bytes:
    """Everything the registry holds about one resident (``care.services.export_own``) as a workbook."""
    book = excel.Book()
    sheet = book.sheet("个人信息")
    sheet.header(["项目", "内容"], widths=[16, 40])
    for key, label in OWN_FIELDS:
        sheet.row([label, str(data.get(key) or "")])
    sheet.row(["关爱类别", "、".join(data.get("groups") or [])])
    sheet.row(["关联案件", "、".join(data.get("cases") or [])])
    levels = book.sheet("等级记录")
    levels.header(["时间", "原等级", "新等级", "原因"], widths=[22, 10, 10, 40])
    for row in data.get("levels") or []:
        levels.row([row["at"], row["from"], row["to"], row["reason"]])
    moves = book.sheet("迁入迁出")
    moves.header(["日期", "事项"], widths=[14, 16])
    for row in data.get("moves") or []:
        moves.row([row["on"], row["action"]])
    visits = book.sheet("走访记录")
    visits.header(["日期", "结果", "发现", "下一步"], widths=[14, 14, 50, 30])
    for row in data.get("visits") or []:
        visits.row([row["on"], row["outcome"], row["findings"], row["next_step"]])
    consents = book.sheet("同意记录")
    consents.header(["时间", "事项", "同意"], widths=[22, 20, 8])
    for row in data.get("consents") or []:
        consents.row([row["at"], row["purpose"], "是" if row["given"] else "否"])
    return book.to_bytes()


@login_required
@never_cache
@require_POST
def resident_export(request: HttpRequest, resident_id: int) -> HttpResponse:
    """Export this resident's data on their request (logged): an Excel workbook for them."""
    found = _resident_or_404(request, resident_id)
    if not policies.can_manage(request.user, found.node):
        return _forbidden(request, _("You may not change this resident's record."))
    form = forms.ExportOwnForm(request.POST)
    if not form.is_valid():
        return _resident_page(request, found, status=400, export_form=form)
    try:
        data = services.export_own(user=request.user, resident=found.pk, detail=form.cleaned_data["detail"])
    except DomainError as exc:
        return _refused(request, found, exc, export_form=form)
    return _xlsx(own_data_xlsx(data), f"resident-{found.pk}-{_today():%Y%m%d}")


@login_required
@never_cache
@require_POST
def resident_erase(request: HttpRequest, resident_id: int) -> HttpResponse:
    """Erase on the resident's request (confirmed, with the reason): the registry's personal data, the visit photos,
    and the resident's personal data in the cases filed for them."""
    found = _resident_or_404(request, resident_id)
    if not policies.can_manage(request.user, found.node):
        return _forbidden(request, _("You may not change this resident's record."))
    form = forms.EraseForm(request.POST)
    if not form.is_valid():
        return _resident_page(request, found, status=400, erase_form=form)
    try:
        erased = care_flows.erase_resident(resident=found, actor=request.user, reason=form.cleaned_data["reason"])
    except DomainError as exc:
        return _refused(request, found, exc, erase_form=form)
    messages.success(
        request,
        _("Resident #%(id)s erased; %(cases)s case(s) anonymised, %(photos)s photo(s) deleted.")
        % {"id": erased.resident_id, "cases": len(erased.case_ids), "photos": len(erased.photos)},
    )
    return redirect("console:care")


# ---------------------------------------------------------------------------------------------------- households


def _members(household: Household, today: date) -> list[Row]:
    rows = (
        Resident.objects.filter(household=household)
        .exclude(status=ResidentStatus.ERASED)
        .select_related("household", "node", "household__building")
        .order_by("pk")[:100]
    )
    return [_row(r, today) for r in rows]


def _household_context(request: HttpRequest, household: Household, **overrides: Any) -> dict[str, Any]:
    manage = policies.can_manage(request.user, household.node)
    today = _today()
    moves = Move.objects.filter(household=household).select_related("resident", "resident__node", "by")
    context: dict[str, Any] = {
        "household": household,
        "contact": mask_phone(household.contact_phone) if household.contact_phone else "",
        "members": _members(household, today),
        "moves": [
            {"move": m, "name": selectors.masked(m.resident, today=today).name}
            for m in moves.order_by("-on", "-pk")[:100]
        ],
        "manage": manage,
        "resident_form": forms.ResidentForm(jurisdiction_id=household.jurisdiction_id) if manage else None,
        "error": "",
    }
    context.update(overrides)
    return context


@login_required
@never_cache
def household(request: HttpRequest, household_id: int) -> HttpResponse:
    found = _household_or_404(request, household_id)
    return render(request, "console/care/household.html", _household_context(request, found))


@login_required
@never_cache
@require_POST
def household_head(request: HttpRequest, household_id: int) -> HttpResponse:
    """A member becomes the household's head (户主); a resident who is not a member is refused, nothing changes."""
    found = _household_or_404(request, household_id)
    if not policies.can_manage(request.user, found.node):
        return _forbidden(request, _("You may not change this household."))
    resident = parse_id(request.POST.get("resident") or "")
    if resident is None:
        context = _household_context(request, found, error=_("Choose a member of the household."))
        return render(request, "console/care/household.html", context, status=400)
    try:
        services.set_head(household=found.pk, resident=resident, actor=request.user)
    except NotFound:
        context = _household_context(request, found, error=_("Only a member who lives in the household can head it."))
        return render(request, "console/care/household.html", context, status=400)
    except DomainError as exc:
        context = _household_context(request, found, error=exc.message)
        return render(request, "console/care/household.html", context, status=exc.http_status)
    messages.success(request, _("The household head is changed."))
    return redirect("console:care_household", household_id=found.pk)


def _id_field_error(form: Any, exc: DomainError) -> None:
    field = {"id_number": "id_number", "phone": "phone", "duplicate": "id_number"}.get(exc.code or "")
    form.add_error(field, exc.message)


@login_required
@never_cache
@require_POST
def household_add_resident(request: HttpRequest, household_id: int) -> HttpResponse:
    """A person registered in (or moving into) this household; a bad ID number is the form's error, nothing written."""
    found = _household_or_404(request, household_id)
    if not policies.can_manage(request.user, found.node):
        return _forbidden(request, _("You may not change this household."))
    form = forms.ResidentForm(request.POST, jurisdiction_id=found.jurisdiction_id)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            made = services.add_resident(
                household=found,
                person=services.Person(
                    name=data["name"], id_number=data["id_number"], phone=data["phone"], relation=data["relation"]
                ),
                groups=list(data["groups"]),
                level=data["level"],
                level_reason=data["level_reason"],
                actor=request.user,
            )
        except NotFound as exc:
            raise Http404(exc.message) from None
        except PermissionDenied as exc:
            return _forbidden(request, exc.message)
        except DomainError as exc:
            _id_field_error(form, exc)
            status = exc.http_status
        else:
            messages.success(request, _("Resident #%(id)s registered.") % {"id": made.pk})
            return redirect("console:care_resident", resident_id=made.pk)
    context = _household_context(request, found, resident_form=form)
    return render(request, "console/care/household.html", context, status=status)


def _manage_scope(user: Any, field: str) -> Q | None:
    return grid_selectors.capability_condition(user, roles.CARE_MANAGE, field)


@login_required
@never_cache
def household_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    building_scope, node_scope = _manage_scope(user, "node__"), _manage_scope(user, "")
    if building_scope is None or node_scope is None:
        return _forbidden(request, _("You may not register households."))
    buildings = list(
        Building.objects.filter(building_scope)
        .select_related("node")
        .order_by("node__path", "name", "pk")[:MAX_BUILDINGS]
    )
    nodes = list(
        GridNode.objects.filter(node_scope, level__in=[roles.GRID, roles.MICRO_GRID])
        .defer("boundary")
        .order_by("path")[:MAX_NODES]
    )
    form = forms.HouseholdForm(request.POST or None, buildings=buildings, nodes=nodes)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                made = services.create_household(
                    node=data["node"],
                    building=data["building"],
                    code=data["code"],
                    room=data["room"],
                    address=data["address"],
                    contact_phone=data["contact_phone"],
                    actor=user,
                )
            except NotFound as exc:
                raise Http404(exc.message) from None
            except DomainError as exc:
                form.add_error("contact_phone" if exc.code == "phone" else None, exc.message)
                status = exc.http_status
            else:
                messages.success(request, _("Household %(code)s registered.") % {"code": made.code})
                return redirect("console:care_household", household_id=made.pk)
    return render(request, "console/care/household_new.html", {"form": form}, status=status)


# ---------------------------------------------------------------------------------------------------- visits


@login_required
@never_cache
def visits_today(request: HttpRequest) -> HttpResponse:
    """My visits today (a phone): the residents in my scope due today or overdue, most overdue first, masked, with
    the door to knock on."""
    if not policies.may_use_registry(request.user):
        return _forbidden(request, _("Your posts keep no care registry."))
    today = _today()
    residents = list(selectors.due_visits(request.user, today=today)[: MAX_DUE + 1])
    rows = [_row(r, today) for r in residents[:MAX_DUE]]
    return render(
        request,
        "console/care/visits.html",
        {"rows": rows, "more": len(residents) > MAX_DUE, "today": today},
    )


def _report_categories(jurisdiction_id: int) -> list[CaseCategory]:
    return list(
        case_selectors.categories_for(jurisdiction_id, leaves_only=True)
        .filter(kind=Kind.REPORT)
        .select_related("parent")
        .order_by("parent__sort_order", "sort_order", "code")
    )


def _visit_page(
    request: HttpRequest, found: Resident, form: forms.VisitForm, *, status: int = 200, error: str = ""
) -> HttpResponse:
    context = {
        "resident": found,
        "row": _row(found, _today()),
        "form": form,
        "error": error,
        "living": found.status == ResidentStatus.LIVING,
        "max_photos": VISIT_PHOTOS,
        "max_photo_mb": photos.max_bytes() // (1024 * 1024),
    }
    return render(request, "console/care/visit.html", context, status=status)


@login_required
@never_cache
@uploads.limit_request_size(_visit_request_limit)
def visit(request: HttpRequest, resident_id: int) -> HttpResponse:
    """Record a visit (a phone, at the door): outcome, findings, next step, photos; a problem or an assistance
    application is filed as a case in the same request."""
    found = _resident_or_404(request, resident_id)
    categories = _report_categories(found.jurisdiction_id)
    form = forms.VisitForm(request.POST or None, request.FILES or None, categories=categories)
    if request.method != "POST":
        return _visit_page(request, found, form)
    if not form.is_valid():
        return _visit_page(request, found, form, status=400)
    data = form.cleaned_data
    cleaned: list[photos.CleanPhoto] = data["photos"]
    stored = photos.store(cleaned, prefix=f"care/visits/{found.pk}") if cleaned else []
    files_case = data["outcome"] in (Outcome.PROBLEM, Outcome.NEEDS_HELP)
    # The case keeps its own copy: erasing the resident deletes the visit's photos, not the case's evidence.
    case_photos = photos.store(cleaned, prefix=photos.REPORT_PREFIX) if cleaned and files_case else []
    try:
        done = care_flows.record_visit_with_case(
            resident=found,
            visitor=request.user,
            outcome=data["outcome"],
            findings=data["findings"],
            next_step=data["next_step"],
            photos=stored,
            case_photos=case_photos,
            category=data.get("category"),
            title=data.get("title") or "",
            assistance=data.get("assistance") or "",
        )
    except DomainError as exc:
        photos.discard(stored + case_photos)
        if isinstance(exc, NotFound):
            raise Http404(exc.message) from None
        if isinstance(exc, PermissionDenied):
            return _forbidden(request, exc.message)
        return _visit_page(request, found, form, status=exc.http_status, error=exc.message)
    except Exception:
        photos.discard(stored + case_photos)
        raise
    if done.case_id is not None:
        messages.success(request, _("Visit recorded; case %(code)s filed.") % {"code": done.tracking_code})
    else:
        messages.success(request, _("Visit recorded."))
    return redirect("console:care_visits")


# ---------------------------------------------------------------------------------------------------- overdue


@login_required
@never_cache
def overdue(request: HttpRequest) -> HttpResponse:
    """Overdue visits counted per grid node, with a masked drill-down for one node."""
    user = request.user
    if not policies.may_use_registry(user):
        return _forbidden(request, _("Your posts keep no care registry."))
    today = _today()
    counts = selectors.overdue_by_node(user, today=today)
    most = max((row["overdue"] for row in counts), default=0)
    node = None
    rows: list[Row] = []
    raw = request.GET.get("node")
    if raw:
        node_id = parse_id(raw)
        if node_id is None or node_id not in {row["node_id"] for row in counts}:
            raise Http404(_("No overdue visits under this grid node in your area."))
        node = GridNode.objects.defer("boundary").get(pk=node_id)
        found = list(selectors.overdue(user, today=today, node=node)[:MAX_OVERDUE_ROWS])
        found_full = Resident.objects.filter(pk__in=[r.pk for r in found]).select_related(
            "household", "household__building", "node"
        )
        by_pk = {r.pk: r for r in found_full}
        rows = [_row(by_pk[r.pk], today) for r in found]
    context = {
        "counts": counts,
        "most": most,
        "total": sum(row["overdue"] for row in counts),
        "node": node,
        "rows": rows,
        "today": today,
    }
    return render(request, "console/care/overdue.html", context)


# ---------------------------------------------------------------------------------------------------- exports


REGISTRY_HEADINGS = (
    "编号",
    "关爱等级",
    "关爱类别",
    "姓名",
    "身份证号",
    "电话",
    "年龄",
    "户号",
    "单元房号",
    "网格",
    "下次走访",
)


@login_required
@never_cache
@require_POST
def registry_xlsx(request: HttpRequest) -> HttpResponse:
    """The residents in care in the manager's scope, masked, as a workbook; the export is audited (one log row)."""
    user = request.user
    scope = _manage_scope(user, "node__")
    if scope is None:
        return _forbidden(request, _("You may not export the registry."))
    residents = (
        selectors.residents_visible_to(user, roles.CARE_MANAGE)
        .filter(status=ResidentStatus.LIVING)
        .filter(Q(level__gt="") | Q(pk__in=Resident.groups.through.objects.values("resident_id")))
        .select_related("household", "node")
        .prefetch_related("groups")
        .order_by("node__path", "pk")
    )
    today = _today()
    book = excel.Book(write_only=True)
    sheet = book.sheet("关爱名册")
    sheet.header(list(REGISTRY_HEADINGS), widths=[8, 10, 24, 10, 20, 14, 6, 12, 12, 16, 12])
    count = 0
    jurisdictions: set[int] = set()
    for r in residents[:MAX_REGISTRY_ROWS]:
        m = selectors.masked(r, today=today)
        sheet.row(
            [
                r.pk,
                m.level_label,
                "、".join(g.name for g in r.groups.all()),
                m.name,
                m.id_number,
                m.phone,
                m.age,
                m.household,
                m.room,
                m.node,
                m.next_visit_due,
            ]
        )
        count += 1
        jurisdictions.add(r.jurisdiction_id)
    if not jurisdictions:
        post = next(
            (p for p in grid_selectors.active_posts(user) if p.node_id and roles.can(p.role, roles.CARE_MANAGE)), None
        )
        jurisdictions = {post.jurisdiction_id} if post is not None else set()
    for jurisdiction_id in sorted(jurisdictions):
        services.log_registry_export(user=user, jurisdiction_id=jurisdiction_id, rows=count, masked=True)
    return _xlsx(book.to_bytes(), f"care-registry-{today:%Y%m%d}")


# ---------------------------------------------------------------------------------------------------- access log


def _log_rows(request: HttpRequest) -> tuple[forms.AccessLogForm, QuerySet[AccessEntry]]:
    rows = selectors.access_log(request.user)
    users = (
        rows.exclude(user__isnull=True)
        .order_by()
        .values_list("user_id", "user__display_name", "user__username")
        .distinct()[:500]
    )
    form = forms.AccessLogForm(
        request.GET or None, users=sorted({(pk, name or login) for pk, name, login in users}, key=lambda u: u[1])
    )
    if form.is_valid():
        data = form.cleaned_data
        if data.get("user"):
            rows = rows.filter(user_id=int(data["user"]))
        if data.get("action"):
            rows = rows.filter(action=data["action"])
        zone = timezone.get_current_timezone()
        if data.get("first"):
            rows = rows.filter(at__gte=datetime.combine(data["first"], time.min, tzinfo=zone))
        if data.get("last"):
            rows = rows.filter(at__lt=datetime.combine(data["last"] + timedelta(days=1), time.min, tzinfo=zone))
    elif form.is_bound:
        rows = rows.none()
    return form, rows


@login_required
@never_cache
@require_safe
def access_log(request: HttpRequest) -> HttpResponse:
    """The access log (auditors): who opened, exported or erased which record, when and why. Read only."""
    if not policies.can_audit(request.user):
        return _forbidden(request, _("Only administrators review the access log."))
    form, rows = _log_rows(request)
    page = Paginator(rows, LOG_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode(), "status": 400 if form.errors else 200}
    return render(request, "console/care/access_log.html", context, status=400 if form.errors else 200)


@login_required
@never_cache
@require_safe
def access_log_xlsx(request: HttpRequest) -> HttpResponse:
    if not policies.can_audit(request.user):
        return _forbidden(request, _("Only administrators review the access log."))
    form, rows = _log_rows(request)
    if form.errors:
        return access_log(request)
    book = excel.Book(write_only=True)
    sheet = book.sheet("访问日志")
    sheet.header(["时间", "人员", "操作", "居民编号", "户编号", "目的", "说明"], widths=[18, 14, 24, 10, 10, 16, 40])
    for entry in rows.select_related("user")[:MAX_LOG_EXPORT]:
        sheet.row(
            [
                timeutil.local(entry.at),
                str(entry.user) if entry.user else "",
                str(Access(entry.action).label) if entry.action in Access.values else entry.action,
                entry.resident_id_ref,
                entry.household_id_ref,
                str(entry.get_purpose_display()) if entry.purpose else "",
                entry.detail,
            ]
        )
    return _xlsx(book.to_bytes(), f"care-access-log-{_today():%Y%m%d}")
