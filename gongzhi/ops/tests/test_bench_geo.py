"""``gongzhi bench geo`` runs and ends with one JSON line of figures. No timing assertions: machines differ."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from gongzhi.ops import benchmarks

EXPECTED_KEYS = {
    "benchmark",
    "threads",
    "micro_grids",
    "points",
    "seed",
    "build_ms",
    "batch_points_per_s",
    "batch_found_share",
    "single_points",
    "single_p50_us",
    "single_p95_us",
    "single_p99_us",
    "single_inside_p50_us",
    "single_outside_p50_us",
    "agreement",
    "budget_batch_points_per_s",
    "budget_single_p50_us",
    "batch_pass",
    "single_pass",
    "pass",
}


def run_bench(*args: str) -> list[str]:
    out = StringIO()
    call_command("bench", "geo", *args, stdout=out)
    return out.getvalue().splitlines()


def test_bench_geo_ends_with_a_json_line_of_figures():
    lines = run_bench("--points", "2000", "--seed", "7")
    figures = json.loads(lines[-1])
    assert figures.keys() >= EXPECTED_KEYS
    assert figures["benchmark"] == "geo"
    assert figures["threads"] == 1
    assert figures["micro_grids"] == 988
    assert (figures["points"], figures["seed"], figures["single_points"]) == (2000, 7, 2000)
    assert figures["agreement"] is True  # locate_many and locate agree on every sampled point
    assert 0.5 < figures["batch_found_share"] <= 1.0
    assert figures["batch_points_per_s"] > 0
    assert figures["single_p50_us"] <= figures["single_p95_us"] <= figures["single_p99_us"]
    text = "\n".join(lines[:-1])
    for unit in ("points/s", "µs", "ms"):
        assert unit in text
    assert text.count("PASS") + text.count("FAIL") == 2
    assert "single-threaded" in text


def test_the_same_seed_gives_the_same_points():
    first, second = (json.loads(run_bench("--points", "500", "--seed", "3")[-1]) for _ in range(2))
    assert first["batch_found_share"] == second["batch_found_share"]


def test_points_must_be_positive():
    with pytest.raises(CommandError, match="must be at least 1"):
        call_command("bench", "geo", "--points", "0", stdout=StringIO())


def test_unknown_benchmark_is_refused():
    with pytest.raises(CommandError, match="invalid choice: 'nope'"):
        call_command("bench", "nope", stdout=StringIO())


def test_geo_is_registered():
    registry = benchmarks.registry()
    assert "geo" in registry
    assert registry["geo"].add_arguments is not None


def test_strict_turns_a_missed_budget_into_an_error(monkeypatch):
    from gongzhi.ops.benchmarks import geo as bench_geo

    monkeypatch.setattr(bench_geo, "BATCH_MIN_POINTS_PER_S", 10**12)
    lines = run_bench("--points", "300")
    assert json.loads(lines[-1])["batch_pass"] is False  # without --strict: reported, exit status 0
    with pytest.raises(CommandError, match="a budget was missed"):
        call_command("bench", "geo", "--points", "300", "--strict", stdout=StringIO())
