"""Stations in real Chromium on a phone (issue 25): a resident finds the nearest station offering drinking water from
their location, on the list and the map, and sees who is on duty there; a resident asks for a 代办 matter and follows
it in 我的诉求. Screenshots: test-artifacts/screenshots/stations-*.png."""

from __future__ import annotations

import re
from datetime import time

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from gongzhi.cases.models import Case
from gongzhi.cases.tests.factories import category
from gongzhi.core.testing.browser import PHONE, page_width, save_screenshot
from gongzhi.portal.tests.test_browser import orm_between_pages  # noqa: F401 - a fixture
from gongzhi.portal.tests.test_browser_journeys import code_sent_to
from gongzhi.stations.models import Matter
from gongzhi.stations.tests.factories import station

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NUMBER = "13812345678"
HERE = {"latitude": 30.0, "longitude": 120.0}


def around_the_clock(post):
    """On duty at every minute of every day: all day, plus a shift across midnight."""
    return [(post, d, time(0, 0), time(23, 59)) for d in range(7)] + [
        (post, d, time(23, 0), time(1, 0)) for d in range(7)
    ]


def phone(session, **options):
    return session.new_page(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True, **options)


def fits(page) -> None:
    width = page_width(page)
    assert width <= PHONE["width"], f"{width}px wide on a {PHONE['width']}px phone"


def test_a_resident_finds_the_nearest_station_with_drinking_water_and_who_is_on_duty(
    browser_session,
    w,
    orm_between_pages,  # noqa: F811
):
    steward = w.steward.posts.get()
    water = station(
        w.micro,
        "幸福里小区管家服务点",
        kind="steward_point",
        items=["drinking-water", "phone-charging"],
        lat=30.0012,
        lon=120.0003,
        on_duty=around_the_clock(steward),
        hours=[(d, a, b) for _, d, a, b in around_the_clock(steward)],
        closed_on_holidays=False,
    )
    station(w.community, "更近但没有饮水的点", items=["umbrella"], lat=30.0002, lon=120.0001)
    station(w.community, "幸福社区党群服务驿站", items=["drinking-water"], lat=30.0060, lon=120.0)
    page = phone(browser_session, geolocation=HERE, permissions=["geolocation"])
    page.goto(reverse("portal:stations") + f"?j={w.jurisdiction.code}")
    page.select_option("#item", "drinking-water")
    page.click("#locate")
    page.wait_for_url(re.compile(r"lat=30\.000000"))
    first = page.locator("#stations > li").first
    expect(first).to_contain_text("幸福里小区管家服务点")
    expect(first.locator(".walk")).to_contain_text("分钟")
    expect(page.locator("#stations")).not_to_contain_text("更近但没有饮水的点")
    page.wait_for_selector("#stations-map[data-ready=true]")
    fits(page)
    save_screenshot(page, "stations-1-near-me")
    page.locator(f"#stations-map path[data-station='{water.pk}']").click()
    page.locator(".leaflet-popup-content a").click()
    page.wait_for_url(re.compile(rf"/r/stations/{water.pk}/$"))
    expect(page.locator("#on-duty")).to_contain_text(str(w.steward))
    expect(page.locator("#open-now")).to_have_text("正在开放")
    expect(page.locator("#items")).to_contain_text("饮用水")
    assert "13900001111" not in page.content()
    fits(page)
    save_screenshot(page, "stations-2-station")
    # The large-text mode (the resident's own switch) keeps both pages on the screen.
    page.click("button[name=large][value='1']")
    page.wait_for_load_state()
    assert "large" in page.locator("html").get_attribute("class")
    expect(page.locator("#on-duty")).to_contain_text(str(w.steward))
    fits(page)
    save_screenshot(page, "stations-2-station-large")
    page.go_back()
    page.goto(reverse("portal:stations") + f"?j={w.jurisdiction.code}&lat=30.0&lon=120.0&item=drinking-water")
    expect(page.locator("#stations > li").first).to_contain_text("幸福里小区管家服务点")
    fits(page)
    browser_session.assert_clean()


def test_a_resident_asks_for_a_proxy_errand_and_follows_it(
    browser_session,
    w,
    orm_between_pages,  # noqa: F811
):
    desk = station(w.micro, "幸福里小区管家服务点", kind="steward_point")
    category(w.jurisdiction, "errands.proxy", kind="errand", level="community", name="代办")
    matter = Matter.objects.create(
        jurisdiction=w.jurisdiction,
        code="elderly-card",
        name="老年人优待证办理",
        mode="proxy",
        materials="居民身份证原件及复印件\n近期一寸免冠照片 1 张",
        handled_at="街道便民服务中心",
        days=5,
    )
    matter.stations.add(desk)
    page = phone(browser_session)
    page.goto(reverse("portal:matters") + f"?j={w.jurisdiction.code}")
    page.click("text=老年人优待证办理")
    expect(page.locator("dl.facts")).to_contain_text("居民身份证原件及复印件")
    page.click("#apply-login")
    page.fill("#id_phone", NUMBER)
    page.click("#phone-form button[type=submit]")
    expect(page.locator("#code-sent")).to_be_visible()
    page.fill("#code-form #id_code", code_sent_to(NUMBER))
    page.click("#code-form button[type=submit]")
    page.wait_for_url(re.compile(r"/r/matters/elderly-card/$"))
    page.fill("#note", "腿脚不便，请上门收材料")
    fits(page)
    save_screenshot(page, "stations-3-errand")
    page.click("#apply-form button[type=submit]")
    page.wait_for_url(re.compile(r"/r/t/[0-9A-Z]+/$"))
    case = Case.objects.get()
    assert (case.kind, case.title) == ("errand", "老年人优待证办理") and case.attributes["_on_behalf"] is True
    page.goto(reverse("portal:mine"))
    expect(page.locator("body")).to_contain_text(case.tracking_code)
    save_screenshot(page, "stations-4-mine")
    browser_session.assert_clean()
