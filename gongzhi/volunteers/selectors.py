"""Reads of the people of the grid. Staff reads take the viewer (out of scope is NotFound); public reads give what a
resident may see: activities, party units and compound heads marked public — never an applicant's or a volunteer's
name or phone."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Case, IntegerField, Q, QuerySet, Sum, Value, When

from gongzhi.core import timeutil
from gongzhi.core.errors import NotFound
from gongzhi.core.http import known_id
from gongzhi.grid import roles
from gongzhi.grid import selectors as grid_selectors
from gongzhi.grid.models import GridNode
from gongzhi.volunteers.choices import (
    ActivityStatus,
    ErrandStatus,
    HoursStatus,
    PartyLevel,
    ReportInStatus,
    SignUpStatus,
)
from gongzhi.volunteers.models import (
    Activity,
    Application,
    Assessment,
    ContactPoint,
    Errand,
    Head,
    Hours,
    PartyUnit,
    ReportIn,
    SignUp,
    Steward,
    Volunteer,
)
from gongzhi.volunteers.services import NOT_FOUND

MAX_CARD_NODES = 100  # the nodes of one page's staff cards


def _scope(user: Any, field: str = "node__") -> Q | None:
    if not (getattr(user, "is_authenticated", False) and getattr(user, "is_active", False)):
        return None
    return grid_selectors.capability_condition(user, roles.PEOPLE_MANAGE, field)


def applications_visible_to(user: Any) -> QuerySet[Application]:
    condition = _scope(user)
    if condition is None:
        return Application.objects.none()
    return Application.objects.filter(condition).select_related("node").prefetch_related("approvals")


def application_for(user: Any, pk: Any) -> Application:
    found = applications_visible_to(user).filter(pk=known_id(pk, NOT_FOUND)).first()
    if found is None:
        raise NotFound(NOT_FOUND)
    return found


def stewards_visible_to(user: Any) -> QuerySet[Steward]:
    condition = _scope(user)
    if condition is None:
        return Steward.objects.none()
    return Steward.objects.filter(condition).select_related("node", "user", "post")


def steward_for(user: Any, pk: Any) -> Steward:
    found = stewards_visible_to(user).filter(pk=known_id(pk, NOT_FOUND)).first()
    if found is None:
        raise NotFound(NOT_FOUND)
    return found


def report_ins_visible_to(user: Any) -> QuerySet[ReportIn]:
    condition = _scope(user, "community__")
    if condition is None:
        return ReportIn.objects.none()
    return ReportIn.objects.filter(condition).select_related("community", "volunteer")


def volunteers_of(community: GridNode) -> QuerySet[Volunteer]:
    """The volunteers of a community: reported in and approved, or living there (their home community)."""
    return Volunteer.objects.filter(
        Q(report_ins__community=community, report_ins__status=ReportInStatus.APPROVED) | Q(home=community)
    ).distinct()


def activities_visible_to(user: Any) -> QuerySet[Activity]:
    condition = _scope(user)
    if condition is None:
        return Activity.objects.none()
    return Activity.objects.filter(condition).select_related("node", "team")


def activity_for(user: Any, pk: Any) -> Activity:
    found = activities_visible_to(user).filter(pk=known_id(pk, NOT_FOUND)).first()
    if found is None:
        raise NotFound(NOT_FOUND)
    return found


def hours_to_decide(user: Any) -> QuerySet[Hours]:
    condition = _scope(user, "community__")
    if condition is None:
        return Hours.objects.none()
    return (
        Hours.objects.filter(condition, status=HoursStatus.SUBMITTED)
        .select_related("community", "activity", "volunteer")
        .order_by("day", "pk")
    )


# ------------------------------------------------------------------------------------------------------- public


def public_activities(node: GridNode, *, now: Any = None) -> QuerySet[Activity]:
    """Published activities not yet over, of ``node``'s community (or the node's subtree and ancestors)."""
    now = now or timeutil.now()
    ancestors = [n.pk for n in grid_selectors.ancestors(node, include_self=True)]
    return (
        Activity.objects.filter(status=ActivityStatus.PUBLISHED, ends__gt=now)
        .filter(
            Q(node_id__in=ancestors) | Q(node__jurisdiction_id=node.jurisdiction_id, node__path__startswith=node.path)
        )
        .select_related("node")
        .order_by("starts", "pk")
    )


def public_activity(pk: Any) -> Activity:
    found = (
        Activity.objects.select_related("node")
        .filter(pk=known_id(pk, NOT_FOUND), status=ActivityStatus.PUBLISHED)
        .first()
    )
    if found is None:
        raise NotFound(NOT_FOUND)
    return found


def places_left(activity: Activity) -> int:
    return max(activity.capacity - activity.taken, 0)


def sign_ups_of(volunteer: Volunteer) -> QuerySet[SignUp]:
    return (
        volunteer.sign_ups.exclude(status=SignUpStatus.CANCELLED)
        .select_related("activity")
        .order_by("-activity__starts")
    )


def waiting_position(entry: SignUp) -> int | None:
    if entry.status != SignUpStatus.WAITING:
        return None
    return (
        SignUp.objects.filter(activity_id=entry.activity_id, status=SignUpStatus.WAITING)
        .filter(Q(signed_up_at__lt=entry.signed_up_at) | Q(signed_up_at=entry.signed_up_at, pk__lt=entry.pk))
        .count()
        + 1
    )


def hours_of(volunteer: Volunteer, *, year: int | None = None) -> QuerySet[Hours]:
    rows = volunteer.hours.select_related("community", "activity").order_by("-day", "-pk")
    return rows.filter(day__year=year) if year else rows


def approved_hours(volunteer: Volunteer, *, year: int) -> Decimal:
    total = volunteer.hours.filter(day__year=year, status=HoursStatus.APPROVED).aggregate(total=Sum("hours"))["total"]
    # Two places whatever the database: SQLite's sum drops trailing zeros (2.5), PostgreSQL's keeps them (2.50).
    return (total or Decimal(0)).quantize(Decimal("0.01"))


def public_party_units(node: GridNode) -> QuerySet[PartyUnit]:
    """The public party units over a place (a building's node and its ancestors): its committee, branch, group …"""
    ancestors = [n.pk for n in grid_selectors.ancestors(node, include_self=True)]
    return PartyUnit.objects.filter(node_id__in=ancestors, public=True).order_by("level", "name")


def party_units_of_nodes(node_ids: Iterable[int]) -> dict[int, list[str]]:
    """The names of the public party units mapped to each of these nodes itself — its committee, branch or group, not
    a building's own group nor a demonstration household — by node id: the party organisation a staff card of the
    node shows (所在党组织)."""
    ids = sorted({int(i) for i in node_ids if i is not None})[:MAX_CARD_NODES]
    found: dict[int, list[str]] = {}
    rows = (
        PartyUnit.objects.filter(node_id__in=ids, public=True, building__isnull=True)
        .exclude(level=PartyLevel.HOUSEHOLD)
        .order_by("node_id", "level", "name", "pk")
        .values_list("node_id", "name")
    )
    for node_id, name in rows:
        found.setdefault(node_id, []).append(name)
    return found


def public_heads(node: GridNode) -> QuerySet[Head]:
    """The compound heads (一院三长) over a place, like its staff cards."""
    ancestors = [n.pk for n in grid_selectors.ancestors(node, include_self=True)]
    return Head.objects.filter(node_id__in=ancestors, active=True).order_by("title", "pk")


def contact_points_of(leader: Any, *, year: int) -> QuerySet[ContactPoint]:
    return ContactPoint.objects.filter(leader=leader, year=year).prefetch_related("problems").select_related("node")


def contact_points(*, jurisdiction_id: int, year: int) -> QuerySet[ContactPoint]:
    return (
        ContactPoint.objects.filter(jurisdiction_id=jurisdiction_id, year=year)
        .select_related("leader", "node")
        .prefetch_related("problems")
    )


@dataclass(frozen=True)
class ContactRow:
    """A contact point as the figures see it: its target and the problems taken on and solved in its year."""

    leader_id: int
    year: int
    target: int
    taken_on: int
    solved: int


def contact_rows(*, jurisdiction_id: int, year: int) -> list[ContactRow]:
    rows = []
    for point in contact_points(jurisdiction_id=jurisdiction_id, year=year):
        problems = list(point.problems.all())
        solved = sum(1 for p in problems if p.solved_on is not None and p.solved_on.year == year)
        rows.append(ContactRow(point.leader_id, year, point.target, len(problems), solved))
    return rows


def stewards_for_assessment(node: GridNode, *, first_day: date, last_day: date) -> QuerySet[Steward]:
    """The stewards who served in a period under ``node`` (appointed by its end, not stepped down before its start)."""
    return (
        Steward.objects.filter(
            node__jurisdiction_id=node.jurisdiction_id,
            node__path__startswith=node.path,
            appointed_at__date__lte=last_day,
        )
        .filter(Q(stepped_down_at__isnull=True) | Q(stepped_down_at__date__gte=first_day))
        .select_related("user", "node")
    )


def applications_of(phone_index: str, *, limit: int = 20) -> list[Application]:
    """The steward applications of one phone (its blind index: the resident pages' login), newest first."""
    if not phone_index:
        return []
    return list(
        Application.objects.filter(phone_index=phone_index)
        .select_related("node")
        .prefetch_related("approvals")
        .order_by("-created_at", "-pk")[:limit]
    )


def sign_up_of(activity: Activity, volunteer: Volunteer | None) -> SignUp | None:
    """The volunteer's current (not cancelled) sign-up for an activity."""
    if volunteer is None:
        return None
    return (
        SignUp.objects.filter(activity=activity, volunteer=volunteer)
        .exclude(status=SignUpStatus.CANCELLED)
        .order_by("-pk")
        .first()
    )


# ------------------------------------------------------------------------------------------------------- figures


def _under(node: GridNode, field: str = "node__") -> Q:
    return Q(**{f"{field}jurisdiction_id": node.jurisdiction_id, f"{field}path__startswith": node.path})


def latest_assessments(node: GridNode, *, ending_by: date) -> tuple[date | None, date | None, QuerySet[Assessment]]:
    """The most recent assessment period ending on or before ``ending_by`` among the stewards under ``node``, and its
    rows (steward, user and micro-grid loaded)."""
    rows = Assessment.objects.filter(_under(node, "steward__node__"), last_day__lte=ending_by)
    latest = rows.order_by("-last_day", "-first_day").values_list("first_day", "last_day").first()
    if latest is None:
        return None, None, Assessment.objects.none()
    first_day, last_day = latest
    period = rows.filter(first_day=first_day, last_day=last_day).select_related(
        "steward", "steward__user", "steward__node"
    )
    return first_day, last_day, period


def hours_under(node: GridNode, *, year: int) -> dict[str, Any]:
    """Volunteer service in a year under ``node``: approved hours, the volunteers who gave them, the activities held
    (published or over, started in the year)."""
    approved = Hours.objects.filter(_under(node, "community__"), status=HoursStatus.APPROVED, day__year=year)
    totals = approved.aggregate(hours=Sum("hours"))
    return {
        "year": year,
        "hours": totals["hours"] or Decimal(0),
        "volunteers": approved.values("volunteer_id").distinct().count(),
        "activities": Activity.objects.filter(_under(node), starts__year=year)
        .exclude(status=ActivityStatus.CANCELLED)
        .count(),
    }


def contact_rows_under(node: GridNode, *, year: int) -> list[ContactRow]:
    """``contact_rows`` of the contact points at or under ``node``; points with no node (an enterprise) only when
    ``node`` is the district's root."""
    condition = _under(node)
    if node.parent_id is None:
        condition |= Q(node__isnull=True)
    rows = []
    points = ContactPoint.objects.filter(condition, jurisdiction_id=node.jurisdiction_id, year=year)
    for point in points.prefetch_related("problems").order_by("leader_id", "pk"):
        problems = list(point.problems.all())
        solved = sum(1 for p in problems if p.solved_on is not None and p.solved_on.year == year)
        rows.append(ContactRow(point.leader_id, year, point.target, len(problems), solved))
    return rows


# ------------------------------------------------------------------------------------------------------- errands


@dataclass(frozen=True)
class ErrandVolunteer:
    """A volunteer an errand may go to, as staff see them: masked name and skills (never the phone)."""

    id: int
    label: str
    skills: str


def volunteers_for_errand(community: GridNode) -> list[ErrandVolunteer]:
    """The volunteers reported in to ``community`` and approved by it (vetted), by masked name."""
    rows = (
        Volunteer.objects.filter(report_ins__community=community, report_ins__status=ReportInStatus.APPROVED)
        .distinct()
        .order_by("pk")
    )
    return [ErrandVolunteer(id=v.pk, label=v.masked_name, skills=v.skills) for v in rows]


def errands_of(volunteer: Volunteer) -> QuerySet[Errand]:
    """A volunteer's errands: those waiting for an answer or running first, then the rest, newest first."""
    waiting = Case(
        When(status__in=[ErrandStatus.OFFERED, ErrandStatus.ACCEPTED], then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return volunteer.errands.select_related("community").order_by(waiting, "-created_at", "-pk")


def errand_of(volunteer: Volunteer, pk: Any) -> Errand:
    """One of the volunteer's own errands; another's, a forged or an unknown id is NotFound alike."""
    found = volunteer.errands.select_related("community").filter(pk=known_id(pk, NOT_FOUND)).first()
    if found is None:
        raise NotFound(NOT_FOUND)
    return found


def errands_for_case(case_id: int) -> QuerySet[Errand]:
    """The errands of a case (the staff case page), newest first, with the volunteer (show ``masked_name``)."""
    return Errand.objects.filter(case_id=case_id).select_related("volunteer").order_by("-created_at", "-pk")
