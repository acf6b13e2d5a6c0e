"""The public side of a case in real Chromium, on a phone and a desktop: the paged board, the public map of published
results (its popups are text: markup in a summary shows as characters and runs nothing), and the tracking page as a
stranger sees it and as its reporter sees it (with the small map). Screenshots: test-artifacts/screenshots/public-*.png.
"""

from __future__ import annotations

import pytest
from django.db import connections
from django.urls import reverse
from playwright.sync_api import expect

from gongzhi.cases import services
from gongzhi.core.testing.browser import DESKTOP, PHONE, save_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MARKUP = '路灯已修复 <img src="/x" id="injected" onerror="document.title=\'pwned\'">'


@pytest.fixture
def orm_between_pages(monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    yield
    connections.close_all()


def published_world(w):
    w.building.lat, w.building.lon = 30.0005, 120.0005
    w.building.save()
    cases = []
    for i in range(12):
        case = w.to_resolved()
        summary = MARKUP if i == 11 else f"楼道堆物已清理（第{i + 1}件），消防通道恢复畅通。"
        services.publish(case=case, actor=w.dispatcher, summary=summary)
        cases.append(case)
    return cases


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_public_map_and_board(browser_session, w, orm_between_pages, viewport):
    cases = published_world(w)
    name = "phone" if viewport == PHONE else "desktop"
    page = browser_session.new_page(viewport=viewport, locale="zh-CN", is_mobile=viewport == PHONE)
    page.goto(reverse("portal:board", args=[w.community.pk]))
    expect(page.locator(".board-card")).to_have_count(10)
    expect(page.locator("#figures")).to_be_visible()
    save_screenshot(page, f"public-board-{name}")
    page.click("#next-page")
    expect(page.locator(".board-card")).to_have_count(2)

    page.goto(reverse("portal:public_map", args=[w.community.pk]))
    page.wait_for_selector("#public-map[data-ready=true]")
    marker = page.locator(f'#public-map path[data-id="{cases[-1].public_id}"]')
    expect(marker).to_have_count(1)
    marker.dispatch_event("click")
    popup = page.locator(".leaflet-popup-content .map-popup")
    expect(popup).to_be_visible()
    expect(popup.locator(".map-popup-summary")).to_have_text(MARKUP)  # the characters, not an element
    assert page.locator("#injected").count() == 0
    assert page.title() != "pwned"
    expect(popup.locator("a")).to_have_attribute("href", reverse("portal:published", args=[cases[-1].public_id]))
    save_screenshot(page, f"public-map-{name}", full_page=False)
    browser_session.assert_clean()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_tracking_page_for_a_stranger_and_for_the_reporter(browser_session, w, orm_between_pages, viewport):
    name = "phone" if viewport == PHONE else "desktop"
    page = browser_session.new_page(viewport=viewport, locale="zh-CN", is_mobile=viewport == PHONE)
    page.goto(reverse("portal:report") + f"?j={w.jurisdiction.code}")
    page.wait_for_selector("#pin-map[data-ready=true]")
    page.locator("#id_lat").evaluate("(el) => { el.value = '30.0012'; }")
    page.locator("#id_lon").evaluate("(el) => { el.value = '120.0016'; }")
    page.fill("#id_description", "5栋后门的路灯不亮，我叫王五，电话 138 1234 5678")
    page.fill("#id_address", "5栋后门")
    page.click("#report-form button[type=submit]")
    page.wait_for_url("**/r/t/**")
    code = page.locator("#tracking-code").inner_text()
    page.wait_for_selector("#where-map[data-ready=true]")
    expect(page.locator("#description")).to_contain_text("138 1234 5678")
    save_screenshot(page, f"public-track-reporter-{name}")

    other = browser_session.new_page(viewport=viewport, locale="zh-CN", is_mobile=viewport == PHONE)
    other.goto(reverse("portal:track", args=[code]))
    expect(other.locator("#reporter-only")).to_be_visible()
    body = other.locator("main").inner_text()
    # The phone number, not "1234" alone: a random tracking code may hold 1234.
    assert "5栋后门" not in body and "王五" not in body and "1234 5678" not in body
    assert other.locator("#where-map").count() == 0
    save_screenshot(other, f"public-track-stranger-{name}")
    browser_session.assert_clean()
