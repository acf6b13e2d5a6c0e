"""The care simulation: stewards make their visits day by day through care.services — some late, some finding a
problem (a case filed through cases.services, channel visit, linked to the resident), some finding a resident who
needs 低保 (a help-kind case, linked as an assistance application) — the same run for the same seed."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from gongzhi.analytics import formulas as f
from gongzhi.analytics import selectors as analytics_selectors
from gongzhi.care.models import CaseLink, Resident, Visit
from gongzhi.care.tests.factories import care_world
from gongzhi.cases import catalogue
from gongzhi.cases.models import Case
from gongzhi.core import timeutil
from gongzhi.ops.simulate import CareSimulation

pytestmark = pytest.mark.django_db

DAYS = 60


@pytest.fixture
def world():
    w = care_world()
    catalogue.seed(jurisdiction=w.district.jurisdiction)
    today = timeutil.local_today()
    since = timezone.make_aware(datetime.combine(today - timedelta(days=DAYS + 10), time(10)))
    levels = ["red"] * 14 + ["yellow"] * 4 + ["green"] * 2
    w.residents = [
        w.resident(name=f"测试{i}", born=date(1930 + i, 1, 1 + i), level=level, at=since)
        for i, level in enumerate(levels)
    ]
    w.first = today - timedelta(days=DAYS)
    return w


def _played(w):
    visits = Visit.objects.filter(resident__jurisdiction=w.district.jurisdiction).order_by("visited_on", "resident_id")
    return list(visits.values_list("resident_id", "visited_on", "on_time", "outcome", "visitor_id"))


def test_visits_are_made_some_late_and_cases_filed_and_linked(world):
    w = world
    result = CareSimulation(w.district.jurisdiction, seed=7, first=w.first).run()
    c = result.counts
    visits = Visit.objects.filter(resident__in=w.residents)
    assert c["visits"] == visits.count() > 100
    assert c["late"] == visits.filter(on_time=False).count() > 0
    assert c["on_time"] == visits.filter(on_time=True).count() > c["late"]
    assert set(visits.values_list("visitor_id", flat=True)) == {w.steward.pk}  # the micro-grid's steward
    assert not visits.filter(visited_on__gte=timeutil.local_today()).exists()
    # Problems and assistance applications: each a case filed through the cases services, linked to the resident.
    assert c["problem_cases"] > 0 and c["help_cases"] > 0
    links = CaseLink.objects.filter(resident__in=w.residents)
    assert links.count() == c["problem_cases"] + c["help_cases"] == len(result.case_ids)
    for link in links.select_related("visit"):
        case = Case.objects.get(pk=link.case_id)
        assert case.tracking_code == link.tracking_code and case.channel == "visit"
        assert link.visit is not None and link.visit.resident_id == link.resident_id
        if link.kind == "help":
            assert link.visit.outcome == "needs_help" and link.assistance == "subsistence"
            assert case.category is not None and case.category.kind == "help" and case.category.code.startswith("care")
        else:
            assert link.visit.outcome == "problem" and link.assistance == ""
    # The schedule follows the visits: nobody's next visit is due before their last visit; the green ones (every
    # three months, set 70 days ago) were not due yet.
    for resident in Resident.objects.filter(pk__in=[r.pk for r in w.residents]):
        if resident.level == "green":
            assert resident.last_visit is None and resident.next_visit_due > timeutil.local_today()
        else:
            assert resident.last_visit is not None and resident.next_visit_due > resident.last_visit
    # The figures of the run, read the one way (formulas.care): the on-time share of the visits made.
    figures = f.care(
        [], analytics_selectors.care_visits(w.district, first=w.first, last=timeutil.local_today()), today=w.first
    )
    assert figures.visits == c["visits"] - c["not_home"]
    assert figures.on_time_share is not None and 0.5 < figures.on_time_share < 1


def test_the_same_seed_plays_the_same_visits(world):
    w = world
    point = transaction.savepoint_create()
    first = CareSimulation(w.district.jurisdiction, seed=11, first=w.first).run()
    played = _played(w)
    transaction.savepoint_rollback(point)
    assert not Visit.objects.exists()
    again = CareSimulation(w.district.jurisdiction, seed=11, first=w.first).run()
    assert _played(w) == played and again.counts == first.counts
    other = Counter(v[2] for v in played)
    assert other[False] > 0  # late visits in the run compared


@pytest.mark.slow
def test_the_simulate_command_plays_the_care_registry_and_prints_its_figures():
    import io
    import json

    from django.core.management import call_command

    from gongzhi.care.models import Household
    from gongzhi.grid import demo

    jurisdiction = demo.build_demo(password="demo-pass-123").jurisdiction
    catalogue.seed(jurisdiction=jurisdiction)
    out = io.StringIO()
    call_command("simulate", "--months", "1", "--seed", "5", "--quiet", "--no-market", stdout=out, days=5)
    data = json.loads(out.getvalue().strip().splitlines()[-1])["care"]
    assert Household.objects.filter(jurisdiction=jurisdiction).count() > 1000  # built as of the first care day
    assert data["visits"] > 0 and data["in_care"] > 300
    assert (
        data["visits"]
        == Visit.objects.filter(
            visited_on__gte=timeutil.local_today() - timedelta(days=5), outcome__in=["well", "problem", "needs_help"]
        ).count()
    )
    assert "  care: " in out.getvalue() and "on time" in out.getvalue()
