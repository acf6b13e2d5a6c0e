"""``gongzhi bench engine``: full case cycles per second on SQLite and PostgreSQL, and the simulator's wall time.

A cycle is submit → triage → dispatch (to a micro-grid pool) → accept → resolve → rate (satisfied, which closes it):
six service calls, each its own transaction with its row lock, event and after-commit notifications, exactly as in
production. Each database is measured in a child process on a fresh database (SQLite in a temporary data directory,
PostgreSQL in a throwaway cluster), so the figures do not depend on what the current database holds.
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
from typing import Any

from gongzhi.ops.benchmarks import Writer, register

SIMULATION_BUDGET_S = 120.0
# "The engine never the bottleneck behind the web tier": a minimal Django view doing one insert serves ~1,255 req/s
# on these machines (shared/ENVIRONMENT.md, gunicorn, 2 workers); one service call per request must keep up.
WEB_TIER_REQ_PER_S = 1255.0
ACTIONS = ("submit", "triage", "dispatch", "accept", "resolve", "rate")


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("--cycles", type=int, default=400, help="full cycles per database (default 400)")
    parser.add_argument("--months", type=int, default=15, help="months for the simulator run (default 15)")
    parser.add_argument("--no-simulate", action="store_true", help="skip the simulator run")
    parser.add_argument("--no-postgres", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--worker", action="store_true", help="(internal) measure the current database")


def _child(args: list[str], env_extra: dict[str, str], timeout: float = 900) -> dict[str, Any]:
    env = {**os.environ, **env_extra}
    done = subprocess.run(
        [sys.executable, "-m", "gongzhi", *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    lines = [line for line in done.stdout.strip().splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"`gongzhi {' '.join(args)}` failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return json.loads(lines[-1])


def _prepare_and_measure(cycles: int) -> dict[str, Any]:
    """In the worker: a fresh database with the demo district, then timed cycles."""
    from django.conf import settings
    from django.core.management import call_command

    from gongzhi.cases import catalogue, services
    from gongzhi.cases.models import CaseCategory
    from gongzhi.grid import demo, roles
    from gongzhi.grid.models import Building, StaffPost

    call_command("migrate", verbosity=0, interactive=False)
    jurisdiction = demo.build_demo(password=settings.GONGZHI_DEMO_PASSWORD).jurisdiction
    catalogue.seed(jurisdiction=jurisdiction)
    category = (
        CaseCategory.objects.filter(jurisdiction=jurisdiction, default_level=roles.MICRO_GRID, children__isnull=True)
        .order_by("code")
        .first()
    )
    stewards = {p.node_id: p.user for p in StaffPost.objects.filter(role=roles.STEWARD).select_related("user")}
    dispatchers = {
        p.node_id: p.user for p in StaffPost.objects.filter(role=roles.COMMUNITY_STAFF).select_related("user")
    }
    buildings = list(Building.objects.select_related("node").order_by("pk")[: max(cycles, 1)])
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
            lambda b=building: services.submit(
                jurisdiction=jurisdiction, channel="qr", title="楼道灯不亮", building=b, reporter_phone="13800138000"
            ),
        )
        dispatcher = dispatchers[case.owner_node_id]
        timed("triage", lambda c=case, d=dispatcher: services.triage(case=c, actor=d, category=category))
        timed(
            "dispatch",
            lambda c=case, d=dispatcher, b=building: services.dispatch(case=c, actor=d, node=b.node, pool=True),
        )
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
        "engine": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
        "cycles": cycles,
        "cycles_per_s": round(cycles / wall, 1),
        "calls_per_s": round(cycles * len(ACTIONS) / wall, 1),
        **{f"{a}_p50_ms": round(statistics.median(v) * 1000, 2) for a, v in timings.items()},
        **{f"{a}_p95_ms": round(statistics.quantiles(v, n=20)[-1] * 1000, 2) for a, v in timings.items()},
    }


@register(
    "engine",
    help="full case cycles per second on SQLite and PostgreSQL, and the simulator wall time",
    arguments=add_arguments,
)
def run(stdout: Writer, options: Mapping[str, Any]) -> dict[str, Any]:
    cycles = int(options.get("cycles") or 400)
    if options.get("worker"):
        figures = _prepare_and_measure(cycles)
        stdout.write(json.dumps(figures))
        return figures

    from gongzhi.ops.pgserver import PostgresUnavailable, throwaway_postgres

    results: dict[str, Any] = {"benchmark": "engine", "cycles": cycles}
    stdout.write(f"gongzhi bench engine: {cycles} full cycles ({' → '.join(ACTIONS)} → closed) per database")
    with tempfile.TemporaryDirectory(prefix="gongzhi-bench-") as tmp:
        sqlite = _child(
            ["bench", "engine", "--worker", "--cycles", str(cycles)],
            {"GONGZHI_DATA_DIR": f"{tmp}/sqlite", "GONGZHI_DATABASE_URL": ""},
        )
        results["sqlite"] = sqlite
        if not options.get("no_postgres"):
            try:
                with throwaway_postgres() as url:
                    results["postgresql"] = _child(
                        ["bench", "engine", "--worker", "--cycles", str(cycles)],
                        {"GONGZHI_DATA_DIR": f"{tmp}/pg", "GONGZHI_DATABASE_URL": url},
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
                r["keeps_up_with_web_tier"] = r["calls_per_s"] >= WEB_TIER_REQ_PER_S
                stdout.write(
                    f"  {'':<10} budget: service calls/s ≥ web tier {WEB_TIER_REQ_PER_S:,.0f} req/s "
                    f"({r['calls_per_s'] / WEB_TIER_REQ_PER_S:.2f}×): "
                    f"{'PASS' if r['keeps_up_with_web_tier'] else 'FAIL'}"
                )
        if not options.get("no_simulate"):
            months = int(options.get("months") or 15)
            sim = _child(
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
        results[name]["keeps_up_with_web_tier"] for name in ("sqlite", "postgresql") if name in results
    ]
    results["pass"] = all(c for c in checks if c is not None)
    stdout.write(json.dumps(results))
    return results
