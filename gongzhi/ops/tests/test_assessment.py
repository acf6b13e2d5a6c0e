"""The stewards' monthly assessment (gongzhi.ops.assessment) from hand-built facts with exact expected scores: a
steward with everything measured, one with no case at all, one with every case late, one appointed mid-month, one
who stepped down mid-month, a part-time steward ranked apart; the stored rows, a rerun replacing them, the command's
table and JSON line, the worker's monthly run, and problems taken on marked solved across a year boundary."""

from __future__ import annotations

import itertools
import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from gongzhi.care.models import Resident, Visit
from gongzhi.cases.models import Case, Rating
from gongzhi.core import timeutil
from gongzhi.ops import assessment
from gongzhi.volunteers import selectors, services
from gongzhi.volunteers.models import Assessment, Hours, Steward
from gongzhi.volunteers.tests.factories import PeopleWorld, people_world, phone

pytestmark = pytest.mark.django_db

NOV_FIRST, NOV_LAST = date(2026, 11, 1), date(2026, 11, 30)
_codes = itertools.count(1)


def at(month: int, day: int, hour: int = 10, year: int = 2026) -> datetime:
    return timezone.make_aware(datetime(year, month, day, hour, 0))  # noqa: DTZ001 - local wall time


def appoint(w: PeopleWorld, *, when: datetime, kind: str = "steward", visits: int = 4, hours: int = 0, **kw: Any):
    number = phone()
    application = w.approved(phone=number, kind=kind)
    steward = services.appoint(
        application=application,
        actor=w.staff,
        username=f"steward{next(_codes)}",
        visits_per_month=visits,
        hours_per_month=hours,
        at=when,
    )
    steward.phone = number  # type: ignore[attr-defined]
    return steward


def case(w: PeopleWorld, **kw: Any) -> Case:
    fields = {
        "jurisdiction_id": w.district.jurisdiction_id,
        "tracking_code": f"AS{next(_codes):08d}",
        "channel": Case._meta.get_field("channel").choices[0][0],  # type: ignore[index]
        "title": "楼道堆物",
        "owner_node": w.micro_grid,
        "level": Case._meta.get_field("level").choices[0][0],  # type: ignore[index]
        "submitted_at": at(11, 2),
    }
    fields.update(kw)
    return Case.objects.create(**fields)


def visit(w: PeopleWorld, steward: Steward, day: date, *, on_time: bool = True) -> Visit:
    resident = Resident.objects.create(
        jurisdiction_id=w.district.jurisdiction_id, node=w.micro_grid, created_at=at(1, 1), updated_at=at(1, 1)
    )
    return Visit.objects.create(
        resident=resident,
        node=w.micro_grid,
        visitor=steward.user,
        visited_on=day,
        on_time=on_time,
        outcome=Visit._meta.get_field("outcome").choices[0][0],  # type: ignore[index]
        recorded_at=at(day.month, day.day),
    )


def build(w: PeopleWorld) -> dict[str, Steward]:
    a = appoint(w, when=at(10, 1), visits=4, hours=2)
    # A: recorded 3 in November (one rejected: not counted) and 1 in October.
    case(w, recorded_by=a.user, submitted_at=at(11, 3))
    case(w, recorded_by=a.user, submitted_at=at(11, 30, 23))
    case(w, recorded_by=a.user, submitted_at=at(11, 4), status="rejected")
    case(w, recorded_by=a.user, submitted_at=at(10, 31, 23))
    # A accepted 4 (3 in time) and one without a response deadline (not counted); resolved 2 (1 in time).
    for on_time in (True, True, True, False):
        case(w, handler_user=a.user, accepted_at=at(11, 5), responded_on_time=on_time)
    case(w, handler_user=a.user, accepted_at=at(11, 5), responded_on_time=None)
    first = case(w, handler_user=a.user, resolved_at=at(11, 6), resolved_on_time=True)
    second = case(w, handler_user=a.user, resolved_at=at(11, 7), resolved_on_time=False)
    late = case(w, handler_user=a.user, resolved_at=at(12, 1, 9), resolved_on_time=True)  # December: not counted
    Rating.objects.create(case=first, score="satisfied", solved=True, created_at=at(11, 8))
    Rating.objects.create(case=second, score="basically", solved=True, created_at=at(11, 9))
    Rating.objects.create(case=late, score="satisfied", solved=True, created_at=at(12, 2))
    visit(w, a, date(2026, 11, 10))
    visit(w, a, date(2026, 11, 11))
    visit(w, a, date(2026, 11, 12), on_time=False)
    visit(w, a, date(2026, 12, 1))
    # A is also a volunteer (the same phone): 3 approved hours in November; 5 only submitted.
    volunteer = w.volunteer(phone=a.phone)  # type: ignore[attr-defined]
    for hours, status in ((Decimal(3), "approved"), (Decimal(5), "submitted")):
        Hours.objects.create(
            volunteer=volunteer,
            community=w.community,
            day=date(2026, 11, 14),
            hours=hours,
            description="助老",
            status=status,
            created_at=at(11, 14),
        )

    # B: appointed on the 16th (15 of 30 days): 2 visits of the 2 expected, 1 report of the 2 expected; what B did
    # before the appointment does not count.
    b = appoint(w, when=at(11, 16), visits=4)
    visit(w, b, date(2026, 11, 20))
    visit(w, b, date(2026, 11, 21))
    visit(w, b, date(2026, 11, 10))
    case(w, recorded_by=b.user, submitted_at=at(11, 20))
    case(w, recorded_by=b.user, submitted_at=at(11, 10))

    # C: stepped down on the 10th at noon (10 of 30 days): 1 late visit of 1 expected; nothing after counts.
    c = appoint(w, when=at(10, 1), visits=3)
    visit(w, c, date(2026, 11, 5), on_time=False)
    services.step_down(steward=c, actor=w.staff, reason="搬家", at=at(11, 10, 12))
    case(w, handler_user=c.user, accepted_at=at(11, 12), responded_on_time=True)
    visit(w, c, date(2026, 11, 15))

    # D: nothing at all (no case, no visit).
    d = appoint(w, when=at(10, 1), visits=4)

    # E: every case late, no visit committed.
    e = appoint(w, when=at(10, 1), visits=0)
    for _ in range(5):
        case(w, handler_user=e.user, accepted_at=at(11, 15), responded_on_time=False)
        case(w, handler_user=e.user, resolved_at=at(11, 16), resolved_on_time=False)

    # F: a part-time steward (reports only): 5 reports, ranked apart.
    f = appoint(w, when=at(10, 1), kind="part_time", visits=0)
    for day in range(1, 6):
        case(w, recorded_by=f.user, submitted_at=at(11, day))

    # G: appointed after the period: not assessed.
    appoint(w, when=at(12, 2))
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f}


def test_a_month_of_facts_gives_exact_scores_and_ranks():
    w = people_world()
    s = build(w)

    rows = {a.steward.pk: a for a in assessment.assess(w.district, first_day=NOV_FIRST, last_day=NOV_LAST)}

    assert set(rows) == {st.pk for st in s.values()}
    a = rows[s["a"].pk]
    assert (a.facts.reported, a.facts.accepted, a.facts.accepted_on_time) == (2, 4, 3)
    assert (a.facts.resolved, a.facts.resolved_on_time, a.facts.rated, a.facts.satisfied) == (2, 1, 2, 1)
    assert (a.facts.visits, a.facts.visits_on_time, a.facts.hours, a.facts.served) == (3, 2, Decimal(3), Decimal(1))
    # 0.5x25 + 0.75x10 + 0.5x20 + 0.75x20 + (2/3)x10 + 0.5x10 + 1x5 = 61.67 of 100
    assert a.score == Decimal("61.7")
    assert (a.rank, a.ranked_among, a.facts.sample) == (1, 2, 13)

    b = rows[s["b"].pk]
    assert (b.window.first, b.window.days, b.facts.served) == (date(2026, 11, 16), 15, Decimal("0.5"))
    assert (b.facts.visits, b.facts.reported) == (2, 1)
    # visits 2/2 x 20 + on time 1 x 10 + reporting 1/2 x 10 over 40 = 87.5; sample 3 < 5: not ranked
    assert (b.score, b.rank, b.ranked_among) == (Decimal("87.5"), None, None)

    c = rows[s["c"].pk]
    assert (c.window.last, c.window.days, c.facts.served) == (date(2026, 11, 10), 10, Decimal("0.3333"))
    assert (c.facts.visits, c.facts.visits_on_time, c.facts.accepted) == (1, 0, 0)
    # visits 1/0.9999 capped 1 x 20 + on time 0 + reporting 0 over 40
    assert (c.score, c.rank) == (Decimal("50.0"), None)

    d = rows[s["d"].pk]
    assert (d.score, d.rank, d.facts.sample) == (Decimal("0.0"), None, 0)  # no case at all: visits and reports 0

    e = rows[s["e"].pk]
    assert (e.facts.accepted, e.facts.accepted_on_time, e.facts.resolved, e.facts.resolved_on_time) == (5, 0, 5, 0)
    assert (e.score, e.rank, e.ranked_among) == (Decimal("0.0"), 2, 2)  # all late

    f = rows[s["f"].pk]
    assert (f.facts.reported, f.score, f.rank, f.ranked_among) == (5, Decimal("100.0"), 1, 1)

    stored = {r.steward_id: r for r in Assessment.objects.filter(first_day=NOV_FIRST, last_day=NOV_LAST)}
    assert len(stored) == 6
    assert stored[s["a"].pk].score == Decimal("61.7")
    assert stored[s["a"].pk].rank == 1
    assert Decimal(stored[s["a"].pk].facts["hours"]) == 3
    assert stored[s["b"].pk].facts["days_served"] == 15
    assert stored[s["b"].pk].rank is None


def test_a_second_run_replaces_the_rows_and_a_dry_run_stores_nothing():
    w = people_world()
    s = build(w)
    assessment.assess(w.district, first_day=NOV_FIRST, last_day=NOV_LAST)
    Rating.objects.filter(case__handler_user=s["a"].user).update(score="satisfied")

    rows = assessment.assess(w.district, first_day=NOV_FIRST, last_day=NOV_LAST)

    assert Assessment.objects.count() == 6
    a = Assessment.objects.get(steward=s["a"])
    assert a.score == Decimal("71.7")  # satisfaction now 2/2: +10
    assert next(r for r in rows if r.steward.pk == s["a"].pk).score == Decimal("71.7")
    assessment.assess(w.district, first_day=date(2026, 10, 1), last_day=date(2026, 10, 31), save=False)
    assert Assessment.objects.count() == 6


def test_the_command_prints_a_table_and_a_json_line():
    w = people_world()
    build(w)
    out = StringIO()
    code = w.district.jurisdiction.code

    call_command("assess", "--month", "2026-11", "--jurisdiction", code, stdout=out)

    lines = out.getvalue().strip().splitlines()
    assert json.loads(lines[-1]) == {
        "period": "2026-11",
        "node": w.district.code,
        "saved": True,
        "assessed": 6,
        "ranked": 3,
        "too_small": 3,
        "no_score": 0,
    }
    assert lines[2].split()[:2] == ["1/2", "61.7"]
    assert Assessment.objects.count() == 6


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "november", "9999-12"])
def test_the_command_refuses_a_bad_month_and_stores_nothing(month: str):
    w = people_world()
    with pytest.raises(CommandError, match="--month"):
        call_command("assess", "--month", month, "--jurisdiction", w.district.jurisdiction.code)
    assert not Assessment.objects.exists()


@pytest.mark.parametrize("quarter", ["2026-Q5", "2026-Q0", "26-Q1", "2026Q1", "2026-QX"])
def test_the_command_refuses_a_bad_quarter_and_stores_nothing(quarter: str):
    w = people_world()
    with pytest.raises(CommandError, match="--quarter"):
        call_command("assess", "--quarter", quarter, "--jurisdiction", w.district.jurisdiction.code)
    assert not Assessment.objects.exists()


def test_a_quarter_is_assessed_over_its_three_months():
    """The fourth quarter holds A's October report and December visit and resolution too; what A committed is
    expected three times over (the quarter's months)."""
    w = people_world()
    s = build(w)
    assert assessment.quarter_period("2026-q4") == (date(2026, 10, 1), date(2026, 12, 31))
    assert assessment.months_in(date(2026, 10, 1), date(2026, 12, 31)) == 3
    out = StringIO()
    call_command("assess", "--quarter", "2026-Q4", "--jurisdiction", w.district.jurisdiction.code, stdout=out)
    assert json.loads(out.getvalue().strip().splitlines()[-1])["period"] == "2026-Q4"
    row = Assessment.objects.get(steward=s["a"], first_day=date(2026, 10, 1), last_day=date(2026, 12, 31))
    assert (row.facts["months"], row.facts["reported"], row.facts["visits"], row.facts["resolved"]) == (3, 3, 4, 3)
    november = assessment.assess(w.district, first_day=NOV_FIRST, last_day=NOV_LAST, save=False)
    assert next(r for r in november if r.steward.pk == s["a"].pk).facts.months == 1


def test_the_command_refuses_an_unknown_node():
    w = people_world()
    with pytest.raises(CommandError, match="no grid node"):
        call_command("assess", "--month", "2026-11", "--node", "NOPE", "--jurisdiction", w.district.jurisdiction.code)


def test_the_worker_assesses_the_previous_month_once():
    w = people_world()
    s = build(w)

    assert assessment.monthly_assessment(today=date(2026, 12, 1)) == {"districts": 1, "assessed": 6}
    assert assessment.monthly_assessment(today=date(2026, 12, 1)) == {"districts": 0, "assessed": 0}
    assert assessment.monthly_assessment(today=date(2026, 12, 9)) == {"districts": 0, "assessed": 0}
    assert Assessment.objects.filter(first_day=NOV_FIRST, last_day=NOV_LAST).count() == 6
    assert Assessment.objects.get(steward=s["a"]).rank == 1


def test_problems_taken_on_are_solved_when_their_case_is_and_across_the_new_year():
    w = people_world()
    point_2026 = services.add_contact_point(
        actor=w.admin, leader=w.leader, kind="community", year=2026, node=w.community
    )
    point_2027 = services.add_contact_point(
        actor=w.admin, leader=w.leader, kind="community", year=2027, node=w.community
    )
    december = case(w, status="accepted")
    new_year = case(w, status="accepted")
    closed = case(w, status="accepted")
    reopened = case(w, status="accepted")
    t_december = services.take_on(
        contact_point=point_2026, actor=w.leader, kind="case", ref_id=december.pk, title="x", on=date(2026, 12, 20)
    )
    t_new_year = services.take_on(
        contact_point=point_2027, actor=w.leader, kind="case", ref_id=new_year.pk, title="y", on=date(2027, 1, 1)
    )
    t_closed = services.take_on(
        contact_point=point_2026, actor=w.leader, kind="case", ref_id=closed.pk, title="z", on=date(2026, 3, 1)
    )
    t_reopened = services.take_on(
        contact_point=point_2026, actor=w.leader, kind="case", ref_id=reopened.pk, title="w", on=date(2026, 3, 2)
    )
    services.mark_solved(taken_on=t_reopened, solved_on=date(2026, 4, 1))
    # Both resolved half an hour into 1 January 2027 (local time).
    Case.objects.filter(pk__in=[december.pk, new_year.pk]).update(status="resolved", resolved_at=at(1, 1, 0, 2027))
    Case.objects.filter(pk=new_year.pk).update(resolved_at=at(1, 1, 0, 2027).replace(minute=30))
    Case.objects.filter(pk=closed.pk).update(status="closed", closed_at=at(5, 5))

    assert assessment.refresh_taken_on() == {"solved": 3, "reopened": 1}
    assert assessment.refresh_taken_on() == {"solved": 0, "reopened": 0}

    t_december.refresh_from_db()
    t_new_year.refresh_from_db()
    t_closed.refresh_from_db()
    t_reopened.refresh_from_db()
    assert (t_december.solved_on, t_new_year.solved_on) == (date(2027, 1, 1), date(2027, 1, 1))
    assert (t_closed.solved_on, t_reopened.solved_on) == (date(2026, 5, 5), None)
    # A problem counts for the year of the contact point it was taken on at, and as solved only if solved in that
    # year: the December problem solved on 1 January counts for neither year's solved; the one taken on on 1 January
    # counts for 2027.
    rows_2026 = selectors.contact_rows(jurisdiction_id=w.district.jurisdiction_id, year=2026)
    rows_2027 = selectors.contact_rows(jurisdiction_id=w.district.jurisdiction_id, year=2027)
    assert [(r.taken_on, r.solved) for r in rows_2026] == [(3, 1)]
    assert [(r.taken_on, r.solved) for r in rows_2027] == [(1, 1)]


def test_the_worker_runs_the_assessment_and_the_refresh_once():
    w = people_world()
    today = timeutil.local_today()
    first_day, last_day = assessment.previous_month(today)
    steward = appoint(w, when=timezone.now() - timedelta(days=70))
    point = services.add_contact_point(
        actor=w.admin, leader=w.leader, kind="community", year=today.year, node=w.community
    )
    solved = case(w, status="resolved", resolved_at=timezone.now())
    services.take_on(contact_point=point, actor=w.leader, kind="case", ref_id=solved.pk, title="路灯不亮", on=today)
    out = StringIO()

    call_command("worker", "--once", "--no-tasks", stdout=out)

    text = out.getvalue()
    assert "stewards-assessment: {'districts': 1, 'assessed': 1}" in text
    assert "taken-on-refresh: {'solved': 1, 'reopened': 0}" in text
    row = Assessment.objects.get(steward=steward)
    assert (row.first_day, row.last_day) == (first_day, last_day)
    assert point.problems.get().solved_on == today


def test_a_need_taken_on_is_solved_the_day_it_is_first_served_or_closed():
    from gongzhi.lists import services as lists

    w = people_world()
    point = services.add_contact_point(actor=w.admin, leader=w.leader, kind="community", year=2026, node=w.community)
    need = lists.create_need(
        actor=w.staff, node=w.community, title="小区缺少适老化扶手", category="elderly", source="survey",
        at=at(3, 1),
    )  # fmt: skip
    taken = services.take_on(
        contact_point=point, actor=w.leader, kind="need", ref_id=need.pk, title=need.title, on=date(2026, 3, 2)
    )
    assert assessment.refresh_taken_on() == {"solved": 0, "reopened": 0}  # collected: not solved
    lists.change_need(actor=w.staff, need=need, action="close", note="扶手已由物业加装", at=at(4, 15, 23))
    assert assessment.refresh_taken_on() == {"solved": 1, "reopened": 0}
    taken.refresh_from_db()
    assert taken.solved_on == date(2026, 4, 15)
    lists.change_need(actor=w.staff, need=need, action="reopen", note="扶手松动，重新安排", at=at(5, 1))
    assert assessment.refresh_taken_on() == {"solved": 0, "reopened": 1}
