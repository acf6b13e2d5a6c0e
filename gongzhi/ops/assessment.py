"""The stewards' assessment (考核), a job that spans domains: ops is the interface that may read cases, care and
volunteers together (volunteers never reads cases or care).

For each steward who served under a node in a period (``volunteers.selectors.stewards_for_assessment``) it measures,
over the part of the period they served (from their appointment, until they stepped down):

- ``reported``: cases they recorded (``Case.recorded_by``, submitted in the window: 主动发现), rejected and merged ones
  left out;
- ``accepted`` / ``accepted_on_time``: cases they handle (``handler_user``) first accepted in the window that have a
  response deadline, and how many of them in time (``Case.responded_on_time``, set against ``response_due``);
- ``resolved`` / ``resolved_on_time``: the same for resolution (``resolved_at``, ``resolved_on_time`` against
  ``resolve_due``);
- ``rated`` / ``satisfied``: ratings given in the window of cases they handle, and how many 满意;
- ``visits`` / ``visits_on_time``: care visits they made (``care.Visit.visitor``) in the window;
- ``hours``: approved volunteer hours in the window if they are also a volunteer (the same phone blind index as their
  account, in the same district).

Their commitments (visits and hours a month) are their own; the period stays whole months, and ``served`` (days
served / days in the period) scales what is expected of them — visits, reports, hours — in
``analytics.formulas.steward_parts``. The score is ``analytics.formulas.steward_score``; stewards and part-time
stewards are ranked apart (a part-time steward only reports), each with ``STEWARD_MIN_SAMPLE``; the rows are stored
with ``volunteers.services.record_assessments`` (a second run of the same period replaces them).

Problems taken on at leaders' contact points: ``refresh_taken_on`` reads each case taken on and records the day it was
resolved (or closed) as solved — or clears it if the case was reopened.
"""

from __future__ import annotations

import calendar
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Min, Q, Sum
from django.utils import timezone

from gongzhi.analytics.formulas import STEWARD_MIN_SAMPLE, StewardFacts, rank_stewards, steward_score
from gongzhi.care.models import Visit
from gongzhi.cases.choices import Score, Status
from gongzhi.cases.models import Case, Rating
from gongzhi.core import timeutil
from gongzhi.grid.models import GridNode
from gongzhi.lists.choices import NeedStatus
from gongzhi.lists.models import Need, NeedEvent
from gongzhi.volunteers import selectors as people
from gongzhi.volunteers import services as people_services
from gongzhi.volunteers.choices import HoursStatus, ProblemKind, StewardKind
from gongzhi.volunteers.models import Assessment, Hours, Steward, TakenOn, Volunteer

NOT_REPORTED = (Status.REJECTED, Status.MERGED)
SOLVED = (Status.RESOLVED, Status.CLOSED)
NEED_SOLVED = (NeedStatus.SERVED, NeedStatus.CLOSED)


def month_period(text: str) -> tuple[date, date]:
    """'2026-11' → (2026-11-01, 2026-11-30); ValueError for anything else."""
    try:
        year, month = (int(part) for part in text.split("-"))
        first = date(year, month, 1)
    except (TypeError, ValueError):
        raise ValueError(text) from None
    if len(text) != 7 or not timeutil.FIRST_DAY <= first <= timeutil.LAST_DAY:
        raise ValueError(text)
    return first, date(year, month, calendar.monthrange(year, month)[1])


def quarter_period(text: str) -> tuple[date, date]:
    """'2026-Q3' → (2026-07-01, 2026-09-30); ValueError for anything else."""
    try:
        year_text, quarter_text = text.upper().split("-Q")
        year, quarter = int(year_text), int(quarter_text)
        if len(year_text) != 4 or not 1 <= quarter <= 4:
            raise ValueError(text)
        first = date(year, 3 * quarter - 2, 1)
    except (TypeError, ValueError):
        raise ValueError(text) from None
    if not timeutil.FIRST_DAY <= first <= timeutil.LAST_DAY:
        raise ValueError(text)
    last_month = 3 * quarter
    return first, date(year, last_month, calendar.monthrange(year, last_month)[1])


def months_in(first_day: date, last_day: date) -> int:
    """Whole calendar months from ``first_day``'s to ``last_day``'s (a month: 1, a quarter: 3)."""
    return (last_day.year - first_day.year) * 12 + last_day.month - first_day.month + 1


def previous_month(today: date) -> tuple[date, date]:
    last = today.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


def _start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@dataclass(frozen=True)
class Window:
    """The part of the period a steward served: [starts, ends) in time, first..last in local days."""

    starts: datetime
    ends: datetime
    first: date
    last: date
    days: int
    served: Decimal  # days / days in the period, 4 decimals


def served_window(steward: Steward, first_day: date, last_day: date) -> Window | None:
    period_start, period_end = _start(first_day), _start(last_day + timedelta(days=1))
    starts = max(period_start, steward.appointed_at)
    ends = min(period_end, steward.stepped_down_at) if steward.stepped_down_at else period_end
    if ends <= starts:
        return None
    first = timeutil.local(starts).date()
    last = timeutil.local(ends - timedelta(microseconds=1)).date()
    days = (last - first).days + 1
    whole = (last_day - first_day).days + 1
    served = (Decimal(days) / Decimal(whole)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    return Window(starts, ends, first, last, days, served)


def measure(steward: Steward, window: Window, *, months: int = 1) -> StewardFacts:
    """The facts of one steward over their window (of a period of ``months`` months), read from cases, care visits
    and volunteer hours."""
    user = steward.user
    within = {"gte": window.starts, "lt": window.ends}
    reported = (
        Case.objects.filter(recorded_by=user, submitted_at__gte=within["gte"], submitted_at__lt=within["lt"])
        .exclude(status__in=NOT_REPORTED)
        .count()
    )
    handled = Case.objects.filter(handler_user=user)
    accepted = handled.filter(
        accepted_at__gte=within["gte"], accepted_at__lt=within["lt"], responded_on_time__isnull=False
    ).aggregate(n=Count("pk"), on_time=Count("pk", filter=Q(responded_on_time=True)))
    resolved = handled.filter(
        resolved_at__gte=within["gte"], resolved_at__lt=within["lt"], resolved_on_time__isnull=False
    ).aggregate(n=Count("pk"), on_time=Count("pk", filter=Q(resolved_on_time=True)))
    ratings = Rating.objects.filter(
        case__handler_user=user, created_at__gte=within["gte"], created_at__lt=within["lt"]
    ).aggregate(n=Count("pk"), satisfied=Count("pk", filter=Q(score=Score.SATISFIED)))
    visits = Visit.objects.filter(visitor=user, visited_on__gte=window.first, visited_on__lte=window.last).aggregate(
        n=Count("pk"), on_time=Count("pk", filter=Q(on_time=True))
    )
    hours = Decimal(0)
    if getattr(user, "phone_index", ""):
        volunteers = Volunteer.objects.filter(jurisdiction_id=steward.jurisdiction_id, phone_index=user.phone_index)
        total = Hours.objects.filter(
            volunteer__in=volunteers,
            status=HoursStatus.APPROVED,
            day__gte=window.first,
            day__lte=window.last,
        ).aggregate(total=Sum("hours"))["total"]
        hours = total or Decimal(0)
    return StewardFacts(
        months=months,
        reported=reported,
        accepted=accepted["n"],
        accepted_on_time=accepted["on_time"],
        resolved=resolved["n"],
        resolved_on_time=resolved["on_time"],
        rated=ratings["n"],
        satisfied=ratings["satisfied"],
        visits_committed=steward.visits_per_month,
        visits=visits["n"],
        visits_on_time=visits["on_time"],
        hours_committed=steward.hours_per_month,
        hours=hours,
        served=window.served,
    )


@dataclass(frozen=True)
class Assessed:
    steward: Steward
    window: Window
    facts: StewardFacts
    score: Decimal | None
    rank: int | None
    ranked_among: int | None


def facts_json(facts: StewardFacts, window: Window) -> dict[str, Any]:
    out: dict[str, Any] = asdict(facts)
    out["hours"] = str(facts.hours)
    out["served"] = str(facts.served)
    out["first_served"] = window.first.isoformat()
    out["last_served"] = window.last.isoformat()
    out["days_served"] = window.days
    out["sample"] = facts.sample
    return out


def assess(
    node: GridNode, *, first_day: date, last_day: date, min_sample: int = STEWARD_MIN_SAMPLE, save: bool = True
) -> list[Assessed]:
    """Measure, score and rank the stewards who served under ``node`` from ``first_day`` to ``last_day``; store the
    rows (unless ``save`` is False). Stewards ranked apart from part-time stewards; best first in the result."""
    measured: list[tuple[Steward, Window, StewardFacts, Decimal | None]] = []
    for steward in people.stewards_for_assessment(node, first_day=first_day, last_day=last_day).order_by("pk"):
        window = served_window(steward, first_day, last_day)
        if window is None:
            continue
        facts = measure(steward, window, months=months_in(first_day, last_day))
        measured.append((steward, window, facts, steward_score(facts)))
    ranks: dict[int, tuple[int | None, int | None]] = {}
    for kind in StewardKind.values:
        group = {str(s.pk): (score, facts.sample) for s, _w, facts, score in measured if s.kind == kind}
        ranked, _too_small = rank_stewards(group, min_sample=min_sample)
        for row in ranked:
            ranks[int(row.key)] = (row.rank, len(ranked))
    out = []
    for s, w, facts, score in measured:
        rank, among = ranks.get(s.pk, (None, None))
        out.append(Assessed(s, w, facts, score, rank, among))
    out.sort(key=lambda a: (a.steward.kind != StewardKind.STEWARD, a.rank is None, a.rank or 0, a.steward.pk))
    if save:
        people_services.record_assessments(
            first_day=first_day,
            last_day=last_day,
            rows=[
                people_services.AssessmentRow(
                    steward_id=a.steward.pk,
                    facts=facts_json(a.facts, a.window),
                    score=a.score,
                    rank=a.rank,
                    ranked_among=a.ranked_among,
                )
                for a in out
            ],
        )
    return out


def counts(rows: list[Assessed]) -> dict[str, int]:
    return {
        "assessed": len(rows),
        "ranked": sum(1 for a in rows if a.rank is not None),
        "too_small": sum(1 for a in rows if a.score is not None and a.rank is None),
        "no_score": sum(1 for a in rows if a.score is None),
    }


def monthly_assessment(*, today: date | None = None) -> dict[str, int]:
    """The worker's job: from the 1st of a month, assess the previous month under each district's root once (a
    district already assessed for that month is skipped; ``gongzhi assess`` recomputes on demand)."""
    today = today or timeutil.local_today()
    first_day, last_day = previous_month(today)
    done = {"districts": 0, "assessed": 0}
    for root in GridNode.objects.filter(parent__isnull=True).order_by("pk"):
        serving = people.stewards_for_assessment(root, first_day=first_day, last_day=last_day)
        if not serving.exists():
            continue
        if Assessment.objects.filter(
            steward__jurisdiction_id=root.jurisdiction_id, first_day=first_day, last_day=last_day
        ).exists():
            continue
        rows = assess(root, first_day=first_day, last_day=last_day)
        done["districts"] += 1
        done["assessed"] += len(rows)
    return done


def refresh_taken_on() -> dict[str, int]:
    """Problems taken on at leaders' contact points are marked solved from what they name — a case resolved or closed
    (the local day it was resolved; closed without a resolution: the day it closed), a need served or closed (the day
    it first reached that state) — and unmarked when the case reopens or the need goes back."""
    changed = {"solved": 0, "reopened": 0}
    problems = list(TakenOn.objects.only("pk", "kind", "ref_id", "solved_on"))
    case_ids = {p.ref_id for p in problems if p.kind == ProblemKind.CASE}
    need_ids = {p.ref_id for p in problems if p.kind == ProblemKind.NEED}
    solved: dict[tuple[str, int], date | None] = {}
    for case in Case.objects.filter(pk__in=case_ids).only("pk", "status", "resolved_at", "closed_at"):
        moment = (case.resolved_at or case.closed_at) if case.status in SOLVED else None
        solved[(ProblemKind.CASE, case.pk)] = timeutil.local(moment).date() if moment else None
    served_first = dict(
        NeedEvent.objects.filter(need_id__in=need_ids, to_status__in=NEED_SOLVED)
        .values("need_id")
        .annotate(first=Min("at"))
        .values_list("need_id", "first")
    )
    for need_id, status in Need.objects.filter(pk__in=need_ids).values_list("pk", "status"):
        moment = served_first.get(need_id) if status in NEED_SOLVED else None
        solved[(ProblemKind.NEED, need_id)] = timeutil.local(moment).date() if moment else None
    for problem in problems:
        solved_on = solved.get((problem.kind, problem.ref_id))
        if solved_on != problem.solved_on:
            people_services.mark_solved(taken_on=problem, solved_on=solved_on)
            changed["solved" if solved_on else "reopened"] += 1
    return changed
