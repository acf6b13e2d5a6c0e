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

from gongzhi.ops.benchmarks import Writer, child, register, throwaway_environment

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
    """The demo district, its catalogue, and ``n`` cases written by PostgreSQL itself in one statement."""
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from gongzhi.cases import catalogue
    from gongzhi.cases.models import Case, CaseCategory
    from gongzhi.grid import demo, roles
    from gongzhi.grid.models import GridNode, StaffPost

    began = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    jurisdiction = demo.build_demo(password=settings.GONGZHI_DEMO_PASSWORD).jurisdiction
    catalogue.seed(jurisdiction=jurisdiction)
    setup_s = time.perf_counter() - began

    micro = list(
        GridNode.objects.filter(jurisdiction=jurisdiction, level=roles.MICRO_GRID)
        .order_by("path")
        .values_list("pk", "path")
    )
    communities = dict(
        GridNode.objects.filter(jurisdiction=jurisdiction, level=roles.COMMUNITY).values_list("path", "pk")
    )
    steward_of = {}
    for node_id, user_id in StaffPost.objects.filter(role=roles.STEWARD, active=True).values_list("node_id", "user_id"):
        steward_of.setdefault(node_id, user_id)
    micro_ids = [pk for pk, _ in micro]
    owner_ids = [communities[path[:12]] for _, path in micro]
    steward_ids = [steward_of.get(pk) or 0 for pk in micro_ids]
    categories = list(
        CaseCategory.objects.filter(jurisdiction=jurisdiction, children__isnull=True)
        .order_by("code")
        .values_list("pk", flat=True)
    )
    channels = ["qr", "web", "walk_in", "hotline", "phone", "patrol", "visit", "api"]

    # mod(g, 100) picks the status: 85 % closed, 4 % resolved, 4 % accepted, 2 % dispatched to a pool, 2 % triaged,
    # 3 % submitted — about what a district holds after a year (most cases are finished).
    status = (
        "CASE WHEN mod(g, 100) < 85 THEN 'closed' WHEN mod(g, 100) < 89 THEN 'resolved' "
        "WHEN mod(g, 100) < 93 THEN 'accepted' "
        "WHEN mod(g, 100) < 95 THEN 'dispatched' WHEN mod(g, 100) < 97 THEN 'triaged' ELSE 'submitted' END"
    )
    m = "(1 + mod(g / 7, %(nm)s))"  # micro-grid index, 1-based for PostgreSQL arrays
    submitted = "(%(now)s - ((%(n)s - g) * interval '30 seconds'))"
    expressions: dict[str, str] = {
        "jurisdiction_id": "%(j)s",
        "tracking_code": "'B' || lpad(g::text, 9, '0')",
        "public_id": "'b' || lpad(g::text, 11, '0')",  # unique like the tracking code (a default would repeat)
        "channel": "(%(channels)s::text[])[1 + mod(g, 8)]",
        "category_id": "(%(categories)s::bigint[])[1 + mod(g, %(nc)s)]",
        "title": "'批量问题 ' || g",
        "grid_node_id": f"(%(micro)s::bigint[])[{m}]",
        "owner_node_id": f"(%(owners)s::bigint[])[{m}]",
        "level": "'micro_grid'",
        "status": status,
        "handler_node_id": f"CASE WHEN mod(g, 100) BETWEEN 85 AND 94 THEN (%(micro)s::bigint[])[{m}] END",
        "handler_user_id": f"CASE WHEN mod(g, 100) BETWEEN 85 AND 92 THEN NULLIF((%(stewards)s::bigint[])[{m}], 0) END",
        "pooled": "mod(g, 100) BETWEEN 93 AND 94",
        "submitted_at": submitted,
        "triaged_at": f"CASE WHEN mod(g, 100) < 97 THEN {submitted} END",
        "dispatched_at": f"CASE WHEN mod(g, 100) < 95 THEN {submitted} END",
        "accepted_at": f"CASE WHEN mod(g, 100) < 93 THEN {submitted} END",
        "resolved_at": f"CASE WHEN mod(g, 100) < 89 THEN {submitted} + interval '5 hours' END",
        "closed_at": f"CASE WHEN mod(g, 100) < 85 THEN {submitted} + interval '2 days' END",
        "resolve_due": f"{submitted} + interval '1 day'",
        "response_due": f"{submitted} + interval '1 hour'",
        "sla_state": "CASE WHEN mod(g, 100) < 89 THEN 'done' WHEN mod(g, 13) = 0 THEN 'warning' "
        "WHEN mod(g, 100) >= 89 AND g > %(n)s - 2880 THEN 'on_track' ELSE 'breached' END",
        "resolved_level": "CASE WHEN mod(g, 100) < 89 THEN 'micro_grid' ELSE '' END",
        "updated_at": "%(now)s",
    }
    columns, values = [], []
    params: dict[str, Any] = {
        "j": jurisdiction.pk,
        "n": n,
        "now": timezone.now(),
        "channels": channels,
        "categories": categories,
        "nc": len(categories),
        "micro": micro_ids,
        "owners": owner_ids,
        "stewards": steward_ids,
        "nm": len(micro_ids),
    }
    for f in Case._meta.concrete_fields:
        if f.primary_key:
            continue
        columns.append(connection.ops.quote_name(f.column))
        if f.column in expressions:
            values.append(expressions[f.column])
        elif f.null and not f.has_default():
            values.append("NULL")
        else:
            key = f"default_{f.column}"
            params[key] = f.get_db_prep_save(f.get_default(), connection)
            values.append(f"%({key})s")
    sql = (
        # Column names from the model and expressions from this module; every value is a bound parameter.
        f"INSERT INTO cases_case ({', '.join(columns)}) "  # noqa: S608
        f"SELECT {', '.join(values)} FROM generate_series(1, %(n)s) AS g"
    )
    began = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        cursor.execute("ANALYZE cases_case")
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
