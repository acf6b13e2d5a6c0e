"""Races on PostgreSQL (threads, each with its own connection, released together by a barrier): two members of one
household voting at the same moment count once; 20 households × 2 members all at once make exactly 20 ballots;
supports of one household count once and the count matches the rows; 30 residents registering at once for a meeting
of 5 places: exactly 5 get in (``services.register`` locks the meeting row)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection, connections

from gongzhi.core import timeutil
from gongzhi.core.errors import Conflict
from gongzhi.deliberation import services, steps
from gongzhi.deliberation.models import Ballot, Registration, Support, Topic
from gongzhi.deliberation.tests.factories import deliberation_world, phone

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("races need concurrent writers: PostgreSQL only (SQLite serialises them); `make test`")


def race(calls: list[Callable[[], object]]) -> Counter[str]:
    barrier = threading.Barrier(len(calls))
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def run(call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=30)
            call()
            result = "ok"
        except Conflict as exc:
            result = f"conflict: {exc.code}"
        except Exception as exc:  # any other error fails the test
            result = f"error: {exc!r}"
        finally:
            connections.close_all()
        with lock:
            outcomes[result] += 1

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    return outcomes


def test_two_members_of_one_household_vote_at_the_same_moment() -> None:
    w = deliberation_world()
    vote = w.vote(
        w.topic(step=steps.DECIDE),
        voters=[services.Voter(key="h1", label="1单元101", phones=(phone(1), phone(2)))],
    )
    yes, no = list(vote.options.order_by("sort_order"))
    outcomes = race(
        [
            lambda: services.cast(vote=vote.pk, phone=phone(1), option=yes.pk),
            lambda: services.cast(vote=vote.pk, phone=phone(2), option=no.pk),
        ]
    )
    assert outcomes == {"ok": 1, "conflict: duplicate": 1}, outcomes
    assert Ballot.objects.filter(vote=vote).count() == 1


def test_twenty_households_of_two_members_all_at_once() -> None:
    w = deliberation_world()
    voters = [
        services.Voter(key=f"h{n}", label=f"{n}01室", phones=(phone(100 + 2 * n), phone(101 + 2 * n)))
        for n in range(20)
    ]
    vote = w.vote(w.topic(step=steps.DECIDE), voters=voters)
    yes, no = list(vote.options.order_by("sort_order"))
    calls: list[Callable[[], object]] = []
    for n in range(20):
        for member, option in ((100 + 2 * n, yes), (101 + 2 * n, no)):
            calls.append(lambda m=member, o=option: services.cast(vote=vote.pk, phone=phone(m), option=o.pk))
    outcomes = race(calls)
    print(f"40 members of 20 households at once: {dict(outcomes)}")
    assert outcomes == {"ok": 20, "conflict: duplicate": 20}, outcomes
    ballots = Ballot.objects.filter(vote=vote)
    assert ballots.count() == 20 == ballots.values("eligible").distinct().count()
    # Closing counts each household once.
    closed = services.close_vote(vote=vote, actor=None, at=vote.closes_at + timedelta(seconds=1))
    assert closed.result is not None and closed.result["cast"] == 20 == sum(closed.result["counts"].values())


def test_supports_race() -> None:
    w = deliberation_world()
    topic = services.propose(
        node=w.community, title="增设非机动车充电桩", body="楼下电动车充电不便", phone=phone(1), household_key="h0",
        support_needed=50,
    )  # fmt: skip
    calls: list[Callable[[], object]] = []
    for n in range(15):  # 15 households, two members each, all at once
        for member in (2 * n + 10, 2 * n + 11):
            calls.append(
                lambda m=member, k=f"h{n + 1}": services.support(topic=topic.pk, phone=phone(m), household_key=k)
            )
    calls.append(lambda: services.support(topic=topic.pk, phone=phone(1), household_key="h99"))  # the proposer again
    outcomes = race(calls)
    assert outcomes == {"ok": 15, "conflict: duplicate": 16}, outcomes
    topic = Topic.objects.get(pk=topic.pk)
    assert topic.support_count == 16 == Support.objects.filter(topic=topic).count()
    assert Support.objects.filter(topic=topic).values("household_key").distinct().count() == 16


def test_thirty_register_for_five_places() -> None:
    w = deliberation_world()
    meeting = w.meeting(starts=timeutil.now() + timedelta(days=2), capacity=5)
    outcomes = race([lambda n=n: services.register(meeting=meeting.pk, phone=phone(200 + n)) for n in range(30)])
    print(f"30 registrations for 5 places: {dict(outcomes)}")
    assert outcomes == {"ok": 5, "conflict: full": 25}, outcomes
    assert Registration.objects.filter(meeting=meeting, registered_at__isnull=False).count() == 5
    # The same resident twice at once: one registration.
    roomy = w.meeting(starts=timeutil.now() + timedelta(days=3), capacity=50, title="议事会")
    outcomes = race([lambda: services.register(meeting=roomy.pk, phone=phone(300)) for _ in range(6)])
    assert outcomes["ok"] == 1 and outcomes["conflict: duplicate"] == 5, outcomes
    assert Registration.objects.filter(meeting=roomy).count() == 1


def test_two_workers_text_a_notice_once() -> None:
    """Two workers run the notice job at the same moment: each subscriber gets the notice once."""
    from gongzhi.deliberation import tasks
    from gongzhi.deliberation.models import Delivery
    from gongzhi.notifications.models import SmsMessage

    w = deliberation_world()
    building = w.building()
    for n in range(12):
        services.subscribe(building=building, phone=phone(400 + n))
    notice = services.publish_notice(
        actor=w.staff, node=w.community, title="停水通知", body="…", expires_at=timeutil.now() + timedelta(days=1)
    )
    sent: list[int] = []
    outcomes = race([lambda: sent.append(tasks.send_notice_texts()) for _ in range(4)])
    assert outcomes == {"ok": 4}, outcomes
    assert sorted(sent) == [0, 0, 0, 12]
    assert Delivery.objects.filter(notice=notice).count() == 12
    texts = SmsMessage.objects.filter(kind="deliberation.notice", subject=f"notice:{notice.pk}")
    assert texts.count() == 12 == texts.values("phone_index").distinct().count()
