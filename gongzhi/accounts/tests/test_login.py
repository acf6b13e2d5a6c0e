"""The staff login (console and admin): failed-login limits per client and per account, the demo password outside
demo mode, the staff session's length, and the deploy check for demo passwords."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.urls import reverse
from django.utils import timezone

from gongzhi.accounts import checks, login
from gongzhi.accounts.models import User
from gongzhi.core import timeutil
from gongzhi.core.models import Throttle

pytestmark = pytest.mark.django_db

PASSWORD = "a-real-staff-password"
CONSOLE = "/accounts/login/"
ADMIN = "/admin/login/"


@pytest.fixture(autouse=True)
def _fast_hashes_and_small_limits(settings):
    # PBKDF2 costs about a second per check on a busy machine; these tests log in dozens of times.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.GONGZHI_LOGIN_RATE_LIMIT = (3, 600)
    settings.GONGZHI_LOGIN_ACCOUNT_RATE_LIMIT = (5, 600)
    settings.GONGZHI_DEMO = False


@pytest.fixture
def staff():
    return User.objects.create(
        username="sq01", password=make_password(PASSWORD), is_staff=True, is_superuser=True, display_name="社区"
    )


@pytest.fixture
def en(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def attempt(client, password, *, username="sq01", address="198.51.100.7", url=CONSOLE):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


def logged_in(client) -> bool:
    return SESSION_KEY in client.session


@pytest.mark.parametrize("url", [CONSOLE, ADMIN])
def test_after_too_many_failures_from_one_client_even_the_right_password_is_refused(en, staff, url):
    for _ in range(3):
        response = attempt(en, "wrong-password", url=url)
        assert response.status_code == 200 and not logged_in(en)
    response = attempt(en, PASSWORD, url=url)
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 600
    assert "Too many failed logins for this account or from this address" in response.content.decode()
    assert not logged_in(en)
    # The refusal took no slot: the counters stand where the three failures left them.
    assert Throttle.objects.get(scope=login.CLIENT_SCOPE).count == 3
    assert Throttle.objects.get(scope=login.ACCOUNT_SCOPE).count == 3


def test_one_client_alone_cannot_lock_a_real_user_out(en, client, staff):
    """The account's limit is higher than the client's: an attacker's address is stopped first."""
    for _ in range(10):
        attempt(en, "guess", address="203.0.113.66")
    assert Throttle.objects.get(scope=login.ACCOUNT_SCOPE).count == 3
    response = attempt(client, PASSWORD, address="10.0.0.8")
    assert response.status_code == 302 and logged_in(client)


def test_failures_from_many_addresses_pause_the_account_for_one_window_only(en, client, staff, monkeypatch):
    start = timezone.now()
    monkeypatch.setattr(timeutil, "now", lambda: start)
    for i in range(5):
        attempt(en, "guess", address=f"203.0.113.{i}")
    response = attempt(client, PASSWORD, address="10.0.0.8")  # a fresh address, the right password: the account
    assert response.status_code == 429 and not logged_in(client)
    # A fixed window: when it ends the real user logs in, however many tried.
    monkeypatch.setattr(timeutil, "now", lambda: start + timedelta(seconds=600))
    response = attempt(client, PASSWORD, address="10.0.0.8")
    assert response.status_code == 302 and logged_in(client)


def test_right_passwords_do_not_count_and_give_back_their_slot(client, staff):
    for _ in range(8):  # more than either limit
        assert attempt(client, PASSWORD).status_code == 302
        client.logout()
    assert set(Throttle.objects.values_list("count", flat=True)) == {0}


def test_unknown_names_count_and_the_name_is_case_folded(en, staff):
    for name in ("nobody", "NoBody", "NOBODY"):
        attempt(en, "guess", username=name, address=f"198.51.100.{len(name) + ord(name[1])}")
    assert sorted(Throttle.objects.filter(scope=login.ACCOUNT_SCOPE).values_list("count", flat=True)) == [3]


def test_the_pause_is_said_in_chinese(client, staff):
    for _ in range(3):
        attempt(client, "wrong-password")
    response = attempt(client, PASSWORD)
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()


def test_the_table_holds_no_address_or_user_name(en, staff):
    attempt(en, "guess", address="198.51.100.7")
    keys = " ".join(Throttle.objects.values_list("key", flat=True))
    assert "198.51.100.7" not in keys and "sq01" not in keys


# -------------------------------------------------------------------------------------------------- demo password


@pytest.mark.parametrize("url", [CONSOLE, ADMIN])
def test_the_demo_password_is_refused_outside_demo_mode(en, settings, url):
    settings.GONGZHI_DEMO_PASSWORD = "district-demo-pw"
    for password in ("district-demo-pw", "gongzhi-demo"):  # the configured one and the built-in default
        User.objects.create(username=f"demo-{password}", password=make_password(password), is_staff=True)
        response = attempt(en, password, username=f"demo-{password}", url=url)
        assert response.status_code == 200 and not logged_in(en)
        assert "This is the demo password, and this site is not a demo" in response.content.decode()
    # Each counted as a failed attempt from this client.
    assert Throttle.objects.get(scope=login.CLIENT_SCOPE).count == 2


def test_the_demo_password_logs_in_in_demo_mode(client, settings):
    settings.GONGZHI_DEMO = True
    User.objects.create(username="jd01", password=make_password("gongzhi-demo"))
    response = attempt(client, "gongzhi-demo", username="jd01")
    assert response.status_code == 302 and logged_in(client)


def test_deploy_check_lists_active_accounts_sharing_the_demo_hash(settings):
    demo_hash = make_password("gongzhi-demo")  # gongzhi demo gives every user one hash
    for name in ("gj0001", "gj0002", "wg001"):
        User.objects.create(username=name, password=demo_hash)
    User.objects.create(username="gone", password=demo_hash, is_active=False)
    User.objects.create(username="admin", password=make_password("gongzhi-demo"), is_superuser=True)
    User.objects.create(username="real", password=make_password("a-password-of-her-own"), is_staff=True)
    assert checks.accounts_with_demo_password() == ["admin", "gj0001", "gj0002", "wg001"]
    [error] = checks.check_demo_password()
    assert error.id == "accounts.E001" and "4 active account(s)" in error.msg and "gj0001" in error.msg
    with pytest.raises(SystemCheckError, match=r"accounts\.E001"):
        call_command("check", "--deploy")
    settings.GONGZHI_DEMO = True
    assert [m.id for m in checks.check_demo_password()] == ["accounts.W001"]


def test_deploy_check_is_quiet_when_no_account_has_it():
    User.objects.create(username="real", password=make_password("a-password-of-her-own"), is_superuser=True)
    User.objects.create(username="a", password=make_password("shared-but-not-demo"))
    assert checks.check_demo_password() == []


# ------------------------------------------------------------------------------------------------ session length


@pytest.mark.parametrize("url", [CONSOLE, ADMIN])
def test_a_staff_session_lasts_the_configured_hours_from_login(client, staff, settings, url):
    settings.GONGZHI_STAFF_SESSION_HOURS = 8
    before = timezone.now()
    response = attempt(client, PASSWORD, url=url)
    assert response.status_code == 302
    expires = client.session.get_expiry_date()
    assert before + timedelta(hours=8) <= expires <= timezone.now() + timedelta(hours=8)
    cookie = response.cookies["sessionid"]
    assert 8 * 3600 - 60 <= int(cookie["max-age"]) <= 8 * 3600
    # The session is gone from the database after that.
    from django.contrib.sessions.models import Session

    assert Session.objects.get(session_key=client.session.session_key).expire_date == expires


def test_login_page_names_no_reason_for_an_ordinary_failure(en, staff):
    response = attempt(en, "wrong-password")
    assert "The user name or password is not right" in response.content.decode()
    assert reverse("accounts:login") == CONSOLE
