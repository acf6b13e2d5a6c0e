"""The staff/exchange REST API (django-ninja, OpenAPI 3.1 at /api/openapi.json, docs at /api/docs).

Bearer tokens belong to a partner system (files cases, follows the ones it filed) or to a staff user (reads the
cases in their scope, through the same selectors as the console). Every response an operation can give is declared,
so the schema is the contract a partner can test against."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest
from ninja import Header, NinjaAPI, Query
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.responses import Status
from ninja.security import HttpBearer

from gongzhi.api import selectors, services, tokens
from gongzhi.api.models import ApiToken
from gongzhi.api.schemas import (
    CaseIn,
    CaseOut,
    CasePage,
    CategoryOut,
    ErrorOut,
    EventOut,
    MeOut,
    ReportInIn,
    ResolveIn,
    Text,
)
from gongzhi.cases.models import Case
from gongzhi.core import throttle
from gongzhi.core.errors import DomainError, NotFound
from gongzhi.core.middleware import RETRY_AFTER_S

log = logging.getLogger(__name__)


class BodyTooLarge(Exception):
    pass


class TooManyLookups(Exception):
    """Too many unknown case codes were asked for by this token or from this address (core.throttle)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > int(settings.GONGZHI_API_MAX_BODY_KB) * 1024:
            raise BodyTooLarge
        return tokens.token_for(token)


api = NinjaAPI(
    title="gongzhi exchange API",
    version="1",
    description="Cases in and out of gongzhi for hotlines, city apps and staff tools. Authenticate with "
    "`Authorization: Bearer <token>` (tokens are issued in the admin).",
    auth=TokenAuth(),
    urls_namespace="api",
)

# 503: the database was busy or out of reach (nothing saved; Retry-After says when to ask again).
ERRORS = {401: ErrorOut, 403: ErrorOut, 413: ErrorOut, 422: ErrorOut, 503: ErrorOut}


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError):
    # English, like the schema's validation errors: a machine interface answers in one language (str: untranslated).
    return api.create_response(request, {"detail": str(exc), "code": exc.code}, status=exc.http_status)


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError):
    errors = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in exc.errors]
    first = errors[0] if errors else {}
    where = ".".join(str(p) for p in first.get("loc", ()))
    detail = f"{where}: {first.get('msg', 'invalid')}" if where else str(first.get("msg", "invalid input"))
    return api.create_response(request, {"detail": detail, "code": "invalid", "errors": errors}, status=422)


@api.exception_handler(AuthenticationError)
def _unauthorized(request: HttpRequest, exc: AuthenticationError):
    response = api.create_response(
        request, {"detail": "a valid bearer token is required", "code": "unauthorized"}, status=401
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(BodyTooLarge)
def _too_large(request: HttpRequest, exc: BodyTooLarge):
    limit = int(settings.GONGZHI_API_MAX_BODY_KB)
    return api.create_response(
        request, {"detail": f"the request body is larger than {limit} KB", "code": "too_large"}, status=413
    )


@api.exception_handler(TooManyLookups)
def _too_many_lookups(request: HttpRequest, exc: TooManyLookups):
    response = api.create_response(
        request,
        {
            "detail": f"too many unknown cases were asked for; try again in {exc.retry_after} seconds",
            "code": "too_many_lookups",
        },
        status=429,
    )
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def _unavailable(request: HttpRequest, exc: Exception):
    log.warning("exchange API %s %s: the database is unavailable (%s); answered 503", request.method, request.path, exc)
    response = api.create_response(
        request,
        {
            "detail": f"the service is busy; try again in {RETRY_AFTER_S} s "
            "(a retry with the same Idempotency-Key files the case once)",
            "code": "unavailable",
        },
        status=503,
    )
    response["Retry-After"] = str(RETRY_AFTER_S)
    return response


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError):
    return api.create_response(request, {"detail": str(exc), "code": "invalid"}, status=exc.status_code)


def _auth(request: HttpRequest) -> ApiToken:
    return request.auth  # type: ignore[attr-defined,no-any-return]


# A lookup by code or id may be refused (429) once the token or its address asked for too many unknown ones.
LOOKUP_ERRORS = {404: ErrorOut, 429: ErrorOut}


def _looked_up[T](request: HttpRequest, find: Any) -> T:
    """``find()`` — a lookup of a case by code or id — through the limit on unknown ids the resident pages' tracking
    codes and Open311 use (core.throttle): misses count per token and per address; past either, 429."""
    token = _auth(request)
    client, address = f"api-token:{token.pk}", throttle.client_address(request)
    verdict = throttle.lookup_verdict(client=client, address=address)
    if not verdict.allowed:
        raise TooManyLookups(verdict.retry_after)
    try:
        return find()  # type: ignore[no-any-return]
    except NotFound:
        throttle.count_lookup_miss(client=client, address=address)
        raise


def _case(request: HttpRequest, tracking_code: str) -> Case:
    return _looked_up(request, lambda: selectors.case_for(_auth(request), tracking_code))


@api.get("/v1/me", response={200: MeOut, **ERRORS}, summary="Who the token belongs to")
def me(request: HttpRequest):
    token = _auth(request)
    if token.partner is not None:
        return {"kind": "partner", "name": token.partner.name, "jurisdiction": token.partner.jurisdiction.code}
    return {"kind": "user", "name": str(token.user), "jurisdiction": None}


@api.get(
    "/v1/categories",
    response={200: list[CategoryOut], 404: ErrorOut, **ERRORS},
    summary="Case categories (Open311 services) with their attributes",
)
def categories(request: HttpRequest, jurisdiction: Text = Query("", max_length=64)):
    return selectors.categories(_auth(request), jurisdiction)


@api.post(
    "/v1/cases",
    response={200: CaseOut, 201: CaseOut, 400: ErrorOut, 409: ErrorOut, **ERRORS},
    summary="File a case from a partner system (idempotent with Idempotency-Key)",
    description="201: created. 200: an earlier request with the same `Idempotency-Key` created it (replay). "
    "409: the partner's `external_id` is already filed, or the key was used with another body.",
)
def file_case(
    request: HttpRequest,
    payload: CaseIn,
    idempotency_key: Text = Header("", alias="Idempotency-Key", max_length=200),
):
    partner = selectors.require_partner(_auth(request))
    filed = services.file_case(partner=partner, data=payload.dict(), idempotency_key=idempotency_key)
    return Status(200 if filed.replayed else 201, selectors.case_out(filed.case))


@api.get("/v1/cases", response={200: CasePage, **ERRORS}, summary="Cases: a partner's own, or a user's scope")
def list_cases(
    request: HttpRequest,
    cursor: int | None = Query(None, ge=1, le=2**62, description="`next_cursor` of the previous page"),
    limit: int = Query(50, ge=1, le=200),
    status: Text = Query("", max_length=16),
):
    return selectors.case_page(_auth(request), cursor=cursor, limit=limit, status=status)


@api.get(
    "/v1/cases/{tracking_code}",
    response={200: CaseOut, **LOOKUP_ERRORS, **ERRORS},
    summary="One case by tracking code",
)
def get_case(request: HttpRequest, tracking_code: Text):
    return selectors.case_out(_case(request, tracking_code))


@api.get(
    "/v1/cases/{tracking_code}/events",
    response={200: list[EventOut], **LOOKUP_ERRORS, **ERRORS},
    summary="A case's timeline (partners see the public entries)",
)
def case_events(request: HttpRequest, tracking_code: Text):
    return selectors.events(_auth(request), _case(request, tracking_code))


@api.get(
    "/v1/external/{external_id}",
    response={200: CaseOut, **LOOKUP_ERRORS, **ERRORS},
    summary="One of the partner's cases by the partner's own id",
)
def get_by_external_id(request: HttpRequest, external_id: Text):
    partner = selectors.require_partner(_auth(request))
    return selectors.case_out(_looked_up(request, lambda: selectors.case_by_external_id(partner, external_id)))


# ---------------------------------------------------------------------------------------- staff actions (user tokens)

ACTION_ERRORS = {400: ErrorOut, 409: ErrorOut, **LOOKUP_ERRORS, **ERRORS}
ACTION_NOTE = (
    "As the token's user, through the case engine with its policies. 403: a partner token, or the user may not do "
    "this; 404: not in the user's scope; 409: the case is not in a state that allows it (or someone else was "
    "first); 400: a domain rule. A refusal changes nothing."
)


@api.post(
    "/v1/cases/{tracking_code}/accept",
    response={200: CaseOut, **ACTION_ERRORS},
    summary="Accept a case (接单) as the token's user",
    description=ACTION_NOTE,
)
def accept_case(request: HttpRequest, tracking_code: Text):
    token = _auth(request)
    services.require_user(token)
    return selectors.case_out(services.accept(token=token, case=_case(request, tracking_code)))


@api.post(
    "/v1/cases/{tracking_code}/resolve",
    response={200: CaseOut, **ACTION_ERRORS},
    summary="Resolve a case (办结) with the result, as the token's user",
    description=ACTION_NOTE,
)
def resolve_case(request: HttpRequest, tracking_code: Text, payload: ResolveIn):
    token = _auth(request)
    services.require_user(token)
    case = services.resolve(token=token, case=_case(request, tracking_code), result=payload.result)
    return selectors.case_out(case)


@api.post(
    "/v1/cases/{tracking_code}/report-in",
    response={200: CaseOut, **ACTION_ERRORS},
    summary="Report in (报到) for the user's department summoned to the case",
    description=ACTION_NOTE,
)
def report_in(request: HttpRequest, tracking_code: Text, payload: ReportInIn):
    token = _auth(request)
    case: Case = _looked_up(
        request, lambda: services.report_in(token=token, tracking_code=tracking_code, report=payload.report)
    )
    return selectors.case_out(case)


def not_found(request: HttpRequest, rest: str = "") -> Any:
    from django.http import JsonResponse

    return JsonResponse({"detail": "not found", "code": "not_found"}, status=404)
