"""Excel export of a filtered case list (openpyxl write-only: rows stream to a temporary file, memory stays flat)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from typing import IO, Any

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from gongzhi.cases.models import Case
from gongzhi.console.templatetags.console_tags import deadline_label, handler_label

MAX_ROWS = 50_000


def _local(value: Any) -> Any:
    return timezone.localtime(value).replace(tzinfo=None) if value is not None else None


def columns() -> list[str]:
    return [
        _("Tracking code"),
        _("Title"),
        _("Status"),
        _("Deadline"),
        _("Channel"),
        _("Category"),
        _("Level"),
        _("Urgency"),
        _("Owned by"),
        _("Handled by"),
        _("Submitted"),
        _("Resolve by"),
        _("Rework"),
        _("External id"),
    ]


def row(case: Case) -> list[Any]:
    return [
        case.tracking_code,
        case.title,
        case.get_status_display(),
        deadline_label(case),
        case.get_channel_display(),
        case.category.name if case.category_id else "",
        case.get_level_display(),
        case.get_urgency_display(),
        case.owner_node.name,
        handler_label(case),
        _local(case.submitted_at),
        _local(case.resolve_due),
        case.rework_count,
        case.external_id,
    ]


def write_cases(cases: Iterable[Case], *, limit: int = MAX_ROWS) -> tuple[IO[bytes], int, bool]:
    """Write up to ``limit`` cases to an .xlsx in a temporary file; returns (file at 0, rows written, truncated)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Cases"))
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for title in columns():
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    written = 0
    truncated = False
    for case in cases:
        if written >= limit:
            truncated = True
            break
        sheet.append(row(case))
        written += 1
    if truncated:
        sheet.append([])
        sheet.append([_("Only the first %(n)d rows were exported; narrow the filters for the rest.") % {"n": limit}])
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the response, which closes it
    book.save(handle)
    handle.seek(0)
    return handle, written, truncated
