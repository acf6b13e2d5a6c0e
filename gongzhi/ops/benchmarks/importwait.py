"""``gongzhi bench import-wait``: on SQLite, what a long import does to residents' reports written beside it.

SQLite lets one connection write at a time; a writer waits for its turn at most the database's timeout (20 s), then
fails ("database is locked": a 503 on the resident's page). A household-ledger import written in ONE transaction holds
that turn for its whole write. This bench, on a throwaway SQLite database in a temporary directory:

1. builds the demo district and the care registry's defaults (a child process);
2. starts a **reporter** process in which one resident's report (``cases.services.submit``, channel QR code, as the
   report page does) is due every ``--interval-ms``, served by 8 threads (a web server's), and records how long each
   took from the moment it was due — waiting for a thread and for the write turn included — and whether it failed;
3. runs the **import** in another process: a ``--rows`` row ledger (``bench care``'s fake households, one street's
   buildings) checked and written by ``care.importer`` as the worker's job does, committing per batch (the default on
   SQLite) or, with ``--one-transaction``, in one transaction (the PostgreSQL way, and SQLite's before issue 29); or,
   with ``--kind cases``, a hotline export of ``--rows`` tickets through the console's case import
   (``cases.services.submit`` row by row, committed per batch on SQLite; see docs/architecture.md);
4. prints the import's time and the reports filed while it *wrote*: attempted, ok, failed, and the time each took
   (p50 / p95 / max, ms); and, for comparison on the same machine at the same moment, the time of the reports filed
   before the write began (while the import read and checked its file).

The last line is one JSON object with the figures.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import time
from argparse import ArgumentParser
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gongzhi.ops.benchmarks import Writer, child, register

DEFAULT_ROWS = 100_000
# Threads serving the reports: the web server's (2 processes × 4 threads in the production setting).
SERVER_THREADS = 8


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help=f"ledger rows (default {DEFAULT_ROWS:,})")
    parser.add_argument(
        "--interval-ms", type=float, default=100.0, help="time between two residents' reports (default 100 ms)"
    )
    parser.add_argument(
        "--one-transaction",
        action="store_true",
        help="write the import in one transaction (as on PostgreSQL) instead of one per batch",
    )
    parser.add_argument("--batch", type=int, default=0, help="residents a batch (default: the importer's)")
    parser.add_argument(
        "--kind",
        choices=("care", "cases"),
        default="care",
        help="care: a household ledger (default); cases: a hotline export through the console's case import",
    )
    # Internal: the phases run in child processes, each with the environment of the throwaway database.
    parser.add_argument("--phase", choices=("setup", "report", "import"), help="(internal)")
    parser.add_argument("--signal-dir", default="", help="(internal) where the reporter is told to stop")


@register("import-wait", help="SQLite: residents' report writes during a long import", arguments=add_arguments)
def run(stdout: Writer, options: Mapping[str, Any]) -> dict[str, Any]:
    phase = options.get("phase")
    if phase:
        if phase == "setup":
            figures = _setup()
        elif phase == "report":
            figures = _report(Path(options["signal_dir"]), options["interval_ms"] / 1000)
        elif options["kind"] == "cases":
            figures = _import_cases(options["rows"], per_batch=not options["one_transaction"])
        else:
            figures = _import(options["rows"], per_batch=not options["one_transaction"], batch=options["batch"])
        stdout.write(json.dumps(figures, ensure_ascii=False))
        return figures
    return _drive(stdout, options)


# --------------------------------------------------------------------------------------------------------- driver


def _drive(stdout: Writer, options: Mapping[str, Any]) -> dict[str, Any]:
    rows = int(options["rows"])
    cases = options["kind"] == "cases"
    mode = "one transaction" if options["one_transaction"] else "one transaction per batch"
    with tempfile.TemporaryDirectory(prefix="gongzhi-bench-") as tmp:
        env = {"GONGZHI_DATA_DIR": tmp, "GONGZHI_DATABASE_URL": ""}
        signals = Path(tmp) / "signals"
        signals.mkdir()
        setup = child(["bench", "import-wait", "--phase", "setup"], env)
        stdout.write(f"SQLite in {tmp}: demo district, {setup['buildings']:,} buildings in the imported street")
        reporter = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gongzhi",
                "bench",
                "import-wait",
                "--phase",
                "report",
                "--signal-dir",
                str(signals),
                "--interval-ms",
                str(options["interval_ms"]),
            ],
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 120
            while not (signals / "ready").exists():
                if reporter.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the reporter did not start: {reporter.stderr.read()[-2000:]}")  # type: ignore[union-attr]
                time.sleep(0.05)
            args = ["bench", "import-wait", "--phase", "import", "--rows", str(rows), "--batch", str(options["batch"])]
            args += ["--kind", options["kind"]]
            if options["one_transaction"]:
                args.append("--one-transaction")
            imported = child(args, env, timeout=3600)
        finally:
            (signals / "stop").touch()
            out, err = reporter.communicate(timeout=120)
        lines = [line for line in out.splitlines() if line.startswith("{")]
        if reporter.returncode != 0 or not lines:
            raise RuntimeError(f"the reporter failed:\n{err[-3000:]}")
        attempts = json.loads(lines[-1])["attempts"]
    during = [a for a in attempts if imported["write_began"] <= a[0] < imported["write_ended"]]
    waits = sorted(a[1] * 1000 for a in during)
    # The same reports before the write began (the import reading and checking its file beside them): what a report
    # takes on this machine at this moment without waiting for the import's writes.
    alone = sorted(a[1] * 1000 for a in attempts if a[0] < imported["write_began"] and a[2])
    failed = [a for a in during if not a[2]]
    result = {
        "kind": options["kind"],
        "rows": rows,
        "mode": mode,
        "batch": imported["batch"],
        "import_s": imported["import_s"],
        "check_s": imported["check_s"],
        "write_s": imported["write_s"],
        "rows_written": imported["residents"],
        "interval_ms": options["interval_ms"],
        "reports_attempted": len(during),
        "reports_ok": len(during) - len(failed),
        "reports_failed": len(failed),
        "wait_p50_ms": round(_percentile(waits, 50), 1),
        "wait_p95_ms": round(_percentile(waits, 95), 1),
        "wait_max_ms": round(waits[-1], 1) if waits else 0.0,
        "errors": sorted({a[3] for a in failed})[:3],
        "before_write_reports": len(alone),
        "before_write_p50_ms": round(_percentile(alone, 50), 1),
        "before_write_p95_ms": round(_percentile(alone, 95), 1),
    }
    what = "hotline rows" if cases else "ledger rows"
    unit = "cases" if cases else "residents"
    batches = "" if options["one_transaction"] else f", batches of {imported['batch']:,} {unit}"
    stdout.write(
        f"import of {rows:,} {what} ({mode}{batches}): {result['import_s']:.1f} s "
        f"(check {result['check_s']:.1f} s, write {result['write_s']:.1f} s)"
    )
    stdout.write(
        f"residents' reports during the write, one every {options['interval_ms']:g} ms: "
        f"{result['reports_attempted']} attempted, {result['reports_ok']} ok, {result['reports_failed']} failed"
    )
    stdout.write(
        f"time a report took, waiting included: p50 {result['wait_p50_ms']:.1f} ms, "
        f"p95 {result['wait_p95_ms']:.1f} ms, max {result['wait_max_ms']:.1f} ms"
    )
    stdout.write(
        f"the same reports before the write began ({len(alone)}, the file being checked): "
        f"p50 {result['before_write_p50_ms']:.1f} ms, p95 {result['before_write_p95_ms']:.1f} ms"
    )
    for error in result["errors"]:
        stdout.write(f"failed with: {error}")
    stdout.write(json.dumps(result, ensure_ascii=False))
    return result


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    index = max(0, math.ceil(q / 100 * len(sorted_values)) - 1)  # nearest rank
    return sorted_values[index]


# --------------------------------------------------------------------------------------------------------- phases


def _world() -> dict[str, Any]:
    from gongzhi.grid import roles
    from gongzhi.grid.models import Building, GridNode, StaffPost

    street = GridNode.objects.filter(level=roles.STREET).order_by("path").first()
    assert street is not None, "the demo district has streets"
    post = StaffPost.objects.filter(role=roles.STREET_STAFF, node=street, active=True).select_related("user").first()
    assert post is not None, "the demo street has staff"
    buildings = list(
        Building.objects.filter(jurisdiction=street.jurisdiction, node__path__startswith=street.path)
        .order_by("code")
        .values_list("code", flat=True)
    )
    return {"street": street, "staff": post.user, "buildings": buildings}


def _setup() -> dict[str, Any]:
    from django.conf import settings
    from django.core.management import call_command

    from gongzhi.care import services
    from gongzhi.grid import demo

    call_command("migrate", verbosity=0, interactive=False)
    jurisdiction = demo.build_demo(password=settings.GONGZHI_DEMO_PASSWORD).jurisdiction
    services.install_defaults(jurisdiction=jurisdiction)
    return {"buildings": len(_world()["buildings"])}


def _report(signals: Path, interval: float) -> dict[str, Any]:
    from concurrent.futures import ThreadPoolExecutor

    from django.db import close_old_connections

    from gongzhi.cases import services
    from gongzhi.cases.choices import Channel
    from gongzhi.grid.models import Building

    building = Building.objects.select_related("jurisdiction").order_by("pk").first()
    assert building is not None

    def report(n: int) -> None:
        services.submit(
            jurisdiction=building.jurisdiction, channel=Channel.QR, title=f"楼道灯不亮 {n}", building=building
        )

    report(0)  # warm: the first report loads what every later one reuses
    (signals / "ready").touch()
    attempts: list[tuple[float, float, bool, str]] = []

    def attempt(n: int, due_wall: float, due: float) -> None:
        # Timed from the moment the resident pressed "submit": a report that had to wait for a free server thread
        # counts that wait too.
        ok, error = True, ""
        try:
            report(n)
        except Exception as exc:  # what the resident would see as a 503: recorded, the next ones tried
            ok, error = False, f"{type(exc).__name__}: {exc}"[:200]
            close_old_connections()
        attempts.append((due_wall, time.perf_counter() - due, ok, error))

    # Residents do not wait for each other: one report is due every ``interval``, served by SERVER_THREADS threads
    # (a web server's workers), each with its own database connection.
    with ThreadPoolExecutor(max_workers=SERVER_THREADS) as pool:
        n, start = 0, time.perf_counter()
        while not (signals / "stop").exists():
            n += 1
            due = start + n * interval
            time.sleep(max(0.0, due - time.perf_counter()))
            pool.submit(attempt, n, time.time(), time.perf_counter())
    return {"attempts": sorted(attempts)}


def _import(rows: int, *, per_batch: bool, batch: int) -> dict[str, Any]:
    from gongzhi.care import importer
    from gongzhi.ops.benchmarks.care import ledger_rows

    world = _world()
    fields = ("ledger", "building", "room", "address", "name", "id_number", "relation", "phone", "groups", "level")
    ledger = [
        importer.LedgerRow(line=line, reason=values[-1], **dict(zip(fields, values[:-1], strict=True)))
        for line, values in enumerate(ledger_rows(rows, world["buildings"]), start=2)
    ]
    began = time.perf_counter()
    checked, problems = importer.check(ledger, jurisdiction=world["street"].jurisdiction, actor=world["staff"])
    if problems:
        raise RuntimeError(f"the generated ledger has {len(problems)} problems, e.g. {problems[:3]}")
    checked_at = time.perf_counter()
    write_began = time.time()
    size = batch or (importer.SQLITE_BATCH if per_batch else importer.BATCH)
    imported = importer.write(checked, actor=world["staff"], per_batch=per_batch, batch_size=size)
    write_ended = time.time()
    ended = time.perf_counter()
    return {
        "batch": size,
        "residents": imported.residents,
        "import_s": round(ended - began, 2),
        "check_s": round(checked_at - began, 2),
        "write_s": round(ended - checked_at, 2),
        "write_began": write_began,
        "write_ended": write_ended,
    }


def _import_cases(rows: int, *, per_batch: bool) -> dict[str, Any]:
    """A hotline export of ``rows`` tickets through the console's case import (``console.imports.run``, as the worker
    runs it): checked, then written through ``cases.services.submit`` row by row — batch by batch
    (``console.imports.SQLITE_BATCH`` cases, the receipts texted once the last batch is in) or, ``per_batch`` false,
    in one transaction (the PostgreSQL way, and SQLite's before)."""
    import io

    from django.core.files.base import ContentFile
    from django.utils import timezone
    from openpyxl import Workbook

    from gongzhi.console import imports
    from gongzhi.console.models import ImportJob
    from gongzhi.grid import roles
    from gongzhi.grid.models import StaffPost

    world = _world()
    post = StaffPost.objects.filter(role=roles.COMMAND_CENTRE, active=True).select_related("user").first()
    assert post is not None, "the demo district has a command centre"
    book = Workbook(write_only=True)
    sheet = book.create_sheet("工单")
    sheet.append(["external_id", "title", "building", "reporter_phone"])
    buildings = world["buildings"]
    for i in range(rows):  # every caller left a number: each case texts its receipt once the import is in
        sheet.append([f"HL-{i:07d}", "楼道灯不亮", buildings[i % len(buildings)], f"139{i:08d}"])
    data = io.BytesIO()
    book.save(data)
    job = ImportJob(
        kind=ImportJob.Kind.CASES,
        jurisdiction=world["street"].jurisdiction,
        original_name="工单.xlsx",
        created_by=post.user,
        created_at=timezone.now(),
    )
    job.file.save("hotline.xlsx", ContentFile(data.getvalue()), save=False)
    job.save()
    window: dict[str, float] = {}
    original = imports.CaseImport.write

    def timed(self: Any, checked: Any, **options: Any) -> int:
        window["began"], began = time.time(), time.perf_counter()
        try:
            return original(self, checked, **options, per_batch=per_batch)
        finally:
            window["ended"], window["write_s"] = time.time(), time.perf_counter() - began

    imports.CaseImport.write = timed  # type: ignore[method-assign]  # the bench's own stopwatch around the write
    try:
        began = time.perf_counter()
        job = imports.run(job.pk)
        import_s = time.perf_counter() - began
    finally:
        imports.CaseImport.write = original  # type: ignore[method-assign]
    if job.status != ImportJob.Status.SUCCEEDED:
        raise RuntimeError(f"the hotline import failed: {[str(p) for p in job.problems()[:3]]}")
    return {
        "batch": imports.SQLITE_BATCH if per_batch else rows,
        "residents": job.created_count,
        "import_s": round(import_s, 2),
        "check_s": round(import_s - window["write_s"], 2),
        "write_s": round(window["write_s"], 2),
        "write_began": window["began"],
        "write_ended": window["ended"],
    }
