"""A small district with a person in each role that matters to the lists, and helpers to fill them."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from gongzhi.grid import roles
from gongzhi.grid.models import GridNode
from gongzhi.grid.tests.factories import make_tree, post
from gongzhi.lists import services
from gongzhi.lists.models import Need, Project, Resource


@dataclass
class ListsWorld:
    district: GridNode
    street: GridNode
    community: GridNode
    other_community: GridNode
    grid: GridNode
    staff: Any  # community staff of `community`: keeps its lists
    other_staff: Any  # community staff of `other_community`
    grid_worker: Any  # reads `community`'s lists
    street_staff: Any
    leader: Any  # district leader: reads all
    dept_staff: Any  # a department: no lists

    def need(self, **kw: Any) -> Need:
        kw.setdefault("actor", self.staff)
        kw.setdefault("node", self.community)
        kw.setdefault("title", "老人助餐")
        kw.setdefault("category", "elderly")
        kw.setdefault("source", "survey")
        kw.setdefault("households", 12)
        return services.create_need(**kw)

    def resource(self, **kw: Any) -> Resource:
        kw.setdefault("actor", self.staff)
        kw.setdefault("node", self.community)
        kw.setdefault("name", "幸福食堂")
        kw.setdefault("kind", "merchant")
        kw.setdefault("phone", "0571-88886666")
        kw.setdefault("contact_name", "王芳")
        kw.setdefault("contact_phone", "13812345678")
        kw.setdefault("hours", "每天 11:00–13:00")
        return services.save_resource(**kw)

    def project(self, **kw: Any) -> Project:
        kw.setdefault("actor", self.staff)
        kw.setdefault("node", self.community)
        kw.setdefault("name", "老年助餐")
        kw.setdefault("category", "elderly")
        kw.setdefault("delivery", "station")
        kw.setdefault("price", Decimal("8.00"))
        if "provider" not in kw:
            kw["provider"] = self.resource(actor=kw["actor"], node=kw["node"])
        return services.save_project(**kw)


def lists_world() -> ListsWorld:
    from gongzhi.grid.tests.factories import DepartmentFactory

    district = make_tree(2)
    communities = list(GridNode.objects.filter(jurisdiction=district.jurisdiction, level="community").order_by("path"))
    community, other = communities[0], communities[-1]
    street = community.parent
    grid = GridNode.objects.filter(parent=community).order_by("path").first()
    department = DepartmentFactory(jurisdiction=district.jurisdiction)
    return ListsWorld(
        district=district,
        street=street,
        community=community,
        other_community=other,
        grid=grid,
        staff=post(roles.COMMUNITY_STAFF, node=community).user,
        other_staff=post(roles.COMMUNITY_STAFF, node=other).user,
        grid_worker=post(roles.GRID_WORKER, node=grid).user,
        street_staff=post(roles.STREET_STAFF, node=street).user,
        leader=post(roles.LEADER, node=district).user,
        dept_staff=post(roles.DEPARTMENT_STAFF, department=department).user,
    )
