"""Request checks every page needs before any view runs, and the headers private answers need."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.contrib.sessions import middleware as sessions
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from gongzhi.core import photos

log = logging.getLogger(__name__)

# Seconds a client is asked to wait (Retry-After) when the database is busy or out of reach.
RETRY_AFTER_S = 5

# The exchange APIs refuse NUL characters themselves, in their own documented error formats (Open311's error list,
# the REST API's 422 body), so they are left to it.
OWN_ERROR_FORMATS = ("/api/", "/open311/")


class RefuseNulMiddleware:
    """A NUL character in the address (path or query) is refused with a 400: PostgreSQL can neither store nor compare
    text containing one, so letting it reach a query would fail with a server error. (Form fields refuse it through
    Django's own validator.)"""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if ("\x00" in request.path_info or "%00" in request.META.get("QUERY_STRING", "")) and not (
            request.path_info.startswith(OWN_ERROR_FORMATS)
        ):
            return HttpResponseBadRequest(
                _("The address contains a NUL character, which is not allowed."),
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)


class PrivateNoStoreMiddleware:
    """``Cache-Control: private, no-store`` on every answer that may be one person's: nothing of it is kept by the
    browser's cache (a shared computer at a service point) or by a proxy. Private means: the request carries a
    session (a staff login, a resident's phone login, the reports this browser sent) or the answer starts one; an
    exchange API answer (``/api/``: tokens); an Open311 answer to a key (``api_key``: it sees its own requests in
    full) or to a POST; a download (``Content-Disposition: attachment``: exports, reports). Answers to visitors
    without a session — the public pages, the board, Open311's public lists — keep their caching, and static files
    never get here (WhiteNoise answers them before this middleware). Outside SessionMiddleware, so it sees the
    session cookie a login sets."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if private(request, response):
            response.headers["Cache-Control"] = "private, no-store"
            response.headers.pop("Expires", None)
        return response


def private(request: HttpRequest, response: HttpResponse) -> bool:
    cookie = settings.SESSION_COOKIE_NAME
    path = request.path_info
    return (
        cookie in request.COOKIES
        or cookie in response.cookies
        or path.startswith("/api/")
        or (path.startswith("/open311/") and (request.method == "POST" or "api_key" in request.GET))
        or response.get("Content-Disposition", "").lower().startswith("attachment")
    )


def unavailable(exc: BaseException) -> bool:
    """The database could not do the work just now — a write lock kept longer than the wait allows ("database is
    locked": SQLite's write turn, held by a large import), a lock or statement timeout, the server out of reach — as
    opposed to a fault in the request or in the code. The transaction that failed was rolled back. Asking again later
    is the right answer (503 with Retry-After), not a server error (500)."""
    return isinstance(exc, OperationalError | InterfaceError)


class ServiceUnavailableMiddleware:
    """A view that fails because the database is busy or out of reach answers 503 with Retry-After and a page that
    says so (the resident's report form keeps what was typed itself, portal.views). The exchange APIs answer in their
    own error formats before it (api.api, open311.views); whatever escapes them still gets this 503, not a 500."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if isinstance(exc, photos.StorageFull):
            return storage_full_page(request, exc)
        return busy_page(request, exc) if unavailable(exc) else None


class SessionMiddleware(sessions.SessionMiddleware):
    """Django's, except that a session the database is too busy to save (after a view that changed it: a sign-in, a
    remembered tracking code) is the same 503, not a 500: the view's answer never reached the visitor — unless the view
    said its answer stands (``answer_stands``: its writes committed, and a 503 would invite sending them twice)."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        try:
            return super().process_response(request, response)
        except Exception as exc:
            if not unavailable(exc):
                raise
            if getattr(request, _ANSWER_STANDS, False):
                log.warning(
                    "%s %s: the session was not saved (%s); the answer stands", request.method, request.path, exc
                )
                return response
            return busy_page(request, exc)


_ANSWER_STANDS = "_gongzhi_answer_stands"


def answer_stands(request: HttpRequest) -> None:
    """The view's writes have committed (a resident's report was filed): should its session then fail to save (the
    database gone away in between), its answer goes out all the same, without the session's changes. The 503 would
    say that nothing was saved, and the report would be sent twice."""
    setattr(request, _ANSWER_STANDS, True)


def storage_full_page(request: HttpRequest, exc: photos.StorageFull) -> HttpResponse:
    """507 with the reason and Retry-After, for a view that let ``core.photos.StorageFull`` through: its transaction
    was rolled back and no photo of the request was kept."""
    log.error("%s %s: %s", request.method, request.path, exc)
    page = render_to_string("507.html", {"message": exc.message})
    response = HttpResponse(page, status=exc.status)
    response["Retry-After"] = str(RETRY_AFTER_S)
    return response


def busy_page(request: HttpRequest, exc: Exception) -> HttpResponse:
    """503 with Retry-After and a page rendered without the request context (its processors — the inbox badge, the
    overdue banner — would ask the database again)."""
    log.warning("%s %s: the database is unavailable (%s); answered 503", request.method, request.path, exc)
    again = request.get_full_path() if request.method == "GET" else ""
    page = render_to_string("503.html", {"retry_after": RETRY_AFTER_S, "again": again})
    response = HttpResponse(page, status=503)
    response["Retry-After"] = str(RETRY_AFTER_S)
    return response
