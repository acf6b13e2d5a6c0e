"""Outbound webhooks: a partner hears about status changes of cases, signed with HMAC-SHA256, retried with
exponential back-off per destination. ``deliver_webhooks()`` is one step of ``gongzhi worker``.

Changes are read from the append-only ``CaseEvent`` table with a cursor per partner (the last event id examined),
not hooked into the engine. Events younger than ``SETTLE_SECONDS`` are left for the next tick, so an event whose
transaction commits after a later one (ids are allocated before commit) is not skipped by the cursor.

Each delivery is one event for one partner; it is ``sent`` only after the partner answered 2xx. A destination that
fails is paused (back-off doubling per attempt) and its later deliveries wait behind the failed one, so a partner
receives its events in order. No transaction is held across an HTTP call: a worker takes a short lease on the
destination instead.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from gongzhi.api.models import DeliveryStatus, InboundCase, Partner, WebhookDelivery
from gongzhi.cases import transitions as t
from gongzhi.cases.choices import EventKind
from gongzhi.cases.models import Case, CaseEvent
from gongzhi.core import timeutil

log = logging.getLogger("gongzhi.webhooks")

SETTLE_SECONDS = 10
SCAN_BATCH = 1000
SEND_BATCH = 50
MAX_BACKOFF = timedelta(hours=6)
NOTE_KINDS = {EventKind.RESOLVED, EventKind.REJECTED}
SIGNATURE_HEADER = "X-Gongzhi-Signature"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=`` + hex HMAC-SHA256 over ``timestamp.body`` (the timestamp defeats replays of old deliveries)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def backoff(attempts: int) -> timedelta:
    """Wait after the ``attempts``-th failure: base, 2×base, 4×base … capped at six hours."""
    base = float(settings.GONGZHI_WEBHOOK_BACKOFF)
    return min(timedelta(seconds=base * 2 ** max(0, attempts - 1)), MAX_BACKOFF)


def deliver_webhooks(*, at: datetime | None = None) -> dict[str, int]:
    """One worker step: queue deliveries for new status changes, then send what is due."""
    now = at or timeutil.now()
    queued = sum(enqueue(partner, at=now) for partner in _subscribed())
    sent, failed = 0, 0
    for partner in _subscribed().filter(Q(webhook_paused_until__isnull=True) | Q(webhook_paused_until__lte=now)):
        s, f = send_due(partner, at=now)
        sent, failed = sent + s, failed + f
    return {"queued": queued, "sent": sent, "failed": failed}


def _subscribed():
    return Partner.objects.filter(active=True).exclude(webhook_url="")


@transaction.atomic
def enqueue(partner: Partner, *, at: datetime) -> int:
    """Deliveries for the partner's status changes after its cursor; the cursor moves in the same transaction."""
    partner = Partner.objects.select_for_update().get(pk=partner.pk)
    settled = at - timedelta(seconds=SETTLE_SECONDS)
    events = list(
        CaseEvent.objects.filter(pk__gt=partner.webhook_cursor)
        .order_by("pk")
        .values("pk", "case_id", "kind", "from_status", "to_status", "note", "public", "at")[:SCAN_BATCH]
    )
    examined = []
    for event in events:
        if event["at"] > settled:
            break
        examined.append(event)
    if not examined:
        return 0
    changes = [e for e in examined if e["from_status"] and e["from_status"] != e["to_status"]]
    case_ids = {e["case_id"] for e in changes}
    if partner.webhook_all_cases:
        mine = set(
            Case.objects.filter(pk__in=case_ids, jurisdiction_id=partner.jurisdiction_id).values_list("pk", flat=True)
        )
    else:
        mine = set(InboundCase.objects.filter(partner=partner, case_id__in=case_ids).values_list("case_id", flat=True))
    cases = {
        c["pk"]: c
        for c in Case.objects.filter(pk__in=mine).values("pk", "tracking_code", "external_id", "resolve_due", "result")
    }
    rows = [
        WebhookDelivery(
            partner=partner,
            event_id=e["pk"],
            case_id=e["case_id"],
            payload=_payload(e, cases[e["case_id"]]),
            next_attempt_at=at,
            created_at=at,
        )
        for e in changes
        if e["case_id"] in mine
    ]
    WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    Partner.objects.filter(pk=partner.pk).update(webhook_cursor=examined[-1]["pk"])
    return len(rows)


def _stamp(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _payload(event: dict[str, Any], case: dict[str, Any]) -> dict[str, Any]:
    note = event["note"] if event["public"] and event["kind"] in NOTE_KINDS else ""
    return {
        "type": "case.status_changed",
        "event_id": event["pk"],
        "event": event["kind"],
        "at": _stamp(event["at"]),
        "case": {
            "tracking_code": case["tracking_code"],
            "external_id": case["external_id"],
            "from_status": event["from_status"],
            "status": event["to_status"],
            "open311_status": "open" if event["to_status"] in t.OPEN else "closed",
            "resolve_due": _stamp(case["resolve_due"]),
            "note": note,
        },
    }


def _take_lease(partner: Partner, now: datetime, seconds: float) -> bool:
    until = now + timedelta(seconds=seconds)
    taken = (
        Partner.objects.filter(pk=partner.pk)
        .filter(Q(webhook_lease_until__isnull=True) | Q(webhook_lease_until__lte=now))
        .update(webhook_lease_until=until)
    )
    return taken == 1


def send_due(partner: Partner, *, at: datetime) -> tuple[int, int]:
    """Send the partner's due deliveries in event order; stop at the first failure (the destination is paused)."""
    timeout = float(settings.GONGZHI_WEBHOOK_TIMEOUT)
    if not _take_lease(partner, at, timeout * SEND_BATCH + 30):
        return 0, 0
    sent = failed = 0
    try:
        due = list(
            WebhookDelivery.objects.filter(
                partner=partner, status__in=(DeliveryStatus.PENDING, DeliveryStatus.RETRYING), next_attempt_at__lte=at
            ).order_by("event_id")[:SEND_BATCH]
        )
        for delivery in due:
            ok, code, error = _post(partner, delivery, timeout)
            delivery.attempts += 1
            delivery.last_status_code = code
            delivery.last_error = error[:300]
            if ok:
                delivery.status = DeliveryStatus.SENT
                delivery.sent_at = timeutil.now()
                delivery.save(update_fields=["attempts", "last_status_code", "last_error", "status", "sent_at"])
                sent += 1
                continue
            failed += 1
            if delivery.attempts >= int(settings.GONGZHI_WEBHOOK_MAX_ATTEMPTS):
                delivery.status = DeliveryStatus.FAILED
            else:
                delivery.status = DeliveryStatus.RETRYING
                delivery.next_attempt_at = at + backoff(delivery.attempts)
            delivery.save(update_fields=["attempts", "last_status_code", "last_error", "status", "next_attempt_at"])
            pause = at + backoff(delivery.attempts)
            Partner.objects.filter(pk=partner.pk).update(webhook_paused_until=pause)
            break
        else:
            Partner.objects.filter(pk=partner.pk).update(webhook_paused_until=None)
    finally:
        Partner.objects.filter(pk=partner.pk).update(webhook_lease_until=None)
    return sent, failed


def _post(partner: Partner, delivery: WebhookDelivery, timeout: float) -> tuple[bool, int | None, str]:
    body = json.dumps({"delivery_id": delivery.pk, **delivery.payload}, ensure_ascii=False).encode()
    timestamp = str(int(time.time()))
    request = urllib.request.Request(  # noqa: S310 - an administrator's http(s) address (checked below)
        partner.webhook_url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "gongzhi-webhooks/1",
            "X-Gongzhi-Delivery": str(delivery.pk),
            "X-Gongzhi-Event": "case.status_changed",
            "X-Gongzhi-Timestamp": timestamp,
            SIGNATURE_HEADER: sign(partner.webhook_secret or "", timestamp, body),
        },
    )
    if not partner.webhook_url.startswith(("http://", "https://")):
        return False, None, "the webhook address is not http(s)"
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            code = response.status
    except urllib.error.HTTPError as exc:
        return False, exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return False, None, str(getattr(exc, "reason", exc))[:300]
    if 200 <= code < 300:
        return True, code, ""
    return False, code, f"HTTP {code}"
