"""Webhooks against a local HTTP server thread (no network): signed, in order, retried with back-off per
destination; a failed delivery is never shown as sent."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from gongzhi.api import services, webhooks
from gongzhi.api.models import DeliveryStatus, Partner, WebhookDelivery
from gongzhi.api.tests.factories import partner
from gongzhi.cases import services as case_services
from gongzhi.cases.tests.factories import world
from gongzhi.core import timeutil

pytestmark = pytest.mark.django_db
SECRET = "s3cret-for-tests"


class Receiver:
    def __init__(self) -> None:
        self.received: list[dict] = []
        self.fail_next = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if outer.fail_next:
                    outer.fail_next -= 1
                    self.send_response(503)
                    self.end_headers()
                    return
                outer.received.append({"headers": dict(self.headers), "body": body})
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def later(minutes: float = 1):
    return timeutil.now() + timedelta(minutes=minutes)


def _setup(receiver, **fields):
    w = world()
    p, _raw = partner(w.jurisdiction, webhook_url=receiver.url, webhook_secret=SECRET, **fields)
    case = services.file_case(partner=p, data={"external_id": "RX-1", "title": "路灯不亮"}).case
    return w, p, case


def test_status_changes_are_signed_and_delivered_in_order(receiver):
    w, _p, case = _setup(receiver)
    case_services.reject(case=case, actor=w.centre, reason="不在本辖区")
    other = w.submit()  # not filed by this partner: no webhook
    case_services.reject(case=other, actor=w.dispatcher, reason="重复")
    result = webhooks.deliver_webhooks(at=later())
    assert result == {"queued": 1, "sent": 1, "failed": 0}
    assert len(receiver.received) == 1
    got = receiver.received[0]
    body = got["body"]
    expected = (
        "sha256="
        + hmac.new(
            SECRET.encode(), got["headers"]["X-Gongzhi-Timestamp"].encode() + b"." + body, hashlib.sha256
        ).hexdigest()
    )
    assert got["headers"]["X-Gongzhi-Signature"] == expected
    payload = json.loads(body)
    assert payload["case"] == {**payload["case"], "tracking_code": case.tracking_code, "external_id": "RX-1",
                               "from_status": "submitted", "status": "rejected", "open311_status": "closed",
                               "note": "不在本辖区"}  # fmt: skip
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("sent", 1, 204)
    assert webhooks.deliver_webhooks(at=later(2)) == {"queued": 0, "sent": 0, "failed": 0}
    assert Partner.objects.get().webhook_cursor > 0


def test_events_not_yet_settled_wait_for_the_next_tick(receiver):
    w, _p, case = _setup(receiver)
    case_services.reject(case=case, actor=w.centre, reason="x")
    assert webhooks.deliver_webhooks(at=timeutil.now())["queued"] == 0
    assert webhooks.deliver_webhooks(at=later())["queued"] == 1


def test_failures_back_off_per_destination_and_are_never_shown_as_sent(receiver, settings):
    settings.GONGZHI_WEBHOOK_BACKOFF = 30
    settings.GONGZHI_WEBHOOK_MAX_ATTEMPTS = 3
    w, _p, case = _setup(receiver, webhook_all_cases=True)
    case_services.triage(case=case, actor=w.centre, category=w.category)
    case_services.reject(case=case, actor=w.centre, reason="不在本辖区")
    receiver.fail_next = 1
    now = later()
    assert webhooks.deliver_webhooks(at=now) == {"queued": 2, "sent": 0, "failed": 1}
    first, second = WebhookDelivery.objects.order_by("event_id")
    assert (first.status, first.attempts, first.last_status_code) == (DeliveryStatus.RETRYING, 1, 503)
    assert first.next_attempt_at == now + timedelta(seconds=30)
    assert (second.status, second.attempts) == (DeliveryStatus.PENDING, 0)  # waits behind the failed one
    assert webhooks.deliver_webhooks(at=now + timedelta(seconds=10))["sent"] == 0  # destination paused
    assert webhooks.deliver_webhooks(at=now + timedelta(seconds=31)) == {"queued": 0, "sent": 2, "failed": 0}
    assert [json.loads(r["body"])["case"]["status"] for r in receiver.received] == ["triaged", "rejected"]
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"sent"}


def test_a_dead_destination_gives_up_after_the_last_attempt(settings):
    settings.GONGZHI_WEBHOOK_BACKOFF = 10
    settings.GONGZHI_WEBHOOK_MAX_ATTEMPTS = 3
    settings.GONGZHI_WEBHOOK_TIMEOUT = 1
    w = world()
    p, _raw = partner(w.jurisdiction, webhook_url="http://127.0.0.1:9/nothing-listens", webhook_secret=SECRET)
    case = services.file_case(partner=p, data={"external_id": "RX-9", "title": "x"}).case
    case_services.reject(case=case, actor=w.centre, reason="x")
    now = later()
    waits = []
    for _ in range(3):
        webhooks.deliver_webhooks(at=now)
        delivery = WebhookDelivery.objects.get()
        waits.append((delivery.status, delivery.attempts))
        now = delivery.next_attempt_at + timedelta(seconds=1)
    assert waits == [("retrying", 1), ("retrying", 2), ("failed", 3)]
    assert WebhookDelivery.objects.get().sent_at is None


def test_backoff_doubles_and_is_capped(settings):
    settings.GONGZHI_WEBHOOK_BACKOFF = 30
    assert [webhooks.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert webhooks.backoff(40) == webhooks.MAX_BACKOFF
