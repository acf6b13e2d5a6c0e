"""Reads of the exchange API. A partner sees the cases it filed; a staff user sees their scope (the console's
selector). Out of scope and missing are the same 404."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from gongzhi.api.models import ApiToken, InboundCase, Partner
from gongzhi.cases import selectors as case_selectors
from gongzhi.cases import transitions as t
from gongzhi.cases.models import Case
from gongzhi.core.errors import NotFound, PermissionDenied
from gongzhi.grid.models import Jurisdiction

_RELATED = ("category", "handler_department", "handler_node", "owner_node")


def require_partner(token: ApiToken) -> Partner:
    if token.partner is None:
        raise PermissionDenied("only a partner system's token may do this")
    return token.partner


def visible_cases(token: ApiToken) -> QuerySet[Case]:
    if token.partner is not None:
        return Case.objects.filter(inbound__partner=token.partner)
    return case_selectors.case_list_visible_to(token.user)


def case_for(token: ApiToken, tracking_code: str) -> Case:
    code = (tracking_code or "").strip().upper()
    found = None
    if code and len(code) <= 16:
        found = visible_cases(token).select_related(*_RELATED).filter(tracking_code=code).first()
    if found is None:
        raise NotFound("case not found")
    return found


def case_by_external_id(partner: Partner, external_id: str) -> Case:
    row = (
        InboundCase.objects.filter(partner=partner, external_id=(external_id or "")[:64])
        .select_related(*(f"case__{r}" for r in _RELATED))
        .first()
    )
    if row is None:
        raise NotFound("case not found")
    return row.case


def case_out(case: Case) -> dict[str, Any]:
    agency = ""
    if case.handler_department_id:
        agency = case.handler_department.name
    elif case.handler_node_id:
        agency = case.handler_node.name
    elif case.owner_node_id:
        agency = case.owner_node.name
    return {
        "tracking_code": case.tracking_code,
        "public_id": case.public_id,
        "published": case.public,
        "external_id": case.external_id,
        "channel": case.channel,
        "status": case.status,
        "open311_status": "open" if case.status in t.OPEN else "closed",
        "category_code": case.category.code if case.category_id else None,
        "title": case.title,
        "description": case.description,
        "address": case.address,
        "lat": case.lat,
        "lon": case.lon,
        "agency_responsible": agency,
        "submitted_at": case.submitted_at,
        "updated_at": case.updated_at,
        "resolve_due": case.resolve_due,
        "resolved_at": case.resolved_at,
        "result": case.result,
    }


def case_page(token: ApiToken, *, cursor: int | None, limit: int, status: str) -> dict[str, Any]:
    """Newest first, keyset on the id (no counting)."""
    rows = visible_cases(token).select_related(*_RELATED).order_by("-pk")
    if status:
        rows = rows.filter(status=status)
    if cursor:
        rows = rows.filter(pk__lt=cursor)
    found = list(rows[: limit + 1])
    items = found[:limit]
    return {
        "items": [case_out(c) for c in items],
        "next_cursor": items[-1].pk if len(found) > limit and items else None,
    }


def events(token: ApiToken, case: Case) -> list[dict[str, Any]]:
    rows = case_selectors.timeline(case, public_only=token.partner is not None)
    return [
        {
            "seq": e.seq,
            "kind": e.kind,
            "from_status": e.from_status,
            "to_status": e.to_status,
            "note": e.note if (token.partner is None or e.kind in ("resolved", "rejected")) else "",
            "at": e.at,
        }
        for e in rows
    ]


def categories(token: ApiToken, jurisdiction_code: str) -> list[dict[str, Any]]:
    if token.partner is not None:
        jurisdiction_id = token.partner.jurisdiction_id
    else:
        query = Jurisdiction.objects.order_by("code")
        place = query.filter(code=jurisdiction_code).first() if jurisdiction_code else query.first()
        if place is None:
            raise NotFound("jurisdiction not found")
        jurisdiction_id = place.pk
    return [
        {"code": c.code, "name": c.name, "name_en": c.name_en, "kind": c.kind, "attributes": c.attributes or []}
        for c in case_selectors.categories_for(jurisdiction_id, leaves_only=True).order_by("sort_order", "code")
    ]
