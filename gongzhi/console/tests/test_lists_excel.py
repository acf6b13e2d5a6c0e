"""Excel in and out for each list: export → import of the same file writes nothing; edited and new rows go through
the services; a bad file is refused with every problem as (file, row, column, reason) and nothing written."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from gongzhi.cases.tests.factories import World, world
from gongzhi.console.models import ImportJob
from gongzhi.core.testing.excel import assert_no_formulas
from gongzhi.lists import services as lists
from gongzhi.lists.models import Need, NeedEvent, Project, Resource

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _immediate_tasks(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def w() -> World:
    w = world()
    need = lists.create_need(
        actor=w.dispatcher, node=w.community, title="老人助餐", category="elderly", source="survey", households=9
    )
    lists.create_need(
        actor=w.dispatcher, node=w.community, title="=SUM(A1)", category="children", source="visit", households=3
    )
    from datetime import date

    resource = lists.save_resource(
        actor=w.dispatcher,
        node=w.community,
        name="幸福食堂",
        kind="merchant",
        contact_name="王芳",
        contact_phone="13812345678",
        lat=30.012345,
        lon=120.054321,
        agreement_signed=date(2026, 1, 1),
        agreement_expires=date(2027, 12, 31),
    )
    lists.save_resource(actor=w.dispatcher, node=w.community, name="红马甲志愿服务队", kind="volunteer_team")
    lists.save_project(
        actor=w.dispatcher,
        node=w.community,
        needs=[need],
        name="长者食堂助餐",
        category="elderly",
        provider=resource,
        delivery="station",
        price=Decimal("8.50"),
        status="active",
    )
    lists.save_project(
        actor=w.dispatcher,
        node=w.community,
        name="免费理发",
        category="other",
        provider=resource,
        delivery="door",
        price=Decimal("0"),
    )
    return w


def _client(client, user, lang="zh-hans"):
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = lang
    return client


def _snapshot():
    return (
        list(Need.objects.order_by("pk").values()),
        list(Resource.objects.order_by("pk").values()),
        list(Project.objects.order_by("pk").values()),
        sorted(Project.needs.through.objects.values_list("project_id", "need_id")),
        NeedEvent.objects.count(),
    )


def _upload(c, data: bytes, kind: str):
    f = SimpleUploadedFile(f"{kind}.xlsx", data, content_type="application/octet-stream")
    response = c.post(reverse("console:imports"), {"kind": kind, "file": f})
    assert response.status_code == 302, response.content.decode()[:2000]
    return ImportJob.objects.order_by("-pk").first()


def _edit(data: bytes, changes: dict[tuple[int, int], object]) -> bytes:
    book = load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    for (row, col), value in changes.items():
        sheet.cell(row=row, column=col, value=value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
@pytest.mark.parametrize("kind", ["needs", "resources", "projects"])
def test_export_then_import_writes_nothing(client, w, kind, lang):
    c = _client(client, w.dispatcher, lang)
    response = c.get(reverse("console:lists_export", args=[kind]))
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    assert_no_formulas(data)
    before = _snapshot()
    job = _upload(c, data, kind)
    assert (job.status, job.created_count, job.result["unchanged"]) == ("succeeded", 0, 2), job.problems()
    assert _snapshot() == before


def test_resource_export_masks_the_mobile_and_keeps_it_on_the_way_back(client, w):
    c = _client(client, w.dispatcher)
    data = b"".join(c.get(reverse("console:lists_export", args=["resources"])).streaming_content)
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    cells = [str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None]
    assert "138****5678" in cells and "13812345678" not in cells
    # An edited row is updated (the masked number coming back leaves the stored one as it was), a new row created.
    head = [c.value for c in sheet[1]]
    edited = _edit(data, {(2, head.index("开放时间") + 1): "每天 9:00–18:00"})
    book = load_workbook(io.BytesIO(edited))
    book.worksheets[0].append([None, w.community.name, "社区卫生服务站", "医疗机构"])
    out = io.BytesIO()
    book.save(out)
    job = _upload(c, out.getvalue(), "resources")
    assert (job.status, job.result) == ("succeeded", {"created": 1, "updated": 1, "unchanged": 1})
    first = Resource.objects.get(name="幸福食堂")
    assert (first.hours, first.contact_phone) == ("每天 9:00–18:00", "13812345678")
    assert Resource.objects.get(name="社区卫生服务站").kind == "clinic"


def test_a_project_row_links_needs_through_the_services(client, w):
    c = _client(client, w.dispatcher)
    data = b"".join(c.get(reverse("console:lists_export", args=["projects"])).streaming_content)
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    head = [cell.value for cell in sheet[1]]
    other_need = Need.objects.get(title="=SUM(A1)")
    row = 3 if sheet.cell(row=3, column=head.index("名称") + 1).value == "免费理发" else 2
    job = _upload(c, _edit(data, {(row, head.index("对应需求编号") + 1): str(other_need.pk)}), "projects")
    assert (job.status, job.result) == ("succeeded", {"created": 0, "updated": 1, "unchanged": 1})
    other_need.refresh_from_db()
    assert other_need.status == "matched"
    assert list(NeedEvent.objects.filter(need=other_need).values_list("action", flat=True)) == ["create", "match"]


def test_a_bad_file_is_refused_with_every_problem_and_writes_nothing(client, w):
    c = _client(client, w.dispatcher, "en")
    data = b"".join(c.get(reverse("console:lists_export", args=["needs"])).streaming_content)
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    head = [cell.value for cell in sheet[1]]
    book = load_workbook(io.BytesIO(data))
    ws = book.worksheets[0]
    ws.append([None, w.other_community.name, None, "加装电梯", "elderly care", "survey", 5])  # not their community
    ws.append([None, w.community.name, None, "", "magic", "survey", "many"])  # three problems
    ws.append([999_999, w.community.name, None, "x", "elderly care", "survey", 1])  # no such number
    ws.cell(row=2, column=2, value=w.street.name)  # an exported need moved out of its community
    out = io.BytesIO()
    book.save(out)
    before = _snapshot()
    job = _upload(c, out.getvalue(), "needs")
    assert job.status == "failed" and job.created_count == 0
    problems = {(p.file, p.row, p.column, p.message) for p in job.problems()}
    assert problems == {
        ("needs.xlsx", 4, "community", "not a community whose lists you keep"),
        ("needs.xlsx", 5, "title", "required"),
        ("needs.xlsx", 5, "category", "unknown value magic"),
        ("needs.xlsx", 5, "households", "not a number"),
        ("needs.xlsx", 6, "number", "no row with this number in the lists you keep"),
        ("needs.xlsx", 2, "community", "not a community whose lists you keep"),
    }
    assert _snapshot() == before
    report = c.get(reverse("console:import_errors", args=[job.pk]))
    assert report.status_code == 200
    assert head[0] == "number"
    # A file of another list: the columns it lacks, and nothing written.
    resources = b"".join(c.get(reverse("console:lists_export", args=["resources"])).streaming_content)
    job = _upload(c, resources, "needs")
    assert job.status == "failed"
    assert {p.message for p in job.problems()} == {
        "the column 标题 / title is missing",
        "the column 来源 / source is missing",
        "the column 涉及户数 / households is missing",
        "the column 类别 / category is missing",
    }
    assert _snapshot() == before


def test_templates_and_exports_follow_the_capabilities(client, w):
    c = _client(client, w.steward)
    assert c.get(reverse("console:lists_export", args=["needs"])).status_code == 200
    assert c.get(reverse("console:lists_template", args=["needs"])).status_code == 403
    assert c.get(reverse("console:lists_export", args=["nope"])).status_code == 404
    other = _client(client, w.other_dispatcher)
    data = b"".join(other.get(reverse("console:lists_export", args=["needs"])).streaming_content)
    rows = list(load_workbook(io.BytesIO(data)).worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 1  # the heading only: nothing of another community
    template = b"".join(other.get(reverse("console:lists_template", args=["projects"])).streaming_content)
    assert next(load_workbook(io.BytesIO(template)).worksheets[0].iter_rows(values_only=True))[0] == "编号"


def test_a_need_stays_in_its_community(client, w):
    from gongzhi.grid.models import GridNode

    sibling = GridNode.objects.filter(parent=w.street, level="community").exclude(pk=w.community.pk).get()
    c = _client(client, w.street_staff, "en")
    data = b"".join(c.get(reverse("console:lists_export", args=["needs"])).streaming_content)
    before = _snapshot()
    job = _upload(c, _edit(data, {(2, 2): sibling.name}), "needs")
    assert job.status == "failed"
    assert [(p.row, p.column, p.message) for p in job.problems()] == [
        (2, "community", "a need stays in the community where it was recorded")
    ]
    assert _snapshot() == before
