"""Reads of the lists, scoped to the viewer: the subtrees of the grid posts that grant ``lists.view``.

Out of scope and missing are the same ``NotFound`` (404).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from gongzhi.core.errors import NotFound, gettext_noop
from gongzhi.grid import roles
from gongzhi.grid import selectors as grid_selectors
from gongzhi.grid.models import PATH_SEGMENT_WIDTH, GridNode
from gongzhi.lists.models import Need, NeedEvent, Project, Resource

COMMUNITY_PATH = PATH_SEGMENT_WIDTH * (roles.level_index(roles.COMMUNITY) + 1)  # district, street, community


def _condition(user: Any, capability: str, field: str) -> Q | None:
    """The subtrees of the posts granting ``capability``, widened to their community: the lists are a community's, and
    a post below one (a grid worker, a steward) reads its community's lists. ``Q()`` for a superuser, None for none."""
    return grid_selectors.capability_condition(user, capability, field, widen_to=COMMUNITY_PATH)


def _scoped[M: Any](qs: QuerySet[M], user: Any, capability: str = roles.LISTS_VIEW) -> QuerySet[M]:
    condition = _condition(user, capability, "node__")
    return qs.none() if condition is None else qs.filter(condition)


def can_view(user: Any) -> bool:
    return _condition(user, roles.LISTS_VIEW, "") is not None


def can_manage(user: Any, node: GridNode | None = None) -> bool:
    """May the user keep the lists (of ``node``, or of somewhere)?"""
    if node is not None:
        return grid_selectors.user_can(user, roles.LISTS_MANAGE, node)
    return _condition(user, roles.LISTS_MANAGE, "") is not None


def communities(user: Any, capability: str = roles.LISTS_VIEW) -> QuerySet[GridNode]:
    """The communities whose lists the user may read (or keep): in their subtrees, or above their node."""
    qs = GridNode.objects.filter(level=roles.COMMUNITY).defer("boundary").order_by("path")
    condition = _condition(user, capability, "")
    return qs.none() if condition is None else qs.filter(condition)


def needs_visible_to(user: Any) -> QuerySet[Need]:
    return _scoped(Need.objects.select_related("node", "compound"), user)


def resources_visible_to(user: Any) -> QuerySet[Resource]:
    return _scoped(Resource.objects.select_related("node"), user)


def projects_visible_to(user: Any) -> QuerySet[Project]:
    return _scoped(Project.objects.select_related("node", "provider"), user)


def _one[M: Any](qs: QuerySet[M], pk: Any, message: str) -> M:
    try:
        return qs.get(pk=int(pk))
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise NotFound(message) from None


def need_for(user: Any, pk: Any) -> Need:
    return _one(needs_visible_to(user), pk, gettext_noop("No such need in your scope."))


def resource_for(user: Any, pk: Any) -> Resource:
    return _one(resources_visible_to(user), pk, gettext_noop("No such resource in your scope."))


def project_for(user: Any, pk: Any) -> Project:
    return _one(projects_visible_to(user), pk, gettext_noop("No such project in your scope."))


def need_for_case(case_id: int) -> Need | None:
    """The need a case was turned into, if any (the console asks before offering the action)."""
    return Need.objects.filter(case_id=case_id).select_related("node").first()


def history(need: Need) -> QuerySet[NeedEvent]:
    return need.events.select_related("actor").order_by("at", "pk")


def community_counts(nodes: list[GridNode]) -> dict[int, dict[str, int]]:
    """Per community: needs by status, resources and projects (by status) in its subtree — the counts that
    ``analytics.formulas.list_figures`` turns into figures."""
    out: dict[int, dict[str, int]] = {}
    for node in nodes:
        cond = Q(node__jurisdiction_id=node.jurisdiction_id, node__path__startswith=node.path)
        counts: dict[str, int] = {}
        for status, n in Need.objects.filter(cond).values_list("status").annotate(n=Count("pk")):
            counts[f"needs_{status}"] = n
        for status, n in Project.objects.filter(cond).values_list("status").annotate(n=Count("pk")):
            counts[f"projects_{status}"] = n
        counts["resources"] = Resource.objects.filter(cond).count()
        out[node.pk] = counts
    return out


def public_projects(node: GridNode) -> QuerySet[Project]:
    """What a resident of ``node``'s community may browse: its projects that are planned or running."""
    return (
        Project.objects.filter(node__jurisdiction_id=node.jurisdiction_id, node__path__startswith=node.path)
        .exclude(status="ended")
        .select_related("provider")
    )


def public_resources(node: GridNode) -> QuerySet[Resource]:
    return Resource.objects.filter(node__jurisdiction_id=node.jurisdiction_id, node__path__startswith=node.path)


def placed_resources(jurisdiction_id: int, kind: str = "") -> QuerySet[Resource]:
    """Resources of a jurisdiction with a point on the map (of ``kind`` when given), for the resident's "near me" map
    and the console's circle map: public fields only (name, kind, hours, public phone, place)."""
    rows = Resource.objects.filter(node__jurisdiction_id=jurisdiction_id, lat__isnull=False, lon__isnull=False)
    if kind:
        rows = rows.filter(kind=kind)
    return rows.only("id", "node_id", "name", "kind", "hours", "phone", "address", "lat", "lon").order_by("pk")
