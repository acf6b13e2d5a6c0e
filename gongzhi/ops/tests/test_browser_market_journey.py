"""The market from end to end in real Chromium (issue 26): a 68-year-old resident books a haircut on her phone (390×844)
and sees ¥0.00; on the market day the stall's tablet camera scans the QR code on her phone's screen (the picture of
her booking page's QR, played by Chromium's fake camera) and checks her in; the community's subsidy ledger shows what
the community paid for her. The flow crosses the resident pages and the console, hence here in ops.

Screenshots: test-artifacts/screenshots/market-journey-*.png.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import connections
from django.urls import reverse
from playwright.sync_api import expect

from gongzhi.console.tests.test_browser_flow import log_in
from gongzhi.core import timeutil
from gongzhi.core.testing.browser import PHONE, save_screenshot, write_camera_video
from gongzhi.market import services
from gongzhi.market.models import Booking, Event
from gongzhi.market.tests.factories import market_world
from gongzhi.portal.tests.test_browser_journeys import code_sent_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NUMBER = "13900000068"
TABLET = {"width": 800, "height": 1280}


@pytest.fixture
def orm_between_pages(monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # the ORM is touched between pages only
    yield
    connections.close_all()


def test_a_resident_books_for_nothing_the_stall_scans_her_phone_and_the_ledger_shows_the_subsidy(
    browser_session, tmp_path, orm_between_pages
):
    w = market_world()
    event = w.event(
        title="幸福市集",
        theme="理发义剪",
        place=services.PlaceInput(kind="point", name="幸福社区党群服务中心", lat=30.012, lon=120.012),
    )
    haircut = w.offering(event, name="理发", provider="阿芳理发店")

    # --- the resident, on her phone
    page = browser_session.new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto(reverse("portal:market_event", args=[event.pk]))
    page.locator(f"#offering-{haircut.pk} .slots li").first.get_by_role("link", name="预约").click()
    page.fill("#id_phone", NUMBER)
    page.click("#phone-form button[type=submit]")
    expect(page.locator("#code-sent")).to_be_visible()
    page.fill("#code-form #id_code", code_sent_to(NUMBER))
    page.click("#code-form button[type=submit]")
    page.wait_for_url(re.compile(rf"/r/market/{event.pk}/book/\d+/$"))
    page.fill("#age", "68")
    page.click("#quote-button")
    expect(page.locator("#quote .resident-pays")).to_have_text("¥0.00")
    save_screenshot(page, "market-journey-1-price")
    page.click("#confirm")
    page.wait_for_url(re.compile(r"/r/market/bookings/[A-Z0-9]+/$"))
    save_screenshot(page, "market-journey-2-booking")
    her_screen = page.locator("#booking-qr").screenshot()
    booking = Booking.objects.get()
    assert (booking.status, booking.resident_pays, booking.subsidy) == ("confirmed", Decimal("0.00"), Decimal("15.00"))
    Event.objects.filter(pk=event.pk).update(day=timeutil.local_today())  # the market day comes

    # --- the stall's tablet, its camera pointed at her phone
    browser_session.use_camera(write_camera_video(tmp_path / "her-phone.y4m", her_screen))
    page = browser_session.new_page(viewport=TABLET)
    page.context.set_default_timeout(15_000)
    desk_url = reverse("console:market_desk", args=[event.pk])
    log_in(page, w.steward.username, desk_url)
    page.locator("#camera-button").click()
    page.wait_for_url(re.compile(re.escape(desk_url) + r"\?code="))
    expect(page.locator("#booking")).to_have_attribute("data-code", booking.code)
    save_screenshot(page, "market-journey-3-scanned")
    page.locator("#check-in-form button[type=submit]").click()
    expect(page.locator(".messages")).to_be_visible()
    save_screenshot(page, "market-journey-4-checked-in")
    served = Booking.objects.get(pk=booking.pk)
    assert (served.status, served.age_checked, served.resident_pays) == ("served", True, Decimal("0.00"))

    # --- the community's accountant reads the ledger
    page.goto(reverse("console:market_event_ledger", args=[event.pk]))
    expect(page.locator("#ledger")).to_contain_text("阿芳理发店")
    expect(page.locator("#ledger-total [data-total=subsidy]")).to_have_text("15.00")
    save_screenshot(page, "market-journey-5-ledger")
    browser_session.assert_clean()
