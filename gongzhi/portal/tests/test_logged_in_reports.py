"""A resident logged in by phone loses no report (issue 24, item 4): the form fills their verified number in, a report
sent with the field left empty carries it, and every report sent while logged in is in "my requests" — also one sent
with another contact number (the case keeps the login's number, encrypted, with its blind index)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from gongzhi.cases.models import Case
from gongzhi.core import crypto
from gongzhi.portal import phone_login, selectors
from gongzhi.portal.tests.test_phone_login import PHONE, ask_code
from gongzhi.portal.tests.test_report import scan_url

pytestmark = pytest.mark.django_db
OTHER = "13900001234"


@pytest.fixture
def en(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def logged_in(en, w, django_capture_on_commit_callbacks):
    code = ask_code(en, PHONE, django_capture_on_commit_callbacks)
    assert en.post(reverse("portal:login"), {"phone": PHONE, "code": code}).status_code == 302
    return en


def mine(client) -> str:
    return client.get(reverse("portal:mine")).content.decode()


def test_the_form_fills_in_the_verified_number(logged_in, w):
    html = logged_in.get(scan_url(w)).content.decode()
    assert f'value="{PHONE}"' in html
    assert 'id="logged-in-note"' in html and "138****5678" in html


def test_the_number_is_kept_encrypted_in_the_session(logged_in):
    login = logged_in.session[phone_login.SESSION_KEY]
    assert PHONE not in str(login)
    assert crypto.decrypt(login["number"]) == PHONE and login["index"] == crypto.blind_index(PHONE)


def test_a_report_without_the_number_retyped_carries_it_and_is_mine(logged_in, w):
    response = logged_in.post(scan_url(w), {"description": "楼道灯坏了三天", "phone": ""})
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.reporter_phone == PHONE and case.reporter_phone_index == crypto.blind_index(PHONE)
    assert case.reporter_login_phone == PHONE and case.reporter_login_index == crypto.blind_index(PHONE)
    assert case.tracking_code in mine(logged_in)


def test_a_report_with_another_contact_number_is_mine_too(logged_in, w):
    assert logged_in.post(scan_url(w), {"description": "帮邻居报的：单元门坏了", "phone": OTHER}).status_code == 302
    case = Case.objects.get()
    assert case.reporter_phone == OTHER  # texts go to the number they gave
    assert case.reporter_login_index == crypto.blind_index(PHONE)
    assert case.tracking_code in mine(logged_in)
    # The logged-in reporter may rate it; so may whoever logs in with the contact number.
    html = logged_in.get(reverse("portal:track", args=[case.tracking_code])).content.decode()
    assert "Only the person who reported it" not in html


def test_not_logged_in_nothing_is_filled_in_or_linked(en, w):
    html = en.get(scan_url(w)).content.decode()
    assert 'id="logged-in-note"' not in html and PHONE not in html
    assert en.post(scan_url(w), {"description": "楼道灯坏了三天"}).status_code == 302
    case = Case.objects.get()
    assert (case.reporter_phone, case.reporter_login_phone, case.reporter_login_index) == ("", "", None)


def test_someone_elses_reports_stay_out_of_my_requests(logged_in, w, client):
    other = w.submit(reporter_phone=OTHER, title="别人的诉求")
    assert other.tracking_code not in mine(logged_in)


def test_a_login_from_before_the_number_was_kept_is_asked_to_log_in_again(logged_in, w):
    session = logged_in.session
    login = session[phone_login.SESSION_KEY]
    del login["number"]
    session[phone_login.SESSION_KEY] = login
    session.save()
    assert logged_in.get(reverse("portal:mine")).status_code == 302  # to the login page
    html = logged_in.get(scan_url(w)).content.decode()
    assert PHONE not in html and 'id="logged-in-note"' not in html


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's query plans (EXPLAIN QUERY PLAN)")
def test_my_requests_are_found_by_index(w):
    sql, params = selectors.cases_of_phone(crypto.blind_index(PHONE)).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "case_reporter_login" in plan and "reporter_phone_index" in plan, plan
    assert "SCAN cases_case" not in plan, plan
