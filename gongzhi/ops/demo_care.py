"""The demo district's care registry (关爱台账): households in every building, the people living in them, the
vulnerable ones in colour-coded care (分类分色) and a few months of visits (走访), some late — so that the overdue list,
a steward's "my visits today" and the command centre's care panel have rows from the first login.

Proportions follow a city district's ledger, at a fraction of its volume so that the demo stays quick: about one
household in 75 of each building's households (a few thousand residents), an ageing population (about a fifth
aged 60 and over), 10–15 % of residents in a care group (elderly living alone, aged 80 and over, empty nest,
disabled, seriously ill, 低保, children in difficulty or left behind, veterans), of those a few at red, more at
yellow and most at green. Everyone is obviously made up: common surnames and given names, ID numbers with a valid
check character in region 99xxxx (which does not exist: ``care.idcard.make``), mobile numbers drawn at random.

The rows are bulk inserts of exactly what ``care.services`` writes: the personal fields (encrypted by their model
fields, blind indexes, the masked ID number, date of birth and sex from the ID number) come from the services' own
``_personal_fields``, the schedule from ``care.schedule`` with the services' intervals and the working calendar.
Nothing personal is printed. Idempotent: a jurisdiction that has households already is left as it is.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from gongzhi.care import idcard, schedule
from gongzhi.care import services as care
from gongzhi.care.choices import Level, MoveAction, Outcome, Relation, ResidentStatus
from gongzhi.care.models import CareGroup, Household, LevelChange, Move, Resident, Visit
from gongzhi.core import calendar_days, crypto, timeutil
from gongzhi.grid import roles
from gongzhi.grid.demo import GIVEN, SURNAMES
from gongzhi.grid.models import Building, GridNode, Jurisdiction, StaffPost

SEED = 2026
# One household in this many of a building's households is in the demo ledger (a building of 75 households has one).
HOUSEHOLD_FRACTION = 1 / 75
REGION = "99"  # + two digits for the street, two for the community: no such region exists
# Visits of the last this many days are in the demo (older ones would only make the demo slower).
HISTORY_DAYS = 120
MOVED_AWAY_P = 0.012  # residents who moved away (some long ago: the retention rule erases them)
LATE_P = 0.12  # a visit made after the day it was due
SKIP_P = 0.06  # a due visit not made yet (overdue)
# How a household is made up: (kind, weight).
COMPOSITIONS = (
    ("elderly_alone", 5),
    ("elderly_couple", 13),
    ("three_generations", 14),
    ("family", 34),
    ("couple", 14),
    ("single", 12),
    ("left_behind", 2),
    ("single_parent", 2),
)
# What a visit found, when it found something (generic words: never a name).
FINDINGS = {
    Outcome.PROBLEM: ("家中水管漏水，需物业维修", "楼道灯坏，老人夜间出行不便", "燃气灶老化，有安全隐患", "门锁损坏"),
    Outcome.NEEDS_HELP: ("收入下降，询问低保申请", "行动不便，需要助餐服务", "需要居家养老上门服务"),
    Outcome.NOT_HOME: ("敲门无人应答，已电话联系家属", "家中无人，改日再访"),
}
LEVEL_REASONS = {
    Level.RED: "独居高龄，行动不便，需每周走访",
    Level.YELLOW: "身体状况一般，需每月走访",
    Level.GREEN: "基本能自理，按季度走访",
}


@dataclass
class Member:
    born: date
    relation: str
    sex: str  # "m" / "f"
    phone: bool


@dataclass
class Built:
    households: int = 0
    residents: int = 0
    in_care: int = 0
    levels: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    moved_away: int = 0
    visits: int = 0
    late: int = 0
    overdue: int = 0


def _born(rng: random.Random, today: date, low: int, high: int) -> date:
    """A birthday of someone aged ``low`` to ``high`` today."""
    age = rng.randint(low, high)
    return today - timedelta(days=age * 365 + rng.randint(0, 364))


def _members(kind: str, rng: random.Random, today: date) -> list[Member]:
    def adult(relation: str, low: int, high: int, sex: str | None = None, phone: float = 0.9) -> Member:
        return Member(_born(rng, today, low, high), relation, sex or rng.choice("mf"), rng.random() < phone)

    if kind == "elderly_alone":
        return [adult(Relation.HEAD, 62, 92, phone=0.6)]
    if kind == "elderly_couple":
        head = adult(Relation.HEAD, 62, 90, "m", phone=0.7)
        return [head, adult(Relation.SPOUSE, 60, 88, "f", phone=0.5)]
    if kind == "couple":
        return [adult(Relation.HEAD, 24, 60, "m"), adult(Relation.SPOUSE, 23, 58, "f")]
    if kind == "single":
        return [adult(Relation.HEAD, 20, 59)]
    children = [
        Member(_born(rng, today, 0, 17), Relation.CHILD, rng.choice("mf"), False) for _ in range(rng.choice((1, 1, 2)))
    ]
    if kind == "left_behind":  # the parents work elsewhere: a grandparent keeps the household
        return [
            adult(Relation.HEAD, 58, 80, phone=0.6),
            *[Member(c.born, Relation.GRANDCHILD, c.sex, False) for c in children],
        ]
    if kind == "single_parent":
        return [adult(Relation.HEAD, 26, 48, "f"), *children]
    family = [adult(Relation.HEAD, 28, 50, "m"), adult(Relation.SPOUSE, 26, 48, "f"), *children]
    if kind == "three_generations":
        family.append(adult(Relation.PARENT, 58, 88, phone=0.4))
    return family


def _groups(kind: str, member: Member, age: int, size: int, rng: random.Random) -> list[str]:
    """The care groups a member is in, from their household and age (and chance for the rest)."""
    found = []
    if age >= 60 and size == 1:
        found.append("living_alone")
    if age >= 80:
        found.append("aged")
    if kind == "elderly_couple" and age >= 60 and rng.random() < 0.35:
        found.append("empty_nest")
    if rng.random() < (0.04 if age >= 60 else 0.01):
        found.append("disabled")
    if rng.random() < (0.02 if age >= 60 else 0.004):
        found.append("seriously_ill")
    if member.relation == Relation.GRANDCHILD:
        found.append("left_behind")
    if age < 18 and kind == "single_parent" and rng.random() < 0.3:
        found.append("children_in_difficulty")
    if age >= 18 and rng.random() < 0.008:
        found.append("veteran")
    if member.relation == Relation.HEAD and rng.random() < (
        0.06 if kind in ("elderly_alone", "single_parent") else 0.015
    ):
        found.append("subsistence")
    return found


def _level(groups: list[str], age: int, rng: random.Random) -> str:
    """Red few, yellow more, green most; a veteran alone is in the ledger without visits."""
    if not groups or groups == ["veteran"]:
        return ""
    weight = len(groups) + (1 if age >= 85 else 0) + (1 if "seriously_ill" in groups else 0)
    draw = rng.random()
    if draw < 0.04 * weight:
        return Level.RED
    if draw < 0.04 * weight + 0.12 * weight:
        return Level.YELLOW
    return Level.GREEN


class _Ids:
    """Valid, unique ID numbers in the non-existent regions 99xxxx (the sequence's parity is the sex)."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def make(self, region: str, born: date, sex: str, rng: random.Random) -> str:
        while True:
            sequence = rng.randrange(0, 500) * 2 + (1 if sex == "m" else 0)
            number = idcard.make(region, born, sequence)
            if number not in self.used:
                self.used.add(number)
                return number


def _visitors(jurisdiction: Jurisdiction) -> dict[int, Any]:
    """Who visits under each micro-grid: its steward, else the grid worker of the grid above."""
    nodes = {n.pk: n for n in GridNode.objects.filter(jurisdiction=jurisdiction).only("pk", "parent_id", "level")}
    by_node: dict[int, Any] = {}
    for post in (
        StaffPost.objects.filter(
            jurisdiction=jurisdiction, active=True, role__in=[roles.STEWARD, roles.GRID_WORKER], node__isnull=False
        )
        .select_related("user")
        .order_by("pk")
    ):
        by_node.setdefault(post.node_id or 0, post.user)
    found: dict[int, Any] = {}
    for pk, node in nodes.items():
        found[pk] = by_node.get(pk) or (by_node.get(node.parent_id or 0) if node.parent_id else None)
    return found


def _mobile(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}"


@dataclass
class _Row:
    resident: Resident
    household: Household
    groups: list[str]
    overdue: bool = False  # planted: the demo steward's visit not made yet


@transaction.atomic
def build(jurisdiction: Jurisdiction, *, seed: int = SEED, today: date | None = None) -> dict[str, int]:
    """The care registry of ``jurisdiction`` unless it has households already; returns the rows added."""
    care.install_defaults(jurisdiction=jurisdiction)
    if Household.objects.filter(jurisdiction=jurisdiction).exists():
        return {"households": 0}
    today = today or timeutil.local_today()
    now = timeutil.now()
    rng = random.Random(seed)
    ids = _Ids()
    groups = {g.code: g for g in CareGroup.objects.filter(jurisdiction=jurisdiction)}
    nodes = {n.pk: n for n in GridNode.objects.filter(jurisdiction=jurisdiction).only("pk", "path", "level")}
    # The demo steward's micro-grid (gj0001: the first one) gets its elderly households, so that their "visits
    # today" and the overdue list have rows from the first login.
    first_micro = min((n for n in nodes.values() if n.level == roles.MICRO_GRID), key=lambda n: n.path, default=None)
    built = Built()
    planned: list[tuple[Household, str, str, list[Member]]] = []
    for building in Building.objects.filter(jurisdiction=jurisdiction).order_by("code"):
        share = building.households * HOUSEHOLD_FRACTION
        count = int(share) + (1 if rng.random() < share - int(share) else 0)
        node = nodes[building.node_id]
        planted = first_micro is not None and building.node_id == first_micro.pk
        count = max(count, 3) if planted else count
        # The region: street and community of the building (from its node's path), so that numbers look local.
        region = f"{REGION}{int(node.path[4:8] or 0) % 100:02d}{int(node.path[8:12] or 0) % 100:02d}"
        for n in range(count):
            kind = rng.choices([k for k, _w in COMPOSITIONS], weights=[w for _k, w in COMPOSITIONS])[0]
            kind = "elderly_alone" if planted and n < 2 else kind
            phone = _mobile(rng)
            household = Household(
                jurisdiction=jurisdiction,
                node_id=building.node_id,
                building=building,
                code=f"{building.code}-{n + 1:02d}",
                room=f"{rng.randint(1, 3)}单元{rng.randint(1, 18)}{rng.randint(1, 4):02d}",
                contact_phone=phone,
                contact_index=crypto.blind_index(phone),
                created_at=now,
                updated_at=now,
            )
            planned.append((household, region, kind, _members(kind, rng, today)))
    Household.objects.bulk_create([p[0] for p in planned], batch_size=1000)
    built.households = len(planned)

    rows: list[_Row] = []
    for household, region, kind, members in planned:
        for member in members:
            age = idcard.age_on(member.born, today)
            person = care.Person(
                name=rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.75 else ""),
                id_number=ids.make(region, member.born, member.sex, rng),
                phone=_mobile(rng) if member.phone else "",
                relation=member.relation,
            )
            fields = care._personal_fields(person, today=today)  # the services' own checks, indexes and mask
            in_groups = _groups(kind, member, age, len(members), rng)
            level = _level(in_groups, age, rng)
            planted = first_micro is not None and household.node_id == first_micro.pk and level
            overdue = bool(planted) and sum(1 for r in rows if r.overdue) < 2
            if overdue:
                level = (Level.RED, Level.YELLOW)[sum(1 for r in rows if r.overdue)]
            resident = Resident(
                jurisdiction=jurisdiction,
                node_id=household.node_id,
                household=household,
                created_at=now,
                updated_at=now,
                **fields,
            )
            if level:
                resident.level = level
                resident.level_reason = LEVEL_REASONS[Level(level)]
                resident.level_since = today - timedelta(days=rng.randint(30, 700))
            if member.relation != Relation.HEAD and rng.random() < MOVED_AWAY_P:
                resident.status = ResidentStatus.MOVED_AWAY
                resident.moved_away_on = today - timedelta(days=rng.randint(20, 5 * 365))
                resident.household = None
                resident.level, resident.level_reason, resident.level_since = "", "", None
                built.moved_away += 1
            rows.append(_Row(resident, household, in_groups, overdue))
    # Everything is planned before the first row is written (the rows then point at the residents' new keys): the
    # schedule goes in with the resident, with no second pass over the table.
    moves, changes = _history_rows(rows, now, today, rng)
    visits = _visits(jurisdiction, rows, today, rng, built)
    Resident.objects.bulk_create([r.resident for r in rows], batch_size=1000)
    built.residents = len(rows)
    through = Resident.groups.through
    through.objects.bulk_create(
        [through(resident_id=r.resident.pk, caregroup_id=groups[code].pk) for r in rows for code in r.groups],
        batch_size=2000,
    )
    Move.objects.bulk_create(moves, batch_size=2000)
    LevelChange.objects.bulk_create(changes, batch_size=2000)
    Visit.objects.bulk_create(visits, batch_size=2000)
    # Each household's head: its member who is the head (one UPDATE).
    Household.objects.filter(jurisdiction=jurisdiction, head__isnull=True).update(
        head=Subquery(
            Resident.objects.filter(household=OuterRef("pk"), relation=Relation.HEAD).order_by("pk").values("pk")[:1]
        )
    )
    for r in rows:
        if r.resident.status == ResidentStatus.LIVING and (r.groups or r.resident.level):
            built.in_care += 1
        if r.resident.level:
            built.levels[r.resident.level] += 1
            if r.resident.next_visit_due is not None and r.resident.next_visit_due < today:
                built.overdue += 1
    return {
        "households": built.households,
        "residents": built.residents,
        "in care": built.in_care,
        "red": built.levels[Level.RED],
        "yellow": built.levels[Level.YELLOW],
        "green": built.levels[Level.GREEN],
        "moved away": built.moved_away,
        "visits": built.visits,
        "late visits": built.late,
        "overdue": built.overdue,
    }


def _history_rows(
    rows: list[_Row], now: datetime, today: date, rng: random.Random
) -> tuple[list[Move], list[LevelChange]]:
    """Moves in (and out) and level changes, as the services write them."""
    moves: list[Move] = []
    changes: list[LevelChange] = []
    for row in rows:
        resident, household = row.resident, row.household
        moves.append(
            Move(
                resident=resident,
                household=household,
                action=MoveAction.MOVED_IN,
                on=today - timedelta(days=rng.randint(6 * 365, 20 * 365)),
                at=now,
            )
        )
        if resident.status == ResidentStatus.MOVED_AWAY:
            on = resident.moved_away_on or today
            moves.append(Move(resident=resident, household=household, action=MoveAction.MOVED_OUT, on=on, at=now))
        if resident.level:
            at = timezone.make_aware(datetime.combine(resident.level_since or today, time(10)))
            changes.append(
                LevelChange(
                    resident=resident, level_from="", level_to=resident.level, reason=resident.level_reason, at=at
                )
            )
    return moves, changes


def _visits(jurisdiction: Jurisdiction, rows: list[_Row], today: date, rng: random.Random, built: Built) -> list[Visit]:
    """The visits of the last ``HISTORY_DAYS`` days: each due visit made on time or a few days late (``LATE_P``),
    or not made yet (``SKIP_P``: overdue); now and then nobody is at home, or the visit finds a problem. The last
    visit and the next one due are set on the resident from ``care.schedule`` as ``record_visit`` does."""
    calendar = calendar_days.current_calendar()
    intervals = care.intervals(jurisdiction.pk)
    visitors = _visitors(jurisdiction)
    start = today - timedelta(days=HISTORY_DAYS)
    visits: list[Visit] = []
    for row in rows:
        resident = row.resident
        if not resident.level or resident.level_since is None:
            continue
        interval = intervals[resident.level]
        # The visit before the window (not in the demo): shortly before it starts, if the level was set by then.
        before = start - timedelta(days=rng.randint(0, 20))
        last_made: date | None = before if before > resident.level_since else None
        while True:
            due = schedule.next_due(
                last_visit=last_made, level_since=resident.level_since, interval=interval, calendar=calendar
            )
            if due > today or rng.random() < SKIP_P or (row.overdue and due < today - timedelta(days=1)):
                break
            late = rng.random() < LATE_P
            day = due + timedelta(days=rng.randint(1, 10)) if late else due - timedelta(days=rng.randint(0, 3))
            day = max(day, (last_made or resident.level_since) + timedelta(days=1))
            if day > today:
                break
            outcome = rng.choices(
                [Outcome.WELL, Outcome.PROBLEM, Outcome.NEEDS_HELP, Outcome.NOT_HOME], weights=[84, 7, 3, 6]
            )[0]
            visits.append(
                Visit(
                    resident=resident,
                    node_id=resident.node_id,
                    visitor=visitors.get(resident.node_id),
                    level=resident.level,
                    due=due,
                    visited_on=day,
                    on_time=schedule.on_time(day, due),
                    outcome=outcome,
                    findings=rng.choice(FINDINGS[outcome]) if outcome in FINDINGS else "",
                    recorded_at=timezone.make_aware(
                        datetime.combine(day, time(rng.randint(9, 17), rng.randint(0, 59)))
                    ),
                )
            )
            built.visits += 1
            built.late += 0 if schedule.on_time(day, due) else 1
            if outcome == Outcome.NOT_HOME:
                # Nobody at home does not reset the schedule: the visitor comes back in a few days.
                again = day + timedelta(days=rng.randint(1, 4))
                if again > today:
                    break
                outcome = Outcome.WELL
                visits.append(
                    Visit(
                        resident=resident,
                        node_id=resident.node_id,
                        visitor=visitors.get(resident.node_id),
                        level=resident.level,
                        due=due,
                        visited_on=again,
                        on_time=schedule.on_time(again, due),
                        outcome=outcome,
                        recorded_at=timezone.make_aware(datetime.combine(again, time(10))),
                    )
                )
                built.visits += 1
                built.late += 0 if schedule.on_time(again, due) else 1
                day = again
            last_made = day
        resident.last_visit = last_made
        resident.next_visit_due = schedule.next_due(
            last_visit=last_made, level_since=resident.level_since, interval=interval, calendar=calendar
        )
    return visits
