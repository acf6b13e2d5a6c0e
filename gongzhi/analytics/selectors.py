"""Reads of the rollups: sums of counter vectors of a node's subtree over a period.

A node's rollup rows already hold its whole subtree (a case counts at its node and every ancestor), so every read is
an exact lookup on (node_id, period, dim, start) — the rollup table's unique index — never a path-prefix scan.

The formulas live in ``formulas``; these functions only add up rows. Every staff read starts from ``node_for`` (the
viewer's grid scope; out of scope and missing are the same 404).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet, Sum
from django.db.models.functions import Length

from gongzhi.analytics import formulas as f
from gongzhi.analytics.models import Rollup
from gongzhi.care import selectors as care_selectors
from gongzhi.core.errors import NotFound
from gongzhi.deliberation import selectors as deliberation_selectors
from gongzhi.grid import roles
from gongzhi.grid import selectors as grid_selectors
from gongzhi.grid.models import GridNode
from gongzhi.volunteers import selectors as people_selectors

SEGMENT = 4  # characters per level in GridNode.path
_SUMS = {name: Sum(name) for name in f.COUNTERS}


def node_for(user: Any, node_id: Any) -> GridNode:
    """A node the viewer may see the figures of (analytics.view over it); NotFound otherwise."""
    node = grid_selectors.grid_node_for(user, node_id)
    if not grid_selectors.user_can(user, roles.ANALYTICS_VIEW, node):
        raise NotFound("no such grid node")
    return node


def user_can_see(user: Any, node: GridNode) -> bool:
    return grid_selectors.user_can(user, roles.ANALYTICS_VIEW, node)


def home_node(user: Any) -> GridNode:
    """Where the viewer's dashboard opens: the outermost node they may see the figures of (the console's navigation
    asks the same question to decide whether to link here)."""
    node = grid_selectors.home_node_with(user, roles.ANALYTICS_VIEW)
    if node is None:
        raise NotFound("no area to show")
    return node


def _rows(node: GridNode, *, period: str, dim: str, since: date | None, until: date | None) -> QuerySet[Rollup]:
    return _rows_of([node.pk], period=period, dim=dim, since=since, until=until)


def _rows_of(node_ids: list[int], *, period: str, dim: str, since: date | None, until: date | None) -> QuerySet[Rollup]:
    qs = (
        Rollup.objects.filter(node_id__in=node_ids)
        if len(node_ids) != 1
        else Rollup.objects.filter(node_id=node_ids[0])
    )
    qs = qs.filter(period=period, dim=dim)
    if since is not None:
        qs = qs.filter(start__gte=since)
    if until is not None:
        qs = qs.filter(start__lt=until)
    return qs


def _clean(row: dict[str, Any]) -> dict[str, int]:
    return {name: int(row.get(name) or 0) for name in f.COUNTERS}


def counts(
    *, node: GridNode, period: str = Rollup.MONTH, since: date | None = None, until: date | None = None
) -> dict[str, int]:
    """Summed counters of the node's subtree over [since, until) (periods by their start)."""
    return _clean(_rows(node, period=period, dim="", since=since, until=until).aggregate(**_SUMS))


def series(*, node: GridNode, period: str, since: date, until: date) -> list[tuple[date, dict[str, int]]]:
    """Counters per day or month (only periods with cases), oldest first: one row per period already."""
    rows = _rows(node, period=period, dim="", since=since, until=until).order_by("start").values("start", *f.COUNTERS)
    return [(r["start"], _clean(r)) for r in rows if r["received"]]


def breakdown(*, node: GridNode, dim: str, since: date, until: date) -> dict[str, dict[str, int]]:
    """Counters by category id, channel or unit ("n<node>"/"d<department>"/"") over whole months."""
    if dim not in ("category", "channel", "unit"):
        raise ValueError(f"unknown dimension {dim!r}")
    rows = _rows(node, period=Rollup.MONTH, dim=dim, since=since, until=until).values("key").annotate(**_SUMS)
    return {r["key"]: _clean(r) for r in rows if r["received"]}


def by_child(
    *, node: GridNode, period: str = Rollup.MONTH, since: date | None = None, until: date | None = None, depth: int = 1
) -> dict[int, dict[str, int]]:
    """Counters per descendant ``depth`` levels down (1 = children), keyed by node id: drill-down and rankings."""
    ids = list(descendants(node, depth).values_list("pk", flat=True))
    if not ids:
        return {}
    rows = _rows_of(ids, period=period, dim="", since=since, until=until).values("node_id").annotate(**_SUMS)
    return {r["node_id"]: _clean(r) for r in rows if r["received"]}


def descendants(node: GridNode, depth: int = 1) -> QuerySet[GridNode]:
    """Nodes ``depth`` levels below (without boundaries unless asked for)."""
    width = len(node.path) + SEGMENT * depth
    return (
        GridNode.objects.filter(jurisdiction_id=node.jurisdiction_id, path__startswith=node.path)
        .annotate(path_length=Length("path"))
        .filter(path_length=width)
        .order_by("path")
    )


def public_communities(jurisdiction_id: int) -> QuerySet[GridNode]:
    return GridNode.objects.filter(jurisdiction_id=jurisdiction_id, level=roles.COMMUNITY).order_by("path")


def any_jurisdiction_root() -> GridNode | None:
    return GridNode.objects.filter(parent__isnull=True).order_by("pk").first()


def care_residents(node: GridNode) -> list[f.CareResident]:
    """The living residents in care or in a care group under ``node``, as the care figures read them (no personal
    data: ``care.selectors.figure_rows``)."""
    return f.care_residents(care_selectors.figure_rows(node))


def care_visits(node: GridNode, *, first: date, last: date) -> list[f.CareVisit]:
    """The visits made under ``node`` between two days (inclusive), as the care figures read them."""
    rows = care_selectors.visit_rows(node, first=first, last=last).values_list("node__path", "on_time", "outcome")
    return [f.CareVisit(node_path=path, on_time=on_time, outcome=outcome) for path, on_time, outcome in rows]


def deliberation_topics(node: GridNode) -> list[f.DeliberationTopic]:
    """The topics under ``node`` as the deliberation figures read them (``deliberation.selectors.topic_rows``: counts
    and steps, no personal data)."""
    return [
        f.DeliberationTopic(
            node_path=r.node_path,
            step=r.step,
            origin=r.origin,
            supports=r.supports,
            comments=r.comments,
            attended=r.attended,
            decided=r.decided,
            decision_public=r.decision_public,
            result_public=r.result_public,
        )
        for r in deliberation_selectors.topic_rows(node)
    ]


def deliberation_votes(node: GridNode) -> list[f.DeliberationVote]:
    """The closed votes under ``node``: cast and eligible as counted at close (the stored result)."""
    out = []
    for path, result in deliberation_selectors.closed_votes(node).values_list("node__path", "result"):
        data = result if isinstance(result, dict) else {}
        out.append(
            f.DeliberationVote(node_path=path, cast=int(data.get("cast") or 0), eligible=int(data.get("eligible") or 0))
        )
    return out


def steward_assessments(node: GridNode, *, ending_by: date) -> tuple[date | None, list[Any]]:
    """The latest month assessed (``volunteers.selectors.latest_assessments``) of the stewards under ``node``: its first
    day and its rows."""
    first_day, _last_day, rows = people_selectors.latest_assessments(node, ending_by=ending_by)
    return first_day, list(rows)


def volunteer_hours(node: GridNode, *, year: int) -> dict[str, Any]:
    return people_selectors.hours_under(node, year=year)


def contact_rows(node: GridNode, *, year: int) -> list[Any]:
    return people_selectors.contact_rows_under(node, year=year)
