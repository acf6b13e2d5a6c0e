"""The command centre's market panel in real Chromium: this month's figures, last month's beneath, the chart and the
table per community, drawn without a browser error. Screenshot: test-artifacts/screenshots/analytics-market.png."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from gongzhi.analytics.tests.test_browser import _existing_static_root, log_in  # noqa: F401 - a fixture
from gongzhi.core import timeutil
from gongzhi.core.testing.browser import save_screenshot
from gongzhi.market import services
from gongzhi.market.tests.factories import first_slot, market_world, phone

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_market_panel_draws_this_month(browser_session):
    w = market_world()
    today = timeutil.local_today()
    event = w.event(day=today)
    offering = w.offering(event, per_slot=4)
    slot = first_slot(offering)
    at = timezone.make_aware(datetime.combine(today, time(9, 5)))
    for n, age in ((1, 70), (2, 35), (3, 50)):
        booking = services.book(
            event_id=event.pk,
            slot_id=slot.pk,
            resident=services.Resident(phone=phone(n), age=age),
            now=slot.starts - timedelta(days=1),
        )
        if n < 3:
            services.check_in(actor=w.staff, code=booking.code, now=at)
    services.close_day(actor=w.staff, event=event, now=slot.ends + timedelta(minutes=1))

    page = browser_session.new_page(viewport={"width": 1440, "height": 1000})
    log_in(page, w.leader.username)
    page.goto(reverse("analytics:dashboard", args=[w.district.pk]))
    page.wait_for_selector("#dashboard[data-ready=true]", timeout=20_000)
    expect(page.locator("[data-market=bookings]")).to_have_text("3")
    expect(page.locator("[data-market=served]")).to_have_text("2")
    expect(page.locator("[data-market=no_show_rate]")).to_have_text("33.3%")
    expect(page.locator("[data-market=served_60]")).to_have_text("1")
    expect(page.locator("[data-market=subsidy]")).to_have_text("20.00")  # 15.00 for the 70-year-old + 5.00
    expect(page.locator("[data-market-last=served]")).to_have_text("上月 0")
    expect(page.locator("#chart-market canvas")).to_have_count(1)
    row = page.locator("#market-rows tr", has_text=w.community.name)
    expect(row.locator("td")).to_have_text(["3", "2", "33.3%", "1", "20.00"])
    page.locator("#market-panel").scroll_into_view_if_needed()
    save_screenshot(page, "analytics-market")
