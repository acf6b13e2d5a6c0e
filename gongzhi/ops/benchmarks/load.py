"""``gongzhi bench load``: residents, staff and partner systems at once against the production server, for
``--seconds`` (default 600: ten minutes), on a throwaway PostgreSQL with the demo district and ``--cases`` filled cases.

Each client thread plays one person or system, with no pause between requests (a closed loop: the server's
throughput, not a traffic model), in these shares of the threads:

- residents on phones (half): their building's QR page (with the report form), the public board, the report sent
  (a real report with a phone number) and the tracking page it leads to;
- staff (a quarter), logged in through the real login form: the dispatcher's queue (``sq01``), the grid worker's tasks
  (``wg001``), the command centre's case list and dashboard (``zhihui``);
- partner systems (a quarter): Open311 POST and the default list, the exchange API's POST with an Idempotency-Key.

It prints, per kind of page, requests answered, the rate, p50 and p95, and the answers that were not the expected
one (errors); and as its last line one JSON object with the same figures.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.parse
from argparse import ArgumentParser
from collections.abc import Mapping
from http.client import HTTPConnection, HTTPResponse
from typing import Any

from gongzhi.ops.benchmarks import Writer, child, child_step, register, throwaway_environment
from gongzhi.ops.benchmarks.api import CLIENT_PROCESSES, serving
from gongzhi.ops.benchmarks.console import _percentile

STAFF = {"queue": "sq01", "tasks": "wg001", "cases": "zhihui", "dashboard": "zhihui"}
# What each kind of request must answer; anything else is counted as an error.
EXPECTED = {
    "qr_page": 200,
    "board": 200,
    "report_post": 302,
    "tracking": 200,
    "queue": 200,
    "tasks": 200,
    "cases": 200,
    "dashboard": 200,
    "open311_post": 201,
    "open311_list": 200,
    "exchange_post": 201,
}


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("--seconds", type=float, default=600.0, help="how long the load runs (default 600)")
    parser.add_argument("--clients", type=int, default=16, help="client threads in all (default 16)")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes (default 2)")
    parser.add_argument("--cases", type=int, default=100_000, help="cases filled before the run (default 100,000)")
    parser.add_argument("--prepare", action="store_true", help="(internal) demo district, keys and filled cases")
    parser.add_argument("--client", default="", help="(internal) drive the server: JSON")


def _prepare(cases: int) -> dict[str, Any]:
    from django.conf import settings

    from gongzhi.grid.models import GridNode
    from gongzhi.ops.benchmarks import api

    figures = api._prepare()
    if cases:
        figures["fill"] = api._fill({"cases": cases, "jurisdiction": figures["jurisdiction"]})
    root = GridNode.objects.filter(jurisdiction_id=figures["jurisdiction"], parent__isnull=True).first()
    assert root is not None
    figures |= {"password": settings.GONGZHI_DEMO_PASSWORD, "root": root.pk}
    return figures


class _Browser:
    """Cookies and the last CSRF token of one person's browser."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}
        self.token = ""

    def headers(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        found = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        return {**found, **(extra or {})}

    def keep(self, response: HTTPResponse, data: bytes) -> None:
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', data)
        if found:
            self.token = found.group(1).decode()


def _drive(spec: dict[str, Any]) -> dict[str, Any]:
    """In a client process: ``threads`` people until ``stop_at`` (wall clock); samples per kind of request."""
    stop_at = spec["stop_at"]
    lock = threading.Lock()
    samples: dict[str, list[float]] = {}
    errors: dict[str, dict[str, int]] = {}
    prefix = os.urandom(4).hex()

    def person(n: int) -> None:
        role = ("resident", "resident", "staff", "partner")[n % 4]
        conn = HTTPConnection(spec["host"], spec["port"], timeout=60)
        browser = _Browser()
        mine: dict[str, list[float]] = {}
        wrong: dict[str, dict[str, int]] = {}
        i = n

        def request(kind: str, method: str, path: str, body: str = "", headers: Any = None) -> tuple[int, bytes]:
            nonlocal conn
            began = time.perf_counter()
            try:
                conn.request(method, path, body=body or None, headers=browser.headers(headers))
                response = conn.getresponse()
                data = response.read()
            except OSError as exc:
                conn.close()
                conn = HTTPConnection(spec["host"], spec["port"], timeout=60)
                counts = wrong.setdefault(kind, {})
                counts[type(exc).__name__] = counts.get(type(exc).__name__, 0) + 1
                return 0, b""
            browser.keep(response, data)
            if response.status == EXPECTED[kind]:
                mine.setdefault(kind, []).append(time.perf_counter() - began)
            else:
                counts = wrong.setdefault(kind, {})
                counts[str(response.status)] = counts.get(str(response.status), 0) + 1
            location = response.getheader("Location") or ""
            return response.status, (location.encode() if response.status == 302 else data)

        form = {"Content-Type": "application/x-www-form-urlencoded"}
        if role == "staff":
            username = list(STAFF.values())[(n // 4) % len(STAFF)]
            conn.request("GET", "/accounts/login/")
            response = conn.getresponse()
            browser.keep(response, response.read())
            fields = {"csrfmiddlewaretoken": browser.token, "username": username, "password": spec["password"]}
            conn.request(
                "POST",
                "/accounts/login/",
                body=urllib.parse.urlencode(fields),
                headers=browser.headers({**form, "Referer": "/accounts/login/"}),
            )
            response = conn.getresponse()
            browser.keep(response, response.read())
            if response.status != 302:
                raise RuntimeError(f"{username} could not log in: HTTP {response.status}")
            pages = [kind for kind, who in STAFF.items() if who == username]
        while time.time() < stop_at:
            building = spec["buildings"][i % len(spec["buildings"])]
            if role == "resident":
                request("qr_page", "GET", f"/r/b/{building}/")  # the page with the report form and its token
                request("board", "GET", "/r/board/")
                phone = f"139{i % 100_000_000:08d}"
                fields = {"csrfmiddlewaretoken": browser.token, "description": f"楼道灯不亮，第 {i} 次", "phone": phone}
                path = f"/r/b/{building}/"
                status, location = request(
                    "report_post", "POST", path, urllib.parse.urlencode(fields), {**form, "Referer": path}
                )
                found = re.search(rb"/r/t/([^/]+)/", location) if status == 302 else None
                if found:
                    request("tracking", "GET", f"/r/t/{found.group(1).decode()}/")
            elif role == "staff":
                for kind in pages:
                    path = {
                        "queue": "/console/queue/",
                        "tasks": "/console/tasks/",
                        "cases": "/console/cases/",
                        "dashboard": f"/analytics/node/{spec['root']}/",
                    }[kind]
                    request(kind, "GET", path)
            else:
                body = {
                    "api_key": spec["key"],
                    "service_code": spec["service_code"],
                    "address_id": building,
                    "description": f"路灯不亮，第 {i} 次",
                }
                request("open311_post", "POST", "/open311/v2/requests.json", urllib.parse.urlencode(body), form)
                request("open311_list", "GET", "/open311/v2/requests.json")
                payload = {
                    "external_id": f"{prefix}-{i}",
                    "title": f"路灯不亮，第 {i} 次",
                    "category_code": spec["service_code"],
                    "lat": spec["spot"]["lat"],
                    "lon": spec["spot"]["lon"],
                }
                request(
                    "exchange_post",
                    "POST",
                    "/api/v1/cases",
                    json.dumps(payload),
                    {
                        "Content-Type": "application/json",
                        "Authorization": f"Bearer {spec['bearer']}",
                        "Idempotency-Key": f"{prefix}-{i}",
                    },
                )
            i += spec["threads"] * CLIENT_PROCESSES
        conn.close()
        with lock:
            for kind, values in mine.items():
                samples.setdefault(kind, []).extend(values)
            for kind, counts in wrong.items():
                into = errors.setdefault(kind, {})
                for key, value in counts.items():
                    into[key] = into.get(key, 0) + value

    threads = [
        threading.Thread(target=person, args=(spec["first"] + n * CLIENT_PROCESSES,)) for n in range(spec["threads"])
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"samples": samples, "errors": errors}


@register(
    "load",
    help="residents, staff pages and API clients at once for ten minutes: throughput, p95 per page kind, errors",
    arguments=add_arguments,
)
def run(stdout: Writer, options: Mapping[str, Any]) -> dict[str, Any]:
    done = child_step(
        stdout,
        options,
        {"prepare": lambda _v: _prepare(int(options.get("cases") or 0)), "client": lambda v: _drive(json.loads(v))},
    )
    if done is not None:
        return done

    seconds, clients, workers = float(options["seconds"]), int(options["clients"]), int(options["workers"])
    cases = int(options.get("cases") or 0)
    stdout.write(
        f"gongzhi bench load: throwaway PostgreSQL, demo district + {cases:,} cases, `gongzhi run` with {workers} "
        f"worker(s); {clients} people and systems for {seconds:g} s"
    )
    with throwaway_environment() as throwaway:
        # Every simulated resident comes from this one address: the per-client report limit is lifted for the run.
        env = {
            **os.environ,
            **throwaway,
            "GONGZHI_SMS_BACKEND": "locmem",
            "GONGZHI_DEMO": "true",
            "GONGZHI_REPORT_RATE_LIMIT": "1000000/3600",
        }
        began = time.perf_counter()
        prepared = child(["bench", "load", "--prepare", "--cases", str(cases)], env)
        setup_s = time.perf_counter() - began
        with serving(env, workers) as port:
            per = max(1, clients // CLIENT_PROCESSES)
            stop_at = time.time() + seconds
            procs = [
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "gongzhi",
                        "bench",
                        "load",
                        "--client",
                        json.dumps(
                            {
                                **prepared,
                                "host": "127.0.0.1",
                                "port": port,
                                "threads": per,
                                "first": p,
                                "stop_at": stop_at,
                            }
                        ),
                    ],
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                for p in range(CLIENT_PROCESSES)
            ]
            results = []
            for proc in procs:
                out, err = proc.communicate(timeout=seconds + 300)
                lines = [line for line in out.splitlines() if line.startswith("{")]
                if proc.returncode != 0 or not lines:
                    raise RuntimeError(f"bench load client failed:\n{out[-2000:]}\n{err[-3000:]}")
                results.append(json.loads(lines[-1]))
    samples: dict[str, list[float]] = {}
    errors: dict[str, dict[str, int]] = {}
    for result in results:
        for kind, values in result["samples"].items():
            samples.setdefault(kind, []).extend(values)
        for kind, counts in result["errors"].items():
            into = errors.setdefault(kind, {})
            for key, value in counts.items():
                into[key] = into.get(key, 0) + value
    stdout.write(f"  setup: demo district, keys and {cases:,} cases in {setup_s:.1f} s")
    kinds: dict[str, Any] = {}
    for kind in EXPECTED:
        values = samples.get(kind, [])
        failed = sum(errors.get(kind, {}).values())
        kinds[kind] = {
            "ok": len(values),
            "req_per_s": round(len(values) / seconds, 2),
            "p50_ms": round(1000 * _percentile(values, 0.5), 1) if values else None,
            "p95_ms": round(1000 * _percentile(values, 0.95), 1) if values else None,
            "errors": failed,
            "errors_by_answer": errors.get(kind, {}),
        }
        stdout.write(
            f"  {kind:<14} {len(values):>8,} ok  {len(values) / seconds:>7.1f} req/s  "
            f"p50 {kinds[kind]['p50_ms']} ms  p95 {kinds[kind]['p95_ms']} ms  "
            f"errors {failed} {errors.get(kind, {}) or ''}"
        )
    total = sum(k["ok"] for k in kinds.values())
    failed = sum(k["errors"] for k in kinds.values())
    stdout.write(f"  all: {total:,} answered as expected ({total / seconds:.1f} req/s), {failed:,} errors")
    figures = {
        "benchmark": "load",
        "seconds": seconds,
        "clients": clients,
        "workers": workers,
        "cases": cases,
        "req_per_s": round(total / seconds, 1),
        "ok": total,
        "errors": failed,
        "kinds": kinds,
    }
    stdout.write(json.dumps(figures))
    return figures
