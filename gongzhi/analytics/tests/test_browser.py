"""The dashboard, big-screen mode and the monthly PDF in real Chromium / pdftoppm, with screenshots for people.

No request may leave the test server and the browser must log no error (CSP violations included); Chinese must
render with real glyphs. Screenshots: test-artifacts/screenshots/analytics-*.png.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from gongzhi.accounts.tests.factories import PASSWORD
from gongzhi.analytics import panels, reports, rollup
from gongzhi.cases import services
from gongzhi.cases.tests.factories import world
from gongzhi.core.testing import browser as browser_helpers
from gongzhi.core.testing.browser import assert_cjk_renders, save_screenshot, screenshot_path
from gongzhi.grid import roles
from gongzhi.grid.models import GridNode

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _existing_static_root(settings, tmp_path_factory):
    static_root = tmp_path_factory.getbasetemp() / "static-root"
    static_root.mkdir(exist_ok=True)
    settings.STATIC_ROOT = static_root


@pytest.fixture
def w():
    w = world()
    labels = {
        roles.DISTRICT: "区",
        roles.STREET: "街道",
        roles.COMMUNITY: "社区",
        roles.GRID: "网格",
        roles.MICRO_GRID: "微网格",
    }
    for i, node in enumerate(GridNode.objects.filter(jurisdiction=w.jurisdiction).order_by("path"), start=1):
        node.name = "示范区" if node.level == roles.DISTRICT else f"第{i}{labels[node.level]}"
        node.save(update_fields=["name"])
    w.category.name = "楼道堆物"
    w.category.save(update_fields=["name"])
    for i in range(6):
        case = w.to_resolved(reporter=w.resident)
        if i % 2 == 0:
            services.rate(case=case, actor=w.resident, score="satisfied", solved=True)
    for _ in range(3):
        w.submit(channel="hotline")
    w.submit(channel="patrol", recorded_by=w.grid_worker)
    rollup.catch_up()
    for n in (w.district, w.street, w.community):
        n.refresh_from_db()
    return w


def log_in(page, username: str) -> None:
    page.goto(reverse("accounts:login"))
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form.stack button[type=submit]")


def test_dashboard_big_screen_and_report_pages(browser_session, w):
    month = panels.month_label(timezone.localdate().replace(day=1))
    pdf = reports.pdf(reports.monthly(w.district, timezone.localdate().replace(day=1)))
    username = w.centre.username

    page = browser_session.new_page(viewport={"width": 1440, "height": 1000})
    log_in(page, username)
    page.goto(reverse("analytics:dashboard", args=[w.district.pk]))
    page.wait_for_selector("#dashboard[data-ready=true]", timeout=20_000)
    expect(page.locator("[data-kpi=received]")).to_have_text("10")
    expect(page.locator("[data-kpi=satisfaction_rate]")).to_have_text("100.0%")
    expect(page.locator("#chart-721 canvas")).to_have_count(1)
    page.wait_for_selector("#heat-map[data-ready=true]")
    expect(page.locator("#heat-map path.leaflet-interactive")).to_have_count(2)  # the district's two streets
    # The map says what its colours mean; the areas are named on it; the ranking says what it ranks by.
    expect(page.locator("#heat-map .heat-legend")).to_contain_text("本月诉求量")
    # Five shades up to the busiest area's 10 requests, and grey for none.
    expect(page.locator("#heat-map .heat-legend-row")).to_have_text(["0", "1–2", "3–4", "5–6", "7–8", "9–10"])
    expect(page.locator("#heat-map .heat-label").filter(has_text=w.street.name)).to_have_count(1)
    expect(page.locator("#rank-by")).to_have_text("排名依据：按期办结率（从高到低）")
    # Hot issues from triage (gongzhi.routing) when it is there, else a sentence saying they are not available.
    assert page.locator("#hot li").count() > 0 or page.locator("#hot-message").inner_text().strip()
    assert_cjk_renders(page, "h1")
    save_screenshot(page, "analytics-dashboard")

    # Drill down: district → street → community (the map and the list both lead there).
    page.locator("#drill a", has_text=w.street.name).click()
    page.wait_for_url(re.compile(rf"/analytics/node/{w.street.pk}/"))
    page.wait_for_selector("#dashboard[data-ready=true]", timeout=20_000)
    expect(page.locator(".breadcrumbs")).to_contain_text("示范区")

    # Big-screen mode at 1920×1080: dark, no console chrome, every panel above the fold, nothing to operate;
    # refreshes itself (the page clock is moved on a minute).
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.clock.install()
    page.goto(reverse("analytics:dashboard", args=[w.district.pk]) + f"?month={month}&screen=1")
    page.wait_for_selector("#dashboard[data-ready=true]", timeout=20_000)
    expect(page.locator("body")).to_have_class(re.compile("big-screen"))
    expect(page.locator(".worknav")).to_be_hidden()
    fold = page.evaluate(
        """() => ({
        width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight,
        lowest: Math.max(...[...document.querySelectorAll('#dashboard .card')]
          .map(c => c.getBoundingClientRect().bottom)),
        cards: document.querySelectorAll('#dashboard .card').length,
        controls: [...document.querySelectorAll('#dashboard :is(input, select, button, textarea)')]
          .filter(e => e.offsetParent !== null).length,
        light: [...document.querySelectorAll('#dashboard .card, #heat-map, .heat-legend')].filter(e => {
          const [r, g, b] = getComputedStyle(e).backgroundColor.match(/\\d+/g).map(Number);
          return r + g + b > 3 * 128;  // a light background in the dark theme
        }).length,
      })"""
    )
    assert fold == {"width": 1920, "height": 1080, "lowest": fold["lowest"], "cards": 8, "controls": 0, "light": 0}
    assert fold["lowest"] <= 1080, fold
    with page.expect_response(re.compile(r"/panel/headline\.json"), timeout=15_000):
        page.clock.run_for(61_000)
    page.wait_for_selector("#dashboard[data-ready=true]", timeout=20_000)
    assert_cjk_renders(page, "h1")
    save_screenshot(page, "analytics-big-screen")
    browser_session.assert_clean()

    # The monthly report's pages as images (pdftoppm), Chinese included.
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm is missing: install the Debian package poppler-utils")
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "report.pdf"
        source.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-png", "-r", "70", str(source), str(Path(tmp) / "page")], check=True)
        pages = sorted(Path(tmp).glob("page-*.png"))
        assert len(pages) >= 2
        for i, png in enumerate(pages, start=1):
            shutil.copy(png, screenshot_path(f"analytics-report-page-{i}"))


def test_public_figures_on_a_phone(browser_session, w):
    """At 390 px each community is a card with its name on one line, every figure labelled, each rate with its
    sample; nothing scrolls sideways and nothing is cut."""
    month = panels.month_label(timezone.localdate().replace(day=1))
    page = browser_session.new_page(viewport=browser_helpers.PHONE, is_mobile=True, has_touch=True)
    page.goto(reverse("transparency:figures") + f"?month={month}")
    row = page.locator(f"tr[data-node='{w.community.pk}']")
    expect(row.locator("th.name")).to_have_text(w.community.name)
    expect(row.locator("td[data-figure=satisfaction_rate]")).to_contain_text("n=")
    layout = page.evaluate(
        """() => ({
        width: document.documentElement.scrollWidth,
        names: [...document.querySelectorAll('.public-table th.name')].map(e => {
          const lines = e.getBoundingClientRect().height / parseFloat(getComputedStyle(e).lineHeight);
          return Math.round(lines);
        }),
        cut: [...document.querySelectorAll('.public-table td')]
          .filter(td => td.scrollWidth > td.clientWidth + 1).length,
      })"""
    )
    assert layout["width"] <= browser_helpers.PHONE["width"], layout
    assert set(layout["names"]) == {1}, layout  # one line each (it was two characters a line)
    assert layout["cut"] == 0, layout
    assert_cjk_renders(page, "h1")
    save_screenshot(page, "analytics-public-figures-phone")
    browser_session.assert_clean()
