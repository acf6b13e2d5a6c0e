"""A small district with a market: community staff who plan it, a steward who keeps a stall, another community's
staff, and helpers to make events, offerings and bookings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any

from gongzhi.core import timeutil
from gongzhi.grid import roles
from gongzhi.grid.models import GridNode
from gongzhi.grid.tests.factories import make_tree, post
from gongzhi.market import services
from gongzhi.market.models import Event, Offering, Slot


@dataclass
class MarketWorld:
    district: GridNode
    community: GridNode
    other_community: GridNode
    micro_grid: GridNode
    staff: Any  # community staff: plans the community's markets
    steward: Any  # a steward of a micro-grid in the community: keeps a stall
    other_staff: Any  # community staff of another community
    leader: Any  # a district leader: sees figures, keeps no stall

    def event(self, *, day: date | None = None, publish: bool = True, **kw: Any) -> Event:
        kw.setdefault("actor", self.staff)
        kw.setdefault("node", self.community)
        kw.setdefault("title", "幸福市集")
        kw.setdefault("theme", "居家维修")
        kw.setdefault("starts", time(9, 0))
        kw.setdefault("ends", time(11, 0))
        kw.setdefault("place", services.PlaceInput(kind="point", name="社区广场", lat=30.27, lon=120.15))
        return services.create_event(day=day or tomorrow(), publish=publish, **kw)

    def offering(self, event: Event, **kw: Any) -> Offering:
        kw.setdefault("name", "理发")
        kw.setdefault("provider", "阿芳理发店")
        kw.setdefault("list_price", "20.00")
        kw.setdefault("merchant_discount", "5.00")
        kw.setdefault("community_subsidy", "5.00")
        kw.setdefault("slot_minutes", 30)
        kw.setdefault("per_slot", 2)
        actor = kw.pop("actor", self.staff)
        return services.add_offering(actor=actor, event=event, data=services.OfferingInput(**kw))[0]


def tomorrow() -> date:
    return timeutil.local_today() + timedelta(days=1)


def first_slot(offering: Offering) -> Slot:
    return offering.slots.order_by("starts").first()  # type: ignore[return-value]


def phone(n: int) -> str:
    return f"139{n:08d}"


def market_world() -> MarketWorld:
    district = make_tree(2)
    communities = list(GridNode.objects.filter(jurisdiction=district.jurisdiction, level="community").order_by("path"))
    community, other = communities[0], communities[-1]
    micro = GridNode.objects.filter(path__startswith=community.path, level="micro_grid").order_by("path").first()
    services.install_rules(district.jurisdiction)
    return MarketWorld(
        district=district,
        community=community,
        other_community=other,
        micro_grid=micro,
        staff=post(roles.COMMUNITY_STAFF, node=community).user,
        steward=post(roles.STEWARD, node=micro).user,
        other_staff=post(roles.COMMUNITY_STAFF, node=other).user,
        leader=post(roles.LEADER, node=district).user,
    )
