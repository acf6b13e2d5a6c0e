"""In Chromium, as staff would meet them: the paused login on a phone (console) and a desktop (admin), the 400 page
for a tampered address, and the admin in Chinese (its "Filter by …" and the task queue's name)."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import make_password
from django.urls import reverse

from gongzhi.cases.tests.factories import world
from gongzhi.core.testing import browser as browser_helpers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}
PASSWORD = "a-real-staff-password"


@pytest.fixture
def staff(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.GONGZHI_LOGIN_RATE_LIMIT = (3, 600)
    settings.GONGZHI_LOGIN_ACCOUNT_RATE_LIMIT = (5, 600)
    w = world()
    w.centre.password = make_password(PASSWORD)
    w.centre.is_staff = w.centre.is_superuser = True
    w.centre.save()
    return w


def _forget_intended(session, status: int) -> None:
    """The browser logs an answer of ``status`` the test meant to provoke as a failed load; exactly one, and nothing
    else may be logged."""
    intended = [e for e in session.console.errors if f"status of {status}" in e]
    assert len(intended) == 1, session.console.errors
    session.console.errors.remove(intended[0])


def _try(page, username: str, password: str) -> None:
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    # The login form's own button (the page's language switch is a form button too).
    with page.expect_navigation():
        page.click("form.stack button[type=submit], #login-form [type=submit]")


def test_a_paused_login_on_a_phone_says_why_and_for_how_long(browser_session, staff):
    page = browser_session.new_page(viewport=PHONE)
    page.goto(reverse("accounts:login"))
    for _ in range(3):
        _try(page, staff.centre.username, "wrong-password")
        assert "用户名或密码不正确" in page.inner_text("#login-error")
    _try(page, staff.centre.username, PASSWORD)  # the right one, during the pause
    message = page.inner_text("#login-error")
    assert "登录失败次数过多" in message and "分钟后再试" in message
    assert "/accounts/login/" in page.url  # not let in
    assert browser_helpers.page_width(page) <= PHONE["width"]
    browser_helpers.save_screenshot(page, "security-login-paused-phone")
    _forget_intended(browser_session, 429)
    browser_session.assert_clean()


def test_a_paused_admin_login_on_a_desktop(browser_session, staff):
    page = browser_session.new_page()
    page.goto("/admin/login/")
    for _ in range(3):
        _try(page, staff.centre.username, "wrong-password")
    _try(page, staff.centre.username, PASSWORD)
    assert "登录失败次数过多" in page.inner_text("#content")
    assert "/admin/login/" in page.url
    browser_helpers.save_screenshot(page, "security-admin-login-paused-desktop")
    _forget_intended(browser_session, 429)
    browser_session.assert_clean()


def test_the_400_page_and_the_admin_in_chinese(browser_session, staff):
    staff.submit()
    page = browser_session.new_page(viewport=PHONE)
    page.goto(reverse("accounts:login"))
    _try(page, staff.centre.username, PASSWORD)
    page.goto(reverse("console:clearance") + "?day=2026-02-30")
    assert "日期须在 2000-01-01 到 2099-12-31 之间" in page.inner_text("#bad-input")
    browser_helpers.save_screenshot(page, "security-400-phone")
    _forget_intended(browser_session, 400)
    page.click("text=重新打开此页")
    assert page.url.endswith(reverse("console:clearance"))
    desktop = browser_session.new_page()
    desktop.goto(reverse("accounts:login"))
    _try(desktop, staff.centre.username, PASSWORD)
    desktop.goto(reverse("admin:index"))
    assert "后台任务" in desktop.inner_text("#content")
    desktop.goto(reverse("admin:cases_case_changelist"))
    assert "Filter by" not in desktop.content() and "筛选" in desktop.inner_text("#content")
    browser_helpers.save_screenshot(desktop, "security-admin-cases-zh")
    browser_session.assert_clean()
