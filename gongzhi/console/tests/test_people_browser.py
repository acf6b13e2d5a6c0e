"""A steward from application to their first login in real Chromium (issue 28): the community's staff and the
street's staff each give their word on the application page, the community appoints; the text message's link opens
on the new steward's phone, they set a password, log in and land on their pool of cases.

Screenshots: test-artifacts/screenshots/people-*.png.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from gongzhi.console.tests.test_browser_flow import in_thread, log_in
from gongzhi.core.testing.browser import DESKTOP, PHONE, save_screenshot
from gongzhi.notifications.models import SmsMessage
from gongzhi.volunteers.models import Application
from gongzhi.volunteers.tests.factories import people_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NEW_PASSWORD = "hongse-guanjia-2026"


def _vet(page, url: str, reason: str) -> None:
    page.goto(url)
    page.locator("#vet-form input[name=decision][value=approve]").check()
    page.fill("#vet-form #id_reason", reason)
    page.click("#vet-form button[type=submit]")
    page.wait_for_url(re.compile(re.escape(url) + "$"))


def test_vetted_by_both_sides_appointed_and_activated_on_the_phone(browser_session):
    w = people_world()
    application = w.application(name="刘红梅", phone="13512345678")
    url = reverse("console:people_application", args=[application.pk])

    community = browser_session.new_page(viewport=DESKTOP, locale="zh-CN")
    log_in(community, w.staff.username, url)
    expect(community.locator("#applicant-phone")).to_contain_text("13512345678")
    expect(community.locator("#vet-form")).to_contain_text("社区")
    _vet(community, url, "熟悉小区情况")
    expect(community.locator("#application-status")).to_have_text("一方已同意")
    expect(community.locator("#vet-form")).to_have_count(0)

    street = browser_session.new_page(viewport=DESKTOP, locale="zh-CN")
    log_in(street, w.street_staff.username, url)
    expect(street.locator("#vet-form")).to_contain_text("街道")
    _vet(street, url, "同意")
    expect(street.locator('#vetting-words li[data-level="street"]')).to_contain_text("同意")

    community.goto(url)
    username = community.locator("#appoint-form #id_username").input_value()
    assert re.fullmatch(r"gj\d{4}", username), username
    save_screenshot(community, "people-1-application-approved")
    community.click("#appoint-form button[type=submit]")
    community.wait_for_url(re.compile(r"/console/people/stewards/\d+/$"))
    expect(community.locator("#steward-status")).to_have_text("在岗")
    save_screenshot(community, "people-2-steward-appointed")

    texts: list[str] = []
    in_thread(lambda: texts.extend(SmsMessage.objects.values_list("body", flat=True)))
    assert len(texts) == 1 and username in texts[0]
    link = re.search(r"https?://\S+", texts[0]).group(0)

    phone = browser_session.new_page(viewport=PHONE, locale="zh-CN", has_touch=True)
    phone.goto(urlsplit(link).path)
    expect(phone.locator("#activate-username")).to_have_text(username)
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    button = phone.locator("form.stack button[type=submit]")
    box = button.bounding_box()
    assert box is not None and box["height"] >= 44, box
    save_screenshot(phone, "people-3-activate-on-the-phone")
    phone.fill("#id_new_password1", NEW_PASSWORD)
    phone.fill("#id_new_password2", NEW_PASSWORD)
    button.click()
    phone.wait_for_url(re.compile(re.escape(reverse("accounts:login")) + "$"))
    phone.fill("#id_username", username)
    phone.fill("#id_password", NEW_PASSWORD)
    phone.click("form.stack button[type=submit]")
    phone.wait_for_url(re.compile(re.escape(reverse("console:tasks")) + "$"))
    save_screenshot(phone, "people-4-steward-pool")

    statuses: list[str] = []
    in_thread(lambda: statuses.extend(Application.objects.values_list("status", flat=True)))
    assert statuses == ["appointed"]
    browser_session.assert_clean()
