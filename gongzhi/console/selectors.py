"""Reads behind the console's workbenches. Each takes the viewer and starts from what the case engine lets them see.

Lists are bounded: keyset pagination on (sort key, id) so page 500 costs what page 1 costs, and counts are capped
(``capped_count``) instead of a ``COUNT(*)`` over a million rows on every page load. The indexes they rely on are
in ``cases/migrations/0002_console_indexes.py``.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from gongzhi.care import policies as care_policies
from gongzhi.cases import selectors as case_selectors
from gongzhi.cases import transitions as t
from gongzhi.cases.choices import CoTaskStatus, SlaState
from gongzhi.cases.models import Case, CaseCategory, CoHandlingTask
from gongzhi.grid import roles
from gongzhi.grid import selectors as grid_selectors
from gongzhi.grid.models import PATH_SEGMENT_WIDTH, Building, Compound, Department, GridNode

PAGE_SIZE = 50
COUNT_CAP = 1000
# A task whose deadline is this close (or already in the warning share of its time) is flagged on every page.
NEAR_BREACH = timedelta(hours=4)
LIST_RELATED = ("category", "owner_node", "handler_node", "handler_department", "handler_user")
# Columns a list row shows; everything else (description, photos, attributes, encrypted phone) stays in the table.
LIST_FIELDS = (
    "id",
    "tracking_code",
    "title",
    "status",
    "channel",
    "level",
    "urgency",
    "sla_state",
    "submitted_at",
    "resolve_due",
    "pooled",
    "rework_count",
    "external_id",
    "category",
    "owner_node",
    "handler_node",
    "handler_department",
    "handler_user",
    "category__name",
    "owner_node__name",
    "handler_node__name",
    "handler_department__name",
    "handler_user__username",
    "handler_user__display_name",
    "handler_user__first_name",
    "handler_user__last_name",
)


def _slim(rows: QuerySet[Case]) -> QuerySet[Case]:
    return rows.select_related(*LIST_RELATED).only(*LIST_FIELDS)


# ---------------------------------------------------------------------------------------------------------- paging


@dataclass
class Page:
    """One page of a keyset-paginated list."""

    rows: list[Any]
    next_cursor: str = ""
    count: int = 0
    count_capped: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def _encode(values: list[Any]) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, datetime) else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


MAX_ID = 2**63 - 1


class InvalidCursor(ValueError):
    """A page link (``?after=``) this server did not write: tampered with, or cut short."""


def _decode(cursor: str) -> tuple[datetime | None, int] | None:
    """The (sort value, id) of the last row of the previous page; None for the first page. Anything that is not
    a cursor ``_encode`` wrote — not base64 JSON, a date that does not exist or has no time zone, an id that is not
    a positive whole number that fits the database — is InvalidCursor, never a query."""
    if not cursor:
        return None
    try:
        if len(cursor) > 200:
            raise ValueError
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        values = json.loads(raw)
        if not isinstance(values, list) or len(values) != 2:
            raise ValueError
        value, pk = values
        if type(pk) is not int or not 0 < pk <= MAX_ID:
            raise ValueError
        if value is None:
            return None, pk
        stamp = parse_datetime(value) if isinstance(value, str) else None
        if stamp is None or timezone.is_naive(stamp):
            raise ValueError
        return stamp.astimezone(UTC), pk  # a date at the edge of the calendar fails here, not in the query
    except (ValueError, UnicodeDecodeError, RecursionError, OverflowError):
        raise InvalidCursor(cursor) from None


def keyset_page(
    rows: QuerySet[Case], *, key: str, descending: bool, cursor: str = "", size: int = PAGE_SIZE
) -> tuple[list[Case], str]:
    """Rows after ``cursor`` ordered by (key, id); returns the rows and the cursor of the next page ('' at the end).

    Rows whose key is NULL sort last and are paged by id alone. A cursor this server did not write is
    InvalidCursor (the view answers 400).
    """
    direction = "-" if descending else ""
    null_rows = rows.filter(**{f"{key}__isnull": True})
    rows = rows.filter(**{f"{key}__isnull": False})
    position = _decode(cursor)
    in_nulls = False
    if position is not None:
        stamp, pk = position
        if stamp is None:
            in_nulls = True
        else:
            after = f"{key}__lt" if descending else f"{key}__gt"
            same_after = "id__lt" if descending else "id__gt"
            rows = rows.filter(Q(**{after: stamp}) | Q(**{key: stamp, same_after: pk}))
    found: list[Case] = []
    if not in_nulls:
        found = list(rows.order_by(f"{direction}{key}", f"{direction}id")[: size + 1])
    if len(found) <= size:
        remaining = size + 1 - len(found)
        tail = null_rows.order_by(f"{direction}id")
        if in_nulls and position is not None:
            tail = tail.filter(**{"id__lt" if descending else "id__gt": position[1]})
        found += list(tail[:remaining])
    if len(found) <= size:
        return found, ""
    last = found[size - 1]
    return found[:size], _encode([getattr(last, key), last.pk])


def capped_count(rows: QuerySet[Any], cap: int = COUNT_CAP) -> tuple[int, bool]:
    """How many rows, counting at most ``cap`` + 1 of them: (count, True when there are more than ``cap``)."""
    n = rows.order_by()[: cap + 1].count()
    return min(n, cap), n > cap


# ----------------------------------------------------------------------------------------------------- who am I


@dataclass(frozen=True)
class Workbenches:
    """Which console pages the viewer's posts open: the one answer the views check and the navigation shows.

    Each field is a capability test over the viewer's posts (``grid.roles``), never a list of role names:
    a page is offered exactly when its view lets the viewer in.
    """

    tasks: bool  # my tasks: a grid post that takes cases (接单)
    queue: bool  # the dispatch desk: a grid post that dispatches (交办)
    department: bool  # a department post that takes cases or reports in (报到)
    cases: bool  # all cases in scope, their map and export
    clearance: bool  # 日清日结 over a grid area
    analytics: bool  # the command centre's figures (some grid node the viewer may see the figures of)
    record: bool  # 代录 / 主动发现
    imports: bool  # Excel imports: hotline exports, grid ledgers, household ledgers of the care registry
    lists: bool  # the ledger and three lists (needs, resources, projects) of the communities in scope
    areas: bool  # the grid browser (map, figures, 三亮 cards)
    stations: bool = False  # stations (驿站): their desks, set-up and rota
    market: bool = False  # the service market (市集) and mobile service days: plan, keep a stall, the ledger
    care: bool = False  # the care registry (关爱): search, visits, households (care.policies.may_use_registry)
    care_log: bool = False  # the care registry's access log (care.audit: administrators)
    topics: bool = False  # deliberation (有事来协商): topics, meetings, votes (deliberation.desk or .manage)
    deliberation_manage: bool = False  # start topics, plan meetings, run votes (deliberation.manage)
    notices: bool = False  # notices to residents (通知公告: notice.publish)
    people: bool = False  # stewards, volunteers, activities, hours, party units and heads (people.manage)
    contacts: bool = False  # leaders' contact points (领导联系点): contact.manage, or a leader's own

    @property
    def landing(self) -> str:
        """The workbench the viewer's day starts on (the console's home sends them there)."""
        if self.tasks and not self.queue:
            return "tasks"  # they take and handle cases: stewards, grid workers
        if self.queue and self.tasks:
            return "queue"  # desks that dispatch and also handle: community and street staff
        if self.department:
            return "department"
        if self.analytics:
            return "analytics"  # no cases of their own to take: the command centre, leaders, administrators
        for name in ("queue", "cases", "areas"):
            if getattr(self, name):
                return name
        return "inbox"


def workbenches(user: Any) -> Workbenches:
    posts = grid_selectors.active_posts(user)
    superuser = bool(getattr(user, "is_superuser", False)) and bool(getattr(user, "is_active", False))

    def has(capability: str, *, on_department: bool | None = None) -> bool:
        for p in posts:
            if on_department is True and p.department_id is None:
                continue
            if on_department is False and p.node_id is None:
                continue
            if roles.can(p.role, capability):
                return True
        return False

    return Workbenches(
        tasks=has(roles.CASE_ACCEPT, on_department=False),
        queue=superuser or has(roles.CASE_DISPATCH, on_department=False),
        department=has(roles.CASE_ACCEPT, on_department=True) or has(roles.CASE_REPORT_IN, on_department=True),
        cases=superuser or has(roles.CASE_VIEW),
        clearance=superuser or has(roles.CASE_VIEW, on_department=False),
        analytics=grid_selectors.home_node_with(user, roles.ANALYTICS_VIEW) is not None,
        record=has(roles.CASE_RECORD, on_department=False),
        imports=superuser
        or has(roles.CASE_IMPORT, on_department=False)
        or has(roles.GRID_MANAGE, on_department=False)
        or has(roles.CARE_MANAGE, on_department=False),
        areas=superuser or has(roles.GRID_VIEW),
        lists=superuser or has(roles.LISTS_VIEW, on_department=False),
        stations=superuser
        or has(roles.STATION_DESK, on_department=False)
        or has(roles.STATION_MANAGE, on_department=False),
        market=superuser
        or has(roles.MARKET_DESK, on_department=False)
        or has(roles.MARKET_MANAGE, on_department=False),
        care=care_policies.may_use_registry(user),
        care_log=care_policies.can_audit(user),
        topics=superuser
        or has(roles.DELIBERATION_DESK, on_department=False)
        or has(roles.DELIBERATION_MANAGE, on_department=False),
        deliberation_manage=superuser or has(roles.DELIBERATION_MANAGE, on_department=False),
        notices=superuser or has(roles.NOTICE_PUBLISH, on_department=False),
        people=superuser or has(roles.PEOPLE_MANAGE, on_department=False),
        # A leader reads their own contact points whatever capabilities the post carries (volunteers.policies): the
        # one role test here, as contact points are a leader's by definition (services.add_contact_point).
        contacts=superuser or has(roles.CONTACT_MANAGE) or any(p.role == roles.LEADER for p in posts),
    )


def clearance_nodes(user: Any) -> list[GridNode]:
    """The areas whose 日清日结 the viewer may read: the outermost nodes of their grid posts (roots for superusers)."""
    if getattr(user, "is_superuser", False) and user.is_active:
        return grid_selectors.home_nodes(user)
    posts = [p for p in grid_selectors.active_posts(user) if roles.can(p.role, roles.CASE_VIEW)]
    prefixes = grid_selectors.node_scope_prefixes(posts)
    condition = Q()
    for jurisdiction_id, path in prefixes:
        condition |= Q(jurisdiction_id=jurisdiction_id, path=path)
    return list(GridNode.objects.filter(condition).defer("boundary").order_by("path")) if prefixes else []


def _nodes_with(user: Any, capability: str) -> list[int]:
    return [p.node_id for p in grid_selectors.active_posts(user) if p.node_id and roles.can(p.role, capability)]


def _departments_with(user: Any, capability: str) -> list[int]:
    return [
        p.department_id for p in grid_selectors.active_posts(user) if p.department_id and roles.can(p.role, capability)
    ]


# ------------------------------------------------------------------------------------------------------ my tasks

ACTIVE = (t.DISPATCHED, t.ACCEPTED, t.ON_HOLD)


def my_tasks(user: Any) -> QuerySet[Case]:
    """Cases dispatched to the viewer in person, accepted by them, or on hold with them; by deadline."""
    if not getattr(user, "is_authenticated", False):
        return Case.objects.none()
    return _slim(Case.objects.filter(handler_user=user, status__in=ACTIVE))


def unit_tasks(user: Any) -> QuerySet[Case]:
    """Cases dispatched to a unit the viewer serves (not a pool, not a person) and not yet accepted."""
    nodes = _nodes_with(user, roles.CASE_ACCEPT)
    if not nodes:
        return Case.objects.none()
    return _slim(
        Case.objects.filter(status=t.DISPATCHED, handler_user__isnull=True, pooled=False, handler_node_id__in=nodes)
    )


def pool(user: Any) -> QuerySet[Case]:
    return _slim(case_selectors.pool_for(user))


def near_breach(user: Any, *, at: datetime | None = None) -> QuerySet[Case]:
    """The viewer's own open tasks that are overdue, in their warning share, or due within ``NEAR_BREACH``."""
    now = at or timezone.now()
    return my_tasks(user).filter(
        Q(sla_state__in=(SlaState.WARNING, SlaState.BREACHED)) | Q(resolve_due__lte=now + NEAR_BREACH)
    )


# ---------------------------------------------------------------------------------------------- dispatch queue

QUEUE_STATUSES = (t.SUBMITTED, t.TRIAGED)


def queue_nodes(user: Any) -> list[GridNode]:
    """The units whose dispatch desk the viewer sits at (their posts' nodes that dispatch).

    Only a community or a unit above owns cases (``cases.services`` gives everything at community level and below
    to the community's desk), so a post that may triage but not dispatch (a grid worker) has no desk of its own.
    """
    ids = set(_nodes_with(user, roles.CASE_DISPATCH))
    return list(GridNode.objects.filter(pk__in=ids).defer("boundary").order_by("path"))


def dispatch_queue(user: Any, *, node_ids: list[int] | None = None) -> QuerySet[Case]:
    """Cases waiting at the viewer's desks for triage or dispatch (new, returned, escalated), oldest deadline first.

    A desk is the viewer's post node; cases owned there are the desk's queue (the owner moves with escalation).
    """
    if getattr(user, "is_superuser", False) and not node_ids:
        return _slim(Case.objects.filter(status__in=QUEUE_STATUSES))
    allowed = {n.pk for n in queue_nodes(user)}
    chosen = [n for n in (node_ids or allowed) if n in allowed]
    if not chosen:
        return Case.objects.none()
    return _slim(Case.objects.filter(owner_node_id__in=chosen, status__in=QUEUE_STATUSES))


def summoned_tasks_watched(user: Any) -> QuerySet[CoHandlingTask]:
    """吹哨报到 the viewer's desks called: each summoned department with its task, deadline and report."""
    nodes = [n.pk for n in queue_nodes(user)]
    if not nodes:
        return CoHandlingTask.objects.none()
    return (
        CoHandlingTask.objects.filter(case__owner_node_id__in=nodes, case__status__in=t.OPEN | {t.RESOLVED})
        .select_related("case", "department")
        .order_by("status", "due")
    )


# ------------------------------------------------------------------------------------------------ departments


def department_cases(user: Any) -> QuerySet[Case]:
    departments = _departments_with(user, roles.CASE_ACCEPT)
    if not departments:
        return Case.objects.none()
    return _slim(Case.objects.filter(handler_department_id__in=departments, status__in=ACTIVE))


def department_co_tasks(user: Any, *, open_only: bool = True) -> QuerySet[CoHandlingTask]:
    departments = _departments_with(user, roles.CASE_REPORT_IN)
    if not departments:
        return CoHandlingTask.objects.none()
    rows = CoHandlingTask.objects.filter(department_id__in=departments).select_related("case", "department")
    if open_only:
        rows = rows.filter(status=CoTaskStatus.SUMMONED)
    return rows.order_by("due")


def co_task_for(user: Any, task_id: Any) -> CoHandlingTask:
    """One co-handling task of the viewer's department; NotFound otherwise."""
    from gongzhi.core.scoping import get_in_scope

    return get_in_scope(department_co_tasks(user, open_only=False), pk=task_id)


# ---------------------------------------------------------------------------------------------- command centre


@dataclass
class CaseFilters:
    """The command centre's filters, already validated (see console.forms.CaseFilterForm)."""

    status: list[str] = field(default_factory=list)
    sla_state: list[str] = field(default_factory=list)
    level: list[str] = field(default_factory=list)
    channel: list[str] = field(default_factory=list)
    category: int | None = None
    department: int | None = None
    node: int | None = None  # located in, owned by or handled in this unit's subtree
    submitted_from: date | None = None
    submitted_to: date | None = None
    text: str = ""
    open_only: bool = False


def _scoped(user: Any) -> QuerySet[Case]:
    """``case_list_visible_to``, with one shortcut: a viewer whose grid posts cover a whole jurisdiction sees all its
    cases.

    The engine's condition ORs three subtree tests; for a district post every case passes all of them, and the plain
    jurisdiction filter lets PostgreSQL walk an index in list order instead of testing a million rows.
    """
    if getattr(user, "is_superuser", False) and user.is_active:
        return Case.objects.all()
    posts = [p for p in grid_selectors.active_posts(user) if roles.can(p.role, roles.CASE_VIEW)]
    prefixes = grid_selectors.node_scope_prefixes(posts)
    roots = dict(
        GridNode.objects.filter(parent__isnull=True, jurisdiction_id__in={j for j, _ in prefixes}).values_list(
            "jurisdiction_id", "path"
        )
    )
    whole = {j for j, path in prefixes if roots.get(j) == path}
    # Department posts add nothing inside a jurisdiction seen whole; in another one they would.
    if (
        whole
        and all(j in whole for j, _ in prefixes)
        and all(p.jurisdiction_id in whole for p in posts if p.department_id)
    ):
        return Case.objects.filter(jurisdiction_id__in=whole)
    return case_selectors.case_list_visible_to(user)


def command_list(user: Any, filters: CaseFilters) -> QuerySet[Case]:
    rows = _scoped(user)
    if filters.status:
        rows = rows.filter(status__in=filters.status)
    elif filters.open_only:
        rows = rows.filter(status__in=t.OPEN)
    if filters.sla_state:
        rows = rows.filter(sla_state__in=filters.sla_state)
    if filters.level:
        rows = rows.filter(level__in=filters.level)
    if filters.channel:
        rows = rows.filter(channel__in=filters.channel)
    if filters.category:
        # The category and its children, as ids: an IN list keeps the list on its index (an OR through a join
        # made PostgreSQL scan at a million rows).
        ids = [filters.category, *CaseCategory.objects.filter(parent_id=filters.category).values_list("pk", flat=True)]
        rows = rows.filter(category_id__in=ids)
    if filters.department:
        rows = rows.filter(handler_department_id=filters.department)
    if filters.node:
        node = GridNode.objects.filter(pk=filters.node).only("jurisdiction_id", "path").first()
        if node is not None:
            subtree = GridNode.objects.filter(jurisdiction_id=node.jurisdiction_id, path__startswith=node.path)
            rows = rows.filter(
                Q(owner_node__in=subtree.values("pk"))
                | Q(grid_node__in=subtree.values("pk"))
                | Q(handler_node__in=subtree.values("pk"))
            )
    tz = timezone.get_current_timezone()
    if filters.submitted_from:
        rows = rows.filter(submitted_at__gte=datetime.combine(filters.submitted_from, time.min, tzinfo=tz))
    if filters.submitted_to:
        end = datetime.combine(filters.submitted_to + timedelta(days=1), time.min, tzinfo=tz)
        rows = rows.filter(submitted_at__lt=end)
    text = filters.text.strip()
    if text:
        code = text.upper()
        if len(code) == 10 and code.isalnum():
            rows = rows.filter(Q(tracking_code=code) | Q(title__icontains=text))
        else:
            rows = rows.filter(Q(title__icontains=text) | Q(external_id=text))
    return _slim(rows)


# ------------------------------------------------------------------------------------------------------ records


def record_nodes(user: Any) -> list[GridNode]:
    """The nodes where the viewer may record a case (代录 / 主动发现): those of their posts holding CASE_RECORD."""
    return [
        p.node for p in grid_selectors.active_posts(user) if p.node is not None and roles.can(p.role, roles.CASE_RECORD)
    ]


def _in_record_nodes(user: Any) -> Q:
    condition = Q()
    for node in record_nodes(user):
        condition |= Q(jurisdiction_id=node.jurisdiction_id, node__path__startswith=node.path)
    return condition


def buildings_for_recording(user: Any, *, limit: int = 500) -> list[Building]:
    """Buildings where the viewer may record a case: inside a node where they hold CASE_RECORD."""
    condition = _in_record_nodes(user)
    if not condition:
        return []
    return list(Building.objects.filter(condition).select_related("compound").order_by("code")[:limit])


def compounds_for_recording(user: Any, *, limit: int = 300) -> list[Compound]:
    """Compounds (小区) where the viewer may record a case: in a node where they hold CASE_RECORD."""
    condition = _in_record_nodes(user)
    if not condition:
        return []
    return list(Compound.objects.filter(condition).select_related("node").order_by("code")[:limit])


def dispatch_targets(case: Case, *, department_kind: str = "") -> dict[str, Any]:
    """Where a dispatcher may send a case, nearest first: micro-grids (pools), people, units inside its owner (by
    level), and the departments that serve its place (those of ``department_kind`` — triage's suggestion — first)."""
    from gongzhi.grid.models import StaffPost

    owner = case.owner_node
    below = GridNode.objects.filter(jurisdiction_id=owner.jurisdiction_id, path__startswith=owner.path).defer(
        "boundary"
    )
    base = case.grid_node or owner

    def near(n: GridNode) -> tuple[bool, str]:
        # The case's own unit and the units around it (its ancestors and descendants) first.
        return (not base.path.startswith(n.path) and not n.path.startswith(base.path), n.path)

    micro = sorted(below.filter(level=roles.MICRO_GRID).order_by("path")[:400], key=near)
    units = sorted(below.order_by("path")[:600], key=near)
    people_posts = (
        StaffPost.objects.filter(active=True, node__in=below.values("pk"))
        .select_related("user", "node")
        .order_by("node__path", "role")[:300]
    )
    people: dict[int, Any] = {}
    for p in sorted(people_posts, key=lambda p: near(p.node)):
        if roles.can(p.role, roles.CASE_ACCEPT) and p.user_id not in people:
            people[p.user_id] = p
    serving = Q(service_area__isnull=True)
    if base.path:
        w = PATH_SEGMENT_WIDTH
        serving |= Q(service_area__path__in=[base.path[:i] for i in range(w, len(base.path) + 1, w)])
    departments = sorted(
        Department.objects.filter(serving, jurisdiction_id=case.jurisdiction_id, active=True).order_by("code"),
        key=lambda d: d.kind != department_kind,
    )
    return {"micro_grids": micro, "units": units, "people": list(people.values()), "departments": departments}


def duplicate_candidates(case: Case, *, limit: int = 10) -> list[Case]:
    """Open cases of the same owner likely to be the same problem (same building or category), newest first."""
    rows = Case.objects.filter(owner_node_id=case.owner_node_id, status__in=t.OPEN | {t.RESOLVED}).exclude(pk=case.pk)
    similar = Q()
    if case.building_id:
        similar |= Q(building_id=case.building_id)
    if case.category_id:
        similar |= Q(category_id=case.category_id)
    if not similar:
        similar = Q(grid_node_id=case.grid_node_id) if case.grid_node_id else Q(pk__in=[])
    return list(rows.filter(similar).only("id", "tracking_code", "title", "status").order_by("-submitted_at")[:limit])
