"""Test helpers: a station with items, opening hours and a rota in one call."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import time
from typing import Any

from gongzhi.grid import roles
from gongzhi.grid.models import GridNode, StaffPost
from gongzhi.grid.tests.factories import DepartmentFactory, make_tree, post
from gongzhi.stations import services
from gongzhi.stations.models import DutyShift, OpeningHours, ServiceItem, Station

ALL_WEEK = tuple(range(7))


def catalogue() -> dict[str, ServiceItem]:
    services.install_catalogue()
    return {i.code: i for i in ServiceItem.objects.all()}


def station(
    node: GridNode,
    name: str = "幸福社区党群服务驿站",
    *,
    items: Iterable[str] = (),
    hours: Iterable[tuple[int, time, time]] = (),
    on_duty: Iterable[tuple[StaffPost, int, time, time]] = (),
    **fields: Any,
) -> Station:
    known = catalogue()
    found = Station.objects.create(node=node, name=name, **fields)
    found.items.set([known[code] for code in items])
    OpeningHours.objects.bulk_create(OpeningHours(station=found, weekday=d, opens=a, closes=b) for d, a, b in hours)
    DutyShift.objects.bulk_create(
        DutyShift(station=found, post=p, weekday=d, starts=a, ends=b) for p, d, a, b in on_duty
    )
    return found


def all_day(post: StaffPost) -> list[tuple[StaffPost, int, time, time]]:
    """On duty every hour of every day (00:00–23:59)."""
    return [(post, d, time(0, 0), time(23, 59)) for d in ALL_WEEK]


@dataclass
class Area:
    """A small district with staff in the roles a station meets (without the case engine's catalogue)."""

    district: GridNode
    street: GridNode
    community: GridNode
    other_community: GridNode
    micro: GridNode
    dispatcher: Any  # community staff of ``community``
    other_dispatcher: Any
    steward: Any
    grid_worker: Any
    dept_staff: Any
    resident: Any


def area() -> Area:
    from gongzhi.accounts.tests.factories import UserFactory

    district = make_tree(2)
    micro = GridNode.objects.filter(jurisdiction=district.jurisdiction, level=roles.MICRO_GRID).order_by("path").first()
    assert micro is not None
    chain = {
        n.level: n
        for n in GridNode.objects.filter(
            jurisdiction=district.jurisdiction, path__in=[micro.path[:i] for i in range(4, 21, 4)]
        )
    }
    other = (
        GridNode.objects.filter(jurisdiction=district.jurisdiction, level=roles.COMMUNITY)
        .exclude(pk=chain[roles.COMMUNITY].pk)
        .first()
    )
    assert other is not None
    department = DepartmentFactory(jurisdiction=district.jurisdiction)
    return Area(
        district=district,
        street=chain[roles.STREET],
        community=chain[roles.COMMUNITY],
        other_community=other,
        micro=micro,
        dispatcher=post(roles.COMMUNITY_STAFF, node=chain[roles.COMMUNITY]).user,
        other_dispatcher=post(roles.COMMUNITY_STAFF, node=other).user,
        steward=post(roles.STEWARD, node=micro).user,
        grid_worker=post(roles.GRID_WORKER, node=chain[roles.GRID]).user,
        dept_staff=post(roles.DEPARTMENT_STAFF, department=department).user,
        resident=UserFactory(username="resident"),
    )
