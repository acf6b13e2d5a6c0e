"""Checks on a workbook we hand out: no cell anywhere is a formula (read back with openpyxl and in the sheet XML)."""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

from openpyxl import load_workbook

_FORMULA_ELEMENT = re.compile(rb"<(?:\w+:)?f[ >/]")


def assert_no_formulas(data: bytes) -> Any:
    """Fail if any cell of any sheet holds a formula; returns the workbook (loaded with formulas, not values)."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                assert not _FORMULA_ELEMENT.search(z.read(name)), f"{name} holds a formula"
    book = load_workbook(io.BytesIO(data))
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", f"{ws.title}!{c.coordinate} is a formula: {c.value!r}"
    return book
