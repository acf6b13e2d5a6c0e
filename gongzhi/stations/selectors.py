"""Reads of the stations domain. Public reads (the resident pages, the coverage computation) show active stations
only; staff reads take the viewer, and a station out of their scope is the same ``NotFound`` as a missing one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from gongzhi.core import calendar_days, timeutil
from gongzhi.core.errors import NotFound, gettext_noop
from gongzhi.grid import geo, walking
from gongzhi.grid import selectors as grid_selectors
from gongzhi.grid.models import GridNode, StaffPost
from gongzhi.stations import policies, rota, tiers
from gongzhi.stations.choices import Weekday
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


def public_stations(node: GridNode | None = None) -> QuerySet[Station]:
    """Active stations in ``node``'s subtree (every jurisdiction when None), their items prefetched."""
    rows = Station.objects.filter(active=True)
    if node is not None:
        rows = rows.filter(node__jurisdiction_id=node.jurisdiction_id, node__path__startswith=node.path)
    return rows.select_related("node").prefetch_related("items").order_by("tier", "node__path", "name")


def stations_serving(node: GridNode) -> QuerySet[Station]:
    """Active stations in ``node``'s subtree and on the nodes above it (a street's centre serves its communities)."""
    chain = grid_selectors.ancestors(node, include_self=True).values("pk")
    return (
        Station.objects.filter(active=True)
        .filter(Q(node__in=chain) | Q(node__jurisdiction_id=node.jurisdiction_id, node__path__startswith=node.path))
        .select_related("node")
        .prefetch_related("items", "hours")
        .order_by("tier", "node__path", "name")
    )


def public_station(pk: Any) -> Station | None:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return (
        Station.objects.filter(pk=pk, active=True)
        .select_related("node")
        .prefetch_related("items", "hours", Prefetch("matters", queryset=Matter.objects.filter(active=True)))
        .first()
    )


def station_name(pk: Any) -> str:
    """A station's name, open or closed ("" when there is none): what a case taken there names."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return ""
    return Station.objects.filter(pk=pk).values_list("name", flat=True).first() or ""


def items() -> list[ServiceItem]:
    return list(ServiceItem.objects.all())


def requirements() -> dict[int, list[str]]:
    """Tier → the item codes it requires, in display order."""
    found: dict[int, list[str]] = {}
    for tier, code in TierRequirement.objects.order_by("tier", "item__sort_order", "item__code").values_list(
        "tier", "item__code"
    ):
        found.setdefault(tier, []).append(code)
    return found


def tier_check(station: Station, required: dict[int, list[str]] | None = None) -> tiers.TierCheck:
    """What the station lacks for its tier (``station.items`` prefetched saves a query per station)."""
    return tiers.check(station.tier, (i.code for i in station.items.all()), required or requirements())


def item_names(codes: Any) -> list[str]:
    names = {i.code: i.label for i in ServiceItem.objects.filter(code__in=list(codes))}
    return [names.get(code, code) for code in codes]


# ------------------------------------------------------------------------------------------------- hours and rota


def _spans(rows: Any, *, key: bool) -> list[rota.Span]:
    if key:
        return [rota.Span(r.weekday, r.starts, r.ends, r.post_id) for r in rows]
    return [rota.Span(r.weekday, r.opens, r.closes) for r in rows]


def is_open(station: Station, at: datetime | None = None) -> bool:
    moment = timeutil.local(at or timeutil.now())
    hours = list(station.hours.all())
    return rota.is_open(
        _spans(hours, key=False),
        moment,
        calendar_days.current_calendar(),
        closed_on_holidays=station.closed_on_holidays,
    )


def on_duty(station: Station, at: datetime | None = None) -> list[StaffPost]:
    """The active posts whose shift runs now (or at ``at``), in rota order. Their names and titles are public; their
    personal numbers are not."""
    moment = timeutil.local(at or timeutil.now())
    shifts = list(
        DutyShift.objects.filter(station=station)
        .select_related("post__user", "post__node", "post__department")
        .order_by("weekday", "starts")
    )
    keys = rota.on_duty(_spans(shifts, key=True), moment, calendar_days.current_calendar())
    posts = {s.post_id: s.post for s in shifts}
    return [posts[k] for k in keys if isinstance(k, int) and posts[k].active]  # type: ignore[index]


def shifts(station: Station) -> list[DutyShift]:
    return list(DutyShift.objects.filter(station=station).select_related("post__user", "post__node"))


def shifts_of_post(post: StaffPost) -> list[DutyShift]:
    """A staff post's shifts on every station's rota, by weekday and start (a steward's station duty)."""
    return list(
        DutyShift.objects.filter(post=post)
        .select_related("station__node")
        .order_by("weekday", "starts", "station__name", "pk")
    )


def hours(station: Station) -> list[OpeningHours]:
    return list(station.hours.all())


@dataclass(frozen=True)
class DayHours:
    weekday: int
    label: str
    spans: list[str]


def week(station: Station) -> list[DayHours]:
    """The opening hours by weekday, Monday first, days without a span left out ("08:30–12:00", "14:00–17:30")."""
    days: dict[int, list[str]] = {}
    for row in sorted(station.hours.all(), key=lambda h: (h.weekday, h.opens)):
        days.setdefault(row.weekday, []).append(f"{row.opens:%H:%M}–{row.closes:%H:%M}")
    return [DayHours(d, str(Weekday(d).label), spans) for d, spans in sorted(days.items())]


# --------------------------------------------------------------------------------------------------------- staff


def stations_for(user: Any) -> QuerySet[Station]:
    """Stations on the grid nodes the viewer's posts reach, and those whose rota they are on."""
    prefixes = grid_selectors.scope_prefixes(user)
    scope = Q(pk__in=[])
    for jurisdiction_id, prefix in prefixes:
        scope |= Q(node__jurisdiction_id=jurisdiction_id, node__path__startswith=prefix)
    posts = [p.pk for p in grid_selectors.active_posts(user)]
    if posts:
        scope |= Q(pk__in=DutyShift.objects.filter(post_id__in=posts).values("station_id"))
    if getattr(user, "is_superuser", False) and user.is_active:
        scope = Q()
    return (
        Station.objects.filter(scope)
        .select_related("node")
        .prefetch_related("items")
        .order_by("node__path", "tier", "name")
    )


def station_for(user: Any, pk: Any) -> Station:
    """A station the viewer may keep the desk of or manage; NotFound otherwise (the same as a missing one)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound(gettext_noop("no such station")) from None
    station = Station.objects.filter(pk=pk).select_related("node").prefetch_related("items", "hours").first()
    if station is None or not (policies.can_desk(user, station) or policies.can_manage(user, station.node)):
        raise NotFound(gettext_noop("no such station"))
    return station


def matters(jurisdiction_id: int) -> QuerySet[Matter]:
    return Matter.objects.filter(jurisdiction_id=jurisdiction_id, active=True).prefetch_related("stations")


def matter(jurisdiction_id: int, code: str) -> Matter | None:
    return matters(jurisdiction_id).filter(code=str(code)[:48]).first()


# -------------------------------------------------------------------------------------------------- day report


@dataclass(frozen=True)
class DayLog:
    """One local day at a station: its visitors and the cases taken there (ids; the case engine has their state)."""

    day: date
    visitors: int
    purposes: list[tuple[str, int]]
    intakes: list[Intake]


def day_log(station: Station, day: date) -> DayLog:
    start = timezone.make_aware(datetime.combine(day, time.min))
    end = start + timedelta(days=1)
    visits = Visit.objects.filter(station=station, at__gte=start, at__lt=end)
    purposes: dict[str, int] = {}
    for purpose in visits.values_list("purpose", flat=True):
        if purpose:
            purposes[purpose] = purposes.get(purpose, 0) + 1
    intakes = list(Intake.objects.filter(station=station, at__gte=start, at__lt=end).select_related("matter"))
    return DayLog(
        day=day,
        visitors=visits.count(),
        purposes=sorted(purposes.items(), key=lambda kv: (-kv[1], kv[0])),
        intakes=intakes,
    )


# ------------------------------------------------------------------------------------------------------ near me


@dataclass(frozen=True)
class Near:
    station: Station
    metres: float
    minutes: float


def walk_model() -> walking.WalkModel:
    return walking.WalkModel(
        speed_mps=settings.GONGZHI_WALK_SPEED,
        detour=settings.GONGZHI_WALK_DETOUR,
        minutes=settings.GONGZHI_WALK_MINUTES,
    )


def nearest(
    jurisdiction_id: int,
    lat: float,
    lon: float,
    *,
    item: str = "",
    max_minutes: float | None = None,
    model: walking.WalkModel | None = None,
) -> list[Near]:
    """Active stations with a point on the map, nearest first, with the walking minutes of the stated model
    (``grid.walking``); only those offering ``item`` (a service item code) and within ``max_minutes`` when given."""
    model = model or walk_model()
    rows = Station.objects.filter(
        active=True, node__jurisdiction_id=jurisdiction_id, lat__isnull=False, lon__isnull=False
    )
    if item:
        rows = rows.filter(items__code=item)
    found = []
    for station in rows.select_related("node").prefetch_related("items", "hours").distinct():
        assert station.lat is not None and station.lon is not None
        metres = geo.haversine_m(lat, lon, station.lat, station.lon)
        minutes = model.minutes_for(metres)
        if max_minutes is None or minutes <= max_minutes:
            found.append(Near(station, metres, minutes))
    found.sort(key=lambda n: (n.metres, n.station.pk))
    return found
