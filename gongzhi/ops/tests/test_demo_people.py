"""The demo's people of the grid: steward applications at every stage (submitted, half-vetted, approved, rejected),
stewards appointed with trainings and commitments, part-time stewards, one stepped down; volunteers and party members
reporting in (pending and approved), a team; a past activity with check-in/out and hours (one across midnight), an
upcoming one with a waiting list; the party structure in two communities; compound heads; the leader's contact
points with problems taken on, some solved; last month assessed — quick, and idempotent."""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta

import pytest

from gongzhi.cases import catalogue
from gongzhi.cases.models import Case
from gongzhi.core import timeutil
from gongzhi.grid import demo
from gongzhi.grid.models import StaffPost
from gongzhi.notifications.models import Notification
from gongzhi.ops import assessment, demo_people
from gongzhi.volunteers import selectors
from gongzhi.volunteers.models import (
    Activity,
    Application,
    Assessment,
    ContactPoint,
    Head,
    Hours,
    PartyUnit,
    ReportIn,
    SignUp,
    Steward,
    TakenOn,
    Team,
    Training,
)

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_the_demo_has_the_people_of_the_grid_at_every_stage_and_is_quick():
    jurisdiction = demo.build_demo(password="demo-password-1").jurisdiction
    catalogue.seed(jurisdiction=jurisdiction)  # as `gongzhi demo` does: the categories the reports are triaged into
    began = time.perf_counter()
    added = demo_people.build(jurisdiction)
    seconds = time.perf_counter() - began
    print(f"demo people: {seconds:.2f} s, {added}")
    assert seconds < 5, seconds

    statuses = Counter(Application.objects.filter(jurisdiction=jurisdiction).values_list("status", flat=True))
    assert statuses == {"submitted": 2, "vetting": 1, "approved": 1, "rejected": 1, "appointed": 7}
    rejected = Application.objects.get(jurisdiction=jurisdiction, status="rejected")
    assert sorted(rejected.approvals.values_list("level", "approved")) == [("community", True), ("street", False)]

    stewards = Steward.objects.filter(jurisdiction=jurisdiction)
    assert Counter(stewards.values_list("kind", "status")) == {
        ("steward", "active"): 4,
        ("part_time", "active"): 2,
        ("steward", "stepped_down"): 1,
    }
    gone = stewards.get(status="stepped_down")
    assert gone.step_down_reason
    assert not StaffPost.objects.filter(pk=gone.post_id, active=True).exists()
    serving = stewards.filter(status="active")
    assert all(StaffPost.objects.get(pk=s.post_id).active for s in serving)
    assert Training.objects.filter(steward__jurisdiction=jurisdiction).count() == added["trainings"] == 12
    assert serving.filter(kind="steward", visits_per_month__gt=0).count() == 4

    assert Counter(ReportIn.objects.values_list("status", flat=True)) == {"approved": 3, "pending": 3}
    assert Team.objects.get().members.count() == 5

    past, full, open_one = Activity.objects.order_by("starts")
    assert past.ends < timeutil.now() < full.starts
    assert past.sign_ups.filter(checked_in_at__isnull=False, checked_out_at__isnull=False).count() == 4
    midnight = past.sign_ups.order_by("-checked_out_at").first()
    assert midnight is not None and midnight.checked_out_at is not None and midnight.checked_in_at is not None
    assert timeutil.local(midnight.checked_out_at).date() > timeutil.local(midnight.checked_in_at).date()
    assert Counter(Hours.objects.filter(activity=past).values_list("status", flat=True)) == {
        "approved": 3,
        "submitted": 1,
    }
    assert Counter(full.sign_ups.values_list("status", flat=True)) == {"confirmed": 3, "waiting": 2}
    assert full.taken == full.capacity == 3
    assert selectors.places_left(open_one) == 6
    assert SignUp.objects.count() == added["sign-ups"]

    units = PartyUnit.objects.filter(jurisdiction=jurisdiction)
    assert Counter(units.values_list("level", flat=True)) == {"committee": 2, "branch": 4, "group": 8, "household": 8}
    for household in units.filter(level="household"):
        chain = [household.level]
        unit = household
        while unit.parent is not None:
            unit = unit.parent
            chain.append(unit.level)
        assert chain == ["household", "group", "branch", "committee"]
        assert household.building_id is not None
    assert Head.objects.filter(jurisdiction=jurisdiction).count() == added["heads"] == 10

    points = ContactPoint.objects.filter(jurisdiction=jurisdiction)
    assert sorted(points.values_list("kind", flat=True)) == ["community", "enterprise", "street"]
    problems = TakenOn.objects.filter(contact_point__in=points)
    assert problems.count() == 8
    assert 0 < problems.filter(solved_on__isnull=False).count() < 8
    year = timeutil.local_today().year
    rows = selectors.contact_rows(jurisdiction_id=jurisdiction.pk, year=year)
    assert sum(r.solved for r in rows) == problems.filter(solved_on__year=year).count()

    first_day, last_day = assessment.previous_month(timeutil.local_today())
    assessed = Assessment.objects.filter(steward__jurisdiction=jurisdiction, first_day=first_day, last_day=last_day)
    assert assessed.count() == added["assessments"] == 7
    assert assessed.filter(rank=1).count() == 2  # the best steward and the best part-time steward
    assert all(a.score is not None for a in assessed)

    # The stewards' reports of last month were handled to the end (none left to breach its deadline on the first
    # sweep), their handling written to the inboxes as history (read); two of today's are open.
    reports = Case.objects.filter(recorded_by__in=[s.user for s in stewards])
    assert reports.count() == added["steward reports"] == 24
    assert Counter(reports.values_list("status", flat=True)) == {"resolved": 22, "submitted": 2}
    assert reports.filter(status="submitted", submitted_at__gte=timeutil.now() - timedelta(hours=2)).count() == 2
    assert not Notification.objects.filter(read_at__isnull=True).exists()
    best = assessed.get(rank=1, steward__kind="steward")
    assert best.facts["accepted"] > 0 and best.facts["resolved"] > 0 and best.facts["hours"] != "0"

    assert demo_people.build(jurisdiction) == {}  # idempotent
    assert Application.objects.filter(jurisdiction=jurisdiction).count() == 12
