"""``/`` is the residents' front door (issue 24, item 8): anyone lands on the resident home, which has a quiet way in
for staff; someone signed in with a staff account goes on to their console."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_a_resident_opening_the_site_lands_on_the_resident_home(client, w):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == reverse("portal:home")
    assert "Cookie" in response["Vary"]  # a cache must not give a resident the staff's answer
    home = client.get(response["Location"])
    assert home.status_code == 200
    html = home.content.decode()
    assert f'href="{reverse("accounts:login")}" id="staff-login"' in html and "工作人员登录" in html


def test_a_resident_logged_in_by_phone_stays_on_the_resident_side(client, w):
    session = client.session
    session["portal_phone"] = {"index": "x" * 32, "masked": "138****5678", "number": "token"}
    session.save()
    assert client.get("/")["Location"] == reverse("portal:home")


def test_signed_in_staff_go_on_to_their_console(client, w):
    client.force_login(w.dispatcher)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == reverse("console:home")


def test_every_resident_page_has_the_staff_door(client, w):
    for url in (reverse("portal:home"), reverse("portal:track_lookup"), reverse("portal:login")):
        assert 'id="staff-login"' in client.get(url).content.decode(), url


def test_the_root_answers_only_get(client, w):
    assert client.post("/").status_code == 405
