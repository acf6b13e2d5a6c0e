"""Bad input from a client is a 400 with a message that says what was wrong — never a 500.

A view raises ``BadInput(message)`` (translated, for the person) when a query it cannot answer arrives (a page link
that was tampered with, a date that does not exist); Django hands it to ``bad_request`` (``handler400``), which shows
the message. Django's other 400s (a forged host name, too many fields) get the page without theirs: their text is
for the log, not for the visitor.
"""

from __future__ import annotations

import math
import re

from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponseBadRequest
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from gongzhi.core.errors import NotFound

# An id in an address or a form: ASCII digits that fit a 64-bit column (str.isdigit() also takes "²", which int()
# refuses, and a longer number overflows the database's integer).
_ID = re.compile(r"[0-9]{1,18}")


def parse_id(text: str | None) -> int | None:
    """The id ``text`` spells, or None."""
    return int(text) if text and _ID.fullmatch(text) else None


def known_id(value: object, message: str) -> int:
    """The id ``value`` spells (an int, or text from an address or a form); NotFound with ``message`` otherwise — a
    forged or overlong id finds nothing, as an unknown one does."""
    found = parse_id(str(value)) if isinstance(value, int | str) else None
    if found is None:
        raise NotFound(message)
    return found


class BadInput(BadRequest):
    """The request's input cannot be answered; ``str(exc)`` is shown to the person, in their language."""


def query_point(request: HttpRequest) -> tuple[float, float] | None:
    """The map point a page was asked about (``?lat=&lon=``, e.g. a browser's location fix), None when neither is
    given; BadInput when they are not a pair of coordinates on the Earth."""
    if not (request.GET.get("lat") or request.GET.get("lon")):
        return None
    try:
        lat, lon = float(request.GET.get("lat", "")), float(request.GET.get("lon", ""))
    except ValueError:
        lat = lon = math.nan
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise BadInput(_("The location is not a pair of map coordinates."))
    return lat, lon


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponseBadRequest:
    message = str(exception) if isinstance(exception, BadInput) else ""
    # Rendered without the request context (as the 500 and 503 pages are): it needs nothing but static files.
    page = render_to_string("400.html", {"message": message, "again": request.path})
    return HttpResponseBadRequest(page)
