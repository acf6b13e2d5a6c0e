"""`gongzhi worker` sends queued text messages, retries, sweeps; `--once` for cron, a loop that stops on SIGTERM."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command

from gongzhi.notifications import backends, services
from gongzhi.notifications.models import SmsMessage

REPO = Path(__file__).resolve().parents[3]
KIND = "account.verification_code"


@pytest.mark.django_db
def test_once_sends_what_is_queued_and_runs_the_sweep(settings):
    settings.GONGZHI_SMS_DELIVERY = "worker"
    backends.outbox.clear()
    services.send_sms(phone="13800138000", kind=KIND, context={"code": "123456", "minutes": 5})
    out = io.StringIO()
    call_command("worker", "--once", stdout=out)
    assert "sms: 1" in out.getvalue() and "sweep: {'checked': 0" in out.getvalue()
    assert [m.phone for m in backends.outbox] == ["13800138000"]
    assert SmsMessage.objects.get().status == "sent"


@pytest.mark.slow
def test_the_loop_delivers_in_the_background_and_stops_on_sigterm(tmp_path):
    env = {
        **os.environ,
        "GONGZHI_DATA_DIR": str(tmp_path),
        "GONGZHI_DATABASE_URL": "",
        "GONGZHI_SMS_DELIVERY": "worker",
        "GONGZHI_SMS_BACKEND": "file",
    }
    gongzhi = [sys.executable, "-m", "gongzhi"]
    subprocess.run([*gongzhi, "migrate", "--noinput", "-v", "0"], env=env, check=True, cwd=REPO)
    queue = (
        "from gongzhi.notifications import services;"
        "services.send_sms(phone='13800138000', kind='account.verification_code', context={'code': '1', 'minutes': 5})"
    )
    subprocess.run([*gongzhi, "shell", "-c", queue], env=env, check=True, cwd=REPO)
    worker = subprocess.Popen(
        [*gongzhi, "worker", "--tick", "0.2", "--no-tasks"],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    outbox = tmp_path / "sms" / "outbox.jsonl"
    try:
        deadline = time.monotonic() + 30
        while not (outbox.exists() and outbox.read_text().strip()):
            if worker.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the worker did not send the queued message:\n" + worker.stdout.read().decode())
            time.sleep(0.1)
        assert json.loads(outbox.read_text().splitlines()[0])["phone"].endswith("8000")
    finally:
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=15) == 0
