"""The worker's care jobs: each visitor's daily reminder of the visits overdue or due today (in the inbox, counts only,
never twice the same day), and the retention rule (residents who moved away more than GONGZHI_CARE_RETENTION_DAYS
ago erased, exactly those; their cases anonymised through the cases service; their visit photos deleted)."""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone

from gongzhi.care import services, tasks
from gongzhi.care.choices import ResidentStatus
from gongzhi.care.messages import VISITS_DUE
from gongzhi.care.models import AccessEntry, Resident
from gongzhi.care.tests.factories import care_world
from gongzhi.cases import catalogue
from gongzhi.cases import services as cases_services
from gongzhi.cases.models import Case
from gongzhi.core import timeutil
from gongzhi.notifications import messages
from gongzhi.notifications.models import Notification
from gongzhi.ops import care_jobs

pytestmark = pytest.mark.django_db


def _due(resident, day):
    Resident.objects.filter(pk=resident.pk).update(next_visit_due=day)


def _at(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


@pytest.fixture
def due():
    w = care_world()
    w.today = timeutil.local_today()
    w.names = ("欧阳秀英", "司马建国", "诸葛桂兰")
    w.phones = ("13712345601", "13712345602", "13712345603")
    overdue = w.resident(name=w.names[0], phone=w.phones[0], level="red", groups=("living_alone",))
    today = w.resident(name=w.names[1], phone=w.phones[1], level="yellow")
    elsewhere = w.resident(
        name=w.names[2], phone=w.phones[2], level="green", household=w.household(node=w.other_micro_grid)
    )
    _due(overdue, w.today - timedelta(days=3))
    _due(today, w.today)
    _due(elsewhere, w.today - timedelta(days=10))
    later = w.resident(name="以后再访", level="red")
    _due(later, w.today + timedelta(days=2))  # not yet
    gone = w.resident(name="已搬走", level="red")
    services.move_out(resident=gone, on=w.today - timedelta(days=1), actor=w.staff)  # no visits once moved away
    w.overdue = overdue
    return w


def _inbox(user):
    return list(Notification.objects.filter(recipient=user, kind=VISITS_DUE).order_by("pk"))


def test_one_reminder_a_day_per_visitor_with_counts_only(due):
    w = due
    assert tasks.send_visit_reminders(now=_at(w.today, 8)) == 3
    (steward,) = _inbox(w.steward)
    (other,) = _inbox(w.other_steward)
    (grid,) = _inbox(w.grid_worker)
    # Each says how many visits are overdue and due today in the visitor's area (rendered in the site language).
    for message, overdue, due_today in ((steward, 1, 1), (other, 1, 0), (grid, 1, 1)):
        expected = messages.render(VISITS_DUE, {"overdue": overdue, "due_today": due_today})
        assert (message.title, message.body) == (expected.title, expected.body)
        assert message.read_at is None and not message.simulated
    assert steward.subject == other.subject == grid.subject == f"care-visits:{w.today.isoformat()}"
    assert not _inbox(w.staff) and not _inbox(w.leader)  # staff who keep the registry do not visit
    for message in (steward, other, grid):
        text = message.title + message.body
        for secret in (*w.names, *w.phones):
            assert secret not in text
        for name in w.names:
            assert name[0] + "*" not in text
    # Idempotent: again the same day (a restarted worker, the next sweep) sends nothing more.
    assert tasks.send_visit_reminders(now=_at(w.today, 8) + timedelta(minutes=5)) == 0
    assert tasks.send_visit_reminders(now=_at(w.today, 17)) == 0
    assert Notification.objects.filter(kind=VISITS_DUE).count() == 3


def test_the_counts_per_visitor_and_the_morning_hour(due):
    w = due
    counts = tasks.visits_due_by_visitor(today=w.today)
    assert counts == {w.steward: (1, 1), w.other_steward: (1, 0), w.grid_worker: (1, 1)}
    # Before the reminder hour nothing is sent; the next day's reminder is a new one.
    tomorrow = w.today + timedelta(days=1)
    assert tasks.send_visit_reminders(now=_at(tomorrow, tasks.REMINDER_HOUR - 1)) == 0
    assert tasks.send_visit_reminders(now=_at(tomorrow, tasks.REMINDER_HOUR)) == 3
    assert len(_inbox(w.steward)) == 1
    # A visit made: the steward's resident is no longer due.
    services.record_visit(resident=w.overdue, visitor=w.steward, outcome="well")
    assert tasks.visits_due_by_visitor(today=w.today)[w.steward] == (0, 1)


def test_the_worker_runs_the_care_jobs_once(due, settings):
    out = io.StringIO()
    call_command("worker", "--once", "--no-tasks", stdout=out)
    text = out.getvalue()
    assert "care-retention: {'erased': 0, 'cases': 0}" in text
    sent = 3 if timeutil.local(timeutil.now()).hour >= tasks.REMINDER_HOUR else 0
    assert f"care-reminders: {sent}" in text


# ------------------------------------------------------------------------------------------------------- retention


@pytest.fixture
def movers(settings):
    settings.GONGZHI_CARE_RETENTION_DAYS = 1095
    w = care_world()
    catalogue.seed(jurisdiction=w.district.jurisdiction)
    today = timeutil.local_today()
    old = w.resident(name="老住户甲", phone="13700000001", level="red")
    stored = default_storage.save("care/test-visit.jpg", ContentFile(b"photo"))
    services.record_visit(resident=old, visitor=w.steward, outcome="problem", findings="门锁坏", photos=[stored])
    services.move_out(resident=old, on=today - timedelta(days=1096), actor=w.staff)
    recent = w.resident(name="新搬走乙", level="green")
    services.move_out(resident=recent, on=today - timedelta(days=1095), actor=w.staff)  # exactly the period: kept
    living = w.resident(name="还住着丙", level="yellow")
    with_case = w.resident(name="有案件丁", phone="13700000004")
    case = cases_services.submit(
        jurisdiction=w.district.jurisdiction,
        channel="visit",
        title="走访发现门锁损坏",
        description="有案件丁家门锁损坏，电话13700000004",
        building=with_case.household.building,
        recorded_by=w.staff,
    )
    services.link_case(
        resident=with_case, case_id=case.pk, tracking_code=case.tracking_code, kind="problem", actor=w.staff
    )
    services.move_out(resident=with_case, on=today - timedelta(days=2000), actor=w.staff)
    w.today, w.stored, w.case = today, stored, case
    w.old, w.recent, w.living, w.with_case = old, recent, living, with_case
    return w


def _status(resident):
    return Resident.objects.get(pk=resident.pk).status


def test_retention_erases_exactly_the_old_movers_and_anonymises_their_cases(movers, django_capture_on_commit_callbacks):
    w = movers
    with django_capture_on_commit_callbacks(execute=True):
        done = care_jobs.apply_retention(today=w.today)
    assert done == {"erased": 2, "cases": 1}
    erased = Resident.objects.get(pk=w.old.pk)
    assert erased.status == ResidentStatus.ERASED
    assert (erased.name, erased.id_number, erased.phone, erased.name_index, erased.id_index, erased.born) == (
        "", "", "", "", "", None,
    )  # fmt: skip
    assert erased.visits.get().findings == "" and erased.visits.get().photos == []
    assert not default_storage.exists(w.stored)  # the visit photo is gone from storage
    assert AccessEntry.objects.filter(action="erase", user__isnull=True).count() == 2
    assert _status(w.with_case) == ResidentStatus.ERASED
    case = Case.objects.get(pk=w.case.pk)  # the case stays, without the person in it
    assert "有案件丁" not in case.description and "13700000004" not in case.description
    assert case.events.filter(kind="anonymised").count() == 1
    assert _status(w.recent) == ResidentStatus.MOVED_AWAY and Resident.objects.get(pk=w.recent.pk).name
    assert _status(w.living) == ResidentStatus.LIVING
    # Run again: nothing more to do (the erased are not found again).
    assert care_jobs.apply_retention(today=w.today) == {"erased": 0, "cases": 0}


def test_a_failing_anonymisation_keeps_that_resident_whole(movers, monkeypatch):
    w = movers

    def anonymise_people(**kwargs):
        raise RuntimeError("cases unavailable")

    monkeypatch.setattr(cases_services, "anonymise_people", anonymise_people)
    with pytest.raises(RuntimeError):
        care_jobs.apply_retention(today=w.today)
    assert _status(w.old) == ResidentStatus.ERASED  # erased first, in its own transaction: it has no case
    assert _status(w.with_case) == ResidentStatus.MOVED_AWAY
    assert Resident.objects.get(pk=w.with_case.pk).name == "有案件丁"
    assert not AccessEntry.objects.filter(resident_id_ref=w.with_case.pk).exists()


def test_the_retention_period_is_the_setting(movers, settings):
    w = movers
    settings.GONGZHI_CARE_RETENTION_DAYS = 3000
    assert care_jobs.apply_retention(today=w.today) == {"erased": 0, "cases": 0}
    assert care_jobs.apply_retention(today=w.today, days=1000) == {"erased": 3, "cases": 1}
