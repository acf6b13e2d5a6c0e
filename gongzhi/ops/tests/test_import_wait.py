"""Issue 29: on SQLite a long import does not turn residents' reports into 503s. ``gongzhi bench import-wait`` at a
small size: a resident's report is due every 50 ms while a ledger — or a hotline export of cases — is written, and
none fails or waits a second; the import stays all or nothing (one bad row near the end of a long ledger: nothing
written)."""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils import timezone
from openpyxl import Workbook

from gongzhi.care.models import Household, Resident
from gongzhi.care.tests.factories import care_world
from gongzhi.console import imports
from gongzhi.console.models import ImportJob
from gongzhi.grid.tests.factories import BuildingFactory
from gongzhi.ops.benchmarks.care import ledger_rows


def test_reports_beside_a_long_import_wait_well_under_a_second_and_none_fails() -> None:
    out = io.StringIO()
    call_command("bench", "import-wait", "--rows", "6000", "--interval-ms", "50", stdout=out)
    figures = json.loads(out.getvalue().strip().splitlines()[-1])
    assert figures["mode"] == "one transaction per batch" and figures["rows_written"] == 6000
    assert figures["reports_attempted"] >= 20, figures  # the write lasted long enough to be measured
    assert figures["reports_failed"] == 0, figures
    assert figures["reports_ok"] == figures["reports_attempted"]
    assert 0 < figures["wait_max_ms"] < 1000, figures


def test_reports_beside_a_long_hotline_import_wait_well_under_a_second_and_none_fails() -> None:
    out = io.StringIO()
    call_command("bench", "import-wait", "--kind", "cases", "--rows", "2000", "--interval-ms", "50", stdout=out)
    figures = json.loads(out.getvalue().strip().splitlines()[-1])
    assert (figures["kind"], figures["mode"], figures["batch"]) == ("cases", "one transaction per batch", 50)
    assert figures["rows_written"] == 2000
    assert figures["reports_attempted"] >= 20, figures
    assert figures["reports_failed"] == 0, figures
    assert 0 < figures["wait_max_ms"] < 1000, figures


def _job(world, rows: list[tuple[str, ...]]) -> ImportJob:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("户籍台账")
    sheet.append(["户编号", "楼栋编码", "单元房号", "地址", "姓名", "身份证号", "与户主关系", "联系电话", "关爱类别",
                  "关爱等级", "等级原因"])  # fmt: skip
    for values in rows:
        sheet.append(list(values))
    data = io.BytesIO()
    book.save(data)
    job = ImportJob(
        kind=ImportJob.Kind.CARE,
        jurisdiction=world.district.jurisdiction,
        original_name="台账.xlsx",
        created_by=world.staff,
        created_at=timezone.now(),
    )
    job.file.save("ledger.xlsx", ContentFile(data.getvalue()), save=False)
    job.save()
    return imports.run(job.pk)


@pytest.mark.django_db(transaction=True)
def test_one_bad_row_at_the_end_of_a_long_ledger_writes_nothing() -> None:
    world = care_world()
    BuildingFactory(node=world.micro_grid, jurisdiction=world.district.jurisdiction, code="B-1")
    rows = list(ledger_rows(1500, ["B-1"]))
    bad = list(rows[-1])
    bad[5] = bad[5][:-1] + ("0" if bad[5][-1] != "0" else "1")  # a wrong check digit on the last row
    job = _job(world, [*rows[:-1], tuple(bad)])
    assert (job.status, job.error_count, job.created_count) == (ImportJob.Status.FAILED, 1, 0)
    assert [(e.row, e.column) for e in job.problems()] == [(1501, "身份证号")]
    assert (Household.objects.count(), Resident.objects.count()) == (0, 0)
    # The same ledger with that row right is written whole (so it was the one bad row that stopped it).
    job = _job(world, rows)
    assert (job.status, job.created_count) == (ImportJob.Status.SUCCEEDED, 1500)
    assert Resident.objects.count() == 1500
