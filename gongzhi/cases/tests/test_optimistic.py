"""The case actions outside any transaction, as requests run them: on SQLite they read and decide before their
transaction begins (core.transactions.optimistic), and a case changed in between makes them start again under the
lock. (Most other tests run inside a test transaction, where the actions are plain atomic blocks.)"""

import threading

import pytest
from django.db import connection, connections

from gongzhi.cases import services
from gongzhi.cases import transitions as t
from gongzhi.cases.models import Case, CaseEvent, Rating
from gongzhi.cases.tests.factories import world
from gongzhi.core.errors import Conflict, DomainError
from gongzhi.notifications.models import SmsMessage

pytestmark = pytest.mark.django_db(transaction=True)
PHONE = "13800138000"


def _events(case: Case) -> list[tuple[int, str, str]]:
    return list(CaseEvent.objects.filter(case=case).order_by("seq").values_list("seq", "kind", "to_status"))


def test_a_whole_cycle_writes_exactly_the_events_and_messages_of_the_locked_path():
    w = world()
    case = w.submit(reporter_phone=PHONE)
    services.triage(case=case, actor=w.dispatcher, category=w.category)
    services.dispatch(case=case, actor=w.dispatcher, node=w.micro, pool=True)
    services.accept(case=case, actor=w.steward)
    services.resolve(case=case, actor=w.steward, result="已清理楼道杂物")
    services.rate(case=case, actor=None, score="satisfied", solved=True, verified_reporter=True)

    case.refresh_from_db()
    assert (case.status, case.handler_user_id, case.event_count, case.resolved_level) == (
        t.CLOSED,
        w.steward.pk,
        6,
        "micro_grid",
    )
    assert _events(case) == [
        (1, "submitted", "submitted"),
        (2, "triaged", "triaged"),
        (3, "dispatched", "dispatched"),
        (4, "accepted", "accepted"),
        (5, "resolved", "resolved"),
        (6, "rated", "closed"),
    ]
    assert list(SmsMessage.objects.order_by("pk").values_list("kind", "status")) == [
        ("case.received", "sent"),
        ("case.accepted", "sent"),
        ("case.resolved", "sent"),
    ]
    assert w.steward.notifications.filter(kind="case.new_task").count() == 1


def test_a_steward_who_loses_the_race_between_reading_and_writing_gets_already_taken_and_writes_nothing(monkeypatch):
    """steward reads the pooled case and passes the checks; before steward's first write, steward2 accepts it in
    another connection and commits. steward's write finds the case changed: nothing of it is written, and the action
    runs again under the lock and answers "already taken"."""
    if connection.vendor != "sqlite":
        pytest.skip("on PostgreSQL the case is locked FOR UPDATE before the checks (test_pool_race races it)")
    w = world()
    case = w.submit(reporter_phone=PHONE)
    services.triage(case=case, actor=w.dispatcher, category=w.category)
    services.dispatch(case=case, actor=w.dispatcher, node=w.micro, pool=True)
    checked: list[tuple[str, str]] = []
    errors: list[BaseException] = []
    real_require_accept = services.require_accept

    def steward2_accepts() -> None:
        try:
            services.accept(case=case.pk, actor=w.steward2)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    def require_accept(actor, case_read):
        checked.append((actor.username, case_read.status))
        if actor == w.steward and len(checked) == 1:
            other = threading.Thread(target=steward2_accepts)
            other.start()
            other.join(timeout=10)
        real_require_accept(actor, case_read)

    monkeypatch.setattr(services, "require_accept", require_accept)
    with pytest.raises(Conflict, match="already taken: another person accepted this case first"):
        services.accept(case=case.pk, actor=w.steward)

    assert not errors  # steward2 was not kept waiting: steward's checks ran before its transaction
    assert checked == [(w.steward.username, t.DISPATCHED), (w.steward2.username, t.DISPATCHED)]
    case.refresh_from_db()
    assert (case.status, case.handler_user_id, case.event_count) == (t.ACCEPTED, w.steward2.pk, 4)
    assert (
        CaseEvent.objects.filter(case=case, kind="accepted").values_list("actor_id", flat=True).get() == w.steward2.pk
    )
    assert SmsMessage.objects.filter(kind="case.accepted").count() == 1


def test_a_duplicates_reporter_rates_the_closed_parent_once():
    """rate() decides from the ratings table, which the case row does not cover: it reads it inside the transaction
    (begin_now), so a second rating of the same result is refused, not stored."""
    w = world()
    parent = w.to_resolved(reporter_phone=PHONE)
    duplicate = w.submit(title="楼道杂物堵住了消防通道")
    services.merge(case=duplicate, into=parent, actor=w.dispatcher)
    services.rate(case=parent, actor=None, score="satisfied", solved=True, verified_reporter=True)

    services.rate(case=duplicate, actor=None, score="basically", solved=True, verified_reporter=True)
    with pytest.raises(Conflict, match="already been rated"):
        services.rate(case=duplicate, actor=None, score="unsatisfied", solved=False, verified_reporter=True)

    assert list(Rating.objects.filter(case=parent).order_by("pk").values_list("via_case_id", "score")) == [
        (None, "satisfied"),
        (duplicate.pk, "basically"),
    ]
    parent.refresh_from_db()
    assert parent.status == t.CLOSED and parent.rework_count == 0


def test_recording_a_case_solved_on_the_spot_writes_both_or_neither():
    w = world()
    case = services.submit_solved_on_the_spot(
        jurisdiction=w.jurisdiction,
        channel="walk_in",
        title="楼道灯不亮",
        building=w.building,
        recorded_by=w.grid_worker,
        result="当场更换灯泡",
    )
    case.refresh_from_db()
    assert (case.status, case.on_the_spot, case.handler_user_id, case.recorded_by_id) == (
        t.RESOLVED,
        True,
        w.grid_worker.pk,
        w.grid_worker.pk,
    )
    assert [kind for _seq, kind, _to in _events(case)] == ["submitted", "resolved"]

    before = (Case.objects.count(), CaseEvent.objects.count(), SmsMessage.objects.count())
    with pytest.raises(DomainError, match="result"):
        services.submit_solved_on_the_spot(
            jurisdiction=w.jurisdiction,
            channel="walk_in",
            title="路灯不亮",
            building=w.building,
            reporter_phone=PHONE,
            recorded_by=w.grid_worker,
            result="   ",
        )
    assert (Case.objects.count(), CaseEvent.objects.count(), SmsMessage.objects.count()) == before
