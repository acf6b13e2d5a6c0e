"""`gongzhi bench engine` runs its cycles in a child process on a fresh database and reports parseable figures."""

import io
import json
import os
import sys
import time

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.slow


def test_bench_engine_prints_cycles_per_second_and_a_json_line(tmp_path, monkeypatch):
    monkeypatch.setenv("GONGZHI_SMS_BACKEND", "null")
    out = io.StringIO()
    call_command("bench", "engine", "--cycles", "6", "--no-simulate", "--no-postgres", "--web-seconds", "1", stdout=out)
    lines = out.getvalue().strip().splitlines()
    figures = json.loads(lines[-1])
    sqlite = figures["sqlite"]
    assert sqlite["engine"] == "sqlite" and sqlite["cycles"] == 6 and sqlite["processes"] == 2
    assert sqlite["cycles_per_s"] > 0 and sqlite["calls_per_s"] == pytest.approx(sqlite["cycles_per_s"] * 6, rel=0.01)
    assert {f"{a}_p50_ms" for a in ("submit", "triage", "dispatch", "accept", "resolve", "rate")} <= set(sqlite)
    # The web tier was measured on the same database: the production server's minimal insert view answered.
    web = sqlite["web_tier"]
    assert web["req_per_s"] > 0 and web["workers"] == 2 and web["clients"] == 8 and web["seconds"] == 1
    assert sqlite["keeps_up_with_web_tier"] is (sqlite["calls_per_s"] >= web["req_per_s"])
    assert "cycles/s" in out.getvalue() and "web tier here" in out.getvalue()


# Each child writes more than a pipe holds to stderr, says it got there, and waits (at most 20 s) for the other to
# get there too: read from pipes one after another, the second child would stop at its writing until the first ended,
# and the first would wait in vain.
TALKATIVE = """
import json, pathlib, sys, time
me, other = sys.argv[1], sys.argv[2]
sys.stderr.write("x" * 300_000)
sys.stderr.flush()
pathlib.Path(me).touch()
deadline = time.monotonic() + 20
while not pathlib.Path(other).exists() and time.monotonic() < deadline:
    time.sleep(0.01)
print("log line")
print(json.dumps({"me": me, "saw_other": pathlib.Path(other).exists()}))
"""


def test_children_run_side_by_side_however_much_they_write(tmp_path):
    from gongzhi.ops.benchmarks.engine import _children

    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    results = _children([[a, b], [b, a]], {}, timeout=60, program=(sys.executable, "-c", TALKATIVE))
    assert results == [{"me": a, "saw_other": True}, {"me": b, "saw_other": True}]


SLEEPER = """
import os, pathlib, sys, time
if sys.argv[1] == "fail":
    time.sleep(1)
    sys.exit("went wrong here")
pathlib.Path(sys.argv[2]).write_text(str(os.getpid()))
time.sleep(60)
"""


def test_a_failing_child_is_reported_with_its_output_and_the_others_are_stopped(tmp_path):
    from gongzhi.ops.benchmarks.engine import _children

    pid_file = tmp_path / "sleeper.pid"
    began = time.monotonic()
    with pytest.raises(RuntimeError, match=r"(?s)failed:.*went wrong here"):
        _children([["fail", "-"], ["sleep", str(pid_file)]], {}, timeout=120, program=(sys.executable, "-c", SLEEPER))
    assert time.monotonic() - began < 30
    with pytest.raises(ProcessLookupError):  # killed and reaped, not left sleeping
        os.kill(int(pid_file.read_text()), 0)
