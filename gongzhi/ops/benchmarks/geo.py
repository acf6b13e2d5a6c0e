"""``gongzhi bench geo``: point-in-micro-grid lookup over the demo district's 988 micro-grids.

Measures, in this one process and on one thread (no parallelism anywhere in the lookup):
- index build time: ``GridIndex`` from the micro-grids' GeoJSON, as a process does when its cached index is stale;
- batch throughput of ``locate_many`` over random points in the district's bounding box (some fall outside);
- single-point latency of ``locate`` (p50/p95/p99), as a request handler calls it; points outside every micro-grid
  take the slower nearest-polygon path, so they are also reported on their own.
It also checks that ``locate_many`` and ``locate`` agree on every single-point sample, so the figures are for a
correct lookup.
"""

from __future__ import annotations

import gc
import json
import platform
import statistics
import time
from argparse import ArgumentParser, ArgumentTypeError
from collections.abc import Mapping
from typing import Any

import numpy as np
import shapely

from gongzhi.grid import geo
from gongzhi.grid.demo_layout import SEED as LAYOUT_SEED
from gongzhi.grid.demo_layout import build_layout
from gongzhi.ops.benchmarks import Writer, register

BATCH_MIN_POINTS_PER_S = 100_000
SINGLE_P50_MAX_US = 50.0
DEFAULT_POINTS = 200_000
MAX_SINGLE_POINTS = 20_000
REPEATS = 3


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ArgumentTypeError(f"must be at least 1, got {number}")
    return number


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument(
        "--points",
        type=_positive,
        default=DEFAULT_POINTS,
        help=f"random points per batch run (default {DEFAULT_POINTS:,}); single-point latency uses up to "
        f"{MAX_SINGLE_POINTS:,} of them",
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the random points (default 1)")


def _percentile_us(samples_ns: np.ndarray[Any, Any], q: float) -> float:
    return round(float(np.percentile(samples_ns, q)) / 1000.0, 2) if len(samples_ns) else float("nan")


@register("geo", help="point-in-micro-grid lookup over the 988 demo micro-grids", arguments=add_arguments)
def run(stdout: Writer, options: Mapping[str, Any]) -> dict[str, Any]:
    points = int(options.get("points", DEFAULT_POINTS))
    seed = int(options.get("seed", 1))
    single_points = min(points, MAX_SINGLE_POINTS)

    nodes = build_layout(LAYOUT_SEED)
    district = next(n.geometry for n in nodes if n.level == "district")
    micro = [n for n in nodes if n.level == "micro_grid"]
    # Ids 1..988 in layout order; GeoJSON as stored in GridNode.boundary, converted before any clock starts.
    items = [(i, geo.to_geojson(n.geometry)) for i, n in enumerate(micro, start=1)]
    vertices = int(sum(shapely.get_num_coordinates(n.geometry) for n in micro))

    stdout.write("gongzhi bench geo: point-in-micro-grid lookup (single-threaded, one process)")
    stdout.write(
        f"  layout     {len(micro):,} micro-grids of the demo district (layout seed {LAYOUT_SEED}), {vertices:,} "
        f"vertices; points uniform in the district's bounding box (seed {seed})"
    )
    stdout.write(
        f"  runtime    Python {platform.python_version()}, shapely {shapely.__version__} "
        f"(GEOS {shapely.geos_version_string}), numpy {np.__version__}"
    )

    gc.collect()
    build_times: list[float] = []
    index = geo.GridIndex(items)
    for _ in range(REPEATS):
        started = time.perf_counter()
        index = geo.GridIndex(items)
        build_times.append((time.perf_counter() - started) * 1000.0)
    build_ms = round(statistics.median(build_times), 2)
    stdout.write(f"  build      GridIndex from GeoJSON: {build_ms:,.1f} ms (median of {REPEATS})")

    rng = np.random.default_rng(seed)
    min_lon, min_lat, max_lon, max_lat = district.bounds
    lats = rng.uniform(min_lat, max_lat, points)
    lons = rng.uniform(min_lon, max_lon, points)

    index.locate_many(lats[:100], lons[:100])  # warm-up
    rates: list[float] = []
    found = np.empty(0, dtype=np.int64)
    for _ in range(REPEATS):
        started = time.perf_counter()
        found = index.locate_many(lats, lons)
        rates.append(points / (time.perf_counter() - started))
    batch_rate = round(statistics.median(rates))
    found_share = round(float(np.mean(found != geo.OUTSIDE)), 4)
    stdout.write(
        f"  batch      locate_many: {batch_rate:,} points/s (median of {REPEATS} runs of {points:,} points; "
        f"{found_share:.1%} found)"
    )

    sample_lats = lats[:single_points].tolist()
    sample_lons = lons[:single_points].tolist()
    index.locate(sample_lats[0], sample_lons[0])  # warm-up
    timings = np.empty(single_points, dtype=np.int64)
    ids = np.empty(single_points, dtype=np.int64)
    locate = index.locate
    clock = time.perf_counter_ns
    gc.collect()
    for i, (lat, lon) in enumerate(zip(sample_lats, sample_lons, strict=True)):
        started = clock()
        result = locate(lat, lon)
        timings[i] = clock() - started
        ids[i] = geo.OUTSIDE if result.node_id is None else result.node_id
    inside = ids != geo.OUTSIDE
    p50, p95, p99 = (_percentile_us(timings, q) for q in (50, 95, 99))
    inside_p50, outside_p50 = _percentile_us(timings[inside], 50), _percentile_us(timings[~inside], 50)
    stdout.write(
        f"  single     locate: p50 {p50:,.1f} µs, p95 {p95:,.1f} µs, p99 {p99:,.1f} µs over {single_points:,} points "
        f"(inside a micro-grid p50 {inside_p50:,.1f} µs; outside, with the nearest one, p50 {outside_p50:,.1f} µs)"
    )

    agree = int(np.sum(ids == found[:single_points]))
    stdout.write(f"  agreement  locate_many == locate on {agree:,}/{single_points:,} points")

    batch_ok = batch_rate >= BATCH_MIN_POINTS_PER_S
    single_ok = p50 <= SINGLE_P50_MAX_US
    stdout.write(
        f"  budget     batch ≥ {BATCH_MIN_POINTS_PER_S:,} points/s: {batch_rate:,} points/s "
        f"{'PASS' if batch_ok else 'FAIL'}"
    )
    stdout.write(
        f"  budget     single p50 ≤ {SINGLE_P50_MAX_US:g} µs: {p50:,.1f} µs {'PASS' if single_ok else 'FAIL'} "
        f"(p95 {p95:,.1f} µs, for information)"
    )

    figures: dict[str, Any] = {
        "benchmark": "geo",
        "threads": 1,
        "micro_grids": len(micro),
        "vertices": vertices,
        "points": points,
        "seed": seed,
        "build_ms": build_ms,
        "batch_points_per_s": batch_rate,
        "batch_found_share": found_share,
        "single_points": single_points,
        "single_p50_us": p50,
        "single_p95_us": p95,
        "single_p99_us": p99,
        "single_inside_p50_us": inside_p50,
        "single_outside_p50_us": outside_p50,
        "agreement": agree == single_points,
        "budget_batch_points_per_s": BATCH_MIN_POINTS_PER_S,
        "budget_single_p50_us": SINGLE_P50_MAX_US,
        "batch_pass": batch_ok,
        "single_pass": single_ok,
        "pass": batch_ok and single_ok and agree == single_points,
        "python": platform.python_version(),
        "shapely": shapely.__version__,
        "geos": shapely.geos_version_string,
        "numpy": np.__version__,
    }
    # NaN (no outside sample in a tiny run) is not JSON; null is.
    stdout.write(json.dumps({k: (None if isinstance(v, float) and v != v else v) for k, v in figures.items()}))
    return figures
