"""A small district with a care registry: community staff who keep it, a steward of one micro-grid who visits,
another community's staff, a district leader (figures only), an administrator (the access log), and helpers to make
households and residents with valid (and obviously fake: region 99xxxx) ID numbers."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from typing import Any

from gongzhi.care import idcard, services
from gongzhi.care.models import CareGroup, Household, Resident
from gongzhi.grid import roles
from gongzhi.grid.models import GridNode
from gongzhi.grid.tests.factories import BuildingFactory, make_tree, post

_numbers = itertools.count(1)


def id_number(born: date = date(1940, 5, 17), *, sequence: int | None = None) -> str:
    """A valid ID number in region 990101 (no such region exists)."""
    return idcard.make("990101", born, next(_numbers) if sequence is None else sequence)


def phone(n: int) -> str:
    return f"137{n:08d}"


@dataclass
class CareWorld:
    district: GridNode
    community: GridNode
    other_community: GridNode
    micro_grid: GridNode
    other_micro_grid: GridNode  # in the same community, another steward's
    staff: Any  # community staff of ``community``: keeps the registry
    steward: Any  # steward of ``micro_grid``: visits
    grid_worker: Any  # grid worker of the grid above ``micro_grid`` (and ``other_micro_grid``): visits
    other_steward: Any  # steward of ``other_micro_grid``
    other_staff: Any  # community staff of another community
    leader: Any  # district leader: figures only
    admin: Any  # district administrator: the access log, no records

    def group(self, code: str) -> CareGroup:
        return CareGroup.objects.get(jurisdiction=self.district.jurisdiction, code=code)

    def household(self, *, node: GridNode | None = None, code: str | None = None, **kw: Any) -> Household:
        building = BuildingFactory(node=node or self.micro_grid, jurisdiction=self.district.jurisdiction)
        return services.create_household(
            building=building,
            code=code or f"H{next(_numbers):05d}",
            room=kw.pop("room", "1单元101"),
            actor=kw.pop("actor", self.staff),
            **kw,
        )

    def resident(
        self,
        *,
        household: Household | None = None,
        name: str = "王秀英",
        born: date = date(1940, 5, 17),
        phone: str = "",
        relation: str = "head",
        level: str = "",
        groups: tuple[str, ...] = (),
        **kw: Any,
    ) -> Resident:
        return services.add_resident(
            household=household or self.household(),
            person=services.Person(
                name=name, id_number=kw.pop("id_number", None) or id_number(born), phone=phone, relation=relation
            ),
            groups=[self.group(code) for code in groups],
            level=level,
            level_reason=kw.pop("level_reason", "独居，行动不便" if level else ""),
            actor=kw.pop("actor", self.staff),
            **kw,
        )


def care_world() -> CareWorld:
    district = make_tree(2)
    communities = list(GridNode.objects.filter(jurisdiction=district.jurisdiction, level="community").order_by("path"))
    community, other = communities[0], communities[-1]
    micros = list(GridNode.objects.filter(path__startswith=community.path, level="micro_grid").order_by("path"))
    services.install_defaults(jurisdiction=district.jurisdiction)
    return CareWorld(
        district=district,
        community=community,
        other_community=other,
        micro_grid=micros[0],
        other_micro_grid=micros[-1],
        staff=post(roles.COMMUNITY_STAFF, node=community).user,
        steward=post(roles.STEWARD, node=micros[0]).user,
        grid_worker=post(roles.GRID_WORKER, node=micros[0].parent).user,
        other_steward=post(roles.STEWARD, node=micros[-1]).user,
        other_staff=post(roles.COMMUNITY_STAFF, node=other).user,
        leader=post(roles.LEADER, node=district).user,
        admin=post(roles.ADMIN, node=district).user,
    )
