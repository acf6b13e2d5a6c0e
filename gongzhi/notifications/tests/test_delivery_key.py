"""At-least-once delivery, stated: every attempt at one message carries the same key (``sms-<id>``), so a gateway can
drop the repeat a killed worker causes; a last attempt cut short ends failed, not ``sending`` for ever."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from gongzhi.notifications import backends, services
from gongzhi.notifications.models import SmsMessage

pytestmark = pytest.mark.django_db

PHONE = "13812345678"
KIND = "system.notice"
TEXT = {"title": "停水", "body": "明天停水"}


def test_every_attempt_at_one_message_carries_the_same_key(sms_outbox, settings):
    settings.GONGZHI_SMS_DELIVERY = "worker"
    sms = services.send_sms(phone=PHONE, kind=KIND, context=TEXT)
    other = services.send_sms(phone=PHONE, kind=KIND, context=TEXT)
    assert services.deliver_queued() == 2
    # The worker died after the gateway took the first message but before recording it: it is in flight again …
    SmsMessage.objects.filter(pk=sms.pk).update(
        status=SmsMessage.Status.SENDING, last_attempt_at=timezone.now() - services.SEND_LEASE * 2
    )
    assert services.retry_failed() == 1  # … and sent again after the lease, under the same key
    assert [m.key for m in sms_outbox] == [f"sms-{sms.pk}", f"sms-{other.pk}", f"sms-{sms.pk}"]
    assert len({m.key for m in sms_outbox}) == 2  # what the receiver keeps after dropping repeats


def test_a_last_attempt_cut_short_ends_failed_not_in_flight_for_ever(sms_outbox, settings):
    settings.GONGZHI_SMS_DELIVERY = "worker"
    sms = services.send_sms(phone=PHONE, kind=KIND, context=TEXT)
    SmsMessage.objects.filter(pk=sms.pk).update(
        status=SmsMessage.Status.SENDING, attempts=5, last_attempt_at=timezone.now() - timedelta(minutes=1)
    )
    assert services.retry_failed(max_attempts=5) == 0
    assert SmsMessage.objects.get(pk=sms.pk).status == SmsMessage.Status.SENDING  # within its lease: left alone
    SmsMessage.objects.filter(pk=sms.pk).update(last_attempt_at=timezone.now() - services.SEND_LEASE * 2)
    assert services.retry_failed(max_attempts=5) == 0
    row = SmsMessage.objects.get(pk=sms.pk)
    assert (row.status, row.error) == (SmsMessage.Status.FAILED, services.INTERRUPTED)
    assert sms_outbox == []


def test_a_killed_batch_leaves_at_most_one_chunk_unrecorded(sms_outbox, settings, monkeypatch):
    settings.GONGZHI_SMS_DELIVERY = "worker"
    monkeypatch.setattr(services, "OUTCOME_CHUNK", 3)
    for _ in range(7):
        services.send_sms(phone=PHONE, kind=KIND, context=TEXT)
    real = backends.LocMemBackend.send_keyed

    def dies_on_the_fifth(self, phone: str, body: str, *, key: str) -> str:
        if len(sms_outbox) == 4:
            raise SystemExit("killed")  # not an Exception: nothing records it, like SIGKILL
        return real(self, phone, body, key=key)

    monkeypatch.setattr(backends.LocMemBackend, "send_keyed", dies_on_the_fifth)
    with pytest.raises(SystemExit):
        services.deliver_queued()
    states = list(SmsMessage.objects.order_by("pk").values_list("status", flat=True))
    assert states == ["sent"] * 3 + ["sending"] * 4  # the first chunk recorded; one sent message unrecorded


class Sink:
    """A local HTTP gateway that records each request; answers ``status``."""

    def __init__(self, status: int = 200) -> None:
        self.requests: list[tuple[dict[str, str], dict]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append((dict(self.headers), body))
                answer = json.dumps({"id": f"gw-{len(outer.requests)}"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_the_http_backend_posts_the_key_in_a_header_and_the_body(settings):
    sink = Sink()
    try:
        settings.GONGZHI_SMS_BACKEND = "gongzhi.notifications.backends.HttpBackend"
        settings.GONGZHI_SMS_OPTIONS = {"url": sink.url, "token": "t0k", "timeout": 5}
        settings.GONGZHI_SMS_DELIVERY = "worker"
        sms = services.send_sms(phone=PHONE, kind=KIND, context=TEXT)
        assert services.deliver_queued() == 1
    finally:
        sink.close()
    ((headers, body),) = sink.requests
    assert headers["Idempotency-Key"] == body["key"] == f"sms-{sms.pk}"
    assert headers["Authorization"] == "Bearer t0k"
    assert body["phone"] == PHONE and "明天停水" in body["body"]
    row = SmsMessage.objects.get(pk=sms.pk)
    assert (row.status, row.provider_id) == (SmsMessage.Status.SENT, "gw-1")


def test_the_http_backend_reports_a_refusal_and_a_missing_url(settings):
    sink = Sink(status=503)
    try:
        with pytest.raises(backends.SmsError, match="HTTP 503"):
            backends.HttpBackend(url=sink.url).send_keyed(PHONE, "x", key="sms-1")
    finally:
        sink.close()
    with pytest.raises(backends.SmsError, match="url option"):
        backends.HttpBackend().send(PHONE, "x")
