"""Build every case fact and rollup row from the cases in a few ``INSERT … SELECT … GROUP BY`` statements.

The incremental path (rollup.refresh) computes a case's counter vector in Python with ``formulas.contribution``; this
module computes the same vector in SQL, for millions of cases at once (``gongzhi analytics rebuild``, and the
benchmark after its bulk fill). The expressions below mirror ``contribution`` line by line and take their status,
channel and level lists from ``formulas``; tests assert that both paths write exactly the same rows.

Order of work, all in the caller's transaction:

1. one fact row per case (its counters as columns) from ``cases_case`` joined with its ratings (counted per case)
   and its time on hold (each 'held' up to the next 'resumed', cut at the resolution — as ``rollup._hold_total``);
2. the ancestor pairs of the grid: node → itself and every node whose path is a prefix of its path (a temporary
   table on PostgreSQL);
3. day rows: facts summed per day and node, then spread over the ancestors and summed again;
4. month rows: the day rows summed per month; category, channel and unit rows: facts summed per month, node and key,
   then spread over the ancestors.

PostgreSQL and SQLite differ only in a few functions (``_Dialect``). Every statement is assembled from model
metadata (table and column names) and constants of ``formulas``; the only value from outside, the time zone name,
is a bound parameter — hence the file-wide S608 exemption.
"""

# ruff: noqa: S608

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection

from gongzhi.analytics import formulas as f
from gongzhi.analytics.models import CaseFact, Rollup
from gongzhi.cases.models import Case, CaseEvent, Rating
from gongzhi.grid.models import GridNode

ANCESTORS = "analytics_tmp_ancestor"


@dataclass(frozen=True)
class _Dialect:
    postgres: bool

    def micros(self, column: str) -> str:
        """A timestamp as integer microseconds since the epoch (exact on both databases)."""
        if self.postgres:
            return f"CAST(EXTRACT(EPOCH FROM {column}) * 1000000 AS bigint)"
        # SQLite stores 'YYYY-MM-DD HH:MM:SS[.ffffff]' in UTC. The whole seconds are read without the fraction:
        # SQLite parses time to the nearest millisecond, so strftime('%s') of '…:49.999840' says :50.
        return (
            f"(CAST(strftime('%%s', substr({column}, 1, 19)) AS INTEGER) * 1000000"
            f" + CASE WHEN length({column}) > 20 THEN CAST(substr({column}, 21, 6) AS INTEGER) ELSE 0 END)"
        )

    def least(self, a: str, b: str) -> str:
        return f"LEAST({a}, {b})" if self.postgres else f"MIN({a}, {b})"

    def greatest(self, a: str, b: str) -> str:
        return f"GREATEST({a}, {b})" if self.postgres else f"MAX({a}, {b})"

    def month(self, column: str) -> str:
        return f"CAST(DATE_TRUNC('month', {column}) AS date)" if self.postgres else f"date({column}, 'start of month')"


def _flag(condition: str) -> str:
    return f"CASE WHEN {condition} THEN 1 ELSE 0 END"


def _quoted(values: Any) -> str:
    return ", ".join(f"'{v}'" for v in sorted(values))  # constants from formulas, never user input


def counter_expressions(d: _Dialect) -> dict[str, str]:
    """SQL for every counter of one case ``c`` (with ratings ``r`` and hold time ``h``) — formulas.contribution."""
    handled = f"c.status NOT IN ({_quoted(f.NOT_HANDLED)})"
    is_open = f"c.status IN ({_quoted(f.OPEN_STATUSES)})"
    resolved = f"({handled} AND c.resolved_at IS NOT NULL)"
    # Whole minutes, half up, of (resolution − submission − time on hold), in integer microseconds.
    elapsed = f"{d.micros('c.resolved_at')} - {d.micros('c.submitted_at')} - COALESCE(h.held, 0)"
    handling = d.greatest("0", f"({elapsed} + 30000000) / 60000000")
    out = {
        "received": "1",
        "handled": _flag(handled),
        "rejected": _flag("c.status = 'rejected'"),
        "merged": _flag("c.status = 'merged'"),
        "resolved": _flag(resolved),
        "closed": _flag("c.status = 'closed'"),
        "open": _flag(is_open),
        "due_response": _flag(f"{handled} AND c.responded_on_time IS NOT NULL"),
        "responded": _flag(f"{handled} AND c.responded_on_time IS TRUE"),
        "due_resolution": _flag(f"{handled} AND c.resolved_on_time IS NOT NULL"),
        "on_time": _flag(f"{handled} AND c.resolved_on_time IS TRUE"),
        "overdue": _flag(f"{is_open} AND c.sla_state = 'breached'"),
        "warning": _flag(f"{is_open} AND c.sla_state = 'warning'"),
        "on_hold": _flag("c.status = 'on_hold'"),
        "reworked": _flag(f"{handled} AND c.rework_count > 0"),
        "on_the_spot": _flag(f"{handled} AND c.on_the_spot IS TRUE"),
        "proactive": _flag(f"c.channel IN ({_quoted(f.PROACTIVE_CHANNELS)})"),
        "rated": "COALESCE(r.rated, 0)",
        "satisfied": "COALESCE(r.satisfied, 0)",
        "very_satisfied": "COALESCE(r.very_satisfied, 0)",
        "solved": "COALESCE(r.solved, 0)",
        "handling_minutes": f"CASE WHEN {resolved} THEN {handling} ELSE 0 END",
    }
    for level in f.LEVELS:
        out[f"level_{level}"] = _flag(f"{resolved} AND c.resolved_level = '{level}'")
    assert set(out) == set(f.COUNTERS)
    return out


def _facts_sql(d: _Dialect, tzname: str) -> tuple[str, list[Any]]:
    q = connection.ops.quote_name
    cases, events, ratings, nodes = (
        Case._meta.db_table,
        CaseEvent._meta.db_table,
        Rating._meta.db_table,
        GridNode._meta.db_table,
    )
    day_sql, day_params = connection.ops.datetime_cast_date_sql("c.submitted_at", (), tzname)
    counters = counter_expressions(d)
    columns = ["case_id", "jurisdiction_id", "day", "node_id", "path", "category_id", "channel", "unit", *f.COUNTERS]
    values = [
        "c.id",
        "c.jurisdiction_id",
        day_sql,
        "COALESCE(c.grid_node_id, c.owner_node_id)",
        "COALESCE(n.path, '')",
        "COALESCE(c.category_id, 0)",
        "c.channel",
        "CASE WHEN c.handler_department_id IS NOT NULL THEN 'd' || c.handler_department_id "
        "WHEN c.handler_node_id IS NOT NULL THEN 'n' || c.handler_node_id ELSE '' END",
        *(counters[name] for name in f.COUNTERS),
    ]
    held = (
        f"SELECT e.case_id, CAST(SUM({d.micros(d.least('e.at', 'k.resolved_at'))} - {d.micros('e.prev_at')}) "
        "AS bigint) AS held "
        f"FROM (SELECT case_id, kind, at, LAG(kind) OVER w AS prev_kind, LAG(at) OVER w AS prev_at FROM {events} "
        f"WHERE kind IN ('held', 'resumed') WINDOW w AS (PARTITION BY case_id ORDER BY seq)) e "
        f"JOIN {cases} k ON k.id = e.case_id "
        "WHERE e.kind = 'resumed' AND e.prev_kind = 'held' AND k.resolved_at IS NOT NULL AND e.prev_at < k.resolved_at "
        "GROUP BY e.case_id"
    )
    rated = (
        f"SELECT case_id, COUNT(*) AS rated, SUM({_flag("score <> 'unsatisfied'")}) AS satisfied, "
        f"SUM({_flag("score = 'satisfied'")}) AS very_satisfied, SUM({_flag('solved')}) AS solved "
        f"FROM {ratings} GROUP BY case_id"
    )
    sql = (
        f"INSERT INTO {CaseFact._meta.db_table} ({', '.join(q(c) for c in columns)}) "
        f"SELECT {', '.join(values)} FROM {cases} c "
        f"LEFT JOIN {nodes} n ON n.id = COALESCE(c.grid_node_id, c.owner_node_id) "
        f"LEFT JOIN ({rated}) r ON r.case_id = c.id "
        f"LEFT JOIN ({held}) h ON h.case_id = c.id"
    )
    return sql, list(day_params)


def _rollup_insert(select: str) -> str:
    q = connection.ops.quote_name
    columns = ["jurisdiction_id", "period", "start", "node_id", "path", "dim", "key", *f.COUNTERS]
    return f"INSERT INTO {Rollup._meta.db_table} ({', '.join(q(c) for c in columns)}) {select}"


def _sums(alias: str = "") -> str:
    q = connection.ops.quote_name
    prefix = f"{alias}." if alias else ""
    return ", ".join(f"SUM({prefix}{q(c)}) AS {q(c)}" for c in f.COUNTERS)


def build(tzname: str) -> int:
    """Replace every fact and rollup row by ones computed in SQL. Call inside a transaction; returns the facts."""
    d = _Dialect(postgres=connection.vendor == "postgresql")
    facts, rollups, nodes = CaseFact._meta.db_table, Rollup._meta.db_table, GridNode._meta.db_table
    with connection.cursor() as cursor:
        if d.postgres:
            cursor.execute("SET LOCAL work_mem = '256MB'")
            # Fresh statistics, and no nested loops: a badly estimated join would run the ratings / holds
            # aggregates once per case (quadratic) instead of hashing them once.
            cursor.execute(f"ANALYZE {Case._meta.db_table}, {CaseEvent._meta.db_table}, {Rating._meta.db_table}")
            cursor.execute("SET LOCAL enable_nestloop = off")
            cursor.execute(f"TRUNCATE {rollups}, {facts}")
        else:
            cursor.execute(f"DELETE FROM {rollups}")
            cursor.execute(f"DELETE FROM {facts}")
        sql, params = _facts_sql(d, tzname)
        cursor.execute(sql, params)
        count = cursor.rowcount
        if d.postgres:
            cursor.execute(f"ANALYZE {facts}")
        pairs = (
            f"SELECT n.id AS node_id, a.id AS anc_id, a.path AS anc_path FROM {nodes} n JOIN {nodes} a "
            "ON a.jurisdiction_id = n.jurisdiction_id AND length(a.path) <= length(n.path) "
            "AND a.path = substr(n.path, 1, length(a.path))"
        )
        if d.postgres:  # computed once; SQLite (small, embedded) joins the subquery itself and changes no schema
            cursor.execute(f"DROP TABLE IF EXISTS {ANCESTORS}")
            cursor.execute(f"CREATE TEMP TABLE {ANCESTORS} ON COMMIT DROP AS {pairs}")
            ancestors = ANCESTORS
        else:
            ancestors = f"({pairs})"
        # Day rows: per day and node first (few rows), then per ancestor.
        cursor.execute(
            _rollup_insert(
                f"SELECT x.jurisdiction_id, 'd', x.day, a.anc_id, a.anc_path, '', '', {_sums('x')} "
                f"FROM (SELECT jurisdiction_id, day, node_id, {_sums()} FROM {facts} "
                "GROUP BY jurisdiction_id, day, node_id) x "
                f"JOIN {ancestors} a ON a.node_id = x.node_id "
                "GROUP BY x.jurisdiction_id, x.day, a.anc_id, a.anc_path"
            ),
            [],
        )
        # Month rows without a dimension: the day rows of each month.
        cursor.execute(
            _rollup_insert(
                f"SELECT jurisdiction_id, 'm', {d.month('start')}, node_id, path, '', '', {_sums()} "
                f"FROM {rollups} WHERE period = 'd' GROUP BY jurisdiction_id, {d.month('start')}, node_id, path"
            ),
            [],
        )
        keys = {"category": "CAST(category_id AS VARCHAR(24))", "channel": "channel", "unit": "unit"}
        for dim, key in keys.items():
            cursor.execute(
                _rollup_insert(
                    f"SELECT x.jurisdiction_id, 'm', x.month, a.anc_id, a.anc_path, '{dim}', x.k, {_sums('x')} "
                    f"FROM (SELECT jurisdiction_id, {d.month('day')} AS month, node_id, {key} AS k, {_sums()} "
                    f"FROM {facts} GROUP BY jurisdiction_id, {d.month('day')}, node_id, {key}) x "
                    f"JOIN {ancestors} a ON a.node_id = x.node_id "
                    "GROUP BY x.jurisdiction_id, x.month, a.anc_id, a.anc_path, x.k"
                ),
                [],
            )
        if d.postgres:
            cursor.execute(f"DROP TABLE {ANCESTORS}")
            cursor.execute(f"ANALYZE {rollups}")
            cursor.execute("RESET enable_nestloop")
            cursor.execute("RESET work_mem")
    return count
