"""A request whose database is busy or out of reach — in the view or when its session is saved — answers 503 with
Retry-After and a page that needs no database, never a 500 (the interfaces' own answers are checked in their tests:
portal, api, open311). The error SQLite's write turn raises after its wait is one of those."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import InterfaceError, OperationalError, ProgrammingError
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import translation

from gongzhi.core.middleware import ServiceUnavailableMiddleware, SessionMiddleware, answer_stands, unavailable

LOCKED = OperationalError("database is locked: another connection kept the write turn for 20 s")


def _answer(request, exc):
    def view(request):  # pragma: no cover - process_exception is called for a view that raised
        raise exc

    return ServiceUnavailableMiddleware(view).process_exception(request, exc)


@pytest.mark.django_db  # only to count the queries the page makes: none
def test_a_page_the_database_is_too_busy_for_is_a_503_that_can_be_asked_again(django_assert_num_queries):
    request = RequestFactory().get("/r/t/ABCDEF2345/?x=1")
    with translation.override("en"), django_assert_num_queries(0):
        response = _answer(request, LOCKED)

    page = response.content.decode()
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert "Busy right now" in page and "Please try again in 5 seconds" in page
    assert 'href="/r/t/ABCDEF2345/?x=1"' in page


def test_a_form_sent_while_the_connection_is_lost_is_told_to_go_back():
    request = RequestFactory().post("/console/cases/7/accept/", {"x": "1"})
    with translation.override("en"):
        response = _answer(request, InterfaceError("connection already closed"))

    page = response.content.decode()
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert "back button" in page and "Try again" not in page


def test_chinese_by_default():
    with translation.override(settings.LANGUAGE_CODE):
        response = _answer(RequestFactory().get("/"), LOCKED)
    assert "系统繁忙" in response.content.decode() and "请 5 秒后再试" in response.content.decode()


def test_faults_of_the_code_or_the_request_are_left_alone():
    assert _answer(RequestFactory().get("/"), ProgrammingError("no such column")) is None
    assert _answer(RequestFactory().get("/"), ValueError("x")) is None
    assert not unavailable(ProgrammingError("no such column"))


def _session_saved_with(exc):
    """A view that signs something into the session and answers 200, whose session then fails to save with ``exc``."""

    def view(request):
        request.session["portal_codes"] = ["ABCDEF2345"]

        def save(*args, **kwargs):
            raise exc

        request.session.save = save
        return HttpResponse("saved?")

    request = RequestFactory().get("/r/t/ABCDEF2345/")
    middleware = SessionMiddleware(view)
    middleware.process_request(request)
    return middleware.process_response(request, view(request))


def test_a_session_the_database_is_too_busy_to_save_is_the_same_503():
    with translation.override("en"):
        response = _session_saved_with(LOCKED)
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert "Busy right now" in response.content.decode() and "sessionid" not in response.cookies


def test_other_session_failures_are_left_to_django():
    with pytest.raises(ProgrammingError):
        _session_saved_with(ProgrammingError("no such table: django_session"))


def test_every_request_goes_through_them():
    assert "gongzhi.core.middleware.ServiceUnavailableMiddleware" in settings.MIDDLEWARE
    assert "gongzhi.core.middleware.SessionMiddleware" in settings.MIDDLEWARE
    assert "django.contrib.sessions.middleware.SessionMiddleware" not in settings.MIDDLEWARE


def test_the_write_turns_timeout_is_recognised_as_busy(databases):
    a, quick = databases["default"], databases["quick"]
    a.cursor().execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(OperationalError) as waited:
            quick.cursor().execute("INSERT INTO item (who) VALUES (%s)", ["quick"])
    finally:
        a.rollback()
    assert unavailable(waited.value)


def test_a_view_whose_answer_stands_keeps_it_when_the_session_cannot_be_saved():
    """Its writes committed (a filed report): a 503 would say nothing was saved and have it sent twice."""

    def view(request):
        answer_stands(request)
        request.session["portal_codes"] = ["ABCDEF2345"]

        def save(*args, **kwargs):
            raise InterfaceError("connection already closed")

        request.session.save = save
        return HttpResponse("filed", status=302, headers={"Location": "/r/t/ABCDEF2345/"})

    request = RequestFactory().post("/r/report/")
    middleware = SessionMiddleware(view)
    middleware.process_request(request)
    response = middleware.process_response(request, view(request))
    assert response.status_code == 302 and response["Location"] == "/r/t/ABCDEF2345/"
    assert "sessionid" not in response.cookies  # the session was not saved, and no cookie claims it was


@pytest.mark.django_db
def test_the_database_out_of_reach_when_a_session_is_updated_is_not_django_s_deleted_session(monkeypatch):
    """Django's store reads any database error of the UPDATE as "deleted meanwhile" (its middleware answers 400):
    PostgreSQL restarting is the OperationalError it is, for the 503."""
    from django.contrib.sessions.backends.base import UpdateError
    from django.contrib.sessions.models import Session

    from gongzhi.core.sessions import SessionStore

    store = SessionStore()
    store["portal_codes"] = ["ABCDEF2345"]
    store.create()
    store["portal_codes"] = ["ABCDEF2345", "GHJKLM6789"]

    def gone(*args, **kwargs):
        raise OperationalError("terminating connection due to administrator command")

    with monkeypatch.context() as patch:
        patch.setattr(Session, "save", gone)
        with pytest.raises(OperationalError):
            store.save()
    Session.objects.filter(session_key=store.session_key).delete()
    with pytest.raises(UpdateError):  # a session really deleted meanwhile is still Django's case
        store.save()


@pytest.mark.django_db(transaction=True)
def test_a_connection_postgresql_dropped_is_replaced_by_the_next_request_s_prepared_statement():
    """After PostgreSQL restarted, the first statement of the next request — a prepared one (core.prepared) as much
    as an ORM one — finds the persistent connection dead by the health check and opens a new one, instead of failing
    once more (a 503 after the database was back)."""
    from django.db import connection

    from gongzhi.core import prepared

    if connection.vendor != "postgresql":
        pytest.skip("a server that drops connections: PostgreSQL")
    if not connection.health_check_enabled:
        pytest.skip("CONN_HEALTH_CHECKS is off in these settings")
    assert prepared.fetch("SELECT 1", []) == [(1,)]
    pid = connection.connection.info.backend_pid
    _terminate(connection, pid)
    connection.health_check_done = False  # as at the start of the next request (close_if_unusable_or_obsolete)

    assert prepared.fetch("SELECT 1", []) == [(1,)]
    assert connection.connection.info.backend_pid != pid


def _terminate(connection, pid: int) -> None:
    killer = connection.copy(alias="killer")
    try:
        with killer.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        killer.close()
