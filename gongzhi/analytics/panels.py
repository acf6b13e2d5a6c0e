"""The dashboard's panels as plain data (JSON-ready), each from a few rollup sums. Views only pick and serialise.

Every panel takes a node the viewer may see (``selectors.node_for``) and a month; the public page reuses
``headline`` with no personal data (rollups hold none).
"""

from __future__ import annotations

from dataclasses import asdict, is_dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.analytics import formulas as f
from gongzhi.analytics import selectors
from gongzhi.analytics.models import Rollup
from gongzhi.care.models import CareGroup
from gongzhi.cases.models import CaseCategory
from gongzhi.core import timeutil
from gongzhi.deliberation.choices import Step as DeliberationStep
from gongzhi.grid.models import Department, GridNode
from gongzhi.market import selectors as market_selectors
from gongzhi.market.models import Event as MarketEvent

PANELS = ("headline", "trend", "categories", "heat", "rankings", "hot", "market", "care", "deliberation", "people")
PEOPLE_TOP = 5  # stewards shown at the top and at the bottom of the ranking
TREND_DAYS = 30
TREND_MONTHS = 12
TOP_CATEGORIES = 12
LEVEL_LABELS = {
    "micro_grid": "level_micro_grid",
    "grid": "level_grid",
    "community": "level_community",
    "street": "level_street",
    "district": "level_district",
}


COUNT, RATE, HOURS = "count", "rate", "hours"


def figure_specs() -> list[tuple[str, str, str]]:
    """(key, label in the active language, kind) of the headline figures, in the order of docs/metrics.md."""
    return [
        ("received", _("Received (受理量)"), COUNT),
        ("response_rate", _("Response rate (响应率)"), RATE),
        ("solved_rate", _("Solved rate (解决率)"), RATE),
        ("satisfaction_rate", _("Satisfaction rate (满意率)"), RATE),
        ("on_time_rate", _("On-time rate (按期办结率)"), RATE),
        ("overdue", _("Overdue open (超期数)"), COUNT),
        ("rework_rate", _("Rework rate (返工率)"), RATE),
        ("on_the_spot_rate", _("Solved on the spot (即时办结率)"), RATE),
        ("proactive_rate", _("Found by staff (主动发现率)"), RATE),
        ("completion_rate", _("Completion rate (办结率)"), RATE),
        ("avg_handling_hours", _("Average handling time (hours)"), HOURS),
    ]


def figure_label(key: str) -> str:
    return next(label for k, label, _kind in figure_specs() if k == key)


def min_sample() -> int:
    return int(getattr(settings, "GONGZHI_ANALYTICS_MIN_SAMPLE", 20))


def parse_month(value: str | None) -> date:
    """'2025-03' → 1 March 2025; empty → this month. ValueError with a readable message otherwise."""
    if not value:
        return timezone.localdate().replace(day=1)
    try:
        month = datetime.strptime(value, "%Y-%m").date()  # noqa: DTZ007 - a calendar month, no time of day
    except ValueError:
        raise ValueError(_("The month must look like 2025-03.")) from None
    if not timeutil.FIRST_DAY <= month <= timeutil.LAST_DAY:
        # 9999-12 has no next month and 0001-01 no month before: figures over them failed with a server error.
        raise ValueError(
            _("The month must be between %(first)s and %(last)s.")
            % {"first": month_label(timeutil.FIRST_DAY), "last": month_label(timeutil.LAST_DAY)}
        )
    return month


def month_label(month: date) -> str:
    return f"{month.year}-{month.month:02d}"


def _level_names() -> dict[str, str]:
    return {
        "micro_grid": _("micro-grid"),
        "grid": _("grid"),
        "community": _("community"),
        "street": _("street"),
        "district": _("district"),
    }


def headline(node: GridNode, month: date) -> dict[str, Any]:
    today = timezone.localdate()
    month_counts = selectors.counts(node=node, period=Rollup.MONTH, since=month, until=f.next_month(month))
    today_counts = selectors.counts(node=node, period=Rollup.DAY, since=today, until=today + timedelta(days=1))
    everything = selectors.counts(node=node, period=Rollup.MONTH)
    names = _level_names()
    return {
        "node": {"id": node.pk, "name": node.name, "level": node.level},
        "month": month_label(month),
        "today": f.figures(today_counts),
        "figures": f.figures(month_counts),
        "level_721": [{"level": lv, "name": names[lv], "value": month_counts[LEVEL_LABELS[lv]]} for lv in f.LEVELS],
        # Deadline states of every case still open, whenever it was submitted.
        "deadlines": {
            "open": everything["open"],
            "on_track": everything["open"] - everything["warning"] - everything["overdue"] - everything["on_hold"],
            "warning": everything["warning"],
            "overdue": everything["overdue"],
            "on_hold": everything["on_hold"],
        },
    }


def trend(node: GridNode, month: date) -> dict[str, Any]:
    end = min(timezone.localdate(), f.next_month(month) - timedelta(days=1))
    since = end - timedelta(days=TREND_DAYS - 1)
    by_day = dict(selectors.series(node=node, period=Rollup.DAY, since=since, until=end + timedelta(days=1)))
    days = [since + timedelta(days=i) for i in range(TREND_DAYS)]
    first = month
    for _i in range(TREND_MONTHS - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    by_month = dict(selectors.series(node=node, period=Rollup.MONTH, since=first, until=f.next_month(month)))
    months, m = [], first
    while m <= month:
        months.append(m)
        m = f.next_month(m)
    zero = f.as_dict(f.ZERO)
    month_figures = [f.figures(by_month.get(m, zero)) for m in months]
    return {
        "days": [d.isoformat() for d in days],
        "received": [by_day.get(d, zero)["received"] for d in days],
        "resolved": [by_day.get(d, zero)["resolved"] for d in days],
        "months": [month_label(m) for m in months],
        "month_received": [x["received"] for x in month_figures],
        "response_rate": [x["response_rate"] for x in month_figures],
        "satisfaction_rate": [x["satisfaction_rate"] for x in month_figures],
        "on_time_rate": [x["on_time_rate"] for x in month_figures],
    }


def categories(node: GridNode, month: date) -> dict[str, Any]:
    until = f.next_month(month)
    by_category = selectors.breakdown(node=node, dim="category", since=month, until=until)
    by_channel = selectors.breakdown(node=node, dim="channel", since=month, until=until)
    names = dict(
        CaseCategory.objects.filter(pk__in=[int(k) for k in by_category if k != "0"]).values_list("pk", "name")
    )
    top = sorted(by_category.items(), key=lambda kv: (-kv[1]["received"], kv[0]))[:TOP_CATEGORIES]
    from gongzhi.cases.choices import Channel

    channel_names = dict(Channel.choices)
    return {
        "categories": [
            {
                "key": key,
                "name": names.get(int(key), _("not yet categorised")) if key != "0" else _("not yet categorised"),
                "received": c["received"],
                "on_time_rate": f.figures(c)["on_time_rate"],
            }
            for key, c in top
        ],
        "channels": [
            {
                "key": key,
                "name": str(channel_names.get(key, key)),
                "received": c["received"],
                "proactive": key in f.PROACTIVE_CHANNELS,
            }
            for key, c in sorted(by_channel.items(), key=lambda kv: -kv[1]["received"])
        ],
    }


def heat(node: GridNode, month: date) -> dict[str, Any]:
    """The node's children with their boundaries and this month's figures (GeoJSON), for the heat map."""
    counted = selectors.by_child(node=node, period=Rollup.MONTH, since=month, until=f.next_month(month))
    zero = f.as_dict(f.ZERO)
    features = []
    for child in selectors.descendants(node).only("pk", "name", "level", "boundary", "path"):
        c = counted.get(child.pk, zero)
        fig = f.figures(c)
        features.append(
            {
                "type": "Feature",
                "geometry": child.boundary,
                "properties": {
                    "id": child.pk,
                    "name": child.name,
                    "level": child.level,
                    "received": c["received"],
                    "overdue": c["overdue"],
                    "satisfaction_rate": fig["satisfaction_rate"],
                    "on_time_rate": fig["on_time_rate"],
                    "leaf": child.level == "micro_grid",
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _ranking(rows: dict[str, dict[str, int]], names: dict[str, str], by: str) -> dict[str, Any]:
    ranked, too_small = f.rank(rows, by, min_sample=min_sample())
    return {
        "by": by,
        "rows": [
            {"key": r.key, "name": names.get(r.key, r.key), "value": r.value, "sample": r.sample, "rank": r.rank}
            for r in ranked
        ],
        "too_small": [names.get(k, k) for k in too_small],
    }


# The rates the public page shows, each with its sample: the figure's denominator (formulas.SAMPLE_OF).
PUBLIC_RATES = ("response_rate", "solved_rate", "satisfaction_rate", "on_time_rate")


def public_figures(counts: dict[str, int]) -> dict[str, Any]:
    """What the public page shows of a node: counts, and each rate with its sample and whether that sample is below
    the minimum a ranking needs (shown, but marked). Counts and rates only: rollups hold no personal data."""
    fig = f.figures(counts)
    least = min_sample()
    rates = []
    for key in PUBLIC_RATES:
        n = counts[f.SAMPLE_OF[key]]
        value = fig[key]
        rates.append(
            {
                "key": key,
                "label": figure_label(key),
                "shown": "—" if value is None else f"{value * 100:.1f}%",
                "n": n,
                "few": value is not None and n < least,
            }
        )
    return {"received": fig["received"], "overdue": fig["overdue"], "rates": rates}


DEFAULT_RANKING = "on_time_rate"


def rankings(node: GridNode, month: date, by: str = DEFAULT_RANKING) -> dict[str, Any]:
    """Areas one level down and handling units ranked by one figure, saying which and in which direction."""
    if by not in f.RANKABLE:
        raise ValueError(_("Rankings can be by: %(names)s.") % {"names": ", ".join(f.RANKABLE)})
    until = f.next_month(month)
    children = selectors.by_child(node=node, period=Rollup.MONTH, since=month, until=until)
    child_names = {
        str(pk): name for pk, name in GridNode.objects.filter(pk__in=list(children)).values_list("pk", "name")
    }
    units = selectors.breakdown(node=node, dim="unit", since=month, until=until)
    units.pop("", None)
    node_ids = [int(k[1:]) for k in units if k.startswith("n")]
    dept_ids = [int(k[1:]) for k in units if k.startswith("d")]
    unit_names = {f"n{pk}": name for pk, name in GridNode.objects.filter(pk__in=node_ids).values_list("pk", "name")}
    unit_names.update(
        {f"d{pk}": name for pk, name in Department.objects.filter(pk__in=dept_ids).values_list("pk", "name")}
    )
    label = figure_label(by)
    order = _("highest first") if f.RANKABLE[by] else _("lowest first")
    return {
        "by": by,
        "by_label": label,
        "higher_better": f.RANKABLE[by],
        "title": _("Ranked by %(figure)s, %(order)s") % {"figure": label, "order": order},
        "options": [{"key": key, "label": figure_label(key)} for key in f.RANKABLE],
        "min_sample": min_sample(),
        "note": _("Ranked by %(figure)s; only areas and units with at least %(n)d cases behind it are ranked.")
        % {"figure": label, "n": min_sample()},
        "areas": _ranking({str(k): v for k, v in children.items()}, child_names, by),
        "units": _ranking(units, unit_names, by),
    }


def hot(node: GridNode, month: date) -> dict[str, Any]:
    """Hot issues from triage (gongzhi.routing), when that module is installed; otherwise say so."""
    try:
        from gongzhi.routing import hot_issues  # type: ignore[attr-defined]
    except ImportError:
        return {"available": False, "message": _("Hot issues are not available yet."), "issues": []}
    tz = timezone.get_current_timezone()
    since = datetime.combine(month, time.min, tzinfo=tz)
    until = datetime.combine(f.next_month(month), time.min, tzinfo=tz)
    try:
        issues = hot_issues(
            node.jurisdiction_id, since, until, path_prefix=node.path if node.parent_id else None, limit=10
        )
    except Exception:  # another module's failure must not take the dashboard down; the panel says so
        return {"available": False, "message": _("Hot issues could not be computed."), "issues": []}
    out = []
    for issue in issues:
        row = asdict(issue) if is_dataclass(issue) and not isinstance(issue, type) else dict(vars(issue))
        for key, value in list(row.items()):
            if isinstance(value, datetime):
                row[key] = value.isoformat()
            elif isinstance(value, tuple | set):
                row[key] = list(value)
        row.pop("case_ids", None)  # the dashboard shows counts, not case lists
        out.append(row)
    # An issue is named by the category most of its cases share (its code is the label), else by its keywords.
    names = dict(
        CaseCategory.objects.filter(
            jurisdiction_id=node.jurisdiction_id, code__in=[r.get("label") for r in out if r.get("label")]
        ).values_list("code", "name")
    )
    for row in out:
        keywords = row.get("keywords") or []
        words = " ".join(keywords) if isinstance(keywords, list) else str(keywords)
        row["name"] = names.get(row.get("label") or "") or words or _("not yet categorised")
    return {"available": True, "message": "", "issues": out}


# ---------------------------------------------------------------------------------------------- the service market


def _market_rows(events: QuerySet[MarketEvent]) -> list[f.MarketBooking]:
    return f.market_bookings(market_selectors.figure_rows(events))


def _market_json(figures: f.MarketFigures) -> dict[str, Any]:
    """The figures as JSON: counts as numbers, the rate as a fraction (None when undefined), money as "12.50"."""
    return {key: str(value) if isinstance(value, Decimal) else value for key, value in asdict(figures).items()}


def market(node: GridNode, month: date) -> dict[str, Any]:
    """The service market's figures (formulas.market, docs/metrics.md) of the events held in the node's area —
    at its communities, or at the community of a grid or micro-grid — this month and last, per community, and the
    residents served per day of the month."""
    last_month = (month - timedelta(days=1)).replace(day=1)
    area = node.path[: market_selectors.COMMUNITY_PATH]
    events = MarketEvent.objects.filter(node__jurisdiction_id=node.jurisdiction_id, node__path__startswith=area)
    this = events.filter(day__gte=month, day__lt=f.next_month(month))
    communities = GridNode.objects.filter(
        jurisdiction_id=node.jurisdiction_id, level="community", path__startswith=area
    ).order_by("path")
    rows = []
    for community in communities.only("pk", "name", "path"):
        figures = f.market(_market_rows(this.filter(node__path__startswith=community.path)))
        rows.append({"id": community.pk, "name": community.name, "figures": _market_json(figures)})
    served = dict(
        this.filter(bookings__status="served").values_list("day").annotate(n=Count("bookings")).order_by("day")
    )
    end = f.next_month(month)
    days = [month + timedelta(days=i) for i in range((end - month).days)]
    return {
        "month": month_label(month),
        "last_month": month_label(last_month),
        "figures": _market_json(f.market(_market_rows(this))),
        "last": _market_json(f.market(_market_rows(events.filter(day__gte=last_month, day__lt=month)))),
        "communities": rows,
        "days": [d.isoformat() for d in days],
        "served_per_day": [served.get(d, 0) for d in days],
    }


# ---------------------------------------------------------------------------------------------- the care registry


def _care_json(figures: f.CareFigures) -> dict[str, Any]:
    """The figures as JSON: counts as numbers, the share as a fraction (None when no visit was made)."""
    row = asdict(figures)
    row["groups"] = dict(figures.groups)
    return row


def care(node: GridNode, month: date) -> dict[str, Any]:
    """The care registry's figures (formulas.care, docs/metrics.md) of the node's area and of each area one level
    down: residents in care per colour and per care group and the visits overdue today; the visits made in the month
    and the share made on time. Counts only — never a name, an ID number or a phone."""
    today = timezone.localdate()
    last = f.next_month(month) - timedelta(days=1)
    residents = selectors.care_residents(node)
    visits = selectors.care_visits(node, first=month, last=last)
    total = f.care(residents, visits, today=today)
    children = list(selectors.descendants(node).only("pk", "name", "path"))
    by_child = f.care_by_node(residents, visits, paths=[c.path for c in children], today=today)
    names = dict(CareGroup.objects.filter(jurisdiction_id=node.jurisdiction_id).values_list("code", "name"))
    order = {
        code: i
        for i, code in enumerate(
            CareGroup.objects.filter(jurisdiction_id=node.jurisdiction_id).values_list("code", flat=True)
        )
    }
    return {
        "month": month_label(month),
        "today": today.isoformat(),
        "figures": _care_json(total),
        "groups": [
            {"code": code, "name": names.get(code, code), "residents": n}
            for code, n in sorted(total.groups.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0]))
        ],
        "areas": [{"id": c.pk, "name": c.name, "figures": _care_json(by_child[c.path])} for c in children],
    }


# ---------------------------------------------------------------------------------------------- deliberation (议事)


def _deliberation_json(figures: f.DeliberationFigures) -> dict[str, Any]:
    row = asdict(figures)
    row["by_step"] = dict(figures.by_step)
    return row


def deliberation(node: GridNode, month: date) -> dict[str, Any]:
    """Deliberation's figures (formulas.deliberation, docs/metrics.md) of the node's area and of each area one level
    down: topics per step, residents' proposals, participation, decided, results delivered and the turnout of closed
    votes. Today's state, whatever month is shown. Counts only — never a phone, a name or a door."""
    topics = selectors.deliberation_topics(node)
    votes = selectors.deliberation_votes(node)
    children = list(selectors.descendants(node).only("pk", "name", "path"))
    by_child = f.deliberation_by_node(topics, votes, paths=[c.path for c in children])
    return {
        "month": month_label(month),
        "figures": _deliberation_json(f.deliberation(topics, votes)),
        "steps": [{"step": step, "label": str(label)} for step, label in DeliberationStep.choices],
        "areas": [{"id": c.pk, "name": c.name, "figures": _deliberation_json(by_child[c.path])} for c in children],
    }


# ---------------------------------------------------------------------------------------- the people of the grid


def _steward_row(a: Any) -> dict[str, Any]:
    steward = a.steward
    return {
        "rank": a.rank,
        "name": steward.user.display_name or steward.user.username,  # a steward's card name is public (三亮)
        "area": steward.node.name,
        "score": float(a.score) if a.score is not None else None,
        "sample": int((a.facts or {}).get("sample") or 0),
    }


def people(node: GridNode, month: date) -> dict[str, Any]:
    """The people of the grid: the stewards' ranking of the latest month assessed by the end of ``month`` (the top and
    the bottom ``PEOPLE_TOP`` of the ranked stewards — part-time stewards apart — with their public card name; those
    below the minimum sample are counted, not ranked), volunteer hours approved in ``month``'s year, and leaders'
    contact-point progress that year (formulas.contact_progress, each point counting at most its target)."""
    last = f.next_month(month) - timedelta(days=1)
    first_day, rows = selectors.steward_assessments(node, ending_by=last)
    stewards = [a for a in rows if a.steward.kind == "steward"]
    ranked = sorted((a for a in stewards if a.rank is not None), key=lambda a: (a.rank, a.steward.pk))
    top = ranked[:PEOPLE_TOP]
    bottom = [a for a in reversed(ranked) if a not in top][:PEOPLE_TOP]
    hours = selectors.volunteer_hours(node, year=month.year)
    contact = selectors.contact_rows(node, year=month.year)
    names = dict(
        get_user_model().objects.filter(pk__in={r.leader_id for r in contact}).values_list("pk", "display_name")
    )
    leaders = []
    for leader_id in sorted({r.leader_id for r in contact}, key=lambda pk: (names.get(pk) or "", pk)):
        progress = f.contact_progress([r for r in contact if r.leader_id == leader_id])
        leaders.append({"name": names.get(leader_id) or "", **asdict(progress)})
    return {
        "month": month_label(month),
        "assessed_month": month_label(first_day) if first_day else None,
        "stewards": {
            "assessed": len(stewards),
            "ranked": len(ranked),
            "too_small": sum(1 for a in stewards if a.rank is None),
            "part_time": len(rows) - len(stewards),
            "top": [_steward_row(a) for a in top],
            "bottom": [_steward_row(a) for a in bottom],
        },
        "hours": {
            "year": hours["year"],
            "hours": float(hours["hours"]),
            "volunteers": hours["volunteers"],
            "activities": hours["activities"],
        },
        "contacts": {"year": month.year, **asdict(f.contact_progress(contact)), "leaders": leaders},
    }


def panel(name: str, node: GridNode, month: date, **options: Any) -> dict[str, Any]:
    if name == "rankings":
        return rankings(node, month, by=options.get("by") or DEFAULT_RANKING)
    return {
        "headline": headline,
        "trend": trend,
        "categories": categories,
        "heat": heat,
        "hot": hot,
        "market": market,
        "care": care,
        "deliberation": deliberation,
        "people": people,
    }[name](node, month)
