"""The market's check-in desk in real Chromium on a tablet (issue 26), held upright (800×1280) and sideways (1280×800):
a hardware scanner types the booking QR's payload into the scan field; the stall corrects the declared age and the
price follows to ¥0; a resident found by phone number. Then the tablet's camera: Chromium's fake camera plays a video
of the resident's QR code (written by the test from ``services.qr_payload``) and jsQR reads it.

Screenshots: test-artifacts/screenshots/market-desk-*.png.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from gongzhi.console.tests.test_browser_flow import in_thread, log_in
from gongzhi.core import timeutil
from gongzhi.core.testing.browser import DESKTOP, page_width, save_screenshot, write_camera_video
from gongzhi.market import services
from gongzhi.market.models import Booking, Event
from gongzhi.market.tests.factories import MarketWorld, first_slot, market_world, phone

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
UPRIGHT = {"width": 800, "height": 1280}
SIDEWAYS = {"width": 1280, "height": 800}


def _market_today(w: MarketWorld) -> tuple[Event, list[Booking]]:
    """Booked while the slots lay ahead, held today (check-in opens on the event's day)."""
    event = w.event(title="幸福市集", theme="理发修脚")
    haircut = w.offering(event, per_slot=4)
    slot = first_slot(haircut)
    bookings = [
        services.book(
            event_id=event.pk,
            slot_id=slot.pk,
            resident=services.Resident(phone=phone(n), name=name, age=age),
        )
        for n, name, age in ((1, "张桂兰", 58), (2, "李建国", 35))
    ]
    Event.objects.filter(pk=event.pk).update(day=timeutil.local_today())
    return event, bookings


def test_the_stall_scans_corrects_the_age_and_finds_by_phone_on_a_tablet(browser_session):
    w = market_world()
    event, (granny, other) = _market_today(w)
    assert granny.resident_pays == Decimal("10.00")
    desk_url = reverse("console:market_desk", args=[event.pk])

    page = browser_session.new_page(viewport=UPRIGHT, locale="zh-CN", has_touch=True)
    log_in(page, w.steward.username, desk_url)
    expect(page.locator("#scan")).to_be_focused()
    save_screenshot(page, "market-desk-1-upright-ready")
    # A hardware scanner is a keyboard: it types the payload and presses Enter.
    page.locator("#scan").press_sequentially(services.qr_payload(granny.code), delay=5)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(re.escape(desk_url) + r"\?code="))
    booking = page.locator("#booking")
    expect(booking).to_have_attribute("data-code", granny.code)
    expect(page.locator("#booking-declared")).to_contain_text("58")
    expect(page.locator("#booking-pays")).to_have_text("¥10.00")
    assert page_width(page) <= UPRIGHT["width"]
    button = page.locator("#check-in")
    box = button.bounding_box()
    assert box is not None and box["height"] >= 56, box  # a target a thumb finds on a tablet
    save_screenshot(page, "market-desk-2-upright-booking")
    # Her ID card says 68: the stall corrects the age; she pays nothing, the community covers it.
    page.fill("#id_age", "68")
    button.click()
    page.wait_for_url(re.compile(re.escape(desk_url) + "$"))
    expect(page.locator(".messages")).to_contain_text("¥0.00")
    expect(page.locator(f'#desk-services tr[data-offering="{granny.offering_id}"] td.served')).to_have_text("1")
    save_screenshot(page, "market-desk-3-upright-checked-in")

    wide = browser_session.new_page(viewport=SIDEWAYS, locale="zh-CN", has_touch=True)
    log_in(wide, w.steward.username, desk_url)
    wide.fill("#find-phone", phone(2))
    wide.click("#phone-submit")
    expect(wide.locator("#booking")).to_have_attribute("data-code", other.code)
    expect(wide.locator("#booking-pays")).to_have_text("¥10.00")
    assert page_width(wide) <= SIDEWAYS["width"]
    # Side by side when held sideways: the booking on the left, today's services on the right.
    left = wide.locator("#booking").bounding_box()
    right = wide.locator("#desk-services").bounding_box()
    assert left and right and right["x"] > left["x"] + left["width"] - 1
    save_screenshot(wide, "market-desk-4-sideways-by-phone")
    # A forged code: a clear refusal on the screen (the page is a 404, which the browser logs: that one is expected).
    seen = len(browser_session.console.errors)
    wide.fill("#scan", "GZM:AAAABBBBCCCC")
    wide.click("#scan-submit")
    expect(wide.locator("#desk-error")).to_be_visible()
    save_screenshot(wide, "market-desk-5-forged")
    expected = browser_session.console.errors[seen:]
    assert all("404" in e for e in expected), expected
    del browser_session.console.errors[seen:]

    found: dict[str, Booking] = {}

    def read() -> None:
        found["granny"] = Booking.objects.get(pk=granny.pk)
        found["other"] = Booking.objects.get(pk=other.pk)

    in_thread(read)
    served = found["granny"]
    assert (served.status, served.declared_age, served.resident_pays, served.subsidy) == (
        "served",
        68,
        Decimal("0.00"),
        Decimal("15.00"),
    )
    assert found["other"].status == "confirmed"
    browser_session.assert_clean()


# ---------------------------------------------------------------------------------------------------- the camera


def qr_picture(payload: str) -> bytes:
    """The QR code of ``payload`` as a PNG, as the resident's booking page draws it."""
    import segno

    buffer = io.BytesIO()
    segno.make_qr(payload, error="m").save(buffer, kind="png", scale=10, border=4)  # segno.make picks a Micro QR
    return buffer.getvalue()


def test_the_tablets_camera_reads_the_residents_qr(browser_session, tmp_path):
    w = market_world()
    event, (granny, _other) = _market_today(w)
    browser_session.use_camera(write_camera_video(tmp_path / "qr.y4m", qr_picture(services.qr_payload(granny.code))))
    desk_url = reverse("console:market_desk", args=[event.pk])
    page = browser_session.new_page(viewport=UPRIGHT)
    page.context.set_default_timeout(15_000)
    log_in(page, w.steward.username, desk_url)
    camera = page.locator("#camera-button")
    expect(camera).to_be_visible()
    camera.click()
    page.wait_for_url(re.compile(re.escape(desk_url) + r"\?code="))
    expect(page.locator("#booking")).to_have_attribute("data-code", granny.code)
    save_screenshot(page, "market-desk-6-camera-read")
    browser_session.assert_clean()


# ---------------------------------------------------------------------------------------------------- planning


def test_community_staff_plan_a_mobile_day_on_the_map_and_offer_a_haircut(browser_session):
    from gongzhi.lists import services as lists

    w = market_world()
    provider = lists.save_resource(actor=w.staff, node=w.community, name="阿芳理发店", kind="merchant")
    lists.save_project(
        actor=w.staff,
        node=w.community,
        name="理发",
        category="elderly",
        provider=provider,
        delivery="station",
        price=Decimal("20.00"),
        status="active",
    )
    day = (timeutil.local_today() + timedelta(days=3)).isoformat()
    page = browser_session.new_page(viewport=DESKTOP, locale="zh-CN")
    log_in(page, w.staff.username, reverse("console:markets"))
    page.click("#plan-event")
    page.wait_for_selector("#record-map[data-ready=true]")
    page.select_option("#id_kind", "mobile")
    page.fill("#id_title", "服务列车进小区")
    page.fill("#id_theme", "居家维修")
    page.fill("#id_day", day)
    page.fill("#id_starts", "09:00")
    page.fill("#id_ends", "11:00")
    page.check("input[name=place_kind][value=point]")
    page.fill("#id_place_name", "3号楼前广场")
    page.locator("#record-map").scroll_into_view_if_needed()
    area = page.locator("#record-map path.leaflet-interactive").first.bounding_box()
    page.mouse.click(area["x"] + area["width"] / 2, area["y"] + area["height"] / 2)
    expect(page.locator("#record-map")).to_have_attribute("data-pinned", "true")
    page.check("#id_publish")
    save_screenshot(page, "market-plan-1-form")
    page.click("#plan-submit")
    page.wait_for_url(re.compile(r"/console/market/\d+/$"))
    expect(page.locator("#event-status")).to_have_attribute("data-status", "published")
    page.fill("#id_title", "书记面对面")
    page.click("#window-form button[type=submit]")
    page.wait_for_url(re.compile(r"/console/market/\d+/$"))
    expect(page.locator("#windows")).to_contain_text("书记面对面")
    page.fill("#id_merchant_discount", "5")
    page.fill("#id_community_subsidy", "5")
    page.fill("#id_per_slot", "3")
    page.click("#offering-submit")
    page.wait_for_url(re.compile(r"/console/market/\d+/$"))
    offering = page.locator("article.market-offering").first
    expect(offering.locator('tr[data-quote="ordinary"]')).to_contain_text("¥10.00")
    expect(offering.locator('tr[data-quote="free"]')).to_contain_text("¥0.00")
    expect(offering.locator("table.market-slots tbody tr")).to_have_count(4)
    save_screenshot(page, "market-plan-2-event")
    page.goto(reverse("console:markets") + "?when=upcoming")
    expect(page.locator("#events tbody tr[data-event]")).to_have_count(1)
    save_screenshot(page, "market-plan-3-markets")

    found: dict[str, object] = {}

    def read() -> None:
        found["event"] = Event.objects.get()

    in_thread(read)
    event = found["event"]
    assert (event.kind, event.place_kind, event.place_name) == ("mobile", "point", "3号楼前广场")
    assert event.lat is not None and event.lon is not None
    browser_session.assert_clean()
