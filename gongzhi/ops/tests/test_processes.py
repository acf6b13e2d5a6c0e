"""Several processes against one PostgreSQL database, as on several hosts: two web servers (``gongzhi run
--no-worker``, granian, on two ports) and two workers (``gongzhi worker``), each with its own data directory — nothing
shared but the database and the keys from the environment.

Residents report through server A; a dispatcher logs in on server B, finds the reports in the queue there and triages
them, then dispatches them through server A with the session B gave them; the two workers send the text messages the
reports queued and fold the events into the dashboard's figures — each once, not twice. Skipped without the PostgreSQL
server binaries, except under CI=true, where that fails.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from http.client import HTTPConnection
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from cryptography.fernet import Fernet

from gongzhi.ops.benchmarks.api import serving
from gongzhi.ops.pgserver import throwaway_postgres
from gongzhi.ops.tests.own_postgres import need_own_postgres

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("processes")]

REPORTS = 6
PASSWORD = "several-processes-1"
_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Browser:
    """One person's browser: cookies kept per host, as a browser does (the two servers' ports share them)."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}

    def request(self, port: int, method: str, path: str, form: dict[str, Any] | None = None) -> tuple[int, str, str]:
        """(status, Location, body) — redirects are not followed."""
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            for header in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    if morsel["max-age"] == "0" or not morsel.value:
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value
            return response.status, response.headers.get("Location", ""), response.read().decode("utf-8", "replace")
        finally:
            conn.close()

    def submit(self, port: int, path: str, form: dict[str, Any], *, action: str = "") -> tuple[int, str, str]:
        """GET the page with the form (for its CSRF token), then POST the form to ``action`` (default: the page)."""
        status, _location, page = self.request(port, "GET", path)
        assert status == 200, (status, page[:500])
        token = _TOKEN.search(page)
        assert token is not None, page[:500]
        return self.request(port, "POST", action or path, {**form, "csrfmiddlewaretoken": token.group(1)})


def _python(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return done.stdout


@contextmanager
def _worker(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gongzhi", "worker", "--tick", "0.2", "--sweep-every", "2", "--no-tasks"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_two_web_servers_and_two_workers_share_one_database_and_nothing_else(tmp_path: Path) -> None:
    need_own_postgres("the several-processes test")
    with throwaway_postgres(tuned=True) as url:
        base = {k: v for k, v in os.environ.items() if not k.startswith("GONGZHI_")}
        base |= {
            "DJANGO_SETTINGS_MODULE": "gongzhi.settings",
            "GONGZHI_DATABASE_URL": url,
            # On several hosts the keys must come from the environment: each would generate its own otherwise.
            "GONGZHI_SECRET_KEY": "several-processes-" + "x" * 40,
            "GONGZHI_FIELD_KEYS": Fernet.generate_key().decode(),
            "GONGZHI_BLIND_INDEX_KEY": "ab" * 32,
            "GONGZHI_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "GONGZHI_SMS_BACKEND": "file",
            "GONGZHI_SMS_DELIVERY": "worker",
            "GONGZHI_REPORT_RATE_LIMIT": "1000/60",
        }

        def env(name: str) -> dict[str, str]:
            data = tmp_path / name
            data.mkdir(exist_ok=True)
            return {**base, "GONGZHI_DATA_DIR": str(data)}

        site = json.loads(_python(["gongzhi.ops.tests.processes_site", "seed", PASSWORD], env("seed")).splitlines()[-1])
        _python(["gongzhi", "collectstatic", "--noinput", "-v", "0"], env("web-a"))
        shutil.copytree(tmp_path / "web-a" / "static", tmp_path / "web-b" / "static")  # the same build on both hosts

        with ExitStack() as stack:
            a = stack.enter_context(serving(env("web-a"), 1))
            b = stack.enter_context(serving(env("web-b"), 1))
            workers = [
                stack.enter_context(_worker(env(name), tmp_path / f"{name}.log")) for name in ("worker-1", "worker-2")
            ]

            # Residents report through server A.
            tracking = []
            for n in range(REPORTS):
                resident = Browser()
                status, location, page = resident.submit(
                    a,
                    f"/r/b/{site['token']}/",
                    {"description": f"楼道灯坏了 第{n}号", "phone": f"1391234{n:04d}"},
                )
                assert status == 302, (status, page[:1000])
                tracking.append(location)

            # The dispatcher logs in on server B and finds every report in the queue there.
            dispatcher = Browser()
            status, _location, page = dispatcher.submit(
                b, "/accounts/login/", {"username": site["dispatcher"], "password": PASSWORD}
            )
            assert status == 302, page[:1000]
            status, _location, queue = dispatcher.request(b, "GET", "/console/queue/")
            assert status == 200
            case_ids = sorted({int(i) for i in re.findall(r'href="/console/cases/(\d+)/"', queue)})
            assert len(case_ids) == REPORTS, queue[:2000]

            # Triage on B; dispatch on A with the session B gave (sessions live in the database).
            for case_id in case_ids:
                page_path = f"/console/cases/{case_id}/"
                status, location, page = dispatcher.submit(
                    b, page_path, {"category": site["category"]}, action=f"{page_path}act/triage/"
                )
                assert status == 302, (status, page[:1000])
            for case_id in case_ids:
                page_path = f"/console/cases/{case_id}/"
                status, location, page = dispatcher.submit(
                    a, page_path, {"target": f"pool:{site['micro']}"}, action=f"{page_path}act/dispatch/"
                )
                assert (status, location) == (302, page_path), (status, location, page[:1000])

            # The workers: every queued text message sent, and the dashboard's figures caught up.
            deadline = time.monotonic() + 60
            while True:
                seen = json.loads(_python(["gongzhi.ops.tests.processes_site", "check"], env("check")).splitlines()[-1])
                done = set(seen["sms_by_status"]) == {"sent"} and seen["received_on_dashboard"] >= REPORTS
                if done or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            assert all(w.poll() is None for w in workers), "a worker stopped"

    sent_lines = []
    by_worker = {}
    for name in ("worker-1", "worker-2"):
        outbox = tmp_path / name / "sms" / "outbox.jsonl"
        lines = [json.loads(line) for line in outbox.read_text().splitlines()] if outbox.exists() else []
        by_worker[name] = len(lines)
        sent_lines += lines
    for name in ("web-a", "web-b"):
        assert not (tmp_path / name / "sms").exists(), f"{name} sent text messages (delivery is the workers')"
    print(f"several processes: {seen}; text messages sent by worker: {by_worker}")

    assert seen["cases"] == REPORTS
    assert seen["received_on_dashboard"] == REPORTS  # each event folded once, by one worker
    assert seen["sms_by_status"]["sent"] >= REPORTS  # at least the receipt of each report
    assert set(seen["sms_by_status"]) == {"sent"}
    keys = Counter(line["key"] for line in sent_lines)
    assert sorted(keys) == seen["sms_keys"]  # every message sent …
    assert set(keys.values()) == {1}  # … once, by one of the two workers
    assert seen["heartbeats"] == 2
    assert len(tracking) == REPORTS
