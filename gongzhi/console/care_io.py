"""A community's household ledger (户籍台账, one row per person) into the care registry, on the console's import
machinery (``imports``: a background job, progress saved as it goes, all or nothing, the problems as (file, row,
column, reason) for a downloadable report).

This side reads the workbook and its headings (Chinese or English) and keeps the job's progress; the registry's own
bulk write (``care.importer``) checks every row against the file and the registry and then writes all of them in one
transaction. Only users whose posts grant ``care.manage`` import a ledger, and only into the buildings of their area.

While the rows are written, the one transaction holds them back from every other connection — the job's progress
too. On PostgreSQL the progress of the write is saved through a second connection of its own, so the page's bar
moves; on SQLite (one writer at a time) the page shows the write as under way without a count.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gongzhi.care import idcard, importer
from gongzhi.console.models import ImportJob
from gongzhi.core import excel
from gongzhi.core.errors import DomainError, ImportRejected, RowError, gettext_noop
from gongzhi.grid import roles
from gongzhi.grid import selectors as grid_selectors
from gongzhi.grid.models import Building

MAX_ROWS = 200_000
# Column headings a ledger may use, Chinese or English, matched case-insensitively; the first is the template's.
COLUMNS: dict[str, tuple[str, ...]] = {
    "ledger": ("户编号", "ledger", "ledger number", "household"),
    "building": ("楼栋编码", "building", "building code"),
    "room": ("单元房号", "room", "unit and room"),
    "address": ("地址", "address"),
    "name": ("姓名", "name"),
    "id_number": ("身份证号", "身份证号码", "id number", "id_number"),
    "relation": ("与户主关系", "relation"),
    "phone": ("联系电话", "电话", "phone"),
    "groups": ("关爱类别", "care groups", "groups"),
    "level": ("关爱等级", "care level", "level"),
    "reason": ("等级原因", "reason", "level reason"),
}
REQUIRED_COLUMNS = ("ledger", "building", "name", "id_number")
ONLY_KEEPERS = gettext_noop("only staff who keep the care registry import a household ledger")
MISSING_COLUMN = gettext_noop("required column is missing (name it %(names)s)")
NOT_A_WORKBOOK = gettext_noop("not an Excel workbook (.xlsx) we can read (%(kind)s)")
TOO_MANY_ROWS = gettext_noop("the file has more than %(n)s rows; split it")
CHANGED_MEANWHILE = gettext_noop(
    "the registry changed while the file was imported (an ID number or a ledger number was added meanwhile); "
    "import the file again"
)


def may_import(user: Any) -> bool:
    """Whether some post of ``user`` grants care.manage (the choice on the imports page)."""
    return grid_selectors.home_node_with(user, roles.CARE_MANAGE) is not None


def example_building(user: Any) -> str:
    """The code of a building the user keeps the registry of (for the template's example), or ""."""
    condition = grid_selectors.capability_condition(user, roles.CARE_MANAGE, "node__")
    if condition is None:
        return ""
    found = Building.objects.filter(condition).order_by("code").values_list("code", flat=True).first()
    return found or ""


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


class WriteProgress:
    """An import's progress while it writes. In one transaction (PostgreSQL) through a connection of its own, so the
    page sees it before the commit; batch by batch (SQLite, ``core.batches``) with the batch, or between batches."""

    def __init__(self, job: ImportJob, *, per_batch: bool) -> None:
        self.job = job
        self.per_batch = per_batch
        self.side: Any = None
        if connection.vendor == "postgresql" and not per_batch:
            self.side = connections.create_connection(DEFAULT_DB_ALIAS)

    def __call__(self, done: int, total: int) -> None:
        self.job.processed, self.job.total = done, total
        if self.per_batch:
            ImportJob.objects.filter(pk=self.job.pk).update(processed=done, total=total, phase=ImportJob.Phase.WRITING)
            return
        if self.side is None:
            return
        table = ImportJob._meta.db_table
        with self.side.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET processed = %s, total = %s, phase = %s WHERE id = %s",  # noqa: S608 - the model's table
                [done, total, ImportJob.Phase.WRITING, self.job.pk],
            )

    def close(self) -> None:
        if self.side is not None:
            self.side.close()


def read(data: bytes, file: str) -> tuple[dict[str, str], Iterator[importer.LedgerRow], int, list[RowError]]:
    """The headings found (key -> the file's heading), the rows, the row count the sheet declares, and problems with
    the file itself (not a workbook, a required column missing)."""
    from gongzhi.console.imports import _rows

    try:
        header, rows, total = _rows(data)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        return (
            {},
            iter(()),
            0,
            [RowError(file=file, row=None, column=None, reason=NOT_A_WORKBOOK, params={"kind": type(exc).__name__})],
        )
    lowered = [h.lower() for h in header]
    index: dict[str, int] = {}
    headings: dict[str, str] = {}
    for key, names in COLUMNS.items():
        for name in names:
            if name.lower() in lowered:
                index[key] = lowered.index(name.lower())
                headings[key] = header[index[key]]
                break
    problems = [
        RowError(
            file=file, row=1, column=COLUMNS[key][0], reason=MISSING_COLUMN, params={"names": " / ".join(COLUMNS[key])}
        )
        for key in REQUIRED_COLUMNS
        if key not in index
    ]

    def ledger_rows() -> Iterator[importer.LedgerRow]:
        for line, values in enumerate(rows, start=2):
            cells = {key: _text(values[i]) if i < len(values) else "" for key, i in index.items()}
            if not any(cells.values()):
                continue
            yield importer.LedgerRow(line=line, **cells)

    return headings, ledger_rows(), total, problems


def run(job: ImportJob, data: bytes, *, save: Callable[..., None]) -> dict[str, int]:
    """Check and write one household ledger for ``imports.run``: ImportRejected with every problem, else the counts."""
    file = job.original_name
    user = job.created_by
    if not may_import(user):
        raise ImportRejected([RowError(file=file, row=None, column=None, reason=ONLY_KEEPERS)])
    headings, rows, total, problems = read(data, file)
    if problems:
        raise ImportRejected(problems)
    job.total, job.phase = total, ImportJob.Phase.CHECKING
    save(job, "total", "phase")

    def checking(done: int, total: int) -> None:
        job.processed, job.total = done, total
        save(job, "processed", "total")

    def capped(rows: Iterator[importer.LedgerRow]) -> Iterator[importer.LedgerRow]:
        for count, row in enumerate(rows, start=1):
            if count > MAX_ROWS:
                raise ImportRejected(
                    [RowError(file=file, row=row.line, column=None, reason=TOO_MANY_ROWS, params={"n": MAX_ROWS})]
                )
            yield row

    columns = {key: headings.get(key, COLUMNS[key][0]) for key in COLUMNS}
    checked, found = importer.check(
        capped(rows), jurisdiction=job.jurisdiction, actor=user, total=total, progress=checking
    )
    if found:
        raise ImportRejected([p.row_error(file, columns) for p in found])
    job.phase, job.processed, job.total = ImportJob.Phase.WRITING, 0, checked.residents
    save(job, "phase", "processed", "total")
    progress = WriteProgress(job, per_batch=importer.commits_per_batch())
    try:
        imported = importer.write(checked, actor=user, progress=progress)
    except DomainError as exc:  # the scope changed since the check
        raise ImportRejected(
            [RowError(file=file, row=None, column=None, reason=exc.template, params=exc.params)]
        ) from exc
    except IntegrityError as exc:  # a unique ID number or ledger number written by someone else since the check
        raise ImportRejected([RowError(file=file, row=None, column=None, reason=CHANGED_MEANWHILE)]) from exc
    finally:
        progress.close()
    return imported.as_dict()


# ---------------------------------------------------------------------------------------------------------- template


def template_headings() -> list[str]:
    chinese = (translation.get_language() or "").lower().startswith("zh")
    return [names[0] if chinese else names[1] for names in COLUMNS.values()]


def template_workbook(building_code: str = "") -> io.BytesIO:
    """A household ledger to fill in, in the reader's language: the headings, an example household of two (valid
    fake ID numbers of region 990101, which does not exist) and a sheet explaining each column."""
    book = excel.Book()
    sheet = book.sheet(_("Household ledger"))
    sheet.header(template_headings(), widths=[12, 12, 12, 24, 10, 22, 10, 14, 20, 10, 24])
    head = idcard.make("990101", date(1940, 5, 17), 1)
    child = idcard.make("990101", date(1968, 3, 12), 3)
    example = [
        [
            "H0001",
            building_code,
            "1单元101",
            "",
            "王秀英",
            head,
            "户主",
            "13700000001",
            "独居老人、高龄老人",
            "红",
            "独居，行动不便",
        ],
        ["H0001", building_code, "1单元101", "", "李建国", child, "子女", "", "", "", ""],
    ]
    for row in example:
        sheet.row(row, formats=[excel.TEXT_FORMAT] * len(row))
    guide = book.sheet(_("Instructions"))
    guide.header([_("Column"), _("Other names it may have"), _("What to write")], widths=[16, 36, 80])
    for (key, names), heading in zip(COLUMNS.items(), template_headings(), strict=True):
        others = [n for n in names if n != heading]
        guide.row([heading, "、".join(others), str(COLUMN_HELP[key])])
    guide.blank()
    for line in TEMPLATE_NOTES:
        guide.row([str(line)])
    return io.BytesIO(book.to_bytes())


COLUMN_HELP = {
    "ledger": gettext_lazy("Required. The household's ledger number; the rows of one household share it."),
    "building": gettext_lazy("Required. The building's code (on its QR poster and in the grid ledger)."),
    "room": gettext_lazy("Unit and room, e.g. 3单元502."),
    "address": gettext_lazy("The address, if the building's own is not enough."),
    "name": gettext_lazy("Required. The person's name (kept encrypted)."),
    "id_number": gettext_lazy(
        "Required. The 18-character ID number; its check character is verified (kept encrypted)."
    ),
    "relation": gettext_lazy("户主, 配偶, 子女, 父母, 孙子女 or 其他; one head per household."),
    "phone": gettext_lazy("A mobile or landline number (kept encrypted)."),
    "groups": gettext_lazy("Care groups by name or code, separated by 、 or commas."),
    "level": gettext_lazy("红, 黄 or 绿 (red, yellow, green); empty: not in colour-coded care."),
    "reason": gettext_lazy("Required with a care level: why this level."),
}
TEMPLATE_NOTES = (
    gettext_lazy("One person per row from row 2 on; replace the example rows."),
    gettext_lazy("A household already in the registry (same ledger number) gets the new members added."),
    gettext_lazy("If any row has a problem, nothing is imported and you get the list of problems."),
)
