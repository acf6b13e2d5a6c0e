"""Request checks every page needs before any view runs."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.translation import gettext as _

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
