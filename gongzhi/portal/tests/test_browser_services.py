"""A resident on a phone opens a service project of their community from the resident home, in real Chromium, also
in the large-text mode. Screenshots: test-artifacts/screenshots/services-*.png."""

from __future__ import annotations

import pytest
from django.db import connections
from django.urls import reverse
from playwright.sync_api import expect

from gongzhi.core.testing.browser import PHONE, page_width, save_screenshot
from gongzhi.portal.tests.test_services_pages import service_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def orm_between_pages(monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    yield
    connections.close_all()


def test_a_resident_opens_a_project_of_their_community(browser_session, w, orm_between_pages):
    rows = service_world(w)
    page = browser_session.new_page(viewport=PHONE, locale="zh-CN", is_mobile=True)
    page.goto(reverse("portal:home"))
    page.click("#home-services")
    page.get_by_role("link", name=w.community.name).click()
    save_screenshot(page, "services-community-phone")
    page.locator("#service-categories a", has_text="养老服务").click()
    page.get_by_role("link", name="长者食堂助餐").click()
    expect(page.locator("#service-project h1")).to_have_text("长者食堂助餐")
    expect(page.locator("#project-price")).to_contain_text("8.50")
    expect(page.locator("#service-project")).to_contain_text("60 岁以上本社区居民")
    expect(page.locator("#service-project")).not_to_contain_text("13812345678")
    page.wait_for_selector("#service-map[data-ready=true]")
    expect(page.locator("#service-map path.leaflet-interactive")).to_have_count(1)  # the provider's point
    assert page_width(page) <= page.viewport_size["width"]  # no sideways scrolling
    save_screenshot(page, "services-project-phone")
    # The large-text mode: the same page, bigger, still without sideways scrolling.
    page.click(".display-switch button")
    page.wait_for_load_state("load")
    assert "large" in page.locator("html").get_attribute("class")
    expect(page.locator("#project-price")).to_contain_text("8.50")
    assert page_width(page) <= page.viewport_size["width"]
    save_screenshot(page, "services-project-phone-large", full_page=True)
    assert rows["meal"].pk
