"""What ``gongzhi demo`` adds to the demo grid so that a newcomer finds a district alive: stations in every street
and community (with items, hours, rota, matters and visitors), and a few months of simulated activity (cases, the
dashboard, the public board).

The grid, its staff and buildings are ``grid.demo``'s; the catalogue is ``cases.catalogue``'s; the activity is
``ops.simulate``'s, marked simulated (notifications.services.simulation): no text message of it ever reaches a
gateway and no inbox gets unread news from it.
"""

from __future__ import annotations

import random
import time as timer
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from gongzhi.analytics import rollup
from gongzhi.cases.models import Case
from gongzhi.grid import roles
from gongzhi.grid.models import Building, Compound, GridNode, Jurisdiction, StaffPost
from gongzhi.ops.simulate import Simulation, window
from gongzhi.stations import seed as station_seed
from gongzhi.stations import services as station_services
from gongzhi.stations.choices import Kind
from gongzhi.stations.models import DutyShift, OpeningHours, ServiceItem, Station, Visit

# Opening hours by tier, (weekdays, opens, closes): the streets' centres keep office hours and Saturday mornings, the
# communities' stations are open every day, the compound stewards' points from morning to evening.
HOURS: dict[int, tuple[tuple[tuple[int, ...], time, time], ...]] = {
    1: (
        ((0, 1, 2, 3, 4), time(8, 30), time(12, 0)),
        ((0, 1, 2, 3, 4), time(14, 0), time(17, 30)),
        ((5,), time(9), time(12)),
    ),
    2: ((tuple(range(7)), time(8, 30), time(17, 30)),),
    3: ((tuple(range(7)), time(8, 0), time(20, 0)),),
}
# What visitors came for (the desk's optional note), for the visitor log's history.
PURPOSES = ("", "", "", "喝水歇脚", "手机充电", "政策咨询", "借雨伞", "量血压", "代办咨询", "快递小哥歇脚")
VISITOR_DAYS = 14
# Compounds per community with a steward point (the largest ones).
STEWARD_POINTS_PER_COMMUNITY = 2


@dataclass(frozen=True)
class Planned:
    node: GridNode
    name: str
    tier: int
    address: str
    lat: float | None
    lon: float | None
    on_duty: list[StaffPost]


def _landline(rng: random.Random) -> str:
    return f"028-{rng.randint(8000_0000, 8999_9999)}"


def _plan(jurisdiction: Jurisdiction) -> list[Planned]:
    nodes = {n.pk: n for n in GridNode.objects.filter(jurisdiction=jurisdiction).order_by("path")}
    posts: dict[int, list[StaffPost]] = {}
    for post in StaffPost.objects.filter(jurisdiction=jurisdiction, active=True, node__isnull=False).order_by("pk"):
        posts.setdefault(post.node_id or 0, []).append(post)
    buildings: dict[int, int] = {}
    for compound_id in Building.objects.filter(jurisdiction=jurisdiction, compound__isnull=False).values_list(
        "compound_id", flat=True
    ):
        buildings[compound_id] = buildings.get(compound_id, 0) + 1
    compounds: dict[int, list[Compound]] = {}  # community id -> its compounds, the largest first
    for compound in Compound.objects.filter(jurisdiction=jurisdiction).order_by("code"):
        community = nodes[compound.node_id]
        while community.level != roles.COMMUNITY and community.parent_id is not None:
            community = nodes[community.parent_id]
        compounds.setdefault(community.pk, []).append(compound)
    planned: list[Planned] = []
    for node in nodes.values():
        if node.level == roles.STREET:
            planned.append(
                Planned(
                    node,
                    f"{node.name}便民服务中心",
                    1,
                    f"{node.name}政务服务大厅一楼",
                    node.centroid_lat,
                    node.centroid_lon,
                    [p for p in posts.get(node.pk, []) if p.role == roles.STREET_STAFF][:2],
                )
            )
        elif node.level == roles.COMMUNITY:
            grid_workers = [
                p
                for child in nodes.values()
                if child.parent_id == node.pk
                for p in posts.get(child.pk, [])
                if p.role == roles.GRID_WORKER
            ]
            planned.append(
                Planned(
                    node,
                    f"{node.name}党群服务驿站",
                    2,
                    f"{node.name}党群服务中心",
                    node.centroid_lat,
                    node.centroid_lon,
                    [p for p in posts.get(node.pk, []) if p.role == roles.COMMUNITY_STAFF][:1] + grid_workers[:2],
                )
            )
            largest = sorted(compounds.get(node.pk, []), key=lambda c: (-buildings.get(c.pk, 0), c.code))
            for compound in largest[:STEWARD_POINTS_PER_COMMUNITY]:
                stewards = [
                    p
                    for child in nodes.values()
                    if child.parent_id == compound.node_id
                    for p in posts.get(child.pk, [])
                    if p.role == roles.STEWARD
                ]
                planned.append(
                    Planned(
                        nodes[compound.node_id],
                        f"{compound.name}小区管家服务点",
                        3,
                        f"{compound.address}物业服务中心旁",
                        compound.lat,
                        compound.lon,
                        stewards[:2],
                    )
                )
    return planned


def _rota(station: Station, posts: list[StaffPost]) -> list[DutyShift]:
    """The demo rota: the posts take turns over the opening hours (two halves of the day where there are two)."""
    shifts = []
    for weekdays, opens, closes in HOURS[station.tier]:
        for weekday in weekdays:
            if len(posts) >= 2 and station.tier == 3:
                shifts.append(DutyShift(station=station, post=posts[0], weekday=weekday, starts=opens, ends=time(14)))
                shifts.append(DutyShift(station=station, post=posts[1], weekday=weekday, starts=time(14), ends=closes))
            elif posts:
                post = posts[weekday % len(posts)]
                shifts.append(DutyShift(station=station, post=post, weekday=weekday, starts=opens, ends=closes))
    return shifts


@transaction.atomic
def service_points(jurisdiction: Jurisdiction, *, seed: int = 2026) -> int:
    """The demo's stations (stations.Station): a tier-1 centre per street, a tier-2 station per community, a tier-3
    steward point in the largest compounds of each community — with their service items (the tier's requirement, a
    few stations lacking one or two, some offering more), opening hours, rota, the matters they accept and two weeks
    of visitors. Idempotent (by node and name): returns how many stations were created."""
    rng = random.Random(seed)
    station_services.install_catalogue()
    items = {i.code: i for i in ServiceItem.objects.all()}
    extras = [code for code, *_ in station_seed.ITEMS if code not in station_seed.TIER_1]
    have = set(Station.objects.filter(node__jurisdiction=jurisdiction).values_list("node_id", "name"))
    created: list[Station] = []
    shifts: list[DutyShift] = []
    hours: list[OpeningHours] = []
    offered: list[tuple[Station, list[str]]] = []
    for plan in _plan(jurisdiction):
        phone = _landline(rng)  # drawn for every point, so a second run draws the same numbers
        required = list(station_seed.REQUIREMENTS[plan.tier])
        lacking = rng.sample(required, k=rng.choice((0, 0, 0, 1, 2)))
        more = rng.sample(extras, k=rng.randint(0, 3))
        if (plan.node.pk, plan.name) in have:
            continue
        station = Station.objects.create(
            node=plan.node,
            name=plan.name,
            kind=Kind.STATION if plan.tier < 3 else Kind.STEWARD_POINT,
            tier=plan.tier,
            address=plan.address,
            phone=phone,
            lat=plan.lat,
            lon=plan.lon,
        )
        created.append(station)
        offered.append((station, [c for c in required if c not in lacking] + more))
        hours += [
            OpeningHours(station=station, weekday=d, opens=opens, closes=closes)
            for weekdays, opens, closes in HOURS[plan.tier]
            for d in weekdays
        ]
        shifts += _rota(station, plan.on_duty)
    OpeningHours.objects.bulk_create(hours)
    DutyShift.objects.bulk_create(shifts)
    through = Station.items.through
    through.objects.bulk_create(
        through(station_id=station.pk, serviceitem_id=items[code].pk) for station, codes in offered for code in codes
    )
    station_services.install_matters(jurisdiction)
    _visitors(created, rng)
    return len(created)


def _visitors(stations: list[Station], rng: random.Random) -> None:
    """Two weeks of the visitor log: more at the larger stations, fewer at weekends, within opening hours."""
    today = timezone.localdate()
    per_day = {1: (20, 45), 2: (10, 30), 3: (3, 15)}
    rows = []
    for station in stations:
        low, high = per_day[station.tier]
        for back in range(VISITOR_DAYS, 0, -1):
            day = today - timedelta(days=back)
            spans = [(o, c) for weekdays, o, c in HOURS[station.tier] if day.weekday() in weekdays]
            if not spans:
                continue
            for _ in range(rng.randint(low, high) // (2 if day.weekday() >= 5 else 1)):
                opens, closes = rng.choice(spans)
                minute = rng.randint(opens.hour * 60 + opens.minute, closes.hour * 60 + closes.minute - 1)
                at = timezone.make_aware(datetime.combine(day, time(minute // 60, minute % 60)))
                rows.append(Visit(station=station, at=at, purpose=rng.choice(PURPOSES)))
    Visit.objects.bulk_create(rows, batch_size=2000)


# A newcomer's district: enough activity for every figure and chart without a long wait (the practice's full volume,
# 1,409 a month, is `gongzhi simulate`'s).
HISTORY_MONTHS = 3
HISTORY_CASES_PER_MONTH = 400


def history(
    jurisdiction: Jurisdiction,
    *,
    months: int = HISTORY_MONTHS,
    per_month: int = HISTORY_CASES_PER_MONTH,
    seed: int = 2026,
    until: date | None = None,
    progress: Any = None,
) -> dict[str, Any]:
    """Simulated activity up to today (``until``, default today) if the district has no cases yet, then the
    dashboard's rollups brought up to date. Returns what it did (``cases`` 0 when the district already had some)."""
    if Case.objects.filter(jurisdiction=jurisdiction).exists():
        return {"cases": 0, "seconds": 0.0}
    began = timer.perf_counter()
    start, end = window(months, until)
    sim = Simulation(jurisdiction, months=months, seed=seed, start=start, per_month=per_month)
    result = sim.run(progress=progress)
    rollup.catch_up()
    return {
        "cases": result.cases,
        "published": Case.objects.filter(jurisdiction=jurisdiction, public=True).count(),
        "seconds": timer.perf_counter() - began,
        "first_day": timezone.localdate(start),
        "last_day": timezone.localdate(end - timedelta(days=1)),
    }
