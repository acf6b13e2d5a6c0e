"""The thin Django adapter of the triage core: models kept per process, suggestions at submission, what triage said
about each case, duplicates, location from text, model versions and hot issues.

``routing`` is below ``cases`` (DESIGN.md §3): it answers in plain codes and ids (category code, unit code, level,
case ids, grid node and building ids) and the case engine maps them onto its rows.
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max

from gongzhi.core import caches, prepared, timeutil
from gongzhi.core.errors import DomainError, NotFound
from gongzhi.routing import classifier, demo_corpus, similarity, urgency
from gongzhi.routing import places as place_names
from gongzhi.routing.models import CaseTriage, Place, Source, TriageModel, TriageSettings

CACHE_SECONDS = 30.0
TEXT_CHARS = 300  # of title + description kept for duplicates and hot issues
HISTORY_HEADS = ("category", "unit", "level")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Thresholds:
    auto_confidence: float
    duplicate_distance_m: float
    duplicate_window_hours: float
    duplicate_similarity: float


@dataclass(frozen=True)
class PlaceFound:
    name: str
    kind: str
    node_id: int | None
    building_id: int | None
    lat: float | None
    lon: float | None


@dataclass(frozen=True)
class Suggestion:
    """What triage suggests for a new request. Empty ``category`` means no model (or nothing to go on)."""

    category: str = ""
    confidence: float = 0.0
    top: tuple[tuple[str, float], ...] = ()
    unit: str = ""
    unit_confidence: float = 0.0
    level: str = ""
    level_confidence: float = 0.0
    emergency: bool = False
    reasons: tuple[str, ...] = ()
    model_version: int | None = None
    duplicates: tuple[similarity.Match, ...] = ()
    place: PlaceFound | None = None
    auto: bool = False  # confident enough to apply without a dispatcher

    def as_data(self) -> dict[str, Any]:
        return {
            "top": [list(item) for item in self.top],
            "unit": [self.unit, self.unit_confidence] if self.unit else None,
            "level": [self.level, self.level_confidence] if self.level else None,
            "reasons": list(self.reasons),
            "model": self.model_version,
            "duplicates": [
                {"case": m.case_id, "similarity": m.similarity, "distance_m": m.distance_m} for m in self.duplicates
            ],
            "place": None if self.place is None else self.place.__dict__,
        }


# ------------------------------------------------------------------------------------------------ per-process caches


@dataclass
class _Loaded:
    expires: float
    pk: int | None
    version: int | None
    model: classifier.Model | None


_models: dict[int, _Loaded] = {}
_thresholds: dict[int, tuple[float, Thresholds]] = {}
_gazetteers: dict[int, tuple[float, place_names.Gazetteer]] = {}


def invalidate(*args: Any, **kwargs: Any) -> None:
    """Drop every cached model, threshold and gazetteer of this process."""
    _models.clear()
    _thresholds.clear()
    _gazetteers.clear()


caches.register(__name__, invalidate)


def active_model(jurisdiction_id: int) -> tuple[int | None, classifier.Model | None]:
    """(version, model) of the jurisdiction's active model, loaded once per process and rechecked every 30 s."""
    now = time.monotonic()
    loaded = _models.get(jurisdiction_id)
    if loaded is not None and loaded.expires > now:
        return loaded.version, loaded.model
    row = TriageModel.objects.filter(jurisdiction_id=jurisdiction_id, active=True).values_list("pk", "version").first()
    pk, version = row if row else (None, None)
    if loaded is not None and loaded.pk == pk:
        loaded.expires = now + CACHE_SECONDS
        return loaded.version, loaded.model
    model = None
    if pk is not None:
        blob = TriageModel.objects.filter(pk=pk).values_list("blob", flat=True).get()
        try:
            model = classifier.Model.from_bytes(bytes(blob))
            model.predict("路灯", "")  # warm up here, not in a submission: the segmenter's dictionary, lookup tables
        except Exception:  # a damaged model must not stop residents' reports: dispatchers triage by hand meanwhile
            log.exception(
                "triage model %s (version %s) of jurisdiction %s cannot be used", pk, version, jurisdiction_id
            )
            model = None
    _models[jurisdiction_id] = _Loaded(now + CACHE_SECONDS, pk, version, model)
    return version, model


def thresholds(jurisdiction_id: int) -> Thresholds:
    now = time.monotonic()
    cached = _thresholds.get(jurisdiction_id)
    if cached is not None and cached[0] > now:
        return cached[1]
    own = TriageSettings.objects.filter(jurisdiction_id=jurisdiction_id).first()

    def pick(name: str, setting: str) -> float:
        value = getattr(own, name, None) if own is not None else None
        return float(value if value is not None else getattr(settings, setting))

    found = Thresholds(
        auto_confidence=pick("auto_confidence", "GONGZHI_TRIAGE_AUTO_CONFIDENCE"),
        duplicate_distance_m=pick("duplicate_distance_m", "GONGZHI_TRIAGE_DUPLICATE_DISTANCE_M"),
        duplicate_window_hours=pick("duplicate_window_hours", "GONGZHI_TRIAGE_DUPLICATE_WINDOW_HOURS"),
        duplicate_similarity=pick("duplicate_similarity", "GONGZHI_TRIAGE_DUPLICATE_SIMILARITY"),
    )
    _thresholds[jurisdiction_id] = (now + CACHE_SECONDS, found)
    return found


def gazetteer(jurisdiction_id: int) -> place_names.Gazetteer:
    now = time.monotonic()
    cached = _gazetteers.get(jurisdiction_id)
    if cached is not None and cached[0] > now:
        return cached[1]
    found = place_names.Gazetteer(
        place_names.Place(name, kind, node_id, building_id, lat, lon)
        for name, kind, node_id, building_id, lat, lon in Place.objects.filter(
            jurisdiction_id=jurisdiction_id
        ).values_list("name", "kind", "node_id", "building_id", "lat", "lon")
    )
    _gazetteers[jurisdiction_id] = (now + CACHE_SECONDS * 10, found)
    return found


# ------------------------------------------------------------------------------------------------------- suggestions


def _text(title: str, description: str) -> str:
    return f"{title}。{description}"[:TEXT_CHARS] if description else title[:TEXT_CHARS]


# Metres in a degree of latitude, rounded down from the shortest (110,574 m at the equator): a box drawn with it is
# never smaller than the circle it must hold.
METRES_PER_DEGREE = 110_500.0
# How many earlier reports the duplicate finder compares a new one with at most: the newest of the window close by.
# Enough to find the report a resident is repeating (a burst's reports are alike; the newest are as good as any), and
# a fixed cost per submission however many pile up at one spot. Comparing is most of the finder's time (about 0.5 ms
# for 50 in a profile of Open311 POSTs; 100 cost twice that, a fifth of the whole request).
DUPLICATE_CANDIDATES = 50


def search_box(lat: float, distance_m: float) -> tuple[float, float]:
    """Half the height and width, in degrees, of the box around a point at ``lat`` that holds every point within
    ``distance_m``: a degree of longitude shrinks with the cosine of the latitude (taken at the box's poleward edge).
    The database picks the rows in the box; the exact distance is checked after (similarity.duplicates). A box no
    bigger than needed keeps the most recent candidates of the window about the same place, not ones streets away."""
    lat_span = distance_m / METRES_PER_DEGREE
    edge = min(abs(lat) + lat_span, 89.0)
    return lat_span, lat_span / math.cos(math.radians(edge))


def duplicate_candidates(
    *,
    jurisdiction_id: int,
    text: str,
    at: datetime,
    lat: float | None,
    lon: float | None,
    node_id: int | None,
    limits: Thresholds,
    group: str = "",
) -> list[similarity.Match]:
    """Earlier cases (any status; the case engine keeps the open ones) with a similar text close by in the window:
    the newest ``DUPLICATE_CANDIDATES`` of them, so a burst (a thousand residents reporting one burst water main)
    costs each new report the same as the first."""
    # Plain SQL: this runs inside every submission, and compiling the queryset cost more than running it.
    # The table name is our own model's; every value below is a bound parameter.
    table = CaseTriage._meta.db_table
    columns = "case_id, text, lat, lon, node_id, category"
    adapt = connection.ops.adapt_datetimefield_value
    common = "jurisdiction_id = %s AND submitted_at >= %s AND submitted_at <= %s"
    common_params: list[Any] = [jurisdiction_id, adapt(at - timedelta(hours=limits.duplicate_window_hours)), adapt(at)]
    if group:
        # Cases suggested into another category are never its duplicates (similarity.duplicates): leave them in SQL.
        common += " AND category IN (%s, '')"
        common_params.append(group)
    newest = f"ORDER BY submitted_at DESC LIMIT {DUPLICATE_CANDIDATES}"
    located = lat is not None and lon is not None
    cells = None
    if lat is not None and lon is not None:
        lat_span, lon_span = search_box(lat, limits.duplicate_distance_m)
        common += " AND lat BETWEEN %s AND %s AND lon BETWEEN %s AND %s"
        common_params += [lat - lat_span, lat + lat_span, lon - lon_span, lon + lon_span]
        cells = similarity.cells_around(lat, lon, lat_span, lon_span)
    # Each read keeps submitted_at for the outer ordering; it is not read back (converting SQLite's text timestamps
    # cost more than the query).
    read = f"SELECT {columns}, submitted_at FROM {table} WHERE {common}"  # noqa: S608
    if cells is not None:
        # One read per map cell the box touches, each walking index case_triage_nearby (jurisdiction, cell,
        # submitted_at) backwards and stopping at the newest few: a cell piled with 20,000 similar reports reads no
        # more rows than an empty one. One read over all the cells (cell IN (...)) would have to fetch and sort every
        # row of them in the window, which grew with each report of a burst.
        per_cell = f"{read} AND cell = %s {newest}"
        inner = " UNION ALL ".join(f"SELECT * FROM ({per_cell}) AS c{i}" for i in range(len(cells)))  # noqa: S608
        params = [value for cell in cells for value in (*common_params, cell)]
    elif located:  # a box of kilometres (more cells than MAX_CELLS): the window's rows in the box
        inner, params = read, common_params
    elif node_id is not None:
        inner, params = f"{read} AND node_id = %s", [*common_params, node_id]
    else:
        return []
    sql = f"SELECT {columns} FROM ({inner}) AS nearby {newest}"  # noqa: S608
    # Planned at each run on PostgreSQL: which index is best depends on how full the window and the cells are, and a
    # plan kept from when the table was small would scan it whole (core.prepared.Query).
    fetched = prepared.fetch(sql, params, prepare=False)
    # The window is applied in SQL and the matcher does not look at the time again.
    candidates = [
        similarity.Candidate(case_id, other, at, olat, olon, onode, other_group)
        for case_id, other, olat, olon, onode, other_group in fetched
    ]
    found = _guarded(
        "duplicate search",
        similarity.duplicates,
        text,
        candidates,
        lat=lat,
        lon=lon,
        node_id=node_id,
        group=group,
        threshold=limits.duplicate_similarity,
        max_distance_m=limits.duplicate_distance_m,
        limit=5,
    )
    return found or []


def _guarded[T](what: str, function: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """Smart triage only helps: when one of its computations fails (a bug, a strange text), the error is logged and
    the request goes on without that help (None) instead of a resident's report failing. Database errors are not
    computations and are not caught here."""
    try:
        return function(*args, **kwargs)
    except Exception:
        log.exception("smart triage: the %s failed; the request goes on without it", what)
        return None


def suggest(
    *,
    jurisdiction_id: int,
    title: str,
    description: str = "",
    lat: float | None = None,
    lon: float | None = None,
    node_id: int | None = None,
    at: datetime | None = None,
    locate: bool = False,
    duplicates: bool = True,
) -> Suggestion:
    """Category, unit and level with confidences and the top 3, the emergency flag with its reasons, possible
    duplicates nearby and (``locate``: the request came without a place) a place named in the text."""
    at = at or timeutil.now()
    text = f"{title}。{description}" if description else title
    flagged = _guarded("urgency check", urgency.detect, text) or urgency.Urgency(emergency=False, reasons=())
    version, model = active_model(jurisdiction_id)
    limits = thresholds(jurisdiction_id)
    found_place = None
    if locate:
        hit = _guarded("place search", gazetteer(jurisdiction_id).find, text)
        if hit is not None:
            p = hit.place
            found_place = PlaceFound(p.name, p.kind, p.node_id, p.building_id, p.lat, p.lon)
            if lat is None and p.lat is not None:
                lat, lon = p.lat, p.lon
            node_id = node_id or p.node_id
    predicted = (_guarded("prediction", model.predict, title, description, k=3) if model is not None else None) or {}
    category = predicted.get("category")
    unit = predicted.get("unit")
    level = predicted.get("level")
    confidence = category.confidence if category else 0.0
    matches: tuple[similarity.Match, ...] = ()
    if duplicates:
        matches = tuple(
            duplicate_candidates(
                jurisdiction_id=jurisdiction_id,
                text=_text(title, description),
                at=at,
                lat=lat,
                lon=lon,
                node_id=node_id,
                limits=limits,
                group=category.label if category else "",
            )
        )
    return Suggestion(
        category=category.label if category else "",
        confidence=confidence,
        top=category.top if category else (),
        unit=unit.label if unit and unit.label != "none" else "",
        unit_confidence=unit.confidence if unit else 0.0,
        level=level.label if level else "",
        level_confidence=level.confidence if level else 0.0,
        emergency=flagged.emergency,
        reasons=flagged.reasons,
        model_version=version,
        duplicates=matches,
        place=found_place,
        auto=bool(category) and confidence >= limits.auto_confidence,
    )


def record(
    *,
    case_id: int,
    jurisdiction_id: int,
    suggestion: Suggestion,
    title: str,
    description: str,
    at: datetime,
    lat: float | None,
    lon: float | None,
    node_id: int | None,
    node_path: str,
    auto_applied: bool,
    open_duplicates: Sequence[int] | None = None,
) -> CaseTriage:
    """Keep what triage said about a new case (the console shows it; duplicates and hot issues search it).
    ``open_duplicates``: the duplicate case ids the case engine found still open (the others are dropped)."""
    data = suggestion.as_data()
    if open_duplicates is not None:
        keep = set(open_duplicates)
        data["duplicates"] = [d for d in data["duplicates"] if d["case"] in keep]
    row = CaseTriage(
        case_id=case_id,
        jurisdiction_id=jurisdiction_id,
        submitted_at=at,
        text=_text(title, description),
        lat=lat,
        lon=lon,
        cell=similarity.cell_of(lat, lon) if lat is not None and lon is not None else None,
        node_id=node_id,
        node_path=node_path,
        category=suggestion.category,
        confidence=suggestion.confidence,
        auto_applied=auto_applied,
        emergency=suggestion.emergency,
        data=data,
    )
    prepared.insert(row)  # on every submission: a statement compiled once, not per call
    return row


def triage_for(case_ids: Iterable[int]) -> dict[int, CaseTriage]:
    """What triage said about these cases, by case id (the console's queue and case page)."""
    ids = list(case_ids)
    return {row.case_id: row for row in CaseTriage.objects.filter(case_id__in=ids)} if ids else {}


# ------------------------------------------------------------------------------------------------- model versions


@transaction.atomic
def store_model(
    *, jurisdiction_id: int, model: classifier.Model, source: str, metrics: dict[str, Any] | None = None, note: str = ""
) -> TriageModel:
    """Save a trained model as the next version and make it the active one."""
    if source not in Source.values:
        raise DomainError(f"unknown model source {source!r}")
    # Lock the jurisdiction's versions so two trainings cannot take the same number.
    list(TriageModel.objects.select_for_update().filter(jurisdiction_id=jurisdiction_id).values_list("pk"))
    latest = TriageModel.objects.filter(jurisdiction_id=jurisdiction_id).aggregate(v=Max("version"))["v"] or 0
    TriageModel.objects.filter(jurisdiction_id=jurisdiction_id, active=True).update(active=False)
    row = TriageModel.objects.create(
        jurisdiction_id=jurisdiction_id,
        version=latest + 1,
        source=source,
        samples=int(model.meta.get("samples", 0)),
        metrics={**model.meta, **(metrics or {})},
        blob=model.to_bytes(),
        active=True,
        note=note[:200],
    )
    _models.pop(jurisdiction_id, None)
    return row


@transaction.atomic
def rollback(*, jurisdiction_id: int, to_version: int | None = None) -> TriageModel:
    """Activate ``to_version``, or the version before the active one."""
    rows = list(TriageModel.objects.select_for_update().filter(jurisdiction_id=jurisdiction_id).order_by("version"))
    if not rows:
        raise NotFound("this jurisdiction has no triage model")
    current = next((r for r in rows if r.active), None)
    if to_version is None:
        if current is None:
            raise DomainError("no model is active; name the version to activate")
        older = [r for r in rows if r.version < current.version]
        if not older:
            raise DomainError(f"version {current.version} is the oldest; there is nothing to roll back to")
        target = older[-1]
    else:
        target = next((r for r in rows if r.version == to_version), None)
        if target is None:
            raise NotFound(f"there is no version {to_version}")
    TriageModel.objects.filter(jurisdiction_id=jurisdiction_id, active=True).update(active=False)
    TriageModel.objects.filter(pk=target.pk).update(active=True)
    target.active = True
    _models.pop(jurisdiction_id, None)
    return target


def train_demo(
    *, jurisdiction_id: int, categories: Sequence[demo_corpus.CategoryText], per_category: int = 60
) -> TriageModel:
    """Train and activate the starting model of a fresh deployment on text we generate from its catalogue."""
    samples = demo_corpus.generate(categories, per_category=per_category)
    model = classifier.train(samples, heads=HISTORY_HEADS, options=demo_corpus.OPTIONS)
    return store_model(
        jurisdiction_id=jurisdiction_id,
        model=model,
        source=Source.DEMO,
        note=f"{len(categories)} categories × {per_category} generated requests",
    )


@transaction.atomic
def refresh_places(*, jurisdiction_id: int, entries: Iterable[place_names.Place]) -> int:
    """Replace the jurisdiction's place names (buildings, compounds, grid units) the text matcher knows."""
    Place.objects.filter(jurisdiction_id=jurisdiction_id).delete()
    rows = [
        Place(
            jurisdiction_id=jurisdiction_id,
            name=e.name[:100],
            kind=e.kind,
            node_id=e.node_id,
            building_id=e.building_id,
            lat=e.lat,
            lon=e.lon,
        )
        for e in entries
        if len(e.name.strip()) >= 2
    ]
    Place.objects.bulk_create(rows, batch_size=1000)
    _gazetteers.pop(jurisdiction_id, None)
    return len(rows)


# ------------------------------------------------------------------------------------------------------ hot issues


@dataclass(frozen=True)
class HotIssue:
    """热点问题: similar recent cases together. ``label`` is the suggested category code most of them share (empty
    without a model); ``keywords`` the character pairs most of their texts share."""

    label: str
    keywords: list[str]
    count: int
    lat: float | None
    lng: float | None
    node_id: int | None
    first_at: datetime
    last_at: datetime
    case_ids: list[int] = field(default_factory=list)


HOT_ISSUE_ROWS = 20_000  # most recent cases clustered at once


def hot_issues(
    jurisdiction_id: int,
    since: datetime,
    until: datetime,
    path_prefix: str | None = None,
    limit: int = 10,
) -> list[HotIssue]:
    """Clusters of similar cases submitted in [since, until) (under a grid path prefix), biggest first."""
    if until <= since:
        raise DomainError("until must be after since")
    rows = CaseTriage.objects.filter(jurisdiction_id=jurisdiction_id, submitted_at__gte=since, submitted_at__lt=until)
    if path_prefix:
        rows = rows.filter(node_path__startswith=path_prefix)
    items = [
        similarity.Item(case_id, text, at, category, lat, lon, node_id)
        for case_id, text, at, category, lat, lon, node_id in rows.order_by("-submitted_at").values_list(
            "case_id", "text", "submitted_at", "category", "lat", "lon", "node_id"
        )[:HOT_ISSUE_ROWS]
    ]
    found = []
    for cluster in similarity.clusters(items)[: max(limit, 0)]:
        members = cluster.items
        located = [m for m in members if m.lat is not None and m.lon is not None]
        nodes = Counter(m.node_id for m in members if m.node_id is not None)
        found.append(
            HotIssue(
                label=cluster.group,
                keywords=cluster.keywords(),
                count=len(members),
                lat=sum(m.lat for m in located if m.lat is not None) / len(located) if located else None,
                lng=sum(m.lon for m in located if m.lon is not None) / len(located) if located else None,
                node_id=nodes.most_common(1)[0][0] if nodes else None,
                first_at=min(m.at for m in members),
                last_at=max(m.at for m in members),
                case_ids=sorted(m.case_id for m in members),
            )
        )
    return found
