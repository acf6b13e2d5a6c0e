"""The command centre's people panel in real Chromium: stewards assessed and ranked, the top and bottom of the
ranking with card names, volunteer hours this year, the leaders' contact points — drawn without a browser error and
with no phone shown. Screenshot: test-artifacts/screenshots/analytics-people.png."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from gongzhi.analytics.tests.test_browser import _existing_static_root, log_in  # noqa: F401 - a fixture
from gongzhi.analytics.tests.test_people_panel import world  # noqa: F401 - a fixture
from gongzhi.core.testing.browser import save_screenshot
from gongzhi.volunteers.models import Volunteer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_people_panel_draws(browser_session, world):  # noqa: F811 - the fixture
    w = world
    phones = [v.phone for v in Volunteer.objects.all()]
    assert phones
    page = browser_session.new_page(viewport={"width": 1440, "height": 1000})
    log_in(page, w.leader.username)
    page.goto(reverse("analytics:dashboard", args=[w.district.pk]) + "?month=2026-12")
    page.wait_for_selector("#dashboard[data-ready=true]", timeout=20_000)
    expect(page.locator("#people-assessed-month")).to_have_text("2026-11")
    expect(page.locator("[data-people=assessed]")).to_have_text("12")
    expect(page.locator("[data-people=ranked]")).to_have_text("11")
    expect(page.locator("[data-people=hours]")).to_have_text("6.5")
    expect(page.locator("[data-people=solved]")).to_have_text("4 / 5")
    expect(page.locator("[data-people=share]")).to_have_text("60.0%")
    expect(page.locator("#people-top tr")).to_have_count(5)
    expect(page.locator("#people-top tr").first.locator("td, th")).to_have_text(
        ["1", "管家甲", w.micro_grid.name, "95.0", "10"]
    )
    expect(page.locator("#people-bottom tr").first.locator("td").first).to_have_text("11")
    expect(page.locator("#people-contacts tr td")).to_have_text(["2", "5", "4", "4", "60.0%"])
    text = page.locator("#people-panel").inner_text()
    for number in phones:
        assert number not in text
    page.locator("#people-panel").scroll_into_view_if_needed()
    save_screenshot(page, "analytics-people")
