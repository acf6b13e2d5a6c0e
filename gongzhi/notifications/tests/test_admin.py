"""The admin shows messages read-only with phone numbers masked, finds a number through its blind index, and can
push failed messages again."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from gongzhi.accounts.tests.factories import UserFactory
from gongzhi.notifications import services
from gongzhi.notifications.models import SmsMessage

pytestmark = pytest.mark.django_db

PHONE = "13712345678"
CONTEXT = {"title": "t", "body": "明天停水"}


@pytest.fixture
def queued(sms_outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        mine = services.send_sms(phone=PHONE, kind="system.notice", context=CONTEXT)
        other = services.send_sms(phone="13600000000", kind="system.notice", context=CONTEXT)
    return mine, other


def test_sms_list_and_detail_show_the_number_masked(admin_client, queued):
    mine, _other = queued
    changelist = admin_client.get(reverse("admin:notifications_smsmessage_changelist"))
    assert changelist.status_code == 200
    html = changelist.content.decode()
    assert "137****5678" in html and PHONE not in html
    detail = admin_client.get(reverse("admin:notifications_smsmessage_change", args=[mine.pk]))
    assert detail.status_code == 200
    assert "137****5678" in detail.content.decode() and PHONE not in detail.content.decode()
    assert admin_client.get(reverse("admin:notifications_smsmessage_add")).status_code == 403


def test_sms_search_by_full_number_uses_the_blind_index(admin_client, queued):
    mine, _other = queued
    response = admin_client.get(reverse("admin:notifications_smsmessage_changelist"), {"q": "137 1234 5678"})
    assert list(response.context["cl"].result_list) == [mine]


def test_the_retry_action_sends_unsent_messages_and_leaves_one_in_flight_alone(admin_client, queued, sms_outbox):
    mine, other = queued  # their after-commit delivery has not run: in flight, under the lease
    SmsMessage.objects.filter(pk=other.pk).update(status=SmsMessage.Status.FAILED, attempts=5)

    def retry():
        return admin_client.post(
            reverse("admin:notifications_smsmessage_changelist"),
            {"action": "retry", "_selected_action": [mine.pk, other.pk]},
            follow=True,
            headers={"accept-language": "en"},
        )

    response = retry()
    assert response.status_code == 200
    assert "1 of 2 messages sent." in response.content.decode()
    assert [m.phone for m in sms_outbox] == ["13600000000"]
    assert SmsMessage.objects.get(pk=mine.pk).status == SmsMessage.Status.SENDING
    # Past the lease the delivery is presumed lost (the process stopped): the action sends it, once.
    SmsMessage.objects.filter(pk=mine.pk).update(last_attempt_at=timezone.now() - services.SEND_LEASE)
    assert "1 of 1 message sent." in retry().content.decode()
    assert [m.phone for m in sms_outbox] == ["13600000000", PHONE]
    assert set(SmsMessage.objects.values_list("status", flat=True)) == {"sent"}
    assert SmsMessage.objects.get(pk=mine.pk).attempts == 2


def test_notification_list_renders(admin_client):
    services.notify(recipients=[UserFactory()], kind="system.notice", context=CONTEXT)
    response = admin_client.get(reverse("admin:notifications_notification_changelist"), {"read": "no"})
    assert response.status_code == 200 and "明天停水" not in response.content.decode()  # body is not in the list
    assert response.context["cl"].result_count == 1


def test_message_kinds_are_shown_in_words_not_codes(admin_client, sms_outbox, django_capture_on_commit_callbacks):
    """Issue 24 item 9: the SMS admin showed raw codes (portal.login_code). Now the kind's title, in Chinese."""
    from gongzhi.notifications.admin import kind_label

    with django_capture_on_commit_callbacks(execute=False):
        services.send_sms(phone=PHONE, kind="portal.login_code", context={"code": "123456", "minutes": 10})
    html = admin_client.get(reverse("admin:notifications_smsmessage_changelist")).content.decode()
    label = kind_label("portal.login_code")
    assert label != "portal.login_code" and "%(" not in label
    assert label in html
    assert ">portal.login_code<" not in html  # neither in the rows nor in the filter
    assert kind_label("no.such.kind") == "no.such.kind"
    filtered = admin_client.get(reverse("admin:notifications_smsmessage_changelist"), {"kind": "portal.login_code"})
    assert filtered.status_code == 200 and "137****5678" in filtered.content.decode()


def test_the_lists_name_kinds_and_backends_instead_of_showing_codes(admin_client, sms_outbox):
    services.send_sms(phone=PHONE, kind="account.verification_code", context={"code": "123456", "minutes": 5})
    SmsMessage.objects.update(status="sent", backend="null")
    services.notify(recipients=[UserFactory()], kind="system.notice", context=CONTEXT)
    sms_list = admin_client.get(reverse("admin:notifications_smsmessage_changelist")).content.decode()
    assert "验证码" in sms_list and "丢弃（null）" in sms_list  # the kind's and the backend's names, in Chinese
    assert "account.verification_code" not in sms_list.split('id="changelist-filter"')[0]
    assert "模拟数据" in sms_list  # the simulated column and filter
    inbox_list = admin_client.get(reverse("admin:notifications_notification_changelist")).content.decode()
    assert '<td class="field-kind_label">通知</td>' in inbox_list
    filtered = admin_client.get(reverse("admin:notifications_smsmessage_changelist"), {"kind": "system.notice"})
    assert filtered.context["cl"].result_count == 0
    filtered = admin_client.get(
        reverse("admin:notifications_smsmessage_changelist"), {"kind": "account.verification_code", "backend": "null"}
    )
    assert filtered.context["cl"].result_count == 1
