"""The 15-minute circle over a hand-built layout whose answer is known: buildings on a line east of a station."""

from __future__ import annotations

import math

import pytest

from gongzhi.grid.geo import METRES_PER_DEGREE
from gongzhi.grid.models import Building
from gongzhi.grid.tests.factories import BuildingFactory, make_node
from gongzhi.grid.walking import WalkModel
from gongzhi.stations.coverage import service_circle
from gongzhi.stations.tests.factories import station

pytestmark = pytest.mark.django_db

LAT, LON = 30.0, 120.0
DEFAULT = WalkModel()  # 1.2 m/s, detour 1.3, 15 min: 830.8 m as the crow flies


def east(metres: float) -> float:
    """The longitude ``metres`` east of the station, on its parallel."""
    return LON + metres / (METRES_PER_DEGREE * math.cos(math.radians(LAT)))


@pytest.fixture
def layout():
    district = make_node(None, name="测试区")
    street = make_node(district, name="街道")
    a = make_node(street, name="甲社区")
    b = make_node(street, name="乙社区")
    micro_a = make_node(make_node(a), name="甲微网格")
    micro_b = make_node(make_node(b), name="乙微网格")

    def building(node, name, metres, households):
        lon = east(metres) if metres is not None else None
        lat = LAT if metres is not None else None
        return BuildingFactory(node=node, name=name, lat=lat, lon=lon, households=households)

    placed = {
        "a0": building(micro_a, "甲0", 0, 100),
        "a500": building(micro_a, "甲500", 500, 50),
        "a850": building(micro_a, "甲850", 850, 30),
        "b800": building(micro_b, "乙800", 800, 20),
        "b2000": building(micro_b, "乙2000", 2000, 40),
        "b_unplaced": building(micro_b, "乙无坐标", None, 10),
    }
    water = station(a, "甲驿站", items=["drinking-water"], lat=LAT, lon=LON)
    # Beside the far building: open but without water, closed, and a station of another district.
    dry = station(b, "乙服务点", items=["phone-charging"], lat=LAT, lon=east(2000))
    station(b, "乙旧驿站", items=["drinking-water"], lat=LAT, lon=east(1990), active=False)
    elsewhere = make_node(None, name="别区")
    station(make_node(make_node(elsewhere)), "别区驿站", items=["drinking-water"], lat=LAT, lon=east(2010))
    return {"district": district, "a": a, "b": b, "b_micro": micro_b, "water": water, "dry": dry, **placed}


def test_the_circle_of_a_station_offering_water(layout):
    circle = service_circle(layout["district"], "drinking-water", model=DEFAULT)
    assert round(circle.model.reach_m, 1) == 830.8
    assert circle.stations == 1
    assert circle.unplaced_buildings == 1
    assert (circle.total.buildings, circle.total.covered_buildings) == (5, 3)
    assert (circle.total.households, circle.total.covered_households) == (240, 170)

    by_name = {c.name: c.coverage for c in circle.communities}
    assert list(by_name) == ["甲社区", "乙社区"]
    assert (by_name["甲社区"].buildings, by_name["甲社区"].covered_buildings) == (3, 2)
    assert by_name["甲社区"].household_share == pytest.approx(150 / 180)
    assert (by_name["乙社区"].buildings, by_name["乙社区"].covered_buildings) == (2, 1)
    assert by_name["乙社区"].household_share == pytest.approx(20 / 60)

    uncovered = {u.name: u for u in circle.uncovered}
    assert set(uncovered) == {"甲850", "乙2000"}
    far = uncovered["乙2000"]
    assert far.community_id == layout["b"].pk
    assert far.nearest_station_id == layout["water"].pk
    assert far.distance_m == pytest.approx(2000, rel=1e-3)
    assert far.minutes == pytest.approx(2000 * 1.3 / 1.2 / 60, rel=1e-3)
    assert uncovered["甲850"].households == 30


def test_any_open_station_counts_when_no_item_is_asked(layout):
    circle = service_circle(layout["district"], model=DEFAULT)
    assert circle.stations == 2  # the water station and the dry one; not the closed one, not the other district's
    assert (circle.total.buildings, circle.total.covered_buildings) == (5, 4)
    assert [u.name for u in circle.uncovered] == ["甲850"]


def test_a_longer_walk_covers_more_and_a_subtree_sees_its_own_buildings(layout):
    longer = WalkModel(minutes=30)  # 1,661.5 m
    circle = service_circle(layout["district"], "drinking-water", model=longer)
    assert [u.name for u in circle.uncovered] == ["乙2000"]

    # Community 乙 alone: its buildings only, the station in community 甲 still serves them.
    circle = service_circle(layout["b"], "drinking-water", model=DEFAULT)
    assert [c.name for c in circle.communities] == ["乙社区"]
    assert (circle.total.buildings, circle.total.covered_buildings) == (2, 1)
    assert circle.unplaced_buildings == 1


def test_no_station_with_the_item_leaves_every_building_uncovered(layout):
    circle = service_circle(layout["district"], "no-such-item", model=DEFAULT)
    assert circle.stations == 0
    assert circle.total.covered_buildings == 0
    assert {u.name for u in circle.uncovered} == {"甲0", "甲500", "甲850", "乙800", "乙2000"}
    assert all(u.nearest_station_id is None and u.distance_m is None for u in circle.uncovered)


def test_the_settings_give_the_walking_model(layout, settings):
    settings.GONGZHI_WALK_MINUTES = 30
    circle = service_circle(layout["district"], "drinking-water")
    assert circle.model.minutes == 30
    assert Building.objects.count() == 6
    assert [u.name for u in circle.uncovered] == ["乙2000"]
