"""No open redirect: every place that follows a ``next`` address from the request stays on this site."""

from __future__ import annotations

import html
import re

import pytest
from django.contrib.auth.hashers import make_password
from django.test import RequestFactory
from django.urls import reverse

from gongzhi.cases import services
from gongzhi.cases.models import CoHandlingTask
from gongzhi.cases.tests.factories import world
from gongzhi.core.redirects import safe_next
from gongzhi.notifications.models import Notification

EVIL = [
    "https://evil.example/",
    "//evil.example/path",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "http:/evil.example",
    "https:evil.example",
    "javascript:alert(1)",
    " //evil.example",
    "\x01//evil.example",
    "http://testserver@evil.example/",
]
GOOD = ["/console/cases/", "/r/mine/?page=2", "http://testserver/console/"]


@pytest.mark.parametrize("target", EVIL)
def test_safe_next_refuses_other_sites(target):
    for request in (RequestFactory().post("/x", {"next": target}), RequestFactory().get("/x", {"next": target})):
        assert safe_next(request, "/fallback/") == "/fallback/"


@pytest.mark.parametrize("target", GOOD)
def test_safe_next_follows_this_site(target):
    assert safe_next(RequestFactory().post("/x", {"next": target}), "/fallback/") == target


def test_safe_next_over_https_refuses_plain_http_of_this_host():
    request = RequestFactory().post("/x", {"next": "http://testserver/console/"}, secure=True)
    assert safe_next(request, "/fallback/") == "/fallback/"


@pytest.fixture
def w(db):
    return world()


def _offsite(response) -> bool:
    location = response.get("Location", "")
    return "evil.example" in location or location.startswith(("//", "/\\", "javascript"))


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example"])
def test_report_in_does_not_follow_another_site(client, w, target):
    """Before: a department's report-in redirected to whatever ``next`` said (console/case_views.py)."""
    case = services.triage(case=w.submit(), actor=w.dispatcher, category=w.category, level="street")
    services.whistle(case=case, actor=w.street_staff, departments=[w.department], task="协同清理")
    task = CoHandlingTask.objects.get(case=case)
    client.force_login(w.dept_staff)
    response = client.post(reverse("console:report_in", args=[task.pk]), {"report": "已到场", "next": target})
    assert response.status_code == 302 and response["Location"] == reverse("console:department")
    task.refresh_from_db()
    assert task.status == "reported"  # the report itself went in
    # A page of this site is followed.
    response = client.post(
        reverse("console:report_in", args=[task.pk]), {"report": "再次", "next": f"/console/cases/{case.pk}/"}
    )
    assert response["Location"] == f"/console/cases/{case.pk}/"


@pytest.mark.parametrize("target", EVIL[:4])
def test_every_next_in_the_site_stays_on_it(client, w, settings, target):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    w.centre.password = make_password("a-real-password")
    w.centre.save()
    # Resident pages: the large-text switch and the phone login page.
    assert not _offsite(client.post(reverse("portal:display"), {"large": "1", "next": target}))
    page = client.get(reverse("portal:login"), {"next": target}).content.decode()
    nexts = [html.unescape(v) for v in re.findall(r'name="next" value="([^"]*)"', page)]
    assert nexts and all(v.startswith("/r/") for v in nexts), nexts  # this page's own address, never the target
    # The language switch (Django's view).
    assert not _offsite(client.post("/i18n/setlang/", {"language": "en", "next": target}))
    # Staff login, console and admin (Django's views with our forms).
    response = client.post(
        "/accounts/login/?next=" + target, {"username": w.centre.username, "password": "a-real-password"}
    )
    assert response.status_code == 302 and not _offsite(response)
    # The inbox's "open" button.
    Notification.objects.create(recipient=w.centre, kind="test", title="t")
    assert not _offsite(client.post(reverse("console:inbox_read"), {"next": target}))
    client.logout()
    w.centre.is_staff = True
    w.centre.save()
    response = client.post(
        "/admin/login/?next=" + target, {"username": w.centre.username, "password": "a-real-password"}
    )
    assert response.status_code == 302 and not _offsite(response)
