"""GridIndex: point-in-polygon lookup, boundary rules, nearest reporting and boundary validation. Pure: no DB."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gongzhi.grid import geo
from gongzhi.grid.geo import OUTSIDE, BoundaryError, GridIndex, LocateResult

# Dyadic sizes keep every vertex and edge exactly representable, so "exactly on an edge" really is on it.
S = 1 / 256  # ~430 m of latitude, ~370 m of longitude at 30°N
LAT0, LON0 = 30.0, 120.0


def rect(lat: float, lon: float, height: float, width: float, holes: list[list[list[float]]] | None = None) -> dict:
    ring = [[lon, lat], [lon + width, lat], [lon + width, lat + height], [lon, lat + height], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring, *(holes or [])]}


def tile(row: int, col: int) -> dict:
    return rect(LAT0 + row * S, LON0 + col * S, S, S)


def ring(lat: float, lon: float, height: float, width: float) -> list[list[float]]:
    return rect(lat, lon, height, width)["coordinates"][0]


def metres_east(lat: float, degrees: float) -> float:
    return geo.haversine_m(lat, LON0, lat, LON0 + degrees)


# --- inside, vertices, shared edges -------------------------------------------------------------------------------


def test_point_inside_each_polygon_is_found():
    # Ids deliberately unsorted and sparse: the index must not rely on insertion order.
    index = GridIndex([(40, tile(1, 1)), (10, tile(0, 0)), (30, tile(1, 0)), (20, tile(0, 1))])
    assert len(index) == 4
    for (row, col), node_id in {(0, 0): 10, (0, 1): 20, (1, 0): 30, (1, 1): 40}.items():
        result = index.locate(LAT0 + (row + 0.5) * S, LON0 + (col + 0.3) * S)
        assert result == LocateResult(node_id)
        assert result.found
        assert result.nearest_id is None
        assert result.distance_m is None


def test_vertex_shared_by_four_polygons_goes_to_the_smallest_id():
    index = GridIndex([(7, tile(1, 1)), (9, tile(0, 0)), (8, tile(1, 0)), (5, tile(0, 1))])
    assert index.locate(LAT0 + S, LON0 + S).node_id == 5


def test_outer_vertex_of_one_polygon_is_inside_it():
    index = GridIndex([(3, tile(0, 0)), (2, tile(0, 1))])
    assert index.locate(LAT0, LON0).node_id == 3
    assert index.locate(LAT0 + S, LON0 + 2 * S).node_id == 2


@pytest.mark.parametrize("order", [0, 1])
def test_edge_shared_by_two_polygons_goes_to_the_smallest_id_whatever_the_order(order):
    # The smaller id is the *eastern* polygon, so "first inserted" or "westmost" would both give the wrong answer.
    items = [(12, tile(0, 0)), (11, tile(0, 1))]
    index = GridIndex(items if order else items[::-1])
    on_edge = (LAT0 + 0.37 * S, LON0 + S)
    assert index.locate(*on_edge).node_id == 11
    assert index.locate_many([on_edge[0]], [on_edge[1]]).tolist() == [11]
    # A hair either side belongs to one polygon only.
    assert index.locate(on_edge[0], math.nextafter(LON0 + S, 0)).node_id == 12
    assert index.locate(on_edge[0], math.nextafter(LON0 + S, 200)).node_id == 11


# --- holes, outside, nearest --------------------------------------------------------------------------------------


def test_point_in_a_hole_is_not_found_and_the_nearest_is_the_holed_polygon():
    # Hole 0.02° wide (~1.9 km of longitude) and 0.02° high (~2.2 km): from its centre the east and west rims are
    # nearer on the ground than the north and south ones, although all four are 0.01° away.
    hole = ring(30.01, 120.01, 0.02, 0.02)
    index = GridIndex([(1, rect(30.0, 120.0, 0.04, 0.04, holes=[hole]))])
    result = index.locate(30.02, 120.02)
    assert not result.found
    assert result.node_id is None
    assert result.nearest_id == 1
    assert result.distance_m == pytest.approx(geo.haversine_m(30.02, 120.02, 30.02, 120.03), rel=1e-3)
    assert 950 < result.distance_m < 970


def test_a_polygon_filling_a_hole_owns_the_points_in_it():
    hole = ring(30.01, 120.01, 0.02, 0.02)
    index = GridIndex([(1, rect(30.0, 120.0, 0.04, 0.04, holes=[hole])), (2, rect(30.01, 120.01, 0.02, 0.02))])
    assert index.locate(30.02, 120.02).node_id == 2
    assert index.locate(30.005, 120.02).node_id == 1
    assert index.locate(30.01, 120.02).node_id == 1  # on the hole's rim: both, smallest id


def test_point_outside_every_boundary_reports_the_nearest_and_never_guesses():
    index = GridIndex([(1, tile(0, 0)), (2, tile(0, 1))])
    lat, lon = LAT0 + 0.5 * S, LON0 + 2 * S + 0.001  # 0.001° east of polygon 2
    result = index.locate(lat, lon)
    assert result.node_id is None
    assert not result.found
    assert result.nearest_id == 2
    assert result.distance_m == pytest.approx(metres_east(lat, 0.001), rel=1e-3)
    assert 90 < result.distance_m < 100


def test_nearest_is_by_ground_distance_not_by_degrees():
    # Polygon 1 is 0.009° north (~1,000 m); polygon 2 is 0.0100° east (~963 m at 30°N).
    # In raw degrees 1 looks nearer; on the ground 2 is.
    lat, lon = 30.0, 120.0
    north = rect(lat + 0.009, lon - 0.005, 0.01, 0.01)
    east = rect(lat - 0.005, lon + 0.010, 0.01, 0.01)
    result = GridIndex([(1, north), (2, east)]).locate(lat, lon)
    assert result.nearest_id == 2
    assert result.distance_m == pytest.approx(metres_east(lat, 0.010), rel=1e-3)


def test_nearest_tie_goes_to_the_smallest_id():
    # Two polygons mirrored about the point's meridian: exactly the same distance away.
    west, east = rect(30.0, 119.99, 0.01, 0.005), rect(30.0, 120.005, 0.01, 0.005)
    for items in ([(4, west), (3, east)], [(3, east), (4, west)]):
        assert GridIndex(items).locate(30.005, 120.0).nearest_id == 3


@pytest.mark.parametrize(
    ("lat", "lon"), [(math.nan, 120.0), (30.0, math.nan), (math.nan, math.nan), (math.inf, 120.0), (30.0, -math.inf)]
)
def test_nan_or_infinite_input_is_not_found_and_has_no_nearest(lat, lon):
    index = GridIndex([(1, tile(0, 0))])
    assert index.locate(lat, lon) == LocateResult(None, None, None)
    assert index.locate_many([lat], [lon]).tolist() == [OUTSIDE]


def test_multipolygon_parts_belong_to_one_node():
    parts = {"type": "MultiPolygon", "coordinates": [tile(0, 0)["coordinates"], tile(0, 3)["coordinates"]]}
    index = GridIndex([(6, parts), (5, tile(2, 2))])
    assert index.locate(LAT0 + 0.5 * S, LON0 + 0.5 * S).node_id == 6
    assert index.locate(LAT0 + 0.5 * S, LON0 + 3.5 * S).node_id == 6
    between = index.locate(LAT0 + 0.5 * S, LON0 + 1.25 * S)  # nearer the western part than polygon 5
    assert (between.node_id, between.nearest_id) == (None, 6)
    assert between.distance_m == pytest.approx(metres_east(LAT0 + 0.5 * S, 0.25 * S), rel=1e-3)


def test_empty_index_finds_nothing():
    index = GridIndex([])
    assert len(index) == 0
    assert index.locate(30.0, 120.0) == LocateResult(None)
    assert index.locate_many([30.0, 31.0], [120.0, 121.0]).tolist() == [OUTSIDE, OUTSIDE]


def test_locate_many_rejects_mismatched_inputs():
    index = GridIndex([(1, tile(0, 0))])
    with pytest.raises(ValueError, match="one length"):
        index.locate_many([30.0, 30.1], [120.0])
    assert index.locate_many([], []).tolist() == []


# --- boundary validation ------------------------------------------------------------------------------------------

BOWTIE = {
    "type": "Polygon",
    "coordinates": [[[120.0, 30.0], [120.01, 30.01], [120.01, 30.0], [120.0, 30.01], [120.0, 30.0]]],
}
# A real boundary in Hangzhou written [lat, lon] instead of GeoJSON's [lon, lat].
SWAPPED = {
    "type": "Polygon",
    "coordinates": [[[30.0, 120.0], [30.0, 120.01], [30.01, 120.01], [30.01, 120.0], [30.0, 120.0]]],
}


@pytest.mark.parametrize(
    ("geojson", "message"),
    [
        (BOWTIE, r"invalid polygon: Self-intersection"),
        (SWAPPED, r"outside longitude -180\.\.180 / latitude -90\.\.90 .*are lat and lon swapped\?"),
        ({"type": "Point", "coordinates": [120.0, 30.0]}, r"expected a Polygon or MultiPolygon geometry, got 'Point'"),
        ({"coordinates": []}, r"expected a Polygon or MultiPolygon geometry, got None"),
        ({"type": "Polygon", "coordinates": [[120.0, 30.0]]}, r"malformed Polygon coordinates"),
        ({"type": "Polygon", "coordinates": [[["a", "b"], [1, 2], [2, 2], ["a", "b"]]]}, r"malformed Polygon"),
        ({"type": "Polygon"}, r"the Polygon has no coordinates"),
        (
            {"type": "Polygon", "coordinates": [[[120.0, 30.0], [120.01, 30.0], [120.0, 30.0]]]},
            r"invalid polygon: Too few points",
        ),
        (
            {"type": "Polygon", "coordinates": [[[120.0, 30.0], [120.01, 30.0], [120.02, 30.0], [120.0, 30.0]]]},
            r"invalid polygon",
        ),
        ({"type": "Polygon", "coordinates": []}, r"the polygon is empty"),
        (
            {"type": "Polygon", "coordinates": [[[120.0, 30.0], [120.01, math.nan], [120.01, 30.01], [120.0, 30.0]]]},
            r"coordinates must be finite numbers",
        ),
        (
            {"type": "Polygon", "coordinates": [[[120.0, 30.0], [120.01, 30.0], [120.01, 30.01], [120.0, math.inf]]]},
            r"coordinates must be finite numbers",
        ),
        (
            {
                "type": "MultiPolygon",
                "coordinates": [tile(0, 0)["coordinates"], rect(LAT0, LON0 + S / 2, S, S)["coordinates"]],
            },
            r"invalid polygon",
        ),  # overlapping parts
    ],
)
def test_bad_boundaries_are_rejected_with_the_reason(geojson, message):
    with pytest.raises(BoundaryError, match=message):
        geo.geometry_from_geojson(geojson)


def test_index_names_the_node_with_the_bad_boundary():
    with pytest.raises(BoundaryError, match=r"^node 7: invalid polygon: Self-intersection"):
        GridIndex([(1, tile(0, 0)), (7, BOWTIE)])


def test_index_rejects_a_node_given_twice():
    with pytest.raises(BoundaryError, match="node 1 is given twice"):
        GridIndex([(1, tile(0, 0)), (1, tile(0, 1))])


def test_boundary_error_is_a_value_error():
    assert issubclass(BoundaryError, ValueError)


def test_centroid_is_inside_even_for_a_concave_polygon():
    u_shape = {
        "type": "Polygon",
        "coordinates": [[[0, 0], [3, 0], [3, 3], [2, 3], [2, 1], [1, 1], [1, 3], [0, 3], [0, 0]]],
    }
    lat, lon = geo.centroid(u_shape)
    assert GridIndex([(1, u_shape)]).locate(lat, lon).node_id == 1


# --- locate_many agrees with locate -------------------------------------------------------------------------------


def _layout() -> list[tuple[int, dict]]:
    """6 x 6 tiles with shared edges, a holed tile, a two-part MultiPolygon and a missing tile; ids shuffled."""
    rng = random.Random(11)
    shapes: list[dict] = []
    skip = {(0, 5), (5, 0), (3, 4)}
    for row in range(6):
        for col in range(6):
            if (row, col) in skip:
                continue
            if (row, col) == (2, 2):
                hole = ring(LAT0 + (2 + 0.25) * S, LON0 + (2 + 0.25) * S, S / 2, S / 2)
                shapes.append(rect(LAT0 + 2 * S, LON0 + 2 * S, S, S, holes=[hole]))
            else:
                shapes.append(tile(row, col))
    shapes.append({"type": "MultiPolygon", "coordinates": [tile(0, 5)["coordinates"], tile(5, 0)["coordinates"]]})
    ids = rng.sample(range(1, 1000), len(shapes))
    items = list(zip(ids, shapes, strict=True))
    rng.shuffle(items)
    return items


LAYOUT_INDEX = GridIndex(_layout())


def _points(seed: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Random points over (and around) the layout, a third of them snapped to a lattice of vertices, edges and the
    hole's rim, plus a few NaNs."""
    rng = np.random.default_rng(seed)
    lats = rng.uniform(LAT0 - S, LAT0 + 7 * S, count)
    lons = rng.uniform(LON0 - S, LON0 + 7 * S, count)
    snap = rng.random(count) < 1 / 3
    lattice = S / 4
    lats[snap] = LAT0 + np.round((lats[snap] - LAT0) / lattice) * lattice
    lons[snap] = LON0 + np.round((lons[snap] - LON0) / lattice) * lattice
    lats[rng.random(count) < 0.01] = np.nan
    return lats, lons


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1), count=st.integers(min_value=1_000, max_value=3_000))
def test_locate_many_agrees_with_locate_on_thousands_of_random_points(seed, count):
    lats, lons = _points(seed, count)
    batch = LAYOUT_INDEX.locate_many(lats, lons)
    single = [LAYOUT_INDEX.locate(lat, lon).node_id for lat, lon in zip(lats.tolist(), lons.tolist(), strict=True)]
    assert batch.tolist() == [OUTSIDE if node_id is None else node_id for node_id in single]


_coordinate = st.floats(min_value=-1.5, max_value=7.5, allow_nan=False).map(lambda v: v * S)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_coordinate, _coordinate), min_size=1, max_size=50))
def test_locate_many_agrees_with_locate_on_drawn_points(offsets):
    # Hypothesis shrinks a disagreement down to one point; offsets include exact lattice values such as 0 and S.
    lats = [LAT0 + d_lat for d_lat, _ in offsets]
    lons = [LON0 + d_lon for _, d_lon in offsets]
    batch = LAYOUT_INDEX.locate_many(lats, lons).tolist()
    single = [LAYOUT_INDEX.locate(lat, lon).node_id for lat, lon in zip(lats, lons, strict=True)]
    assert batch == [OUTSIDE if node_id is None else node_id for node_id in single]


def test_found_points_are_inside_and_outside_points_have_a_positive_distance():
    lats, lons = _points(5, 2_000)
    for lat, lon in zip(lats.tolist(), lons.tolist(), strict=True):
        result = LAYOUT_INDEX.locate(lat, lon)
        if result.found or math.isnan(lat) or math.isnan(lon):
            continue
        assert result.nearest_id is not None
        assert result.distance_m is not None
        assert result.distance_m > 0
