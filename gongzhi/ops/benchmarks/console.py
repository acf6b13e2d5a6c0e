"""``gongzhi bench console``: the staff console's lists at a million cases on PostgreSQL.

Fills a PostgreSQL database (a throwaway cluster unless ``GONGZHI_DATABASE_URL`` is set … and ``--use-current`` is
given) with the demo district and ``--cases`` cases in one ``INSERT … SELECT generate_series`` (not the ORM row by
row), then requests the real console pages through Django's test client — the same views, selectors, templates and
middleware as production — and reports p50/p95 per page:

- my tasks (``/console/tasks/``) of stewards holding accepted cases;
- the dispatcher queue (``/console/queue/``) of community dispatchers;
- the command-centre list (``/console/cases/?…``) of the district operator, under rotating filters.

Budget: p95 ≤ 100 ms for each. The last line is one JSON object with the figures.
"""

from __future__ import annotations

import json
import statistics
import time
from argparse import ArgumentParser
from collections.abc import Mapping
from typing import Any

from gongzhi.ops.benchmarks import Writer, child, filling, register, throwaway_environment

BUDGET_P95_MS = 100.0
DEFAULT_CASES = 1_000_000
PAGES = ("my_tasks", "dispatcher_queue", "command_list")


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("--cases", type=int, default=DEFAULT_CASES, help=f"cases to fill (default {DEFAULT_CASES:,})")
    parser.add_argument("--samples", type=int, default=200, help="requests per page (default 200)")
    parser.add_argument(
        "--use-current",
        action="store_true",
        help="fill and measure the database GONGZHI_DATABASE_URL names (it must be an empty PostgreSQL database)",
    )
    parser.add_argument("--worker", action="store_true", help="(internal) fill and measure the current database")


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


# ------------------------------------------------------------------------------------------------------ filling


def _fill(n: int) -> dict[str, Any]:
    """The demo district, its catalogue, and ``n`` cases written by PostgreSQL itself (benchmarks.filling)."""
    from django.conf import settings
    from django.core.management import call_command
    from django.utils import timezone

    from gongzhi.cases import catalogue
    from gongzhi.cases.models import CaseCategory
    from gongzhi.grid import demo

    began = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    jurisdiction = demo.build_demo(password=settings.GONGZHI_DEMO_PASSWORD).jurisdiction
    catalogue.seed(jurisdiction=jurisdiction)
    setup_s = time.perf_counter() - began

    categories = list(
        CaseCategory.objects.filter(jurisdiction=jurisdiction, children__isnull=True)
        .order_by("code")
        .values_list("pk", flat=True)
    )
    began = time.perf_counter()
    filling.fill_cases(
        jurisdiction_id=jurisdiction.pk,
        n=n,
        places=filling.district_places(jurisdiction.pk),
        categories=categories,
        now=timezone.now(),
    )
    fill_s = time.perf_counter() - began
    return {"setup_s": round(setup_s, 1), "fill_s": round(fill_s, 1), "jurisdiction": jurisdiction.pk}


# ---------------------------------------------------------------------------------------------------- measuring


def _measure(samples: int) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.test.utils import override_settings

    from gongzhi.cases.models import Case, CaseCategory
    from gongzhi.grid import roles
    from gongzhi.grid.models import GridNode, StaffPost

    user_model = get_user_model()
    steward_ids = list(
        Case.objects.filter(status="accepted", handler_user__isnull=False)
        .values_list("handler_user_id", flat=True)
        .distinct()[:50]
    )
    stewards = list(user_model.objects.filter(pk__in=steward_ids))
    dispatchers = [p.user for p in StaffPost.objects.filter(role=roles.COMMUNITY_STAFF).select_related("user")[:50]]
    centre = StaffPost.objects.filter(role=roles.COMMAND_CENTRE).select_related("user").first().user
    category = CaseCategory.objects.filter(children__isnull=True).order_by("code").first()
    community = GridNode.objects.filter(level=roles.COMMUNITY).order_by("path").first()
    filters = [
        "?status=accepted",
        "?status=accepted&level=micro_grid",
        "?sla_state=breached&open_only=on",
        "?channel=hotline&open_only=on",
        f"?category={category.pk}",
        f"?node={community.pk}",
        f"?node={community.pk}&status=submitted",
        "?status=closed&date_from=2000-01-01",
        "",
    ]
    timings: dict[str, list[float]] = {p: [] for p in PAGES}
    per_filter: dict[str, list[float]] = {f or "(none)": [] for f in filters}

    def client_for(user: Any) -> Client:
        client = Client(HTTP_HOST="localhost", HTTP_ACCEPT_LANGUAGE="zh-hans")
        client.force_login(user)
        return client

    static = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    from django.conf import settings

    with override_settings(STORAGES={**settings.STORAGES, "staticfiles": static}):
        clients = {
            "my_tasks": [client_for(u) for u in stewards],
            "dispatcher_queue": [client_for(u) for u in dispatchers],
            "command_list": [client_for(centre)],
        }
        urls = {"my_tasks": "/console/tasks/", "dispatcher_queue": "/console/queue/", "command_list": "/console/cases/"}
        for page in PAGES:
            pool = clients[page]
            for i in range(min(10, samples)):  # warm up connections, caches, templates
                pool[i % len(pool)].get(urls[page] + (filters[i % len(filters)] if page == "command_list" else ""))
            for i in range(samples):
                query = filters[i % len(filters)] if page == "command_list" else ""
                began = time.perf_counter()
                response = pool[i % len(pool)].get(urls[page] + query)
                elapsed = (time.perf_counter() - began) * 1000
                if response.status_code != 200:
                    raise RuntimeError(f"{urls[page]}{query} answered {response.status_code}")
                timings[page].append(elapsed)
                if page == "command_list":
                    per_filter[query or "(none)"].append(elapsed)
    figures: dict[str, Any] = {}
    for page, values in timings.items():
        figures[f"{page}_p50_ms"] = round(statistics.median(values), 1)
        figures[f"{page}_p95_ms"] = round(_percentile(values, 0.95), 1)
    figures["command_list_by_filter_p95_ms"] = {k: round(_percentile(v, 0.95), 1) for k, v in per_filter.items()}
    figures["open_cases"] = Case.objects.filter(status__in=("submitted", "triaged", "dispatched", "accepted")).count()
    return figures


def _worker(cases: int, samples: int) -> dict[str, Any]:
    from django.db import connection

    if connection.vendor != "postgresql":
        raise RuntimeError("bench console measures PostgreSQL: set GONGZHI_DATABASE_URL or leave it to a throwaway")
    result = {"cases": cases, "samples": samples}
    result.update(_fill(cases))
    result.update(_measure(samples))
    return result


@register(
    "console",
    help="console lists (my tasks, dispatcher queue, command centre) at 1M cases on PostgreSQL",
    arguments=add_arguments,
)
def run(stdout: Writer, options: Mapping[str, Any]) -> dict[str, Any]:
    cases = int(options.get("cases") or DEFAULT_CASES)
    samples = int(options.get("samples") or 200)
    if options.get("worker") or options.get("use_current"):
        figures = _worker(cases, samples)
        if options.get("worker"):
            stdout.write(json.dumps(figures))
            return figures
    else:
        stdout.write(f"gongzhi bench console: {cases:,} cases on a throwaway PostgreSQL, {samples} requests per page")
        with throwaway_environment(tuned=True) as env:
            argv = ["bench", "console", "--worker", "--cases", str(cases), "--samples", str(samples)]
            figures = child(argv, env, timeout=3600)
    stdout.write(
        f"  filled: demo district + catalogue in {figures['setup_s']} s, {cases:,} cases in {figures['fill_s']} s "
        f"({figures['open_cases']:,} open)"
    )
    passed = True
    for page in PAGES:
        p50, p95 = figures[f"{page}_p50_ms"], figures[f"{page}_p95_ms"]
        ok = p95 <= BUDGET_P95_MS
        passed &= ok
        stdout.write(
            f"  {page:<17} p50 {p50:>6.1f} ms   p95 {p95:>6.1f} ms   budget p95 ≤ {BUDGET_P95_MS:.0f} ms: "
            f"{'PASS' if ok else 'FAIL'}"
        )
    for name, p95 in figures["command_list_by_filter_p95_ms"].items():
        stdout.write(f"    command list {name:<40} p95 {p95:>6.1f} ms")
    figures.update({"benchmark": "console", "budget_p95_ms": BUDGET_P95_MS, "pass": passed})
    stdout.write(json.dumps(figures))
    return figures
