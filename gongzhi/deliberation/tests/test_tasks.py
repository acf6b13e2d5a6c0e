"""The worker's deliberation jobs: votes closed and counted at their closing time (once), and a new notice texted to
the active subscribers of exactly its buildings — each once, also when the job runs again (a restarted worker) — with
the title, the building and the opt-out link; expired, withdrawn and old notices are not sent."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command

from gongzhi.core import timeutil
from gongzhi.deliberation import services, steps, tasks
from gongzhi.deliberation.models import Ballot, Delivery, Notice, Vote
from gongzhi.deliberation.tests.factories import deliberation_world, phone
from gongzhi.notifications.models import SmsMessage

pytestmark = pytest.mark.django_db
PUBLIC = "https://gz.example.gov.cn"


def test_votes_close_at_their_closing_time_once() -> None:
    w = deliberation_world()
    now = timeutil.now()
    due = w.vote(w.topic(step=steps.DECIDE), closes_at=now + timedelta(minutes=5))
    later = w.vote(w.topic(step=steps.DECIDE, title="更换门禁"), closes_at=now + timedelta(days=3))
    [yes, _no] = list(due.options.all())
    services.cast(vote=due, phone=phone(1), option=yes)
    services.cast(vote=due, phone=phone(2), option=yes)

    assert tasks.close_due_votes(now=now + timedelta(minutes=4)) == 0
    assert Vote.objects.get(pk=due.pk).status == "open"

    at = now + timedelta(minutes=6)
    assert tasks.close_due_votes(now=at) == 1
    due.refresh_from_db()
    assert due.status == "closed" and due.closed_at == at
    assert due.result is not None
    assert due.result["cast"] == 2 and due.result["eligible"] == 3
    assert due.result["counts"] == {"同意": 2, "不同意": 0} and due.result["carried"] == ["同意"]
    assert Vote.objects.get(pk=later.pk).status == "open" and Vote.objects.get(pk=later.pk).result is None
    # Run again (a restarted worker): nothing more is closed, the stored result is untouched.
    assert tasks.close_due_votes(now=at + timedelta(minutes=1)) == 0
    assert Vote.objects.get(pk=due.pk).closed_at == at
    assert Ballot.objects.filter(vote=due).count() == 2


@pytest.fixture
def notice_world(settings):
    settings.GONGZHI_PUBLIC_URL = PUBLIC
    w = deliberation_world()
    east, west = w.compound(), w.compound()
    w.east = [w.building(compound=east), w.building(compound=east)]
    w.west = w.building(compound=west)
    w.subs = {
        "east0": services.subscribe(building=w.east[0], phone=phone(10)),
        "east0b": services.subscribe(building=w.east[0], phone=phone(11)),
        "east1": services.subscribe(building=w.east[1], phone=phone(12)),
        "west": services.subscribe(building=w.west, phone=phone(13)),
        "gone": services.subscribe(building=w.east[1], phone=phone(14)),
    }
    services.unsubscribe(token=w.subs["gone"].token)
    return w


def _texts() -> list[SmsMessage]:
    return list(SmsMessage.objects.filter(kind__startswith="deliberation.").order_by("pk"))


def test_a_notice_is_texted_once_to_its_buildings_subscribers(notice_world) -> None:
    w = notice_world
    now = timeutil.now()
    notice = services.publish_notice(
        actor=w.staff, node=w.community, title="停水通知", body="明天 9:00-17:00 停水", urgent=True,
        expires_at=now + timedelta(days=2), buildings=w.east, at=now,
    )  # fmt: skip

    assert tasks.send_notice_texts(now=now + timedelta(seconds=5)) == 3
    texts = _texts()
    assert sorted(t.phone for t in texts) == [phone(10), phone(11), phone(12)]  # not west, not the one who left
    assert {t.kind for t in texts} == {"deliberation.notice_urgent"}
    by_phone = {t.phone: t for t in texts}
    text = by_phone[phone(12)].body
    assert "停水通知" in text and str(w.east[1]) in text
    assert f"{PUBLIC}/r/notices/stop/{w.subs['east1'].token}/" in text
    assert Delivery.objects.filter(notice=notice).count() == 3
    assert Notice.objects.get(pk=notice.pk).sms_sent == 3

    # The worker restarts and runs again: nobody is texted twice.
    assert tasks.send_notice_texts(now=now + timedelta(minutes=1)) == 0
    assert len(_texts()) == 3
    # A resident of the building who subscribes while the notice is new gets it, once.
    services.subscribe(building=w.east[1], phone=phone(15))
    assert tasks.send_notice_texts(now=now + timedelta(minutes=2)) == 1
    assert tasks.send_notice_texts(now=now + timedelta(minutes=3)) == 0
    assert sorted(t.phone for t in _texts()) == [phone(10), phone(11), phone(12), phone(15)]


def test_a_notice_to_a_node_reaches_every_building_under_it(notice_world) -> None:
    w = notice_world
    now = timeutil.now()
    services.publish_notice(
        actor=w.staff, node=w.community, title="医保政策宣传", body="城乡居民医保缴费开始", kind="policy",
        expires_at=now + timedelta(days=7), at=now,
    )  # fmt: skip
    assert tasks.send_notice_texts(now=now) == 4
    assert {t.kind for t in _texts()} == {"deliberation.notice"}
    assert sorted(t.phone for t in _texts()) == [phone(10), phone(11), phone(12), phone(13)]


def test_expired_withdrawn_and_old_notices_are_not_sent(notice_world) -> None:
    w = notice_world
    now = timeutil.now()
    expired = services.publish_notice(
        actor=w.staff, node=w.community, title="已过期", body="…", expires_at=now + timedelta(hours=1), at=now
    )
    withdrawn = services.publish_notice(
        actor=w.staff, node=w.community, title="已撤回", body="…", expires_at=now + timedelta(days=1), at=now
    )
    services.withdraw_notice(notice=withdrawn, actor=w.staff)
    old = services.publish_notice(
        actor=w.staff, node=w.community, title="上周的通知", body="…", expires_at=now + timedelta(days=30),
        at=now - tasks.NEW_WITHIN - timedelta(minutes=1),
    )  # fmt: skip
    assert tasks.send_notice_texts(now=now + timedelta(hours=2)) == 0  # the first has expired by then
    assert tasks.send_notice_texts(now=now) == 4  # the first only: still live, and new
    assert {t.subject for t in _texts()} == {f"notice:{expired.pk}"}
    assert not Delivery.objects.filter(notice__in=[withdrawn, old]).exists()
    # Claiming an expired notice directly is refused too.
    assert services.claim_deliveries(notice=expired, at=now + timedelta(hours=2)) == []


def test_the_worker_runs_the_deliberation_jobs_once(notice_world) -> None:
    w = notice_world
    services.publish_notice(
        actor=w.staff, node=w.community, title="停电通知", body="…", expires_at=timeutil.now() + timedelta(days=1),
        buildings=[w.west],
    )  # fmt: skip
    out = io.StringIO()
    call_command("worker", "--once", "--no-tasks", stdout=out)
    text = out.getvalue()
    assert "votes-close: 0" in text
    assert "notice-texts: 1" in text
    assert [t.phone for t in _texts()] == [phone(13)]


def test_a_worker_stopped_halfway_texts_nobody_twice(notice_world, monkeypatch) -> None:
    """The claim and the texts are one transaction: a failure after the first text undoes both, and the next run
    texts everyone once."""
    w = notice_world
    now = timeutil.now()
    notice = services.publish_notice(
        actor=w.staff, node=w.community, title="停气通知", body="…", expires_at=now + timedelta(days=1),
        buildings=w.east, at=now,
    )  # fmt: skip
    real = tasks.notifications.send_sms
    calls = []

    def failing(**kwargs):
        calls.append(kwargs["phone"])
        if len(calls) == 2:
            raise RuntimeError("the worker was stopped")
        return real(**kwargs)

    monkeypatch.setattr(tasks.notifications, "send_sms", failing)
    with pytest.raises(RuntimeError):
        tasks.send_notice_texts(now=now)
    assert not Delivery.objects.filter(notice=notice).exists() and _texts() == []
    assert Notice.objects.get(pk=notice.pk).sms_sent == 0
    monkeypatch.setattr(tasks.notifications, "send_sms", real)
    assert tasks.send_notice_texts(now=now + timedelta(seconds=30)) == 3
    assert sorted(t.phone for t in _texts()) == [phone(10), phone(11), phone(12)]
