"""Writes of the notifications app: the in-app inbox and text messages.

Callers (the case engine) call these after their own transaction commits, so a notification can never undo a
domain change. Text messages are queued as rows in the caller's transaction and delivered once it commits; the
retry sweep (``retry_failed``, run by the worker) picks up whatever failed or was never tried.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from gongzhi.core import crypto
from gongzhi.core.privacy import mask_phone
from gongzhi.notifications import backends, messages
from gongzhi.notifications.models import Notification, SmsMessage

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from gongzhi.accounts.models import User

log = logging.getLogger("gongzhi.notifications")

# Mainland China mobile numbers: 11 digits starting 13–19.
MOBILE = re.compile(r"1[3-9]\d{9}")
# What a typed number may look like before normalising: digits and separators, optionally +86 / 0086 in front
# (another country code must not be read as a mainland number once its "+" is gone).
_TYPED = re.compile(r"(?:\+\s*86|0086)?[\d\s\-().]*")
# A delivery in flight longer than this is presumed lost (the worker died) and may be tried again.
SEND_LEASE = timedelta(minutes=5)
# A queued message not tried within this time missed its after-commit delivery (process stopped); the sweep sends it.
QUEUED_GRACE = timedelta(minutes=2)
# Wait before retry n (n = attempts so far): 1, 2, 4, 8 … minutes.
RETRY_BACKOFF = timedelta(minutes=1)

_TITLE_MAX = Notification._meta.get_field("title").max_length or 200
_SUBJECT_MAX = Notification._meta.get_field("subject").max_length or 100
_ERROR_MAX = 2000


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@transaction.atomic
def notify(
    *,
    recipients: Iterable[User],
    kind: str,
    context: Mapping[str, Any],
    url: str = "",
    subject: str = "",
) -> list[Notification]:
    """Put one notification of ``kind`` in each recipient's inbox; one row per active user, however often listed.

    Rendered once, in the site language. Returns the created rows (empty when nobody is left to tell).
    """
    if len(subject) > _SUBJECT_MAX:
        raise ValueError(f"subject longer than {_SUBJECT_MAX} characters: {subject[:40]!r}…")
    users: dict[int, User] = {}
    for user in recipients:
        if user is None or user.pk is None or not user.is_active:
            continue
        users.setdefault(user.pk, user)
    if not users:
        return []
    text = messages.render(kind, context)
    now = timezone.now()
    rows = [
        Notification(
            recipient=user,
            kind=kind,
            title=_truncate(text.title, _TITLE_MAX),
            body=text.body,
            url=url,
            subject=subject,
            created_at=now,
        )
        for user in users.values()
    ]
    return Notification.objects.bulk_create(rows)


@transaction.atomic
def mark_read(*, user: User | AnonymousUser, notification_ids: Iterable[int] | None = None) -> int:
    """Mark the user's unread notifications read (all, or those of ``notification_ids`` that are the user's).

    Ids of other users' notifications are ignored. Returns how many were marked.
    """
    if not getattr(user, "is_authenticated", False):
        return 0
    rows = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        ids = [int(pk) for pk in notification_ids]
        if not ids:
            return 0
        rows = rows.filter(pk__in=ids)
    return rows.update(read_at=timezone.now())


@transaction.atomic
def send_sms(*, phone: str, kind: str, context: Mapping[str, Any]) -> SmsMessage | None:
    """Queue a text message of ``kind`` to ``phone`` and deliver it once the current transaction commits.

    Returns None, without raising, when the number is not a mainland mobile number or the kind has no SMS text
    (both are logged).
    """
    phone = (phone or "").strip()
    number = ""
    if _TYPED.fullmatch(phone):
        # normalise_phone knows +86 / 86 but not the 0086 international prefix.
        number = crypto.normalise_phone("+86" + phone[4:] if phone.startswith("0086") else phone)
    if not MOBILE.fullmatch(number):
        log.warning("SMS %r not sent: %r is not a mainland mobile number", kind, mask_phone(phone))
        return None
    text = messages.render_sms(kind, context)
    if text is None:
        return None
    sms = SmsMessage.objects.create(
        phone=number,
        phone_index=crypto.blind_index(number),
        kind=kind,
        body=f"{settings.GONGZHI_SMS_SIGNATURE}{text}",
    )
    # robust: a delivery problem is logged (and the row stays for the retry sweep); it never reaches the caller.
    transaction.on_commit(partial(deliver, sms.pk), robust=True)
    return sms


def _claim(sms_id: int, now: datetime) -> bool:
    """Take the message for one delivery attempt; False when it is sent or another worker is sending it now.

    One conditional UPDATE, so of two workers racing for the same row exactly one wins (PostgreSQL re-checks the
    condition after the winner commits; SQLite serialises writers).
    """
    claimable = Q(status__in=[SmsMessage.Status.QUEUED, SmsMessage.Status.FAILED]) | Q(
        status=SmsMessage.Status.SENDING, last_attempt_at__lt=now - SEND_LEASE
    )
    claimed = SmsMessage.objects.filter(claimable, pk=sms_id).update(
        status=SmsMessage.Status.SENDING, attempts=F("attempts") + 1, last_attempt_at=now
    )
    return claimed == 1


def deliver(sms_id: int) -> SmsMessage | None:
    """Try to send one queued or failed message. Idempotent: a sent message is never sent again.

    The gateway is called outside any transaction (a slow gateway must not hold the database); the row is claimed
    first (status ``sending``), so two workers never send the same message. Failures are recorded (status
    ``failed``, attempts, error) for ``retry_failed``. Returns the message, or None when it does not exist.
    Call it outside a transaction (after commit, or from a task): a rolled-back caller would forget a sent message.
    """
    now = timezone.now()
    if not _claim(sms_id, now):
        sms = SmsMessage.objects.filter(pk=sms_id).first()
        if sms is None:
            log.warning("SMS %s does not exist", sms_id)
        return sms
    sms = SmsMessage.objects.get(pk=sms_id)
    name = settings.GONGZHI_SMS_BACKEND
    try:
        name, backend = backends.get_backend()
        provider_id = backend.send(sms.phone, sms.body)
    except Exception as exc:  # any gateway problem, including a broken gateway class, is a failed attempt
        if isinstance(exc, backends.SmsError):
            log.warning("SMS %s to %s failed (attempt %s): %s", sms.pk, sms.masked_phone, sms.attempts, exc)
        else:
            log.exception("SMS %s to %s failed (attempt %s)", sms.pk, sms.masked_phone, sms.attempts)
        sms.status = SmsMessage.Status.FAILED
        sms.error = _truncate(str(exc) or type(exc).__name__, _ERROR_MAX)
        sms.backend = name
        SmsMessage.objects.filter(pk=sms.pk).update(status=sms.status, error=sms.error, backend=name)
        return sms
    sms.status = SmsMessage.Status.SENT
    sms.sent_at = timezone.now()
    sms.provider_id = _truncate(str(provider_id or ""), 128)
    sms.backend = name
    sms.error = ""
    SmsMessage.objects.filter(pk=sms.pk).update(
        status=sms.status, sent_at=sms.sent_at, provider_id=sms.provider_id, backend=name, error=""
    )
    return sms


def due_for_retry(*, max_attempts: int = 5, now: datetime | None = None) -> list[int]:
    """Ids of messages the sweep should try now: failed ones past their back-off, queued ones whose after-commit
    delivery never ran, and deliveries in flight past the lease; all with fewer than ``max_attempts`` attempts."""
    now = now or timezone.now()
    due = Q(status=SmsMessage.Status.QUEUED, created_at__lte=now - QUEUED_GRACE)
    for attempts in range(1, max_attempts):
        backoff = RETRY_BACKOFF * 2 ** (attempts - 1)
        due |= Q(status=SmsMessage.Status.FAILED, attempts=attempts, last_attempt_at__lte=now - backoff)
    due |= Q(status=SmsMessage.Status.SENDING, last_attempt_at__lt=now - SEND_LEASE)
    rows = SmsMessage.objects.filter(due, attempts__lt=max_attempts).order_by("pk")
    return list(rows.values_list("pk", flat=True)[:1000])


def retry_failed(*, max_attempts: int = 5) -> int:
    """Try again every message due for retry (see ``due_for_retry``); returns how many were tried.

    Not one transaction: each delivery commits on its own, so a long sweep can stop half-way and lose nothing.
    """
    ids = due_for_retry(max_attempts=max_attempts)
    for sms_id in ids:
        deliver(sms_id)
    if ids:
        log.info("SMS retry sweep tried %s message(s)", len(ids))
    return len(ids)
