"""Open311 answers as HTTP responses, in the format the URL asked for (``.json`` or ``.xml``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.http import HttpResponse

from gongzhi.open311 import wire

CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
FORMATS = tuple(CONTENT_TYPES)


def respond(fmt: str, root: str, data: Any, *, status: int = 200) -> HttpResponse:
    """``root`` names the XML document element (``services``, ``service_requests`` …); JSON has no root."""
    if fmt == "xml":
        body = wire.to_xml(root, data)
    else:
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES.get(fmt, CONTENT_TYPES["json"]))


def errors(fmt: str, status: int, descriptions: Sequence[str]) -> HttpResponse:
    """GeoReport v2 errors: ``[{code, description}]`` / ``<errors><error><code/><description/></error></errors>``."""
    items = [{"code": status, "description": str(d)} for d in descriptions] or [{"code": status, "description": ""}]
    return respond(fmt if fmt in CONTENT_TYPES else "json", "errors", items, status=status)
