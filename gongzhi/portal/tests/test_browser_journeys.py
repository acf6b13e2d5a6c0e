"""Journeys in real Chromium, on a phone and on a desktop (issue 24, items 4 and 8):

- a resident logs in with their mobile number and the code from the text message, reports from the building's QR
  page without typing the number (it is filled in), once more with the field emptied and once with another contact
  number, and finds all three in 我的诉求;
- ``/`` is the resident home with a quiet 工作人员登录 link; staff log in through it and ``/`` then takes them on to
  their console.

Screenshots: test-artifacts/screenshots/portal-journey-*.png.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from gongzhi.cases.models import Case
from gongzhi.core import crypto
from gongzhi.core.testing.browser import DESKTOP, PHONE, page_width, save_screenshot
from gongzhi.notifications import backends
from gongzhi.portal.tests.test_browser import orm_between_pages  # noqa: F401 - a fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NUMBER = "13812345678"
VIEWPORTS = {"phone": PHONE, "desktop": DESKTOP}


def open_page(session, device: str):
    if device == "phone":
        return session.new_page(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    return session.new_page(viewport=DESKTOP, locale="zh-CN")


def shot(page, device: str, name: str) -> None:
    print(f"screenshot: {save_screenshot(page, f'portal-journey-{device}-{name}')}")


def assert_fits(page, device: str) -> None:
    width = page_width(page)
    assert width <= VIEWPORTS[device]["width"], f"{width}px wide on a {VIEWPORTS[device]['width']}px screen"


def code_sent_to(number: str) -> str:
    message = next(m for m in reversed(backends.outbox) if m.phone == number)
    return re.search(r"\b(\d{6})\b", message.body).group(1)


def send_report(page, w, description: str) -> str:
    page.fill("#id_description", description)
    page.click("#report-form button[type=submit]")
    page.wait_for_url(re.compile(r"/r/t/[0-9A-Z]+/$"))
    return page.locator("#tracking-code").inner_text().strip()


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_a_resident_logged_in_by_phone_finds_every_report_in_my_requests(
    browser_session,
    w,
    device,
    orm_between_pages,  # noqa: F811
):
    page = open_page(browser_session, device)
    page.goto(reverse("portal:home"))
    page.click("a.action[href='/r/mine/']")
    page.wait_for_url(re.compile(r"/r/login/"))
    page.fill("#id_phone", NUMBER)
    page.click("#phone-form button[type=submit]")
    expect(page.locator("#code-sent")).to_be_visible()
    page.fill("#code-form #id_code", code_sent_to(NUMBER))
    shot(page, device, "4-1-code")
    page.click("#code-form button[type=submit]")
    page.wait_for_url(re.compile(r"/r/mine/$"))
    expect(page.locator("#my-cases")).to_have_count(0)

    # The QR page: the number is already there; the resident does not type it.
    page.goto(reverse("portal:scan", args=[w.building.public_token]))
    expect(page.locator("#id_phone")).to_have_value(NUMBER)
    expect(page.locator("#logged-in-note")).to_contain_text("138****5678")
    page.fill("#id_description", "三楼楼道的灯坏了，晚上很黑")
    assert_fits(page, device)
    shot(page, device, "4-2-report-filled-in")
    first = send_report(page, w, "三楼楼道的灯坏了，晚上很黑")
    expect(page.locator("#sent")).to_be_visible()

    # Emptied field: the verified number is used all the same.
    page.goto(reverse("portal:scan", args=[w.building.public_token]))
    page.fill("#id_phone", "")
    second = send_report(page, w, "单元门的门禁坏了")
    # Another contact number (a neighbour's, say): still the resident's own request.
    page.goto(reverse("portal:scan", args=[w.building.public_token]))
    page.fill("#id_phone", "13900001234")
    third = send_report(page, w, "帮邻居报：楼下有人飞线充电")

    page.goto(reverse("portal:mine"))
    for code in (first, second, third):
        expect(page.locator("#my-cases")).to_contain_text(code)
    expect(page.locator("#my-cases li")).to_have_count(3)
    assert_fits(page, device)
    shot(page, device, "4-3-my-requests")

    cases = {c.tracking_code: c for c in Case.objects.all()}
    assert cases[first].reporter_phone == cases[second].reporter_phone == NUMBER
    assert cases[third].reporter_phone == "13900001234"
    assert {c.reporter_login_index for c in cases.values()} == {crypto.blind_index(NUMBER)}
    browser_session.assert_clean()


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_the_site_opens_on_the_resident_home_and_staff_find_their_way_in(
    browser_session,
    w,
    device,
    orm_between_pages,  # noqa: F811
):
    w.dispatcher.set_password("a-long-enough-password")
    w.dispatcher.save()
    username = w.dispatcher.username
    page = open_page(browser_session, device)
    page.goto("/")
    page.wait_for_url(re.compile(r"/r/$"))
    expect(page.locator("h1")).to_have_text("便民服务")
    expect(page.locator("#staff-login")).to_have_text("工作人员登录")
    assert_fits(page, device)
    shot(page, device, "8-1-home")

    page.click("#staff-login")
    page.wait_for_url(re.compile(r"/accounts/login/"))
    page.fill("#id_username", username)
    page.fill("#id_password", "a-long-enough-password")
    shot(page, device, "8-2-staff-login")
    page.click(".login-card button[type=submit]")
    page.wait_for_url(re.compile(r"/console/"))
    page.goto("/")
    page.wait_for_url(re.compile(r"/console/"))
    assert "/r/" not in page.url
    shot(page, device, "8-3-staff-console")
    browser_session.assert_clean()
