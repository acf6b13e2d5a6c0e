"""The 15-minute circle on hand-built layouts with known answers, and against a brute-force check."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gongzhi.grid import walking
from gongzhi.grid.geo import METRES_PER_DEGREE, haversine_m
from gongzhi.grid.walking import Point, WalkModel

LAT0, LON0 = 30.0, 120.0


def north(metres: float) -> float:
    """The latitude ``metres`` north of LAT0 (along a meridian, so the haversine distance is exact)."""
    return LAT0 + metres / METRES_PER_DEGREE


def test_the_default_model_reaches_830_metres_in_15_minutes():
    model = WalkModel()
    assert model.reach_m == pytest.approx(15 * 60 * 1.2 / 1.3)
    assert model.reach_m == pytest.approx(830.77, abs=0.01)
    assert model.minutes_for(model.reach_m) == pytest.approx(15.0)
    assert WalkModel(speed_mps=1.0, detour=1.0, minutes=10).reach_m == pytest.approx(600.0)


@pytest.mark.parametrize("kwargs", [{"speed_mps": 0}, {"detour": 0.9}, {"minutes": -1}, {"speed_mps": -1.2}])
def test_an_impossible_model_is_refused(kwargs):
    with pytest.raises(ValueError, match="positive"):
        WalkModel(**kwargs)


def test_a_line_of_buildings_north_of_one_station():
    site = Point("s", LAT0, LON0)
    buildings = [Point(f"b{m}", north(m), LON0, weight=10) for m in (0, 500, 800, 850, 2000)]
    reaches = walking.nearest(buildings, [site], WalkModel())
    assert [r.covered for r in reaches] == [True, True, True, False, False]
    assert [round(r.distance_m or 0) for r in reaches] == [0, 500, 800, 850, 2000]
    assert reaches[2].minutes == pytest.approx(800 * 1.3 / 1.2 / 60)  # 14.4 minutes
    assert reaches[3].minutes == pytest.approx(850 * 1.3 / 1.2 / 60)  # 15.3: just outside
    summary = walking.summarise(buildings, reaches)
    assert (summary.buildings, summary.covered_buildings) == (5, 3)
    assert (summary.households, summary.covered_households) == (50, 30)
    assert summary.building_share == pytest.approx(0.6)
    assert summary.uncovered == ("b850", "b2000")


def test_each_building_gets_its_nearest_site():
    west = Point("west", LAT0, LON0 - 0.01)
    east = Point("east", LAT0, LON0 + 0.01)
    buildings = [Point("w", LAT0, LON0 - 0.008), Point("e", LAT0, LON0 + 0.007), Point("mid", LAT0, LON0 + 0.0001)]
    reaches = {r.building: r for r in walking.nearest(buildings, [west, east], WalkModel())}
    assert reaches["w"].site == "west" and reaches["e"].site == "east" and reaches["mid"].site == "east"
    # 0.0099° of longitude at 30°N is ~953 m: the middle building is outside both circles.
    assert not reaches["mid"].covered
    assert reaches["w"].covered and reaches["e"].covered


def test_no_site_covers_nothing_and_a_group_without_households_has_no_household_share():
    buildings = [Point(1, LAT0, LON0), Point(2, north(100), LON0)]
    reaches = walking.nearest(buildings, [], WalkModel())
    assert [(r.site, r.covered) for r in reaches] == [(None, False), (None, False)]
    summary = walking.summarise(buildings, reaches)
    assert summary.covered_buildings == 0 and summary.household_share is None and summary.building_share == 0
    assert walking.summarise([], reaches).building_share is None


def test_a_longer_walk_or_a_straighter_street_covers_more():
    buildings = [Point("far", north(1000), LON0)]
    site = [Point("s", LAT0, LON0)]
    assert not walking.nearest(buildings, site, WalkModel())[0].covered
    assert walking.nearest(buildings, site, WalkModel(minutes=20))[0].covered  # 1,108 m
    assert walking.nearest(buildings, site, WalkModel(detour=1.0))[0].covered  # 1,080 m


coordinate = st.tuples(st.floats(29.9, 30.1), st.floats(119.9, 120.1))


@settings(max_examples=60, deadline=None)
@given(
    buildings=st.lists(coordinate, min_size=1, max_size=40),
    sites=st.lists(coordinate, min_size=1, max_size=12),
    block=st.integers(1, 7),
)
def test_the_vectorised_answer_is_the_brute_force_answer(buildings, sites, block):
    model = WalkModel()
    b_points = [Point(i, lat, lon, weight=i % 3) for i, (lat, lon) in enumerate(buildings)]
    s_points = [Point(f"s{j}", lat, lon) for j, (lat, lon) in enumerate(sites)]
    original = walking.BLOCK
    walking.BLOCK = block  # blocks of any size give the same answer
    try:
        reaches = walking.nearest(b_points, s_points, model)
    finally:
        walking.BLOCK = original
    assert [r.building for r in reaches] == [b.key for b in b_points]
    for b, r in zip(b_points, reaches, strict=True):
        distances = [haversine_m(b.lat, b.lon, s.lat, s.lon) for s in s_points]
        best = min(distances)
        assert r.distance_m == pytest.approx(best, abs=1e-3)
        assert math.isclose(distances[[s.key for s in s_points].index(r.site)], best, abs_tol=1e-3)
        assert r.covered == (r.distance_m <= model.reach_m)
