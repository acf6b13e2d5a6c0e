"""What ``gongzhi demo`` adds to the demo grid so that a newcomer finds a district alive: service points in every
street and community, and a few months of simulated activity (cases, the dashboard, the public board).

The grid, its staff and buildings are ``grid.demo``'s; the catalogue is ``cases.catalogue``'s; the activity is
``ops.simulate``'s, marked simulated (notifications.services.simulation): no text message of it ever reaches a
gateway and no inbox gets unread news from it.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from gongzhi.analytics import rollup
from gongzhi.cases.models import Case
from gongzhi.grid import roles
from gongzhi.grid.models import Building, Compound, GridNode, Jurisdiction, StaffPost
from gongzhi.ops.simulate import Simulation, window
from gongzhi.portal.models import ServicePoint

# The service items of each tier (DESIGN.md §5: tier 1 stations offer 16, tier 2 twelve, tier 3 eight).
TIER_3 = (
    "诉求代办（代录、代跟进）",
    "快递代收代寄",
    "便民工具、雨伞借用",
    "应急药箱",
    "政策咨询",
    "邻里纠纷调解",
    "独居老人探访预约",
    "户外劳动者歇脚（饮水、充电、热饭）",
)
TIER_2 = (
    *TIER_3[:5],
    "社保、医保业务咨询与代办",
    "居住证、老年优待证代办",
    "残疾人服务",
    "就业登记与岗位推荐",
    "法律咨询（每周三下午律师坐班）",
    "志愿服务登记",
    "图书阅览与四点半课堂",
)
TIER_1 = (
    *TIER_2,
    "不动产登记咨询",
    "个体工商户营业执照代办",
    "最低生活保障与临时救助申请",
    "退役军人服务",
)
HOURS = {
    1: "周一至周五 8:30–12:00、14:00–17:30；周六 9:00–12:00",
    2: "周一至周日 8:30–17:30",
    3: "每天 8:00–20:00",
}
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


@transaction.atomic
def service_points(jurisdiction: Jurisdiction, *, seed: int = 2026) -> int:
    """The demo's service points: a tier-1 centre per street, a tier-2 station per community, a tier-3 steward point in
    the largest compounds of each community, with opening hours, services and staff on duty. Idempotent (by node and
    name): returns how many were created."""
    rng = random.Random(seed)
    have = set(ServicePoint.objects.filter(node__jurisdiction=jurisdiction).values_list("node_id", "name"))
    created = 0
    services = {1: TIER_1, 2: TIER_2, 3: TIER_3}
    for plan in _plan(jurisdiction):
        phone = _landline(rng)  # drawn for every point, so a second run draws the same numbers
        if (plan.node.pk, plan.name) in have:
            continue
        point = ServicePoint.objects.create(
            node=plan.node,
            name=plan.name,
            tier=plan.tier,
            address=plan.address,
            hours=HOURS[plan.tier],
            phone=phone,
            services="\n".join(services[plan.tier]),
            lat=plan.lat,
            lon=plan.lon,
        )
        point.on_duty.set(plan.on_duty)
        created += 1
    return created


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
    began = time.perf_counter()
    start, end = window(months, until)
    sim = Simulation(jurisdiction, months=months, seed=seed, start=start, per_month=per_month)
    result = sim.run(progress=progress)
    rollup.catch_up()
    return {
        "cases": result.cases,
        "published": Case.objects.filter(jurisdiction=jurisdiction, public=True).count(),
        "seconds": time.perf_counter() - began,
        "first_day": timezone.localdate(start),
        "last_day": timezone.localdate(end - timedelta(days=1)),
    }
