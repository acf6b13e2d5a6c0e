"""Notifications held back (``services.held``): a bulk write that commits batch by batch and may still be undone
(a hotline import on SQLite) writes no inbox row and no text message until it says so — a text cannot be taken
back — and writes exactly the held ones, rendered as they were asked for, when it releases them."""

from __future__ import annotations

import pytest

from gongzhi.accounts.tests.factories import UserFactory
from gongzhi.notifications import services
from gongzhi.notifications.models import Notification, SmsMessage

pytestmark = pytest.mark.django_db

NOTICE = {"title": "停水通知", "body": "明天 8:00–12:00 停水"}


def test_nothing_is_written_while_held_and_exactly_the_held_calls_when_released(settings, sms_outbox):
    settings.GONGZHI_SMS_DELIVERY = "worker"
    staff, other = UserFactory(), UserFactory(is_active=False)
    with services.held() as held:
        assert services.notify(recipients=[staff, other], kind="system.notice", context=NOTICE, subject="case:1") == []
        assert services.send_sms(phone="13812345678", kind="system.notice", context=NOTICE, subject="case:2") is None
        services.send_sms(phone="not a phone", kind="system.notice", context=NOTICE, subject="case:3")
    assert len(held) == 3
    assert (Notification.objects.count(), SmsMessage.objects.count()) == (0, 0)
    assert held.release() == 3
    # The same rows the calls write unheld: the inactive user and the bad number are left out as always.
    assert list(Notification.objects.values_list("recipient_id", "subject")) == [(staff.pk, "case:1")]
    assert list(SmsMessage.objects.values_list("phone", "subject")) == [("13812345678", "case:2")]
    assert sms_outbox == []  # queued for the worker, as configured


def test_held_calls_never_released_write_nothing_and_about_picks_by_subject():
    staff = UserFactory()
    with services.held() as held:
        for n in range(4):
            services.notify(recipients=[staff], kind="system.notice", context=NOTICE, subject=f"case:{n}")
    # Outside the block nothing is held any more: this one is written at once.
    services.notify(recipients=[staff], kind="system.notice", context=NOTICE, subject="case:9")
    assert list(Notification.objects.values_list("subject", flat=True)) == ["case:9"]
    some = held.about(["case:1", "case:3"])
    assert some.release() == 2
    assert sorted(Notification.objects.values_list("subject", flat=True)) == ["case:1", "case:3", "case:9"]


def test_release_in_slices():
    staff = UserFactory()
    with services.held() as held:
        for n in range(5):
            services.notify(recipients=[staff], kind="system.notice", context=NOTICE, subject=f"case:{n}")
    assert [held.release(start, start + 2) for start in range(0, len(held), 2)] == [2, 2, 1]
    assert Notification.objects.count() == 5
