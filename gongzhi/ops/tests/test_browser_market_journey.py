"""The market from end to end in real Chromium (issue 26): a 68-year-old resident books a haircut on her phone (390×844)
and sees ¥0.00; on the market day the stall's tablet camera scans the QR code on her phone's screen (the picture of
her booking page's QR, played by Chromium's fake camera) and checks her in; the community's subsidy ledger shows what
the community paid for her. The flow crosses the resident pages and the console, hence here in ops.

Screenshots: test-artifacts/screenshots/market-journey-*.png.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connections
from django.urls import reverse
from playwright.sync_api import expect

from gongzhi.core import timeutil
from gongzhi.core.testing.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PHONE,
    ConsoleWatch,
    OffsiteGuard,
    one_request_at_a_time_on_sqlite,
    require_chromium,
    save_screenshot,
)
from gongzhi.market import services
from gongzhi.market.models import Booking, Event
from gongzhi.market.tests.factories import market_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NUMBER = "13900000068"
TABLET = {"width": 800, "height": 1280}


def camera_video(path: Path, png: bytes, *, width: int = 640, height: int = 480, frames: int = 10) -> None:
    """A Y4M video (what Chromium's fake camera plays) of a screenshot, centred on white: the phone held up to the
    tablet's camera."""
    from PIL import Image

    shot = Image.open(io.BytesIO(png)).convert("L")
    shot.thumbnail((width - 40, height - 40))
    frame = Image.new("L", (width, height), 255)
    frame.paste(shot, ((width - shot.width) // 2, (height - shot.height) // 2))
    chroma = bytes([128]) * ((width // 2) * (height // 2))
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F25:1 Ip A1:1 C420jpeg\n".encode("ascii"))
        for _ in range(frames):
            out.write(b"FRAME\n" + frame.tobytes() + chroma + chroma)


def code_sent_to(number: str) -> str:
    from gongzhi.notifications import backends

    message = next(m for m in reversed(backends.outbox) if m.phone == number)
    return re.search(r"\b(\d{6})\b", message.body).group(1)


def test_a_resident_books_for_nothing_the_stall_scans_her_phone_and_the_ledger_shows_the_subsidy(
    live_server, tmp_path, monkeypatch
):
    require_chromium()
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # the ORM is touched between pages only
    w = market_world()
    event = w.event(
        title="幸福市集",
        theme="理发义剪",
        place=services.PlaceInput(kind="point", name="幸福社区党群服务中心", lat=30.012, lon=120.012),
    )
    haircut = w.offering(event, name="理发", provider="阿芳理发店")
    guard, console = OffsiteGuard(live_server.url), ConsoleWatch()
    with one_request_at_a_time_on_sqlite(live_server), sync_playwright() as p:
        # --- the resident, on her phone
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS))
        try:
            context = browser.new_context(
                viewport=PHONE,
                locale="zh-CN",
                timezone_id="Asia/Shanghai",
                is_mobile=True,
                has_touch=True,
                base_url=live_server.url,
            )
            context.set_default_timeout(15_000)
            guard.attach(context)
            page = context.new_page()
            console.attach(page)
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
            qr_on_her_screen = page.locator("#booking-qr").screenshot()
        finally:
            browser.close()
        booking = Booking.objects.get()
        assert (booking.status, booking.resident_pays, booking.subsidy) == (
            "confirmed",
            Decimal("0.00"),
            Decimal("15.00"),
        )
        # The market day comes.
        Event.objects.filter(pk=event.pk).update(day=timeutil.local_today())
        connections.close_all()

        # --- the stall's tablet, its camera pointed at her phone
        video = tmp_path / "her-phone.y4m"
        camera_video(video, qr_on_her_screen)
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                *CHROMIUM_ARGS,
                "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream",
                f"--use-file-for-fake-video-capture={video}",
            ],
        )
        try:
            context = browser.new_context(
                viewport=TABLET, locale="zh-CN", timezone_id="Asia/Shanghai", base_url=live_server.url
            )
            context.set_default_timeout(15_000)
            guard.attach(context)
            page = context.new_page()
            console.attach(page)
            from gongzhi.console.tests.test_browser_flow import log_in

            desk_url = reverse("console:market_desk", args=[event.pk])
            log_in(page, w.steward.username, desk_url)
            page.locator("#camera-button").click()
            page.wait_for_url(re.compile(re.escape(desk_url) + r"\?code="))
            card = page.locator("#booking")
            expect(card).to_have_attribute("data-code", booking.code)
            save_screenshot(page, "market-journey-3-scanned")
            page.locator("#check-in-form button[type=submit]").click()
            expect(page.locator(".messages")).to_be_visible()
            save_screenshot(page, "market-journey-4-checked-in")
            served = Booking.objects.get(pk=booking.pk)
            assert (served.status, served.age_checked, served.resident_pays) == ("served", True, Decimal("0.00"))
            connections.close_all()

            # --- the community's accountant reads the ledger
            page.goto(reverse("console:market_event_ledger", args=[event.pk]))
            total = page.locator("#ledger-total")
            expect(total).to_contain_text("15.00")
            expect(page.locator("#ledger")).to_contain_text("阿芳理发店")
            save_screenshot(page, "market-journey-5-ledger")
        finally:
            browser.close()
    guard.assert_clean()
    console.assert_clean()
    connections.close_all()
