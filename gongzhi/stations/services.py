"""Writes of the stations domain: one keyword-only function per use case, atomic, checking the actor's right.

Cases are not written here: a walk-in request or a 代办 matter is filed by the interface through
``gongzhi.cases.services``, which then calls ``record_intake`` in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from django.db import transaction

from gongzhi.core import timeutil
from gongzhi.core.errors import Conflict, DomainError, PermissionDenied, gettext_noop
from gongzhi.grid import selectors as grid_selectors
from gongzhi.grid.models import GridNode, Jurisdiction, StaffPost
from gongzhi.stations import policies
from gongzhi.stations.choices import Kind, Tier
from gongzhi.stations.models import (
    DutyShift,
    Intake,
    Matter,
    OpeningHours,
    ServiceItem,
    Station,
    TierRequirement,
    Visit,
)

MAX_PURPOSE = 100


@dataclass(frozen=True)
class Hours:
    weekday: int
    opens: time
    closes: time


def _check_point(lat: float | None, lon: float | None) -> None:
    if (lat is None) != (lon is None):
        raise DomainError(gettext_noop("give both latitude and longitude, or neither"))
    if lat is not None and lon is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise DomainError(gettext_noop("the point is not on the map (latitude −90…90, longitude −180…180)"))


@transaction.atomic
def save_station(
    *,
    actor: Any,
    node: GridNode,
    name: str,
    kind: str = Kind.STATION,
    tier: int = Tier.THREE,
    address: str = "",
    phone: str = "",
    lat: float | None = None,
    lon: float | None = None,
    items: Iterable[ServiceItem] = (),
    hours: Iterable[Hours] = (),
    closed_on_holidays: bool = True,
    active: bool = True,
    station: Station | None = None,
) -> Station:
    """Create a station (``station`` None) or replace an existing one's details, items and opening hours."""
    if not policies.can_manage(actor, node) or (station is not None and not policies.can_manage(actor, station.node)):
        raise PermissionDenied(gettext_noop("you may not set up stations there"))
    name = name.strip()
    if not name:
        raise DomainError(gettext_noop("the station needs a name"))
    if kind not in Kind.values:
        raise DomainError(gettext_noop("unknown kind of station %(kind)r"), params={"kind": kind})
    if tier not in Tier.values:
        raise DomainError(gettext_noop("unknown tier %(tier)r"), params={"tier": tier})
    _check_point(lat, lon)
    taken = Station.objects.filter(node=node, name=name)
    if station is not None:
        taken = taken.exclude(pk=station.pk)
    if taken.exists():
        raise Conflict(
            gettext_noop("%(node)s already has a station named %(name)s"), params={"node": node.name, "name": name}
        )
    spans = list(hours)
    for span in spans:
        if not 0 <= span.weekday <= 6 or span.opens == span.closes:
            raise DomainError(gettext_noop("an opening span needs a weekday and two different times"))
    if station is None:
        station = Station(node=node)
    station.node = node
    station.name = name[:100]
    station.kind = kind
    station.tier = tier
    station.address = address.strip()[:200]
    station.phone = phone.strip()[:32]
    station.lat, station.lon = lat, lon
    station.closed_on_holidays = closed_on_holidays
    station.active = active
    station.save()
    station.items.set(list(items))
    station.hours.all().delete()
    OpeningHours.objects.bulk_create(
        OpeningHours(station=station, weekday=s.weekday, opens=s.opens, closes=s.closes)
        for s in {(s.weekday, s.opens): s for s in spans}.values()
    )
    return station


@transaction.atomic
def add_shift(*, actor: Any, station: Station, post: StaffPost, weekday: int, starts: time, ends: time) -> DutyShift:
    """Put a staff post on the station's rota for a weekday (a shift past midnight when ``ends`` ≤ ``starts``)."""
    if not policies.can_manage(actor, station.node):
        raise PermissionDenied(gettext_noop("you may not change this station's rota"))
    if not post.active or post.node_id is None or post.jurisdiction_id != station.node.jurisdiction_id:
        raise DomainError(gettext_noop("only an active grid post of the same district can be on duty here"))
    if not policies.can_manage(actor, grid_selectors.node(post.node_id)):
        raise PermissionDenied(gettext_noop("that post is outside your area"))
    if not 0 <= weekday <= 6:
        raise DomainError(gettext_noop("unknown weekday"))
    if starts == ends:
        raise DomainError(gettext_noop("a shift must not start and end at the same time"))
    if DutyShift.objects.filter(station=station, post=post, weekday=weekday, starts=starts).exists():
        raise Conflict(gettext_noop("that shift is on the rota already"))
    return DutyShift.objects.create(station=station, post=post, weekday=weekday, starts=starts, ends=ends)


@transaction.atomic
def remove_shift(*, actor: Any, shift: DutyShift) -> None:
    if not policies.can_manage(actor, shift.station.node):
        raise PermissionDenied(gettext_noop("you may not change this station's rota"))
    shift.delete()


def _desk(actor: Any, station: Station) -> None:
    if not station.active:
        raise Conflict(gettext_noop("the station is closed"))
    if not policies.can_desk(actor, station):
        raise PermissionDenied(gettext_noop("you do not keep this station's desk"))


@transaction.atomic
def record_visit(*, actor: Any, station: Station, purpose: str = "", at: datetime | None = None) -> Visit:
    """+1 visitor, with what they came for if the desk noted it."""
    _desk(actor, station)
    purpose = purpose.strip()
    if len(purpose) > MAX_PURPOSE:
        raise DomainError(
            gettext_noop("the purpose is too long (%(n)d characters; at most %(max)d)"),
            params={"n": len(purpose), "max": MAX_PURPOSE},
        )
    return Visit.objects.create(station=station, at=at or timeutil.now(), purpose=purpose, recorded_by=actor)


def check_desk(*, actor: Any, station: Station) -> None:
    """Refuse (PermissionDenied, Conflict) before the interface files a case at the station."""
    _desk(actor, station)


def record_intake(
    *,
    station: Station,
    case_id: int,
    at: datetime,
    actor: Any = None,
    on_the_spot: bool = False,
    matter: Matter | None = None,
) -> Intake:
    """Note that the case ``case_id`` was taken at the station. Called by the interface inside the transaction that
    filed the case, so the two exist together or not at all."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_intake runs inside the transaction that filed the case")
    return Intake.objects.create(
        station=station, case_id=case_id, at=at, on_the_spot=on_the_spot, matter=matter, recorded_by=actor
    )


@transaction.atomic
def install_catalogue() -> int:
    """The service items and the tier requirements of ``seed`` (idempotent; existing items keep their edits).
    Returns how many items it created."""
    from gongzhi.stations import seed

    have = {i.code: i for i in ServiceItem.objects.all()}
    created = 0
    for order, (code, name, name_en, outdoor) in enumerate(seed.ITEMS):
        if code not in have:
            have[code] = ServiceItem.objects.create(
                code=code, name=name, name_en=name_en, outdoor_workers=outdoor, sort_order=order
            )
            created += 1
    rows = set(TierRequirement.objects.values_list("tier", "item__code"))
    TierRequirement.objects.bulk_create(
        TierRequirement(tier=tier, item=have[code])
        for tier, codes in seed.REQUIREMENTS.items()
        for code in codes
        if (tier, code) not in rows
    )
    return created


@transaction.atomic
def install_matters(jurisdiction: Jurisdiction) -> int:
    """The demo's matters for ``jurisdiction``, accepted at the stations of the tiers ``seed`` names (idempotent by
    code). Returns how many it created."""
    from gongzhi.stations import seed

    have = set(Matter.objects.filter(jurisdiction=jurisdiction).values_list("code", flat=True))
    stations = list(Station.objects.filter(node__jurisdiction=jurisdiction, active=True))
    created = 0
    for order, (code, name, mode, materials, where, days, category, tier) in enumerate(seed.MATTERS):
        if code in have:
            continue
        matter = Matter.objects.create(
            jurisdiction=jurisdiction,
            code=code,
            name=name,
            mode=mode,
            materials="\n".join(materials),
            handled_at=where,
            days=days,
            category_code=category,
            sort_order=order,
        )
        matter.stations.set([s for s in stations if tier and s.tier <= tier])
        created += 1
    return created
