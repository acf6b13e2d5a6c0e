"""Simulated activity (``services.simulation``) is marked on its rows: its text messages never reach the configured
gateway, whichever process sends them, and its inbox rows are history (simulated time, already read), not news."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from gongzhi.accounts.tests.factories import UserFactory
from gongzhi.notifications import selectors, services
from gongzhi.notifications.models import Notification, SmsMessage

pytestmark = pytest.mark.django_db

PHONE = "13812345678"
NOTICE = {"title": "停水通知", "body": "明天 8:00–12:00 停水"}
THEN = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)


def test_inbox_rows_of_a_simulation_are_stamped_at_the_simulated_time_and_already_read():
    staff = UserFactory()
    services.notify(recipients=[staff], kind="system.notice", context=NOTICE)
    with services.simulation(clock=lambda: THEN):
        services.notify(recipients=[staff], kind="system.notice", context=NOTICE)
    real, simulated = Notification.objects.order_by("simulated")
    assert (real.simulated, real.read_at) == (False, None)
    assert (simulated.simulated, simulated.created_at, simulated.read_at) == (True, THEN, THEN)
    assert selectors.unread_count(staff) == 1  # only the real one is news
    assert selectors.inbox_for(staff) == [real, simulated]  # the real one first: the simulated one is in the past


def test_a_simulated_text_message_never_reaches_the_gateway_whoever_sends_it(
    settings, sms_outbox, django_capture_on_commit_callbacks
):
    settings.GONGZHI_SMS_DELIVERY = "worker"
    with services.simulation(clock=lambda: THEN):
        simulated = services.send_sms(phone=PHONE, kind="system.notice", context=NOTICE)
    real = services.send_sms(phone="13900001111", kind="system.notice", context=NOTICE)
    assert (simulated.simulated, simulated.created_at, real.simulated) == (True, THEN, False)
    # The worker's loop claims both; only the real one goes out through the configured backend (locmem here).
    assert services.deliver_queued() == 2
    assert [m.phone for m in sms_outbox] == ["13900001111"]
    simulated.refresh_from_db()
    assert (simulated.status, simulated.backend, simulated.sent_at) == ("sent", services.SIMULATED_BACKEND, THEN)
    assert simulated.provider_id.startswith("null-")
    assert SmsMessage.objects.get(pk=real.pk).backend == "locmem"


def test_the_retry_sweep_and_a_single_delivery_treat_a_simulated_message_the_same(settings, sms_outbox):
    settings.GONGZHI_SMS_DELIVERY = "worker"
    with services.simulation(clock=lambda: timezone.now() - timedelta(hours=1)):
        late = services.send_sms(phone=PHONE, kind="system.notice", context=NOTICE)  # queued an hour ago
        failed = services.send_sms(phone=PHONE, kind="system.notice", context=NOTICE)
    SmsMessage.objects.filter(pk=failed.pk).update(status="failed", attempts=1, last_attempt_at=timezone.now())
    assert services.retry_failed() == 1  # the one queued past the grace period
    assert services.deliver(failed.pk).status == "sent"  # the admin's "send again"
    assert sms_outbox == []
    assert set(SmsMessage.objects.values_list("pk", "status", "backend")) == {
        (late.pk, "sent", "null"),
        (failed.pk, "sent", "null"),
    }


def test_after_commit_delivery_of_a_simulated_message_goes_to_the_null_backend(
    settings, sms_outbox, django_capture_on_commit_callbacks
):
    settings.GONGZHI_SMS_DELIVERY = "commit"
    with django_capture_on_commit_callbacks(execute=True), services.simulation(clock=timezone.now):
        sms = services.send_sms(phone=PHONE, kind="system.notice", context=NOTICE)
    assert sms_outbox == []
    sms.refresh_from_db()
    assert (sms.simulated, sms.status, sms.backend) == (True, "sent", "null")


def test_the_mark_ends_with_the_block_even_when_it_fails(sms_outbox):
    with pytest.raises(RuntimeError), services.simulation(clock=lambda: THEN):
        raise RuntimeError("the simulation stopped")
    staff = UserFactory()
    (row,) = services.notify(recipients=[staff], kind="system.notice", context=NOTICE)
    assert (row.simulated, row.read_at) == (False, None)
    assert selectors.unread_count(staff) == 1


def test_a_later_message_about_a_simulated_subject_is_simulated_too(settings, sms_outbox):
    # A simulated case acted on later by a real user: its reporter's number was made up by the simulation.
    settings.GONGZHI_SMS_DELIVERY = "worker"
    with services.simulation(clock=lambda: THEN):
        services.send_sms(phone=PHONE, kind="system.notice", context=NOTICE, subject="case:7")
    later = services.send_sms(phone=PHONE, kind="system.notice", context=NOTICE, subject="case:7")
    real = services.send_sms(phone=PHONE, kind="system.notice", context=NOTICE, subject="case:8")
    unrelated = services.send_sms(phone=PHONE, kind="system.notice", context=NOTICE)
    assert (later.simulated, real.simulated, unrelated.simulated) == (True, False, False)
    assert later.created_at > THEN  # written now, by a real action: only the sending is held back
    services.deliver_queued()
    assert len(sms_outbox) == 2
    assert SmsMessage.objects.get(pk=later.pk).backend == "null"
    with pytest.raises(ValueError, match="subject longer than 100"):
        services.send_sms(phone=PHONE, kind="system.notice", context=NOTICE, subject="x" * 101)
