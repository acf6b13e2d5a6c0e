"""The market's resident pages in real Chromium on a phone (390×844, issue 26): a 68-year-old resident opens what's on
this week, picks the haircut, logs in with her phone and a text-message code, enters her age, sees the price split
with 您需支付 ¥0.00 before confirming, confirms and sees her booking with its QR code — in standard and in large text.
Screenshots: test-artifacts/screenshots/market-*.png."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from gongzhi.core.testing.browser import PHONE, page_width, save_screenshot
from gongzhi.market import services
from gongzhi.market.models import Booking
from gongzhi.market.tests.factories import market_world
from gongzhi.portal.tests.test_accessibility import axe_source, run_axe
from gongzhi.portal.tests.test_browser import orm_between_pages  # noqa: F401 - a fixture
from gongzhi.portal.tests.test_browser_journeys import code_sent_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NUMBER = "13900000068"


def phone(session, **options):
    return session.new_page(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True, **options)


def fits(page) -> None:
    width = page_width(page)
    assert width <= PHONE["width"], f"{width}px wide on a {PHONE['width']}px phone"


def looked_at(page, name: str, axe: str, found: dict[str, list[dict]]) -> None:
    """On the phone's screen, saved for a person to look at, and checked by axe (WCAG 2.1 A/AA)."""
    fits(page)
    save_screenshot(page, name)
    violations = run_axe(page, axe)
    if violations:
        found[name] = violations


@pytest.fixture
def market(db):
    w = market_world()
    # At the community's office, inside the test district (the map draws the district's own boundaries around it).
    office = services.PlaceInput(kind="point", name="幸福社区党群服务中心", lat=30.012, lon=120.012)
    event = w.event(title="幸福市集", theme="理发义剪", place=office)
    haircut = w.offering(event, name="理发", provider="阿芳理发店")
    w.offering(event, name="磨刀", provider="张师傅", list_price="8.00", merchant_discount="0", community_subsidy="3")
    return w, event, haircut


@pytest.mark.parametrize("large", [False, True], ids=["standard", "large-text"])
def test_a_68_year_old_books_a_haircut_for_nothing_on_her_phone(
    browser_session,
    market,
    large,
    orm_between_pages,  # noqa: F811
):
    _, event, haircut = market
    suffix = "-large" if large else ""
    axe = axe_source()
    found: dict[str, list[dict]] = {}
    page = phone(browser_session)
    page.goto(reverse("portal:home"))
    if large:
        page.click("button[name=large][value='1']")
        page.wait_for_load_state()
        assert "large" in page.locator("html").get_attribute("class")
    page.click("#home-market")
    card = page.locator(f"li[data-event='{event.pk}']")
    expect(card).to_contain_text("幸福市集")
    expect(card).to_contain_text("理发义剪")
    expect(card).to_contain_text("2 项服务")
    page.wait_for_selector("#market-map[data-ready=true]")
    looked_at(page, f"market-1-whats-on{suffix}", axe, found)

    card.get_by_role("link", name="查看服务并预约").click()
    page.wait_for_url(re.compile(rf"/r/market/{event.pk}/$"))
    offering = page.locator(f"#offering-{haircut.pk}")
    expect(offering).to_contain_text("阿芳理发店")
    expect(offering.locator(".resident-pays")).to_have_text("¥10.00")  # an ordinary resident
    expect(offering).to_contain_text("60岁及以上 / 低保 / 特困的居民免费（¥0.00）")
    looked_at(page, f"market-2-event{suffix}", axe, found)

    offering.locator(".slots li").first.get_by_role("link", name="预约").click()
    page.wait_for_url(re.compile(r"/r/login/\?next="))
    page.fill("#id_phone", NUMBER)
    page.click("#phone-form button[type=submit]")
    expect(page.locator("#code-sent")).to_be_visible()
    page.fill("#code-form #id_code", code_sent_to(NUMBER))
    page.click("#code-form button[type=submit]")
    page.wait_for_url(re.compile(rf"/r/market/{event.pk}/book/\d+/$"))

    page.fill("#name", "王阿姨")
    page.fill("#age", "68")
    page.click("#quote-button")
    expect(page.locator("#quote .resident-pays")).to_have_text("¥0.00")
    expect(page.locator("#quote")).to_contain_text("您需支付")
    expect(page.locator("#quote")).to_contain_text("−¥15.00")  # the community's subsidy
    expect(page.locator("#free-note")).to_be_visible()
    assert Booking.objects.count() == 0  # nothing booked before she confirms
    looked_at(page, f"market-3-price{suffix}", axe, found)

    page.click("#confirm")
    page.wait_for_url(re.compile(r"/r/market/bookings/[A-Z0-9]+/$"))
    booking = Booking.objects.get()
    assert (booking.status, booking.declared_age, str(booking.resident_pays)) == ("confirmed", 68, "0.00")
    expect(page.locator("#booking-status")).to_have_text("已确认")
    expect(page.locator("#booking-code")).to_have_text(" ".join(re.findall(".{4}", booking.code)))
    expect(page.locator("#booking-price .resident-pays")).to_have_text("¥0.00")
    qr = page.locator("#booking-qr svg")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box["width"] >= 250 and abs(box["width"] - box["height"]) < 2  # big enough to scan from the screen
    html = page.content()
    assert NUMBER not in html and "139****0068" in html
    looked_at(page, f"market-4-booking{suffix}", axe, found)

    page.goto(reverse("portal:market_bookings"))
    expect(page.locator(f"li[data-booking='{booking.code}']")).to_contain_text("已确认")
    looked_at(page, f"market-5-my-bookings{suffix}", axe, found)

    # Plans change: she cancels (two taps, so that one slip does not give her place away).
    page.locator(f"li[data-booking='{booking.code}'] a").click()
    page.click("#cancel-details summary")
    expect(page.locator("#cancel-button")).to_be_visible()
    looked_at(page, f"market-6-cancel{suffix}", axe, found)
    page.click("#cancel-button")
    expect(page.locator("#cancelled-note")).to_be_visible()
    expect(page.locator("#booking-status")).to_have_text("已取消")
    assert page.locator("#booking-qr").count() == 0
    booking.refresh_from_db()
    assert booking.status == "cancelled"
    assert found == {}
    browser_session.assert_clean()
