"""The resident's whole journey in real Chromium on a phone: scan → report with a photo → tracking page → staff
resolve (through the case services) → the resident rates; again in the large-text mode; and a report placed by the
phone's location and a pin on the grid map. Screenshots go to test-artifacts/screenshots/portal-*.png.

Requests to any other host and browser console errors (CSP violations included) fail the tests.
"""

from __future__ import annotations

import re

import pytest
from django.db import connections
from django.urls import reverse
from playwright.sync_api import expect

from gongzhi.cases import services
from gongzhi.cases.models import Case
from gongzhi.core.testing.browser import PHONE, SCREENSHOT_DIR, assert_cjk_renders, page_width, save_screenshot
from gongzhi.portal.tests.conftest import jpeg

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def orm_between_pages(monkeypatch):
    # Playwright's sync API keeps an event loop in this thread; the test touches the ORM only between page actions
    # (never concurrently with the browser), which is what Django's escape hatch is for.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    yield
    # Django's connections are context-local, and the ones these ORM calls opened are not among those the test
    # teardown closes: close them here, or the session outlives the test and PostgreSQL cannot drop the test database.
    connections.close_all()


def assert_fits_width(page) -> None:
    width = page_width(page)
    assert width <= PHONE["width"], f"the page is {width}px wide on a {PHONE['width']}px phone"


def phone_page(session, **options):
    return session.new_page(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True, **options)


def shot(page, name: str) -> None:
    path = save_screenshot(page, f"portal-{name}")
    print(f"screenshot: {path}")


def resident_reports(page, w, photo_path, *, description: str) -> str:
    page.goto(reverse("portal:scan", args=[w.building.public_token]))
    expect(page.locator(".where-name")).to_have_text("幸福里小区 3号楼")
    page.fill("#id_description", description)
    page.select_option("#id_category", w.category.code)
    page.set_input_files("#id_photos", str(photo_path))
    page.fill("#id_phone", "13812345678")
    assert_fits_width(page)
    return page


def staff_resolve(w, code: str) -> Case:
    case = Case.objects.get(tracking_code=code)
    services.triage(case=case, actor=w.dispatcher, category=w.category)
    services.dispatch(case=case, actor=w.dispatcher, node=w.micro, pool=True)
    services.accept(case=case, actor=w.steward)
    return services.resolve(case=case, actor=w.steward, result="已清理楼道杂物，消防通道恢复畅通")


def test_scan_report_follow_and_rate_on_a_phone(browser_session, w, tmp_path, orm_between_pages):
    photo_path = tmp_path / "IMG_20240501.jpg"
    photo_path.write_bytes(jpeg())
    page = phone_page(browser_session)

    resident_reports(page, w, photo_path, description="楼道里堆满杂物，挡住了消防通道")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    shot(page, "1-report-form")
    page.click("#report-form button[type=submit]")

    page.wait_for_url(re.compile(r"/r/t/[0-9A-Z]+/$"))
    code = page.locator("#tracking-code").inner_text().strip()
    expect(page.locator("#sent-code")).to_have_text(code)
    expect(page.locator(".photos img")).to_have_count(1)
    page.locator(".photos img").scroll_into_view_if_needed()  # lazy-loaded
    page.wait_for_function("() => { const i = document.querySelector('.photos img'); return i && i.complete; }")
    assert page.locator(".photos img").evaluate("img => img.naturalWidth") == 1600  # resized on the server
    assert_cjk_renders(page, "#description")
    assert_fits_width(page)
    shot(page, "2-tracking-after-report")

    case = staff_resolve(w, code)
    assert case.status == "resolved"
    page.reload()
    expect(page.locator("#result")).to_contain_text("消防通道恢复畅通")
    expect(page.locator("#handler")).to_contain_text("张小管")
    expect(page.locator("#rating-form")).to_be_visible()
    shot(page, "3-resolved-rating-form")

    page.locator("label.choice", has=page.locator("input[value=satisfied]")).click()
    page.locator("label.choice", has=page.locator("input[value=yes]")).click()
    page.click("#rating-form button[type=submit]")
    expect(page.locator("#rated-message")).to_be_visible()
    expect(page.locator("#status")).to_have_class(re.compile("status-closed"))
    shot(page, "4-rated-closed")

    case.refresh_from_db()
    assert case.status == "closed" and case.ratings.get().score == "satisfied"
    browser_session.assert_clean()
    print(f"screenshots in {SCREENSHOT_DIR}")


def test_the_same_in_large_text_mode_with_an_unhappy_rating(browser_session, w, tmp_path, orm_between_pages):
    photo_path = tmp_path / "photo.jpg"
    photo_path.write_bytes(jpeg(size=(800, 600)))
    page = phone_page(browser_session)
    page.goto(reverse("portal:scan", args=[w.building.public_token]))
    normal = page.evaluate("() => parseFloat(getComputedStyle(document.documentElement).fontSize)")
    page.click(".display-switch button")
    expect(page.locator("html")).to_have_class(re.compile(r"\blarge\b"))
    # The class is in the new page's markup before its stylesheet has loaded; measure once the page has.
    page.wait_for_load_state("load")
    large = page.evaluate("() => parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert large >= normal * 1.25, (normal, large)

    resident_reports(page, w, photo_path, description="三楼楼道的灯坏了，晚上很黑")
    # Touch targets are large: inputs and buttons at least 48 px tall.
    for selector in ("#id_description", "#id_phone", "#report-form button[type=submit]"):
        assert page.locator(selector).bounding_box()["height"] >= 48, selector
    shot(page, "large-1-report-form")
    page.click("#report-form button[type=submit]")
    page.wait_for_url(re.compile(r"/r/t/[0-9A-Z]+/$"))
    # The mode stays on across pages.
    expect(page.locator("html")).to_have_class(re.compile(r"\blarge\b"))
    code = page.locator("#tracking-code").inner_text().strip()
    assert_fits_width(page)
    shot(page, "large-2-tracking")

    staff_resolve(w, code)
    page.reload()
    page.locator("label.choice", has=page.locator("input[value=unsatisfied]")).click()
    page.locator("label.choice", has=page.locator("input[value=no]")).click()
    page.fill("#id_comment", "灯还是不亮")
    page.click("#rating-form button[type=submit]")
    expect(page.locator("#rated-message")).to_have_class(re.compile("warn-box"))
    expect(page.locator("#status")).to_have_class(re.compile("status-dispatched"))
    assert_fits_width(page)
    shot(page, "large-3-reopened")

    case = Case.objects.get(tracking_code=code)
    assert (case.status, case.rework_count) == ("dispatched", 1)
    # Still on after a fresh visit to the home page.
    page.goto(reverse("portal:home"))
    expect(page.locator("html")).to_have_class(re.compile(r"\blarge\b"))
    browser_session.assert_clean()


def test_report_by_location_and_map_pin(browser_session, w, orm_between_pages):
    lon0, lat0 = w.micro.boundary["coordinates"][0][0]
    here = {"latitude": lat0 + 0.002, "longitude": lon0 + 0.002}
    page = phone_page(browser_session, geolocation=here, permissions=["geolocation"])
    page.goto(reverse("portal:report") + f"?j={w.jurisdiction.code}")
    page.wait_for_selector("#pin-map[data-ready=true]")
    expect(page.locator("#pin-map .area-label")).to_have_count(4)  # the communities, named on the map

    # Sending without a place: the server says where is missing, nothing is filed.
    page.fill("#id_description", "小区门口路灯不亮")
    page.click("#report-form button[type=submit]")
    expect(page.locator("#location-error")).to_be_visible()
    assert Case.objects.count() == 0
    shot(page, "map-1-missing-location")

    # The phone's location fills the place in.
    page.wait_for_selector("#pin-map[data-ready=true]")
    page.click("#use-location")
    expect(page.locator("#pin-map")).to_have_attribute("data-pinned", "true")
    assert float(page.input_value("#id_lat")) == pytest.approx(here["latitude"], abs=1e-5)
    shot(page, "map-2-located")
    page.click("#report-form button[type=submit]")
    page.wait_for_url(re.compile(r"/r/t/[0-9A-Z]+/$"))
    case = Case.objects.get()
    assert (case.channel, case.grid_node) == ("web", w.micro)

    # A pin tapped on the map works too.
    page.goto(reverse("portal:report") + f"?j={w.jurisdiction.code}")
    page.wait_for_selector("#pin-map[data-ready=true]")
    page.fill("#id_description", "健身器材坏了")
    box = page.locator("#pin-map").bounding_box()
    page.locator("#pin-map").click(position={"x": box["width"] / 2 + 20, "y": box["height"] / 2 + 20})
    expect(page.locator("#pin-map")).to_have_attribute("data-pinned", "true")
    page.click("#report-form button[type=submit]")
    page.wait_for_url(re.compile(r"/r/t/[0-9A-Z]+/$"))
    pinned = Case.objects.latest("pk")
    assert pinned.grid_node is not None and pinned.grid_node.level == "micro_grid" and pinned.lat is not None
    shot(page, "map-3-pinned-report-sent")
    # The one refused submission (no place given) answered 400 on purpose; anything else is a real error.
    refused = [e for e in browser_session.console.errors if "status of 400" in e]
    assert len(refused) == 1
    browser_session.console.errors.remove(refused[0])
    browser_session.assert_clean()
