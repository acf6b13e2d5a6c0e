"""The lists pages (一台账三清单): an overview per community with its figures, the needs, resources and projects lists
with filters, their forms, a need's page (history, linked case and projects) and a project's page.

Thin: ``lists.selectors`` read in the viewer's scope (out of scope is a 404 like missing), ``lists.services`` write
and refuse (403 not allowed, 409 a step the need cannot take, 400 bad input: the form comes back with the reason).
Turning a case into a need is orchestrated here, since lists imports no other domain.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from gongzhi.analytics import formulas
from gongzhi.cases import selectors as case_selectors
from gongzhi.console import handbook as handbook_pdf
from gongzhi.console import lists_forms as forms
from gongzhi.console import lists_io
from gongzhi.core.errors import DomainError, NotFound, PermissionDenied
from gongzhi.core.http import BadInput
from gongzhi.grid import roles
from gongzhi.lists import selectors, services
from gongzhi.lists import transitions as t
from gongzhi.lists.choices import Category, NeedStatus, ProjectStatus, ResourceKind
from gongzhi.lists.models import Need, Project, Resource

PAGE_SIZE = 50


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "403.html", {"exception": message}, status=403)


def _no_view(request: HttpRequest) -> HttpResponse | None:
    if not selectors.can_view(request.user):
        return _forbidden(request, _("The lists are kept by communities; you hold no post that reads them."))
    return None


def _no_manage(request: HttpRequest, node: Any = None) -> HttpResponse | None:
    if not selectors.can_manage(request.user, node):
        return _forbidden(request, _("You may read these lists but not change them."))
    return None


def _get[M](read: Any, request: HttpRequest, pk: int) -> M:
    try:
        return read(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _jurisdiction(request: HttpRequest) -> int | None:
    first = selectors.communities(request.user, roles.LISTS_MANAGE).first()
    return first.jurisdiction_id if first else None


def _page(request: HttpRequest, qs: QuerySet[Any]) -> Any:
    raw = request.GET.get("page", "1")
    if not raw.isdigit() or int(raw) < 1:
        raise BadInput(_("The page number must be a whole number from 1."))
    return Paginator(qs, PAGE_SIZE).get_page(int(raw))


def _filtered(request: HttpRequest, qs: QuerySet[Any], *, statuses: Any, categories: Any, field: str, label: Any):
    form = forms.ListFilter(
        request.GET or None, user=request.user, statuses=statuses, categories=categories, category_label=label
    )
    if form.is_bound and not form.is_valid():
        raise BadInput(_("Unknown filter: %(fields)s.") % {"fields": ", ".join(sorted(form.errors))})
    data = form.cleaned_data if form.is_bound else {}
    if data.get("status"):
        qs = qs.filter(status=data["status"])
    if data.get("category"):
        qs = qs.filter(**{field: data["category"]})
    if data.get("node"):
        node = next(c for c in selectors.communities(request.user) if str(c.pk) == data["node"])
        qs = qs.filter(node__jurisdiction_id=node.jurisdiction_id, node__path__startswith=node.path)
    return form, qs


def _query(request: HttpRequest) -> str:
    q = request.GET.copy()
    q.pop("page", None)
    return q.urlencode()


# ------------------------------------------------------------------------------------------------------ overview

BARS = (
    ("needs_collected", gettext_lazy("collected")),
    ("needs_matched", gettext_lazy("matched")),
    ("needs_served", gettext_lazy("served")),
    ("needs_closed", pgettext_lazy("need", "closed")),
    ("resources", gettext_lazy("resources")),
    ("projects", gettext_lazy("projects")),
)
BAR_WIDTH = 240  # px of the longest bar in a community's chart


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """Each community in scope with its figures (analytics.formulas.list_figures) and a small bar chart."""
    if denied := _no_view(request):
        return denied
    communities = list(selectors.communities(request.user))
    counts = selectors.community_counts(communities)
    rows = []
    for node in communities:
        figures = formulas.list_figures(counts[node.pk])
        longest = max([int(figures[key] or 0) for key, _label in BARS] + [1])
        bars = [
            {
                "label": label,
                "value": figures[key],
                "width": round(BAR_WIDTH * int(figures[key] or 0) / longest),
                "y": 4 + i * 22,
                "key": key,
            }
            for i, (key, label) in enumerate(BARS)
        ]
        rows.append({"node": node, "figures": figures, "bars": bars})
    return render(
        request,
        "console/lists/overview.html",
        {"rows": rows, "may_manage": selectors.can_manage(request.user), "chart_height": 4 + 22 * len(BARS)},
    )


# --------------------------------------------------------------------------------------------------------- needs


@login_required
def needs(request: HttpRequest) -> HttpResponse:
    if denied := _no_view(request):
        return denied
    form, qs = _filtered(
        request,
        selectors.needs_visible_to(request.user),
        statuses=NeedStatus.choices,
        categories=Category.choices,
        field="category",
        label=_("Category"),
    )
    return render(
        request,
        "console/lists/needs.html",
        {
            "form": form,
            "page": _page(request, qs),
            "query": _query(request),
            "may_manage": selectors.can_manage(request.user),
        },
    )


@login_required
def need_new(request: HttpRequest) -> HttpResponse:
    if denied := _no_manage(request):
        return denied
    form = forms.NeedForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            need = services.create_need(
                actor=request.user,
                node=d["node"],
                compound=d["compound"],
                title=d["title"],
                category=d["category"],
                source=d["source"],
                households=d["households"],
                description=d["description"],
                note=d["note"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The need was recorded."))
            return redirect("console:lists_need", need.pk)
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "console/lists/form.html", {"form": form, "title": _("Record a need")}, status=status)


def _need_page(request: HttpRequest, need: Need, *, status: int = 200) -> HttpResponse:
    case = None
    if need.case_id:
        try:
            case = case_selectors.case_for(request.user, need.case_id)
        except NotFound:
            case = None  # outside the viewer's case scope: the code is shown without a link
    return render(
        request,
        "console/lists/need.html",
        {
            "need": need,
            "events": selectors.history(need),
            "projects": need.projects.select_related("provider").order_by("name"),
            "case": case,
            "may_manage": selectors.can_manage(request.user, need.node),
            "actions": [a for a in t.allowed(need.status) if a in (t.CLOSE, t.REOPEN)],
        },
        status=status,
    )


@login_required
def need_detail(request: HttpRequest, need_id: int) -> HttpResponse:
    if denied := _no_view(request):
        return denied
    return _need_page(request, _get(selectors.need_for, request, need_id))


@login_required
def need_edit(request: HttpRequest, need_id: int) -> HttpResponse:
    if denied := _no_view(request):
        return denied
    need: Need = _get(selectors.need_for, request, need_id)
    if denied := _no_manage(request, need.node):
        return denied
    initial = {"title": need.title, "category": need.category, "households": need.households}
    form = forms.NeedEditForm(request.POST or None, initial={**initial, "description": need.description})
    if request.method == "POST" and form.is_valid():
        try:
            services.update_need(actor=request.user, need=need, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The need was saved."))
            return redirect("console:lists_need", need.pk)
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request, "console/lists/form.html", {"form": form, "title": _("Edit the need"), "back": need}, status=status
    )


@login_required
@require_POST
def need_action(request: HttpRequest, need_id: int, action: str) -> HttpResponse:
    if denied := _no_view(request):
        return denied
    need: Need = _get(selectors.need_for, request, need_id)
    if action not in (t.CLOSE, t.REOPEN):
        raise Http404(_("No such action."))
    form = forms.NeedActionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        changed = services.change_need(actor=request.user, need=need, action=action, note=note)
    except PermissionDenied as exc:
        return _forbidden(request, exc.message)
    except DomainError as exc:
        messages.error(request, _("The action was refused: %(reason)s") % {"reason": exc.message})
        return _need_page(request, need, status=exc.http_status)
    messages.success(request, _("The need is now %(status)s.") % {"status": changed.get_status_display()})
    return redirect("console:lists_need", need.pk)


@login_required
@require_POST
def case_to_need(request: HttpRequest, case_id: int) -> HttpResponse:
    """Turn a case into a need in one action: the case as the case selectors give it, the need by the lists
    services (one need per case: a second attempt says which need it already is)."""
    try:
        case = case_selectors.case_for(request.user, case_id)
    except NotFound as exc:
        raise Http404(exc.message) from None
    existing = selectors.need_for_case(case.pk)
    if existing is not None:
        messages.error(request, _("This case is already the need “%(title)s”.") % {"title": existing.title})
        return redirect("console:case", case.pk)
    community = case.grid_node
    while community is not None and community.level != "community":
        community = community.parent
    if community is None:
        messages.error(request, _("The case is not placed in a community, so it cannot become a community's need."))
        return redirect("console:case", case.pk)
    try:
        need = services.create_need(
            actor=request.user,
            node=community,
            title=case.title,
            description=case.description,
            category=Category.OTHER,
            source="case",
            households=1,
            compound=case.building.compound if case.building_id and case.building.compound_id else None,
            case_id=case.pk,
            case_code=case.tracking_code,
            note=_("From case %(code)s") % {"code": case.tracking_code},
        )
    except PermissionDenied as exc:
        return _forbidden(request, exc.message)
    except DomainError as exc:
        messages.error(request, _("The action was refused: %(reason)s") % {"reason": exc.message})
        return redirect("console:case", case.pk)
    messages.success(request, _("The case was added to the needs list; set its category."))
    return redirect("console:lists_need_edit", need.pk)


# ----------------------------------------------------------------------------------------------------- resources


@login_required
def resources(request: HttpRequest) -> HttpResponse:
    if denied := _no_view(request):
        return denied
    form, qs = _filtered(
        request,
        selectors.resources_visible_to(request.user),
        statuses=[],
        categories=ResourceKind.choices,
        field="kind",
        label=_("Kind"),
    )
    return render(
        request,
        "console/lists/resources.html",
        {
            "form": form,
            "page": _page(request, qs),
            "query": _query(request),
            "may_manage": selectors.can_manage(request.user),
        },
    )


def _resource_form(request: HttpRequest, resource: Resource | None) -> HttpResponse:
    initial: dict[str, Any] = {}
    if resource is not None:
        initial = {f: getattr(resource, f) for f in forms.ResourceForm.base_fields if f != "node"}
        initial["node"] = resource.node_id
    form = forms.ResourceForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = dict(form.cleaned_data)
        node = d.pop("node")
        try:
            saved = services.save_resource(actor=request.user, node=node, resource=resource, **d)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The resource was saved."))
            return redirect(
                "console:lists_resources" if resource is None else "console:lists_resource_edit",
                *([] if resource is None else [saved.pk]),
            )
    status = 400 if form.is_bound and form.errors else 200
    title = _("Add a resource") if resource is None else _("Edit the resource")
    return render(
        request,
        "console/lists/form.html",
        {
            "form": form,
            "title": title,
            "map": True,
            "resource": resource,
            "base_jurisdiction": resource.node.jurisdiction_id if resource else _jurisdiction(request),
        },
        status=status,
    )


@login_required
def resource_new(request: HttpRequest) -> HttpResponse:
    if denied := _no_manage(request):
        return denied
    return _resource_form(request, None)


@login_required
def resource_edit(request: HttpRequest, resource_id: int) -> HttpResponse:
    if denied := _no_view(request):
        return denied
    resource: Resource = _get(selectors.resource_for, request, resource_id)
    if denied := _no_manage(request, resource.node):
        return denied
    return _resource_form(request, resource)


# ------------------------------------------------------------------------------------------------------ projects


@login_required
def projects(request: HttpRequest) -> HttpResponse:
    if denied := _no_view(request):
        return denied
    form, qs = _filtered(
        request,
        selectors.projects_visible_to(request.user),
        statuses=ProjectStatus.choices,
        categories=Category.choices,
        field="category",
        label=_("Category"),
    )
    return render(
        request,
        "console/lists/projects.html",
        {
            "form": form,
            "page": _page(request, qs),
            "query": _query(request),
            "may_manage": selectors.can_manage(request.user),
        },
    )


@login_required
def project_detail(request: HttpRequest, project_id: int) -> HttpResponse:
    if denied := _no_view(request):
        return denied
    project: Project = _get(selectors.project_for, request, project_id)
    return render(
        request,
        "console/lists/project.html",
        {
            "project": project,
            "needs": project.needs.select_related("node").order_by("title"),
            "may_manage": selectors.can_manage(request.user, project.node),
        },
    )


def _project_form(request: HttpRequest, project: Project | None) -> HttpResponse:
    initial: dict[str, Any] = {}
    if project is not None:
        initial = {
            f: getattr(project, f) for f in forms.ProjectForm.base_fields if f not in ("node", "provider", "needs")
        }
        initial |= {"node": project.node_id, "provider": project.provider_id, "needs": list(project.needs.all())}
    form = forms.ProjectForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = dict(form.cleaned_data)
        node, needs = d.pop("node"), d.pop("needs")
        try:
            saved = services.save_project(actor=request.user, node=node, needs=needs, project=project, **d)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The project was saved."))
            return redirect("console:lists_project", saved.pk)
    status = 400 if form.is_bound and form.errors else 200
    title = _("Add a project") if project is None else _("Edit the project")
    return render(request, "console/lists/form.html", {"form": form, "title": title, "back": project}, status=status)


@login_required
def project_new(request: HttpRequest) -> HttpResponse:
    if denied := _no_manage(request):
        return denied
    return _project_form(request, None)


@login_required
def project_edit(request: HttpRequest, project_id: int) -> HttpResponse:
    if denied := _no_view(request):
        return denied
    project: Project = _get(selectors.project_for, request, project_id)
    if denied := _no_manage(request, project.node):
        return denied
    return _project_form(request, project)


# --------------------------------------------------------------------------------------------------------- Excel

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@login_required
def list_export(request: HttpRequest, kind: str) -> HttpResponse:
    """The whole list in the viewer's scope as .xlsx (contact mobiles masked, as on the list); it imports back."""
    if kind not in lists_io.SPECS:
        raise Http404(_("No such list."))
    if denied := _no_view(request):
        return denied
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return FileResponse(
        lists_io.export(kind, lists_io.rows_for_export(kind, request.user)),
        as_attachment=True,
        filename=f"{kind}-{stamp}.xlsx",
        content_type=XLSX,
    )


@login_required
def list_template(request: HttpRequest, kind: str) -> HttpResponse:
    """The columns to fill in, in the reader's language (upload it on the imports page)."""
    if kind not in lists_io.SPECS:
        raise Http404(_("No such list."))
    if denied := _no_manage(request):
        return denied
    return FileResponse(
        lists_io.export(kind, []), as_attachment=True, filename=f"{kind}-template.xlsx", content_type=XLSX
    )


@login_required
def handbook(request: HttpRequest, node_id: int) -> HttpResponse:
    """The community's service handbook (便民服务手册) as PDF, for a community whose lists the viewer reads."""
    if denied := _no_view(request):
        return denied
    node = selectors.communities(request.user).filter(pk=node_id).first()
    if node is None:
        raise Http404(_("No such community in your scope."))
    response = HttpResponse(handbook_pdf.render(node), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="handbook-{node.pk}.pdf"'
    return response
