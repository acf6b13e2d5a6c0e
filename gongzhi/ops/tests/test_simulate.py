"""The simulator drives the real services; a few simulated days on the demo district must leave a consistent world."""

import io
import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db.models import Count

from gongzhi.cases import catalogue, figures
from gongzhi.cases.models import Case, CaseEvent
from gongzhi.grid import demo
from gongzhi.grid.models import GridNode
from gongzhi.ops.simulate import Simulation

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture
def district():
    jurisdiction = demo.build_demo(password="demo-pass-123").jurisdiction
    catalogue.seed(jurisdiction=jurisdiction)
    return jurisdiction


def test_a_few_simulated_days_through_the_real_services(district):
    sim = Simulation(district, months=1, seed=3)
    sim.end = sim.start + timedelta(days=4)
    result = sim.run()
    cases = Case.objects.filter(jurisdiction=district, submitted_at__gte=sim.start)
    assert result.cases == cases.count() > 100  # ~47 a day
    # Every case has a timeline whose length is its event count, starting with "submitted".
    counted = dict(cases.annotate(n=Count("events")).values_list("pk", "n"))
    assert counted == dict(cases.values_list("pk", "event_count"))
    assert set(CaseEvent.objects.filter(case__in=cases, seq=1).values_list("kind", flat=True)) == {"submitted"}
    f = figures.headline(cases)
    assert f["resolved"] > 0.6 * f["handled"]
    assert sum(v for v in f["level_721"].values() if v) == pytest.approx(1.0, abs=0.01)
    assert result.statuses["closed"] + result.statuses["resolved"] == f["resolved"]


def test_simulate_command_prints_figures_and_json(district):
    out = io.StringIO()
    call_command("simulate", "--months", "1", "--seed", "5", "--quiet", stdout=out, days=2)
    lines = out.getvalue().strip().splitlines()
    data = json.loads(lines[-1])
    assert data["received"] > 50
    assert "721:" in out.getvalue()
    assert 0 < data["completion_rate"] <= 1
    # The dashboard's rollups were brought up to date, after the care visits too (a visit that finds a problem files a
    # case): the district's received count is every case the run filed.
    from gongzhi.analytics import selectors as analytics
    from gongzhi.analytics.models import Rollup, RollupCursor

    assert data["rollup_seconds"] >= 0
    assert RollupCursor.objects.get(name="events").last_id == CaseEvent.objects.order_by("-pk").first().pk
    root = GridNode.objects.get(jurisdiction=district, parent__isnull=True)
    assert Rollup.objects.filter(node_id=root.pk, period="m", dim="").exists()
    filed = Case.objects.filter(jurisdiction=district).count()
    assert filed >= data["received"]
    assert analytics.counts(node=root, since=None, until=None)["received"] == filed


def test_sweep_and_daily_report_commands(district):
    out = io.StringIO()
    call_command("sweep", stdout=out)
    assert "checked" in out.getvalue()
    out = io.StringIO()
    call_command("daily_report", "--node", "S01C01", stdout=out)
    assert "幸福社区" in out.getvalue()
    with pytest.raises(Exception, match="no grid node"):
        call_command("daily_report", "--node", "NOPE", stdout=io.StringIO())


def test_the_simulation_merges_duplicates_and_summons_departments(district):
    from gongzhi.cases.models import CoHandlingTask

    sim = Simulation(district, months=1, seed=11)
    sim.end = sim.start + timedelta(days=12)
    # Everything happens in a few micro-grids, so neighbours often report a problem that is still open there.
    few = sorted({b.node_id for b in sim.buildings})[:4]
    sim.buildings = [b for b in sim.buildings if b.node_id in few]
    sim.run()
    cases = Case.objects.filter(jurisdiction=district, submitted_at__gte=sim.start)
    merged = cases.filter(status="merged")
    assert merged.exists()
    assert all(c.merged_into.grid_node_id == c.grid_node_id for c in merged)
    tasks = CoHandlingTask.objects.filter(case__in=cases)
    assert tasks.exists()
    # Every resolved case that summoned departments has all of them reported in.
    assert not tasks.filter(case__resolved_at__isnull=False, status="summoned").exists()


def test_simulated_residents_text_messages_never_reach_the_configured_gateway(district, settings):
    from gongzhi.notifications import backends
    from gongzhi.notifications.models import SmsMessage

    settings.GONGZHI_SMS_BACKEND = "locmem"
    backends.outbox.clear()
    sim = Simulation(district, months=1, seed=4)
    sim.end = sim.start + timedelta(days=2)
    sim.run()
    assert backends.outbox == []
    sent = SmsMessage.objects.all()
    assert sent.exists() and set(sent.values_list("status", "backend").distinct()) == {("sent", "null")}
    assert settings.GONGZHI_SMS_BACKEND == "locmem" and settings.GONGZHI_SMS_DELIVERY == "commit"


def test_the_window_is_anchored_to_a_day_not_to_the_hour_of_the_run():
    from datetime import date, datetime

    from django.utils import timezone

    from gongzhi.ops.simulate import window

    start, end = window(15, date(2026, 11, 30))
    assert end == timezone.make_aware(datetime.combine(date(2026, 11, 30), datetime.min.time()))  # local midnight
    assert end - start == timedelta(days=457)
    assert window(1)[1] == timezone.make_aware(datetime.combine(timezone.localdate(), datetime.min.time()))


def test_the_same_seed_and_window_give_the_same_run(district):
    from django.db import transaction

    from gongzhi.ops.simulate import window

    start, _end = window(1)

    def run() -> tuple:
        with transaction.atomic():
            sim = Simulation(district, months=1, seed=7, start=start)
            sim.end = sim.start + timedelta(days=2)
            result = sim.run()
            cases = Case.objects.filter(jurisdiction=district, submitted_at__gte=start)
            seen = (
                result.cases,
                result.service_calls,
                dict(result.statuses),
                sorted(cases.values_list("title", "channel", "status", "level", "submitted_at")),
            )
            transaction.set_rollback(True)  # the second run starts from the same database
        return seen

    first, second = run(), run()
    assert first[0] > 20 and first == second


def test_until_must_be_a_past_date(district):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="expected a date like 2026-11-30, got '30/11/2026'"):
        call_command("simulate", "--until", "30/11/2026", stdout=io.StringIO())
    err = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("simulate", "--until", "2999-01-01", stdout=io.StringIO(), stderr=err)
    assert exited.value.code == 2 and "--until 2999-01-01 is in the future" in err.getvalue()
    assert not Case.objects.exists()


def test_the_command_names_the_simulated_dates(district):
    out = io.StringIO()
    call_command("simulate", "--months", "1", "--seed", "5", "--quiet", "--until", "2026-10-01", stdout=out, days=1)
    assert "seed 5, 2026-09-01 – 2026-09-30 (days 1–1 only)" in out.getvalue()  # 30 days before 1 October
    from datetime import date

    from django.utils import timezone

    first = Case.objects.order_by("submitted_at").first()
    assert timezone.localtime(first.submitted_at).date() == date(2026, 9, 1)


REPO = Path(__file__).resolve().parents[3]


def _shell(env: dict[str, str], code: str) -> dict:
    """Run ``code`` in ``gongzhi shell`` with ``env``; it prints one JSON object, returned here."""
    done = subprocess.run(
        [sys.executable, "-m", "gongzhi", "shell", "-c", code],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


COUNTS = """
import json
from gongzhi.notifications.models import Notification, SmsMessage
print(json.dumps({
    # The worker's own daily care reminders (care.tasks) are real news, not the simulation's.
    "unread": Notification.objects.filter(read_at__isnull=True).exclude(kind="care.visits_due").count(),
    "reminders_simulated": Notification.objects.filter(kind="care.visits_due", simulated=True).count(),
    "inbox_simulated": Notification.objects.filter(simulated=True).count(),
    "sms_simulated": SmsMessage.objects.filter(simulated=True).count(),
    "sms_simulated_states": sorted(set(
        f"{s}/{b}" for s, b in SmsMessage.objects.filter(simulated=True).values_list("status", "backend")
    )),
}))
"""


def test_simulate_beside_a_running_worker_sends_no_simulated_text_and_leaves_inboxes_unread_free(tmp_path):
    # The incident: `gongzhi simulate` switched only its own process to the null backend, and the running worker sent
    # 1,781 of the simulation's queued messages through the configured gateway; staff got 1,500+ unread messages.
    env = {
        **os.environ,
        "GONGZHI_DATA_DIR": str(tmp_path),
        "GONGZHI_DATABASE_URL": "",
        "GONGZHI_SMS_BACKEND": "file",  # the "real" channel: every message it sends is a line in the outbox file
        "GONGZHI_SMS_DELIVERY": "worker",
    }
    gongzhi = [sys.executable, "-m", "gongzhi"]
    subprocess.run([*gongzhi, "demo", "--months", "0"], env=env, check=True, cwd=REPO, capture_output=True)
    before = _shell(env, COUNTS)
    worker = subprocess.Popen(
        [*gongzhi, "worker", "--tick", "0.05", "--no-tasks"],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    outbox = tmp_path / "sms" / "outbox.jsonl"
    try:
        simulated = subprocess.run(
            [*gongzhi, "simulate", "--months", "1", "--days", "3", "--seed", "9", "--quiet"],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        )
        assert json.loads(simulated.stdout.strip().splitlines()[-1])["received"] > 50
        # A real message queued now leaves through the file backend: the worker was sending all along.
        real = (
            "from gongzhi.notifications import services; print('{}');"
            "services.send_sms(phone='13900001111', kind='system.notice', context={'title': 't', 'body': '真的'})"
        )
        _shell(env, real)
        deadline = time.monotonic() + 60
        while not (outbox.exists() and "13900001111" in outbox.read_text()):
            assert worker.poll() is None and time.monotonic() < deadline, "the worker did not send the real message"
            time.sleep(0.1)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
    lines = [json.loads(line) for line in outbox.read_text().splitlines()]
    assert [line["phone"] for line in lines] == ["13900001111"]  # not one of the simulation's
    after = _shell(env, COUNTS)
    assert after["sms_simulated"] > 50 and after["sms_simulated_states"] == ["sent/null"]
    assert after["inbox_simulated"] > 50
    assert after["unread"] == before["unread"] == 0  # staff inboxes got history, not news
    assert after["reminders_simulated"] == 0


def test_a_real_action_on_a_simulated_case_does_not_text_its_made_up_reporter(district, settings):
    from gongzhi.cases import services
    from gongzhi.notifications import backends
    from gongzhi.notifications.models import Notification, SmsMessage
    from gongzhi.notifications.services import deliver_queued

    sim = Simulation(district, months=1, seed=4)
    sim.end = sim.start + timedelta(days=2)
    sim.run()
    case = Case.objects.filter(status="accepted", handler_user__isnull=False).exclude(reporter_phone="").first()
    assert case is not None
    backends.outbox.clear()
    settings.GONGZHI_SMS_DELIVERY = "worker"
    services.resolve(case=case, actor=case.handler_user, result="已处理")  # a real staff member, today
    sms = SmsMessage.objects.get(subject=f"case:{case.pk}", kind="case.resolved")
    assert sms.simulated
    deliver_queued()
    assert backends.outbox == []
    assert SmsMessage.objects.get(pk=sms.pk).backend == "null"
    # Inbox rows of the simulation are history; this real action's are news as usual.
    assert not Notification.objects.filter(simulated=True, read_at__isnull=True).exists()


def test_messages_a_stopped_simulation_left_queued_never_reach_the_gateway(district, settings, monkeypatch):
    from gongzhi.notifications import backends
    from gongzhi.notifications import services as notifications
    from gongzhi.notifications.models import SmsMessage

    settings.GONGZHI_SMS_BACKEND = "locmem"
    backends.outbox.clear()
    # The simulate process stops after committing its days but before sending their messages itself …
    monkeypatch.setattr(notifications, "deliver_queued", lambda **kwargs: 0)
    sim = Simulation(district, months=1, seed=4)
    sim.end = sim.start + timedelta(days=2)
    sim.run()
    monkeypatch.undo()
    left = SmsMessage.objects.filter(status="queued")
    assert left.count() > 20 and not left.filter(simulated=False).exists()
    # … and the site's worker, with the configured gateway, takes them.
    call_command("worker", "--once", stdout=io.StringIO())
    assert backends.outbox == []
    assert set(SmsMessage.objects.values_list("status", "backend", "simulated").distinct()) == {("sent", "null", True)}
