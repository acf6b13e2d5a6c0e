"""Dashboard, panels, reports and the public page: scoped by the viewer, clear 4xx on bad input, no personal data."""

import io
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from gongzhi.analytics import panels, rollup
from gongzhi.cases import services
from gongzhi.cases.tests.factories import category, world

pytestmark = pytest.mark.django_db

PANELS = ("headline", "trend", "categories", "heat", "rankings", "hot")


@pytest.fixture
def w():
    w = world()
    case = w.to_resolved(reporter_name="王小明", reporter_phone="13800138000", reporter=w.resident)
    services.rate(case=case, actor=w.resident, score="satisfied", solved=True)
    w.submit(reporter_name="李大华", reporter_phone="13900139000")
    rollup.catch_up()
    return w


def client(user):
    c = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    c.force_login(user)
    return c


def month():
    return panels.month_label(timezone.localdate().replace(day=1))


def test_home_opens_the_top_of_the_viewers_scope(w):
    response = client(w.centre).get(reverse("analytics:home"))
    assert response.status_code == 302 and response.url == reverse("analytics:dashboard", args=[w.district.pk])
    response = client(w.dispatcher).get(reverse("analytics:home"))
    assert response.url == reverse("analytics:dashboard", args=[w.community.pk])
    assert client(w.steward).get(reverse("analytics:home")).status_code == 404  # stewards have no analytics


def test_every_panel_answers_for_the_district(w):
    c = client(w.centre)
    page = c.get(reverse("analytics:dashboard", args=[w.district.pk]))
    assert page.status_code == 200 and w.district.name in page.content.decode()
    # The 15-minute service circle of the same area is a link away, and opens for the same viewer.
    circle = reverse("console:station_circle") + f"?node={w.district.pk}"
    assert f'href="{circle}"' in page.content.decode()
    assert c.get(circle).status_code == 200
    for name in PANELS:
        response = c.get(reverse("analytics:panel", args=[w.district.pk, name]), {"month": month()})
        assert response.status_code == 200, name
    head = c.get(reverse("analytics:panel", args=[w.district.pk, "headline"])).json()
    assert head["figures"]["received"] == 2 and head["figures"]["satisfaction_rate"] == 1.0
    assert head["today"]["received"] == 2 and head["deadlines"]["open"] == 1
    assert [x["value"] for x in head["level_721"]] == [1, 0, 0, 0, 0]
    ranking = c.get(reverse("analytics:panel", args=[w.district.pk, "rankings"])).json()
    assert ranking["min_sample"] == 20 and ranking["areas"]["rows"] == []  # two cases: too few to rank anyone
    assert ranking["areas"]["too_small"] == [w.street.name]
    hot = c.get(reverse("analytics:panel", args=[w.district.pk, "hot"])).json()
    assert set(hot) == {"available", "message", "issues"}


def test_out_of_scope_is_404_and_bad_input_is_400(w):
    c = client(w.dispatcher)
    assert c.get(reverse("analytics:dashboard", args=[w.community.pk])).status_code == 200
    for node in (w.district, w.other_community):
        assert c.get(reverse("analytics:dashboard", args=[node.pk])).status_code == 404
        assert c.get(reverse("analytics:panel", args=[node.pk, "headline"])).status_code == 404
        assert c.get(reverse("analytics:report", args=[node.pk, month(), "pdf"])).status_code == 404
    bad = c.get(reverse("analytics:panel", args=[w.community.pk, "headline"]), {"month": "2025-13"})
    assert bad.status_code == 400 and "2025-03" in bad.json()["error"]
    # The page itself: back to this month with the reason shown, the big-screen mode kept.
    page = c.get(reverse("analytics:dashboard", args=[w.community.pk]), {"month": "2025-13", "screen": "1"})
    assert (
        page.status_code == 302
        and page["Location"] == reverse("analytics:dashboard", args=[w.community.pk]) + "?screen=1"
    )
    shown = c.get(page["Location"])
    assert shown.status_code == 200 and "2025-03" in shown.content.decode()
    bad = c.get(reverse("analytics:panel", args=[w.community.pk, "rankings"]), {"by": "nonsense"})
    assert bad.status_code == 400
    assert c.get(reverse("analytics:panel", args=[w.community.pk, "nope"])).status_code == 404
    assert Client().get(reverse("analytics:panel", args=[w.community.pk, "headline"])).status_code == 302


def test_monthly_report_as_pdf_with_chinese_text_and_as_excel(w):
    from openpyxl import load_workbook
    from pypdf import PdfReader

    c = client(w.centre)
    response = c.get(reverse("analytics:report", args=[w.district.pk, month(), "pdf"]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert w.district.name in text and "满意率" in text
    response = c.get(reverse("analytics:report", args=[w.district.pk, month(), "xlsx"]))
    book = load_workbook(io.BytesIO(response.content))
    rows = {r[0]: r[1] for r in book.worksheets[0].iter_rows(min_row=3, values_only=True) if r[0]}
    received = next(v for k, v in rows.items() if "受理量" in k)
    assert received == 2  # a number, not the text "2"
    assert book.worksheets[0]._charts  # the 721 pie


def test_public_page_shows_community_figures_and_no_personal_data(w):
    response = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get(reverse("transparency:figures"), {"month": month()})
    body = response.content.decode()
    assert response.status_code == 200
    assert w.community.name in body and w.other_community.name in body
    for secret in ("王小明", "李大华", "13800138000", "13900139000", "138****8000", "楼道里堆满杂物"):
        assert secret not in body
    assert Client().get(reverse("transparency:figures"), {"month": "x"}).status_code == 400


def test_parse_month():
    assert panels.parse_month("2025-03") == date(2025, 3, 1)
    with pytest.raises(ValueError, match="2025-03"):
        panels.parse_month("March")


def test_monthly_workbook_has_typed_numbers_and_no_formulas(w):
    """Counts are numbers, rates are fractions shown as percentages, names that look like formulas stay text."""
    from gongzhi.core.testing.excel import assert_no_formulas

    w.category.name = '=HYPERLINK("http://evil.example","看")'
    w.category.save(update_fields=["name"])
    w.street.name = "+街道"
    w.street.save(update_fields=["name"])
    response = client(w.centre).get(reverse("analytics:report", args=[w.district.pk, month(), "xlsx"]))
    book = assert_no_formulas(response.content)
    figures = {
        r[0].value: r[1] for r in book.worksheets[0].iter_rows(min_row=3) if r[0].value and r[1].value is not None
    }
    received = next(c for k, c in figures.items() if "受理量" in k)
    assert received.value == 2 and received.data_type == "n"
    satisfaction = next(c for k, c in figures.items() if "满意率" in k)
    assert satisfaction.value == 1.0 and satisfaction.number_format == "0.0%"
    cells = [c.value for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert w.category.name in cells and "+街道" in cells
    areas = book.worksheets[-1]
    street_row = next(r for r in areas.iter_rows(min_row=2) if r[0].value == "+街道")
    assert street_row[1].value == 2 and street_row[1].data_type == "n"


def test_rankings_say_which_figure_they_rank_by(w):
    c = client(w.centre)
    ranking = c.get(reverse("analytics:panel", args=[w.district.pk, "rankings"])).json()
    assert (ranking["by"], ranking["by_label"], ranking["higher_better"]) == ("on_time_rate", "按期办结率", True)
    assert ranking["title"] == "排名依据：按期办结率（从高到低）" and "按期办结率" in ranking["note"]
    rework = c.get(reverse("analytics:panel", args=[w.district.pk, "rankings"]), {"by": "rework_rate"}).json()
    assert (rework["by_label"], rework["higher_better"]) == ("返工率", False)
    assert {o["key"] for o in ranking["options"]} == set(panels.f.RANKABLE)
    page = c.get(reverse("analytics:dashboard", args=[w.district.pk]), {"by": "rework_rate"}).content.decode()
    assert 'data-rank-by="rework_rate"' in page


def test_hot_issues_are_named_by_their_category(w, monkeypatch):
    import gongzhi.routing as routing
    from gongzhi.routing.services import HotIssue

    w.category.name = "乱堆乱放"
    w.category.save(update_fields=["name"])
    now = timezone.now()
    found = [
        HotIssue(
            label=w.category.code,
            keywords=["楼道", "杂物"],
            count=45,
            lat=None,
            lng=None,
            node_id=None,
            first_at=now,
            last_at=now,
            case_ids=[1],
        ),
        HotIssue(label="", keywords=["噪音"], count=3, lat=None, lng=None, node_id=None, first_at=now, last_at=now),
    ]
    monkeypatch.setattr(routing, "hot_issues", lambda *a, **k: found)
    hot = client(w.centre).get(reverse("analytics:panel", args=[w.district.pk, "hot"])).json()
    assert [(i["name"], i["count"]) for i in hot["issues"]] == [("乱堆乱放", 45), ("噪音", 3)]
    assert hot["issues"][0]["label"] == w.category.code and "case_ids" not in hot["issues"][0]


def test_monthly_pdf_fills_its_pages(w):
    """Figures, the 721 split and the daily trend on page 1; categories and areas after: no page left nearly empty
    (the trend used to sit alone on page 2 before a forced break)."""
    from pypdf import PdfReader

    from gongzhi.analytics import reports

    for i in range(12):  # a dozen categories, as a real month has
        cat = category(w.jurisdiction, f"test.c{i}", name=f"类别{i}")
        w.submit(category=cat)
    rollup.catch_up()
    with translation.override("zh-hans"):
        data = reports.pdf(reports.monthly(w.district, timezone.localdate().replace(day=1)))
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(data)).pages]
    assert len(pages) == 2, [len(p) for p in pages]
    assert all(title in pages[0] for title in ("指标", "办结层级", "每日受理与办结"))
    assert pages[1].startswith("主要类别") and "区域" in pages[1] and w.street.name in pages[1]


def test_public_figures_show_the_sample_behind_each_rate(w):
    """Each rate on the public page carries its sample (n = its denominator); rates from fewer than the minimum
    sample are marked as such, not hidden."""
    response = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get(reverse("transparency:figures"), {"month": month()})
    body = response.content.decode()
    # The district: 2 received; one rated (satisfied); response and resolution due for the resolved one.
    assert 'data-figure="satisfaction_rate" data-n="1"' in body
    assert 'data-figure="response_rate" data-n="' in body
    assert "n=1" in body and "样本少于 20 件" in body
    row = body[body.index(f'data-node="{w.community.pk}"') :]
    row = row[: row.index("</tr>")]
    assert 'data-figure="satisfaction_rate" data-n="1"' in row and "100.0%" in row and "few" in row
