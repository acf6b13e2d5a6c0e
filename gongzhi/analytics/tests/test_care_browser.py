"""The command centre's care panel in real Chromium: residents in care per colour, visits overdue and on time, the
stacked chart per area and the table, drawn without a browser error and with no resident named.
Screenshot: test-artifacts/screenshots/analytics-care.png."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from gongzhi.analytics.tests.test_browser import _existing_static_root, log_in  # noqa: F401 - a fixture
from gongzhi.care import services
from gongzhi.care.models import Resident
from gongzhi.care.tests.factories import care_world
from gongzhi.core import timeutil
from gongzhi.core.testing.browser import save_screenshot
from gongzhi.grid.models import GridNode

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_care_panel_draws_today(browser_session):
    w = care_world()
    today = timeutil.local_today()
    red = w.resident(name="欧阳秀英", phone="13712345601", level="red", groups=("living_alone", "aged"))
    yellow = w.resident(name="司马建国", level="yellow", groups=("disabled",))
    w.resident(name="诸葛桂兰", level="green", groups=("aged",))
    Resident.objects.filter(pk=red.pk).update(next_visit_due=today)
    services.record_visit(resident=red, visitor=w.steward, outcome="well")
    Resident.objects.filter(pk=yellow.pk).update(next_visit_due=today - timedelta(days=3))

    street = GridNode.objects.get(pk=w.community.parent_id).name
    page = browser_session.new_page(viewport={"width": 1440, "height": 1000})
    log_in(page, w.leader.username)
    page.goto(reverse("analytics:dashboard", args=[w.district.pk]))
    page.wait_for_selector("#dashboard[data-ready=true]", timeout=20_000)
    expect(page.locator("[data-care=in_care]")).to_have_text("3")
    expect(page.locator("[data-care=red]")).to_have_text("1")
    expect(page.locator("[data-care=overdue]")).to_have_text("1")
    expect(page.locator("[data-care=visits]")).to_have_text("1")
    expect(page.locator("[data-care=on_time_share]")).to_have_text("100.0%")
    expect(page.locator("#chart-care canvas")).to_have_count(1)
    row = page.locator("#care-rows tr", has_text=street)
    expect(row.locator("td")).to_have_text(["1", "1", "1", "3", "1", "1", "100.0%"])
    expect(page.locator("#care-groups li")).to_have_count(3)
    text = page.locator("#care-panel").inner_text()
    for secret in ("欧阳", "司马", "诸葛", "13712345601", "欧*", "司*"):
        assert secret not in text
    page.locator("#care-panel").scroll_into_view_if_needed()
    save_screenshot(page, "analytics-care")
