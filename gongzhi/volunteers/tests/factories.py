"""A small district for the people of the grid: community staff and street staff who vet, a leader with contact
points, an administrator who sets them, and helpers for applications, volunteers and activities."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from gongzhi.core import timeutil
from gongzhi.grid import roles
from gongzhi.grid.models import GridNode
from gongzhi.grid.tests.factories import make_tree, post
from gongzhi.volunteers import services
from gongzhi.volunteers.models import Activity, Application, Volunteer

_numbers = itertools.count(1)


def phone(n: int | None = None) -> str:
    return f"135{(next(_numbers) if n is None else n):08d}"


@dataclass
class PeopleWorld:
    district: GridNode
    street: GridNode
    community: GridNode
    other_community: GridNode
    micro_grid: GridNode
    staff: Any  # community staff: the community's word in vetting; activities, hours
    street_staff: Any  # the street's word in vetting
    other_staff: Any  # another community's staff
    leader: Any  # a district leader with contact points
    admin: Any  # sets contact points

    def application(self, **kw: Any) -> Application:
        return services.apply(
            node=kw.pop("node", self.micro_grid),
            name=kw.pop("name", "刘红梅"),
            phone=kw.pop("phone", phone()),
            why=kw.pop("why", "退休在家，想为邻居做点事"),
            availability=kw.pop("availability", "工作日上午"),
            **kw,
        )

    def approved(self, **kw: Any) -> Application:
        application = self.application(**kw)
        services.vet(application=application, actor=self.staff, level="community", approved=True, reason="熟悉小区")
        return services.vet(
            application=application, actor=self.street_staff, level="street", approved=True, reason="同意"
        )

    def volunteer(self, **kw: Any) -> Volunteer:
        return services.register_volunteer(
            jurisdiction_id=self.district.jurisdiction_id,
            name=kw.pop("name", "张志愿"),
            phone=kw.pop("phone", phone()),
            home=kw.pop("home", self.community),
            **kw,
        )

    def activity(self, *, starts: datetime | None = None, hours: float = 2, **kw: Any) -> Activity:
        starts = starts or timeutil.now() + timedelta(days=1)
        return services.create_activity(
            actor=kw.pop("actor", self.staff),
            node=kw.pop("node", self.community),
            title=kw.pop("title", "楼道清洁志愿服务"),
            place=kw.pop("place", "3号楼"),
            starts=starts,
            ends=starts + timedelta(hours=hours),
            capacity=kw.pop("capacity", 2),
            **kw,
        )


def people_world() -> PeopleWorld:
    district = make_tree(2)
    communities = list(GridNode.objects.filter(jurisdiction=district.jurisdiction, level="community").order_by("path"))
    community, other = communities[0], communities[-1]
    micro = GridNode.objects.filter(path__startswith=community.path, level="micro_grid").order_by("path").first()
    return PeopleWorld(
        district=district,
        street=community.parent,
        community=community,
        other_community=other,
        micro_grid=micro,
        staff=post(roles.COMMUNITY_STAFF, node=community).user,
        street_staff=post(roles.STREET_STAFF, node=community.parent).user,
        other_staff=post(roles.COMMUNITY_STAFF, node=other).user,
        leader=post(roles.LEADER, node=district).user,
        admin=post(roles.ADMIN, node=district).user,
    )
