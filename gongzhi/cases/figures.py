"""Headline figures computed straight from cases (DESIGN.md §5 "Analytics" formulas).

The analytics app will keep rollups; this is the from-scratch computation the simulator prints and that rollups
must agree with.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from gongzhi.cases import transitions as t
from gongzhi.cases.models import Case, Rating
from gongzhi.grid import roles

COMMUNITY_OR_BELOW = (roles.MICRO_GRID, roles.GRID, roles.COMMUNITY)


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def headline(cases: QuerySet[Case]) -> dict[str, Any]:
    """受理量, 办结率, the three rates, 按期办结率, 返工率, 即时办结率, 主动发现率 and the 721 distribution."""
    handled = cases.exclude(status__in=(t.REJECTED, t.MERGED, t.WITHDRAWN))
    agg = handled.aggregate(
        total=Count("id"),
        resolved=Count("id", filter=Q(resolved_at__isnull=False)),
        closed=Count("id", filter=Q(status=t.CLOSED)),
        due_response=Count("id", filter=Q(responded_on_time__isnull=False)),
        responded=Count("id", filter=Q(responded_on_time=True)),
        due_resolution=Count("id", filter=Q(resolved_on_time__isnull=False)),
        on_time=Count("id", filter=Q(resolved_on_time=True)),
        reworked=Count("id", filter=Q(rework_count__gt=0)),
        on_the_spot=Count("id", filter=Q(on_the_spot=True)),
        proactive=Count("id", filter=Q(channel__in=("patrol", "visit"))),
        overdue=Count("id", filter=Q(sla_state="breached", status__in=t.OPEN)),
    )
    ratings = Rating.objects.filter(case__in=cases)
    rated = ratings.count()
    solved = ratings.filter(solved=True).count()
    satisfied = ratings.exclude(score="unsatisfied").count()
    levels = dict(handled.filter(resolved_at__isnull=False).values_list("resolved_level").annotate(n=Count("id")))
    resolved = agg["resolved"]
    low = sum(levels.get(level, 0) for level in COMMUNITY_OR_BELOW)
    return {
        "received": cases.count(),
        "handled": agg["total"],
        "rejected": cases.filter(status=t.REJECTED).count(),
        "merged": cases.filter(status=t.MERGED).count(),
        "withdrawn": cases.filter(status=t.WITHDRAWN).count(),
        "resolved": resolved,
        "closed": agg["closed"],
        "completion_rate": _ratio(resolved, agg["total"]),
        "response_rate": _ratio(agg["responded"], agg["due_response"]),
        "solved_rate": _ratio(solved, rated),
        "satisfaction_rate": _ratio(satisfied, rated),
        "on_time_rate": _ratio(agg["on_time"], agg["due_resolution"]),
        "rework_rate": _ratio(agg["reworked"], resolved),
        "on_the_spot_rate": _ratio(agg["on_the_spot"], agg["total"]),
        "proactive_rate": _ratio(agg["proactive"], cases.count()),
        "overdue_open": agg["overdue"],
        "rated": rated,
        "level_721": {
            "community_or_below": _ratio(low, resolved),
            "street": _ratio(levels.get(roles.STREET, 0), resolved),
            "district": _ratio(levels.get(roles.DISTRICT, 0), resolved),
        },
    }
