"""A grid worker records a problem found on patrol on a phone (issue 24, item 14): type, a pin on the map of their
grid, a photo; the case comes out placed and typed with its photo. Screenshots: test-artifacts/screenshots/
record-*.png."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from gongzhi.cases.models import Case
from gongzhi.cases.tests.factories import world
from gongzhi.console.tests.test_browser_flow import _photo, in_thread, log_in
from gongzhi.core.testing.browser import PHONE, page_width, save_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_grid_worker_records_a_patrol_find_with_a_pin_and_a_photo(browser_session, tmp_path):
    w = world()
    photo = tmp_path / "patrol.jpg"
    photo.write_bytes(_photo())
    page = browser_session.new_page(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    log_in(page, w.grid_worker.username, reverse("console:record"))
    page.wait_for_selector("#record-map[data-ready=true]")
    page.fill("#id_title", "路灯不亮")
    page.select_option("#id_category", str(w.category.pk))
    page.locator("#record-map").scroll_into_view_if_needed()
    area = page.locator("#record-map path.leaflet-interactive").first.bounding_box()
    page.mouse.click(area["x"] + area["width"] / 2, area["y"] + area["height"] / 2)
    expect(page.locator("#record-map")).to_have_attribute("data-pinned", "true")
    assert page.input_value("#id_lat") and page.input_value("#id_lon")
    page.set_input_files("#id_photos", str(photo))
    assert page_width(page) <= PHONE["width"]
    save_screenshot(page, "record-1-patrol-form")
    page.click("#record-form button[type=submit]")
    page.wait_for_url(re.compile(r"/console/cases/\d+/$"))
    save_screenshot(page, "record-2-case")

    found: dict[str, object] = {}
    in_thread(lambda: found.update(case=Case.objects.select_related("grid_node").get()))
    case = found["case"]
    assert case.channel == "patrol" and case.category_id == w.category.pk and len(case.photos) == 1
    assert case.grid_node is not None and case.grid_node.path.startswith(w.grid.path)
    expect(page.locator("body")).to_contain_text("路灯不亮")
    browser_session.assert_clean()
