"""Background Excel imports: progress, a clear error report for a bad row, nothing half-imported."""

from __future__ import annotations

import io
import time

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from gongzhi.cases.models import Case
from gongzhi.cases.tests.factories import world
from gongzhi.console import imports
from gongzhi.console.models import ImportJob
from gongzhi.grid.models import Building
from gongzhi.grid.tests.factories import BuildingFactory

pytestmark = pytest.mark.django_db

HEAD = ["工单编号", "标题", "内容", "类别编码", "楼栋编码", "来电人", "电话", "紧急程度", "受理时间"]


@pytest.fixture(autouse=True)
def _immediate_tasks(settings, tmp_path):
    # The worker's job runs inside enqueue(); uploads go to a temporary media root.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = tmp_path


def workbook(rows: list[list[object]]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("cases")
    sheet.append(HEAD)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def hotline_job(w, rows: list[list[object]]) -> ImportJob:
    """A saved hotline import of ``rows`` by the community's dispatcher, not yet run."""
    job = ImportJob.objects.create(
        kind="cases",
        jurisdiction=w.jurisdiction,
        original_name="12345.xlsx",
        created_by=w.dispatcher,
        created_at=w.district.jurisdiction.created_at,
    )
    job.file.save("12345.xlsx", ContentFile(workbook(rows)))
    return job


def upload(client, data: bytes, kind: str = "cases"):
    f = SimpleUploadedFile("hotline.xlsx", data, content_type="application/octet-stream")
    return client.post(reverse("console:imports"), {"kind": kind, "file": f})


@pytest.fixture
def w():
    return world()


@pytest.fixture
def dispatcher_client(client, w):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(w.dispatcher)
    return client


def _row(w, i: int, **over: object) -> list[object]:
    values = {
        "id": f"12345-{i:06d}",
        "title": f"噪音扰民 {i}",
        "body": "夜间施工",
        "category": w.category.code,
        "building": w.building.code,
        "name": "张三",
        "phone": "13800138000",
        "urgency": "一般",
        "at": "2025-03-01 09:30",
    }
    values.update(over)
    return list(values.values())


def test_a_good_file_is_imported_through_the_services(dispatcher_client, w):
    response = upload(dispatcher_client, workbook([_row(w, i) for i in range(3)]))
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("console:import", args=[job.pk])
    assert (job.status, job.phase, job.total, job.processed, job.created_count) == ("succeeded", "done", 3, 3, 3)
    cases = Case.objects.filter(channel="hotline").order_by("external_id")
    assert [c.external_id for c in cases] == ["12345-000000", "12345-000001", "12345-000002"]
    first = cases[0]
    assert (first.status, first.recorded_by_id, first.category_id, first.building_id) == (
        "submitted",
        w.dispatcher.pk,
        w.category.pk,
        w.building.pk,
    )
    assert first.reporter_phone == "13800138000"
    assert list(first.events.values_list("kind", flat=True)) == ["submitted"]
    page = dispatcher_client.get(reverse("console:import", args=[job.pk])).content.decode()
    assert "3 rows imported." in page
    assert 'value="100"' in page
    # The progress fragment stops polling once the job is finished.
    fragment = dispatcher_client.get(reverse("console:import_progress", args=[job.pk])).content.decode()
    assert "hx-get" not in fragment and 'data-status="succeeded"' in fragment

    # The same file again: every ticket is already imported, so nothing is written twice.
    upload(dispatcher_client, workbook([_row(w, i) for i in range(3)]))
    again = ImportJob.objects.order_by("-pk").first()
    assert (again.status, again.error_count) == ("failed", 3)
    assert Case.objects.filter(channel="hotline").count() == 3


def test_one_bad_row_refuses_the_whole_file_with_a_report(dispatcher_client, w):
    rows = [_row(w, i) for i in range(10)]
    rows[6] = _row(w, 6, phone="12345", category="no.such")
    rows[8] = _row(w, 2)  # the same ticket number as row 4 of the sheet
    upload(dispatcher_client, workbook(rows))
    job = ImportJob.objects.get()
    assert (job.status, job.created_count, job.error_count) == ("failed", 0, 3)
    assert Case.objects.count() == 0
    reasons = [(e.row, e.column, e.english) for e in job.problems()]
    assert (8, "类别编码", "no category with code no.such") in reasons
    assert (8, "电话", "not a mainland mobile number (11 digits starting with 1)") in reasons
    assert (10, "工单编号", "12345-000002 appears twice (also on row 4)") in reasons
    page = dispatcher_client.get(reverse("console:import", args=[job.pk])).content.decode()
    assert "3 problems found; nothing was imported." in page
    report = dispatcher_client.get(reverse("console:import_errors", args=[job.pk]))
    assert report.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(report.streaming_content))).active
    lines = list(sheet.iter_rows(values_only=True))
    assert lines[0] == ("File", "Row", "Column", "Problem")
    assert {(r[1], r[2]) for r in lines[1:]} == {(8, "类别编码"), (8, "电话"), (10, "工单编号")}


def test_rows_outside_the_uploaders_area_are_refused(client, w):
    elsewhere = BuildingFactory(node=w.other_community.children.first().children.first(), jurisdiction=w.jurisdiction)
    client.force_login(w.dispatcher)
    upload(client, workbook([_row(w, 1), _row(w, 2, building=elsewhere.code)]))
    job = ImportJob.objects.get()
    assert job.status == "failed" and job.error_count == 1
    assert job.errors[0]["row"] == 3 and "you may not record cases in" in job.problems()[0].english
    assert Case.objects.count() == 0


def test_not_a_workbook_is_refused_at_upload(dispatcher_client):
    response = upload(dispatcher_client, b"name,phone\n")
    assert response.status_code == 400
    assert "This is not an .xlsx workbook." in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_imports_are_private_to_their_uploader(dispatcher_client, client, w):
    upload(dispatcher_client, workbook([_row(w, 1)]))
    job = ImportJob.objects.get()
    client.logout()
    client.force_login(w.other_dispatcher)
    for name in ("console:import", "console:import_progress"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404


def test_grid_ledger_needs_a_grid_administrator(dispatcher_client, w):
    from gongzhi.grid import importers

    out = io.BytesIO()
    importers.write_template(out)
    upload(dispatcher_client, out.getvalue(), kind="grid")
    job = ImportJob.objects.get()
    assert job.status == "failed"
    assert job.errors[0]["reason"] == "only grid administrators import ledgers"


@pytest.mark.slow
def test_fifty_thousand_rows_show_progress_then_one_bad_row_writes_nothing(w, django_user_model):
    """50,000 rows: the checking phase reports progress as it goes; one bad row at the end and nothing is written."""
    rows = [_row(w, i) for i in range(50_000)]
    rows[-1] = _row(w, 49_999, urgency="不急")
    seen: list[int] = []

    job = hotline_job(w, rows)
    original = imports._save

    def spy(j, *fields):
        if "processed" in fields and j.status == "running":
            seen.append(j.processed)
        original(j, *fields)

    imports._save = spy
    try:
        began = time.perf_counter()
        imports.run(job.pk)
        elapsed = time.perf_counter() - began
    finally:
        imports._save = original
    job.refresh_from_db()
    assert (job.status, job.total, job.processed, job.error_count) == ("failed", 50_000, 50_000, 1)
    assert job.errors[0]["row"] == 50_001 and job.errors[0]["column"] == "紧急程度"
    assert Case.objects.count() == 0
    assert len(seen) >= 100 and seen == sorted(seen)  # progress every 500 rows, only ever forward
    print(f"\n50,000-row check: {elapsed:.1f} s")


@pytest.mark.slow
def test_fifty_thousand_rows_import(w):
    """The whole file written through submit() (one transaction on PostgreSQL, batches on SQLite); every row becomes a
    case."""
    buildings = [w.building] + [BuildingFactory(node=w.micro, jurisdiction=w.jurisdiction) for _ in range(9)]
    rows = [_row(w, i, building=buildings[i % 10].code, phone="") for i in range(50_000)]
    job = hotline_job(w, rows)
    began = time.perf_counter()
    imports.run(job.pk)
    elapsed = time.perf_counter() - began
    job.refresh_from_db()
    assert (job.status, job.created_count, job.percent) == ("succeeded", 50_000, 100)
    assert Case.objects.filter(channel="hotline").count() == 50_000
    assert Building.objects.count() == 10
    print(f"\n50,000-row import: {elapsed:.1f} s")


# --------------------------------------------------------------------------- the template, the bar, the language


def _template(client, language: str):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    response = client.get(reverse("console:import_template"))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_the_templates_example_row_imports(client, w):
    """Downloaded by a community dispatcher, the template's example row names one of their buildings and a category
    of the catalogue: uploaded back unchanged it is imported as a case."""
    client.force_login(w.dispatcher)
    data = _template(client, "zh-hans")
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["诉求工单", "填写说明"]
    sheet = book["诉求工单"]
    head = [c.value for c in sheet[1]]
    assert head[:2] == ["工单编号", "标题"]
    assert sheet.max_row == 2
    upload(client, data)
    job = ImportJob.objects.get()
    assert (job.status, job.created_count, job.errors) == ("succeeded", 1, [])
    case = Case.objects.get(channel="hotline")
    assert case.building == w.building and case.category == w.category
    # In English the headings are the English column names, which the importer reads as well.
    english = load_workbook(io.BytesIO(_template(client, "en")))
    assert english.sheetnames[0] == "Cases" and english["Cases"]["A1"].value == "external_id"


def test_problems_are_reported_in_the_readers_language(client, w):
    client.force_login(w.dispatcher)
    rows = [_row(w, 1, building="B1"), _row(w, 2, urgency="很急"), _row(w, 1)]
    upload(client, workbook(rows))
    job = ImportJob.objects.get()
    assert job.status == "failed" and job.error_count == 3, job.errors
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    page = client.get(reverse("console:import", args=[job.pk])).content.decode()
    assert "没有编码为 B1 的楼栋" in page
    assert "紧急程度“很急”无法识别（可填：一般、紧急、特急）" in page
    assert "no building with code" not in page
    report = load_workbook(
        io.BytesIO(b"".join(client.get(reverse("console:import_errors", args=[job.pk])).streaming_content))
    )
    assert report.sheetnames == ["问题"]
    lines = list(report["问题"].iter_rows(values_only=True))
    assert lines[0] == ("文件", "行", "列", "问题")
    assert (2, "楼栋编码", "没有编码为 B1 的楼栋") in [r[1:] for r in lines[1:]]
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.get(reverse("console:import", args=[job.pk])).content.decode()
    assert "no building with code B1" in page


def test_the_bar_is_full_when_the_import_is_done(dispatcher_client, w):
    upload(dispatcher_client, workbook([_row(w, i) for i in range(3)]))
    done = ImportJob.objects.get()
    upload(dispatcher_client, workbook([_row(w, 7, phone="12345")]))
    refused = ImportJob.objects.order_by("-pk").first()
    assert (done.status, refused.status) == ("succeeded", "failed")
    for job in (done, refused):
        fragment = dispatcher_client.get(reverse("console:import_progress", args=[job.pk])).content.decode()
        assert 'max="100" value="100"' in fragment
        assert "hx-get" not in fragment  # it stops polling
