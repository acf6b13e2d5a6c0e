"""A steward at their station's desk on a phone (issue 25): +1 visitor, then a walk-in request solved on the spot in
one form; the day report counts both. Screenshots: test-artifacts/screenshots/station-desk-*.png."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from gongzhi.cases import transitions as t
from gongzhi.cases.models import Case, CaseEvent
from gongzhi.cases.tests.factories import world
from gongzhi.console.tests.test_browser_flow import in_thread, log_in
from gongzhi.core.testing.browser import PHONE, page_width, save_screenshot
from gongzhi.stations.models import Intake, Visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_steward_records_a_walk_in_solved_on_the_spot(browser_session):
    from gongzhi.stations.tests.factories import station

    w = world()
    desk = station(w.micro, "幸福里小区管家服务点", kind="steward_point", items=["drinking-water", "umbrella"])
    page = browser_session.new_page(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    url = reverse("console:station", args=[desk.pk])
    log_in(page, w.steward.username, url)
    expect(page.locator("#tier-check")).to_contain_text("2/8")
    page.fill("#id_purpose", "借雨伞")
    page.click("#plus-one")
    page.wait_for_url(re.compile(re.escape(url) + "$"))
    page.fill("#id_title", "借雨伞，顺便咨询垃圾分类")
    page.check("#id_solved_on_the_spot")
    page.fill("#id_result", "借出雨伞一把，讲解了分类投放时间")
    assert page_width(page) <= PHONE["width"]
    save_screenshot(page, "station-desk-1-form")
    page.click("#walk-in-submit")
    page.wait_for_url(re.compile(re.escape(url) + "$"))
    expect(page.locator(".messages")).to_contain_text("即时办结")
    expect(page.locator("#day-report")).to_contain_text("接待 1 人次")
    expect(page.locator("#day-report")).to_contain_text("即时办结 1 件")
    save_screenshot(page, "station-desk-2-report")
    found: dict[str, object] = {}

    def read() -> None:
        case = Case.objects.get()
        found.update(
            case=case,
            events=list(CaseEvent.objects.filter(case=case).order_by("pk").values_list("kind", flat=True)),
            intake=Intake.objects.get(),
            visits=Visit.objects.count(),
        )

    in_thread(read)
    case = found["case"]
    assert (case.channel, case.status, case.on_the_spot, case.handler_user_id) == (
        "walk_in",
        t.RESOLVED,
        True,
        w.steward.pk,
    )
    assert found["events"][0] == "submitted" and found["events"][-1] == "resolved"
    assert found["intake"].case_id == case.pk and found["intake"].on_the_spot and found["visits"] == 1
    browser_session.assert_clean()


def test_community_staff_set_up_a_station_with_a_point_on_the_map(browser_session):
    from gongzhi.stations.tests.factories import catalogue

    w = world()
    in_thread(catalogue)
    page = browser_session.new_page(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    log_in(page, w.dispatcher.username, reverse("console:stations"))
    page.click("#station-new")
    page.wait_for_selector("#record-map[data-ready=true]")
    page.fill("#id_name", "幸福社区党群服务驿站")
    page.select_option("#id_node", str(w.community.pk))
    page.select_option("#id_tier", "2")
    page.get_by_label("饮用水").check()
    page.get_by_label("卫生间").check()
    page.locator("#record-map").scroll_into_view_if_needed()
    area = page.locator("#record-map path.leaflet-interactive").first.bounding_box()
    page.mouse.click(area["x"] + area["width"] / 2, area["y"] + area["height"] / 2)
    expect(page.locator("#record-map")).to_have_attribute("data-pinned", "true")
    page.fill("#id_hours_0", "8:30-12:00, 14:00-17:30")
    assert page_width(page) <= PHONE["width"]
    save_screenshot(page, "station-setup-1-form")
    page.click("#station-form button[type=submit]")
    page.wait_for_url(re.compile(r"/console/stations/\d+/$"))
    expect(page.locator("#tier-check")).to_contain_text("1/12")  # the toilet is not a tier-2 requirement
    save_screenshot(page, "station-setup-2-desk")
    found: dict[str, object] = {}

    def read() -> None:
        from gongzhi.stations.models import Station

        s = Station.objects.get()
        found.update(station=s, items=sorted(s.items.values_list("code", flat=True)), hours=s.hours.count())

    in_thread(read)
    made = found["station"]
    assert made.node_id == w.community.pk and made.tier == 2 and made.lat is not None and made.lon is not None
    assert found["items"] == ["drinking-water", "toilet"] and found["hours"] == 2
    browser_session.assert_clean()
