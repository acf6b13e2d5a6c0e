"""Excel export of a filtered case list, written through ``core.excel`` (text as text, never a formula; numbers and
dates typed) in write-only mode: rows stream to a temporary file, memory stays flat.

What it carries: the case's facts as the list shows them, plus the request itself (title, description, where) and
the result — the export is for staff who see those cases in the console. Personal data inside that free text (phone
and ID numbers, e-mail addresses, labelled names) is masked with ``core.privacy.mask_text``, and the reporter's name
and phone are not exported: a file leaves the console's scope checks and access log (it is mailed, printed,
copied), so it carries what a list may show, not what the case page shows to the person in scope.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO, Any

from django.utils.translation import gettext as _

from gongzhi.cases.models import Case
from gongzhi.console.selectors import LIST_FIELDS, LIST_RELATED
from gongzhi.console.templatetags.console_tags import deadline_label, handler_label
from gongzhi.core import excel
from gongzhi.core.privacy import mask_text

MAX_ROWS = 50_000
# What an export row reads: the list's columns and joins plus the request, the place and the result, in the same
# one query (no query per row).
RELATED = (*LIST_RELATED, "grid_node", "building__compound")
FIELDS = (
    *LIST_FIELDS,
    "description",
    "address",
    "result",
    "resolved_at",
    "grid_node",
    "grid_node__name",
    "building",
    "building__name",
    "building__compound",
    "building__compound__name",
)


def columns() -> list[tuple[str, float]]:
    """(heading, width in characters), in the language of the request."""
    return [
        (_("Tracking code"), 13),
        (_("Title"), 28),
        (_("Description"), 48),
        (_("Where"), 28),
        (_("Grid"), 18),
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
        (_("Resolved at"), 17),
        (_("Result"), 40),
        (_("Rework"), 8),
        (_("External id"), 16),
    ]


def _where(case: Case) -> str:
    parts = [str(case.building) if case.building_id else "", case.address]
    return mask_text(" ".join(p for p in parts if p))


def row(case: Case) -> list[Any]:
    return [
        case.tracking_code,
        mask_text(case.title),
        mask_text(case.description),
        _where(case),
        case.grid_node.name if case.grid_node_id else "",
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
        case.resolved_at,
        mask_text(case.result),
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
