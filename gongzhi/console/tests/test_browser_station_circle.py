"""A community's staff look at their 15-minute circle on a phone: the share, the map with the station's circle and the
one building outside it. Screenshot: test-artifacts/screenshots/station-circle.png."""

from __future__ import annotations

import math

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from gongzhi.cases.tests.factories import world
from gongzhi.console.tests.test_browser_flow import log_in
from gongzhi.core.testing.browser import PHONE, page_width, save_screenshot
from gongzhi.grid.geo import METRES_PER_DEGREE
from gongzhi.grid.tests.factories import BuildingFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_community_staff_see_the_buildings_outside_the_walk(browser_session):
    from gongzhi.stations.tests.factories import station

    w = world()
    metre = 1 / (METRES_PER_DEGREE * math.cos(math.radians(30.0)))
    for name, metres in (("近1号楼", 100), ("近2号楼", 600), ("远3号楼", 2000)):
        BuildingFactory(node=w.micro, name=name, lat=30.0, lon=120.0 + metres * metre, households=50)
    station(w.community, "幸福驿站", items=["drinking-water"], lat=30.0, lon=120.0)

    page = browser_session.new_page(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    url = reverse("console:station_circle") + "?item=drinking-water"
    log_in(page, w.dispatcher.username, url)
    expect(page.locator("#building-share")).to_have_text("67%")
    expect(page.locator("#circle-map")).to_have_attribute("data-ready", "true")
    expect(page.locator("#circle-map [data-uncovered]")).to_have_count(1)
    expect(page.locator("#circle-farthest")).to_contain_text("远3号楼")
    assert page_width(page) <= PHONE["width"]
    save_screenshot(page, "station-circle")
