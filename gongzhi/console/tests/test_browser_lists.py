"""Community staff keep the lists in real Chromium: the overview with its bar charts, a resource placed with a tap on
the map. Screenshots: test-artifacts/screenshots/lists-*.png."""

from __future__ import annotations

import re

import pytest
from django.db import connections
from django.urls import reverse
from playwright.sync_api import expect

from gongzhi.cases.tests.factories import world
from gongzhi.console.tests.test_browser_flow import log_in
from gongzhi.core.testing.browser import DESKTOP, save_screenshot
from gongzhi.lists import services as lists
from gongzhi.lists.models import Resource

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def orm_between_pages(monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    yield
    connections.close_all()


def test_overview_and_a_resource_placed_on_the_map(browser_session, orm_between_pages):
    w = world()
    for title in ("老人助餐", "儿童托管", "加装电梯"):
        lists.create_need(
            actor=w.dispatcher, node=w.community, title=title, category="elderly", source="survey", households=5
        )
    page = browser_session.new_page(viewport=DESKTOP, locale="zh-CN")
    log_in(page, w.dispatcher.username, reverse("console:lists"))
    expect(page.locator(f"#community-{w.community.pk} .lists-headline")).to_contain_text("3 项需求")
    expect(page.locator(f'#community-{w.community.pk} g[data-figure="needs_collected"] rect')).to_have_attribute(
        "width", "240"
    )
    save_screenshot(page, "lists-overview")
    page.goto(reverse("console:lists_resource_new"))
    page.wait_for_selector("#resource-map[data-ready=true]")
    page.fill("#id_name", "社区卫生服务站")
    page.select_option("#id_kind", "clinic")
    page.fill("#id_contact_phone", "13912345678")
    page.locator("#resource-map").scroll_into_view_if_needed()
    area = page.locator("#resource-map").bounding_box()
    page.mouse.click(area["x"] + area["width"] / 2, area["y"] + area["height"] / 2)
    expect(page.locator("#resource-map")).to_have_attribute("data-pinned", "true")
    save_screenshot(page, "lists-resource-form")
    page.click("#lists-form button[type=submit]")
    page.wait_for_url(re.compile(r"/console/lists/resources/$"))
    expect(page.locator("#resources")).to_contain_text("139****5678")
    resource = Resource.objects.get()
    assert resource.lat is not None and resource.lon is not None
    assert resource.contact_phone == "13912345678"
