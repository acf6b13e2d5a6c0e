"""Every command-centre figure, defined once. PURE: no Django, no ORM (``mypy --strict``).

A case contributes a fixed vector of small counters (``contribution``); a rollup row is the sum of the vectors of the
cases in it; a figure is a formula over such a sum (``figures``). So the same formulas serve a rollup row, a sum of
rollup rows over a subtree or a period, and a recomputation from raw cases — and docs/metrics.md describes each one.

Attribution: a case belongs to the day (and month) it was submitted, in the display time zone, and to the grid node
it is located in (else the node that owns it). Its counters reflect its *current* state: when a case submitted in
January is resolved in February, January's 解决 count moves. Rework, merges and holds change the case, so they change
its vector; nothing is double counted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Final, Protocol

# Statuses (the engine's names; transitions.py is their source, repeated here to keep this module pure).
OPEN_STATUSES: Final = frozenset({"submitted", "triaged", "dispatched", "accepted", "on_hold"})
# Received but not work anyone handled: refused, merged into another case (the parent carries the work), or withdrawn
# by the reporter before it was resolved (never an unresolved case).
NOT_HANDLED: Final = frozenset({"rejected", "merged", "withdrawn"})
PROACTIVE_CHANNELS: Final = frozenset({"patrol", "visit"})
LEVELS: Final = ("micro_grid", "grid", "community", "street", "district")
COMMUNITY_OR_BELOW: Final = ("micro_grid", "grid", "community")

# The counter vector, in storage order. Never reorder: rollup rows and case facts store vectors positionally.
COUNTERS: Final[tuple[str, ...]] = (
    "received",  # 受理量: every case submitted
    "handled",  # not rejected, not merged into another case, not withdrawn by the reporter
    "rejected",
    "merged",
    "resolved",  # handled and currently resolved (办结), i.e. resolved_at set
    "closed",
    "open",
    "due_response",  # handled and its response deadline is decided (responded_on_time not null)
    "responded",  # … responded within it
    "due_resolution",  # handled and its resolution deadline is decided (resolved_on_time not null)
    "on_time",  # … resolved within it
    "overdue",  # open and past its deadline (超期)
    "warning",  # open and due soon
    "on_hold",
    "reworked",  # handled and reopened at least once (返工)
    "on_the_spot",  # handled and solved on the spot (即时办结)
    "proactive",  # found by staff: patrol or visit (主动发现)
    "rated",  # ratings given (a case may have several: per rework round, and its duplicates' reporters)
    "satisfied",  # 满意 + 基本满意
    "very_satisfied",  # 满意
    "solved",  # ratings saying the problem was solved
    "level_micro_grid",  # resolved, by the level where it was resolved (721)
    "level_grid",
    "level_community",
    "level_street",
    "level_district",
    "handling_minutes",  # resolved: submitted → resolved minus the time on hold, in whole minutes
)
N: Final = len(COUNTERS)
INDEX: Final[dict[str, int]] = {name: i for i, name in enumerate(COUNTERS)}

Vector = tuple[int, ...]
_MICROSECOND: Final = timedelta(microseconds=1)
ZERO: Final[Vector] = (0,) * N


@dataclass(frozen=True)
class CaseState:
    """The plain facts of one case that its counters depend on."""

    status: str
    channel: str
    submitted_at: datetime
    resolved_at: datetime | None
    resolved_level: str
    responded_on_time: bool | None
    resolved_on_time: bool | None
    sla_state: str
    rework_count: int
    on_the_spot: bool
    held_seconds: float = 0.0  # total time on hold before the (current) resolution
    ratings: Sequence[tuple[str, bool]] = ()  # (score, solved) of every rating of this case


def contribution(case: CaseState) -> Vector:
    """The counter vector of one case (see COUNTERS)."""
    v = [0] * N
    handled = case.status not in NOT_HANDLED
    is_open = case.status in OPEN_STATUSES
    resolved = handled and case.resolved_at is not None
    v[INDEX["received"]] = 1
    v[INDEX["handled"]] = int(handled)
    v[INDEX["rejected"]] = int(case.status == "rejected")
    v[INDEX["merged"]] = int(case.status == "merged")
    v[INDEX["resolved"]] = int(resolved)
    v[INDEX["closed"]] = int(case.status == "closed")
    v[INDEX["open"]] = int(is_open)
    if handled:
        v[INDEX["due_response"]] = int(case.responded_on_time is not None)
        v[INDEX["responded"]] = int(case.responded_on_time is True)
        v[INDEX["due_resolution"]] = int(case.resolved_on_time is not None)
        v[INDEX["on_time"]] = int(case.resolved_on_time is True)
        v[INDEX["reworked"]] = int(case.rework_count > 0)
        v[INDEX["on_the_spot"]] = int(case.on_the_spot)
    v[INDEX["overdue"]] = int(is_open and case.sla_state == "breached")
    v[INDEX["warning"]] = int(is_open and case.sla_state == "warning")
    v[INDEX["on_hold"]] = int(case.status == "on_hold")
    v[INDEX["proactive"]] = int(case.channel in PROACTIVE_CHANNELS)
    for score, solved in case.ratings:
        v[INDEX["rated"]] += 1
        v[INDEX["satisfied"]] += int(score != "unsatisfied")
        v[INDEX["very_satisfied"]] += int(score == "satisfied")
        v[INDEX["solved"]] += int(solved)
    if resolved and case.resolved_at is not None:
        if case.resolved_level in LEVELS:
            v[INDEX[f"level_{case.resolved_level}"]] = 1
        # Whole minutes, half up, from integer microseconds: exactly what the bulk SQL build computes (bulk.py).
        micros = (case.resolved_at - case.submitted_at) // _MICROSECOND - round(case.held_seconds * 1_000_000)
        v[INDEX["handling_minutes"]] = max(0, (micros + 30_000_000) // 60_000_000)
    return tuple(v)


def add(a: Sequence[int], b: Sequence[int]) -> Vector:
    return tuple(x + y for x, y in zip(a, b, strict=True))


def sub(a: Sequence[int], b: Sequence[int]) -> Vector:
    return tuple(x - y for x, y in zip(a, b, strict=True))


def total(vectors: Iterable[Sequence[int]]) -> Vector:
    out = list(ZERO)
    for v in vectors:
        for i, x in enumerate(v):
            out[i] += x
    return tuple(out)


def as_dict(v: Sequence[int]) -> dict[str, int]:
    return dict(zip(COUNTERS, v, strict=True))


def ratio(part: int, whole: int) -> float | None:
    """part ÷ whole rounded to 4 places; None (shown as —) when there is nothing to divide by."""
    return round(part / whole, 4) if whole else None


def figures(counts: Mapping[str, int]) -> dict[str, float | int | None]:
    """The headline figures of a sum of counters. Rates are fractions (0.9731), None when undefined."""
    c = counts
    resolved = c["resolved"]
    low = sum(c[f"level_{level}"] for level in COMMUNITY_OR_BELOW)
    return {
        "received": c["received"],  # 受理量
        "handled": c["handled"],
        "rejected": c["rejected"],
        "merged": c["merged"],
        "resolved": resolved,
        "closed": c["closed"],
        "open": c["open"],
        "completion_rate": ratio(resolved, c["handled"]),  # 办结率
        "response_rate": ratio(c["responded"], c["due_response"]),  # 响应率
        "solved_rate": ratio(c["solved"], c["rated"]),  # 解决率
        "satisfaction_rate": ratio(c["satisfied"], c["rated"]),  # 满意率
        "on_time_rate": ratio(c["on_time"], c["due_resolution"]),  # 按期办结率
        "overdue": c["overdue"],  # 超期数
        "warning": c["warning"],
        "on_hold": c["on_hold"],
        "rework_rate": ratio(c["reworked"], resolved),  # 返工率
        "on_the_spot_rate": ratio(c["on_the_spot"], c["handled"]),  # 即时办结率
        "proactive_rate": ratio(c["proactive"], c["received"]),  # 主动发现率
        "rated": c["rated"],
        "share_community_or_below": ratio(low, resolved),  # 721: the 7
        "share_street": ratio(c["level_street"], resolved),  # the 2
        "share_district": ratio(c["level_district"], resolved),  # the 1
        "avg_handling_hours": round(c["handling_minutes"] / resolved / 60, 2) if resolved else None,
    }


# Figures a ranking may sort by, and whether higher is better.
RANKABLE: Final[dict[str, bool]] = {
    "received": True,
    "response_rate": True,
    "solved_rate": True,
    "satisfaction_rate": True,
    "on_time_rate": True,
    "completion_rate": True,
    "rework_rate": False,
    "overdue": False,
    "avg_handling_hours": False,
}
# The denominator that must reach the minimum sample before a rate is ranked.
SAMPLE_OF: Final[dict[str, str]] = {
    "received": "received",
    "response_rate": "due_response",
    "solved_rate": "rated",
    "satisfaction_rate": "rated",
    "on_time_rate": "due_resolution",
    "completion_rate": "handled",
    "rework_rate": "resolved",
    "overdue": "received",
    "avg_handling_hours": "resolved",
}


@dataclass(frozen=True)
class Ranked:
    key: str
    value: float | int
    sample: int
    rank: int


def rank(rows: Mapping[str, Mapping[str, int]], by: str, *, min_sample: int) -> tuple[list[Ranked], list[str]]:
    """Rank the rows (key -> counters) by one figure; rows whose sample is below ``min_sample`` are left out and
    returned separately, so the page can say which and why. Ties share a rank (1, 2, 2, 4)."""
    if by not in RANKABLE:
        raise ValueError(f"cannot rank by {by!r}")
    higher_better = RANKABLE[by]
    eligible: list[tuple[str, float | int, int]] = []
    too_small: list[str] = []
    for key, counts in rows.items():
        sample = counts[SAMPLE_OF[by]]
        value = figures(counts)[by]
        if sample < min_sample or value is None:
            too_small.append(key)
        else:
            eligible.append((key, value, sample))
    eligible.sort(key=lambda r: (-r[1] if higher_better else r[1], r[0]))
    out: list[Ranked] = []
    for i, (key, value, sample) in enumerate(eligible):
        position = out[-1].rank if out and out[-1].value == value else i + 1
        out.append(Ranked(key=key, value=value, sample=sample, rank=position))
    return out, sorted(too_small)


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


# ----------------------------------------------------------------------------------- the lists (一台账三清单)
# A community is judged on its lists by these counts (``lists.selectors.community_counts`` reads them from the rows
# of the community's subtree as they are now): needs by status, resources, projects by status.
NEED_STATUSES: Final = ("collected", "matched", "served", "closed")
PROJECT_STATUSES: Final = ("planned", "active", "ended")
LIST_FIGURES: Final[tuple[str, ...]] = (
    "needs",  # 需求数: every need recorded, whatever its status
    "needs_collected",  # 待匹配: collected, no project answers it yet
    "needs_matched",  # 已匹配: a project answers it, not delivering yet
    "needs_served",  # 已服务: a project answering it delivers (or delivered)
    "needs_closed",  # 已关闭: closed by staff, with a reason
    "match_rate",  # 需求匹配率: (matched + served) ÷ (needs − closed)
    "resources",  # 资源数
    "projects",  # 项目数: every project, whatever its status
    "projects_active",  # 在办项目: active
)


def list_figures(counts: Mapping[str, int]) -> dict[str, float | int | None]:
    """The lists' figures from counts named ``needs_<status>``, ``projects_<status>`` and ``resources`` (a missing
    count is 0). Rates are fractions, None when no need is open to be matched."""
    needs = {s: counts.get(f"needs_{s}", 0) for s in NEED_STATUSES}
    projects = {s: counts.get(f"projects_{s}", 0) for s in PROJECT_STATUSES}
    total = sum(needs.values())
    return {
        "needs": total,
        "needs_collected": needs["collected"],
        "needs_matched": needs["matched"],
        "needs_served": needs["served"],
        "needs_closed": needs["closed"],
        "match_rate": ratio(needs["matched"] + needs["served"], total - needs["closed"]),
        "resources": counts.get("resources", 0),
        "projects": sum(projects.values()),
        "projects_active": projects["active"],
    }


# ---------------------------------------------------------------------------------------------- a station's day


@dataclass(frozen=True)
class StationDay:
    """A station's day report: "23 visitors, 5 requests, 3 solved on the spot, 2 due within 24 h"."""

    visitors: int  # walk-ins counted at the desk (+1 visitor)
    requests: int  # cases taken at the station that day (walk-in requests and 代办 matters)
    on_the_spot: int  # … of which solved on the spot (即时办结)
    still_open: int  # … of which still open now
    due_soon: int  # … of which still open and due within DUE_SOON of now, or already overdue


STATION_DUE_SOON: Final = timedelta(hours=24)


@dataclass(frozen=True)
class TakenCase:
    """What the day report needs of one case taken at a station."""

    status: str
    on_the_spot: bool
    resolve_due: datetime | None


def station_day(*, visitors: int, taken: Iterable[TakenCase], now: datetime) -> StationDay:
    rows = list(taken)
    still_open = [c for c in rows if c.status in OPEN_STATUSES]
    return StationDay(
        visitors=visitors,
        requests=len(rows),
        on_the_spot=sum(1 for c in rows if c.on_the_spot),
        still_open=len(still_open),
        due_soon=sum(1 for c in still_open if c.resolve_due is not None and c.resolve_due <= now + STATION_DUE_SOON),
    )


# ------------------------------------------------------------------------------------- the 15-minute service circle


@dataclass(frozen=True)
class CircleFigures:
    """How much of an area is within the walk of a station (stations.coverage, grid.walking's model)."""

    buildings: int  # buildings with a position on the map
    covered_buildings: int  # … within the walk of an open station offering the item
    households: int  # households of those buildings (where a building knows them)
    covered_households: int
    building_share: float | None  # covered_buildings ÷ buildings
    household_share: float | None  # covered_households ÷ households


def circle(*, buildings: int, covered_buildings: int, households: int, covered_households: int) -> CircleFigures:
    return CircleFigures(
        buildings=buildings,
        covered_buildings=covered_buildings,
        households=households,
        covered_households=covered_households,
        building_share=ratio(covered_buildings, buildings),
        household_share=ratio(covered_households, households),
    )


# ------------------------------------------------------------------------------------------ the service market


@dataclass(frozen=True)
class MarketFigures:
    """The market's figures over some events (a day, a month, a community or the district): see docs/metrics.md."""

    bookings: int  # 预约: bookings made (confirmed, served, no-show; not cancelled, not still waiting)
    served: int  # 服务人次: residents served, booked or walk-up
    walk_ups: int  # … of which without a booking
    no_shows: int  # 爽约: confirmed bookings nobody came for
    no_show_rate: float | None  # no_shows ÷ (booked and served + no_shows): of the bookings whose slot is decided
    served_60: int  # 服务60岁以上: served aged 60 and over (the age checked at the stall)
    free: int  # served free under a free rule (60+, 低保 …)
    list_value: Decimal  # 服务价值: list price of every service given
    discount: Decimal  # 商家让利
    subsidy: Decimal  # 社区补贴
    paid: Decimal  # 居民自付


@dataclass(frozen=True)
class MarketBooking:
    """What the market figures need of one booking."""

    status: str  # confirmed / waiting / cancelled / served / no_show
    walk_up: bool
    age: int | None
    free: bool
    list_price: Decimal
    discount: Decimal
    subsidy: Decimal
    paid: Decimal


MARKET_SENIOR_AGE: Final = 60


def market_bookings(rows: Iterable[Mapping[str, object]]) -> list[MarketBooking]:
    """The rows ``market.selectors.figure_rows`` reads (status, walk_up, declared_age, free_reason, list_price,
    discount, subsidy, resident_pays) as the figures' input: read once here for the console, the command centre and
    the simulation."""
    return [
        MarketBooking(
            status=str(r["status"]),
            walk_up=bool(r["walk_up"]),
            age=r["declared_age"] if isinstance(r["declared_age"], int) else None,
            free=bool(r["free_reason"]),
            list_price=Decimal(str(r["list_price"])),
            discount=Decimal(str(r["discount"])),
            subsidy=Decimal(str(r["subsidy"])),
            paid=Decimal(str(r["resident_pays"])),
        )
        for r in rows
    ]


def market(bookings: Iterable[MarketBooking]) -> MarketFigures:
    rows = list(bookings)
    served = [b for b in rows if b.status == "served"]
    booked_served = sum(1 for b in served if not b.walk_up)
    no_shows = sum(1 for b in rows if b.status == "no_show")
    confirmed = sum(1 for b in rows if b.status == "confirmed")
    zero = Decimal("0.00")
    return MarketFigures(
        bookings=booked_served + no_shows + confirmed,
        served=len(served),
        walk_ups=len(served) - booked_served,
        no_shows=no_shows,
        no_show_rate=ratio(no_shows, booked_served + no_shows),
        served_60=sum(1 for b in served if b.age is not None and b.age >= MARKET_SENIOR_AGE),
        free=sum(1 for b in served if b.free),
        list_value=sum((b.list_price for b in served), zero),
        discount=sum((b.discount for b in served), zero),
        subsidy=sum((b.subsidy for b in served), zero),
        paid=sum((b.paid for b in served), zero),
    )


# ------------------------------------------------------------------------------------------ the care registry

CARE_LEVELS: Final = ("red", "yellow", "green")
# A visit that found nobody at home is recorded (an attempt) but is not a visit made: it does not count here.
CARE_NOT_HOME: Final = "not_home"


@dataclass(frozen=True)
class CareResident:
    """What the care figures need of one living resident in care or in a care group: no personal data."""

    node_path: str  # the grid node looking after them
    level: str  # red / yellow / green, or "" (in a care group without a level)
    groups: tuple[str, ...]  # care group codes
    next_visit_due: date | None


@dataclass(frozen=True)
class CareVisit:
    """What the care figures need of one visit."""

    node_path: str
    on_time: bool  # made on or before the day it was due
    outcome: str  # well / problem / needs_help / not_home


@dataclass(frozen=True)
class CareFigures:
    """The care registry's figures of an area on a day and over a period: see docs/metrics.md ("Care")."""

    in_care: int  # 关爱对象: living residents with a care level or in a care group
    red: int  # 红: at level red …
    yellow: int
    green: int
    unlevelled: int  # … in a care group without a level (not scheduled)
    groups: Mapping[str, int]  # care group code -> residents in it (one resident counts in each of their groups)
    overdue: int  # 逾期走访: residents whose next visit was due before today
    due_today: int  # visits due today
    visits: int  # 走访: visits made in the period (nobody at home not counted)
    on_time: int  # … made on or before the day they were due
    on_time_share: float | None  # 按期走访率: on_time ÷ visits (None when no visit was made)
    not_home: int  # attempts that found nobody at home


class CareRowLike(Protocol):
    """A row of ``care.selectors.figure_rows`` (that module's ``CareRow``), as far as the figures read it."""

    @property
    def node_path(self) -> str: ...
    @property
    def level(self) -> str: ...
    @property
    def groups(self) -> tuple[str, ...]: ...
    @property
    def next_visit_due(self) -> date | None: ...


def care_residents(rows: Iterable[CareRowLike]) -> list[CareResident]:
    """The rows ``care.selectors.figure_rows`` gives as the figures' input: read once here for the command centre,
    the console and the simulation."""
    return [
        CareResident(
            node_path=r.node_path, level=r.level or "", groups=tuple(r.groups), next_visit_due=r.next_visit_due
        )
        for r in rows
    ]


def care(residents: Iterable[CareResident], visits: Iterable[CareVisit], *, today: date) -> CareFigures:
    """The care figures of some residents (today's state) and of the visits made over a period."""
    rows = list(residents)
    attempts = list(visits)
    made = [v for v in attempts if v.outcome != CARE_NOT_HOME]
    groups: dict[str, int] = {}
    for r in rows:
        for code in r.groups:
            groups[code] = groups.get(code, 0) + 1
    by_level = {level: sum(1 for r in rows if r.level == level) for level in CARE_LEVELS}
    on_time = sum(1 for v in made if v.on_time)
    return CareFigures(
        in_care=len(rows),
        red=by_level["red"],
        yellow=by_level["yellow"],
        green=by_level["green"],
        unlevelled=len(rows) - sum(by_level.values()),
        groups=dict(sorted(groups.items())),
        overdue=sum(1 for r in rows if r.level and r.next_visit_due is not None and r.next_visit_due < today),
        due_today=sum(1 for r in rows if r.level and r.next_visit_due == today),
        visits=len(made),
        on_time=on_time,
        on_time_share=ratio(on_time, len(made)),
        not_home=len(attempts) - len(made),
    )


def care_by_node(
    residents: Iterable[CareResident], visits: Iterable[CareVisit], *, paths: Sequence[str], today: date
) -> dict[str, CareFigures]:
    """The care figures of each node in ``paths`` (the children of the node shown): a row counts under the node
    whose path its node's path starts with."""
    rows, attempts = list(residents), list(visits)
    return {
        path: care(
            (r for r in rows if r.node_path.startswith(path)),
            (v for v in attempts if v.node_path.startswith(path)),
            today=today,
        )
        for path in paths
    }


# ------------------------------------------------------------------------------------------ deliberation (议事)

# The steps of a topic (deliberation/steps.py is their source, repeated here to keep this module pure).
DELIBERATION_STEPS: Final = (
    "collect",
    "propose",
    "deliberate",
    "decide",
    "decision_public",
    "result_public",
    "dropped",
)
DELIBERATION_BY_RESIDENTS: Final = "residents"


@dataclass(frozen=True)
class DeliberationTopic:
    """What the deliberation figures need of one topic: no personal data."""

    node_path: str
    step: str
    origin: str  # residents / staff / case / need
    supports: int  # households supporting it (a residents' proposal)
    comments: int  # comments shown (hidden ones are not participation)
    attended: int  # residents checked in at its meetings
    decided: bool  # a decision recorded (or made public)
    decision_public: bool  # 决议公开 or later
    result_public: bool  # 结果公开


@dataclass(frozen=True)
class DeliberationVote:
    """A closed vote: how many cast it of how many eligible (by head)."""

    node_path: str
    cast: int
    eligible: int


@dataclass(frozen=True)
class DeliberationFigures:
    """Deliberation's figures of an area: see docs/metrics.md ("Deliberation")."""

    topics: int  # 议题: every topic, dropped ones included
    by_step: Mapping[str, int]  # step -> topics at it now
    by_residents: int  # 居民提议: topics residents proposed
    supports: int  # households supporting residents' proposals
    comments: int  # comments shown
    attendance: int  # residents checked in at the topics' meetings
    participation: int  # 参与人次: supports + comments + attendance
    decided: int  # topics with a decision
    decided_share: float | None  # 决议率: decided ÷ topics
    decisions_public: int  # 决议公开
    results_public: int  # 结果公开
    results_delivered: float | None  # 结果兑现率: results_public ÷ decisions_public
    votes_closed: int  # closed votes with anyone eligible
    turnout: float | None  # 平均参与率: mean over those votes of cast ÷ eligible


def deliberation(topics: Iterable[DeliberationTopic], votes: Iterable[DeliberationVote]) -> DeliberationFigures:
    rows = list(topics)
    counted = [v for v in votes if v.eligible > 0]
    by_step = dict.fromkeys(DELIBERATION_STEPS, 0)
    for t in rows:
        by_step[t.step] = by_step.get(t.step, 0) + 1
    supports = sum(t.supports for t in rows)
    comments = sum(t.comments for t in rows)
    attendance = sum(t.attended for t in rows)
    decided = sum(1 for t in rows if t.decided)
    decisions_public = sum(1 for t in rows if t.decision_public)
    results_public = sum(1 for t in rows if t.result_public)
    turnout = round(sum(v.cast / v.eligible for v in counted) / len(counted), 4) if counted else None
    return DeliberationFigures(
        topics=len(rows),
        by_step=by_step,
        by_residents=sum(1 for t in rows if t.origin == DELIBERATION_BY_RESIDENTS),
        supports=supports,
        comments=comments,
        attendance=attendance,
        participation=supports + comments + attendance,
        decided=decided,
        decided_share=ratio(decided, len(rows)),
        decisions_public=decisions_public,
        results_public=results_public,
        results_delivered=ratio(results_public, decisions_public),
        votes_closed=len(counted),
        turnout=turnout,
    )


def deliberation_by_node(
    topics: Iterable[DeliberationTopic], votes: Iterable[DeliberationVote], *, paths: Sequence[str]
) -> dict[str, DeliberationFigures]:
    """The figures of each node in ``paths``: a row counts under the node whose path its node's path starts with."""
    rows, closed = list(topics), list(votes)
    return {
        path: deliberation(
            (t for t in rows if t.node_path.startswith(path)), (v for v in closed if v.node_path.startswith(path))
        )
        for path in paths
    }


# ------------------------------------------------------------------------------------------------------- stewards

# The steward's assessment (考核): each part is a share from 0 to 1 of something measured, weighted; a part with nothing
# to measure (no case resolved, no visit committed …) is left out and the others' weights scale up, so a steward is
# never scored on what they had no chance to do. The score is 0–100, one decimal. docs/metrics.md, "Stewards".
STEWARD_WEIGHTS: Final = {
    "resolution_on_time": 25,  # cases they resolved within the deadline / cases they resolved
    "response_on_time": 10,  # cases they accepted within the response deadline / cases they accepted
    "satisfaction": 20,  # 满意 / rated cases they handled
    "visits_done": 20,  # visits made / visits committed (capped at 1)
    "visits_on_time": 10,  # visits made on time / visits made
    "reporting": 10,  # problems they reported (主动发现) / the expected number (capped at 1)
    "hours": 5,  # service hours / hours committed (capped at 1)
}
STEWARD_REPORTS_PER_MONTH: Final = 4
STEWARD_MIN_SAMPLE: Final = 5


@dataclass(frozen=True)
class StewardFacts:
    """What was measured of one steward over ``months`` months (their cases, visits and hours)."""

    months: int = 1
    reported: int = 0
    accepted: int = 0
    accepted_on_time: int = 0
    resolved: int = 0
    resolved_on_time: int = 0
    rated: int = 0
    satisfied: int = 0
    visits_committed: int = 0  # per month
    visits: int = 0
    visits_on_time: int = 0
    hours_committed: int = 0  # per month
    hours: Decimal = Decimal(0)
    # The share of the ``months`` they served (appointed or stepped down mid-period: days served / days in the
    # period); what is expected of them — visits, reports, hours — scales with it. 1 for a whole period.
    served: Decimal = Decimal(1)

    @property
    def sample(self) -> int:
        """How much the score rests on: cases reported, accepted, resolved and rated, and visits made."""
        return self.reported + self.accepted + self.resolved + self.rated + self.visits


def _capped(part: float | Decimal, whole: float | Decimal) -> float | None:
    if not whole:
        return None
    return min(float(part) / float(whole), 1.0)


def steward_parts(facts: StewardFacts) -> dict[str, float | None]:
    months = Decimal(max(facts.months, 1)) * min(max(facts.served, Decimal(0)), Decimal(1))
    return {
        "resolution_on_time": _capped(facts.resolved_on_time, facts.resolved),
        "response_on_time": _capped(facts.accepted_on_time, facts.accepted),
        "satisfaction": _capped(facts.satisfied, facts.rated),
        "visits_done": _capped(facts.visits, facts.visits_committed * months),
        "visits_on_time": _capped(facts.visits_on_time, facts.visits),
        "reporting": _capped(facts.reported, STEWARD_REPORTS_PER_MONTH * months),
        "hours": _capped(facts.hours, facts.hours_committed * months),
    }


def steward_score(facts: StewardFacts) -> Decimal | None:
    """0–100 (one decimal, half up), the weighted mean of the parts there are; None when there is none."""
    parts = steward_parts(facts)
    weights = {key: STEWARD_WEIGHTS[key] for key, value in parts.items() if value is not None}
    if not weights:
        return None
    total = sum(weights.values())
    weighted = sum((Decimal(str(parts[key])) * weight for key, weight in weights.items()), Decimal(0))
    value: Decimal = weighted * 100 / Decimal(total)
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def rank_stewards(
    scores: Mapping[str, tuple[Decimal | None, int]], *, min_sample: int = STEWARD_MIN_SAMPLE
) -> tuple[list[Ranked], list[str]]:
    """Rank stewards (key -> (score, sample)) highest first; those below ``min_sample`` or without a score are left
    out and returned apart. Ties share a rank (1, 2, 2, 4)."""
    eligible = [
        (key, score, sample) for key, (score, sample) in scores.items() if score is not None and sample >= min_sample
    ]
    too_small = sorted(key for key, (score, sample) in scores.items() if score is None or sample < min_sample)
    eligible.sort(key=lambda r: (-r[1], r[0]))
    out: list[Ranked] = []
    for i, (key, score, sample) in enumerate(eligible):
        value = float(score)
        position = out[-1].rank if out and out[-1].value == value else i + 1
        out.append(Ranked(key=key, value=value, sample=sample, rank=position))
    return out, too_small


@dataclass(frozen=True)
class ContactProgress:
    """A leader's contact points in a year: problems to solve (the targets' sum), taken on, solved."""

    points: int
    target: int
    taken_on: int
    solved: int
    share: float | None  # solved / target, capped at 1 per point


class ContactRowLike(Protocol):
    @property
    def target(self) -> int: ...
    @property
    def taken_on(self) -> int: ...
    @property
    def solved(self) -> int: ...


def contact_progress(rows: Iterable[ContactRowLike]) -> ContactProgress:
    """Progress towards the targets: each point counts at most its own target solved (a leader does not make up for
    one point with another)."""
    points = list(rows)
    target = sum(p.target for p in points)
    met = sum(min(p.solved, p.target) for p in points)
    return ContactProgress(
        points=len(points),
        target=target,
        taken_on=sum(p.taken_on for p in points),
        solved=sum(p.solved for p in points),
        share=ratio(met, target),
    )
