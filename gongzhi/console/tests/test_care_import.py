"""A household ledger into the care registry through the console's imports page: background job, progress, a
problem report in the reader's language, all or nothing, only for staff who keep the registry."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from gongzhi.care.models import Household, Resident
from gongzhi.care.tests.factories import care_world, id_number, phone
from gongzhi.console import care_io
from gongzhi.console.models import ImportJob
from gongzhi.core import crypto
from gongzhi.grid import roles
from gongzhi.grid.tests.factories import BuildingFactory, post

pytestmark = pytest.mark.django_db

HEAD_ZH = [
    "户编号",
    "楼栋编码",
    "单元房号",
    "地址",
    "姓名",
    "身份证号",
    "与户主关系",
    "联系电话",
    "关爱类别",
    "关爱等级",
    "等级原因",
]
HEAD_EN = ["Ledger", "Building", "Room", "Address", "Name", "ID number", "Relation", "Phone", "Care groups", "Level",
           "Reason"]  # fmt: skip


@pytest.fixture(autouse=True)
def _immediate_tasks(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def w():
    world = care_world()
    BuildingFactory(node=world.micro_grid, jurisdiction=world.district.jurisdiction, code="B-1")
    return world


def workbook(rows: list[list[object]], head: list[str] = HEAD_ZH) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("台账")
    sheet.append(head)
    for r in rows:
        sheet.append(r)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def person(ledger: str, n: int, relation: str = "户主", **over: object) -> list[object]:
    values: dict[str, object] = {
        "ledger": ledger,
        "building": "B-1",
        "room": "1单元101",
        "address": "",
        "name": f"居民{n}",
        "id": id_number(date(1950, 1, 1)),
        "relation": relation,
        "phone": phone(n),
        "groups": "独居老人",
        "level": "黄",
        "reason": "空巢",
    }
    values.update(over)
    return list(values.values())


def upload(client, data: bytes, kind: str = "care"):
    f = SimpleUploadedFile("台账.xlsx", data, content_type="application/octet-stream")
    return client.post(reverse("console:imports"), {"kind": kind, "file": f})


def logged_in(client, user, language: str = "en"):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    client.force_login(user)
    return client


def test_a_ledger_is_imported_and_the_job_reports_it(client, w) -> None:
    c = logged_in(client, w.staff)
    rows = [person("H1", 1), person("H1", 2, "配偶", level="", reason="", groups=""), person("H2", 3)]
    response = upload(c, workbook(rows))
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("console:import", args=[job.pk])
    assert (job.kind, job.status, job.phase, job.total, job.processed, job.created_count) == (
        "care", "succeeded", "done", 3, 3, 3,
    )  # fmt: skip
    assert job.result == {
        "households_created": 2,
        "households_extended": 0,
        "residents": 3,
        "in_care": 2,
        "memberships": 2,
    }
    assert Household.objects.count() == 2 and Resident.objects.count() == 3
    head = Resident.objects.get(phone_index=crypto.blind_index(phone(1)))
    assert (head.name, head.level, head.household.code, head.household.head_id) == ("居民1", "yellow", "H1", head.pk)
    page = c.get(reverse("console:import", args=[job.pk])).content.decode()
    assert "3 rows imported." in page
    # The page never shows a resident's personal data.
    assert "居民1" not in page and phone(1) not in page


def test_english_headings_are_read_too(client, w) -> None:
    c = logged_in(client, w.staff)
    upload(c, workbook([person("H1", 1, "head", level="red", reason="alone")], head=HEAD_EN))
    job = ImportJob.objects.get()
    assert (job.status, job.created_count) == ("succeeded", 1)
    assert Resident.objects.get().level == "red"


def test_one_bad_row_refuses_the_whole_ledger_with_a_report(client, w) -> None:
    c = logged_in(client, w.staff)
    same = id_number()
    rows = [person(f"H{n}", n) for n in range(1, 8)]
    rows[2] = person("H3", 3, id=same)
    rows[5] = person("H6", 6, id=same)  # the same ID number: rows 4 and 7 of the sheet
    rows[6] = person("H7", 7, building="NOPE", level="紫")
    upload(c, workbook(rows))
    job = ImportJob.objects.get()
    assert (job.status, job.created_count, job.error_count) == ("failed", 0, 3)
    assert Household.objects.count() == 0 and Resident.objects.count() == 0
    assert [(e.row, e.column, e.english) for e in job.problems()] == [
        (7, "身份证号", "the same ID number is on rows 4 and 7"),
        (8, "楼栋编码", "no building with code NOPE"),
        (8, "关爱等级", "unknown care level “紫” (write 红, 黄 or 绿)"),
    ]
    page = c.get(reverse("console:import", args=[job.pk])).content.decode()
    assert "3 problems found; nothing was imported." in page
    report = c.get(reverse("console:import_errors", args=[job.pk]))
    sheet = load_workbook(io.BytesIO(b"".join(report.streaming_content)), read_only=True).worksheets[0]
    lines = list(sheet.iter_rows(values_only=True))
    assert lines[0] == ("File", "Row", "Column", "Problem")
    assert ("台账.xlsx", 7, "身份证号", "the same ID number is on rows 4 and 7") in lines


def test_the_report_is_in_the_readers_language(client, w) -> None:
    c = logged_in(client, w.staff, "zh-hans")
    upload(c, workbook([person("H1", 1, level="红", reason="")]))
    job = ImportJob.objects.get()
    assert job.status == "failed"
    page = c.get(reverse("console:import", args=[job.pk])).content.decode()
    assert "关爱等级需要填写原因" in page


def test_a_missing_column_names_it(client, w) -> None:
    c = logged_in(client, w.staff)
    upload(c, workbook([["H1", "B-1", "王五"]], head=["户编号", "楼栋编码", "姓名"]))
    job = ImportJob.objects.get()
    assert (job.status, job.error_count) == ("failed", 1)
    assert (
        job.problems()[0].english
        == "required column is missing (name it 身份证号 / 身份证号码 / id number / id_number)"
    )


def test_only_staff_who_keep_the_registry_import_a_ledger(client, w) -> None:
    # A steward may search the registry but does not keep it: the page refuses the choice, nothing is queued.
    c = logged_in(client, w.steward)
    response = upload(c, workbook([person("H1", 1)]))
    assert response.status_code == 403
    assert ImportJob.objects.count() == 0 and Resident.objects.count() == 0
    # The command centre imports hotline exports but does not keep the registry: the choice is refused on the page.
    centre = logged_in(client, post(roles.COMMAND_CENTRE, node=w.district).user)
    response = upload(centre, workbook([person("H1", 1)]))
    assert response.status_code == 400 and "You do not keep the care registry." in response.content.decode()
    assert 'id="care-template"' not in centre.get(reverse("console:imports")).content.decode()
    assert ImportJob.objects.count() == 0 and Resident.objects.count() == 0
    # Staff of another community keep a registry, but not this building's: every row is refused.
    other = logged_in(client, w.other_staff)
    upload(other, workbook([person("H1", 1)]))
    job = ImportJob.objects.get()
    assert (job.status, [e.english for e in job.problems()]) == (
        "failed", ["building B-1 is outside the area whose registry you keep"],
    )  # fmt: skip
    assert Resident.objects.count() == 0


def test_the_ledger_template_imports_as_it_is(client, w) -> None:
    c = logged_in(client, w.staff, "zh-hans")
    page = c.get(reverse("console:imports")).content.decode()
    assert 'id="care-template"' in page
    template = c.get(reverse("console:import_template") + "?kind=care")
    assert template.status_code == 200
    data = b"".join(template.streaming_content)
    upload(c, data)
    job = ImportJob.objects.get()
    assert (job.status, job.created_count) == ("succeeded", 2), job.problems()
    # Others get no template.
    steward = logged_in(client, w.steward)
    assert steward.get(reverse("console:import_template") + "?kind=care").status_code == 404


def test_the_heading_list_covers_every_ledger_field() -> None:
    assert set(care_io.COLUMNS) == {
        "ledger", "building", "room", "address", "name", "id_number", "relation", "phone", "groups", "level", "reason",
    }  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_the_page_sees_the_write_progress(w, monkeypatch) -> None:
    """On PostgreSQL through a connection of its own, and no row before the end (one transaction); on SQLite batch by
    batch, each batch's rows committed with it."""
    from functools import partial

    from django.core.files.base import ContentFile
    from django.db import DEFAULT_DB_ALIAS, connection, connections
    from django.utils import timezone

    from gongzhi.care import importer
    from gongzhi.console import imports

    monkeypatch.setattr(importer, "write", partial(importer.write, batch_size=2))
    seen: list[tuple[int, int, str, int]] = []
    original = care_io.WriteProgress.__call__

    def spy(self, done: int, total: int) -> None:
        original(self, done, total)
        other = connections.create_connection(DEFAULT_DB_ALIAS)  # another connection: what the page reads
        try:
            with other.cursor() as cursor:
                cursor.execute("SELECT processed, total, phase FROM console_importjob WHERE id = %s", [self.job.pk])
                row = cursor.fetchone()
                cursor.execute("SELECT count(*) FROM care_resident")
                seen.append((*row, cursor.fetchone()[0]))
        finally:
            other.close()

    monkeypatch.setattr(care_io.WriteProgress, "__call__", spy)
    job = ImportJob(
        kind="care",
        jurisdiction=w.district.jurisdiction,
        original_name="台账.xlsx",
        created_by=w.staff,
        created_at=timezone.now(),
    )
    job.file.save("ledger.xlsx", ContentFile(workbook([person(f"H{n}", n) for n in range(5)])), save=False)
    job.save()
    imports.run(job.pk)
    job.refresh_from_db()
    assert (job.status, job.created_count) == ("succeeded", 5)
    if connection.vendor == "postgresql":
        assert seen == [(2, 5, "writing", 0), (4, 5, "writing", 0), (5, 5, "writing", 0)]
    else:
        assert seen == [(2, 5, "writing", 2), (4, 5, "writing", 4), (5, 5, "writing", 5)]
    assert Resident.objects.count() == 5


def test_an_id_number_registered_between_the_check_and_the_write_refuses_the_file(client, w, monkeypatch) -> None:
    from gongzhi.care import importer

    c = logged_in(client, w.staff)
    number = id_number()
    original = importer.write

    def meanwhile(checked, **kwargs):
        w.resident(id_number=number)  # someone else registers the same person
        return original(checked, **kwargs)

    monkeypatch.setattr(importer, "write", meanwhile)
    upload(c, workbook([person("H1", 1), person("H2", 2, id=number)]))
    job = ImportJob.objects.get()
    assert (job.status, job.created_count) == ("failed", 0)
    assert [e.english for e in job.problems()] == [
        "the registry changed while the file was imported (an ID number or a ledger number was added meanwhile); "
        "import the file again"
    ]
    assert not Household.objects.filter(code__in=["H1", "H2"]).exists()
