"""Writes of the notifications app: the in-app inbox and text messages.

Callers (the case engine) call these inside their own transaction: inbox rows and queued text messages are written
with the change they tell about (an outbox), so they exist exactly when it commits — never for a rolled-back change,
never lost when a process stops between commit and delivery. Text messages are delivered once the transaction
commits (written already taken for that first attempt) or by the worker in batches; the retry sweep
(``retry_failed``, run by the worker) picks up whatever failed or was never tried.

Simulated activity (``gongzhi simulate``) runs inside ``simulation(clock=...)``: everything written there is marked
``simulated`` on its row, so whichever process later sends a text message — the simulation itself, a running
``gongzhi worker``, the retry sweep, an administrator — hands it to the null backend, never to the gateway; inbox rows
are stamped with the simulated time and written already read.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connections, router, transaction
from django.db.models import Q
from django.utils import timezone

from gongzhi.core import crypto, prepared
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
# A queued message (worker delivery) not tried within this time: the worker is down or behind; the sweep sends it.
QUEUED_GRACE = timedelta(minutes=2)
# Wait before retry n (n = attempts so far): 1, 2, 4, 8 … minutes.
RETRY_BACKOFF = timedelta(minutes=1)
# The worker records the outcomes of a claimed batch this many messages at a time.
OUTCOME_CHUNK = 50
# Recorded on a message whose last allowed attempt was interrupted (its process stopped while it was in flight).
INTERRUPTED = "delivery interrupted: the sending process stopped before recording the outcome"

_TITLE_MAX = Notification._meta.get_field("title").max_length or 200
_SUBJECT_MAX = Notification._meta.get_field("subject").max_length or 100
_ERROR_MAX = 2000


# The simulated clock while a simulation writes (see ``simulation``); None for everything real.
_simulated_clock: ContextVar[Callable[[], datetime] | None] = ContextVar("gongzhi_simulated_clock", default=None)
# Recorded as the backend of a simulated message: what it was handed to instead of the gateway.
SIMULATED_BACKEND = "null"


@contextmanager
def simulation(*, clock: Callable[[], datetime]) -> Iterator[None]:
    """Mark everything ``notify`` and ``send_sms`` write in the block as simulated activity, at ``clock()``.

    Inbox rows are stamped with the simulated time and written already read (a simulation is history, not news: no
    unread badge, nothing new on top of a real inbox); text messages are stamped too and carry the mark to whichever
    process sends them, which gives them to the null backend. The mark is on the row, not on this process: a
    ``gongzhi worker`` running beside the simulation with a real gateway sends none of them.
    """
    token = _simulated_clock.set(clock)
    try:
        yield
    finally:
        _simulated_clock.reset(token)


# The notifications held back while ``held`` is open (None: written as they come).
_held: ContextVar[Held | None] = ContextVar("gongzhi_held_notifications", default=None)


class Held(list[Callable[[], object]]):
    """The ``notify`` and ``send_sms`` calls made while ``held`` was open, each ready to be made again."""

    def release(self, start: int = 0, stop: int | None = None) -> int:
        """Write the held notifications ``start``:``stop`` (all by default) now, in the caller's transaction; returns
        how many calls were made."""
        calls = self[start:stop]
        for call in calls:
            call()
        return len(calls)

    def about(self, subjects: Iterable[str]) -> Held:
        """The held calls about one of ``subjects`` ("case:123")."""
        wanted = set(subjects)
        return Held(call for call in self if getattr(call, "keywords", {}).get("subject") in wanted)


@contextmanager
def held() -> Iterator[Held]:
    """Hold back what ``notify`` and ``send_sms`` would write in the block: nothing is written, every call is kept
    in the list yielded, to be written later (``Held.release``) or never.

    For a bulk write that commits batch by batch (``core.batches``, an import on SQLite) and deletes what it wrote if
    a later batch fails: a text message cannot be taken back, so none is written before the last batch is in.
    """
    calls = Held()
    token = _held.set(calls)
    try:
        yield calls
    finally:
        _held.reset(token)


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@transaction.atomic(savepoint=False)
def notify(
    *,
    recipients: Iterable[User] = (),
    recipient_ids: Iterable[int] = (),
    kind: str,
    context: Mapping[str, Any],
    url: str = "",
    subject: str = "",
    ids_are_active: bool = False,
) -> list[Notification]:
    """Put one notification of ``kind`` in each recipient's inbox; one row per active user, however often listed.

    Recipients are users, or user ids (``recipient_ids``, checked for being active here unless the caller selected
    them as active users already: ``ids_are_active``). Rendered once, in the site
    language. Called inside the caller's transaction, so the notification exists exactly when the change it tells
    about does (an outbox, not a promise).
    Returns the created rows (empty when nobody is left to tell).
    """
    if len(subject) > _SUBJECT_MAX:
        raise ValueError(f"subject longer than {_SUBJECT_MAX} characters: {subject[:40]!r}…")
    holding = _held.get()
    if holding is not None:
        recipients, recipient_ids = list(recipients), list(recipient_ids)
        holding.append(
            partial(
                notify,
                recipients=recipients,
                recipient_ids=recipient_ids,
                kind=kind,
                context=context,
                url=url,
                subject=subject,
                ids_are_active=ids_are_active,
            )
        )
        return []
    user_ids: dict[int, None] = {}
    for user in recipients:
        if user is None or user.pk is None or not user.is_active:
            continue
        user_ids.setdefault(user.pk, None)
    wanted = [pk for pk in dict.fromkeys(recipient_ids) if pk is not None and pk not in user_ids]
    if wanted and ids_are_active:
        user_ids.update(dict.fromkeys(wanted))
    elif wanted:
        from django.contrib.auth import get_user_model

        active = get_user_model().objects.filter(pk__in=wanted, is_active=True).values_list("pk", flat=True)
        for pk in sorted(active, key=wanted.index):
            user_ids.setdefault(pk, None)
    if not user_ids:
        return []
    text = messages.render(kind, context)  # never raises in production (DEBUG off): a gap is logged and filled
    clock = _simulated_clock.get()
    now = timezone.now() if clock is None else clock()
    title = _truncate(text.title, _TITLE_MAX)
    rows = [
        Notification(
            recipient_id=pk,
            kind=kind,
            title=title,
            body=text.body,
            url=url,
            subject=subject,
            created_at=now,
            read_at=None if clock is None else now,
            simulated=clock is not None,
        )
        for pk in user_ids
    ]
    if len(rows) == 1:  # the common case (one handler, one reporter): a prepared insert
        return [prepared.insert(rows[0])]
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


# A simulated message about this subject exists: the subject (a case) is a simulation's, its phone number made up.
_SIMULATED_SUBJECT = prepared.Query(
    lambda subject: SmsMessage.objects.filter(subject=subject, simulated=True).values_list("pk")[:1], kinds=(str,)
)


@transaction.atomic(savepoint=False)
def send_sms(*, phone: str, kind: str, context: Mapping[str, Any], subject: str = "") -> SmsMessage | None:
    """Queue a text message of ``kind`` to ``phone`` and deliver it once the current transaction commits.

    ``subject`` says what it is about ("case:123"). A message written inside ``simulation`` is simulated, and so is
    any later message about a subject a simulation wrote about (a simulated case a real user acts on later: its
    reporter's number was made up).
    Returns None, without raising, when the number is not a mainland mobile number or the kind has no SMS text
    (both are logged).
    """
    if len(subject) > _SUBJECT_MAX:
        raise ValueError(f"subject longer than {_SUBJECT_MAX} characters: {subject[:40]!r}…")
    holding = _held.get()
    if holding is not None:
        holding.append(partial(send_sms, phone=phone, kind=kind, context=context, subject=subject))
        return None
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
    sms = SmsMessage(
        phone=number,
        phone_index=crypto.blind_index(number),
        kind=kind,
        body=f"{settings.GONGZHI_SMS_SIGNATURE}{text}",
        subject=subject,
    )
    clock = _simulated_clock.get()
    if clock is not None:
        sms.simulated, sms.created_at = True, clock()
    elif subject and _SIMULATED_SUBJECT(subject):
        sms.simulated = True
    if settings.GONGZHI_SMS_DELIVERY != "commit":
        return prepared.insert(sms)  # queued: the worker claims and sends it
    # Written already taken for its first attempt (status sending, under the lease): nobody else — the worker, the
    # sweep, an admin — sends it while this process delivers it after commit, and no claim has to be written then.
    sms.status, sms.attempts, sms.last_attempt_at = SmsMessage.Status.SENDING, 1, timezone.now()
    prepared.insert(sms)
    # robust: a delivery problem is logged (and the row stays for the retry sweep); it never reaches the caller.
    transaction.on_commit(partial(_deliver_taken, sms), robust=True)
    return sms


def _deliver_taken(sms: SmsMessage) -> None:
    """After commit: send a message ``send_sms`` wrote already taken. A transaction that ran for more than half the
    lease first renews it, conditionally: should the sweep have taken the message meanwhile, it is left to the sweep."""
    now = timezone.now()
    if sms.last_attempt_at is None or now - sms.last_attempt_at > SEND_LEASE / 2:
        renewed = SmsMessage.objects.filter(
            pk=sms.pk, status=SmsMessage.Status.SENDING, last_attempt_at=sms.last_attempt_at
        ).update(last_attempt_at=now)
        if not renewed:
            return
        sms.last_attempt_at = now
    prepared.update(sms, _send(sms))


_CLAIM_SQL: dict[str, str] = {}


def _claim(sms_id: int, now: datetime) -> SmsMessage | None:
    """Take the message for one delivery attempt and return it; None when it is sent or another worker is sending it.

    One conditional UPDATE … RETURNING, so of two workers racing for the same row exactly one wins (PostgreSQL
    re-checks the condition after the winner commits; SQLite serialises writers) and the winner has the row at once.
    """
    alias = router.db_for_write(SmsMessage) or "default"
    connection = connections[alias]
    sql = _CLAIM_SQL.get(alias)
    if sql is None:
        qn = connection.ops.quote_name
        meta = SmsMessage._meta
        status, attempts, last = (qn(meta.get_field(n).column) for n in ("status", "attempts", "last_attempt_at"))
        # Identifiers from the model's metadata, quoted; values are parameters.
        sql = _CLAIM_SQL[alias] = (
            f"UPDATE {qn(meta.db_table)} SET {status} = %s, {attempts} = {attempts} + 1, {last} = %s "  # noqa: S608
            f"WHERE {qn(meta.pk.column)} = %s AND ({status} IN (%s, %s) OR ({status} = %s AND {last} < %s)) "
            f"RETURNING {prepared.returning_columns(SmsMessage, alias)}"
        )
    stamp = SmsMessage._meta.get_field("last_attempt_at")
    params = [
        SmsMessage.Status.SENDING,
        stamp.get_db_prep_value(now, connection),
        sms_id,
        SmsMessage.Status.QUEUED,
        SmsMessage.Status.FAILED,
        SmsMessage.Status.SENDING,
        stamp.get_db_prep_value(now - SEND_LEASE, connection),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return prepared.from_returned(SmsMessage, row, alias) if row is not None else None


def deliver(sms_id: int) -> SmsMessage | None:
    """Try to send one queued or failed message. Idempotent: a sent message is never sent again.

    The gateway is called outside any transaction (a slow gateway must not hold the database); the row is claimed
    first (status ``sending``), so two workers never send the same message. Failures are recorded (status
    ``failed``, attempts, error) for ``retry_failed``. Returns the message, or None when it does not exist.
    Call it outside a transaction (after commit, or from a task): a rolled-back caller would forget a sent message.
    """
    now = timezone.now()
    sms = _claim(sms_id, now)
    if sms is None:
        sms = SmsMessage.objects.filter(pk=sms_id).first()
        if sms is None:
            log.warning("SMS %s does not exist", sms_id)
        return sms
    prepared.update(sms, _send(sms))
    return sms


_CLAIM_BATCH_SQL: dict[str, str] = {}


def deliver_queued(*, limit: int = 500) -> int:
    """Send up to ``limit`` queued messages, oldest first: the worker's loop (``GONGZHI_SMS_DELIVERY=worker``).

    One UPDATE … RETURNING claims the batch (a second worker racing for the same rows gets none of them: the status
    is checked again on each row it waits for), the gateway is called outside any transaction, and the outcomes are
    written in one transaction. Returns how many messages were tried.
    """
    alias = router.db_for_write(SmsMessage) or "default"
    connection = connections[alias]
    sql = _CLAIM_BATCH_SQL.get(alias)
    if sql is None:
        qn = connection.ops.quote_name
        meta = SmsMessage._meta
        table, pk = qn(meta.db_table), qn(meta.pk.column)
        status, attempts, last = (qn(meta.get_field(n).column) for n in ("status", "attempts", "last_attempt_at"))
        # Identifiers from the model's metadata, quoted; values are parameters.
        sql = _CLAIM_BATCH_SQL[alias] = (
            f"UPDATE {table} SET {status} = %s, {attempts} = {attempts} + 1, {last} = %s "  # noqa: S608
            f"WHERE {status} = %s AND {pk} IN (SELECT {pk} FROM {table} WHERE {status} = %s ORDER BY {pk} LIMIT %s) "
            f"RETURNING {prepared.returning_columns(SmsMessage, alias)}"
        )
    now = timezone.now()
    stamp = SmsMessage._meta.get_field("last_attempt_at").get_db_prep_value(now, connection)
    queued = SmsMessage.Status.QUEUED
    with connection.cursor() as cursor:
        cursor.execute(sql, [SmsMessage.Status.SENDING, stamp, queued, queued, limit])
        rows = cursor.fetchall()
    claimed = sorted((prepared.from_returned(SmsMessage, row, alias) for row in rows), key=lambda m: m.pk)
    # Outcomes are written every OUTCOME_CHUNK messages, not once for the whole batch: a worker killed mid-batch
    # leaves at most one chunk sent but still marked ``sending`` (sent again after the lease, under the same key).
    for start in range(0, len(claimed), OUTCOME_CHUNK):
        chunk = claimed[start : start + OUTCOME_CHUNK]
        outcomes = [_send(sms) for sms in chunk]
        with transaction.atomic(using=alias):
            for sms, fields in zip(chunk, outcomes, strict=True):
                prepared.update(sms, fields)
    return len(claimed)


def delivery_key(sms: SmsMessage) -> str:
    """The message's idempotency key for the gateway: the same on every attempt, so a receiver can drop a repeat."""
    return f"sms-{sms.pk}"


def _send(sms: SmsMessage) -> tuple[str, ...]:
    """Call the gateway for a claimed message and record the outcome on it; returns the fields to save.

    A simulated message never reaches the gateway: it goes to the null backend, stamped as sent when it was written.
    """
    if sms.simulated:
        sms.status, sms.sent_at, sms.error = SmsMessage.Status.SENT, sms.created_at, ""
        sms.backend = SIMULATED_BACKEND
        sms.provider_id = backends.NullBackend().send(sms.phone, sms.body)
        return ("status", "sent_at", "provider_id", "backend", "error")
    name = settings.GONGZHI_SMS_BACKEND
    try:
        name, backend = backends.get_backend()
        provider_id = backend.send_keyed(sms.phone, sms.body, key=delivery_key(sms))
    except Exception as exc:  # any gateway problem, including a broken gateway class, is a failed attempt
        if isinstance(exc, backends.SmsError):
            log.warning("SMS %s to %s failed (attempt %s): %s", sms.pk, sms.masked_phone, sms.attempts, exc)
        else:
            log.exception("SMS %s to %s failed (attempt %s)", sms.pk, sms.masked_phone, sms.attempts)
        sms.status = SmsMessage.Status.FAILED
        sms.error = _truncate(str(exc) or type(exc).__name__, _ERROR_MAX)
        sms.backend = name
        return ("status", "error", "backend")
    sms.status = SmsMessage.Status.SENT
    sms.sent_at = timezone.now()
    sms.provider_id = _truncate(str(provider_id or ""), 128)
    sms.backend = name
    sms.error = ""
    return ("status", "sent_at", "provider_id", "backend", "error")


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
    # A last allowed attempt whose process died mid-send is not retried, but it must not read "sending" for ever
    # either: it becomes failed (the admin's "send again" is still there). Others past the lease are retried below.
    SmsMessage.objects.filter(
        status=SmsMessage.Status.SENDING,
        attempts__gte=max_attempts,
        last_attempt_at__lt=timezone.now() - SEND_LEASE,
    ).update(status=SmsMessage.Status.FAILED, error=INTERRUPTED)
    ids = due_for_retry(max_attempts=max_attempts)
    for sms_id in ids:
        deliver(sms_id)
    if ids:
        log.info("SMS retry sweep tried %s message(s)", len(ids))
    return len(ids)
