"""`gongzhi bench engine` runs its cycles in a child process on a fresh database and reports parseable figures."""

import io
import json

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.slow


def test_bench_engine_prints_cycles_per_second_and_a_json_line(tmp_path, monkeypatch):
    monkeypatch.setenv("GONGZHI_SMS_BACKEND", "null")
    out = io.StringIO()
    call_command("bench", "engine", "--cycles", "6", "--no-simulate", "--no-postgres", stdout=out)
    lines = out.getvalue().strip().splitlines()
    figures = json.loads(lines[-1])
    sqlite = figures["sqlite"]
    assert sqlite["engine"] == "sqlite3" and sqlite["cycles"] == 6 and sqlite["processes"] == 2
    assert sqlite["cycles_per_s"] > 0 and sqlite["calls_per_s"] == pytest.approx(sqlite["cycles_per_s"] * 6, rel=0.01)
    assert {f"{a}_p50_ms" for a in ("submit", "triage", "dispatch", "accept", "resolve", "rate")} <= set(sqlite)
    assert "cycles/s" in out.getvalue()
