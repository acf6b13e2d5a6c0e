"""Security headers across the interfaces: Cache-Control no-store on every private answer (and only there), HSTS
and the proxy's HTTPS header, and how long sessions last."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse
from django.utils import timezone

from gongzhi.accounts.tests.factories import PASSWORD
from gongzhi.api.tests.factories import bearer, partner
from gongzhi.cases.tests.factories import world
from gongzhi.notifications import backends
from gongzhi.open311 import keys
from gongzhi.portal import phone_login

pytestmark = pytest.mark.django_db
NO_STORE = "private, no-store"


@pytest.fixture(autouse=True)
def _static_root(settings, tmp_path_factory):
    root = tmp_path_factory.getbasetemp() / "static-root"
    root.mkdir(exist_ok=True)
    settings.STATIC_ROOT = root


@pytest.fixture
def w():
    return world()


def no_store(response) -> bool:
    return response.get("Cache-Control") == NO_STORE


# ---------------------------------------------------------------------------------------------- Cache-Control


def test_public_answers_to_visitors_without_a_session_keep_their_caching(client, w):
    for url in ("/jsi18n/", reverse("portal:board_index"), "/open311/v2/services.json", "/open311/v2/discovery.json"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" not in response.get("Cache-Control", ""), url
        assert "sessionid" not in response.cookies, url


def test_every_answer_to_a_logged_in_staff_member_is_no_store(client, w):
    client.force_login(w.centre)
    for url in (
        reverse("console:home"),
        reverse("console:cases"),
        reverse("console:case", args=[w.submit().pk]),
        reverse("console:cases_export"),
        reverse("console:inbox"),
        "/jsi18n/",  # public, but asked with a staff session
        reverse("portal:board_index"),
    ):
        response = client.get(url)
        assert response.status_code in (200, 302), (url, response.status_code)
        assert no_store(response), (url, response.get("Cache-Control"))


def test_the_export_is_no_store(client, w):
    client.force_login(w.centre)
    response = client.get(reverse("console:cases_export"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert no_store(response)


def test_the_login_answer_that_starts_a_session_is_no_store(client, w, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    w.centre.set_password(PASSWORD)
    w.centre.save()
    response = client.post("/accounts/login/", {"username": w.centre.username, "password": PASSWORD})
    assert response.status_code == 302 and "sessionid" in response.cookies
    assert no_store(response)


def resident_login(client, phone, capture) -> object:
    with capture(execute=True):
        client.post(reverse("portal:login"), {"phone": phone})
    code = re.search(r"\b(\d{6})\b", backends.outbox[-1].body).group(1)
    return client.post(reverse("portal:login"), {"phone": phone, "code": code})


def test_a_residents_own_pages_are_no_store(client, w, django_capture_on_commit_callbacks):
    phone = "13812345678"
    w.submit(reporter_phone=phone, title="楼道灯坏了")
    response = resident_login(client, phone, django_capture_on_commit_callbacks)
    assert response.status_code == 302 and no_store(response)
    mine = client.get(reverse("portal:mine"))
    assert mine.status_code == 200 and "楼道灯坏了" in mine.content.decode()
    assert no_store(mine)


def test_exchange_api_answers_are_no_store(client, w):
    _partner, raw = partner(w.jurisdiction)
    response = client.get("/api/v1/me", **bearer(raw))
    assert response.status_code == 200 and no_store(response)
    assert no_store(client.get("/api/v1/me"))  # a refusal too


def test_open311_answers_to_a_key_are_no_store(client, w):
    _row, raw = keys.create_key(name="city app", jurisdiction=None)
    response = client.get("/open311/v2/requests.json", {"api_key": raw})
    assert response.status_code == 200 and no_store(response)
    assert not no_store(client.get("/open311/v2/requests.json"))


def test_static_files_keep_their_caching_even_for_staff(client, w, settings):
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    client.force_login(w.centre)
    response = client.get("/static/css/gongzhi.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


# ------------------------------------------------------------------------------------------------ HTTPS and HSTS


def test_hsts_on_https_answers_only(client, w, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert "Strict-Transport-Security" not in client.get("/jsi18n/")
    secure = client.get("/jsi18n/", HTTP_X_FORWARDED_PROTO="https")
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


def test_without_the_proxy_setting_a_forwarded_proto_header_is_not_believed(client, w, settings):
    settings.SECURE_HSTS_SECONDS = 300
    settings.SECURE_PROXY_SSL_HEADER = None
    assert "Strict-Transport-Security" not in client.get("/jsi18n/", HTTP_X_FORWARDED_PROTO="https")
    assert client.get("/jsi18n/", secure=True)["Strict-Transport-Security"] == "max-age=300"


def test_environment_reaches_django_settings(tmp_path):
    """GONGZHI_* → config.py → settings.py, in a fresh process (settings are read once at start-up)."""
    env = {
        **os.environ,
        "GONGZHI_DATA_DIR": str(tmp_path),
        "GONGZHI_PROXY_SSL_HEADER": "X-Forwarded-Proto",
        "GONGZHI_HSTS_SECONDS": "31536000",
        "GONGZHI_HSTS_INCLUDE_SUBDOMAINS": "true",
        "GONGZHI_HSTS_PRELOAD": "true",
        "GONGZHI_STAFF_SESSION_HOURS": "8",
        "GONGZHI_RESIDENT_SESSION_DAYS": "30",
        "DJANGO_SETTINGS_MODULE": "gongzhi.settings",
    }
    script = (
        "import json, django; django.setup(); from django.conf import settings as s; print(json.dumps(["
        "s.SECURE_PROXY_SSL_HEADER, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD,"
        " s.GONGZHI_STAFF_SESSION_HOURS, s.SESSION_COOKIE_AGE]))"
    )
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == [["HTTP_X_FORWARDED_PROTO", "https"], 31536000, True, True, 8, 30 * 86400]


# ---------------------------------------------------------------------------------------------------- sessions


def test_a_residents_phone_login_lasts_the_resident_days(client, w, settings, django_capture_on_commit_callbacks):
    assert settings.SESSION_COOKIE_AGE == 14 * 86400  # GONGZHI_RESIDENT_SESSION_DAYS's default
    response = resident_login(client, "13812345678", django_capture_on_commit_callbacks)
    assert int(response.cookies["sessionid"]["max-age"]) == 14 * 86400
    assert phone_login.SESSION_KEY in client.session and SESSION_KEY not in client.session


def test_a_staff_session_ends_after_its_hours_even_if_used(client, w, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.GONGZHI_STAFF_SESSION_HOURS = 10
    w.centre.set_password(PASSWORD)
    w.centre.save()
    client.post("/accounts/login/", {"username": w.centre.username, "password": PASSWORD})
    assert client.get(reverse("console:cases")).status_code == 200
    from django.contrib.sessions.models import Session

    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))  # ten hours later
    response = client.get(reverse("console:cases"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
