"""Excel export of a filtered case list, written through ``core.excel`` (text as text, never a formula; numbers and
dates typed) in write-only mode: rows stream to a temporary file, memory stays flat."""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO, Any

from django.utils.translation import gettext as _

from gongzhi.cases.models import Case
from gongzhi.console.templatetags.console_tags import deadline_label, handler_label
from gongzhi.core import excel

MAX_ROWS = 50_000


def columns() -> list[tuple[str, float]]:
    """(heading, width in characters), in the language of the request."""
    return [
        (_("Tracking code"), 13),
        (_("Title"), 28),
        (_("Status"), 10),
        (_("Deadline"), 10),
        (_("Channel"), 10),
        (_("Category"), 14),
        (_("Level"), 8),
        (_("Urgency"), 8),
        (_("Owned by"), 16),
        (_("Handled by"), 18),
        (_("Submitted"), 17),
        (_("Resolve by"), 17),
        (_("Rework"), 8),
        (_("External id"), 16),
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
        case.submitted_at,
        case.resolve_due,
        case.rework_count,
        case.external_id,
    ]


def write_cases(cases: Iterable[Case], *, limit: int = MAX_ROWS) -> tuple[IO[bytes], int, bool]:
    """Write up to ``limit`` cases to an .xlsx in a temporary file; returns (file at 0, rows written, truncated)."""
    book = excel.Book(write_only=True)
    sheet = book.sheet(_("Cases"))
    heads = columns()
    sheet.header([title for title, _w in heads], widths=[width for _t, width in heads])
    written = 0
    truncated = False
    for case in cases:
        if written >= limit:
            truncated = True
            break
        sheet.row(row(case))
        written += 1
    if truncated:
        sheet.blank()
        sheet.row([_("Only the first %(n)d rows were exported; narrow the filters for the rest.") % {"n": limit}])
    return book.to_temporary_file(), written, truncated
