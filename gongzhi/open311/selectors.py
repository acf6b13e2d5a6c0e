"""Reads for the Open311 server. Open311 is public: only what the public may see of a case leaves here — no
reporter, no staff-only events, no internal notes. Lists are read as plain rows (``values()``) in one query with the
latest public timeline entry joined in, and are paged without counting (no ``COUNT(*)``).

Privacy (see README.md): only public-problem requests (报事 in a category that is not private) are shown in full,
with personal data in their text masked (``core.privacy.mask_text``). Private requests — 办事 and 求助, categories
marked private (``CaseCategory.private``: public security, neighbour and family disputes …) and requests not yet
given a category —
are left out of lists and updates, and a GET by id shows only their status. The client whose ``api_key`` filed a
request sees it in full.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import router
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone

from gongzhi.cases import selectors as case_selectors
from gongzhi.cases import transitions as t
from gongzhi.cases.choices import EventKind, Kind
from gongzhi.cases.models import Case, CaseCategory, CaseEvent
from gongzhi.core import prepared, timeutil
from gongzhi.core.errors import DomainError, NotFound
from gongzhi.core.privacy import mask_text
from gongzhi.grid.models import Jurisdiction
from gongzhi.open311 import cache

DEFAULT_DAYS = 90
MAX_PAGE_SIZE = 1000
NOTE_KINDS = {EventKind.RESOLVED, EventKind.REJECTED}
MAX_NOTE = 500
# Set on a case filed through Open311: the id of the key that filed it (that client sees the case in full).
KEY_ATTRIBUTE = "_open311_key"


def is_private(kind: str | None, category_private: bool | None) -> bool:
    """Whether a request of this kind, in a category with this ``private`` flag (None: no category yet), may be shown
    only by its status. 办事/求助 are private by kind."""
    return kind != Kind.REPORT or category_private is None or bool(category_private)


def _public_filter(prefix: str = "") -> Q:
    """``is_private`` as a filter: the public-problem requests (``prefix`` reaches the case from another model)."""
    return Q(**{f"{prefix}kind": Kind.REPORT, f"{prefix}category__isnull": False, f"{prefix}category__private": False})


def _visible(key_id: int | None, prefix: str = "") -> Q:
    """Public-problem requests, and those filed with the client's key."""
    if key_id is None:
        return _public_filter(prefix)
    return _public_filter(prefix) | Q(**{f"{prefix}attributes__{KEY_ATTRIBUTE}": key_id})


def _jurisdictions() -> dict[str, Jurisdiction]:
    return {j.code: j for j in Jurisdiction.objects.order_by("code")}


def jurisdiction_for(code: str | None) -> Jurisdiction:
    """``jurisdiction_id`` selects the tenant; it may be left out when there is only one. (Cached per process.)"""
    code = (code or "").strip()
    every: dict[str, Jurisdiction] = cache.get(("jurisdictions",), _jurisdictions)
    if code:
        found = every.get(code[:64])
        if found is None:
            raise NotFound(f"jurisdiction_id {code[:64]!r} not found")
        return found
    if not every:
        raise NotFound("no jurisdiction is set up yet")
    if len(every) > 1:
        raise DomainError("jurisdiction_id is required: this server serves several jurisdictions")
    return next(iter(every.values()))


def open_or_closed(status: str) -> str:
    return "open" if status in t.OPEN else "closed"


def stamp(moment: datetime | None) -> str | None:
    """ISO 8601 with the offset of the display zone (2024-05-01T08:00:00+08:00)."""
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None


# ------------------------------------------------------------------------------------------------------- services


def _name(category: CaseCategory, english: bool) -> str:
    return category.name_en if english and category.name_en else category.name


def services(jurisdiction: Jurisdiction, *, english: bool = False) -> list[dict[str, Any]]:
    rows = (
        case_selectors.categories_for(jurisdiction.pk, leaves_only=True)
        .select_related("parent")
        .order_by("sort_order", "code")
    )
    return [
        {
            "service_code": c.code,
            "service_name": _name(c, english),
            "description": c.description,
            "metadata": bool(c.attributes),
            "type": "realtime",
            "keywords": ",".join(str(k) for k in c.keywords),
            "group": _name(c.parent, english) if c.parent else "",
        }
        for c in rows
    ]


def _leaves(jurisdiction_id: int) -> dict[str, CaseCategory]:
    return {c.code: c for c in case_selectors.categories_for(jurisdiction_id, leaves_only=True)}


def category(jurisdiction: Jurisdiction, code: str) -> CaseCategory:
    """A leaf service of the jurisdiction by its service_code; NotFound otherwise. (Cached per process.)"""
    leaves: dict[str, CaseCategory] = cache.get(("leaves", jurisdiction.pk), lambda: _leaves(jurisdiction.pk))
    found = leaves.get((code or "").strip()[:64])
    if found is None:
        raise NotFound(f"service_code {code[:64]!r} not found")
    return found


def service_definition(jurisdiction: Jurisdiction, code: str) -> dict[str, Any]:
    found = category(jurisdiction, code)
    attributes = sorted(found.attributes or [], key=lambda a: a.get("order", 0))
    return {
        "service_code": found.code,
        "attributes": [
            {
                "variable": bool(a.get("variable", True)),
                "code": str(a.get("code", "")),
                "datatype": a.get("datatype", "string"),
                "required": bool(a.get("required", False)),
                "datatype_description": a.get("datatype_description") or "",
                "order": int(a.get("order", 0)),
                "description": a.get("description", ""),
                **(
                    {"values": [{"key": str(v.get("key")), "name": v.get("name", "")} for v in a.get("values") or []]}
                    if a.get("datatype") in ("singlevaluelist", "multivaluelist")
                    else {}
                ),
            }
            for a in attributes
        ],
    }


# ------------------------------------------------------------------------------------------------------- requests

_FIELDS = (
    "pk",
    "tracking_code",
    "status",
    "description",
    "title",
    "result",
    "address",
    "lat",
    "lon",
    "submitted_at",
    "updated_at",
    "resolve_due",
    "attributes",
    "category__code",
    "category__name",
    "category__name_en",
    "category__private",
    "handler_department__name",
    "handler_node__name",
    "owner_node__name",
    "building__public_token",
    "kind",
)


def _rows(queryset: Any) -> Any:
    last = CaseEvent.objects.filter(case_id=OuterRef("pk"), public=True).order_by("-seq")
    return queryset.annotate(
        note_kind=Subquery(last.values("kind")[:1]), note_text=Subquery(last.values("note")[:1])
    ).values(*_FIELDS, "note_kind", "note_text")


def _status_notes(row: dict[str, Any], *, text: bool, masked: bool) -> str:
    """The result, a refusal's reason (when ``text``; masked when ``masked``), or the latest public entry's label."""
    clean = mask_text if masked else str
    if text and row["status"] in (t.RESOLVED, t.CLOSED) and row["result"]:
        return clean(str(row["result"])[:MAX_NOTE])
    kind = row["note_kind"]
    if not kind:
        return ""
    if text and kind in NOTE_KINDS and row["note_text"]:
        return clean(str(row["note_text"])[:MAX_NOTE])
    try:
        return str(EventKind(kind).label)
    except ValueError:
        return ""


def _filed_by(row: dict[str, Any], key_id: int | None) -> bool:
    attributes = row["attributes"]
    return key_id is not None and isinstance(attributes, dict) and attributes.get(KEY_ATTRIBUTE) == key_id


def _as_request(row: dict[str, Any], *, english: bool, key_id: int | None = None) -> dict[str, Any]:
    """A request as Open311 shows it: in full to the client that filed it; a public-problem request with personal
    data in its text masked; a private request by its status only (no text, no place, no media)."""
    attributes = row["attributes"] or {}
    if not isinstance(attributes, dict):
        attributes = {}
    full = _filed_by(row, key_id)
    private = not full and is_private(row["kind"], row["category__private"])
    clean = str if full else mask_text
    return {
        "service_request_id": row["tracking_code"],
        "status": open_or_closed(row["status"]),
        "status_notes": _status_notes(row, text=not private, masked=not full),
        "service_name": (row["category__name_en"] if english and row["category__name_en"] else row["category__name"])
        or "",
        "service_code": row["category__code"] or "",
        "description": "" if private else clean(row["description"] or row["title"]),
        "agency_responsible": row["handler_department__name"] or row["handler_node__name"] or row["owner_node__name"],
        "service_notice": "",
        "requested_datetime": stamp(row["submitted_at"]),
        "updated_datetime": stamp(row["updated_at"]),
        "expected_datetime": stamp(row["resolve_due"]),
        "address": "" if private else clean(row["address"]),
        "address_id": "" if private else row["building__public_token"] or "",
        "zipcode": "",
        "lat": None if private else row["lat"],
        "long": None if private else row["lon"],
        "media_url": "" if private else attributes.get("_media_url", ""),
        "extended_attributes": {"detailed_status": row["status"]},
    }


# Compiled once per database: Django would build this twenty-column read with a subquery on every call, which costs
# more than PostgreSQL running it.
_one_request = prepared.Query(
    lambda code, jurisdiction_id: _rows(Case.objects.filter(tracking_code=code, jurisdiction_id=jurisdiction_id))[:1],
    kinds=(str, int),
)


def service_request(
    jurisdiction: Jurisdiction, request_id: str, *, english: bool = False, key_id: int | None = None
) -> list[dict[str, Any]]:
    """GET service request: a list of one; NotFound for an unknown id (or one of another jurisdiction). A private
    request is shown by its status only, unless ``key_id`` is the key that filed it."""
    code = (request_id or "").strip().upper()
    rows = (
        _one_request.dicts(code, jurisdiction.pk, using=router.db_for_read(Case) or "default")
        if 0 < len(code) <= 16
        else []
    )
    if not rows:
        raise NotFound(f"service_request_id {request_id[:32]!r} not found")
    return [_as_request(rows[0], english=english, key_id=key_id)]


def service_requests(
    jurisdiction: Jurisdiction,
    *,
    ids: list[str] | None = None,
    codes: list[str] | None = None,
    statuses: list[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    page: int = 1,
    page_size: int = MAX_PAGE_SIZE,
    english: bool = False,
    key_id: int | None = None,
) -> tuple[list[dict[str, Any]], bool]:
    """GET service requests: (page of rows, whether there is a next page). ``ids`` overrides every other filter,
    as GeoReport v2 says; without dates the window is the last 90 days. Private requests are left out, except
    those filed with ``key_id``."""
    rows = Case.objects.filter(_visible(key_id), jurisdiction_id=jurisdiction.pk)
    if ids:
        rows = rows.filter(tracking_code__in=[i.strip().upper()[:16] for i in ids])
    else:
        if end is None:
            end = timeutil.now()
        if start is None:
            start = end - timedelta(days=DEFAULT_DAYS)
        rows = rows.filter(submitted_at__gte=start, submitted_at__lte=end)
        if codes:
            rows = rows.filter(category__code__in=codes)
        if statuses:
            wanted = set(statuses)
            if wanted == {"open"}:
                rows = rows.filter(status__in=t.OPEN)
            elif wanted == {"closed"}:
                rows = rows.exclude(status__in=t.OPEN)
    offset = (page - 1) * page_size
    found = list(_rows(rows.order_by("-submitted_at", "-id"))[offset : offset + page_size + 1])
    return [_as_request(r, english=english, key_id=key_id) for r in found[:page_size]], len(found) > page_size


def updates(
    jurisdiction: Jurisdiction,
    *,
    ids: list[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    page: int = 1,
    page_size: int = MAX_PAGE_SIZE,
    key_id: int | None = None,
) -> tuple[list[dict[str, Any]], bool]:
    """Service request updates (the widely used GeoReport v2 extension): the public timeline entries of the
    jurisdiction's public-problem requests (and of those filed with ``key_id``), oldest first, so a client can follow
    progress. Notes (a result, a refusal's reason) are masked unless the client filed the request."""
    events = CaseEvent.objects.filter(_visible(key_id, "case__"), public=True, case__jurisdiction_id=jurisdiction.pk)
    if ids:
        events = events.filter(case__tracking_code__in=[i.strip().upper()[:16] for i in ids])
    if end is None:
        end = timeutil.now()
    if start is None:
        start = end - timedelta(days=DEFAULT_DAYS)
    events = events.filter(Q(at__gte=start) & Q(at__lte=end)).order_by("at", "id")
    offset = (page - 1) * page_size
    found = list(
        events.values(
            "pk",
            "kind",
            "note",
            "to_status",
            "at",
            tracking_code=F("case__tracking_code"),
            attributes=F("case__attributes"),
        )[offset : offset + page_size + 1]
    )
    items = []
    for e in found[:page_size]:
        try:
            label = str(EventKind(e["kind"]).label)
        except ValueError:
            label = e["kind"]
        text = label
        if e["kind"] in NOTE_KINDS and e["note"]:
            text = e["note"][:MAX_NOTE] if _filed_by(e, key_id) else mask_text(e["note"][:MAX_NOTE])
        items.append(
            {
                "update_id": str(e["pk"]),
                "service_request_id": e["tracking_code"],
                "status": open_or_closed(e["to_status"]) if e["to_status"] else "open",
                "updated_datetime": stamp(e["at"]),
                "description": text,
                "media_url": "",
                "extended_attributes": {"detailed_status": e["to_status"], "event": e["kind"]},
            }
        )
    return items, len(found) > page_size
