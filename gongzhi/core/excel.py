"""Writing Excel workbooks (openpyxl): every workbook gongzhi hands out is written through here.

Text is written as text, never as a formula. openpyxl stores a string that starts with ``=`` as a formula, so a
resident's "=HYPERLINK(…)" in a case title became a live formula in an export. Here every string is an inline string
cell (``data_type`` "s"), and one whose first visible character would start a formula in Excel, WPS or LibreOffice
(``=``, ``+``, ``-``, ``@``, also after leading tabs, carriage returns or spaces, and their full-width forms ＝＋－＠)
also carries Excel's *quote prefix* — the invisible apostrophe Excel itself stores when a person types ``'=…`` — so
editing the cell later does not turn it into a formula either. The text itself is kept exactly as written (a reader
sees "=HYPERLINK(…)", and our own importer reads back what was exported). Characters XML cannot hold (control
characters) are dropped, carriage returns become line feeds (XML would do it anyway) and text is cut at Excel's
32,767 characters, instead of failing the whole export.

Numbers stay numbers (int, float, Decimal; not bool-as-text), dates and times stay dates in the display time zone
(Excel has no time zones), each with a number format; ``Percent`` and ``Number`` carry a format of their own.

    book = excel.Book()                               # or Book(write_only=True) to stream a large export
    sheet = book.sheet(_("Cases"))                    # a valid sheet title (31 characters, no []:*?/\\)
    sheet.header([_("Tracking code"), _("Title")], widths=[14, 40])
    sheet.row(["2503ABCD", "=HYPERLINK(…)"])
    data = book.to_bytes()                            # or book.to_temporary_file()
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import IO, Any

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

# Characters that make Excel, WPS or LibreOffice read a typed or pasted cell as a formula (full-width forms too: WPS
# and Excel with a Chinese input method accept ＝ as =).
FORMULA_STARTS = ("=", "+", "-", "@", "＝", "＋", "－", "＠")
# Skipped before looking for one: a cell "\t=1+1" or " =1+1" still evaluates when pasted.
_LEADING = "\t\r\n \u3000"
MAX_CELL_CHARS = 32_767
MAX_TITLE_CHARS = 31
_BAD_TITLE = re.compile(r"[\[\]:*?/\\]")

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
TIME_FORMAT = "hh:mm"
INTEGER_FORMAT = "#,##0"
DECIMAL_FORMAT = "#,##0.0"
PERCENT_FORMAT = "0.0%"
TEXT_FORMAT = "@"


@dataclass(frozen=True)
class Percent:
    """A fraction (0.9573) shown as a percentage (95.7%) and stored as the number 0.9573; None is an empty cell."""

    value: float | None


@dataclass(frozen=True)
class Number:
    """A number with an explicit number format, e.g. Number(12.34, "0.0")."""

    value: int | float | Decimal | None
    number_format: str


def looks_like_formula(text: str) -> bool:
    """True when a spreadsheet would take ``text`` for a formula if it were typed or pasted into a cell."""
    return text.lstrip(_LEADING).startswith(FORMULA_STARTS)


def clean_text(value: object) -> str:
    """The string a cell can hold: control characters XML refuses removed, line ends as line feeds (XML turns a
    carriage return into one anyway), cut at Excel's limit per cell."""
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value)).replace("\r\n", "\n").replace("\r", "\n")
    return text[:MAX_CELL_CHARS]


def sheet_title(title: object, *, taken: Iterable[str] = ()) -> str:
    """A valid, unused sheet title: the characters Excel refuses replaced, at most 31 characters."""
    base = _BAD_TITLE.sub("-", clean_text(title)).strip("'").strip() or "Sheet"
    base = base[:MAX_TITLE_CHARS]
    used = {t.lower() for t in taken}
    candidate, n = base, 1
    while candidate.lower() in used:
        n += 1
        suffix = f" ({n})"
        candidate = base[: MAX_TITLE_CHARS - len(suffix)] + suffix
    return candidate


def _local(value: datetime) -> datetime:
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.replace(tzinfo=None)


def cell(sheet: Any, value: object, *, bold: bool = False, number_format: str | None = None) -> Cell:
    """One cell for ``sheet`` (a normal or write-only worksheet), typed by the value (see the module docstring)."""
    c = Cell(sheet, row=1, column=1)  # placed by append(), as openpyxl's WriteOnlyCell is
    fmt = number_format
    if isinstance(value, Percent):
        value, fmt = value.value, fmt or PERCENT_FORMAT
    elif isinstance(value, Number):
        value, fmt = value.value, fmt or value.number_format
    if value is None or value == "":
        c.value = None
    elif isinstance(value, bool):
        c.value = value
    elif isinstance(value, int | float | Decimal):
        c.value = value
        if fmt is None and isinstance(value, int):
            fmt = INTEGER_FORMAT
    elif isinstance(value, datetime):
        c.value = _local(value)
        fmt = fmt or DATETIME_FORMAT
    elif isinstance(value, date):
        c.value = value
        fmt = fmt or DATE_FORMAT
    elif isinstance(value, time):
        c.value = value.replace(tzinfo=None)
        fmt = fmt or TIME_FORMAT
    else:
        text = clean_text(value)
        c.value = text
        c.data_type = "s"  # openpyxl made a string starting with "=" a formula ("f"): it is text
        if looks_like_formula(text):
            c.quotePrefix = True
    if fmt:
        c.number_format = fmt
    if bold:
        c.font = Font(bold=True)
    return c


class Sheet:
    """A worksheet written row by row through ``cell``."""

    def __init__(self, worksheet: Any, *, write_only: bool) -> None:
        self.ws = worksheet
        self.write_only = write_only
        self.rows = 0

    def row(self, values: Sequence[object], *, bold: bool = False, formats: Sequence[str | None] = ()) -> int:
        """Append one row; ``formats`` gives a number format per column (None: by the value). Returns its number."""
        cells = [
            cell(self.ws, v, bold=bold, number_format=formats[i] if i < len(formats) else None)
            for i, v in enumerate(values)
        ]
        self.ws.append(cells)
        self.rows += 1
        return self.rows

    def header(self, titles: Sequence[object], *, widths: Sequence[float] = (), freeze: bool = True) -> int:
        """The bold heading row; frozen so it stays in view; optional column widths (in characters)."""
        for i, width in enumerate(widths, start=1):
            self.ws.column_dimensions[get_column_letter(i)].width = width
        if freeze:
            self.ws.freeze_panes = f"A{self.rows + 2}"
        return self.row(titles, bold=True)

    def blank(self) -> int:
        return self.row([])

    def widths(self, widths: Sequence[float]) -> None:
        for i, width in enumerate(widths, start=1):
            self.ws.column_dimensions[get_column_letter(i)].width = width

    def wrap(self, column: int) -> None:
        """Wrap long text in a column of a normal worksheet (write-only sheets cannot style a column afterwards)."""
        if self.write_only:
            return
        for (c,) in self.ws.iter_rows(min_col=column, max_col=column):
            c.alignment = Alignment(wrap_text=True, vertical="top")


class Book:
    """An .xlsx being written. ``write_only`` streams rows to disk (large exports: memory stays flat)."""

    def __init__(self, *, write_only: bool = False) -> None:
        self.wb = Workbook(write_only=write_only)
        self.write_only = write_only
        self._fresh = not write_only  # a normal workbook starts with one empty sheet: the first sheet() reuses it

    def sheet(self, title: object) -> Sheet:
        name = sheet_title(title, taken=[] if self._fresh else self.wb.sheetnames)
        if self._fresh:
            ws = self.wb.active
            ws.title = name
            self._fresh = False
        else:
            ws = self.wb.create_sheet(name)
        return Sheet(ws, write_only=self.write_only)

    def to_bytes(self) -> bytes:
        with tempfile.TemporaryFile() as handle:
            self.wb.save(handle)
            handle.seek(0)
            return handle.read()

    def to_temporary_file(self) -> IO[bytes]:
        """The workbook in a temporary file, positioned at 0 (hand it to a FileResponse, which closes it)."""
        handle = tempfile.TemporaryFile()  # noqa: SIM115 - the caller closes it
        self.wb.save(handle)
        handle.seek(0)
        return handle
