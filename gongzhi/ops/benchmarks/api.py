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

from gongzhi.ops.benchmarks import Writer, ceiling, child, child_step, register, throwaway_environment

BUDGET_RATIO = 0.08
CLIENT_PROCESSES = 2
SERVER_SETTINGS = "gongzhi.ops.benchmarks.ceiling_settings"
# The ceiling phases: minimal views on the same server (benchmarks.ceiling), and what the answer must be.
CEILING = {"nothing": 200, "read20": 200, "insert": 201}
PARTNER = "bench"  # the exchange API partner the benchmarks' clients file cases as


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds per measured phase (default 10)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients in all (default 8)")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes (default 2)")
    parser.add_argument(
        "--cases",
        type=int,
        default=0,
        help="existing cases to fill before a second round of intake (0: one round on the demo's cases)",
    )
    parser.add_argument(
        "--similar",
        type=int,
        default=20_000,
        help="with --cases: similar open reports piled at one spot for the burst phase (default 20,000; 0: none)",
    )
    parser.add_argument("--prepare", action="store_true", help="(internal) build the demo district, print a key")
    parser.add_argument("--fill", default="", help="(internal) fill cases: JSON")
    parser.add_argument("--client", default="", help="(internal) drive this base URL: post|get,key,...")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ------------------------------------------------------------------------------------------------------ children


def _prepare() -> dict[str, Any]:
    from django.conf import settings
    from django.core.management import call_command

    from gongzhi.api import tokens
    from gongzhi.api.models import Partner
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
    partner = Partner.objects.create(jurisdiction=jurisdiction, code=PARTNER, name="12345 热线")
    _token, bearer = tokens.create_token(name="bench", partner=partner)
    placed = Building.objects.filter(jurisdiction=jurisdiction, lat__isnull=False).order_by("pk")
    buildings = list(placed.values_list("public_token", flat=True)[:200])
    # The burst's spot and a fresh one: the first placed building, and the one farthest from it, in another
    # public-problem category.
    spot = placed.first()
    assert spot is not None and spot.lat is not None and spot.lon is not None
    far = max(placed, key=lambda b: (b.lat - spot.lat) ** 2 + (b.lon - spot.lon) ** 2)  # type: ignore[operator]
    other = (
        CaseCategory.objects.filter(
            jurisdiction=jurisdiction, children__isnull=True, attributes=[], kind="report", private=False
        )
        .exclude(pk=category.pk)
        .order_by("code")
        .first()
    )
    assert other is not None, "the demo catalogue has two public report categories"
    ceiling.create_table()
    return {
        "key": raw,
        "bearer": bearer,
        "partner": PARTNER,
        "service_code": category.code,
        "buildings": buildings,
        "jurisdiction": jurisdiction.pk,
        "spot": {
            "building": spot.public_token,
            "building_id": spot.pk,
            "category_id": category.pk,
            "service_code": category.code,
            "lat": spot.lat,
            "lon": spot.lon,
        },
        "fresh": {"building": far.public_token, "service_code": other.code, "lat": far.lat, "lon": far.lon},
    }


def _fill(spec: dict[str, Any]) -> dict[str, Any]:
    """In a child process: ``cases`` cases spread over the district's buildings over the past year (most closed),
    each with its timeline entry and triage record; or ``pile`` open reports like the benchmark's at the burst's
    spot, all within the duplicate finder's window."""
    from django.conf import settings
    from django.utils import timezone

    from gongzhi.cases.models import CaseCategory
    from gongzhi.ops.benchmarks import filling

    jurisdiction_id = int(spec["jurisdiction"])
    began = time.perf_counter()
    now = timezone.now()
    if spec.get("pile"):
        spot = spec["spot"]
        places = filling.district_places(jurisdiction_id, buildings=True)
        at = places.building.index(spot["building_id"])
        one = filling.Places(
            node=[places.node[at]],
            owner=[places.owner[at]],
            steward=[0],
            building=[spot["building_id"]],
            lat=[spot["lat"]],
            lon=[spot["lon"]],
        )
        n = int(spec["pile"])
        window_s = 3600 * float(settings.GONGZHI_TRIAGE_DUPLICATE_WINDOW_HOURS)
        filling.fill_cases(
            jurisdiction_id=jurisdiction_id,
            n=n,
            places=one,
            categories=[spot["category_id"]],
            now=now,
            code="P",
            spacing_s=min(1.0, 0.5 * window_s / n),
            status="'submitted'",
            title="'楼道灯不亮，第 ' || g || ' 次反映'",
            events=True,
            triage=True,
        )
    else:
        n = int(spec["cases"])
        categories = list(
            CaseCategory.objects.filter(jurisdiction_id=jurisdiction_id, children__isnull=True)
            .order_by("code")
            .values_list("pk", flat=True)
        )
        filling.fill_cases(
            jurisdiction_id=jurisdiction_id,
            n=n,
            places=filling.district_places(jurisdiction_id, buildings=True),
            categories=categories,
            now=now,
            events=True,
            triage=True,
        )
    return {"filled": n, "fill_s": round(time.perf_counter() - began, 1)}


def _drive(spec: dict[str, Any]) -> dict[str, Any]:
    """In a client process: ``threads`` keep-alive clients for ``seconds``; counts answers by status."""
    host, port = spec["host"], spec["port"]
    stop_at = time.perf_counter() + spec["seconds"]
    lock = threading.Lock()
    counts: dict[str, int] = {}
    ids: list[str] = []
    latencies: list[float] = []

    prefix = os.urandom(4).hex()  # external ids and Idempotency-Keys unique across client processes

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
            elif mode == "exchange":
                body = json.dumps(
                    {
                        "external_id": f"{prefix}-{i}",
                        "title": f"楼道灯不亮，第 {i} 次压测",
                        "category_code": spec["service_code"],
                        "lat": spec["lat"],
                        "lon": spec["lon"],
                    }
                )
                conn.request(
                    "POST",
                    "/api/v1/cases",
                    body=body,
                    headers={
                        "Content-Type": "application/json",
                        "Authorization": f"Bearer {spec['bearer']}",
                        "Idempotency-Key": f"{prefix}-{i}",
                    },
                )
            elif mode == "list":
                conn.request("GET", f"/open311/v2/requests.json{spec.get('query', '')}")
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
    ok = counts.get("201" if spec["mode"] in ("post", "insert", "exchange") else "200", 0)
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


def _round(base: dict[str, Any], prepared: dict[str, Any], env: dict[str, str], clients: int) -> dict[str, Any]:
    """One round of intake and lists on the running server: Open311 POST, exchange API POST (Idempotency-Key), the
    default Open311 list and a list of 1,000, GET one of the requests just filed."""
    spot = {"lat": prepared["spot"]["lat"], "lon": prepared["spot"]["lon"]}
    figures = {"post": phase({**base, "mode": "post", **prepared}, env, clients)}
    if not figures["post"]["ids"]:
        raise RuntimeError(f"no request was filed: {figures['post']['counts']}")
    figures["exchange"] = phase({**base, "mode": "exchange", **prepared, **spot}, env, clients)
    figures["list"] = phase({**base, "mode": "list"}, env, clients)
    figures["list1000"] = phase({**base, "mode": "list", "query": "?page_size=1000"}, env, clients)
    figures["get"] = phase({**base, "mode": "get", "ids": figures["post"]["ids"]}, env, clients)
    for name in ("exchange", "list", "list1000"):
        if figures[name]["ok"] == 0:
            raise RuntimeError(f"{name}: no request answered as expected: {figures[name]['counts']}")
    return figures


def _line(stdout: Writer, label: str, f: dict[str, Any]) -> None:
    stdout.write(
        f"  {label:<44} {f['rps']:>8.1f} req/s  p50 {f['p50_ms']:.1f} ms  p95 {f['p95_ms']:.1f} ms  "
        f"answers {f['counts']}"
    )


LIST_BUDGET_RPS = 100.0
FLAT_BUDGET = 0.85  # a rate at N cases (or at a burst's spot) within 15 % of the rate at 0 (or at a fresh spot)
MINIMAL_BUDGET = 0.40  # Open311 POST against the minimal one-insert view of the same run


@register(
    "api", help="Open311 POST/GET through the production server vs raw PostgreSQL (pgbench)", arguments=add_arguments
)
def run(stdout: Writer, options: Mapping[str, Any]) -> dict[str, Any]:
    done = child_step(
        stdout,
        options,
        {
            "prepare": lambda _v: _prepare(),
            "fill": lambda v: _fill(json.loads(v)),
            "client": lambda v: _drive(json.loads(v)),
        },
    )
    if done is not None:
        return done

    seconds, clients, workers = float(options["seconds"]), int(options["clients"]), int(options["workers"])
    cases, similar = int(options.get("cases") or 0), int(options.get("similar") or 0)
    stdout.write(
        f"gongzhi bench api: throwaway PostgreSQL, `gongzhi run` with {workers} worker(s), {clients} HTTP clients, "
        f"{seconds:g} s per phase"
        + (f"; then {cases:,} existing cases, {similar:,} similar at one spot" if cases else "")
    )
    fills: dict[str, Any] = {}
    with throwaway_environment() as throwaway:
        env = {**os.environ, **throwaway, "GONGZHI_SMS_BACKEND": "locmem"}
        began = time.perf_counter()
        prepared = child(["bench", "api", "--prepare"], env)
        setup_s = time.perf_counter() - began
        with serving(env, workers) as port:
            base = {"host": "127.0.0.1", "port": port, "seconds": seconds}
            first = _round(base, prepared, env, clients)
            if not cases:
                stack = {mode: phase({**base, "mode": mode}, env, clients) for mode in CEILING}
        burst = fresh = None
        at_n = None
        if cases:
            # Filled with the server stopped, then served by new processes: a site grows over months, and its
            # connections are renewed (CONN_MAX_AGE) long before; plans kept from the small tables would not be fair.
            fills["cases"] = child(
                ["bench", "api", "--fill", json.dumps({"cases": cases, "jurisdiction": prepared["jurisdiction"]})], env
            )
            if similar:
                pile = {"pile": similar, "jurisdiction": prepared["jurisdiction"], "spot": prepared["spot"]}
                fills["similar"] = child(["bench", "api", "--fill", json.dumps(pile)], env)
            with serving(env, workers) as port:
                base = {"host": "127.0.0.1", "port": port, "seconds": seconds}
                at_n = _round(base, prepared, env, clients)
                if similar:
                    # The burst's spot, then a fresh spot and category: POSTs at one building each.
                    burst, fresh = (
                        phase(
                            {
                                **base,
                                "mode": "post",
                                **prepared,
                                "buildings": [place["building"]],
                                "service_code": place["service_code"],
                            },
                            env,
                            clients,
                        )
                        for place in (prepared["spot"], prepared["fresh"])
                    )
                stack = {mode: phase({**base, "mode": mode}, env, clients) for mode in CEILING}
        raw = _pgbench(throwaway["GONGZHI_DATABASE_URL"], seconds)
    last = at_n or first
    post, get = last["post"], last["get"]
    post_ratio, get_ratio = post["rps"] / raw["insert"], get["rps"] / raw["read20"]
    post_ok, get_ok = post_ratio >= BUDGET_RATIO, get_ratio >= BUDGET_RATIO
    for mode, expected in CEILING.items():
        if stack[mode]["ok"] == 0:
            raise RuntimeError(f"the ceiling view {mode} never answered {expected}: {stack[mode]['counts']}")
    read_ceiling, insert_ceiling = stack["read20"]["rps"] / raw["read20"], stack["insert"]["rps"] / raw["insert"]
    minimal_ratio = post["rps"] / stack["insert"]["rps"]
    list_ok = last["list"]["rps"] >= LIST_BUDGET_RPS
    stdout.write(f"  setup: demo district + catalogue in {setup_s:.1f} s")
    rounds = [("at the demo's cases", first)] + ([(f"at {cases:,} cases", at_n)] if at_n else [])
    for title, r in rounds:
        stdout.write(f"  {title}:")
        _line(stdout, "POST /open311/v2/requests.json", r["post"])
        _line(stdout, "POST /api/v1/cases (Idempotency-Key)", r["exchange"])
        _line(stdout, "GET  /open311/v2/requests.json (default)", r["list"])
        _line(stdout, "GET  /open311/v2/requests.json?page_size=1000", r["list1000"])
        _line(stdout, "GET  /open311/v2/requests/ID.json", r["get"])
    if fills:
        stdout.write(
            "  filled: "
            + ", ".join(f"{v['filled']:,} {k} in {v['fill_s']} s" for k, v in fills.items())
            + " (cases with their timeline entry and triage record)"
        )
    if burst and fresh:
        _line(stdout, f"POST at a spot with {similar:,} similar open", burst)
        _line(stdout, "POST at a fresh spot and category", fresh)
    stdout.write("  the stack's ceiling, same server and clients:")
    _line(stdout, "minimal view, no database", stack["nothing"])
    _line(stdout, "minimal view, pgbench's SELECT", stack["read20"])
    _line(stdout, "minimal view, pgbench's INSERT", stack["insert"])
    stdout.write(f"  {'pgbench single-row INSERT':<44} {raw['insert']:>8.1f} tps (16 connections)")
    stdout.write(f"  {'pgbench 20-row SELECT':<44} {raw['read20']:>8.1f} tps (16 connections)")
    stdout.write(
        f"  POST / raw insert = {100 * post_ratio:.1f} % (budget ≥ {100 * BUDGET_RATIO:.0f} %): "
        f"{'PASS' if post_ok else 'FAIL'}; the minimal insert view reaches {100 * insert_ceiling:.1f} %"
    )
    stdout.write(
        f"  POST / minimal insert view = {100 * minimal_ratio:.1f} % (goal ≥ {100 * MINIMAL_BUDGET:.0f} %): "
        f"{'PASS' if minimal_ratio >= MINIMAL_BUDGET else 'FAIL'}"
    )
    stdout.write(
        f"  GET one / raw 20-row read = {100 * get_ratio:.1f} % (budget ≥ {100 * BUDGET_RATIO:.0f} %): "
        f"{'PASS' if get_ok else 'FAIL'}; the minimal read view reaches {100 * read_ceiling:.1f} %, "
        f"GET one = {100 * get['rps'] / stack['read20']['rps']:.0f} % of it"
    )
    stdout.write(
        f"  default list: {last['list']['rps']:.1f} req/s (budget ≥ {LIST_BUDGET_RPS:.0f}): "
        f"{'PASS' if list_ok else 'FAIL'}"
    )
    figures: dict[str, Any] = {
        "benchmark": "api",
        "cases": cases,
        "post_req_per_s": round(post["rps"], 1),
        "post_p95_ms": round(post["p95_ms"], 1),
        "exchange_req_per_s": round(last["exchange"]["rps"], 1),
        "list_req_per_s": round(last["list"]["rps"], 1),
        "list_p50_ms": round(last["list"]["p50_ms"], 1),
        "list1000_req_per_s": round(last["list1000"]["rps"], 1),
        "get_req_per_s": round(get["rps"], 1),
        "get_p95_ms": round(get["p95_ms"], 1),
        "raw_insert_tps": round(raw["insert"], 1),
        "raw_read20_tps": round(raw["read20"], 1),
        "post_ratio": round(post_ratio, 4),
        "get_ratio": round(get_ratio, 4),
        "budget_ratio": BUDGET_RATIO,
        "post_minimal_ratio": round(minimal_ratio, 4),
        "ceiling_nothing_req_per_s": round(stack["nothing"]["rps"], 1),
        "ceiling_read20_req_per_s": round(stack["read20"]["rps"], 1),
        "ceiling_insert_req_per_s": round(stack["insert"]["rps"], 1),
        "ceiling_read20_ratio": round(read_ceiling, 4),
        "ceiling_insert_ratio": round(insert_ceiling, 4),
        "clients": clients,
        "workers": workers,
        "seconds": seconds,
    }
    checks = [post_ok, get_ok, list_ok, minimal_ratio >= MINIMAL_BUDGET]
    if at_n:
        post_flat = at_n["post"]["rps"] / first["post"]["rps"]
        exchange_flat = at_n["exchange"]["rps"] / first["exchange"]["rps"]
        stdout.write(
            f"  flatness at {cases:,} cases: Open311 POST {100 * post_flat:.0f} %, exchange POST "
            f"{100 * exchange_flat:.0f} % of the rate at the demo's cases (budget ≥ {100 * FLAT_BUDGET:.0f} %): "
            f"{'PASS' if min(post_flat, exchange_flat) >= FLAT_BUDGET else 'FAIL'}"
        )
        figures |= {
            "post_at_0_req_per_s": round(first["post"]["rps"], 1),
            "exchange_at_0_req_per_s": round(first["exchange"]["rps"], 1),
            "list_at_0_req_per_s": round(first["list"]["rps"], 1),
            "post_flatness": round(post_flat, 4),
            "exchange_flatness": round(exchange_flat, 4),
            "fill_s": {k: v["fill_s"] for k, v in fills.items()},
        }
        checks.append(min(post_flat, exchange_flat) >= FLAT_BUDGET)
    if burst and fresh:
        burst_ratio = burst["rps"] / fresh["rps"]
        stdout.write(
            f"  burst: POST at the spot with {similar:,} similar open reports = {100 * burst_ratio:.0f} % of a fresh "
            f"spot (budget ≥ {100 * FLAT_BUDGET:.0f} %): {'PASS' if burst_ratio >= FLAT_BUDGET else 'FAIL'}"
        )
        figures |= {
            "similar": similar,
            "burst_req_per_s": round(burst["rps"], 1),
            "fresh_req_per_s": round(fresh["rps"], 1),
            "burst_ratio": round(burst_ratio, 4),
        }
        checks.append(burst_ratio >= FLAT_BUDGET)
    figures["pass"] = all(checks)
    stdout.write(json.dumps(figures))
    return figures
