"""location.locate over the database: the right micro-grid, coordinate systems, and the per-process index cache."""

from __future__ import annotations

import pytest
import shapely.geometry
from django.db import transaction
from django.db.models import F
from django.test import override_settings

from gongzhi.core.errors import DomainError, NotFound
from gongzhi.grid import coords, location, roles, services
from gongzhi.grid.models import GridNode, Jurisdiction
from gongzhi.grid.tests.factories import make_tree

pytestmark = pytest.mark.django_db

LONG_TTL = 3600  # the cache is trusted for the whole test unless a test says otherwise


def micro_grids(district: GridNode) -> list[GridNode]:
    return list(GridNode.objects.filter(jurisdiction=district.jurisdiction, level=roles.MICRO_GRID).order_by("pk"))


def bounds(node: GridNode) -> tuple[float, float, float, float]:
    """(min_lat, min_lon, max_lat, max_lon) of the node's stored boundary."""
    min_lon, min_lat, max_lon, max_lat = shapely.geometry.shape(node.boundary).bounds
    return min_lat, min_lon, max_lat, max_lon


def box(min_lat: float, min_lon: float, max_lat: float, max_lon: float) -> dict:
    ring = [[min_lon, min_lat], [max_lon, min_lat], [max_lon, max_lat], [min_lon, max_lat], [min_lon, min_lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def east_half(node: GridNode) -> dict:
    min_lat, min_lon, max_lat, max_lon = bounds(node)
    return box(min_lat, (min_lon + max_lon) / 2, max_lat, max_lon)


def west_quarter_probe(node: GridNode) -> tuple[float, float]:
    """A point in the west quarter of the node: outside its east half."""
    min_lat, min_lon, max_lat, max_lon = bounds(node)
    return (min_lat + max_lat) / 2, min_lon + (max_lon - min_lon) / 4


@pytest.fixture
def district() -> GridNode:
    return make_tree(2)  # 16 micro-grids tiling a 0.16° square at (30°N, 120°E)


@pytest.fixture
def long_ttl():
    with override_settings(GONGZHI_GEO_CACHE_TTL=LONG_TTL):
        yield


# --- the right micro-grid -----------------------------------------------------------------------------------------


def test_every_micro_grid_is_found_at_its_label_point(district):
    nodes = micro_grids(district)
    assert len(nodes) == 16
    for node in nodes:
        result = location.locate(district.jurisdiction_id, node.centroid_lat, node.centroid_lon)
        assert result.node_id == node.pk
        assert result.found


def test_only_micro_grids_are_candidates(district):
    # The district, streets … all contain the point too; the answer is always the micro-grid.
    node = micro_grids(district)[5]
    result = location.locate(district.jurisdiction_id, node.centroid_lat, node.centroid_lon)
    assert GridNode.objects.get(pk=result.node_id).level == roles.MICRO_GRID


def test_outside_the_district_reports_the_nearest_micro_grid(district):
    min_lat, _min_lon, max_lat, max_lon = bounds(district)
    result = location.locate(district.jurisdiction_id, (min_lat + max_lat) / 2, max_lon + 0.01)
    assert not result.found
    assert GridNode.objects.get(pk=result.nearest_id).level == roles.MICRO_GRID
    assert 900 < result.distance_m < 1_000  # 0.01° of longitude at ~30.08°N is ~963 m


def test_another_jurisdictions_grids_are_not_candidates(district):
    other = make_tree(2, origin=(31.0, 121.0))
    node = micro_grids(other)[0]
    assert location.locate(other.jurisdiction_id, node.centroid_lat, node.centroid_lon).node_id == node.pk
    result = location.locate(district.jurisdiction_id, node.centroid_lat, node.centroid_lon)
    assert not result.found
    assert result.nearest_id in {n.pk for n in micro_grids(district)}


def test_unknown_jurisdiction_is_not_found():
    with pytest.raises(NotFound, match="jurisdiction 987654 does not exist"):
        location.locate(987654, 30.0, 120.0)


@pytest.mark.parametrize(
    ("lat", "lon", "system", "message"),
    [
        (91.0, 120.0, coords.WGS84, "latitude 91.0 is outside"),
        (float("nan"), 120.0, coords.GCJ02, "finite"),
        (30.0, 120.0, "mercator", "unknown coordinate system 'mercator'"),
    ],
)
def test_bad_coordinates_are_a_domain_error(district, lat, lon, system, message):
    with pytest.raises(DomainError, match=message):
        location.locate(district.jurisdiction_id, lat, lon, system=system)


# --- GCJ-02 and BD-09 input ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("system", "forward"), [(coords.GCJ02, coords.wgs84_to_gcj02), (coords.BD09, coords.wgs84_to_bd09)]
)
def test_map_coordinates_are_converted_before_lookup(district, system, forward):
    # A point ~190 m west of the edge between two micro-grids. Its GCJ-02/BD-09 coordinates lie hundreds of metres
    # further east, in the neighbour: only a converted lookup lands in the right micro-grid.
    nodes = micro_grids(district)
    west = next(n for n in nodes if any(bounds(m)[1] == bounds(n)[3] for m in nodes))
    min_lat, _min_lon, max_lat, max_lon = bounds(west)
    wgs = ((min_lat + max_lat) / 2, max_lon - 0.002)
    shifted = forward(*wgs)
    assert location.locate(district.jurisdiction_id, *wgs).node_id == west.pk
    read_as_wgs = location.locate(district.jurisdiction_id, *shifted, system=coords.WGS84)
    assert read_as_wgs.node_id not in {None, west.pk}  # the offset really crosses the edge
    assert location.locate(district.jurisdiction_id, *shifted, system=system).node_id == west.pk


# --- the cache ----------------------------------------------------------------------------------------------------


def test_a_second_lookup_needs_no_query(district, long_ttl, django_assert_num_queries):
    node = micro_grids(district)[0]
    location.locate(district.jurisdiction_id, node.centroid_lat, node.centroid_lon)
    with django_assert_num_queries(0):
        assert location.locate(district.jurisdiction_id, node.centroid_lat, node.centroid_lon).node_id == node.pk


def test_an_index_built_in_a_transaction_is_shared_with_the_process_only_on_commit(
    district, long_ttl, django_capture_on_commit_callbacks
):
    node = micro_grids(district)[0]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        location.locate(district.jurisdiction_id, node.centroid_lat, node.centroid_lon)
    assert district.jurisdiction_id not in location._cache
    for callback in callbacks:
        callback()
    assert district.jurisdiction_id in location._cache


def test_set_boundary_is_seen_by_the_next_locate_in_this_process(
    district, long_ttl, django_capture_on_commit_callbacks
):
    node = micro_grids(district)[0]
    probe = west_quarter_probe(node)
    with django_capture_on_commit_callbacks(execute=True):
        assert location.locate(district.jurisdiction_id, *probe).node_id == node.pk

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.set_boundary(node=node, boundary=east_half(node))
    assert callbacks  # the invalidation ran on commit, long before the TTL

    result = location.locate(district.jurisdiction_id, *probe)
    assert not result.found  # the west half now belongs to no micro-grid
    assert result.nearest_id == node.pk
    assert result.distance_m > 0


def test_another_process_change_is_seen_after_the_ttl(district, django_capture_on_commit_callbacks):
    node = micro_grids(district)[0]
    probe = west_quarter_probe(node)
    with override_settings(GONGZHI_GEO_CACHE_TTL=LONG_TTL):
        with django_capture_on_commit_callbacks(execute=True):
            assert location.locate(district.jurisdiction_id, *probe).node_id == node.pk

        # Another process commits a new boundary: rows change and the version moves, but no callback runs here.
        GridNode.objects.filter(pk=node.pk).update(boundary=east_half(node))
        Jurisdiction.objects.filter(pk=district.jurisdiction_id).update(boundary_version=F("boundary_version") + 1)

        # Within the TTL this process still trusts its index: that is the documented staleness window.
        assert location.locate(district.jurisdiction_id, *probe).node_id == node.pk

    with override_settings(GONGZHI_GEO_CACHE_TTL=0):
        assert not location.locate(district.jurisdiction_id, *probe).found


def test_an_unchanged_version_keeps_the_index_after_the_ttl(
    district, django_capture_on_commit_callbacks, django_assert_num_queries
):
    node = micro_grids(district)[0]
    with override_settings(GONGZHI_GEO_CACHE_TTL=0):
        with django_capture_on_commit_callbacks(execute=True):
            location.locate(district.jurisdiction_id, node.centroid_lat, node.centroid_lon)
        with django_assert_num_queries(1):  # the version check only; no boundary rows re-read
            assert location.locate(district.jurisdiction_id, node.centroid_lat, node.centroid_lon).node_id == node.pk


class _Rollback(Exception):
    pass


def test_a_rolled_back_change_never_reaches_the_cache(district, django_capture_on_commit_callbacks):
    # A transaction changes a boundary, looks a point up (building an index from its uncommitted rows), then rolls
    # back. Later another change commits and takes the same version number. The rolled-back index must not be served.
    node = micro_grids(district)[0]
    probe = west_quarter_probe(node)
    min_lat, min_lon, max_lat, max_lon = bounds(node)
    with override_settings(GONGZHI_GEO_CACHE_TTL=0):
        with django_capture_on_commit_callbacks(execute=True):
            assert location.locate(district.jurisdiction_id, *probe).node_id == node.pk
        version = Jurisdiction.objects.get(pk=district.jurisdiction_id).boundary_version

        def change_look_up_and_roll_back() -> None:
            with transaction.atomic():
                services.set_boundary(node=node, boundary=east_half(node))
                assert not location.locate(district.jurisdiction_id, *probe).found  # sees its own change
                raise _Rollback

        with pytest.raises(_Rollback):
            change_look_up_and_roll_back()

        # No lookup here: one would rebuild from the rolled-back state and hide the problem.
        assert Jurisdiction.objects.get(pk=district.jurisdiction_id).boundary_version == version

        # "Another process" now commits a different change (the south half) that also becomes version + 1.
        south_half = box(min_lat, min_lon, (min_lat + max_lat) / 2, max_lon)
        GridNode.objects.filter(pk=node.pk).update(boundary=south_half)
        Jurisdiction.objects.filter(pk=district.jurisdiction_id).update(boundary_version=F("boundary_version") + 1)
        assert Jurisdiction.objects.get(pk=district.jurisdiction_id).boundary_version == version + 1

        south_probe = ((min_lat * 3 + max_lat) / 4, probe[1])  # west quarter, southern half
        north_probe = ((min_lat + max_lat * 3) / 4, probe[1])
        assert location.locate(district.jurisdiction_id, *south_probe).node_id == node.pk
        assert not location.locate(district.jurisdiction_id, *north_probe).found


def test_invalidate_forgets_one_or_all(
    district, long_ttl, django_capture_on_commit_callbacks, django_assert_num_queries
):
    node = micro_grids(district)[0]
    with django_capture_on_commit_callbacks(execute=True):
        location.locate(district.jurisdiction_id, node.centroid_lat, node.centroid_lon)
    location.invalidate(district.jurisdiction_id + 1)  # another jurisdiction: ours stays cached
    with django_assert_num_queries(0):
        location.locate(district.jurisdiction_id, node.centroid_lat, node.centroid_lon)
    location.invalidate(district.jurisdiction_id)
    with django_assert_num_queries(2):  # version + boundary rows
        location.locate(district.jurisdiction_id, node.centroid_lat, node.centroid_lon)
