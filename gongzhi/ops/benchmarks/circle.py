"""``gongzhi bench circle``: the 15-minute service circle (15分钟服务圈) of the whole demo district.

Builds the demo district (1,972 buildings) and its stations in a throwaway data directory — SQLite, the embedded
default, or a throwaway PostgreSQL with ``--postgres`` — then times ``stations.coverage.service_circle`` for the
district: the two queries (buildings, stations), the nearest-station computation of ``grid.walking`` and the
per-community shares, as the console's coverage page asks for them. Once for "any open station" and once per service
item (each a different set of stations), ``--repeats`` times each; the figure is the median and the slowest call.
The pure computation (buildings × stations, no database) is reported on its own.

``--use-current`` measures the database the settings name (its first district) instead, e.g. a ``make run`` demo.
Budget: the whole district's coverage for one item in ≤ 2 s. The last line is one JSON object with the figures.
"""

from __future__ import annotations

import json
import secrets
import statistics
import tempfile
import time
from argparse import ArgumentParser
from collections.abc import Mapping
from typing import Any

from gongzhi.ops.benchmarks import Writer, child, register, throwaway_environment

BUDGET_S = 2.0
DEFAULT_REPEATS = 5


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument(
        "--repeats", type=int, default=DEFAULT_REPEATS, help=f"calls per item (default {DEFAULT_REPEATS})"
    )
    parser.add_argument("--postgres", action="store_true", help="build and measure on a throwaway PostgreSQL")
    parser.add_argument(
        "--use-current", action="store_true", help="measure the current database's first district (build nothing)"
    )
    parser.add_argument("--worker", action="store_true", help="(internal) build the demo here, then measure")


def _build() -> float:
    from django.core.management import call_command

    from gongzhi.grid.demo import build_demo
    from gongzhi.ops.demo import service_points

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    result = build_demo(password=secrets.token_urlsafe())  # nobody logs in to a benchmark's district
    service_points(result.jurisdiction)
    return round(time.perf_counter() - started, 2)


def _measure(repeats: int) -> dict[str, Any]:
    from django.db import connection

    from gongzhi.grid import roles
    from gongzhi.grid.models import Building, GridNode
    from gongzhi.grid.walking import Point, nearest
    from gongzhi.stations.coverage import service_circle, sites
    from gongzhi.stations.models import ServiceItem, Station
    from gongzhi.stations.selectors import walk_model

    district = GridNode.objects.filter(level=roles.DISTRICT).order_by("pk").first()
    if district is None:
        raise RuntimeError("no district in this database: build one (gongzhi demo) or leave out --use-current")
    model = walk_model()
    codes: list[str | None] = [None, *ServiceItem.objects.order_by("code").values_list("code", flat=True)]
    per_item: dict[str, dict[str, Any]] = {}
    all_calls: list[float] = []
    for code in codes:
        calls = []
        circle = service_circle(district, code, model=model)  # warm-up: caches, query plans
        for _ in range(repeats):
            started = time.perf_counter()
            circle = service_circle(district, code, model=model)
            calls.append(time.perf_counter() - started)
        all_calls.extend(calls)
        per_item[code or "*"] = {
            "stations": circle.stations,
            "building_share": round(circle.total.building_share or 0.0, 4),
            "household_share": round(circle.total.household_share or 0.0, 4),
            "uncovered": len(circle.uncovered),
            "median_ms": round(statistics.median(calls) * 1000, 1),
        }
    any_station = service_circle(district, None, model=model)

    # The computation alone: every building against every open station, no database.
    buildings = [
        Point(pk, lat, lon, hh or 0)
        for pk, lat, lon, hh in Building.objects.filter(
            jurisdiction_id=district.jurisdiction_id, lat__isnull=False, lon__isnull=False
        ).values_list("id", "lat", "lon", "households")
    ]
    found = sites(district.jurisdiction_id, None)
    pure = []
    for _ in range(max(repeats, 3)):
        started = time.perf_counter()
        nearest(buildings, found, model)
        pure.append(time.perf_counter() - started)
    return {
        "database": connection.vendor,
        "buildings": any_station.total.buildings,
        "unplaced_buildings": any_station.unplaced_buildings,
        "communities": len(any_station.communities),
        "stations": Station.objects.filter(node__jurisdiction_id=district.jurisdiction_id).count(),
        "items": len(codes) - 1,
        "walk_speed_mps": model.speed_mps,
        "walk_detour": model.detour,
        "walk_minutes": model.minutes,
        "reach_m": round(model.reach_m, 1),
        "repeats": repeats,
        "circle_median_ms": round(statistics.median(all_calls) * 1000, 1),
        "circle_max_ms": round(max(all_calls) * 1000, 1),
        "compute_median_ms": round(statistics.median(pure) * 1000, 2),
        "by_item": per_item,
    }


@register(
    "circle",
    help="the 15-minute service circle of the demo district (1,972 buildings × stations)",
    arguments=add_arguments,
)
def run(stdout: Writer, options: Mapping[str, Any]) -> dict[str, Any]:
    repeats = max(1, int(options.get("repeats") or DEFAULT_REPEATS))
    build_s: float | None = None
    if options.get("worker"):
        build_s = _build()
        figures = {"build_s": build_s, **_measure(repeats)}
        stdout.write(json.dumps(figures))
        return figures
    if options.get("use_current"):
        figures = {"build_s": None, **_measure(repeats)}
    else:
        argv = ["bench", "circle", "--worker", "--repeats", str(repeats)]
        if options.get("postgres"):
            stdout.write("gongzhi bench circle: the demo district on a throwaway PostgreSQL")
            with throwaway_environment() as env:
                figures = child(argv, env, timeout=1800)
        else:
            stdout.write("gongzhi bench circle: the demo district on SQLite in a throwaway data directory")
            with tempfile.TemporaryDirectory(prefix="gongzhi-bench-") as tmp:
                figures = child(argv, {"GONGZHI_DATA_DIR": tmp, "GONGZHI_DATABASE_URL": ""}, timeout=1800)
    if figures["build_s"] is not None:
        stdout.write(f"  built      the demo district and its stations in {figures['build_s']} s")
    stdout.write(
        f"  layout     {figures['buildings']:,} buildings with a position ({figures['unplaced_buildings']} without) in "
        f"{figures['communities']} communities; {figures['stations']} stations, {figures['items']} service items "
        f"({figures['database']})"
    )
    stdout.write(
        f"  walking    {figures['walk_speed_mps']} m/s, detour ×{figures['walk_detour']}, {figures['walk_minutes']:g} "
        f"min → {figures['reach_m']:,} m as the crow flies"
    )
    for code, row in figures["by_item"].items():
        label = "any open station" if code == "*" else code
        stdout.write(
            f"    {label:<26} {row['stations']:>3} stations  buildings covered {row['building_share']:>6.1%}  "
            f"households {row['household_share']:>6.1%}  {row['uncovered']:>5,} uncovered  {row['median_ms']:>7.1f} ms"
        )
    passed = figures["circle_max_ms"] <= BUDGET_S * 1000
    stdout.write(
        f"  circle     whole district, one item: median {figures['circle_median_ms']:,} ms, slowest "
        f"{figures['circle_max_ms']:,} ms over {figures['items'] + 1} item sets × {figures['repeats']} "
        f"(budget ≤ {BUDGET_S * 1000:,.0f} ms: {'PASS' if passed else 'FAIL'}); the computation alone "
        f"{figures['compute_median_ms']} ms"
    )
    figures.update({"benchmark": "circle", "budget_ms": BUDGET_S * 1000, "pass": passed})
    stdout.write(json.dumps(figures))
    return figures
