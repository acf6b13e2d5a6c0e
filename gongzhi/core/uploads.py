"""A request whose body is larger than its view can use is refused from its Content-Length, before anything reads it.

Django bounds the form fields of a request (``DATA_UPLOAD_MAX_MEMORY_SIZE``) but not its files: without this, a
request with gigabytes of "photos" is read, parsed and spooled to disk before any view can say no — by the CSRF check,
which reads the form to find its token. ``RequestSizeLimitMiddleware`` runs before it (it sits above
``CsrfViewMiddleware`` in MIDDLEWARE) and answers 413 with a page that says what happened.

The limit is the view's own (``@limit_request_size(function)``: the resident's report form takes
``portal.photos.request_limit()`` = 4 photos × ``GONGZHI_PHOTO_MAX_MB`` + 1 MB), else the default: the largest photo
form (5 photos × ``GONGZHI_PHOTO_MAX_MB`` + 1 MB), and never less than ``DEFAULT_FLOOR_BYTES`` (a staff import file of
20 MB and its form). The machine interfaces bound their bodies themselves, much lower (``GONGZHI_API_MAX_BODY_KB``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from gongzhi.core import photos

DEFAULT_FLOOR_BYTES = 24 * 1024 * 1024
ATTRIBUTE = "max_request_bytes"

log = logging.getLogger(__name__)
View = TypeVar("View", bound=Callable[..., Any])


def limit_request_size(limit: Callable[[], int]) -> Callable[[View], View]:
    """Give a view its own largest request body (a function, read at each request: the setting may change in tests)."""

    def decorate(view: View) -> View:
        setattr(view, ATTRIBUTE, limit)
        return view

    return decorate


def default_limit() -> int:
    return max(photos.request_limit(photos.MAX_PHOTOS_PER_FORM), DEFAULT_FLOOR_BYTES)


def limit_for(view: Any) -> int:
    own = getattr(view, ATTRIBUTE, None)
    return own() if callable(own) else default_limit()


class RequestSizeLimitMiddleware:
    """413 for a request whose declared body is over its view's limit, before the body is read."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> HttpResponse | None:
        declared = request.META.get("CONTENT_LENGTH") or ""
        if not declared:
            return None  # no body (or none a WSGI server passes on: without a length, Django reads nothing)
        try:
            size = int(declared)
        except ValueError:
            return HttpResponse("Bad Content-Length", status=400, content_type="text/plain")
        limit = limit_for(view)
        if size <= limit:
            return None
        log.info("refused a %d-byte request to %s (limit %d bytes): 413", size, request.path, limit)
        return too_large(request, size=size, limit=limit)


def too_large(request: HttpRequest, *, size: int, limit: int) -> HttpResponse:
    page = render_to_string(
        "413.html",
        {"size_mb": size / 1024 / 1024, "limit_mb": limit / 1024 / 1024, "photo_mb": photos.max_bytes() / 1024 / 1024},
        request=request,
    )
    return HttpResponse(page, status=413)
