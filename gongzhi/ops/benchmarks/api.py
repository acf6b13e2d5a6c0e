"""``gongzhi bench api``: Open311 POST /requests and GET one request through the real HTTP stack, next to the same
machine's raw PostgreSQL rates measured in the same run, and next to what the web stack itself serves.

On a throwaway PostgreSQL (default durability: the figures must be honest about commits) it builds the demo district,
starts the production server command (``gongzhi run --no-worker``: granian WSGI, persistent connections) and drives
it with ``--clients`` concurrent keep-alive HTTP clients (in two client processes) for ``--seconds``: first POST
``/open311/v2/requests.json`` (a real service request: key check, attributes, geo lookup, case + event), then GET
``/open311/v2/requests/<id>.json`` of the requests just filed. Then the same server and clients drive three minimal
Django views (benchmarks.ceiling): one doing nothing, one doing pgbench's 20-row SELECT, one pgbench's INSERT — the
ceiling of the stack, which no view touching the database can pass. With the server stopped, pgbench measures the
raw single-row INSERT and 20-row SELECT on the same cluster (16 connections). Budget: POST ≥ 8 % of the raw insert
rate, GET one ≥ 8 % of the raw 20-row read rate. The last line is one JSON object with the figures.
"""

from __future__ import annotations

import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from argparse import ArgumentParser
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

from gongzhi.ops.benchmarks import Writer, ceiling, child, register, throwaway_environment

BUDGET_RATIO = 0.08
CLIENT_PROCESSES = 2
SERVER_SETTINGS = "gongzhi.ops.benchmarks.ceiling_settings"
# The ceiling phases: minimal views on the same server (benchmarks.ceiling), and what the answer must be.
CEILING = {"nothing": 200, "read20": 200, "insert": 201}


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds per measured phase (default 10)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients in all (default 8)")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes (default 2)")
    parser.add_argument("--prepare", action="store_true", help="(internal) build the demo district, print a key")
    parser.add_argument("--client", default="", help="(internal) drive this base URL: post|get,key,...")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ------------------------------------------------------------------------------------------------------ children


def _prepare() -> dict[str, Any]:
    from django.conf import settings
    from django.core.management import call_command

    from gongzhi.cases import catalogue
    from gongzhi.cases.models import CaseCategory
    from gongzhi.grid import demo
    from gongzhi.grid.models import Building
    from gongzhi.open311 import keys

    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", interactive=False, verbosity=0)  # `gongzhi run` would do it before serving
    jurisdiction = demo.build_demo(password=settings.GONGZHI_DEMO_PASSWORD).jurisdiction
    catalogue.seed(jurisdiction=jurisdiction)
    # A public-problem service (报事), so GET one answers with the full, masked request rather than a status only.
    category = (
        CaseCategory.objects.filter(
            jurisdiction=jurisdiction, children__isnull=True, attributes=[], kind="report", private=False
        )
        .order_by("code")
        .first()
    )
    assert category is not None, "the demo catalogue has public report categories"
    _row, raw = keys.create_key(name="bench", jurisdiction=jurisdiction)
    tokens = list(Building.objects.filter(jurisdiction=jurisdiction).values_list("public_token", flat=True)[:200])
    ceiling.create_table()
    return {"key": raw, "service_code": category.code, "buildings": tokens}


def _drive(spec: dict[str, Any]) -> dict[str, Any]:
    """In a client process: ``threads`` keep-alive clients for ``seconds``; counts answers by status."""
    host, port = spec["host"], spec["port"]
    stop_at = time.perf_counter() + spec["seconds"]
    lock = threading.Lock()
    counts: dict[str, int] = {}
    ids: list[str] = []
    latencies: list[float] = []

    def one(n: int) -> None:
        conn = HTTPConnection(host, port, timeout=30)
        i = n
        local_counts: dict[str, int] = {}
        local_ids: list[str] = []
        local_lat: list[float] = []
        while time.perf_counter() < stop_at:
            began = time.perf_counter()
            mode = spec["mode"]
            if mode == "post":
                body = urllib.parse.urlencode(
                    {
                        "api_key": spec["key"],
                        "service_code": spec["service_code"],
                        "address_id": spec["buildings"][i % len(spec["buildings"])],
                        "description": f"楼道灯不亮，第 {i} 次压测",
                    }
                )
                conn.request(
                    "POST",
                    "/open311/v2/requests.json",
                    body=body,
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                )
            elif mode == "get":
                conn.request("GET", f"/open311/v2/requests/{spec['ids'][i % len(spec['ids'])]}.json")
            elif mode == "nothing":
                conn.request("GET", "/_ceiling/nothing")
            elif mode == "read20":
                conn.request("GET", f"/_ceiling/read20?s={random.randint(1, ceiling.ROWS - ceiling.READ_ROWS)}")
            else:
                conn.request(
                    "POST",
                    "/_ceiling/insert",
                    body=f"a={random.randint(1, 1_000_000)}",
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                )
            response = conn.getresponse()
            data = response.read()
            local_lat.append(time.perf_counter() - began)
            local_counts[str(response.status)] = local_counts.get(str(response.status), 0) + 1
            if mode == "post" and response.status == 201 and len(local_ids) < 2000:
                local_ids.append(json.loads(data)[0]["service_request_id"])
            i += spec["threads"]
        conn.close()
        with lock:
            for k, v in local_counts.items():
                counts[k] = counts.get(k, 0) + v
            ids.extend(local_ids)
            latencies.extend(local_lat)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(spec["threads"])]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"counts": counts, "ids": ids, "elapsed": time.perf_counter() - began, "latencies": latencies}


# -------------------------------------------------------------------------------------------------------- phases


def collect_clients(
    procs: list[subprocess.Popen[str]], *, timeout: float
) -> tuple[list[dict[str, Any]], dict[str, int], list[float]]:
    """Wait for the client processes of a phase; each prints one JSON line with its ``counts`` (answers by status)
    and ``latencies`` (seconds). Their results, the counts summed, the latencies sorted; RuntimeError with the
    client's output when one failed."""
    results = []
    for p in procs:
        out, err = p.communicate(timeout=timeout)
        lines = [line for line in out.splitlines() if line.startswith("{")]
        if p.returncode != 0 or not lines:
            raise RuntimeError(f"bench client failed:\n{out[-2000:]}\n{err[-3000:]}")
        results.append(json.loads(lines[-1]))
    counts: dict[str, int] = {}
    for r in results:
        for k, v in r["counts"].items():
            counts[k] = counts.get(k, 0) + v
    return results, counts, sorted(x for r in results for x in r["latencies"])


def phase(spec: dict[str, Any], env: dict[str, str], clients: int) -> dict[str, Any]:
    """Drive the server at ``spec['host']:spec['port']`` in ``spec['mode']`` with ``clients`` keep-alive clients (in
    two client processes) for ``spec['seconds']``: requests per second answered as expected, latencies, answers."""
    per = max(1, clients // CLIENT_PROCESSES)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "gongzhi", "bench", "api", "--client", json.dumps({**spec, "threads": per})],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(CLIENT_PROCESSES)
    ]
    results, counts, latencies = collect_clients(procs, timeout=spec["seconds"] + 120)
    ok = counts.get("201" if spec["mode"] in ("post", "insert") else "200", 0)
    elapsed = max(r["elapsed"] for r in results)
    return {
        "rps": ok / elapsed,
        "ok": ok,
        "counts": counts,
        "ids": [i for r in results for i in r["ids"]],
        "p50_ms": 1000 * latencies[len(latencies) // 2] if latencies else float("nan"),
        "p95_ms": 1000 * latencies[int(len(latencies) * 0.95)] if latencies else float("nan"),
    }


def _pgbench(url: str, seconds: float) -> dict[str, float]:
    from gongzhi.ops.pgserver import find_bindir

    pgbench = find_bindir() / "pgbench"
    if not pgbench.exists():
        raise RuntimeError(f"pgbench not found at {pgbench} (Debian package postgresql-contrib)")
    parts = urllib.parse.urlsplit(url)
    conn = ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port), "-U", parts.username or "postgres"]
    db = parts.path.lstrip("/")
    rates = {}
    # The table was made by the prepare step (ceiling.create_table); the ceiling views ran the same statements.
    last = ceiling.ROWS - ceiling.READ_ROWS
    scripts = {
        "insert": f"\\set r random(1, 1000000)\nINSERT INTO {ceiling.TABLE} (a, b) VALUES (:r, 'x');\n",
        "read20": f"\\set s random(1, {last})\nSELECT * FROM {ceiling.TABLE} WHERE id BETWEEN :s AND :s + "
        f"{ceiling.READ_ROWS - 1};\n",
    }
    with tempfile.TemporaryDirectory() as tmp:
        for name, script in scripts.items():
            path = Path(tmp) / f"{name}.sql"
            path.write_text(script)
            out = subprocess.run(
                [str(pgbench), *conn, "-n", "-c", "16", "-j", "2", "-T", str(int(seconds)), "-f", str(path), db],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            match = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", out)
            if match is None:
                raise RuntimeError(f"could not read pgbench's rate:\n{out[-1500:]}")
            rates[name] = float(match.group(1))
    return rates


def wait_for(port: int, server: subprocess.Popen[Any], output: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server stopped:\n{output.read_text()[-3000:]}")
        try:
            conn = HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/open311/v2/discovery.json")
            response = conn.getresponse()
            if response.status == 200:
                return
            last = f"HTTP {response.status}: {response.read()[:300]!r}"
        except OSError as exc:
            last = str(exc)
        time.sleep(0.2)
    raise RuntimeError(f"the server did not answer within two minutes ({last})")


@contextmanager
def serving(env: dict[str, str], workers: int) -> Iterator[int]:
    """The production server command (``gongzhi run --no-worker``, granian) with ``workers`` workers and the ceiling
    views' URLs on a free local port, for the block; yields the port. Its output goes to a file (a pipe nobody reads
    would stop it once full)."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="gongzhi-bench-server-") as tmp:
        output = Path(tmp) / "server.log"
        with output.open("w") as log:
            server = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gongzhi",
                    "run",
                    "--no-worker",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--workers",
                    str(workers),
                ],
                env={**env, "DJANGO_SETTINGS_MODULE": SERVER_SETTINGS},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_for(port, server, output)
            yield port
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


@register(
    "api", help="Open311 POST/GET through the production server vs raw PostgreSQL (pgbench)", arguments=add_arguments
)
def run(stdout: Writer, options: Mapping[str, Any]) -> dict[str, Any]:
    if options.get("prepare"):
        figures = _prepare()
        stdout.write(json.dumps(figures))
        return figures
    if options.get("client"):
        figures = _drive(json.loads(options["client"]))
        stdout.write(json.dumps(figures))
        return figures

    seconds, clients, workers = float(options["seconds"]), int(options["clients"]), int(options["workers"])
    stdout.write(
        f"gongzhi bench api: throwaway PostgreSQL, `gongzhi run` with {workers} worker(s), {clients} HTTP clients, "
        f"{seconds:g} s per phase"
    )
    with throwaway_environment() as throwaway:
        env = {**os.environ, **throwaway, "GONGZHI_SMS_BACKEND": "locmem"}
        began = time.perf_counter()
        prepared = child(["bench", "api", "--prepare"], env)
        setup_s = time.perf_counter() - began
        with serving(env, workers) as port:
            base = {"host": "127.0.0.1", "port": port, "seconds": seconds}
            post = phase({**base, "mode": "post", **prepared}, env, clients)
            if not post["ids"]:
                raise RuntimeError(f"no request was filed: {post['counts']}")
            get = phase({**base, "mode": "get", "ids": post["ids"]}, env, clients)
            stack = {mode: phase({**base, "mode": mode}, env, clients) for mode in CEILING}
        raw = _pgbench(throwaway["GONGZHI_DATABASE_URL"], seconds)
    post_ratio, get_ratio = post["rps"] / raw["insert"], get["rps"] / raw["read20"]
    post_ok, get_ok = post_ratio >= BUDGET_RATIO, get_ratio >= BUDGET_RATIO
    for mode, expected in CEILING.items():
        if stack[mode]["ok"] == 0:
            raise RuntimeError(f"the ceiling view {mode} never answered {expected}: {stack[mode]['counts']}")
    read_ceiling, insert_ceiling = stack["read20"]["rps"] / raw["read20"], stack["insert"]["rps"] / raw["insert"]
    stdout.write(f"  setup: demo district + catalogue in {setup_s:.1f} s")
    for label, f in (
        ("POST /open311/v2/requests.json", post),
        ("GET  /open311/v2/requests/ID.json", get),
        ("minimal view, no database", stack["nothing"]),
        ("minimal view, pgbench's SELECT", stack["read20"]),
        ("minimal view, pgbench's INSERT", stack["insert"]),
    ):
        stdout.write(
            f"  {label:<34} {f['rps']:>8.1f} req/s  p50 {f['p50_ms']:.1f} ms  p95 {f['p95_ms']:.1f} ms  "
            f"answers {f['counts']}"
        )
    stdout.write(f"  {'pgbench single-row INSERT':<34} {raw['insert']:>8.1f} tps (16 connections)")
    stdout.write(f"  {'pgbench 20-row SELECT':<34} {raw['read20']:>8.1f} tps (16 connections)")
    stdout.write(
        f"  POST / raw insert = {100 * post_ratio:.1f} % (budget ≥ {100 * BUDGET_RATIO:.0f} %): "
        f"{'PASS' if post_ok else 'FAIL'}; the minimal insert view reaches {100 * insert_ceiling:.1f} %, "
        f"POST = {100 * post['rps'] / stack['insert']['rps']:.0f} % of it"
    )
    stdout.write(
        f"  GET one / raw 20-row read = {100 * get_ratio:.1f} % (budget ≥ {100 * BUDGET_RATIO:.0f} %): "
        f"{'PASS' if get_ok else 'FAIL'}; the minimal read view reaches {100 * read_ceiling:.1f} %, "
        f"GET one = {100 * get['rps'] / stack['read20']['rps']:.0f} % of it"
    )
    figures = {
        "benchmark": "api",
        "post_req_per_s": round(post["rps"], 1),
        "post_p95_ms": round(post["p95_ms"], 1),
        "get_req_per_s": round(get["rps"], 1),
        "get_p95_ms": round(get["p95_ms"], 1),
        "raw_insert_tps": round(raw["insert"], 1),
        "raw_read20_tps": round(raw["read20"], 1),
        "post_ratio": round(post_ratio, 4),
        "get_ratio": round(get_ratio, 4),
        "budget_ratio": BUDGET_RATIO,
        "ceiling_nothing_req_per_s": round(stack["nothing"]["rps"], 1),
        "ceiling_read20_req_per_s": round(stack["read20"]["rps"], 1),
        "ceiling_insert_req_per_s": round(stack["insert"]["rps"], 1),
        "ceiling_read20_ratio": round(read_ceiling, 4),
        "ceiling_insert_ratio": round(insert_ceiling, 4),
        "clients": clients,
        "workers": workers,
        "seconds": seconds,
        "pass": post_ok and get_ok,
    }
    stdout.write(json.dumps(figures))
    return figures
