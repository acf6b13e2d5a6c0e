"""便民服务: a community's service projects and resources for residents, phone first — browse by category, a
project's page (what it costs, who may use it, when and where, the provider's hours and public phone, a small map)
and a resource's page. Reads through ``lists.selectors.public_projects/public_resources``; no personal data: a
contact person's name and mobile are never shown, and free text is masked again (``core.privacy.mask_text``)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from gongzhi.core.http import BadInput
from gongzhi.core.privacy import mask_text
from gongzhi.grid import roles
from gongzhi.lists import selectors as lists
from gongzhi.lists.choices import Category
from gongzhi.portal import selectors


def _community(request: HttpRequest, node_id: int):  # type: ignore[no-untyped-def]
    return selectors.public_node(node_id, level=roles.COMMUNITY)


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/not_found.html", {"message": _("This service is not listed here.")}, status=404)


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    jurisdiction = selectors.default_jurisdiction()
    code = request.GET.get("j")
    if code:
        from gongzhi.grid.models import Jurisdiction

        jurisdiction = Jurisdiction.objects.filter(code=code).first()
    nodes = selectors.communities(jurisdiction) if jurisdiction else []
    return render(
        request, "portal/choose_community.html", {"nodes": nodes, "target": "portal:services", "kind": "services"}
    )


@require_GET
def community(request: HttpRequest, node_id: int) -> HttpResponse:
    node = _community(request, node_id)
    if node is None:
        return _not_found(request)
    category = request.GET.get("category", "")
    if category and category not in Category.values:
        raise BadInput(_("Unknown category."))
    projects = lists.public_projects(node).order_by("category", "name", "pk")
    counts: dict[str, int] = {}
    for value in projects.values_list("category", flat=True):
        counts[value] = counts.get(value, 0) + 1
    categories = [(value, label, counts[value]) for value, label in Category.choices if value in counts]
    shown = projects.filter(category=category) if category else projects.none()
    return render(
        request,
        "portal/services.html",
        {
            "node": node,
            "categories": categories,
            "category": category,
            "category_label": Category(category).label if category else "",
            "projects": shown,
            "resources": lists.public_resources(node).order_by("kind", "name", "pk") if not category else [],
        },
    )


@require_GET
def project(request: HttpRequest, node_id: int, project_id: int) -> HttpResponse:
    node = _community(request, node_id)
    found = lists.public_projects(node).filter(pk=project_id).first() if node else None
    if found is None:
        return _not_found(request)
    provider = found.provider
    return render(
        request,
        "portal/service_project.html",
        {
            "node": node,
            "project": found,
            "provider": provider,
            "eligibility": mask_text(found.eligibility),
            "description": mask_text(found.description),
            "place": mask_text(found.place),
            "offer": mask_text(provider.offer),
            "base_jurisdiction": node.jurisdiction_id,
        },
    )


@require_GET
def resource(request: HttpRequest, node_id: int, resource_id: int) -> HttpResponse:
    node = _community(request, node_id)
    found = lists.public_resources(node).filter(pk=resource_id).first() if node else None
    if found is None:
        return _not_found(request)
    return render(
        request,
        "portal/service_resource.html",
        {
            "node": node,
            "resource": found,
            "offer": mask_text(found.offer),
            "projects": lists.public_projects(node).filter(provider=found).order_by("name"),
            "base_jurisdiction": node.jurisdiction_id,
        },
    )
