"""The 15-minute service circle (15分钟服务圈) of a grid subtree: which buildings are within a walk of an open station.

Reads buildings (grid) and stations (this app) in two flat queries and hands them to the pure ``grid.walking``
computation; the walking model comes from the settings (``GONGZHI_WALK_SPEED``/``_DETOUR``/``_MINUTES``) and is shown
with every answer. Stations anywhere in the jurisdiction count, not only those inside the subtree: a station across a
community's boundary still serves its buildings. Buildings without a position cannot be placed and are counted apart.

The answer per community is the share of buildings, and of households where buildings know them, within the walk of
a station offering ``item`` (any open station when None), plus the uncovered buildings with their nearest station's
distance: where the next station would do the most good.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from gongzhi.grid import roles
from gongzhi.grid.models import PATH_SEGMENT_WIDTH, Building, GridNode
from gongzhi.grid.walking import Coverage, Point, WalkModel, nearest, summarise
from gongzhi.stations.models import Station
from gongzhi.stations.selectors import walk_model

# A community's path is the first three segments of its buildings' node paths (district / street / community).
COMMUNITY_PATH = PATH_SEGMENT_WIDTH * (roles.LEVELS.index(roles.COMMUNITY) + 1)


@dataclass(frozen=True)
class CommunityCircle:
    node_id: int
    name: str
    coverage: Coverage


@dataclass(frozen=True)
class UncoveredBuilding:
    id: int
    name: str
    lat: float
    lon: float
    households: int
    community_id: int | None
    nearest_station_id: int | None
    distance_m: float | None
    minutes: float | None


@dataclass(frozen=True)
class Circle:
    model: WalkModel
    item: str | None
    stations: int
    unplaced_buildings: int
    total: Coverage
    communities: tuple[CommunityCircle, ...]
    uncovered: tuple[UncoveredBuilding, ...]


def sites(jurisdiction_id: int, item: str | None) -> list[Point]:
    """Open stations with a position in the jurisdiction, offering ``item`` when given."""
    stations = Station.objects.filter(node__jurisdiction_id=jurisdiction_id, active=True, lat__isnull=False)
    stations = stations.filter(lon__isnull=False)
    if item:
        stations = stations.filter(items__code=item)
    rows = stations.values_list("id", "lat", "lon").distinct().order_by("id")
    return [Point(pk, lat, lon) for pk, lat, lon in rows]


def service_circle(root: GridNode, item: str | None = None, *, model: WalkModel | None = None) -> Circle:
    """Coverage of ``root``'s buildings, in total and per community under (or above) it."""
    model = model or walk_model()
    rows = Building.objects.filter(jurisdiction_id=root.jurisdiction_id, node__path__startswith=root.path)
    unplaced = rows.filter(lat__isnull=True).count() + rows.filter(lat__isnull=False, lon__isnull=True).count()
    placed = rows.filter(lat__isnull=False, lon__isnull=False).order_by("id")
    buildings: list[Point] = []
    names: dict[int, tuple[str, str, int]] = {}
    by_community: dict[str, list[Point]] = {}
    for pk, name, lat, lon, households, path in placed.values_list(
        "id", "name", "lat", "lon", "households", "node__path"
    ):
        point = Point(pk, lat, lon, households or 0)
        buildings.append(point)
        names[pk] = (name, path[:COMMUNITY_PATH], households or 0)
        by_community.setdefault(path[:COMMUNITY_PATH], []).append(point)
    found = sites(root.jurisdiction_id, item)
    reaches = nearest(buildings, found, model)

    communities = {
        node.path: node
        for node in GridNode.objects.filter(
            jurisdiction_id=root.jurisdiction_id, level=roles.COMMUNITY, path__in={n[1] for n in names.values()}
        ).only("id", "name", "path", "sort_order")
    }
    per_community = tuple(
        CommunityCircle(node.pk, node.name, summarise(by_community.get(path, ()), reaches))
        for path, node in sorted(communities.items())
    )
    uncovered: list[UncoveredBuilding] = []
    for point, reach in zip(buildings, reaches, strict=True):
        if reach.covered:
            continue
        pk = cast(int, point.key)
        name, path, households = names[pk]
        community = communities.get(path)
        uncovered.append(
            UncoveredBuilding(
                id=pk,
                name=name,
                lat=point.lat,
                lon=point.lon,
                households=households,
                community_id=community.pk if community else None,
                nearest_station_id=cast(int | None, reach.site),
                distance_m=reach.distance_m,
                minutes=reach.minutes,
            )
        )
    return Circle(
        model=model,
        item=item or None,
        stations=len(found),
        unplaced_buildings=unplaced,
        total=summarise(buildings, reaches),
        communities=per_community,
        uncovered=tuple(uncovered),
    )
