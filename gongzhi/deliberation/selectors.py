"""Reads of deliberation and notices. Staff reads take the viewer (out of scope is NotFound); public reads give only
what the public board and resident pages may show: no hidden comment, no phone, no vote result before close."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet

from gongzhi.core import timeutil
from gongzhi.core.errors import NotFound
from gongzhi.core.http import known_id
from gongzhi.deliberation import steps
from gongzhi.deliberation.choices import MeetingStatus, NoticeStatus, Step, VoteStatus
from gongzhi.deliberation.models import Ballot, Comment, Meeting, MeetingCase, Notice, Topic, Vote
from gongzhi.deliberation.services import NOT_FOUND
from gongzhi.grid import roles
from gongzhi.grid import selectors as grid_selectors
from gongzhi.grid.models import Building, GridNode


def _scope(user: Any, capability: str, field: str = "node__") -> Q | None:
    if not (getattr(user, "is_authenticated", False) and getattr(user, "is_active", False)):
        return None
    return grid_selectors.capability_condition(user, capability, field)


def topics_visible_to(user: Any) -> QuerySet[Topic]:
    """The topics staff run or help with: under their posts with deliberation.desk or .manage."""
    condition = None
    for capability in (roles.DELIBERATION_MANAGE, roles.DELIBERATION_DESK):
        found = _scope(user, capability)
        if found is not None:
            condition = found if condition is None else condition | found
    if condition is None:
        return Topic.objects.none()
    return Topic.objects.filter(condition).select_related("node")


def topic_for(user: Any, pk: Any) -> Topic:
    found = topics_visible_to(user).filter(pk=known_id(pk, NOT_FOUND)).first()
    if found is None:
        raise NotFound(NOT_FOUND)
    return found


def meetings_visible_to(user: Any) -> QuerySet[Meeting]:
    condition = None
    for capability in (roles.DELIBERATION_MANAGE, roles.DELIBERATION_DESK):
        found = _scope(user, capability)
        if found is not None:
            condition = found if condition is None else condition | found
    if condition is None:
        return Meeting.objects.none()
    return Meeting.objects.filter(condition).select_related("node", "topic")


def meeting_for(user: Any, pk: Any) -> Meeting:
    found = meetings_visible_to(user).filter(pk=known_id(pk, NOT_FOUND)).first()
    if found is None:
        raise NotFound(NOT_FOUND)
    return found


def notices_visible_to(user: Any) -> QuerySet[Notice]:
    condition = _scope(user, roles.NOTICE_PUBLISH)
    if condition is None:
        return Notice.objects.none()
    return Notice.objects.filter(condition).select_related("node")


# ------------------------------------------------------------------------------------------------------- public


def public_topics(node: GridNode) -> QuerySet[Topic]:
    """The topics of ``node``, its ancestors (a street's topic concerns its compounds) and its subtree, newest first:
    what a resident there sees."""
    ancestors = [n.pk for n in grid_selectors.ancestors(node, include_self=True)]
    return (
        Topic.objects.filter(
            Q(node_id__in=ancestors) | Q(node__jurisdiction_id=node.jurisdiction_id, node__path__startswith=node.path)
        )
        .select_related("node")
        .order_by("-updated_at", "-pk")
    )


def public_topic(pk: Any) -> Topic:
    found = Topic.objects.select_related("node").filter(pk=known_id(pk, NOT_FOUND)).first()
    if found is None:
        raise NotFound(NOT_FOUND)
    return found


def public_comments(topic: Topic) -> QuerySet[Comment]:
    """The comments anyone may read: never a hidden one (nor a reply to one)."""
    return (
        topic.comments.filter(hidden=False)
        .exclude(reply_to__hidden=True)
        .only("pk", "topic_id", "reply_to_id", "voice", "organisation", "author_label", "body", "created_at")
        .order_by("created_at", "pk")
    )


def staff_comments(topic: Topic) -> QuerySet[Comment]:
    """Every comment, hidden ones with their reason (moderators' view)."""
    return topic.comments.select_related("user", "hidden_by").order_by("created_at", "pk")


def public_meetings(topic: Topic) -> QuerySet[Meeting]:
    return topic.meetings.exclude(status=MeetingStatus.CANCELLED).order_by("starts", "pk")


def public_meeting(pk: Any) -> Meeting:
    found = Meeting.objects.select_related("node", "topic").filter(pk=known_id(pk, NOT_FOUND)).first()
    if found is None:
        raise NotFound(NOT_FOUND)
    return found


def meeting_cases(meeting: Meeting) -> QuerySet[MeetingCase]:
    return meeting.cases.order_by("at", "pk")


@dataclass(frozen=True)
class PublicVote:
    """A vote as the public sees it: the question, options and dates; the result and turnout only once closed."""

    pk: int
    question: str
    status: str
    status_label: str
    basis_label: str
    opens_at: datetime
    closes_at: datetime
    options: tuple[tuple[int, str], ...]
    rule: str
    result: dict[str, Any] | None


def _rule_text(vote: Vote) -> str:
    quorum = f"{vote.quorum_num}/{vote.quorum_den}" if vote.quorum_num else "—"
    return f"{quorum} · {vote.threshold_num}/{vote.threshold_den} {vote.get_threshold_base_display()}"


def public_vote(vote: Vote) -> PublicVote:
    return PublicVote(
        pk=vote.pk,
        question=vote.question,
        status=vote.status,
        status_label=vote.get_status_display(),
        basis_label=vote.get_basis_display(),
        opens_at=vote.opens_at,
        closes_at=vote.closes_at,
        options=tuple(vote.options.values_list("pk", "label")),
        rule=_rule_text(vote),
        result=vote.result if vote.status == VoteStatus.CLOSED else None,
    )


def public_votes(topic: Topic) -> list[PublicVote]:
    return [public_vote(vote) for vote in topic.votes.exclude(status=VoteStatus.DRAFT).order_by("opens_at", "pk")]


def has_voted(vote: Vote, phone_index: str) -> bool:
    """Whether the household of this phone has voted (by any member) — never what it voted."""
    return (
        Ballot.objects.filter(vote=vote, eligible__phones__phone_index=phone_index).exists()
        or Ballot.objects.filter(vote=vote, phone_index=phone_index).exists()
    )


def board_announcements(node: GridNode) -> QuerySet[Topic]:
    """The two announcements (两公开) of topics under ``node`` for its public board: decisions and results made
    public, newest first."""
    return (
        Topic.objects.filter(
            node__jurisdiction_id=node.jurisdiction_id,
            node__path__startswith=node.path,
            step__in=[Step.DECISION_PUBLIC, Step.RESULT_PUBLIC],
        )
        .select_related("node")
        .order_by("-updated_at", "-pk")
    )


# ------------------------------------------------------------------------------------------------------- notices


def notice_buildings(notice: Notice) -> QuerySet[Building]:
    """The buildings a notice reaches: those chosen, or every building under its node."""
    chosen = notice.buildings.all()
    if chosen.exists():
        return chosen
    node = notice.node
    return Building.objects.filter(node__jurisdiction_id=node.jurisdiction_id, node__path__startswith=node.path)


def live_notices(building: Building, *, now: datetime | None = None) -> QuerySet[Notice]:
    """The notices shown on a building's pages now: published, not expired, from a node above (or at) the building's
    node, for every building there or this one; urgent first, then newest."""
    now = now or timeutil.now()
    ancestors = [n.pk for n in grid_selectors.ancestors(building.node, include_self=True)]
    return (
        Notice.objects.filter(
            status=NoticeStatus.PUBLISHED, published_at__lte=now, expires_at__gt=now, node_id__in=ancestors
        )
        .annotate(chosen=Count("buildings"))
        .filter(Q(chosen=0) | Q(buildings=building))
        .distinct()
        .order_by("-urgent", "-published_at", "-pk")
    )


def live_notices_for_node(node: GridNode, *, now: datetime | None = None) -> QuerySet[Notice]:
    """The notices of a node's residents page (the community's): published, not expired, at the node or above."""
    now = now or timeutil.now()
    ancestors = [n.pk for n in grid_selectors.ancestors(node, include_self=True)]
    return Notice.objects.filter(
        status=NoticeStatus.PUBLISHED, published_at__lte=now, expires_at__gt=now, node_id__in=ancestors
    ).order_by("-urgent", "-published_at", "-pk")


def public_notice(pk: Any, *, now: datetime | None = None) -> Notice:
    """A published notice (expired ones stay readable by their link, marked so); withdrawn or drafts: NotFound."""
    found = (
        Notice.objects.select_related("node").filter(pk=known_id(pk, NOT_FOUND), status=NoticeStatus.PUBLISHED).first()
    )
    if found is None:
        raise NotFound(NOT_FOUND)
    return found


# ------------------------------------------------------------------------------------------------------- figures


@dataclass(frozen=True)
class TopicRow:
    """A topic as the figures see it: no personal data."""

    node_path: str
    step: str
    origin: str
    comments: int
    supports: int
    decided: bool
    result_public: bool
    attended: int = 0  # residents checked in at the topic's meetings (not cancelled)
    decision_public: bool = False  # 决议公开 or later


def topic_rows(node: GridNode) -> list[TopicRow]:
    rows = (
        Topic.objects.filter(node__jurisdiction_id=node.jurisdiction_id, node__path__startswith=node.path)
        .annotate(
            n_comments=Count("comments", filter=Q(comments__hidden=False), distinct=True),
            n_attended=Count(
                "meetings__registrations",
                filter=Q(meetings__registrations__attended=True) & ~Q(meetings__status=MeetingStatus.CANCELLED),
                distinct=True,
            ),
        )
        .values_list("node__path", "step", "origin", "n_comments", "support_count", "decision", "n_attended")
        .order_by()
    )
    return [
        TopicRow(
            node_path=path,
            step=step,
            origin=origin,
            comments=comments,
            supports=supports,
            decided=bool(decision) or steps.is_public_decision(step),
            result_public=step == steps.RESULT_PUBLIC,
            attended=attended,
            decision_public=steps.is_public_decision(step),
        )
        for path, step, origin, comments, supports, decision, attended in rows
    ]


def closed_votes(node: GridNode) -> QuerySet[Vote]:
    """Closed votes under ``node`` with their stored results (turnout is ``cast / eligible``)."""
    return Vote.objects.filter(
        node__jurisdiction_id=node.jurisdiction_id, node__path__startswith=node.path, status=VoteStatus.CLOSED
    ).order_by("closed_at", "pk")
