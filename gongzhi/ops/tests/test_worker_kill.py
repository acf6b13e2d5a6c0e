"""Issue 29, "the worker killed in the middle of sending": the real ``gongzhi worker`` in a subprocess, on a database
file of its own (SQLite) or a database of its own on the run's PostgreSQL server, sends queued text messages (the
``HttpBackend``) and partner webhooks to a local HTTP sink; it is killed with SIGKILL in the middle of each, restarted,
and every message reaches the sink — at least once, and exactly once after dropping repeats by the key each request
carries (``Idempotency-Key: sms-<id>``, ``X-Gongzhi-Delivery: <delivery id>``).

What is in flight when the worker dies stays claimed until its lease runs out (5 minutes for a text message; for a
partner's webhooks the destination's lease, ``GONGZHI_WEBHOOK_TIMEOUT`` × 50 + 30 s): the test moves those clocks
back instead of waiting, then checks the restarted worker takes the messages up again."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

REPO = Path(__file__).resolve().parents[3]
GONGZHI = [sys.executable, "-m", "gongzhi"]
TEXTS = 300
HOOKS = 150


class Sink:
    """The SMS gateway (/sms) and the partner's endpoint (/hook): records every request's key; answers slowly enough
    that a kill lands in the middle of a batch."""

    def __init__(self) -> None:
        self.sms: list[str] = []
        self.hooks: list[str] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if self.path == "/sms":
                    time.sleep(0.005)
                    key = self.headers["Idempotency-Key"]
                    assert body["key"] == key
                    with outer.lock:
                        outer.sms.append(key)
                else:
                    time.sleep(0.02)
                    key = self.headers["X-Gongzhi-Delivery"]
                    assert str(body["delivery_id"]) == key
                    with outer.lock:
                        outer.hooks.append(key)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sink() -> Iterator[Sink]:
    s = Sink()
    yield s
    s.close()


@pytest.fixture
def database_env(tmp_path) -> Iterator[dict[str, str]]:
    """A database the worker may write to for real: a SQLite file in ``tmp_path``, or — on a PostgreSQL run — a new
    database on the same server, dropped afterwards."""
    url = os.environ.get("GONGZHI_DATABASE_URL", "").strip()
    if not url:
        yield {"GONGZHI_DATA_DIR": str(tmp_path), "GONGZHI_DATABASE_URL": ""}
        return
    import psycopg

    name = f"gongzhi_kill_{uuid.uuid4().hex[:10]}"
    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield {"GONGZHI_DATA_DIR": str(tmp_path), "GONGZHI_DATABASE_URL": urlunsplit(parts._replace(path=f"/{name}"))}
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


SETUP = """
import json
from django.utils import timezone
from gongzhi.api.models import Partner, WebhookDelivery
from gongzhi.cases.models import CaseEvent
from gongzhi.cases.tests.factories import world
from gongzhi.notifications import services
w = world()
case = w.submit()
sms = [services.send_sms(phone=f"139{i:08d}", kind="system.notice", context={"title": "t", "body": f"停水 {i}"})
       for i in range(TEXTS)]
last = CaseEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
partner = Partner.objects.create(jurisdiction=w.jurisdiction, code="p1", name="p1", webhook_url=HOOK,
                                 webhook_secret="s", webhook_cursor=last)
now = timezone.now()
hooks = WebhookDelivery.objects.bulk_create(
    WebhookDelivery(partner=partner, event_id=10**9 + i, case=case, payload={"type": "t", "n": i},
                    next_attempt_at=now, created_at=now)
    for i in range(HOOKS)
)
print(json.dumps({"sms": [f"sms-{m.pk}" for m in sms], "hooks": [str(h.pk) for h in hooks]}))
"""

STATES = """
import json
from collections import Counter
from gongzhi.api.models import WebhookDelivery
from gongzhi.notifications.models import SmsMessage
print(json.dumps({
    "sms": Counter(SmsMessage.objects.values_list("status", flat=True)),
    "hooks": Counter(WebhookDelivery.objects.values_list("status", flat=True)),
}))
"""

# The leases run out: what the killed worker held in flight may be taken again.
LEASES_PASS = """
import json
from datetime import timedelta
from django.utils import timezone
from gongzhi.api.models import Partner
from gongzhi.notifications import services
from gongzhi.notifications.models import SmsMessage
past = timezone.now() - services.SEND_LEASE - timedelta(seconds=1)
n = SmsMessage.objects.filter(status="sending").update(last_attempt_at=past)
held = Partner.objects.filter(webhook_lease_until__gt=timezone.now()).update(webhook_lease_until=timezone.now())
print(json.dumps({"sms": n, "partners": held}))
"""


def _shell(env: dict[str, str], code: str) -> dict:
    done = subprocess.run(
        [*GONGZHI, "shell", "-c", code], env=env, cwd=REPO, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _worker(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [*GONGZHI, "worker", "--tick", "0.1", "--retry-every", "0.5", "--sweep-every", "3600", "--no-tasks"],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _until(worker: subprocess.Popen, done, what: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        if worker.poll() is not None:
            pytest.fail(f"the worker exited ({worker.returncode}) before {what}: {worker.stderr.read()[-3000:]}")
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def _kill(worker: subprocess.Popen) -> None:
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)
    assert worker.returncode == -signal.SIGKILL


def test_a_worker_killed_mid_send_delivers_everything_at_least_once_and_once_per_key(sink, database_env):
    env = {
        **os.environ,
        **database_env,
        "GONGZHI_SMS_BACKEND": "gongzhi.notifications.backends.HttpBackend",
        "GONGZHI_SMS_OPTIONS": json.dumps({"url": f"{sink.base}/sms", "timeout": 5}),
        "GONGZHI_SMS_DELIVERY": "worker",
        "GONGZHI_WEBHOOK_TIMEOUT": "5",
    }
    subprocess.run([*GONGZHI, "migrate", "-v0"], env=env, cwd=REPO, check=True, capture_output=True)
    setup = SETUP.replace("TEXTS", str(TEXTS)).replace("HOOKS", str(HOOKS)).replace("HOOK", repr(f"{sink.base}/hook"))
    expected = _shell(env, setup)
    assert len(expected["sms"]) == TEXTS and len(expected["hooks"]) == HOOKS

    # 1. Killed in the middle of the text-message batch.
    worker = _worker(env)
    try:
        # Mid-chunk (outcomes are written every 50 messages): some texts are at the gateway but not recorded as sent.
        _until(worker, lambda: len(sink.sms) >= 125, "125 texts")
    finally:
        _kill(worker)
    states = _shell(env, STATES)
    assert states["sms"].get("sending", 0) > 0, states  # claimed by the dead worker, not sent as far as it knows
    assert _shell(env, LEASES_PASS)["sms"] == states["sms"]["sending"]

    # 2. Restarted: the retry sweep takes up what the dead worker held. Killed again in the middle of the webhooks.
    worker = _worker(env)
    try:
        _until(worker, lambda: len(sink.hooks) >= HOOKS // 2, "half the webhooks")
    finally:
        _kill(worker)
    states = _shell(env, STATES)
    assert states["hooks"].get("pending", 0) > 0, states
    assert _shell(env, LEASES_PASS)["partners"] == 1  # the dead worker still held the destination's lease

    # 3. Restarted once more, stopped the ordinary way once everything reached the sink.
    worker = _worker(env)
    try:
        _until(
            worker,
            lambda: set(sink.sms) >= set(expected["sms"]) and set(sink.hooks) >= set(expected["hooks"]),
            "every message",
        )
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
    states = _shell(env, STATES)
    assert states == {"sms": {"sent": TEXTS}, "hooks": {"sent": HOOKS}}

    # At least once: every message arrived. Exactly once per key: the receiver keeps one of each, nothing else.
    assert sorted(set(sink.sms)) == sorted(expected["sms"])
    assert sorted(set(sink.hooks)) == sorted(expected["hooks"])
    repeats = {"sms": _repeats(sink.sms), "hooks": _repeats(sink.hooks)}
    # The kills landed mid-send: some messages went out twice (the gateway took them, the outcome was never written),
    # at most one outcome chunk of texts and the one webhook in flight per kill.
    assert 0 < repeats["sms"] <= 50 and repeats["hooks"] <= 1, repeats
    print(f"received {len(sink.sms)} texts for {TEXTS}, {len(sink.hooks)} webhooks for {HOOKS}; repeats {repeats}")


def _repeats(keys: list[str]) -> int:
    return sum(n - 1 for n in Counter(keys).values())
