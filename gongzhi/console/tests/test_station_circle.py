"""The console's 15-minute circle page: figures per community, the map's data, and who may see which area."""

from __future__ import annotations

import json
import math

import pytest
from django.urls import reverse

from gongzhi.cases.tests.factories import World, world
from gongzhi.grid.geo import METRES_PER_DEGREE
from gongzhi.grid.tests.factories import BuildingFactory
from gongzhi.stations.tests.factories import station

pytestmark = pytest.mark.django_db

LAT, LON = 30.0, 120.0


def east(metres: float) -> float:
    return LON + metres / (METRES_PER_DEGREE * math.cos(math.radians(LAT)))


@pytest.fixture
def w() -> World:
    found = world()
    # In the dispatcher's community: two buildings near the water station, one 2 km away; a building placed nowhere.
    for name, metres, households in (("近1号楼", 100, 40), ("近2号楼", 600, 60), ("远3号楼", 2000, 80)):
        BuildingFactory(node=found.micro, name=name, lat=LAT, lon=east(metres), households=households)
    station(found.community, "幸福驿站", items=["drinking-water"], lat=LAT, lon=LON)
    from gongzhi.core import timeutil
    from gongzhi.lists.models import Resource

    for node, name in ((found.community, "社区卫生服务站"), (found.other_community, "别的社区超市")):
        Resource.objects.create(
            node=node,
            name=name,
            kind="clinic",
            contact_name="王芳",
            contact_phone="13812345678",
            lat=LAT,
            lon=east(300),
            created_at=timeutil.now(),
        )
    return found


def _get(client, user, **params):
    client.force_login(user)
    return client.get(reverse("console:station_circle"), params, HTTP_ACCEPT_LANGUAGE="zh-hans")


def _map(response) -> dict:
    html = response.content.decode()
    start = html.index('<script id="circle-data" type="application/json">') + len(
        '<script id="circle-data" type="application/json">'
    )
    return json.loads(html[start : html.index("</script>", start)])


def test_the_community_sees_its_share_and_the_buildings_outside(client, w):
    response = _get(client, w.dispatcher, item="drinking-water")
    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["node"] == w.community
    circle = response.context["circle"]
    assert (circle.total.buildings, circle.total.covered_buildings) == (3, 2)
    assert (circle.total.households, circle.total.covered_households) == (180, 100)
    assert circle.unplaced_buildings == 1  # the world's own building has no position
    assert '<strong id="building-share">67%</strong>' in html
    assert '<span id="household-share">56%</span>' in html
    assert "831" in html and "1.2" in html  # the walking model is stated
    data = _map(response)
    assert data["reach_m"] == 831
    assert [s["name"] for s in data["stations"]] == ["幸福驿站"]
    assert data["resources"] == [{"name": "社区卫生服务站", "kind": "医疗机构", "lat": LAT, "lon": east(300)}]
    assert "13812345678" not in html and "王芳" not in html
    assert [(u["name"], u["households"], u["minutes"]) for u in data["uncovered"]] == [("远3号楼", 80, 36)]
    assert "远3号楼" in html.split('id="circle-farthest"')[1]


def test_a_station_without_the_item_does_not_count(client, w):
    response = _get(client, w.dispatcher, item="mother-baby")
    assert response.status_code == 200
    circle = response.context["circle"]
    assert circle.stations == 0 and circle.total.covered_buildings == 0
    assert _map(response)["stations"] == []


def test_another_community_is_not_found_and_a_bad_item_is_refused(client, w):
    assert _get(client, w.dispatcher, node=w.other_community.pk).status_code == 404
    assert _get(client, w.dispatcher, node=999999).status_code == 404
    bad = _get(client, w.dispatcher, item="<script>")
    assert bad.status_code == 400
    assert "<script>" not in bad.content.decode().split("</form>")[0].split("<form")[1].replace("&lt;script&gt;", "")
    assert _get(client, w.dispatcher, node="abc").status_code == 400


def test_those_without_stations_or_figures_are_refused(client, w):
    assert _get(client, w.steward).status_code == 403
    client.logout()
    response = client.get(reverse("console:station_circle"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_command_centre_sees_the_district_by_community(client, w):
    response = _get(client, w.centre)
    assert response.status_code == 200
    assert response.context["node"] == w.district
    names = [c.name for c in response.context["circle"].communities]
    assert w.community.name in names
