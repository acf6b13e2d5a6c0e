"""Reads for the resident pages. Residents see only what the public may see of a case: no staff-only events, no
personal data of other people; everything shown about a reporter is masked."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Q, QuerySet

from gongzhi.cases import figures, public
from gongzhi.cases import transitions as t
from gongzhi.cases.choices import EventKind
from gongzhi.cases.models import Case, CaseEvent, Rating
from gongzhi.core import timeutil
from gongzhi.grid import roles
from gongzhi.grid import selectors as grid_selectors
from gongzhi.grid.models import GridNode, Jurisdiction, StaffPost
from gongzhi.portal import photos
from gongzhi.volunteers import selectors as people_selectors

BOARD_DAYS = 90
BOARD_PAGE = 10
MAP_LIMIT = 500
MY_CASES_LIMIT = 50
# Notes residents may read on their timeline: the result, the reason of a refusal, why it was reopened.
NOTE_KINDS = {EventKind.RESOLVED, EventKind.REJECTED}


def default_jurisdiction() -> Jurisdiction | None:
    return Jurisdiction.objects.order_by("code").first()


def card_for_post(post: StaffPost) -> grid_selectors.StaffCard:
    return grid_selectors.StaffCard(
        post_id=post.pk,
        name=str(post.user),
        title=post.title or post.get_role_display(),
        role=post.role,
        duty=post.duty,
        phone=post.public_phone,
        photo_url=post.photo.url if post.photo else "",
        place=post.node.name if post.node else (post.department.name if post.department else ""),
        level=post.node.level if post.node else "",
        node_id=post.node_id,
    )


@dataclass(frozen=True)
class PartyCard(grid_selectors.StaffCard):
    """A staff card with the public party organisation of its node (所在党组织: the units mapped to the node itself)."""

    party: tuple[str, ...] = ()


def with_party(cards: Sequence[grid_selectors.StaffCard]) -> list[PartyCard]:
    """The cards with the public party units of each card's node (``volunteers``: grid knows no party units)."""
    units = people_selectors.party_units_of_nodes(c.node_id for c in cards if c.node_id is not None)
    return [PartyCard(**{**asdict(c), "party": tuple(units.get(c.node_id or 0, ()))}) for c in cards]


@dataclass(frozen=True)
class Handler:
    """Who is handling a case, as far as the public may know: a staff card (三亮) or the unit's name."""

    card: grid_selectors.StaffCard | None
    unit: str


def handler(case: Case) -> Handler | None:
    unit = ""
    if case.handler_department_id:
        unit = case.handler_department.name
    elif case.handler_node_id:
        unit = case.handler_node.name
    card = None
    if case.handler_user_id:
        post = (
            StaffPost.objects.filter(user_id=case.handler_user_id, is_public=True, active=True)
            .select_related("user", "node", "department")
            .order_by("-node__path", "id")
            .first()
        )
        card = card_for_post(post) if post else None
    if card is None and not unit:
        return None
    return Handler(card=card, unit=unit)


def rating_target(case: Case) -> tuple[Case, Case | None]:
    """The case a reporter rates: their own, or the parent a duplicate was merged into (with the duplicate)."""
    if case.status == t.MERGED and case.merged_into_id:
        return Case.objects.select_related("handler_node", "handler_department").get(pk=case.merged_into_id), case
    return case, None


def can_be_rated(case: Case) -> bool:
    target, via = rating_target(case)
    if target.status != t.RESOLVED and not (via is not None and target.status == t.CLOSED):
        return False
    return not Rating.objects.filter(case=target, via_case=via, round=target.rework_count).exists()


def last_rating(case: Case) -> Rating | None:
    target, via = rating_target(case)
    return Rating.objects.filter(case=target, via_case=via).order_by("-round", "-created_at").first()


def photo_names(case: Case) -> tuple[list[str], list[str]]:
    """(the reporter's photos, the handler's result photos), as storage names."""
    names = [name for name in case.photos if isinstance(name, str)]
    return [n for n in names if photos.is_report_photo(n)], [n for n in names if not photos.is_report_photo(n)]


def reporter_events(case: Case) -> list[CaseEvent]:
    """What the reporter themselves added to or did with their case (added information, withdrawal), oldest first:
    shown to the reporter only, never on the public timeline."""
    return list(
        case.events.filter(kind__in=(EventKind.INFO_ADDED, EventKind.WITHDRAWN))
        .order_by("seq")
        .only("kind", "note", "data", "at", "seq", "case_id")
    )


def cases_of_phone(phone_index: str) -> QuerySet[Case]:
    """ "My requests": the cases whose reporter left this (verified) number, or sent while logged in with it."""
    if not phone_index:
        return Case.objects.none()
    return (
        Case.objects.filter(Q(reporter_phone_index=phone_index) | Q(reporter_login_index=phone_index))
        .select_related("category", "building")
        .order_by("-submitted_at")[:MY_CASES_LIMIT]
    )


def communities(jurisdiction: Jurisdiction) -> QuerySet[GridNode]:
    return GridNode.objects.filter(jurisdiction=jurisdiction, level=roles.COMMUNITY).order_by("path")


def public_node(node_id: Any, *, level: str | None = None) -> GridNode | None:
    rows = GridNode.objects.select_related("jurisdiction").defer("boundary")
    if level:
        rows = rows.filter(level=level)
    try:
        return rows.filter(pk=int(node_id)).first()
    except (TypeError, ValueError):
        return None


def _in_subtree(node: GridNode) -> Q:
    return Q(jurisdiction_id=node.jurisdiction_id) & (
        Q(grid_node__path__startswith=node.path) | Q(grid_node__isnull=True, owner_node__path__startswith=node.path)
    )


@dataclass(frozen=True)
class PublicCase:
    """A published case as public pages show it: by its public id, with the public summary (masked once more), the
    category in the reader's language, the place at building/compound or community level and a snapped or rounded
    point — never the resident's words, the exact address or the tracking code."""

    public_id: str
    summary: str
    category: str
    place: str
    resolved_at: Any
    point: tuple[float, float] | None
    result_photos: tuple[int, ...]  # indexes for board_photo


def _published() -> QuerySet[Case]:
    return (
        Case.objects.filter(public=True, resolved_at__isnull=False)
        .exclude(category__private=True)  # published before the category was made private: no longer shown
        .select_related("category", "building__compound")
    )


def public_case(case: Case) -> PublicCase:
    return PublicCase(
        public_id=case.public_id,
        summary=public.shown_summary(case),
        category=public.category_name(case.category),
        place=public.public_place(case),
        resolved_at=case.resolved_at,
        point=public.public_point(case),
        result_photos=tuple(range(len(photo_names(case)[1]))),
    )


def _cursor(case: Case) -> str:
    return f"{int(case.resolved_at.timestamp() * 1_000_000)}.{case.pk}"


def parse_cursor(value: str) -> tuple[Any, int] | None:
    """A board cursor (``<microseconds since the epoch>.<id>``), or None for one nobody made (the caller says 400)."""
    stamp, dot, pk = (value or "").partition(".")
    if not (dot and stamp.isdigit() and pk.isdigit() and len(stamp) <= 17 and len(pk) <= 18):
        return None
    try:
        moment = datetime.fromtimestamp(int(stamp) / 1_000_000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return moment, int(pk)


def board(node: GridNode, *, after: tuple[Any, int] | None = None, days: int = BOARD_DAYS) -> dict[str, Any]:
    """公示 for a community: published cases (resolved or closed), newest result first, one page of BOARD_PAGE after
    the keyset cursor ``after``; and simple figures of its last ``days``."""
    rows = _published().filter(_in_subtree(node)).order_by("-resolved_at", "-id")
    if after is not None:
        moment, pk = after
        rows = rows.filter(Q(resolved_at__lt=moment) | Q(resolved_at=moment, id__lt=pk))
    found = list(rows[: BOARD_PAGE + 1])
    page = found[:BOARD_PAGE]
    since = timeutil.now() - timedelta(days=days)
    recent = Case.objects.filter(_in_subtree(node), submitted_at__gte=since)
    return {
        "cases": [public_case(c) for c in page],
        "next": _cursor(page[-1]) if len(found) > BOARD_PAGE else "",
        "figures": figures.headline(recent),
        "days": days,
    }


def map_cases(node: GridNode | None, jurisdiction_id: int) -> list[PublicCase]:
    """Published cases with a place on the map, newest first (at most MAP_LIMIT), of a community or a jurisdiction."""
    rows = _published().filter(jurisdiction_id=jurisdiction_id)
    if node is not None:
        rows = rows.filter(_in_subtree(node))
    found = []
    for case in rows.order_by("-resolved_at", "-id")[:MAP_LIMIT]:
        shown = public_case(case)
        if shown.point is not None:
            found.append(shown)
    return found


def community_of(case: Case) -> GridNode | None:
    """The community a case is in, for links back to its board."""
    start = case.grid_node_id or case.owner_node_id
    if start is None:
        return None
    return grid_selectors.ancestor_at(grid_selectors.node(start), roles.COMMUNITY)


def published_case(public_id: Any) -> Case | None:
    """A published case by its public id (never by tracking code or row id)."""
    value = str(public_id or "").strip().lower()
    if not value or len(value) > 16:
        return None
    return _published().filter(public_id=value).first()
