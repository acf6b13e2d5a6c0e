from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gongzhi.routing.places import Gazetteer, Place

GAZETTEER = Gazetteer(
    [
        Place("阳光花园小区", "compound", node_id=10, lat=30.1, lon=120.1),
        Place("阳光花园3栋", "building", node_id=11, building_id=3, lat=30.11, lon=120.11),
        Place("阳光花园5栋", "building", node_id=11, building_id=5),
        Place("城关街道", "street", node_id=2),
        Place("滨江新城街道", "street", node_id=6),
        Place("和平", "community", node_id=4),
    ]
)


def test_longest_and_most_specific_name_wins():
    found = GAZETTEER.find("阳光花园3号楼门口路灯不亮")
    assert (found.place.building_id, found.matched) == (3, "阳光花园3号楼")
    assert GAZETTEER.find("阳光花园5栋楼道堆物").place.building_id == 5
    assert GAZETTEER.find("阳光花园北门垃圾没人收").place.kind == "compound"


def test_suffix_dropped_and_street_names():
    assert GAZETTEER.find("城关街道办事处门口").place.node_id == 2
    assert GAZETTEER.find("滨江新城那边的路灯").place.node_id == 6
    assert GAZETTEER.find("城关那边的路灯") is None  # two characters alone are too ambiguous


def test_short_names_need_a_place_suffix():
    assert GAZETTEER.find("大家要和平共处") is None
    assert GAZETTEER.find("和平社区有人占道").place.node_id == 4


@given(st.text(max_size=80))
def test_find_never_fails(value):
    found = GAZETTEER.find(value)
    assert found is None or found.matched
