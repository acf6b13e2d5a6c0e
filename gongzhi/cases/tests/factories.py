"""Test building blocks for cases: a small district with staff in every role, and categories."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gongzhi.cases import services
from gongzhi.cases.models import Case, CaseCategory, SlaPolicy
from gongzhi.grid import roles
from gongzhi.grid.models import Building, Department, GridNode
from gongzhi.grid.tests.factories import BuildingFactory, DepartmentFactory, make_tree, post


def category(
    jurisdiction: Any,
    code: str = "env.litter",
    *,
    level: str = "micro_grid",
    urgency: str = "normal",
    working: bool = False,
    response: int = 60,
    resolve: int = 24 * 60,
    **fields: Any,
) -> CaseCategory:
    cat = CaseCategory.objects.create(
        jurisdiction=jurisdiction,
        code=code,
        name=fields.pop("name", code),
        default_level=level,
        default_urgency=urgency,
        **fields,
    )
    for u in ("normal", "urgent", "emergency"):
        SlaPolicy.objects.create(
            jurisdiction=jurisdiction,
            category=cat,
            urgency=u,
            response_minutes=response,
            resolve_minutes=resolve,
            working_time=working,
            grace_minutes=60,
        )
    return cat


@dataclass
class World:
    """One district (make_tree(2)) seen from one micro-grid upwards, with a person in each role."""

    district: GridNode
    street: GridNode
    community: GridNode
    other_community: GridNode
    grid: GridNode
    micro: GridNode
    building: Building
    department: Department
    dispatcher: Any  # community staff of `community`
    other_dispatcher: Any  # community staff of another community
    steward: Any
    steward2: Any
    grid_worker: Any
    street_staff: Any
    centre: Any  # command centre (district)
    dept_staff: Any
    resident: Any
    category: CaseCategory

    @property
    def jurisdiction(self) -> Any:
        return self.district.jurisdiction

    def submit(self, **kw: Any) -> Case:
        kw.setdefault("jurisdiction", self.jurisdiction)
        kw.setdefault("channel", "qr")
        kw.setdefault("title", "楼道里堆满杂物")
        kw.setdefault("building", self.building)
        return services.submit(**kw)

    def to_accepted(self, **kw: Any) -> Case:
        case = self.submit(**kw)
        services.triage(case=case, actor=self.dispatcher, category=self.category)
        services.dispatch(case=case, actor=self.dispatcher, node=self.micro, pool=True)
        return services.accept(case=case, actor=self.steward)

    def to_resolved(self, **kw: Any) -> Case:
        case = self.to_accepted(**kw)
        return services.resolve(case=case, actor=self.steward, result="已清理楼道杂物")


def world() -> World:
    from gongzhi.accounts.tests.factories import UserFactory

    district = make_tree(2)
    nodes = {
        level: GridNode.objects.filter(jurisdiction=district.jurisdiction, level=level).order_by("path")
        for level in roles.LEVELS
    }
    micro = nodes["micro_grid"].first()
    chain = {
        n.level: n
        for n in GridNode.objects.filter(
            jurisdiction=district.jurisdiction, path__in=[micro.path[:i] for i in range(4, 21, 4)]
        )
    }
    other_community = nodes["community"].exclude(pk=chain["community"].pk).first()
    department = DepartmentFactory(jurisdiction=district.jurisdiction, name="区城管局")
    building = BuildingFactory(node=micro, jurisdiction=district.jurisdiction, lat=None, lon=None)
    return World(
        district=district,
        street=chain["street"],
        community=chain["community"],
        other_community=other_community,
        grid=chain["grid"],
        micro=micro,
        building=building,
        department=department,
        dispatcher=post(roles.COMMUNITY_STAFF, node=chain["community"]).user,
        other_dispatcher=post(roles.COMMUNITY_STAFF, node=other_community).user,
        steward=post(roles.STEWARD, node=micro).user,
        steward2=post(roles.STEWARD, node=micro).user,
        grid_worker=post(roles.GRID_WORKER, node=chain["grid"]).user,
        street_staff=post(roles.STREET_STAFF, node=chain["street"]).user,
        centre=post(roles.COMMAND_CENTRE, node=district).user,
        dept_staff=post(roles.DEPARTMENT_STAFF, department=department).user,
        resident=UserFactory(username="resident"),
        category=category(district.jurisdiction),
    )
