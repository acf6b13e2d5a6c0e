"""Notifications are written with the change they tell about, and the counters the hot path relies on stay true."""

from __future__ import annotations

import pytest
from django.db import transaction

from gongzhi.cases import services
from gongzhi.cases.models import Case, CaseEvent, CoHandlingTask
from gongzhi.cases.tests.factories import world
from gongzhi.notifications.models import Notification, SmsMessage

pytestmark = pytest.mark.django_db


class Boom(Exception):
    pass


@pytest.fixture
def w():
    return world()


def test_a_rolled_back_change_leaves_no_notification_and_no_text_message(w):
    case = w.submit(reporter_phone="13800138000")
    services.triage(case=case, actor=w.dispatcher, category=w.category)
    sms_before, inbox_before = SmsMessage.objects.count(), Notification.objects.count()
    seen_inside = []

    def dispatch_then_fail() -> None:
        with transaction.atomic():
            services.dispatch(case=case, actor=w.dispatcher, node=w.micro, pool=True)
            seen_inside.append(Notification.objects.filter(kind="case.new_task").count())
            raise Boom

    with pytest.raises(Boom):
        dispatch_then_fail()
    assert seen_inside == [2]  # written inside the transaction, with the change
    assert (SmsMessage.objects.count(), Notification.objects.count()) == (sms_before, inbox_before)
    assert Case.objects.get(pk=case.pk).status == "triaged"


def test_each_change_queues_its_messages_in_the_same_commit(w, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        case = w.submit(reporter_phone="13800138000")
    # The text message row exists already, taken for its first attempt; only its delivery waits for the commit.
    assert list(SmsMessage.objects.values_list("kind", "status", "attempts")) == [("case.received", "sending", 1)]
    assert len(callbacks) == 1
    assert case.pk


def test_inactive_staff_are_not_told(w):
    w.steward2.is_active = False
    w.steward2.save(update_fields=["is_active"])
    case = w.submit()
    services.triage(case=case, actor=w.dispatcher, category=w.category)
    services.dispatch(case=case, actor=w.dispatcher, node=w.micro, pool=True)
    assert list(Notification.objects.filter(kind="case.new_task").values_list("recipient", flat=True)) == [w.steward.pk]


def test_duplicate_and_co_handling_counters_follow_the_services(w):
    parent = w.submit()
    services.triage(case=parent, actor=w.dispatcher, category=w.category)
    for _ in range(2):
        dup = w.submit()
        services.merge(case=dup, into=parent, actor=w.dispatcher)
    parent = services.escalate(case=parent, actor=w.dispatcher, reason="需要街道协调")  # community → street
    parent = services.escalate(case=parent, actor=w.street_staff, reason="需要区里协调")
    parent = Case.objects.get(pk=parent.pk)
    assert parent.duplicate_count == 2 == parent.duplicates.count()
    street_case = w.submit()
    services.triage(case=street_case, actor=w.dispatcher, category=w.category, level="street")
    street_case = services.whistle(case=street_case, actor=w.street_staff, departments=[w.department], task="联合处置")
    assert Case.objects.get(pk=street_case.pk).open_co_tasks == 1
    services.dispatch(case=street_case, actor=w.street_staff, user=w.street_staff)
    services.accept(case=street_case, actor=w.street_staff)
    with pytest.raises(Exception, match="report"):
        services.resolve(case=street_case, actor=w.street_staff, result="已处理")
    task = CoHandlingTask.objects.get(case=street_case)
    services.report_in(task=task, actor=w.dept_staff, report="已到场")
    assert Case.objects.get(pk=street_case.pk).open_co_tasks == 0
    done = services.resolve(case=street_case, actor=w.street_staff, result="已处理")
    assert done.status == "resolved"
    assert CaseEvent.objects.filter(case=street_case).count() == done.event_count
