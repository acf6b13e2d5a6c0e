"""Point-in-grid lookup over GeoJSON boundaries with a shapely 2 STRtree. Pure: no Django import.

Coordinates are WGS-84 (lat, lon); GeoJSON and shapely use (x=lon, y=lat). A point is *in* a polygon when it is
inside or on its boundary; a point on an edge shared by two micro-grids goes to the one with the smaller id, so the
answer is deterministic. A point outside every polygon (or in a hole) is reported as outside, with the nearest polygon
and its distance in metres, never silently snapped.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
import shapely.errors
import shapely.geometry
from numpy.typing import ArrayLike, NDArray

EARTH_RADIUS_M = 6_371_008.8
METRES_PER_DEGREE = EARTH_RADIUS_M * math.pi / 180.0
OUTSIDE = -1
_ORIGIN = shapely.Point(0.0, 0.0)


class BoundaryError(ValueError):
    """A boundary is not a usable polygon; the message says why."""


@dataclass(frozen=True, slots=True)
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
    if "coordinates" not in geojson:
        raise BoundaryError(f"the {kind} has no coordinates")
    try:
        with np.errstate(invalid="ignore"):  # NaN coordinates are reported below, not as a numpy warning
            geom = shapely.geometry.shape(geojson)
    except (ValueError, TypeError, AttributeError, IndexError, KeyError, shapely.errors.ShapelyError) as exc:
        raise BoundaryError(f"malformed {kind} coordinates: {exc}") from None
    if geom.is_empty:
        raise BoundaryError("the polygon is empty")
    if not np.isfinite(shapely.get_coordinates(geom)).all():
        raise BoundaryError("coordinates must be finite numbers")
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise BoundaryError(
            "coordinates are outside longitude -180..180 / latitude -90..90 "
            "(GeoJSON positions are [lon, lat]: are lat and lon swapped?)"
        )
    if not geom.is_valid:
        raise BoundaryError(f"invalid polygon: {shapely.is_valid_reason(geom)}")
    return geom


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


class GridIndex:
    """An immutable spatial index of node polygons; build once per boundary version and share (thread-safe reads).

    ``items`` are ``(node_id, GeoJSON geometry)`` pairs; a bad boundary raises BoundaryError naming the node.
    """

    def __init__(self, items: Iterable[tuple[int, Mapping[str, Any]]]) -> None:
        pairs: list[tuple[int, Any]] = []
        for node_id, geojson in items:
            try:
                pairs.append((int(node_id), geometry_from_geojson(geojson)))
            except BoundaryError as exc:
                raise BoundaryError(f"node {node_id}: {exc}") from None
        pairs.sort(key=lambda p: p[0])
        for (a, _), (b, _) in itertools.pairwise(pairs):
            if a == b:
                raise BoundaryError(f"node {a} is given twice")
        # Tree indexes follow ascending ids, so "smallest index" means "smallest id" wherever ties are broken.
        self._ids: NDArray[np.int64] = np.fromiter((p[0] for p in pairs), dtype=np.int64, count=len(pairs))
        self._geoms: NDArray[Any] = np.empty(len(pairs), dtype=object)
        self._geoms[:] = [p[1] for p in pairs]
        # Prepared polygons make each point-in-polygon test sub-linear in the number of vertices.
        shapely.prepare(self._geoms)
        self._tree = shapely.STRtree(self._geoms)

    def __len__(self) -> int:
        return len(self._ids)

    def locate(self, lat: float, lon: float) -> LocateResult:
        """The node holding the point; NaN/inf coordinates are simply not found (no nearest either)."""
        if not (math.isfinite(lat) and math.isfinite(lon)):
            return LocateResult(None)
        point = shapely.Point(lon, lat)
        hits = self._tree.query(point, predicate="intersects")
        if len(hits):
            # Usually one hit; more only on a shared edge or vertex, where the smallest id wins.
            return LocateResult(int(self._ids[hits[0] if len(hits) == 1 else hits.min()]))
        return self._nearest(point, lat, lon)

    def _nearest(self, point: Any, lat: float, lon: float) -> LocateResult:
        """Nearest polygon by ground distance, not by degrees (a degree of longitude is shorter than one of latitude).

        Distances are measured in a local equirectangular frame centred on the point: accurate to far better than 1 %
        at district scale. Ties go to the smaller id.
        """
        if not len(self._ids):
            return LocateResult(None)
        first, planar_distances = self._tree.query_nearest(point, return_distance=True)
        planar = float(planar_distances[0])
        # A polygon closer on the ground is at most planar / cos(lat) away in degrees: take every such candidate.
        k = max(math.cos(math.radians(lat)), 1e-9)
        candidates = np.sort(self._tree.query(point, predicate="dwithin", distance=planar / k * (1 + 1e-9) + 1e-12))
        if not len(candidates):  # only reachable through floating-point edge cases
            candidates = np.sort(first)

        def to_local(coords: NDArray[np.float64]) -> NDArray[np.float64]:
            return (coords - (lon, lat)) * (k * METRES_PER_DEGREE, METRES_PER_DEGREE)

        local = shapely.transform(self._geoms[candidates], to_local)
        distances = shapely.distance(local, _ORIGIN)
        best = int(np.argmin(distances))  # argmin returns the first minimum: the smallest id on a tie
        return LocateResult(None, int(self._ids[candidates[best]]), float(distances[best]))

    def locate_many(self, lats: ArrayLike, lons: ArrayLike) -> NDArray[np.int64]:
        """Vectorised lookup: node id per point, ``OUTSIDE`` (-1) where no polygon holds it (or the input is NaN).

        Agrees with ``locate`` point by point, including the smallest-id rule on shared edges.
        """
        lat_arr = np.asarray(lats, dtype=np.float64)
        lon_arr = np.asarray(lons, dtype=np.float64)
        if lat_arr.ndim != 1 or lat_arr.shape != lon_arr.shape:
            raise ValueError(f"lats and lons must be 1-D arrays of one length, got {lat_arr.shape} and {lon_arr.shape}")
        result = np.full(len(lat_arr), OUTSIDE, dtype=np.int64)
        if not len(self._ids) or not len(lat_arr):
            return result
        points = shapely.points(lon_arr, lat_arr)
        # Bounding-box candidates from the tree, then one vectorised test against the prepared polygons: cheaper
        # than the tree's own predicate query, which cannot use the polygons' preparation.
        point_idx, tree_idx = self._tree.query(points)
        inside = shapely.intersects(self._geoms[tree_idx], points[point_idx])
        point_idx, tree_idx = point_idx[inside], tree_idx[inside]
        if len(point_idx):
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
    result: dict[str, Any] = json_safe(shapely.geometry.mapping(shapely.set_precision(geom, 10.0**-precision)))
    return result


def json_safe(value: Any) -> Any:
    """shapely's mapping() gives tuples; JSON columns want lists (and compare equal after a round trip)."""
    if isinstance(value, Mapping):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [json_safe(v) for v in value]
    return value


# -- Map tiles (Web Mercator "slippy map" numbering, as Leaflet counts them) ---------------------------------------


def tile_count(zoom: int) -> int:
    return 1 << zoom


def tile_bounds(zoom: int, x: int, y: int) -> tuple[float, float, float, float]:
    """(south, west, north, east) in degrees of tile (x, y) at ``zoom``; ValueError for a tile that does not exist."""
    n = tile_count(zoom)
    if not (0 <= zoom <= 22 and 0 <= x < n and 0 <= y < n):
        raise ValueError(f"no tile {zoom}/{x}/{y}")

    def lat(row: int) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))

    return lat(y + 1), x / n * 360.0 - 180.0, lat(y), (x + 1) / n * 360.0 - 180.0


def tile_of(lat: float, lon: float, zoom: int) -> tuple[int, int]:
    """The (x, y) of the tile at ``zoom`` that holds the point."""
    n = tile_count(zoom)
    x = int((lon + 180.0) / 360.0 * n)
    rad = math.radians(lat)
    y = int((1.0 - math.asinh(math.tan(rad)) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def simplified(geojson: Mapping[str, Any], tolerance_m: float, precision: int = 6) -> dict[str, Any]:
    """A lighter copy of a boundary for drawing: vertices closer than ``tolerance_m`` to the line dropped (topology
    kept), coordinates rounded to ``precision`` decimals (6: about 0.1 m). Invalid input raises BoundaryError."""
    geom = geometry_from_geojson(geojson)
    light = shapely.simplify(geom, tolerance_m / METRES_PER_DEGREE, preserve_topology=True)
    if light.is_empty:
        light = geom
    return to_geojson(light, precision=precision)
