"""Keep the rollups current from the append-only case events (and ratings), incrementally.

Every case change writes exactly one ``CaseEvent``; ratings are rows of their own (a duplicate's reporter may rate a
parent that is already closed, which changes the figures without an event). So the rollups follow two id streams
with a stored cursor each. A step reads the next batch of ids, recomputes the counter vector (formulas.contribution)
of every case they touch from the case's *current* row, and applies the difference to the rollup rows — old vector
out of its old buckets, new vector into its new ones (a case's buckets are those of its node and of every ancestor,
so each node's rows hold its whole subtree). Cases whose vector and buckets did not move write nothing. Recomputing
from the current row makes a step idempotent and order-free: reopened cases, merges, holds, months-long cases and
replays all come out right.

Ids are not handed out in commit order (PostgreSQL sequences), so an id below the cursor can commit after we read
past it. Such holes are remembered on the cursor and looked up again on the next steps until they appear or are
older than ``GAP_PATIENCE_S`` (a rolled-back transaction leaves a hole forever).

``catch_up()`` drains everything now (the worker calls it every few seconds; the simulator and tests may too);
``rebuild()`` recomputes everything from the cases — in SQL (bulk.py) by default, or through ``refresh`` in chunks.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from gongzhi.analytics import bulk
from gongzhi.analytics import formulas as f
from gongzhi.analytics.models import CaseFact, Rollup, RollupCursor
from gongzhi.cases.models import Case, CaseEvent, Rating
from gongzhi.grid.models import GridNode

BATCH = 5000
GAP_PATIENCE_S = 300
MAX_GAPS = 10_000
HOLD_KINDS = ("held", "resumed")
DIMENSIONS = ("category", "channel", "unit")
_FACT_FIELDS = ("jurisdiction_id", "day", "node_id", "path", "category_id", "channel", "unit")
Bucket = tuple[int, str, date, int, str, str, str]

_CASE_FIELDS = (
    "pk",
    "jurisdiction_id",
    "status",
    "channel",
    "submitted_at",
    "resolved_at",
    "resolved_level",
    "responded_on_time",
    "resolved_on_time",
    "sla_state",
    "rework_count",
    "on_the_spot",
    "grid_node_id",
    "owner_node_id",
    "category_id",
    "handler_department_id",
    "handler_node_id",
)


@dataclass(frozen=True)
class Fact:
    jurisdiction_id: int
    day: date
    node_id: int
    path: str
    category_id: int
    channel: str
    unit: str
    counts: f.Vector

    def buckets(self, ancestors: dict[tuple[int, str], list[tuple[int, str]]]) -> list[Bucket]:
        """(jurisdiction, period, start, node, path, dim, key) of every rollup row this case counts in: five per node
        from the root down to its own (``ancestors``: see ``_ancestors``)."""
        j = self.jurisdiction_id
        month = f.month_start(self.day)
        out: list[Bucket] = []
        for n, p in ancestors.get((j, self.path), ()):
            out.append((j, Rollup.DAY, self.day, n, p, "", ""))
            out.append((j, Rollup.MONTH, month, n, p, "", ""))
            out.append((j, Rollup.MONTH, month, n, p, "category", str(self.category_id)))
            out.append((j, Rollup.MONTH, month, n, p, "channel", self.channel))
            out.append((j, Rollup.MONTH, month, n, p, "unit", self.unit))
        return out


def _ancestors(facts: Iterable[Fact]) -> dict[tuple[int, str], list[tuple[int, str]]]:
    """(jurisdiction, path) → [(node id, path)] of every node whose path is a prefix of it (itself included) — the
    same pairs as bulk.py's ancestor table. One query for all the paths of a batch."""
    wanted = {(fact.jurisdiction_id, fact.path) for fact in facts if fact.path}
    if not wanted:
        return {}
    prefixes = {p[:i] for _j, p in wanted for i in range(1, len(p) + 1)}
    found = {
        (j, p): pk
        for j, p, pk in GridNode.objects.filter(
            jurisdiction_id__in={j for j, _p in wanted}, path__in=prefixes
        ).values_list("jurisdiction_id", "path", "pk")
    }
    return {
        (j, p): [(found[(j, p[:i])], p[:i]) for i in range(1, len(p) + 1) if (j, p[:i]) in found] for j, p in wanted
    }


# ------------------------------------------------------------------------------------------------ current facts


def _held_seconds(case_ids: Iterable[int]) -> dict[int, list[tuple[str, Any]]]:
    out: dict[int, list[tuple[str, Any]]] = defaultdict(list)
    rows = (
        CaseEvent.objects.filter(case_id__in=list(case_ids), kind__in=HOLD_KINDS)
        .order_by("case_id", "seq")
        .values_list("case_id", "kind", "at")
    )
    for case_id, kind, at in rows:
        out[case_id].append((kind, at))
    return out


def _hold_total(events: list[tuple[str, Any]], until: Any) -> float:
    """Seconds on hold before ``until`` (the resolution): each 'held' up to the next 'resumed'."""
    total, since = 0.0, None
    for kind, at in events:
        if kind == "held":
            since = at
        elif since is not None:
            total += (min(at, until) - since).total_seconds() if since < until else 0.0
            since = None
    return total


def facts_for(case_ids: Iterable[int]) -> dict[int, Fact]:
    """The current fact of each case (missing ids: deleted cases)."""
    ids = list(case_ids)
    if not ids:
        return {}
    rows = list(Case.objects.filter(pk__in=ids).values_list(*_CASE_FIELDS))
    ratings: dict[int, list[tuple[str, bool]]] = defaultdict(list)
    for case_id, score, solved in Rating.objects.filter(case_id__in=ids).values_list("case_id", "score", "solved"):
        ratings[case_id].append((score, solved))
    resolved_ids = [r[0] for r in rows if r[5] is not None]
    holds = _held_seconds(resolved_ids) if resolved_ids else {}
    node_ids = {r[12] or r[13] for r in rows}
    paths = dict(GridNode.objects.filter(pk__in=node_ids).values_list("pk", "path"))
    out: dict[int, Fact] = {}
    for (
        pk,
        jurisdiction_id,
        status,
        channel,
        submitted_at,
        resolved_at,
        resolved_level,
        responded_on_time,
        resolved_on_time,
        sla_state,
        rework_count,
        on_the_spot,
        grid_node_id,
        owner_node_id,
        category_id,
        handler_department_id,
        handler_node_id,
    ) in rows:
        state = f.CaseState(
            status=status,
            channel=channel,
            submitted_at=submitted_at,
            resolved_at=resolved_at,
            resolved_level=resolved_level,
            responded_on_time=responded_on_time,
            resolved_on_time=resolved_on_time,
            sla_state=sla_state,
            rework_count=rework_count,
            on_the_spot=on_the_spot,
            held_seconds=_hold_total(holds.get(pk, []), resolved_at) if resolved_at is not None else 0.0,
            ratings=ratings.get(pk, ()),
        )
        node_id = grid_node_id or owner_node_id
        if handler_department_id:
            unit = f"d{handler_department_id}"
        elif handler_node_id:
            unit = f"n{handler_node_id}"
        else:
            unit = ""
        out[pk] = Fact(
            jurisdiction_id=jurisdiction_id,
            day=timezone.localtime(submitted_at).date(),
            node_id=node_id,
            path=paths.get(node_id, ""),
            category_id=category_id or 0,
            channel=channel,
            unit=unit,
            counts=f.contribution(state),
        )
    return out


def _stored_facts(case_ids: list[int]) -> dict[int, Fact]:
    out = {}
    for row in CaseFact.objects.filter(case_id__in=case_ids).values_list("case_id", *_FACT_FIELDS, *f.COUNTERS):
        j, day, node_id, path, category_id, channel, unit = row[1:8]
        out[row[0]] = Fact(
            jurisdiction_id=j,
            day=day,
            node_id=node_id,
            path=path,
            category_id=category_id,
            channel=channel,
            unit=unit,
            counts=tuple(row[8:]),
        )
    return out


# ------------------------------------------------------------------------------------------------------ applying


def _upsert(model: Any, columns: list[str], conflict: list[str], updates: str, rows: list[tuple[Any, ...]]) -> None:
    """INSERT … ON CONFLICT … DO UPDATE for many rows. PostgreSQL: one statement over ``unnest`` of one array per
    column (one parse, one round trip, one executor run); SQLite: one statement run per row with ``executemany``.
    (Big multi-row VALUES statements spend their time in client-side placeholder parsing instead.)"""
    if not rows:
        return
    q = connection.ops.quote_name
    table = q(model._meta.db_table)
    head = f"INSERT INTO {table} ({', '.join(q(c) for c in columns)}) "
    tail = f" ON CONFLICT ({', '.join(q(c) for c in conflict)}) DO UPDATE SET {updates}"
    # Table and column names come from the models; every value is a bound parameter.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            types = [model._meta.get_field(c).db_type(connection) for c in columns]
            arrays = ", ".join(f"%s::{t}[]" for t in types)
            sql = head + f"SELECT * FROM unnest({arrays})" + tail  # noqa: S608
            cursor.execute(sql, [list(col) for col in zip(*rows, strict=True)])
        else:
            sql = head + f"VALUES ({', '.join(['%s'] * len(columns))})" + tail
            cursor.executemany(sql, rows)


def _apply_deltas(params: list[tuple[Any, ...]]) -> None:
    q = connection.ops.quote_name
    table = Rollup._meta.db_table
    _upsert(
        Rollup,
        ["jurisdiction_id", "period", "start", "node_id", "path", "dim", "key", *f.COUNTERS],
        ["node_id", "period", "dim", "start", "key"],
        ", ".join(f"{q(c)} = {q(table)}.{q(c)} + excluded.{q(c)}" for c in f.COUNTERS),
        params,
    )


def _store_facts(facts: list[tuple[int, Fact]]) -> None:
    q = connection.ops.quote_name
    columns = [*_FACT_FIELDS, *f.COUNTERS]
    _upsert(
        CaseFact,
        ["case_id", *columns],
        ["case_id"],
        ", ".join(f"{q(c)} = excluded.{q(c)}" for c in columns),
        [
            (pk, x.jurisdiction_id, x.day, x.node_id, x.path, x.category_id, x.channel, x.unit, *x.counts)
            for pk, x in facts
        ],
    )


def refresh(case_ids: Iterable[int]) -> int:
    """Bring the facts and rollups of these cases up to their current state. Call inside a transaction."""
    ids = sorted(set(case_ids))
    if not ids:
        return 0
    new = facts_for(ids)
    old = _stored_facts(ids)
    moved = [(pk, old.get(pk), new.get(pk)) for pk in ids if old.get(pk) != new.get(pk)]
    if not moved:
        return 0
    # Sum the differences per place and keys first (a batch of cases shares few), then spread each sum over the
    # node's ancestors: the Python work grows with the distinct groups, not with cases × levels × buckets.
    groups: dict[Fact, list[int]] = {}
    for _pk, before, after in moved:
        for fact, sign in ((before, -1), (after, 1)):
            if fact is None:
                continue
            acc = groups.setdefault(replace(fact, counts=f.ZERO), [0] * f.N)
            for i, x in enumerate(fact.counts):
                if x:
                    acc[i] += sign * x
    ancestors = _ancestors(groups)
    deltas: dict[Bucket, list[int]] = {}
    for group, delta in groups.items():
        if not any(delta):
            continue
        for bucket in group.buckets(ancestors):
            row = deltas.get(bucket)
            if row is None:
                deltas[bucket] = list(delta)
            else:
                deltas[bucket] = [a + b for a, b in zip(row, delta, strict=True)]
    _apply_deltas([(*bucket, *delta) for bucket, delta in deltas.items() if any(delta)])
    gone = [pk for pk, _before, after in moved if after is None]
    if gone:
        CaseFact.objects.filter(case_id__in=gone).delete()
    _store_facts([(pk, after) for pk, _before, after in moved if after is not None])
    return len(moved)


# ------------------------------------------------------------------------------------------------------ streams


def _cursor(name: str) -> RollupCursor:
    RollupCursor.objects.get_or_create(name=name)
    return RollupCursor.objects.select_for_update().get(name=name)


def _read(model: Any, cursor: RollupCursor, batch: int) -> list[int]:
    """Case ids touched by the next ids of one stream (and by holes that have filled in); moves the cursor."""
    now = time.time()
    touched: list[int] = []
    if cursor.gaps:
        waiting = {int(i): float(seen) for i, seen in cursor.gaps}
        found = list(model.objects.filter(pk__in=list(waiting)).values_list("pk", "case_id"))
        for pk, case_id in found:
            waiting.pop(pk, None)
            touched.append(case_id)
        cursor.gaps = [[i, seen] for i, seen in sorted(waiting.items()) if now - seen < GAP_PATIENCE_S]
    rows = list(model.objects.filter(pk__gt=cursor.last_id).order_by("pk").values_list("pk", "case_id")[:batch])
    expected = cursor.last_id + 1
    new_gaps: list[list[float]] = []
    for pk, case_id in rows:
        if pk > expected and len(cursor.gaps) + len(new_gaps) < MAX_GAPS:
            new_gaps.extend([i, now] for i in range(expected, min(pk, expected + MAX_GAPS)))
        expected = pk + 1
        touched.append(case_id)
    if rows:
        cursor.last_id = rows[-1][0]
    cursor.gaps = cursor.gaps + new_gaps[: max(0, MAX_GAPS - len(cursor.gaps))]
    return touched


def step(batch: int = BATCH) -> tuple[int, int]:
    """One batch of both streams: (stream rows read, cases refreshed)."""
    with transaction.atomic():
        events = _cursor("events")
        ratings = _cursor("ratings")
        before = (events.last_id, ratings.last_id, len(events.gaps), len(ratings.gaps))
        touched = _read(CaseEvent, events, batch) + _read(Rating, ratings, batch)
        refreshed = refresh(touched) if touched else 0
        if (events.last_id, ratings.last_id, len(events.gaps), len(ratings.gaps)) != before or touched:
            events.save()
            ratings.save()
    return len(touched), refreshed


def catch_up(*, batch: int = BATCH) -> int:
    """Process every event and rating written so far; returns the number of cases whose figures moved."""
    refreshed = 0
    while True:
        read, n = step(batch)
        refreshed += n
        if read < batch:
            return refreshed


def rebuild(*, chunk: int = BATCH, bulk_sql: bool = True) -> int:
    """Recompute every fact and rollup from the cases (first deployment, or after a change of formulas): in SQL
    (bulk.py, minutes for millions of cases) or, with ``bulk_sql=False``, through ``refresh`` in chunks."""
    with transaction.atomic():
        RollupCursor.objects.all().delete()
        events, ratings = _cursor("events"), _cursor("ratings")
        events.last_id = CaseEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        ratings.last_id = Rating.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        events.save()
        ratings.save()
        if bulk_sql:
            return bulk.build(timezone.get_current_timezone_name())
        CaseFact.objects.all().delete()
        Rollup.objects.all().delete()
    done, last = 0, 0
    while True:
        ids = list(Case.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:chunk])
        if not ids:
            return done
        with transaction.atomic():
            done += refresh(ids)
        last = ids[-1]


def raw_counts(case_ids: Iterable[int]) -> f.Vector:
    """The summed counters of these cases computed from their rows now (no rollup) — the reference for tests."""
    ids = list(case_ids)
    vectors = []
    for start in range(0, len(ids), BATCH):
        vectors.extend(fact.counts for fact in facts_for(ids[start : start + BATCH]).values())
    return f.total(vectors)
