"""Point-in-grid lookup over GeoJSON boundaries with a shapely 2 STRtree. Pure: no Django import.

Coordinates are WGS-84 (lat, lon); GeoJSON and shapely use (x=lon, y=lat). A point is *in* a polygon when it is
inside or on its boundary; a point on an edge shared by two micro-grids goes to the one with the smaller id, so the
answer is deterministic. A point outside every polygon is reported as outside, with the nearest polygon and its
distance, never silently snapped.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
import shapely.geometry
import shapely.ops
from numpy.typing import NDArray

EARTH_RADIUS_M = 6_371_008.8
OUTSIDE = -1


class BoundaryError(ValueError):
    """A boundary is not a usable polygon; the message says why."""


@dataclass(frozen=True)
class LocateResult:
    node_id: int | None
    nearest_id: int | None = None
    distance_m: float | None = None

    @property
    def found(self) -> bool:
        return self.node_id is not None


def geometry_from_geojson(geojson: Mapping[str, Any]) -> Any:
    """Build a valid (Multi)Polygon from a GeoJSON geometry, or raise BoundaryError with the reason."""
    kind = geojson.get("type") if isinstance(geojson, Mapping) else None
    if kind not in {"Polygon", "MultiPolygon"}:
        raise BoundaryError(f"expected a Polygon or MultiPolygon geometry, got {kind!r}")
    try:
        geom = shapely.geometry.shape(geojson)
    except (ValueError, TypeError, AttributeError, IndexError) as exc:
        raise BoundaryError(f"malformed {kind} coordinates: {exc}") from None
    if geom.is_empty:
        raise BoundaryError("the polygon is empty")
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise BoundaryError("coordinates are outside longitude -180..180 / latitude -90..90 (are lat and lon swapped?)")
    if not geom.is_valid:
        raise BoundaryError(f"invalid polygon: {shapely.is_valid_reason(geom)}")
    return geom


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


class GridIndex:
    """An immutable spatial index of node polygons; build once per boundary version and share."""

    def __init__(self, items: Iterable[tuple[int, Mapping[str, Any]]]) -> None:
        pairs = sorted(((int(node_id), geometry_from_geojson(g)) for node_id, g in items), key=lambda p: p[0])
        self._ids: NDArray[np.int64] = np.fromiter((p[0] for p in pairs), dtype=np.int64, count=len(pairs))
        self._geoms: NDArray[Any] = np.array([p[1] for p in pairs], dtype=object)
        shapely.prepare(self._geoms)
        self._tree = shapely.STRtree(self._geoms)

    def __len__(self) -> int:
        return len(self._ids)

    def locate(self, lat: float, lon: float) -> LocateResult:
        if not (math.isfinite(lat) and math.isfinite(lon)):
            return LocateResult(None)
        hits = self._tree.query(shapely.Point(lon, lat), predicate="intersects")
        if len(hits):
            # Tree indexes follow the sorted ids, so the smallest index is the smallest id on a shared edge.
            return LocateResult(int(self._ids[int(hits.min())]))
        return self._nearest(lat, lon)

    def _nearest(self, lat: float, lon: float) -> LocateResult:
        if not len(self._ids):
            return LocateResult(None)
        point = shapely.Point(lon, lat)
        index = int(self._tree.nearest(point))
        near_lon, near_lat = shapely.ops.nearest_points(self._geoms[index], point)[0].coords[0]
        return LocateResult(None, int(self._ids[index]), haversine_m(lat, lon, near_lat, near_lon))

    def locate_many(self, lats: NDArray[np.float64], lons: NDArray[np.float64]) -> NDArray[np.int64]:
        """Vectorised lookup: node id per point, ``OUTSIDE`` (-1) where no polygon holds it."""
        points = shapely.points(np.asarray(lons, dtype=np.float64), np.asarray(lats, dtype=np.float64))
        point_idx, tree_idx = self._tree.query(points, predicate="intersects")
        result = np.full(len(points), OUTSIDE, dtype=np.int64)
        if len(point_idx):
            # Smallest tree index per point = smallest id (ids are sorted), as in locate() for shared edges.
            best = np.full(len(points), len(self._ids), dtype=np.int64)
            np.minimum.at(best, point_idx, tree_idx)
            hit = best < len(self._ids)
            result[hit] = self._ids[best[hit]]
        return result


def centroid(geojson: Mapping[str, Any]) -> tuple[float, float]:
    """(lat, lon) of a point guaranteed inside the polygon (a label point, not the centre of mass)."""
    geom = geometry_from_geojson(geojson)
    point = geom.representative_point()
    return float(point.y), float(point.x)


def to_geojson(geom: Any, precision: int = 7) -> dict[str, Any]:
    return json_safe(shapely.geometry.mapping(shapely.set_precision(geom, 10.0**-precision)))


def json_safe(value: Any) -> Any:
    """shapely's mapping() gives tuples; JSON columns want lists (and compare equal after a round trip)."""
    if isinstance(value, Mapping):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [json_safe(v) for v in value]
    return value
