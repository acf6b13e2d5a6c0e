"""A hotline export written batch by batch (issue 29: on SQLite a long import must not hold the one write lock for a
minute and turn residents' reports into 503s), still all or nothing: the batches really commit, the reporters' texts
and the staff's inbox wait until the last batch is in, and a batch that fails takes the earlier ones back out — except
a case somebody already relied on meanwhile. ``gongzhi bench import-wait --kind cases`` measures the reports beside
it (``ops/tests/test_import_wait.py``)."""

from __future__ import annotations

import logging

import pytest
from django.db import connection

from gongzhi.cases import services as case_services
from gongzhi.cases.models import Case, CaseEvent, PhoneReveal
from gongzhi.cases.tests.factories import world
from gongzhi.console import imports
from gongzhi.console.models import ImportJob
from gongzhi.console.tests.test_imports import _row, hotline_job, workbook
from gongzhi.core import batches
from gongzhi.core.errors import Conflict, ImportRejected
from gongzhi.notifications.models import Notification, SmsMessage

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def w():
    return world()


def checked(w, rows: list[list[object]]) -> tuple[imports.CaseImport, list[imports.CaseRow]]:
    job = hotline_job(w, rows)
    importer = imports.CaseImport(job, progress=lambda n: None)
    found = importer.check(workbook(rows))
    assert importer.errors == []
    return importer, found


def written() -> tuple[int, int, int, int]:
    return (
        Case.objects.filter(channel="hotline").count(),
        CaseEvent.objects.count(),
        SmsMessage.objects.count(),
        Notification.objects.count(),
    )


def test_sqlite_writes_cases_per_batch_by_default_postgresql_does_not() -> None:
    assert batches.commits_per_batch(Case) is (connection.vendor == "sqlite")


def test_batches_commit_and_the_texts_wait_for_the_last_one(w) -> None:
    rows = [_row(w, i, phone=f"1390000{i:04d}") for i in range(12)]
    rows[4] = _row(w, 4, phone="13900000004", urgency="特急")  # an emergency: the dispatchers hear at once — later
    importer, found = checked(w, rows)
    seen: list[tuple[int, bool, tuple[int, int, int, int]]] = []
    importer.write(
        found,
        per_batch=True,
        progress=lambda done, total: seen.append((done, connection.in_atomic_block, written())),
    )
    assert [s[0] for s in seen] == [12]  # one batch (SQLITE_BATCH is 50)
    assert seen[0][1] is False  # committed: no transaction open
    assert seen[0][2][2:] == (0, 0)  # no text and no inbox row yet when the cases were all in
    cases, _events, texts, inbox = written()
    assert cases == 12
    assert texts == 12  # one receipt each, written after the last batch
    assert inbox >= 1  # the emergency reached the dispatchers
    assert Notification.objects.filter(kind="case.emergency").exists()
    assert set(SmsMessage.objects.values_list("kind", flat=True)) == {"case.received"}


def test_small_batches_commit_one_by_one(w, monkeypatch) -> None:
    monkeypatch.setattr(imports, "SQLITE_BATCH", 3)
    monkeypatch.setattr(imports, "RELEASE_BATCH", 4)
    importer, found = checked(w, [_row(w, i, phone=f"1390000{i:04d}") for i in range(8)])
    seen: list[tuple[int, bool, int, int]] = []

    def progress(done: int, total: int) -> None:
        cases, _events, texts, _inbox = written()
        seen.append((done, connection.in_atomic_block, cases, texts))

    importer.write(found, per_batch=True, progress=progress)
    assert seen == [(3, False, 3, 0), (6, False, 6, 0), (8, False, 8, 0)]
    assert written()[2] == 8


def test_a_later_batch_that_fails_takes_the_earlier_ones_back_out(w, monkeypatch) -> None:
    monkeypatch.setattr(imports, "SQLITE_BATCH", 3)
    before_case = case_services.submit(
        jurisdiction=w.jurisdiction, channel="hotline", title="早先的工单", reporter_phone="13900009999",
        building=w.building, recorded_by=w.dispatcher, external_id="12345-999999",
    )  # fmt: skip
    before = written()
    importer, found = checked(w, [_row(w, i, phone=f"1390000{i:04d}") for i in range(10)])
    # Another import wrote row 8's ticket meanwhile: the service refuses it in the third batch.
    original = case_services.submit

    def taken_meanwhile(**request):
        if request["external_id"] == "12345-000007":
            raise Conflict("a case with external id %(id)r already exists", params={"id": request["external_id"]})
        return original(**request)

    monkeypatch.setattr(case_services, "submit", taken_meanwhile)
    committed: list[int] = []
    with pytest.raises(ImportRejected) as refused:
        importer.write(found, per_batch=True, progress=lambda done, total: committed.append(written()[0]))
    assert committed == [before[0] + 3, before[0] + 6]  # two batches had committed …
    assert written() == before  # … and nothing of the file is left: no case, event, text or inbox row
    assert Case.objects.filter(pk=before_case.pk).exists()
    problem = refused.value.errors[0]
    assert (problem.row, problem.params) == (9, {"id": "12345-000007"})


def test_a_case_someone_relied_on_meanwhile_is_kept(w, monkeypatch, caplog) -> None:
    monkeypatch.setattr(imports, "SQLITE_BATCH", 2)
    importer, found = checked(w, [_row(w, i) for i in range(6)])
    original = case_services.submit
    revealed: list[int] = []

    def staff_reveal_then_a_row_fails(**request):
        if request["external_id"] == "12345-000002":  # the first batch is in: a dispatcher opens its reporter's phone
            first = Case.objects.get(external_id="12345-000000")
            PhoneReveal.objects.create(
                case=first, actor=w.dispatcher, basis=PhoneReveal._meta.get_field("basis").choices[0][0],
                purpose="回电核实", at=first.submitted_at,
            )  # fmt: skip
            revealed.append(first.pk)
        if request["external_id"] == "12345-000003":  # … and the command centre rejects another
            second = Case.objects.get(external_id="12345-000001")
            case_services.reject(case=second, actor=w.centre, reason="不属于本辖区")
            revealed.append(second.pk)
        if request["external_id"] == "12345-000005":
            raise Conflict("a case with external id %(id)r already exists", params={"id": request["external_id"]})
        return original(**request)

    monkeypatch.setattr(case_services, "submit", staff_reveal_then_a_row_fails)
    with caplog.at_level(logging.WARNING, logger="gongzhi.console"), pytest.raises(ImportRejected) as refused:
        importer.write(found, per_batch=True)
    # The revealed case stays with its audit record, the rejected one with the staff's decision; the others are gone.
    assert list(Case.objects.filter(channel="hotline").values_list("pk", flat=True)) == revealed
    assert PhoneReveal.objects.count() == 1
    assert "2 of its cases were kept" in caplog.text
    # The import's report says so, naming the case; its reporter got the receipt, nobody else did.
    kept = list(Case.objects.filter(pk__in=revealed).order_by("pk"))
    said = refused.value.errors[-1]
    assert (said.reason, said.params) == (imports.KEPT, {"codes": ", ".join(c.tracking_code for c in kept)})
    receipts = set(SmsMessage.objects.filter(kind="case.received").values_list("subject", flat=True))
    assert receipts == {f"case:{c.pk}" for c in kept}


def test_one_transaction_when_asked_as_on_postgresql(w) -> None:
    importer, found = checked(w, [_row(w, i, phone=f"1390000{i:04d}") for i in range(4)])
    seen: list[tuple[bool, int]] = []
    importer.write(found, per_batch=False, progress=lambda done, total: seen.append((connection.in_atomic_block, done)))
    assert seen == [(True, 4)]
    assert written()[0] == 4 and written()[2] == 4  # the receipts written with the cases, in the same transaction


def test_the_job_page_counts_the_write_and_a_failed_write_leaves_nothing(w, monkeypatch) -> None:
    monkeypatch.setattr(imports, "SQLITE_BATCH", 2)
    rows = [_row(w, i) for i in range(5)]
    job = hotline_job(w, rows)
    original = case_services.submit
    phases: list[tuple[str, int, int]] = []

    def fails_at_the_last_row(**request):
        current = ImportJob.objects.get(pk=job.pk)
        phases.append((current.phase, current.processed, current.total))
        if request["external_id"] == "12345-000004":
            raise Conflict("a case with external id %(id)r already exists", params={"id": request["external_id"]})
        return original(**request)

    monkeypatch.setattr(case_services, "submit", fails_at_the_last_row)
    imports.run(job.pk)
    job.refresh_from_db()
    assert (job.status, job.created_count, job.error_count) == ("failed", 0, 1)
    assert job.errors[0]["row"] == 6
    assert Case.objects.count() == 0 and SmsMessage.objects.count() == 0
    # The page read the write's progress as the batches went (on SQLite; on PostgreSQL one transaction, through a
    # connection of its own).
    assert phases[0] == ("writing", 0, 5)
    if connection.vendor == "sqlite":
        assert phases[2] == ("writing", 2, 5) and phases[4] == ("writing", 4, 5)


def test_the_page_counts_rows_written_and_says_which_cases_a_failed_import_kept(w, client) -> None:
    from django.urls import reverse

    from gongzhi.core.errors import RowError

    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    client.force_login(w.dispatcher)
    job = hotline_job(w, [_row(w, 0)])
    job.status, job.phase, job.processed, job.total = "running", "writing", 1250, 5000
    job.save()
    assert job.percent == 92  # checking filled 90 %; a quarter of the write is the next 2.5 %
    page = client.get(reverse("console:import_progress", args=[job.pk])).content.decode()
    assert "已写入 1250 / 5000 行" in page and "已校验" not in page

    job.status, job.phase, job.error_count = "failed", "done", 2
    job.errors = [
        RowError(file="12345.xlsx", row=9, column=None, reason="required", params={}).as_dict(),
        RowError(file="12345.xlsx", row=None, column=None, reason=imports.KEPT, params={"codes": "AB12CD"}).as_dict(),
    ]
    job.save()
    page = client.get(reverse("console:import", args=[job.pk])).content.decode()
    assert "导入已停止，只保留了下面列出的工单" in page and "未导入任何数据。" not in page
    assert "<li>导入在写入以下工单后失败" in page and "AB12CD" in page  # no row, no column: no stray ": "
    job.errors = job.errors[:1]
    job.error_count = 1
    job.save()
    assert "未导入任何数据" in client.get(reverse("console:import", args=[job.pk])).content.decode()
