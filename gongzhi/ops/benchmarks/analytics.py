"""``gongzhi bench analytics``: the command-centre dashboard at ten million cases on PostgreSQL.

Fills a throwaway PostgreSQL (as ``bench console`` does: the demo district and ``--cases`` cases in one
``INSERT … SELECT generate_series``, 30 s apart), builds their rollups with ``gongzhi analytics rebuild`` (the bulk
SQL build of analytics/bulk.py, which tests hold row-for-row equal to the worker's incremental path), then requests
every dashboard panel through Django's test client — the real views, selectors and middleware — and reports p50/p95
per panel:

- for the district (the whole dashboard = all panels one after another, as one page load asks for them);
- for single nodes (rotating over streets, communities and grids).

Then it measures the cost of keeping rollups current: it submits ``--submit`` cases through the case services (the
hot path), times them, and times the catch-up that folds their events in; the cost is catch-up time ÷ submission time.

Budget: whole district dashboard p95 ≤ 300 ms, any single-node panel p95 ≤ 100 ms, rollups ≤ 10 % of submission
time. The last line is one JSON object with the figures.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from argparse import ArgumentParser
from collections.abc import Mapping
from typing import Any

from gongzhi.ops.benchmarks import Writer, child, register, throwaway_environment
from gongzhi.ops.benchmarks.console import _fill, _percentile

DEFAULT_CASES = 10_000_000
BUDGET_DASHBOARD_MS = 300.0
BUDGET_NODE_MS = 100.0
BUDGET_ROLLUP_SHARE = 0.10
PANELS = ("headline", "trend", "categories", "heat", "rankings", "hot")


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("--cases", type=int, default=DEFAULT_CASES, help=f"cases to fill (default {DEFAULT_CASES:,})")
    parser.add_argument("--samples", type=int, default=50, help="dashboard loads per target (default 50)")
    parser.add_argument("--submit", type=int, default=2000, help="cases submitted to measure the rollup cost (2000)")
    parser.add_argument(
        "--use-current",
        action="store_true",
        help="fill and measure the database GONGZHI_DATABASE_URL names (it must be an empty PostgreSQL database)",
    )
    parser.add_argument("--worker", action="store_true", help="(internal) fill and measure the current database")


def _rollups() -> dict[str, Any]:
    from django.core.management import call_command

    began = time.perf_counter()
    call_command("analytics", "rebuild", "--batch", "20000", stdout=open(os.devnull, "w"))  # noqa: SIM115
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE analytics_rollup")
        cursor.execute("SELECT count(*) FROM analytics_rollup")
        rows = cursor.fetchone()[0]
    return {"rollup_s": round(time.perf_counter() - began, 1), "rollup_rows": rows}


def _measure(samples: int) -> dict[str, Any]:
    from django.conf import settings
    from django.test import Client
    from django.test.utils import override_settings

    from gongzhi.grid import roles
    from gongzhi.grid.models import GridNode, StaffPost

    centre = StaffPost.objects.filter(role=roles.COMMAND_CENTRE).select_related("user").first().user
    client = Client(HTTP_HOST="localhost", HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(centre)
    district = GridNode.objects.get(parent__isnull=True)
    nodes = list(GridNode.objects.filter(level__in=(roles.STREET, roles.COMMUNITY, roles.GRID)).order_by("?")[:40])
    static = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    per_panel: dict[str, dict[str, list[float]]] = {
        "district": {p: [] for p in PANELS},
        "node": {p: [] for p in PANELS},
    }
    dashboard: list[float] = []
    with override_settings(STORAGES={**settings.STORAGES, "staticfiles": static}):

        def get(url: str) -> float:
            began = time.perf_counter()
            response = client.get(url)
            elapsed = (time.perf_counter() - began) * 1000
            if response.status_code != 200:
                raise RuntimeError(f"{url} answered {response.status_code}")
            return elapsed

        for panel in PANELS:  # warm up
            get(f"/analytics/node/{district.pk}/panel/{panel}.json")
        for i in range(samples):
            total = get(f"/analytics/node/{district.pk}/")
            for panel in PANELS:
                ms = get(f"/analytics/node/{district.pk}/panel/{panel}.json")
                per_panel["district"][panel].append(ms)
                total += ms
            dashboard.append(total)
            node = nodes[i % len(nodes)]
            for panel in PANELS:
                per_panel["node"][panel].append(get(f"/analytics/node/{node.pk}/panel/{panel}.json"))
    figures: dict[str, Any] = {
        "dashboard_p50_ms": round(statistics.median(dashboard), 1),
        "dashboard_p95_ms": round(_percentile(dashboard, 0.95), 1),
    }
    for target, panels in per_panel.items():
        for panel, values in panels.items():
            figures[f"{target}_{panel}_p50_ms"] = round(statistics.median(values), 1)
            figures[f"{target}_{panel}_p95_ms"] = round(_percentile(values, 0.95), 1)
    figures["node_worst_p95_ms"] = max(figures[f"node_{p}_p95_ms"] for p in PANELS)
    return figures


def _rollup_cost(n: int) -> dict[str, Any]:
    """Submit n cases through the services (one transaction each, as requests do), then fold them in."""
    from gongzhi.analytics import rollup
    from gongzhi.cases import services
    from gongzhi.grid.models import Building, Jurisdiction

    rollup.catch_up()
    jurisdiction = Jurisdiction.objects.order_by("pk").first()
    buildings = list(Building.objects.filter(jurisdiction=jurisdiction).order_by("pk")[:500])
    began = time.perf_counter()
    for i in range(n):
        services.submit(
            jurisdiction=jurisdiction, channel="qr", title=f"测速问题 {i}", building=buildings[i % len(buildings)]
        )
    submit_s = time.perf_counter() - began
    began = time.perf_counter()
    refreshed = rollup.catch_up()
    catch_up_s = time.perf_counter() - began
    return {
        "submitted": n,
        "submit_per_s": round(n / submit_s, 1),
        "catch_up_s": round(catch_up_s, 3),
        "catch_up_cases": refreshed,
        "rollup_share": round(catch_up_s / submit_s, 4),
    }


def _worker(cases: int, samples: int, submit: int) -> dict[str, Any]:
    from django.db import connection

    if connection.vendor != "postgresql":
        raise RuntimeError("bench analytics measures PostgreSQL: set GONGZHI_DATABASE_URL or leave it to a throwaway")
    result: dict[str, Any] = {"cases": cases, "samples": samples}
    result.update(_fill(cases))
    result.update(_rollups())
    result.update(_measure(samples))
    result.update(_rollup_cost(submit))
    return result


@register(
    "analytics",
    help="command-centre dashboard panels at 10M cases on PostgreSQL, and the cost of keeping rollups current",
    arguments=add_arguments,
)
def run(stdout: Writer, options: Mapping[str, Any]) -> dict[str, Any]:
    cases = int(options.get("cases") or DEFAULT_CASES)
    samples = int(options.get("samples") or 50)
    submit = int(options.get("submit") or 2000)
    if options.get("worker") or options.get("use_current"):
        figures = _worker(cases, samples, submit)
        if options.get("worker"):
            stdout.write(json.dumps(figures))
            return figures
    else:
        stdout.write(f"gongzhi bench analytics: {cases:,} cases on a throwaway PostgreSQL, {samples} dashboard loads")
        with throwaway_environment(tuned=True) as env:
            argv = ["bench", "analytics", "--worker", "--cases", str(cases), "--samples", str(samples)]
            figures = child([*argv, "--submit", str(submit)], env, timeout=4 * 3600)
    stdout.write(
        f"  filled: demo district in {figures['setup_s']} s, {cases:,} cases in {figures['fill_s']} s, "
        f"rollups ({figures['rollup_rows']:,} rows) in {figures['rollup_s']} s"
    )
    ok_dashboard = figures["dashboard_p95_ms"] <= BUDGET_DASHBOARD_MS
    stdout.write(
        f"  whole district dashboard   p50 {figures['dashboard_p50_ms']:>7.1f} ms   "
        f"p95 {figures['dashboard_p95_ms']:>7.1f} ms   "
        f"budget p95 ≤ {BUDGET_DASHBOARD_MS:.0f} ms: {'PASS' if ok_dashboard else 'FAIL'}"
    )
    for target in ("district", "node"):
        for panel in PANELS:
            stdout.write(
                f"    {target:<8} {panel:<11} p50 {figures[f'{target}_{panel}_p50_ms']:>7.1f} ms   "
                f"p95 {figures[f'{target}_{panel}_p95_ms']:>7.1f} ms"
            )
    ok_node = figures["node_worst_p95_ms"] <= BUDGET_NODE_MS
    stdout.write(
        f"  single node, worst panel p95 {figures['node_worst_p95_ms']:.1f} ms   budget ≤ {BUDGET_NODE_MS:.0f} ms: "
        f"{'PASS' if ok_node else 'FAIL'}"
    )
    ok_rollup = figures["rollup_share"] <= BUDGET_ROLLUP_SHARE
    stdout.write(
        f"  rollups: {figures['submitted']} submissions at {figures['submit_per_s']}/s, "
        f"catch-up {figures['catch_up_s']} s = {figures['rollup_share'] * 100:.1f} % of submission time   "
        f"budget ≤ {BUDGET_ROLLUP_SHARE * 100:.0f} %: "
        f"{'PASS' if ok_rollup else 'FAIL'}"
    )
    passed = ok_dashboard and ok_node and ok_rollup
    figures.update(
        {
            "benchmark": "analytics",
            "budget_dashboard_p95_ms": BUDGET_DASHBOARD_MS,
            "budget_node_p95_ms": BUDGET_NODE_MS,
            "budget_rollup_share": BUDGET_ROLLUP_SHARE,
            "pass": passed,
        }
    )
    stdout.write(json.dumps(figures))
    return figures
