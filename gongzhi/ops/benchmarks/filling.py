"""Cases written by PostgreSQL itself for the benchmarks: ``INSERT … SELECT … FROM generate_series`` (not the ORM
row by row), millions in a minute or two.

``fill_cases`` spreads cases over the district the way a year of work leaves them (most closed) or piles open ones at
one spot; with ``events`` and ``triage`` each case also gets its 'submitted' timeline entry and the triage record
the duplicate finder reads, as ``cases.services.submit`` would have written them.
"""

# ruff: noqa: S608 — column names from the models and expressions from this module; every value is a bound parameter.

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# mod(g, 100) picks the status: 85 % closed, 4 % resolved, 4 % accepted, 2 % dispatched to a pool, 2 % triaged,
# 3 % submitted — about what a district holds after a year (most cases are finished).
YEAR_OF_WORK = (
    "CASE WHEN mod(g, 100) < 85 THEN 'closed' WHEN mod(g, 100) < 89 THEN 'resolved' "
    "WHEN mod(g, 100) < 93 THEN 'accepted' "
    "WHEN mod(g, 100) < 95 THEN 'dispatched' WHEN mod(g, 100) < 97 THEN 'triaged' ELSE 'submitted' END"
)


@dataclass
class Places:
    """Where the cases go, cycled by the case's number: micro-grids (``node``, ``owner``, ``steward``) and, when
    given, buildings on them (``building``, ``lat``, ``lon`` of the same length)."""

    node: list[int]
    owner: list[int]
    steward: list[int]
    building: list[int] = field(default_factory=list)
    lat: list[float] = field(default_factory=list)
    lon: list[float] = field(default_factory=list)


def district_places(jurisdiction_id: int, *, buildings: bool = False) -> Places:
    """The demo district's micro-grids with their community and first steward, or (``buildings``) its buildings."""
    from gongzhi.grid import roles
    from gongzhi.grid.models import Building, GridNode, StaffPost

    communities = dict(
        GridNode.objects.filter(jurisdiction_id=jurisdiction_id, level=roles.COMMUNITY).values_list("path", "pk")
    )
    steward_of: dict[int, int] = {}
    for node_id, user_id in StaffPost.objects.filter(role=roles.STEWARD, active=True).values_list("node_id", "user_id"):
        steward_of.setdefault(node_id, user_id)
    if buildings:
        rows = list(
            Building.objects.filter(jurisdiction_id=jurisdiction_id, lat__isnull=False, lon__isnull=False)
            .order_by("pk")
            .values_list("pk", "node_id", "node__path", "lat", "lon")
        )
        return Places(
            node=[r[1] for r in rows],
            owner=[communities.get(r[2][:12], r[1]) for r in rows],
            steward=[steward_of.get(r[1], 0) for r in rows],
            building=[r[0] for r in rows],
            lat=[r[3] for r in rows],
            lon=[r[4] for r in rows],
        )
    micro = list(
        GridNode.objects.filter(jurisdiction_id=jurisdiction_id, level=roles.MICRO_GRID)
        .order_by("path")
        .values_list("pk", "path")
    )
    return Places(
        node=[pk for pk, _ in micro],
        owner=[communities[path[:12]] for _, path in micro],
        steward=[steward_of.get(pk, 0) for pk, _ in micro],
    )


def fill_cases(
    *,
    jurisdiction_id: int,
    n: int,
    places: Places,
    categories: list[int],
    now: datetime,
    code: str = "B",
    spacing_s: float = 30.0,
    status: str = YEAR_OF_WORK,
    title: str = "'批量问题 ' || g",
    events: bool = False,
    triage: bool = False,
) -> int:
    """Write ``n`` cases, the last submitted at ``now`` and each ``spacing_s`` seconds before the next; tracking
    codes and public ids start with ``code`` (one letter per fill: they are unique). ``status``: an SQL expression of
    ``g`` (the case's number). Returns the cases written."""
    from django.db import connection

    from gongzhi.cases.models import Case, CaseEvent
    from gongzhi.routing.models import CaseTriage
    from gongzhi.routing.similarity import CELL_DEGREES

    channels = ["qr", "web", "walk_in", "hotline", "phone", "patrol", "visit", "api"]
    p = "(1 + mod(g / 7, %(np)s))"  # the place's index, 1-based for PostgreSQL arrays
    submitted = "(%(now)s - ((%(n)s - g) * %(spacing)s * interval '1 second'))"
    placed = bool(places.building)
    expressions: dict[str, str] = {
        "jurisdiction_id": "%(j)s",
        "tracking_code": f"'{code}' || lpad(g::text, 9, '0')",
        "public_id": f"'{code.lower()}' || lpad(g::text, 11, '0')",
        "channel": "(%(channels)s::text[])[1 + mod(g, 8)]",
        "category_id": "(%(categories)s::bigint[])[1 + mod(g, %(nc)s)]",
        "title": title,
        "grid_node_id": f"(%(node)s::bigint[])[{p}]",
        "owner_node_id": f"(%(owner)s::bigint[])[{p}]",
        "level": "'micro_grid'",
        "status": f"({status})",
        "submitted_at": submitted,
        "resolve_due": f"{submitted} + interval '1 day'",
        "response_due": f"{submitted} + interval '1 hour'",
        "updated_at": "%(now)s",
    }
    if placed:
        expressions |= {
            "building_id": f"(%(building)s::bigint[])[{p}]",
            "lat": f"(%(lat)s::float8[])[{p}]",
            "lon": f"(%(lon)s::float8[])[{p}]",
        }
    if status == YEAR_OF_WORK:
        expressions |= {
            "handler_node_id": f"CASE WHEN mod(g, 100) BETWEEN 85 AND 94 THEN (%(node)s::bigint[])[{p}] END",
            "handler_user_id": "CASE WHEN mod(g, 100) BETWEEN 85 AND 92 "
            f"THEN NULLIF((%(steward)s::bigint[])[{p}], 0) END",
            "pooled": "mod(g, 100) BETWEEN 93 AND 94",
            "triaged_at": f"CASE WHEN mod(g, 100) < 97 THEN {submitted} END",
            "dispatched_at": f"CASE WHEN mod(g, 100) < 95 THEN {submitted} END",
            "accepted_at": f"CASE WHEN mod(g, 100) < 93 THEN {submitted} END",
            "resolved_at": f"CASE WHEN mod(g, 100) < 89 THEN {submitted} + interval '5 hours' END",
            "closed_at": f"CASE WHEN mod(g, 100) < 85 THEN {submitted} + interval '2 days' END",
            "sla_state": "CASE WHEN mod(g, 100) < 89 THEN 'done' WHEN mod(g, 13) = 0 THEN 'warning' "
            "WHEN mod(g, 100) >= 89 AND g > %(n)s - 2880 THEN 'on_track' ELSE 'breached' END",
            "resolved_level": "CASE WHEN mod(g, 100) < 89 THEN 'micro_grid' ELSE '' END",
        }
    params: dict[str, Any] = {
        "j": jurisdiction_id,
        "n": n,
        "now": now,
        "spacing": spacing_s,
        "channels": channels,
        "categories": categories,
        "nc": len(categories),
        "node": places.node,
        "owner": places.owner,
        "steward": places.steward,
        "building": places.building,
        "lat": places.lat,
        "lon": places.lon,
        "np": len(places.node),
    }
    columns, values = [], []
    for f in Case._meta.concrete_fields:
        if f.primary_key:
            continue
        columns.append(connection.ops.quote_name(f.column))
        if f.column in expressions:
            values.append(expressions[f.column])
        elif f.null and not f.has_default():
            values.append("NULL")
        else:
            key = f"default_{f.column}"
            params[key] = f.get_db_prep_save(f.get_default(), connection)
            values.append(f"%({key})s")
    cases = Case._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {cases}")
        (before,) = cursor.fetchone()
        cursor.execute(
            f"INSERT INTO {cases} ({', '.join(columns)}) "
            f"SELECT {', '.join(values)} FROM generate_series(1, %(n)s) AS g",
            params,
        )
        if events:
            cursor.execute(
                f"INSERT INTO {CaseEvent._meta.db_table} (case_id, seq, kind, from_status, to_status, note, data, "
                "public, at) SELECT id, 1, 'submitted', '', 'submitted', '', '{}', true, submitted_at "
                f"FROM {cases} WHERE id > %s",
                [before],
            )
        if triage and placed:
            # The cell as routing.similarity.cell_of computes it.
            cursor.execute(
                f"INSERT INTO {CaseTriage._meta.db_table} (case_id, jurisdiction_id, submitted_at, text, lat, lon, "
                "node_id, node_path, category, cell, confidence, auto_applied, emergency, data) "
                "SELECT id, jurisdiction_id, submitted_at, left(title, 300), lat, lon, grid_node_id, '', '', "
                "floor((lat + 90.0) / %s)::bigint * 100000 + floor((lon + 180.0) / %s)::bigint, 0, false, false, "
                f"'{{}}' FROM {cases} WHERE id > %s",
                [CELL_DEGREES, CELL_DEGREES, before],
            )
        for table in (cases, CaseEvent._meta.db_table, CaseTriage._meta.db_table):
            cursor.execute(f"ANALYZE {table}")
    return n
