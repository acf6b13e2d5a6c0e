"""The console in a real browser (Debian Chromium through Playwright), against the live test server.

Every request to another host is blocked and fails the test; so does any console error (CSP violations included).
Screenshots land in test-artifacts/screenshots/ for a person to look at.
Database work happens before the first page opens (see gongzhi.core.testing.browser).
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from gongzhi.accounts.tests.factories import PASSWORD
from gongzhi.core.testing.browser import DESKTOP, PHONE, assert_cjk_renders, page_width, save_screenshot
from gongzhi.grid import roles
from gongzhi.grid.tests.factories import post

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def node_path(node) -> str:
    return reverse("console:grid_node", args=[node.pk])


def log_in(page, username: str) -> None:
    page.goto(reverse("console:home"))
    page.wait_for_url(re.compile(r"/accounts/login/"))
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form.stack button[type=submit]")


def wait_for_map(page) -> None:
    page.wait_for_selector("#grid-map[data-ready=true]")


def assert_fits_width(page, width: int) -> None:
    overflow = page_width(page)
    assert overflow <= width, f"the page is {overflow}px wide on a {width}px screen (sideways scrolling)"


def test_community_worker_on_a_phone(browser_session, district, community_worker, grid_worker):
    community = district.community
    children = list(community.children.order_by("sort_order", "path"))
    grid = district.grid
    assert grid == children[0]
    micro_grids = grid.children.count()
    micro = district.micro_grid

    page = browser_session.new_page(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    log_in(page, "wangfang")

    # A community desk starts on its dispatch queue; its community's map draws one shape per subdivision.
    page.wait_for_url(re.compile(r"/console/queue/"))
    page.goto(node_path(community))
    wait_for_map(page)
    expect(page.locator("h1")).to_have_text(community.name)
    expect(page.locator("#grid-map path.leaflet-interactive")).to_have_count(len(children))
    expect(page.locator("#grid-map .grid-label")).to_have_count(len(children))
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert_fits_width(page, PHONE["width"])
    save_screenshot(page, "phone-community")

    # Chinese is drawn with glyphs (fonts-noto-cjk), not empty boxes.
    glyphs = assert_cjk_renders(page, "h1")
    assert glyphs["fonts_check"] is True

    # Open a subdivision from the list: its staff cards (三亮) show name, duty and phone.
    page.locator("#subdivisions a", has_text=grid.name).click()
    page.wait_for_url(re.compile(re.escape(node_path(grid)) + "$"))
    wait_for_map(page)
    cards = page.locator(".staff-card")
    expect(cards).to_have_count(2)
    worker = cards.filter(has_text="李军")
    expect(worker).to_be_visible()
    expect(worker).to_contain_text("专职网格员")
    expect(worker).to_contain_text("巡查走访、收集民意、上报问题")
    expect(worker.locator('a[href="tel:138-0000-1234"]')).to_be_visible()
    expect(cards.filter(has_text="王芳")).to_be_visible()
    expect(page.locator("#grid-map path.leaflet-interactive")).to_have_count(micro_grids)
    # The trail starts at the worker's own community: nothing above it is offered.
    expect(page.locator(".breadcrumbs a")).to_have_count(1)
    assert_fits_width(page, PHONE["width"])
    save_screenshot(page, "phone-grid-staff-cards")

    # A micro-grid: its own shape plus its buildings that have coordinates (one of two here), and the list of both.
    page.locator("#subdivisions a", has_text=micro.name).click()
    page.wait_for_url(re.compile(re.escape(node_path(micro)) + "$"))
    wait_for_map(page)
    expect(page.locator("#grid-map path.leaflet-interactive")).to_have_count(2)
    expect(page.locator(".buildings-card li")).to_have_count(2)
    assert_fits_width(page, PHONE["width"])
    save_screenshot(page, "phone-micro-grid")

    browser_session.assert_clean()


def test_district_map_opens_a_street_and_language_switch_keeps_the_page(browser_session, district):
    user = post(roles.COMMAND_CENTRE, node=district.district).user
    streets = list(district.district.children.order_by("sort_order", "path"))
    target = streets[-1]

    page = browser_session.new_page(viewport=DESKTOP, locale="zh-CN")
    log_in(page, user.username)
    # The command centre starts on its dashboard; the grid map is one link away.
    page.wait_for_url(re.compile(r"/analytics/"))
    page.goto(node_path(district.district))
    wait_for_map(page)
    paths = page.locator("#grid-map path.leaflet-interactive")
    expect(paths).to_have_count(len(streets))
    save_screenshot(page, "desktop-district")

    # Switch to English: same page, English interface; and back.
    page.locator(".lang-switch button").click()
    page.wait_for_url(re.compile(re.escape(node_path(district.district)) + "$"))
    assert page.locator("html").get_attribute("lang") == "en"
    expect(page.locator("#figures-title")).to_have_text("In this area")
    page.locator(".lang-switch button").click()
    page.wait_for_url(re.compile(re.escape(node_path(district.district)) + "$"))
    assert page.locator("html").get_attribute("lang") == "zh-hans"

    # Clicking a street's shape on the map opens the street.
    wait_for_map(page)
    paths.nth(len(streets) - 1).click()
    page.wait_for_url(re.compile(re.escape(node_path(target)) + "$"))
    expect(page.locator("h1")).to_have_text(target.name)
    wait_for_map(page)

    # Keyboard users get a skip link to the content and a visible focus ring.
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    outline = skip.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline == "solid"

    browser_session.assert_clean()


def test_login_page_on_a_phone(browser_session, district, community_worker):
    page = browser_session.new_page(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    page.goto(reverse("accounts:login"))
    expect(page.locator("#id_username")).to_be_focused()
    page.fill("#id_username", "wangfang")
    page.fill("#id_password", "not-the-password")
    page.click("form.stack button[type=submit]")
    expect(page.locator("[role=alert]")).to_be_visible()
    # The alert shows as soon as the new page's HTML is parsed; measure only once its stylesheet has loaded.
    page.wait_for_load_state("load")
    expect(page.locator("#id_username")).to_have_attribute("aria-invalid", "true")
    assert_fits_width(page, PHONE["width"])
    # Touch targets: the submit button and the inputs are at least 44 px tall.
    for selector in ("#id_username", "#id_password", "form.stack button[type=submit]"):
        box = page.locator(selector).bounding_box()
        assert box is not None and box["height"] >= 44, selector
    save_screenshot(page, "phone-login-error")
    browser_session.assert_clean()
