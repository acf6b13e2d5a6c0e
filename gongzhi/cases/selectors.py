"""Reads of cases. Every read that depends on who asks takes the viewer; out of scope is NotFound (404)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from gongzhi.cases import transitions as t
from gongzhi.cases.models import Case, CaseCategory, CaseEvent, DepartmentCase
from gongzhi.core.errors import DomainError, Term, gettext_noop
from gongzhi.core.scoping import get_in_scope
from gongzhi.grid import location, roles
from gongzhi.grid import selectors as grid_selectors
from gongzhi.grid.models import Building, GridNode, Jurisdiction
from gongzhi.routing import services as routing


def case_list_visible_to(user: Any) -> QuerySet[Case]:
    """The cases ``user`` may read (DESIGN.md §6): out of this set is a 404 on every read path.

    - A post on a grid node: cases located in, owned by or handled in that node's subtree.
    - A post on a department: the cases the department handles or handled (dispatched to it) and those it was
      summoned to (吹哨报到), open or finished — ``DepartmentCase`` rows, kept when the case moves on — and nothing
      else, whatever its service area (the area says where it works, not what it may read).
    - Anyone: the cases they handle in person. Superusers: everything.
    """
    if not getattr(user, "is_authenticated", False):
        return Case.objects.none()
    if user.is_superuser and user.is_active:
        return Case.objects.all()
    posts = [p for p in grid_selectors.active_posts(user) if roles.can(p.role, roles.CASE_VIEW)]
    condition = Q(handler_user=user)
    for jurisdiction_id, path in grid_selectors.node_scope_prefixes(posts):
        inside = {"jurisdiction_id": jurisdiction_id}
        condition |= Q(**inside, owner_node__path__startswith=path)
        condition |= Q(**inside, grid_node__path__startswith=path)
        condition |= Q(**inside, handler_node__path__startswith=path)
    department_ids = sorted({p.department_id for p in posts if p.department_id})
    if department_ids:
        involved = DepartmentCase.objects.filter(department_id__in=department_ids).values("case_id")
        condition |= Q(pk__in=involved)
    return Case.objects.filter(condition)


def case_for(user: Any, case_id: Any) -> Case:
    return get_in_scope(
        case_list_visible_to(user).select_related(
            "category", "owner_node", "handler_node", "handler_department", "handler_user", "grid_node", "building"
        ),
        pk=case_id,
    )


def _ancestor_at(node: GridNode, level: str) -> GridNode:
    found = grid_selectors.ancestor_at(node, level)
    if found is None:
        raise DomainError(
            gettext_noop("%(node)s has no %(level)s above it"),
            params={"node": node.name, "level": Term(roles.LEVEL_TERMS.get(level, level))},
        )
    return found


def owner_for(node: GridNode, level: str) -> GridNode:
    """The desk that owns a case located at ``node`` and handled at ``level`` (triage, escalation): community
    dispatchers own everything at community level and below; above that, the unit at that level. DomainError when
    the level does not fit the place."""
    owner_level = level if roles.level_index(level) < roles.level_index(roles.COMMUNITY) else roles.COMMUNITY
    if roles.level_index(node.level) < roles.level_index(owner_level):
        return node  # located only roughly (e.g. no GPS): the highest known unit owns it
    return _ancestor_at(node, owner_level)


def desks_by_level(case: Case) -> dict[str, GridNode]:
    """Where triage at each handling level would send ``case``: level → the desk that would own it (the levels that
    fit where the case is). What the triage form shows beside each level, and the console says after triage."""
    base = case.grid_node or case.owner_node
    found: dict[str, GridNode] = {}
    for level in roles.LEVELS:
        try:
            found[level] = owner_for(base, level)
        except DomainError:
            continue
    return found


def case_by_tracking_code(code: str) -> Case | None:
    """Public lookup by tracking code (the resident's receipt); the caller shows only public fields."""
    code = (code or "").strip().upper()
    if not code or len(code) > 16:
        return None
    return (
        Case.objects.select_related("category", "handler_node", "handler_department").filter(tracking_code=code).first()
    )


def timeline(case: Case, *, public_only: bool) -> QuerySet[CaseEvent]:
    events = case.events.select_related("actor").order_by("seq")
    return events.filter(public=True) if public_only else events


def categories_for(jurisdiction_id: int, *, leaves_only: bool = False) -> QuerySet[CaseCategory]:
    rows = CaseCategory.objects.filter(jurisdiction_id=jurisdiction_id, active=True)
    return rows.filter(children__isnull=True) if leaves_only else rows


def pool_for(user: Any) -> QuerySet[Case]:
    """Pooled cases a steward may take: dispatched to the pool of a micro-grid they serve."""
    nodes = [p.node_id for p in grid_selectors.active_posts(user) if p.role == roles.STEWARD and p.node_id]
    return Case.objects.filter(status=t.DISPATCHED, pooled=True, handler_node_id__in=nodes).order_by("resolve_due")


@dataclass(frozen=True)
class ClearanceRow:
    """One line of the 日清日结 report."""

    case: Case
    overdue: bool


def daily_clearance(node: GridNode, day: date) -> list[ClearanceRow]:
    """日清日结: cases of the node's subtree due by the end of ``day`` (local) that were not resolved by then."""
    end = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))
    rows = (
        Case.objects.filter(jurisdiction_id=node.jurisdiction_id, owner_node__path__startswith=node.path)
        .filter(resolve_due__lt=end, submitted_at__lt=end)
        .filter(Q(status__in=t.OPEN) | Q(resolved_at__gte=end))
        .select_related("category", "owner_node", "handler_node", "handler_department", "handler_user")
        .order_by("resolve_due")
    )
    start = end - timedelta(days=1)
    return [ClearanceRow(case=c, overdue=c.resolve_due < start) for c in rows]


# ------------------------------------------------------------------------------------------ already reported nearby


@dataclass(frozen=True)
class NearbyCase:
    """An open case a resident about to report may be looking at, in public words only: its type, where (a building,
    else the grid unit — never the address text or a flat), its status and how many others follow it. Never the
    text, the photos, the reporter or the tracking code. ``pk`` is for the interface to refer to it (signed)."""

    pk: int
    category: CaseCategory | None
    place: str
    status: str
    submitted_at: datetime
    followers: int


def nearby_open_cases(
    *,
    jurisdiction: Jurisdiction,
    title: str,
    description: str = "",
    category: CaseCategory | None = None,
    building: Building | None = None,
    lat: float | None = None,
    lon: float | None = None,
    at: datetime | None = None,
    limit: int = 3,
) -> list[NearbyCase]:
    """ "Already reported nearby?": the open cases the case engine would offer staff as duplicates of this report
    (``routing``'s duplicate search, as ``services.prepare_submission`` runs it: close by, recent, a similar text, the
    same suggested type), most similar first. Nothing for a private matter: when the chosen or the suggested type is
    a private category, or the candidate's is, or its type differs from the one the resident chose."""
    if category is not None and category.private:
        return []
    node_id: int | None = None
    if building is not None:
        if building.jurisdiction_id != jurisdiction.pk:
            return []
        node_id = building.node_id
        if building.lat is not None and building.lon is not None:
            lat, lon = building.lat, building.lon
    elif lat is not None and lon is not None:
        node_id = location.locate(jurisdiction.pk, lat, lon).node_id
        if node_id is None:
            return []
    else:
        return []
    suggestion = routing.suggest(
        jurisdiction_id=jurisdiction.pk, title=title, description=description, lat=lat, lon=lon, node_id=node_id, at=at
    )
    if (
        suggestion.category
        and CaseCategory.objects.filter(jurisdiction=jurisdiction, code=suggestion.category, private=True).exists()
    ):
        return []
    order = [m.case_id for m in suggestion.duplicates]
    rows = (
        Case.objects.filter(pk__in=order, jurisdiction=jurisdiction, status__in=t.OPEN)
        .exclude(category__private=True)
        .select_related("category", "building__compound", "grid_node")
    )
    found = {c.pk: c for c in rows if category is None or c.category_id in (None, category.pk)}
    return [
        NearbyCase(
            pk=c.pk,
            category=c.category,
            place=str(c.building) if c.building_id else (c.grid_node.name if c.grid_node_id else ""),
            status=c.status,
            submitted_at=c.submitted_at,
            followers=c.duplicate_count,
        )
        for c in (found[pk] for pk in order if pk in found)
    ][:limit]
