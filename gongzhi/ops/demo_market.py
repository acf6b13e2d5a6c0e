"""The demo district's service market (市集) and mobile service days (服务列车进小区): every community holds a market
at its station every working day from two weeks ago to four weeks ahead, offering a handful of its projects (a
haircut, appliance repair, mending, knife sharpening, a free health check) on the three-way price split (社区补一点、
商家让一点、居民付一点), and one mobile service day with six windows in one of its compounds on a festival-ish day.

The series and events are made by ``market.services`` (the working calendar decides the days); the offerings and their
slots are bulk inserts of exactly the rows ``services.add_offering`` writes (no booking exists yet, so every slot's
``taken`` is 0) — a few thousand rows in a fraction of a second. Bookings, check-ins and no-shows come from
``ops.simulate.MarketSimulation`` through the services, so the slots' counters and the ledger are right.
Idempotent: a community that has a market series already is left as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from gongzhi.core import timeutil
from gongzhi.grid import roles
from gongzhi.grid.models import Compound, GridNode, Jurisdiction, StaffPost
from gongzhi.lists.models import Project, Resource
from gongzhi.market import pricing, schedule, services
from gongzhi.market.choices import EventKind, PlaceKind
from gongzhi.market.models import Event, Offering, Series, Slot
from gongzhi.market.selectors import COMMUNITY_PATH
from gongzhi.stations.models import Station

DAYS_BACK = 14
DAYS_AHEAD = 28
MARKET_HOURS = (time(9, 0), time(11, 30))
MOBILE_HOURS = (time(9, 0), time(12, 0))


@dataclass(frozen=True)
class Service:
    """A market service: the project it comes from (its name, category, the kind of provider) and its terms."""

    name: str
    category: str
    provider: str  # the community's resource of this name (a merchant, a clinic …), made if missing
    provider_kind: str
    list_price: str
    discount: str = "0"
    discount_percent: str | None = None
    subsidy: str = "0"
    slot_minutes: int = 30
    per_slot: int = 2
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6)  # the days of the week it is offered at the daily market


SERVICES = (
    Service("理发", "housekeeping", "理发店", "merchant", "20.00", discount="5.00", subsidy="5.00", slot_minutes=15),
    Service(
        "家电维修", "housekeeping", "家电维修部", "merchant", "30.00", discount_percent="20", subsidy="10.00",
        weekdays=(1, 3),
    ),
    Service("缝补", "housekeeping", "洗衣店", "merchant", "10.00", discount="2.00", subsidy="4.00", weekdays=(0, 2, 4)),
    Service(
        "磨刀", "housekeeping", "五金店", "merchant", "8.00", discount="2.00", subsidy="3.00", slot_minutes=15,
        per_slot=1, weekdays=(0, 2, 4),
    ),
    Service("义诊", "health", "社区卫生服务站", "clinic", "0.00", slot_minutes=30, per_slot=3, weekdays=(1, 3)),
)  # fmt: skip
MOBILE_WINDOWS = ("书记面对面", "一站式服务窗口", "市集服务", "市集服务", "反诈宣传", "政策咨询")
# (month, day, name): festival-ish days a community drives its service train into a compound.
FESTIVALS = (
    (1, 1, "元旦"),
    (3, 5, "学雷锋纪念日"),
    (5, 1, "劳动节"),
    (6, 1, "儿童节"),
    (7, 1, "建党节"),
    (9, 10, "教师节"),
    (10, 1, "国庆节"),
    (12, 5, "国际志愿者日"),
)


def festival_day(today: date) -> tuple[date, str]:
    """The festival nearest to ``today`` between two weeks ago and four weeks ahead; else the Saturday after next."""
    found = []
    for year in (today.year - 1, today.year, today.year + 1):
        for month, day, name in FESTIVALS:
            d = date(year, month, day)
            if today - timedelta(days=DAYS_BACK) <= d <= today + timedelta(days=DAYS_AHEAD) and d != today:
                found.append((abs((d - today).days), d, name))
    if found:
        _gap, d, name = min(found)
        return d, name
    saturday = today + timedelta(days=(5 - today.weekday()) % 7 + 7)
    return saturday, "周末"


def _terms(service: Service) -> dict[str, Any]:
    return {
        "list_price": pricing.money(service.list_price),
        "merchant_discount": pricing.money(service.discount),
        "discount_percent": None if service.discount_percent is None else pricing.money(service.discount_percent),
        "community_subsidy": pricing.money(service.subsidy),
        "slot_minutes": service.slot_minutes,
        "per_slot": service.per_slot,
    }


def _slots(event: Event, offering: Offering, starts: time, ends: time) -> list[Slot]:
    return [
        Slot(
            offering=offering,
            starts=timezone.make_aware(a),
            ends=timezone.make_aware(b),
            capacity=offering.per_slot,
        )
        for a, b in schedule.slot_times(event.day, starts, ends, offering.slot_minutes)
    ]


def _projects(node: GridNode, at: Any) -> dict[str, Project]:
    """The community's project for each market service (an active, market-delivered one), made where missing."""
    have = {
        p.name: p for p in Project.objects.filter(node=node, name__in=[s.name for s in SERVICES], delivery="market")
    }
    providers = {r.name: r for r in Resource.objects.filter(node=node)}
    for service in SERVICES:
        if service.name in have:
            continue
        name = f"{node.name}{service.provider}"
        provider = providers.get(name)
        if provider is None:
            provider = providers[name] = Resource.objects.create(
                node=node, name=name, kind=service.provider_kind, offer="便民市集优惠服务", created_at=at
            )
        have[service.name] = Project.objects.create(
            node=node,
            name=service.name,
            category=service.category,
            provider=provider,
            price=Decimal(service.list_price),
            eligibility="本社区居民；60 岁以上老人、低保、特困家庭免费",
            schedule="工作日每天上午",
            delivery="market",
            place="社区党群服务驿站",
            status="active",
            created_at=at,
        )
    return have


def _mobile_day(
    node: GridNode, actor: Any, compound: Compound, day: date, festival: str, projects: dict[str, Project]
) -> list[Offering]:
    event = services.create_event(
        actor=actor,
        node=node,
        kind=EventKind.MOBILE,
        title=f"服务列车进小区·{festival}",
        theme="便民服务",
        day=day,
        starts=MOBILE_HOURS[0],
        ends=MOBILE_HOURS[1],
        place=services.PlaceInput(kind=PlaceKind.COMPOUND, compound=compound, name=f"{compound.name}中心广场"),
        publish=True,
    )
    windows = [
        services.add_window(actor=actor, event=event, title=title, staffed_by=staff)
        for title, staff in zip(
            MOBILE_WINDOWS,
            ("社区党委书记", "社区工作者", "商家志愿者", "商家志愿者", "派出所民警", "街道干部"),
            strict=True,
        )
    ]
    offerings = []
    by_name = {s.name: s for s in SERVICES}
    for window, name in ((windows[2], "理发"), (windows[3], "磨刀"), (windows[3], "家电维修")):
        service, project = by_name[name], projects[name]
        offerings.append(
            Offering(
                event=event,
                window=window,
                project_id=project.pk,
                name=service.name,
                provider=project.provider.name,
                **_terms(service),
            )
        )
    return offerings


def _community_staff(jurisdiction: Jurisdiction) -> dict[int, Any]:
    staff: dict[int, Any] = {}
    for post in StaffPost.objects.filter(
        jurisdiction=jurisdiction, active=True, role=roles.COMMUNITY_STAFF, node__isnull=False
    ).select_related("user"):
        staff.setdefault(post.node_id or 0, post.user)
    return staff


@transaction.atomic
def build(jurisdiction: Jurisdiction, *, today: date | None = None) -> dict[str, int]:
    """A market calendar for every community of ``jurisdiction`` that has none yet; returns the rows added."""
    today = today or timeutil.local_today()
    now = timeutil.now()
    services.install_rules(jurisdiction)
    communities = list(GridNode.objects.filter(jurisdiction=jurisdiction, level=roles.COMMUNITY).order_by("path"))
    done = set(Series.objects.filter(node__in=communities).values_list("node_id", flat=True))
    staff = _community_staff(jurisdiction)
    stations = {s.node_id: s for s in Station.objects.filter(node__in=communities, tier=2, active=True).order_by("-pk")}
    compounds: dict[str, list[Compound]] = {}  # community path -> its compounds
    for compound in Compound.objects.filter(jurisdiction=jurisdiction).select_related("node").order_by("code"):
        compounds.setdefault(compound.node.path[:COMMUNITY_PATH], []).append(compound)
    festival, festival_name = festival_day(today)
    offerings: list[Offering] = []
    added = {"series": 0, "events": 0, "offerings": 0, "slots": 0}
    for node in communities:
        actor, station = staff.get(node.pk), stations.get(node.pk)
        if node.pk in done or actor is None or station is None:
            continue
        projects = _projects(node, now)
        series = services.create_series(
            actor=actor,
            node=node,
            title=f"{node.name}幸福市集",
            theme="居家维修·便民服务",
            first_day=today - timedelta(days=DAYS_BACK),
            last_day=today + timedelta(days=DAYS_AHEAD),
            starts=MARKET_HOURS[0],
            ends=MARKET_HOURS[1],
            place=services.PlaceInput(
                kind=PlaceKind.STATION, station_id=station.pk, name=station.name, lat=station.lat, lon=station.lon
            ),
            publish=True,
        )
        added["series"] += 1
        for event in Event.objects.filter(series=series).order_by("day"):
            added["events"] += 1
            for service in SERVICES:
                if event.day.weekday() not in service.weekdays:
                    continue
                project = projects[service.name]
                offerings.append(
                    Offering(
                        event=event,
                        project_id=project.pk,
                        name=service.name,
                        provider=project.provider.name,
                        **_terms(service),
                    )
                )
        places = compounds.get(node.path, [])
        if places:
            offerings += _mobile_day(node, actor, places[0], festival, festival_name, projects)
            added["events"] += 1
    made = Offering.objects.bulk_create(offerings, batch_size=1000)
    slots = []
    for offering in made:
        event = offering.event
        slots += _slots(event, offering, event.starts, event.ends)
    Slot.objects.bulk_create(slots, batch_size=2000)
    added["offerings"], added["slots"] = len(made), len(slots)
    return added


# The demo plays the last few days of markets at a small community's volume: every call goes through the services (a few
# milliseconds each), and the demo must stay quick. `gongzhi simulate` plays every day at the practice's volume.
SIMULATED_DAYS = 4
SIMULATED_AHEAD = 1  # tomorrow's bookings: the worker's reminders have something to send
SIMULATED_PER_EVENT = 5


def simulate(jurisdiction: Jurisdiction, *, seed: int = 2026, today: date | None = None) -> dict[str, Any]:
    """The market's life so far (``ops.simulate.MarketSimulation``): the last few days booked, served and closed,
    the next days booked. Events that have bookings already are left alone. Returns the counts and the seconds."""
    from gongzhi.ops.simulate import MarketSimulation

    first = (today or timeutil.local_today()) - timedelta(days=SIMULATED_DAYS)
    result = MarketSimulation(
        jurisdiction, seed=seed, first=first, ahead=SIMULATED_AHEAD, per_event=SIMULATED_PER_EVENT
    ).run()
    return {"events": result.events, **dict(sorted(result.counts.items())), "seconds": result.wall_seconds}
