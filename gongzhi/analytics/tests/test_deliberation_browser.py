"""The command centre's deliberation panel in real Chromium: topics, residents' proposals, participation, decided,
results delivered and turnout, the chart of topics per step and a row per area, drawn without a browser error and
with no phone shown. Screenshot: test-artifacts/screenshots/analytics-deliberation.png."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from gongzhi.analytics.tests.test_browser import _existing_static_root, log_in  # noqa: F401 - a fixture
from gongzhi.core.testing.browser import save_screenshot
from gongzhi.deliberation import services, steps
from gongzhi.deliberation.tests.factories import deliberation_world, phone
from gongzhi.grid.models import GridNode

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_deliberation_panel_draws(browser_session):
    w = deliberation_world()
    services.propose(
        node=w.community, title="楼道堆物清理", body="…", phone=phone(1), household_key="h1", support_needed=3
    )
    deciding = w.topic(step=steps.DECIDE)
    vote = w.vote(deciding)  # three households
    yes = vote.options.order_by("sort_order").first()
    services.cast(vote=vote, phone=phone(1), option=yes)
    services.cast(vote=vote, phone=phone(2), option=yes)
    services.close_vote(vote=vote, actor=None, at=vote.closes_at + timedelta(seconds=1))
    services.record_decision(topic=deciding, actor=w.staff, text="同意")
    services.move(topic=deciding, to=steps.DECISION_PUBLIC, actor=w.staff)
    w.topic(step=steps.RESULT_PUBLIC, title="更换路灯")

    street = GridNode.objects.get(pk=w.community.parent_id).name
    page = browser_session.new_page(viewport={"width": 1440, "height": 1000})
    log_in(page, w.leader.username)
    page.goto(reverse("analytics:dashboard", args=[w.district.pk]))
    page.wait_for_selector("#dashboard[data-ready=true]", timeout=20_000)
    expect(page.locator("[data-delib=topics]")).to_have_text("3")
    expect(page.locator("[data-delib=by_residents]")).to_have_text("1")
    expect(page.locator("[data-delib=participation]")).to_have_text("1")  # the proposer's household
    expect(page.locator("[data-delib=decided_share]")).to_have_text("66.7%")
    expect(page.locator("[data-delib=results_delivered]")).to_have_text("50.0%")
    expect(page.locator("[data-delib=turnout]")).to_have_text("66.7%")
    expect(page.locator("#chart-deliberation canvas")).to_have_count(1)
    row = page.locator("#deliberation-rows tr", has_text=street)
    expect(row.locator("td")).to_have_text(["3", "1", "1", "66.7%", "50.0%", "66.7%"])
    text = page.locator("#deliberation-panel").inner_text()
    for secret in (phone(1), phone(2)):
        assert secret not in text
    page.locator("#deliberation-panel").scroll_into_view_if_needed()
    save_screenshot(page, "analytics-deliberation")
