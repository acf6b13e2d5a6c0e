"""Text messages: encrypted at rest, delivered after commit, never twice, failures recorded and retried."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from gongzhi.core import crypto
from gongzhi.notifications import services
from gongzhi.notifications.backends import SmsBackend, SmsError
from gongzhi.notifications.models import SmsMessage
from gongzhi.notifications.tasks import deliver_sms_task, retry_failed_task

pytestmark = pytest.mark.django_db

PHONE = "13812345678"
CODE = {"code": "482913", "minutes": 5}
KIND = "account.verification_code"


class FlakyBackend(SmsBackend):
    """Fails the first ``failures`` sends (class-level, so it survives being instantiated per delivery)."""

    failures = 0
    sent: list[tuple[str, str]] = []

    def send(self, phone: str, body: str) -> str:
        if FlakyBackend.failures > 0:
            FlakyBackend.failures -= 1
            raise SmsError("gateway answered 503 Service Unavailable")
        FlakyBackend.sent.append((phone, body))
        return f"flaky-{len(FlakyBackend.sent)}"


class BrokenBackend(SmsBackend):
    def send(self, phone: str, body: str) -> str:
        raise KeyError("access_key")  # a bug in a gateway class, not an SmsError


@pytest.fixture
def flaky(settings):
    settings.GONGZHI_SMS_BACKEND = f"{__name__}.FlakyBackend"
    settings.GONGZHI_SMS_OPTIONS = {}
    FlakyBackend.failures = 0
    FlakyBackend.sent = []
    return FlakyBackend


def _age(sms, **delta):
    """Pretend the last attempt (and the queueing) happened ``delta`` ago."""
    then = timezone.now() - timedelta(**delta)
    SmsMessage.objects.filter(pk=sms.pk).update(last_attempt_at=then, created_at=then)


def test_the_phone_is_encrypted_at_rest_and_indexed(sms_outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        sms = services.send_sms(phone="+86 138-1234-5678", kind=KIND, context=CODE)
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone, phone_index, body FROM notifications_smsmessage WHERE id = %s", [sms.pk])
        raw_phone, phone_index, body = cursor.fetchone()
    assert PHONE not in raw_phone and raw_phone.startswith("gAAAA")
    assert phone_index == crypto.blind_index(PHONE)
    assert SmsMessage.objects.get(phone_index=crypto.blind_index(PHONE)).phone == PHONE
    assert body.startswith("【共治】") and "482913" in body
    assert sms.masked_phone == "138****5678"


def test_delivered_only_after_the_transaction_commits(sms_outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        sms = services.send_sms(phone=PHONE, kind=KIND, context=CODE)
        # Written taken for its first attempt, so nothing else sends it meanwhile; sent only after the commit.
        assert (sms.status, sms.attempts) == (SmsMessage.Status.SENDING, 1)
        assert sms_outbox == []  # not before commit
    assert len(callbacks) == 1
    assert [(m.phone, m.body) for m in sms_outbox] == [(PHONE, sms.body)]
    sms.refresh_from_db()
    assert sms.status == SmsMessage.Status.SENT
    assert sms.attempts == 1 and sms.sent_at is not None and sms.error == ""
    assert sms.backend == "locmem" and sms.provider_id == sms_outbox[0].provider_id


def test_a_rolled_back_transaction_sends_nothing(sms_outbox, django_capture_on_commit_callbacks):
    from django.db import transaction

    class Rollback(Exception):
        pass

    def queue_then_fail():
        with transaction.atomic():
            services.send_sms(phone=PHONE, kind=KIND, context=CODE)
            raise Rollback

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Rollback):
        queue_then_fail()
    assert sms_outbox == [] and SmsMessage.objects.count() == 0


def test_a_sent_message_is_never_sent_twice(sms_outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sms = services.send_sms(phone=PHONE, kind=KIND, context=CODE)
    assert services.deliver(sms.pk).status == SmsMessage.Status.SENT
    assert deliver_sms_task.call(sms.pk) == SmsMessage.Status.SENT
    _age(sms, days=1)
    assert services.retry_failed() == 0
    assert len(sms_outbox) == 1
    assert SmsMessage.objects.get(pk=sms.pk).attempts == 1


def test_a_message_another_worker_is_sending_is_left_alone(sms_outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        sms = services.send_sms(phone=PHONE, kind=KIND, context=CODE)
    SmsMessage.objects.filter(pk=sms.pk).update(
        status=SmsMessage.Status.SENDING, attempts=1, last_attempt_at=timezone.now()
    )
    assert services.deliver(sms.pk).status == SmsMessage.Status.SENDING
    assert services.retry_failed() == 0
    assert sms_outbox == []
    # A worker that died mid-send leaves the message in flight; after the lease it is tried again.
    _age(sms, minutes=10)
    assert services.retry_failed() == 1
    assert len(sms_outbox) == 1
    assert SmsMessage.objects.get(pk=sms.pk).attempts == 2


def test_failures_are_recorded_and_retried_with_back_off(flaky, django_capture_on_commit_callbacks, caplog):
    flaky.failures = 1
    with (
        caplog.at_level(logging.WARNING, logger="gongzhi.notifications"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        sms = services.send_sms(phone=PHONE, kind=KIND, context=CODE)
    sms.refresh_from_db()
    assert (sms.status, sms.attempts, sms.error) == ("failed", 1, "gateway answered 503 Service Unavailable")
    assert sms.backend.endswith("FlakyBackend") and sms.sent_at is None
    assert "138****5678" in caplog.text and PHONE not in caplog.text
    # Too soon for the first retry (1 minute back-off).
    assert services.retry_failed() == 0
    _age(sms, minutes=1)
    assert retry_failed_task.call() == 1
    sms.refresh_from_db()
    assert (sms.status, sms.attempts, sms.error) == ("sent", 2, "")
    assert flaky.sent == [(PHONE, sms.body)]


def test_retries_stop_at_max_attempts(flaky, django_capture_on_commit_callbacks):
    flaky.failures = 100
    with django_capture_on_commit_callbacks(execute=True):
        sms = services.send_sms(phone=PHONE, kind=KIND, context=CODE)
    for _ in range(10):
        _age(sms, days=1)
        services.retry_failed(max_attempts=5)
    sms.refresh_from_db()
    assert (sms.status, sms.attempts) == ("failed", 5)
    # An operator can still push it by hand (admin action), and it goes once the gateway is back.
    flaky.failures = 0
    assert services.deliver(sms.pk).status == "sent"
    assert SmsMessage.objects.get(pk=sms.pk).attempts == 6


def test_a_bug_in_the_gateway_class_is_a_recorded_failure_not_a_crash(settings, django_capture_on_commit_callbacks):
    settings.GONGZHI_SMS_BACKEND = f"{__name__}.BrokenBackend"
    with django_capture_on_commit_callbacks(execute=True):
        sms = services.send_sms(phone=PHONE, kind=KIND, context=CODE)
    sms.refresh_from_db()
    assert (sms.status, sms.attempts, sms.error) == ("failed", 1, "'access_key'")


def test_a_message_whose_delivery_never_ran_is_swept_up_after_the_lease(sms_outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):  # the process stopped right after commit
        sms = services.send_sms(phone=PHONE, kind=KIND, context=CODE)
    assert services.retry_failed() == 0  # in flight: the after-commit delivery has its lease
    assert services.deliver_queued() == 0  # the worker's batch leaves it alone too
    _age(sms, minutes=5)
    assert services.retry_failed() == 1
    assert len(sms_outbox) == 1
    assert SmsMessage.objects.filter(pk=sms.pk).values_list("status", "attempts").get() == ("sent", 2)


def test_a_long_transaction_renews_the_lease_before_sending(sms_outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        sms = services.send_sms(phone=PHONE, kind=KIND, context=CODE)
    taken = timezone.now() - services.SEND_LEASE * 0.6  # the transaction that wrote it ran for three minutes
    SmsMessage.objects.filter(pk=sms.pk).update(last_attempt_at=taken)
    sms.last_attempt_at = taken
    callbacks[0]()
    stored = SmsMessage.objects.get(pk=sms.pk)
    assert (stored.status, stored.attempts) == ("sent", 1) and stored.last_attempt_at > taken
    assert len(sms_outbox) == 1


def test_a_delivery_the_sweep_took_over_is_not_sent_again(sms_outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        sms = services.send_sms(phone=PHONE, kind=KIND, context=CODE)
    taken = timezone.now() - services.SEND_LEASE * 2  # a transaction longer than the lease …
    SmsMessage.objects.filter(pk=sms.pk).update(last_attempt_at=taken)
    sms.last_attempt_at = taken
    assert services.retry_failed() == 1  # … so the sweep sent it once it was committed
    callbacks[0]()  # then the late after-commit delivery finds it taken and leaves it
    assert len(sms_outbox) == 1
    assert SmsMessage.objects.filter(pk=sms.pk).values_list("status", "attempts").get() == ("sent", 2)


@pytest.mark.parametrize(
    "phone", ["", "12345", "0571-88889999", "23812345678", "+1 415 555 0100", "1381234567x8", "+852 1381234567"]
)
def test_invalid_numbers_are_refused_without_raising(sms_outbox, phone, caplog, django_capture_on_commit_callbacks):
    with (
        caplog.at_level(logging.WARNING, logger="gongzhi.notifications"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert services.send_sms(phone=phone, kind=KIND, context=CODE) is None
    assert SmsMessage.objects.count() == 0 and sms_outbox == []
    assert "not a mainland mobile number" in caplog.text


@pytest.mark.parametrize("phone", ["13812345678", " +86 138-1234-5678 ", "0086 (138) 1234 5678", "8613812345678"])
def test_typed_numbers_are_normalised(sms_outbox, phone, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sms = services.send_sms(phone=phone, kind=KIND, context=CODE)
    assert SmsMessage.objects.get(pk=sms.pk).phone == PHONE
    assert sms_outbox[0].phone == PHONE


def test_a_kind_without_an_sms_text_sends_nothing(sms_outbox, registry, settings):
    settings.DEBUG = False
    registry.register("test.inbox_only", title="t", body="b")
    assert services.send_sms(phone=PHONE, kind="test.inbox_only", context={}) is None
    assert SmsMessage.objects.count() == 0


def test_deliver_of_a_missing_message_is_none():
    assert services.deliver(987654) is None
    assert deliver_sms_task.call(987654) is None


def test_the_tasks_can_be_enqueued_for_the_worker(sms_outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        sms = services.send_sms(phone=PHONE, kind=KIND, context=CODE)
    result = deliver_sms_task.enqueue(sms.pk)
    assert result.args == [sms.pk]
    assert retry_failed_task.enqueue().id


def test_the_retry_sms_command_runs_the_sweep(sms_outbox, django_capture_on_commit_callbacks):
    import io

    from django.core.management import call_command

    with django_capture_on_commit_callbacks(execute=False):
        sms = services.send_sms(phone=PHONE, kind=KIND, context=CODE)
    _age(sms, minutes=5)
    out = io.StringIO()
    call_command("retry_sms", "--max-attempts", "3", stdout=out)
    assert out.getvalue().strip() == "1 message(s) tried" and len(sms_outbox) == 1


def test_worker_delivery_leaves_messages_queued_until_the_worker_sends_them_in_one_batch(
    settings, flaky, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    settings.GONGZHI_SMS_DELIVERY = "worker"
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        sent = [services.send_sms(phone=f"1381234567{i}", kind=KIND, context=CODE) for i in range(5)]
    assert callbacks == [] and flaky.sent == []
    assert set(SmsMessage.objects.values_list("status", flat=True)) == {"queued"}
    flaky.failures = 1  # the first of the batch fails and stays for the retry sweep
    # One claim, one transaction with one update per message (SQLite adds no BEGIN/COMMIT statements).
    with django_assert_max_num_queries(1 + 5 + 2):
        assert services.deliver_queued() == 5
    statuses = dict(SmsMessage.objects.values_list("pk", "status"))
    assert statuses == {sent[0].pk: "failed", **{s.pk: "sent" for s in sent[1:]}}
    assert [phone for phone, _body in flaky.sent] == [f"1381234567{i}" for i in range(1, 5)]
    assert services.deliver_queued() == 0  # nothing is sent twice
    assert SmsMessage.objects.get(pk=sent[1].pk).attempts == 1


def test_the_worker_batch_respects_its_limit_and_takes_the_oldest_first(settings, flaky):
    settings.GONGZHI_SMS_DELIVERY = "worker"
    sent = [services.send_sms(phone=PHONE, kind=KIND, context={**CODE, "code": str(i)}) for i in range(3)]
    assert services.deliver_queued(limit=2) == 2
    assert list(SmsMessage.objects.order_by("pk").values_list("status", flat=True)) == ["sent", "sent", "queued"]
    assert services.deliver_queued(limit=2) == 1
    assert SmsMessage.objects.get(pk=sent[2].pk).status == "sent"
