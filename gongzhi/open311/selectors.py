"""Reads for the Open311 server. Open311 is public: only what the public may see of a case leaves here — no
reporter, no staff-only events, no internal notes, no tracking code. Lists are read as plain rows (``values()``) in
one query with the latest public timeline entry joined in, and are paged without counting (no ``COUNT(*)``).

Privacy (see README.md): requests are named by their public id (``Case.public_id``), which opens nothing but what
is public, never by the tracking code (the resident's receipt). Public-problem requests (报事 in a category that is
not private) are listed, with only public text: the public summary once published (masked again,
``core.privacy.mask_text``), the place at building or community level, a point snapped to the building or rounded
to ~100 m — never the resident's words, the address they typed, their photos or the handler's result as written.
Private requests — 办事 and 求助, categories marked private (``CaseCategory.private``: public security, neighbour and
family disputes …) and requests not yet given a category — are left out of lists and updates, and a GET by id shows
only their status. The client whose ``api_key`` filed a request sees it in full.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import router
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone

from gongzhi.cases import public
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
# A page of requests when the client names no page_size: GeoReport v2 allows up to 1,000, and a list of 1,000 costs
# ten times a list of 100 to read, shape and send. Clients follow Link: rel="next" (a keyset cursor) for more.
DEFAULT_PAGE_SIZE = 100
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


def stamp(moment: datetime | None, zone: Any = None) -> str | None:
    """ISO 8601 with the offset of the display zone (2024-05-01T08:00:00+08:00); ``zone``: that zone, when the
    caller has looked it up once for many rows."""
    if not moment:
        return None
    return moment.astimezone(zone or timezone.get_current_timezone()).isoformat(timespec="seconds")


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
    "public_id",
    "status",
    "public",
    "public_summary",
    "grid_node_id",
    "owner_node_id",
    "building__name",
    "building__lat",
    "building__lon",
    "building__compound__name",
    "building__compound__lat",
    "building__compound__lon",
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


# What a public-problem request shows a client that did not file it (_as_request): never its texts as written, its
# reported address or its attributes, so they are not read.
_PUBLIC_FIELDS = tuple(f for f in _FIELDS if f not in ("description", "title", "result", "address", "attributes"))


def _rows(queryset: Any, *, public_only: bool = False) -> Any:
    last = CaseEvent.objects.filter(case_id=OuterRef("pk"), public=True).order_by("-seq")
    if public_only:
        return queryset.annotate(note_kind=Subquery(last.values("kind")[:1])).values(*_PUBLIC_FIELDS, "note_kind")
    return queryset.annotate(
        note_kind=Subquery(last.values("kind")[:1]), note_text=Subquery(last.values("note")[:1])
    ).values(*_FIELDS, "note_kind", "note_text")


def _published_summary(row: dict[str, Any]) -> str:
    return mask_text(str(row["public_summary"])[:MAX_NOTE]) if row["public"] and row["public_summary"] else ""


def _status_notes(row: dict[str, Any], *, full: bool, private: bool) -> str:
    """For the client that filed it: the result or a refusal's reason as written. For everyone else: the public
    summary once published (never for a private request), else the label of the latest public timeline entry —
    never staff text as written."""
    if full and row["status"] in (t.RESOLVED, t.CLOSED) and row["result"]:
        return str(row["result"])[:MAX_NOTE]
    if not full and not private and _published_summary(row):
        return _published_summary(row)
    kind = row["note_kind"]
    if not kind:
        return ""
    if full and kind in NOTE_KINDS and row["note_text"]:
        return str(row["note_text"])[:MAX_NOTE]
    try:
        return str(EventKind(kind).label)
    except ValueError:
        return ""


def _filed_by(row: dict[str, Any], key_id: int | None) -> bool:
    if key_id is None:
        return False
    attributes = row["attributes"]
    return isinstance(attributes, dict) and attributes.get(KEY_ATTRIBUTE) == key_id


def _public_place(row: dict[str, Any]) -> str:
    if row["building__name"]:
        return public.building_label(row["building__name"], row["building__compound__name"])
    community = public.community_of(row["grid_node_id"] or row["owner_node_id"])
    return community.name if community is not None else ""


def _public_point(row: dict[str, Any]) -> tuple[float, float] | None:
    return public.point_of(
        building=(row["building__lat"], row["building__lon"]),
        compound=(row["building__compound__lat"], row["building__compound__lon"]),
        reported=(row["lat"], row["lon"]),
    )


def _as_request(row: dict[str, Any], *, english: bool, key_id: int | None = None, zone: Any = None) -> dict[str, Any]:
    """A request as Open311 shows it: in full to the client that filed it; a public-problem request with public text
    only (public summary, building or community, a snapped or rounded point); a private request by its status only
    (no text, no place, no media)."""
    attributes = row.get("attributes") or {}
    if not isinstance(attributes, dict):
        attributes = {}
    full = _filed_by(row, key_id)
    private = not full and is_private(row["kind"], row["category__private"])
    point: tuple[float | None, float | None] | None
    if full:
        description, address = row["description"] or row["title"], row["address"]
        point, media = (row["lat"], row["lon"]), attributes.get("_media_url", "")
    elif private:
        description, address, point, media = "", "", None, ""
    else:
        description, address, point, media = _published_summary(row), _public_place(row), _public_point(row), ""
    return {
        "service_request_id": row["public_id"],
        "status": open_or_closed(row["status"]),
        "status_notes": _status_notes(row, full=full, private=private),
        "service_name": (row["category__name_en"] if english and row["category__name_en"] else row["category__name"])
        or "",
        "service_code": row["category__code"] or "",
        "description": description,
        "agency_responsible": row["handler_department__name"] or row["handler_node__name"] or row["owner_node__name"],
        "service_notice": "",
        "requested_datetime": stamp(row["submitted_at"], zone),
        "updated_datetime": stamp(row["updated_at"], zone),
        "expected_datetime": stamp(row["resolve_due"], zone),
        "address": address,
        "address_id": "" if private else row["building__public_token"] or "",
        "zipcode": "",
        "lat": point[0] if point else None,
        "long": point[1] if point else None,
        "media_url": media,
        "extended_attributes": {"detailed_status": row["status"]},
    }


# Compiled once per database: Django would build this thirty-column read with a subquery on every call, which costs
# more than PostgreSQL running it.
_one_request = prepared.Query(
    lambda public_id, jurisdiction_id: _rows(Case.objects.filter(public_id=public_id, jurisdiction_id=jurisdiction_id))[
        :1
    ],
    kinds=(str, int),
)


def _ids(values: list[str]) -> list[str]:
    return [v.strip().lower()[:16] for v in values if v.strip()]


def service_request(
    jurisdiction: Jurisdiction, request_id: str, *, english: bool = False, key_id: int | None = None
) -> list[dict[str, Any]]:
    """GET service request by its public id: a list of one; NotFound for an unknown id (or one of another
    jurisdiction). A private request is shown by its status only, unless ``key_id`` is the key that filed it. That
    client may also name a request it filed by the tracking code Open311 answered with before public ids existed."""
    value = (request_id or "").strip()
    rows = (
        _one_request.dicts(value.lower(), jurisdiction.pk, using=router.db_for_read(Case) or "default")
        if 0 < len(value) <= 16
        else []
    )
    if not rows and key_id is not None and 0 < len(value) <= 16:
        rows = list(
            _rows(
                Case.objects.filter(
                    tracking_code=value.upper(),
                    jurisdiction_id=jurisdiction.pk,
                    **{f"attributes__{KEY_ATTRIBUTE}": key_id},
                )
            )[:1]
        )
    if not rows:
        raise NotFound(f"service_request_id {request_id[:32]!r} not found")
    return [_as_request(rows[0], english=english, key_id=key_id)]


def cursor_after(value: str) -> tuple[datetime, int]:
    """The keyset cursor of ``Link: rel="next"`` (``after=<microseconds since 1970>-<id>``): the last request of the
    previous page. ValueError for anything else."""
    micros, sep, pk = value.partition("-")
    if not sep or not (micros.isascii() and micros.isdigit() and pk.isascii() and pk.isdigit()):
        raise ValueError("after: not a cursor of this list (follow the Link header)")
    if len(micros) > 17 or len(pk) > 18:
        raise ValueError("after: not a cursor of this list (follow the Link header)")
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(micros)), int(pk)


def _cursor_of(row: dict[str, Any]) -> str:
    moment = row["submitted_at"] - datetime(1970, 1, 1, tzinfo=UTC)
    return f"{moment // timedelta(microseconds=1)}-{row['pk']}"


def _window(jurisdiction_id: int, start: datetime, end: datetime, key_id: int | None = None) -> Any:
    return Case.objects.filter(
        _visible(key_id), jurisdiction_id=jurisdiction_id, submitted_at__gte=start, submitted_at__lte=end
    )


def _before(at: datetime, pk: int) -> Q:
    """Newer-first keyset: the requests after (at, pk) in the list's order (-submitted_at, -id)."""
    return Q(submitted_at__lt=at) | Q(submitted_at=at, pk__lt=pk)


# The default list (no filters, no key) and its next pages, read in two statements compiled once and prepared on
# PostgreSQL: the page's ids (cases and categories only, walking index case_console_list backwards from the cursor),
# then those cases with the names the wire shows. As one eight-table statement PostgreSQL re-planned it at every
# request (its estimate for the real window beat the generic plan), and planning cost several times the run.
_public_page = prepared.Query(
    lambda jurisdiction_id, start, end: (
        _window(jurisdiction_id, start, end).order_by("-submitted_at", "-id").values_list("pk")[: DEFAULT_PAGE_SIZE + 1]
    ),
    kinds=(int, datetime, datetime),
)
_public_page_after = prepared.Query(
    lambda jurisdiction_id, start, end, at, pk: (
        _window(jurisdiction_id, start, end)
        .filter(_before(at, pk))
        .order_by("-submitted_at", "-id")
        .values_list("pk")[: DEFAULT_PAGE_SIZE + 1]
    ),
    kinds=(int, datetime, datetime, datetime, int),
)
# Always DEFAULT_PAGE_SIZE + 1 ids (a short page is padded with 0, never an id): one statement text, one plan.
_public_rows = prepared.Query(lambda *ids: _rows(Case.objects.filter(pk__in=ids), public_only=True))


def _default_page(jurisdiction_id: int, start: datetime, end: datetime, after: tuple[datetime, int] | None, using: str):
    if after:
        ids = [pk for (pk,) in _public_page_after(jurisdiction_id, start, end, *after, using=using)]
    else:
        ids = [pk for (pk,) in _public_page(jurisdiction_id, start, end, using=using)]
    if not ids:
        return []
    padded = ids + [0] * (DEFAULT_PAGE_SIZE + 1 - len(ids))
    rows = {row["pk"]: row for row in _public_rows.dicts(*padded, using=using)}
    return [rows[pk] for pk in ids if pk in rows]


def service_requests(
    jurisdiction: Jurisdiction,
    *,
    ids: list[str] | None = None,
    codes: list[str] | None = None,
    statuses: list[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
    after: tuple[datetime, int] | None = None,
    english: bool = False,
    key_id: int | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """GET service requests: (page of rows, the cursor of the next page or None). ``ids`` overrides every other
    filter, as GeoReport v2 says; without dates the window is the last 90 days. Newest first; ``after`` (a cursor)
    starts after that request, ``page`` counts pages of ``page_size`` from there. Private requests are left out,
    except those filed with ``key_id``."""
    zone = timezone.get_current_timezone()
    if end is None:
        end = timeutil.now()
    if start is None:
        start = end - timedelta(days=DEFAULT_DAYS)
    using = router.db_for_read(Case) or "default"
    if not ids and not codes and not statuses and key_id is None and page == 1 and page_size == DEFAULT_PAGE_SIZE:
        found = _default_page(jurisdiction.pk, start, end, after, using)
    else:
        if ids:
            rows = Case.objects.filter(_visible(key_id), jurisdiction_id=jurisdiction.pk, public_id__in=_ids(ids))
        else:
            rows = _window(jurisdiction.pk, start, end, key_id)
            if codes:
                rows = rows.filter(category__code__in=codes)
            if statuses:
                wanted = set(statuses)
                if wanted == {"open"}:
                    rows = rows.filter(status__in=t.OPEN)
                elif wanted == {"closed"}:
                    rows = rows.exclude(status__in=t.OPEN)
        if after:
            rows = rows.filter(_before(*after))
        offset = (page - 1) * page_size
        read = _rows(rows.order_by("-submitted_at", "-id"), public_only=key_id is None)
        found = list(read[offset : offset + page_size + 1])
    shown = found[:page_size]
    following = _cursor_of(shown[-1]) if len(found) > page_size else None
    return [_as_request(r, english=english, key_id=key_id, zone=zone) for r in shown], following


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
    progress. The client that filed a request reads its notes (a result, a refusal's reason) as written; everyone
    else reads the labels, and the public summary when the result is published."""
    events = CaseEvent.objects.filter(_visible(key_id, "case__"), public=True, case__jurisdiction_id=jurisdiction.pk)
    if ids:
        events = events.filter(case__public_id__in=_ids(ids))
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
            public_id=F("case__public_id"),
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
        if e["kind"] in NOTE_KINDS and e["note"] and _filed_by(e, key_id):
            text = e["note"][:MAX_NOTE]
        elif e["kind"] == EventKind.PUBLISHED and e["note"]:
            text = mask_text(e["note"][:MAX_NOTE])  # the public summary
        items.append(
            {
                "update_id": str(e["pk"]),
                "service_request_id": e["public_id"],
                "status": open_or_closed(e["to_status"]) if e["to_status"] else "open",
                "updated_datetime": stamp(e["at"]),
                "description": text,
                "media_url": "",
                "extended_attributes": {"detailed_status": e["to_status"], "event": e["kind"]},
            }
        )
    return items, len(found) > page_size
