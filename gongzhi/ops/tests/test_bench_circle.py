"""``gongzhi bench circle --use-current`` on a hand-built district: readable lines, then one JSON line whose figures
are those of the coverage itself. No timing assertions: machines differ."""

from __future__ import annotations

import json
import math
from io import StringIO

import pytest
from django.core.management import call_command

from gongzhi.grid.geo import METRES_PER_DEGREE
from gongzhi.grid.tests.factories import BuildingFactory, make_node
from gongzhi.stations.tests.factories import station

pytestmark = pytest.mark.django_db


def test_bench_circle_prints_the_coverage_and_a_json_line():
    district = make_node(None, name="测试区")
    community = make_node(make_node(district), name="甲社区")
    micro = make_node(make_node(community))
    metre = 1 / (METRES_PER_DEGREE * math.cos(math.radians(30.0)))
    for i, metres in enumerate((0, 400, 1200, 3000)):
        BuildingFactory(node=micro, name=f"{i}号楼", lat=30.0, lon=120.0 + metres * metre, households=10)
    station(community, "甲驿站", items=["drinking-water"], lat=30.0, lon=120.0)

    out = StringIO()
    call_command("bench", "circle", "--use-current", "--repeats", "2", stdout=out)
    lines = out.getvalue().splitlines()
    figures = json.loads(lines[-1])
    assert any("830.8 m" in line for line in lines)
    assert figures["benchmark"] == "circle"
    assert (figures["buildings"], figures["communities"], figures["stations"]) == (4, 1, 1)
    assert figures["by_item"]["drinking-water"] == {
        "stations": 1,
        "building_share": 0.5,
        "household_share": 0.5,
        "uncovered": 2,
        "median_ms": figures["by_item"]["drinking-water"]["median_ms"],
    }
    assert figures["by_item"]["aed"]["stations"] == 0 and figures["by_item"]["aed"]["uncovered"] == 4
    assert figures["budget_ms"] == 2000.0 and figures["pass"] is (figures["circle_max_ms"] <= 2000.0)
