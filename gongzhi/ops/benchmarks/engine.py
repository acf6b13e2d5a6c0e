"""``gongzhi bench engine``: full case cycles per second on SQLite and PostgreSQL, and the simulator's wall time.

A cycle is submit → triage → dispatch (to a micro-grid pool) → accept → resolve → rate (satisfied, which closes it):
six service calls, each its own transaction with its row lock, event, notifications and text messages (delivered
right after the commit, GONGZHI_SMS_DELIVERY=commit, the default), exactly as a web request runs them. Each database
is prepared on a fresh database (SQLite in a temporary data directory, PostgreSQL in a throwaway cluster); then
``--processes`` processes (default 2, the web tier's worker count the budget was measured with) run cycles at the
same time on different buildings, so the figure is what the engine sustains behind that web tier.

The web tier it is compared with is measured in the same run, on the same database and machine: the production server
command (``gongzhi run``, granian, ``--processes`` workers) serving the minimal Django view that does one insert
(benchmarks.ceiling, as ``bench api`` uses it), driven for ``--web-seconds`` by eight keep-alive clients in two
client processes on the same cores. A figure measured on another machine would not move with this one: on one day
the same code read 0.45× to 0.77× of the fixed 1,255 req/s of shared/ENVIRONMENT.md (gunicorn, 2 workers), which is
still printed beside it.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from argparse import ArgumentParser
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gongzhi.ops.benchmarks import Writer, api, ceiling, child, register

SIMULATION_BUDGET_S = 120.0
TRIAGE_BUDGET_MS = 5.0  # issue 7: smart triage adds at most this to a submission
TRIAGE_SAMPLES = 200
# "The engine never the bottleneck behind the web tier": one service call per request must keep up with what the web
# tier serves of a minimal Django view doing one insert — measured in the run (see the module); shared/ENVIRONMENT.md's
# figure (gunicorn, 2 workers, another machine) is printed beside it, and used with --web-seconds 0.
WEB_TIER_REQ_PER_S = 1255.0
WEB_TIER_WORKERS = 2
WEB_TIER_CLIENTS = 8
ACTIONS = ("submit", "triage", "dispatch", "accept", "resolve", "rate")


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("--cycles", type=int, default=400, help="full cycles per database (default 400)")
    parser.add_argument("--months", type=int, default=15, help="months for the simulator run (default 15)")
    parser.add_argument("--no-simulate", action="store_true", help="skip the simulator run")
    parser.add_argument("--no-postgres", action="store_true", help="skip PostgreSQL")
    parser.add_argument(
        "--web-seconds",
        type=float,
        default=5.0,
        help="seconds of the web tier's minimal insert view per database (default 5; 0: compare with the fixed "
        "figure of shared/ENVIRONMENT.md instead)",
    )
    parser.add_argument(
        "--processes", type=int, default=WEB_TIER_WORKERS, help="processes running cycles at once (default 2)"
    )
    parser.add_argument("--worker", action="store_true", help="(internal) measure the current database")
    parser.add_argument("--prepare", action="store_true", help="(internal) build the demo district")
    parser.add_argument("--offset", type=int, default=0, help="(internal) first building of this process")


def _children(
    commands: list[list[str]],
    env_extra: dict[str, str],
    timeout: float = 900,
    program: tuple[str, ...] = (sys.executable, "-m", "gongzhi"),
) -> list[dict[str, Any]]:
    """Run several ``gongzhi`` commands (``program`` + each) at the same time; the last JSON line of each.

    Their output goes to files, not pipes: read one after another, a pipe left unread fills (64 KB; the console text
    messages alone are ~75 KB per 150 cycles) and stops its process until the ones before it have ended — which once
    halved the figure of two processes."""
    env = {**os.environ, **env_extra}
    with tempfile.TemporaryDirectory(prefix="gongzhi-bench-out-") as out_dir:
        running = []
        for i, args in enumerate(commands):
            with open(f"{out_dir}/{i}.out", "w") as out, open(f"{out_dir}/{i}.err", "w") as err:
                running.append(subprocess.Popen([*program, *args], env=env, stdout=out, stderr=err))
        deadline = time.monotonic() + timeout
        results = []
        try:
            for i, (args, process) in enumerate(zip(commands, running, strict=True)):
                process.wait(timeout=max(deadline - time.monotonic(), 0))
                out, err = (Path(f"{out_dir}/{i}.{kind}").read_text() for kind in ("out", "err"))
                lines = [line for line in out.strip().splitlines() if line.startswith("{")]
                if process.returncode != 0 or not lines:
                    raise RuntimeError(f"`gongzhi {' '.join(args)}` failed:\n{out[-2000:]}\n{err[-3000:]}")
                results.append(json.loads(lines[-1]))
        finally:  # one failed or took too long: the others are not left running
            for process in running:
                if process.poll() is None:
                    process.kill()
                    process.wait()
    return results


def _prepare() -> dict[str, Any]:
    """In a child: a fresh database with the demo district and its catalogue."""
    from django.conf import settings
    from django.core.management import call_command

    from gongzhi.cases import catalogue
    from gongzhi.grid import demo

    call_command("migrate", verbosity=0, interactive=False)
    from gongzhi.ops.management.commands.triage import prepare_demo as prepare_triage

    jurisdiction = demo.build_demo(password=settings.GONGZHI_DEMO_PASSWORD).jurisdiction
    catalogue.seed(jurisdiction=jurisdiction)
    prepare_triage(jurisdiction)  # the demo model and place names: every submission goes through triage
    ceiling.create_table(rows=1_000)  # the web tier's minimal insert view writes here
    return {"prepared": jurisdiction.pk}


def _measure(cycles: int, offset: int) -> dict[str, Any]:
    """In a child: timed cycles on the prepared database, on buildings from ``offset`` on."""
    from django.db import connection

    from gongzhi.cases import services
    from gongzhi.cases.models import CaseCategory
    from gongzhi.grid import roles
    from gongzhi.grid import selectors as grid_selectors
    from gongzhi.grid.models import Building, Jurisdiction, StaffPost

    jurisdiction = Jurisdiction.objects.get(code="demo")
    category = (
        CaseCategory.objects.filter(jurisdiction=jurisdiction, default_level=roles.MICRO_GRID, children__isnull=True)
        .order_by("code")
        .first()
    )
    stewards = {p.node_id: p.user for p in StaffPost.objects.filter(role=roles.STEWARD).select_related("user")}
    dispatchers = {
        p.node_id: p.user for p in StaffPost.objects.filter(role=roles.COMMUNITY_STAFF).select_related("user")
    }
    buildings = list(Building.objects.order_by("pk")[offset : offset + max(cycles, 1)])
    timings: dict[str, list[float]] = {a: [] for a in ACTIONS}

    def timed(action: str, fn: Any) -> Any:
        began = time.perf_counter()
        result = fn()
        timings[action].append(time.perf_counter() - began)
        return result

    # Warm-up outside the measurement: first-use costs (calendar, geo index, template registry).
    began_all = None
    for i in range(cycles + 20):
        if i == 20:
            began_all = time.perf_counter()
            for values in timings.values():
                values.clear()
        building = buildings[i % len(buildings)]
        case = timed(
            "submit",
            lambda b=building, n=offset + i: services.submit(
                jurisdiction=jurisdiction,
                channel="qr",
                title="楼道灯不亮",
                building=b,
                # A number of its own per report, as residents have (no cache keyed by the number gets to look good).
                reporter_phone=f"139{n:08d}",
            ),
        )
        dispatcher = dispatchers[case.owner_node_id]
        timed("triage", lambda c=case, d=dispatcher: services.triage(case=c, actor=d, category=category))
        # The target as the console hands it over, from the grid's node cache (``building.node`` would load it
        # with an ORM query per building and count that against the engine).
        target = grid_selectors.node(building.node_id)
        timed("dispatch", lambda c=case, d=dispatcher, n=target: services.dispatch(case=c, actor=d, node=n, pool=True))
        steward = stewards[building.node_id]
        timed("accept", lambda c=case, s=steward: services.accept(case=c, actor=s))
        timed("resolve", lambda c=case, s=steward: services.resolve(case=c, actor=s, result="已修复"))
        timed(
            "rate",
            lambda c=case: services.rate(case=c, actor=None, score="satisfied", solved=True, verified_reporter=True),
        )
    assert began_all is not None
    wall = time.perf_counter() - began_all
    return {
        "engine": connection.vendor,
        "cycles": cycles,
        "wall_s": round(wall, 3),
        "triage": _measure_triage(jurisdiction, buildings[cycles % len(buildings) :] or buildings),
        "timings": {a: [round(x * 1000, 3) for x in v] for a, v in timings.items()},
    }


TRIAGE_TEXTS = (
    ("楼道灯不亮", ""),
    ("垃圾桶满了好几天没人收", "东门那边，臭味很大，请尽快处理"),
    ("楼上天天半夜装修", "电钻声很吵，孩子睡不着"),
    ("电动车在楼道里飞线充电", ""),
    ("厨房闻到一股煤气味", "不敢开火，请快来看看"),
)


def _measure_triage(jurisdiction: Any, buildings: list[Any]) -> dict[str, float]:
    """What smart triage adds to ``submit``: the same submissions with triage on and with it stubbed out,
    interleaved so both see the same database; plus the classifier alone."""
    from gongzhi.cases import services
    from gongzhi.routing import services as routing

    real_suggest, real_record = routing.suggest, routing.record
    on: list[float] = []
    off: list[float] = []
    try:
        for i in range(TRIAGE_SAMPLES * 2):
            title, body = TRIAGE_TEXTS[i % len(TRIAGE_TEXTS)]
            triage_on = i % 2 == 0
            if triage_on:
                services.routing.suggest, services.routing.record = real_suggest, real_record  # type: ignore[attr-defined]
            else:
                services.routing.suggest = lambda **kw: routing.Suggestion()  # type: ignore[attr-defined]
                services.routing.record = lambda **kw: None  # type: ignore[attr-defined]
            began = time.perf_counter()
            services.submit(
                jurisdiction=jurisdiction,
                channel="web",
                title=title,
                description=body,
                building=buildings[i % len(buildings)],
            )
            (on if triage_on else off).append((time.perf_counter() - began) * 1000)
    finally:
        services.routing.suggest, services.routing.record = real_suggest, real_record  # type: ignore[attr-defined]
    _version, model = routing.active_model(jurisdiction.pk)
    predict: list[float] = []
    if model is not None:
        for i in range(TRIAGE_SAMPLES):
            title, body = TRIAGE_TEXTS[i % len(TRIAGE_TEXTS)]
            began = time.perf_counter()
            model.predict(title, body)
            predict.append((time.perf_counter() - began) * 1000)
    return {
        "submit_on_p50_ms": round(statistics.median(on), 3),
        "submit_off_p50_ms": round(statistics.median(off), 3),
        "added_p50_ms": round(statistics.median(on) - statistics.median(off), 3),
        "added_p95_ms": round(statistics.quantiles(on, n=20)[-1] - statistics.quantiles(off, n=20)[-1], 3),
        "predict_p50_ms": round(statistics.median(predict), 3) if predict else 0.0,
    }


def _web_tier(env: dict[str, str], processes: int, seconds: float) -> dict[str, Any]:
    """The web tier on the prepared database: requests per second of the minimal insert view through the production
    server with ``processes`` workers (see the module)."""
    full_env = {**os.environ, **env}
    with api.serving(full_env, processes) as port:
        api.phase({"host": "127.0.0.1", "port": port, "seconds": 1.0, "mode": "insert"}, full_env, WEB_TIER_CLIENTS)
        measured = api.phase(
            {"host": "127.0.0.1", "port": port, "seconds": seconds, "mode": "insert"}, full_env, WEB_TIER_CLIENTS
        )
    if measured["ok"] == 0:
        raise RuntimeError(f"the web tier's insert view never answered 201: {measured['counts']}")
    return {
        "req_per_s": round(measured["rps"], 1),
        "p50_ms": round(measured["p50_ms"], 2),
        "workers": processes,
        "clients": WEB_TIER_CLIENTS,
        "seconds": seconds,
    }


def _measure_database(cycles: int, processes: int, env: dict[str, str], web_seconds: float) -> dict[str, Any]:
    """Prepare one database, then run ``processes`` measuring children at once; their figures combined; then the
    web tier on the same database (unless ``web_seconds`` is 0)."""
    child(["bench", "engine", "--prepare"], env)
    per_process = max(cycles // processes, 1)
    runs = _children(
        [
            ["bench", "engine", "--worker", "--cycles", str(per_process), "--offset", str(i * (per_process + 20))]
            for i in range(processes)
        ],
        env,
    )
    web = _web_tier(env, processes, web_seconds) if web_seconds > 0 else None
    wall = max(r["wall_s"] for r in runs)
    done = per_process * processes
    merged = {a: [x for r in runs for x in r["timings"][a]] for a in ACTIONS}
    return {
        "engine": runs[0]["engine"],
        "processes": processes,
        "cycles": done,
        "cycles_per_s": round(done / wall, 1),
        "calls_per_s": round(done * len(ACTIONS) / wall, 1),
        **{f"{a}_p50_ms": round(statistics.median(v), 2) for a, v in merged.items()},
        **{f"{a}_p95_ms": round(statistics.quantiles(v, n=20)[-1], 2) for a, v in merged.items()},
        "triage": runs[0]["triage"],
        "web_tier": web,
    }


@register(
    "engine",
    help="full case cycles per second on SQLite and PostgreSQL, and the simulator wall time",
    arguments=add_arguments,
)
def run(stdout: Writer, options: Mapping[str, Any]) -> dict[str, Any]:
    cycles = int(options.get("cycles") or 400)
    processes = max(int(options.get("processes") or WEB_TIER_WORKERS), 1)
    if options.get("prepare"):
        figures = _prepare()
        stdout.write(json.dumps(figures))
        return figures
    if options.get("worker"):
        figures = _measure(cycles, int(options.get("offset") or 0))
        stdout.write(json.dumps(figures))
        return figures

    from gongzhi.ops.pgserver import PostgresUnavailable, throwaway_postgres

    web_seconds = float(options.get("web_seconds") or 0)  # argparse gives 5 unless told otherwise
    results: dict[str, Any] = {"benchmark": "engine", "cycles": cycles}
    stdout.write(
        f"gongzhi bench engine: {cycles} full cycles ({' → '.join(ACTIONS)} → closed) per database, "
        f"{processes} process(es) at once"
    )
    with tempfile.TemporaryDirectory(prefix="gongzhi-bench-") as tmp:
        results["sqlite"] = _measure_database(
            cycles, processes, {"GONGZHI_DATA_DIR": f"{tmp}/sqlite", "GONGZHI_DATABASE_URL": ""}, web_seconds
        )
        if not options.get("no_postgres"):
            try:
                with throwaway_postgres() as url:
                    results["postgresql"] = _measure_database(
                        cycles, processes, {"GONGZHI_DATA_DIR": f"{tmp}/pg", "GONGZHI_DATABASE_URL": url}, web_seconds
                    )
            except PostgresUnavailable as exc:
                stdout.write(f"  PostgreSQL skipped: {exc}")
        for name in ("sqlite", "postgresql"):
            r = results.get(name)
            if r:
                per_action = ", ".join(f"{a} {r[f'{a}_p50_ms']:.1f}" for a in ACTIONS)
                stdout.write(
                    f"  {name:<10} {r['cycles_per_s']:>7.1f} cycles/s = {r['calls_per_s']:>7.1f} service "
                    f"calls/s; p50 ms: {per_action}"
                )
                web = r["web_tier"]
                reference = web["req_per_s"] if web else WEB_TIER_REQ_PER_S
                r["keeps_up_with_web_tier"] = r["calls_per_s"] >= reference
                tr = r["triage"]
                r["triage_pass"] = tr["added_p50_ms"] <= TRIAGE_BUDGET_MS
                stdout.write(
                    f"  {'':<10} smart triage adds {tr['added_p50_ms']:.2f} ms p50 / {tr['added_p95_ms']:.2f} ms p95 "
                    f"to submit ({tr['submit_off_p50_ms']:.2f} → {tr['submit_on_p50_ms']:.2f} ms; classifier alone "
                    f"{tr['predict_p50_ms']:.3f} ms); budget ≤ {TRIAGE_BUDGET_MS:.0f} ms: "
                    f"{'PASS' if r['triage_pass'] else 'FAIL'}"
                )
                fixed = f"shared/ENVIRONMENT.md's {WEB_TIER_REQ_PER_S:,.0f} req/s"
                if web:
                    stdout.write(
                        f"  {'':<10} web tier here: the minimal insert view through `gongzhi run` ({web['workers']} "
                        f"workers, {web['clients']} clients, {web['seconds']:g} s): {web['req_per_s']:,.1f} req/s, "
                        f"p50 {web['p50_ms']:.1f} ms"
                    )
                stdout.write(
                    f"  {'':<10} budget: service calls/s ≥ web tier "
                    f"{f'measured here {reference:,.0f} req/s' if web else fixed} "
                    f"({r['calls_per_s'] / reference:.2f}×): {'PASS' if r['keeps_up_with_web_tier'] else 'FAIL'}"
                    + (f"; {fixed}: {r['calls_per_s'] / WEB_TIER_REQ_PER_S:.2f}×" if web else "")
                )
        if not options.get("no_simulate"):
            months = int(options.get("months") or 15)
            sim = child(
                ["simulate", "--months", str(months), "--quiet"],
                {"GONGZHI_DATA_DIR": f"{tmp}/sim", "GONGZHI_DATABASE_URL": ""},
                timeout=1800,
            )
            results["simulate"] = {k: sim[k] for k in ("months", "wall_seconds", "service_calls", "received")}
            ok = sim["wall_seconds"] <= SIMULATION_BUDGET_S * months / 15
            results["simulate_pass"] = ok
            stdout.write(
                f"  simulate   {months} months, {sim['received']:,} cases, {sim['service_calls']:,} service "
                f"calls in {sim['wall_seconds']:.1f} s on SQLite (budget ≤ {SIMULATION_BUDGET_S:.0f} s for "
                f"15 months): {'PASS' if ok else 'FAIL'}"
            )
    checks = [results.get("simulate_pass")] + [
        results[name][check]
        for name in ("sqlite", "postgresql")
        if name in results
        for check in ("keeps_up_with_web_tier", "triage_pass")
    ]
    results["pass"] = all(c for c in checks if c is not None)
    stdout.write(json.dumps(results))
    return results
