"""Open311 GeoReport v2 endpoints: thin views that parse, call a selector or service, and answer in ``.json`` or
``.xml``. Every failure is a GeoReport error list with a 4xx status (400 bad input, 403 key, 404 unknown, 405 method,
413 body too large) — never a 500 for anything a client sends; a database too busy to answer is a 503 with
Retry-After."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.csrf import csrf_exempt

from gongzhi.core import throttle
from gongzhi.core.errors import DomainError, NotFound, PermissionDenied
from gongzhi.core.middleware import RETRY_AFTER_S
from gongzhi.open311 import keys, render, selectors, services, wire

CHANGESET = "2026-01-01T00:00:00+08:00"
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
View = Callable[..., HttpResponse]
log = logging.getLogger(__name__)


def _english() -> bool:
    return (get_language() or "").startswith("en")


def _max_body() -> int:
    return int(settings.GONGZHI_API_MAX_BODY_KB) * 1024


def endpoint(*methods: str) -> Callable[[View], View]:
    """Format check, method check, body-size limit, and domain errors turned into GeoReport error lists."""

    def decorate(view: View) -> View:
        @csrf_exempt
        @functools.wraps(view)
        def wrapped(request: HttpRequest, fmt: str, **kwargs: Any) -> HttpResponse:
            if fmt not in render.FORMATS:
                return render.errors("json", 404, ["unknown format: use .json or .xml"])
            if request.method not in methods:
                response = render.errors(fmt, 405, [f"method {request.method} not allowed here"])
                response["Allow"] = ", ".join(methods)
                return response
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > _max_body():
                return render.errors(fmt, 413, [f"the request body is larger than {_max_body() // 1024} KB"])
            try:
                _refuse_nul([*kwargs.items(), *((k, v) for k, vs in request.GET.lists() for v in vs)])
                return view(request, fmt, **kwargs)
            except wire.WireError as exc:
                return render.errors(fmt, 400, exc.problems)
            except DomainError as exc:  # English, like the rest of the protocol's answers (str: untranslated)
                return render.errors(fmt, exc.http_status, [str(exc)])
            except RequestDataTooBig:
                return render.errors(fmt, 413, [f"the request body is larger than {_max_body() // 1024} KB"])
            except (OperationalError, InterfaceError) as exc:  # busy or out of reach: ask again (core.middleware)
                log.warning(
                    "Open311 %s %s: the database is unavailable (%s); answered 503", request.method, request.path, exc
                )
                response = render.errors(fmt, 503, [f"the service is busy; try again in {RETRY_AFTER_S} seconds"])
                response["Retry-After"] = str(RETRY_AFTER_S)
                return response

        return wrapped

    return decorate


def _refuse_nul(pairs: Iterable[tuple[str, Any]]) -> None:
    """PostgreSQL can neither store nor compare text with NUL characters: such input is refused at the edge."""
    bad = [name for name, value in pairs if "\x00" in name or (isinstance(value, str) and "\x00" in value)]
    if bad:
        raise wire.WireError([f"{name.replace(chr(0), '')[:64]}: text must not contain NUL characters" for name in bad])


def _jurisdiction(request: HttpRequest, fields: services.Fields | None = None):
    code = fields.get("jurisdiction_id") if fields is not None else request.GET.get("jurisdiction_id", "")
    return selectors.jurisdiction_for(code)


def _key_id(request: HttpRequest) -> int | None:
    """The key a reading client sent (``api_key``): it sees the requests it filed in full. A key that is sent but
    not valid is refused (403) rather than silently ignored."""
    raw = request.GET.get("api_key", "")
    if not raw:
        return None
    key = keys.key_for(raw)
    if key is None:
        raise PermissionDenied("api_key is not valid")
    return key.pk


def _page(request: HttpRequest, default_size: int = selectors.MAX_PAGE_SIZE) -> tuple[int, int]:
    page, size = request.GET.get("page", ""), request.GET.get("page_size", "")
    try:
        return (
            wire.parse_positive(page, name="page", maximum=100_000) if page else 1,
            wire.parse_positive(size, name="page_size", maximum=selectors.MAX_PAGE_SIZE) if size else default_size,
        )
    except ValueError as exc:
        raise wire.WireError([str(exc)]) from None


def _date(request: HttpRequest, name: str):
    value = request.GET.get(name, "")
    if not value:
        return None
    from django.utils import timezone

    try:
        moment = wire.parse_datetime(value)
    except ValueError as exc:
        raise wire.WireError([f"{name}: {exc}"]) from None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _with_next(request: HttpRequest, response: HttpResponse, page: int, more: bool) -> HttpResponse:
    if more:
        query = request.GET.copy()
        query["page"] = str(page + 1)
        response["Link"] = f'<{request.path}?{query.urlencode()}>; rel="next"'
    return response


def _with_cursor(request: HttpRequest, response: HttpResponse, cursor: str | None) -> HttpResponse:
    """``Link: rel="next"`` to the page after ``cursor`` (keyset: as cheap as the first page however deep)."""
    if cursor:
        query = request.GET.copy()
        query.pop("page", None)
        query["after"] = cursor
        response["Link"] = f'<{request.path}?{query.urlencode()}>; rel="next"'
    return response


# -------------------------------------------------------------------------------------------------------- discovery


@endpoint("GET", "HEAD")
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    base = request.build_absolute_uri(reverse("open311:root"))
    data = {
        "changeset": CHANGESET,
        "contact": str(settings.GONGZHI_SITE_NAME),
        "key_service": "",
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": base,
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return render.respond(fmt, "discovery", data)


@endpoint("GET", "HEAD")
def service_list(request: HttpRequest, fmt: str) -> HttpResponse:
    jurisdiction = _jurisdiction(request)
    return render.respond(fmt, "services", selectors.services(jurisdiction, english=_english()))


@endpoint("GET", "HEAD")
def service_definition(request: HttpRequest, fmt: str, code: str) -> HttpResponse:
    jurisdiction = _jurisdiction(request)
    return render.respond(fmt, "service_definition", selectors.service_definition(jurisdiction, code))


# --------------------------------------------------------------------------------------------------------- requests


@endpoint("GET", "HEAD", "POST")
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _post_request(request, fmt)
    jurisdiction = _jurisdiction(request)
    page, size = _page(request, selectors.DEFAULT_PAGE_SIZE)
    try:
        after = selectors.cursor_after(request.GET["after"]) if request.GET.get("after") else None
        ids = wire.parse_list(request.GET.get("service_request_id", ""))
        codes = wire.parse_list(request.GET.get("service_code", ""))
        statuses = wire.parse_list(request.GET.get("status", ""), limit=2)
    except ValueError as exc:
        raise wire.WireError([str(exc)]) from None
    wrong = [s for s in statuses if s not in ("open", "closed")]
    if wrong:
        raise wire.WireError([f"status: {wrong[0][:20]!r} is not open or closed"])
    start, end = _date(request, "start_date"), _date(request, "end_date")
    if start and end and start > end:
        raise wire.WireError(["start_date is after end_date"])
    rows, following = selectors.service_requests(
        jurisdiction,
        ids=ids,
        codes=codes,
        statuses=statuses,
        start=start,
        end=end,
        page=page,
        page_size=size,
        after=after,
        english=_english(),
        key_id=_key_id(request),
    )
    return _with_cursor(request, render.respond(fmt, "service_requests", rows), following)


def _fields(request: HttpRequest) -> services.Fields:
    """The POST body as (name, value) pairs: a form (GeoReport v2), or the same fields as a JSON object or an XML
    document (``<service_request><service_code>…</service_code><attribute code="X">v</attribute>…``)."""
    content_type = (request.content_type or "").lower()
    body = request.body
    if len(body) > _max_body():
        raise RequestDataTooBig
    if content_type == "application/json":
        try:
            data = json.loads(body or b"null")
        except (ValueError, UnicodeDecodeError):
            raise wire.WireError(["the body is not valid JSON"]) from None
        except RecursionError:  # a few KB of [[[[… exhaust the parser's stack: bad input, not a server error
            raise wire.WireError(["the JSON body is nested too deeply"]) from None
        pairs = _json_pairs(data)
    elif content_type in ("application/xml", "text/xml"):
        pairs = _xml_pairs(body)
    else:
        pairs = [(k, v) for k, values in request.POST.lists() for v in values]
    _refuse_nul(pairs)
    return services.Fields(pairs)


def _json_pairs(data: Any) -> list[tuple[str, str]]:
    if not isinstance(data, dict):
        raise wire.WireError(["the JSON body must be an object of fields"])
    pairs: list[tuple[str, str]] = []
    for name, value in data.items():
        if name == "attribute" and isinstance(value, dict):
            for code, item in value.items():
                if isinstance(item, list):
                    pairs += [(f"attribute[{code}][]", _scalar(f"attribute {code}", v)) for v in item]
                else:
                    pairs.append((f"attribute[{code}]", _scalar(f"attribute {code}", item)))
        else:
            pairs.append((str(name), _scalar(str(name), value)))
    return pairs


def _scalar(name: str, value: Any) -> str:
    if isinstance(value, bool) or value is None or isinstance(value, dict | list):
        raise wire.WireError([f"{name[:64]}: expected a string or a number"])
    return str(value)


def _xml_pairs(body: bytes) -> list[tuple[str, str]]:
    try:
        root = SafeET.fromstring(body)
    except (SafeET.ParseError, DefusedXmlException, ValueError):
        raise wire.WireError(["the body is not well-formed XML (or uses entities, which are refused)"]) from None
    pairs: list[tuple[str, str]] = []
    codes = [child.get("code", "") for child in root if child.tag == "attribute"]
    for child in root:
        if len(child):
            raise wire.WireError([f"{str(child.tag)[:64]}: expected text, not nested elements"])
        if child.tag == "attribute":
            code = child.get("code", "")
            suffix = "[]" if codes.count(code) > 1 else ""
            pairs.append((f"attribute[{code}]{suffix}", child.text or ""))
        else:
            pairs.append((str(child.tag), child.text or ""))
    return pairs


def _post_request(request: HttpRequest, fmt: str) -> HttpResponse:
    fields = _fields(request)
    key = keys.key_for(fields.get("api_key") or request.GET.get("api_key", ""))
    if key is None:
        return render.errors(fmt, 403, ["api_key is missing or not valid"])
    jurisdiction = _jurisdiction(request, fields)
    case = services.file_request(key=key, jurisdiction=jurisdiction, fields=fields)
    # The public id: the client follows the request with it (GET requests/<id>, with its api_key to read it in full).
    # The tracking code is the resident's receipt and never leaves through Open311.
    data = [
        {
            "service_request_id": case.public_id,
            "token": case.public_id,
            "service_notice": "",
            "account_id": fields.get("account_id"),
        }
    ]
    return render.respond(fmt, "service_requests", data, status=201)


def _looked_up(request: HttpRequest, fmt: str, request_id: str) -> HttpResponse | list[dict[str, Any]]:
    """A request by id, through the same limit on unknown ids as the resident pages' tracking codes
    (``core.throttle``): misses count per api_key (else per address) and per address; past either, every lookup is a
    429, so ids cannot be found by guessing."""
    jurisdiction = _jurisdiction(request)
    key_id = _key_id(request)
    client = f"open311-key:{key_id}" if key_id is not None else None
    address = throttle.client_address(request)
    verdict = throttle.lookup_verdict(client=client, address=address)
    if not verdict.allowed:
        response = render.errors(
            fmt, 429, [f"too many unknown ids were asked for; try again in {verdict.retry_after} seconds"]
        )
        response["Retry-After"] = str(verdict.retry_after)
        return response
    try:
        return selectors.service_request(jurisdiction, request_id, english=_english(), key_id=key_id)
    except NotFound:
        throttle.count_lookup_miss(client=client, address=address)
        raise


@endpoint("GET", "HEAD")
def one_request(request: HttpRequest, fmt: str, request_id: str) -> HttpResponse:
    found = _looked_up(request, fmt, request_id)
    if isinstance(found, HttpResponse):
        return found
    return render.respond(fmt, "service_requests", found)


@endpoint("GET", "HEAD")
def token(request: HttpRequest, fmt: str, token: str) -> HttpResponse:
    """Requests are filed at once, so a token is simply the request's public id."""
    found = _looked_up(request, fmt, token)
    if isinstance(found, HttpResponse):
        return found
    return render.respond(
        fmt, "service_requests", [{"service_request_id": found[0]["service_request_id"], "token": token}]
    )


@endpoint("GET", "HEAD")
def request_updates(request: HttpRequest, fmt: str) -> HttpResponse:
    jurisdiction = _jurisdiction(request)
    page, size = _page(request)
    try:
        ids = wire.parse_list(request.GET.get("service_request_id", ""))
    except ValueError as exc:
        raise wire.WireError([str(exc)]) from None
    start, end = _date(request, "start_date"), _date(request, "end_date")
    if start and end and start > end:
        raise wire.WireError(["start_date is after end_date"])
    rows, more = selectors.updates(
        jurisdiction, ids=ids, start=start, end=end, page=page, page_size=size, key_id=_key_id(request)
    )
    return _with_next(request, render.respond(fmt, "service_request_updates", rows), page, more)


def root(request: HttpRequest) -> HttpResponse:
    return render.respond("json", "discovery", {"discovery": request.build_absolute_uri("discovery.json")})
