"""Background Excel imports: a hotline export of cases, or a grid ledger (buildings, staff, departments).

All or nothing. Every row is read and checked first — progress is saved as it goes, so the page's bar moves —
and only when no row has a problem are they written, through the case services (cases) or the grid importer (grid
ledgers, which is itself all-or-nothing). Cases are written in one transaction on PostgreSQL and batch by batch on
SQLite, undone if a later batch fails (``CaseImport.write``, ``core.batches``). A refused import stores every problem
(file, row, column, reason) for a downloadable report and writes nothing else.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook

from gongzhi.cases import services
from gongzhi.cases.choices import Channel, Urgency
from gongzhi.cases.models import Case, CaseCategory, CaseEvent
from gongzhi.console import care_io, lists_io
from gongzhi.console.models import KEPT, ImportJob
from gongzhi.core import batches, crypto, excel, prepared
from gongzhi.core.errors import DomainError, ImportRejected, RowError, gettext_noop
from gongzhi.grid import location, roles
from gongzhi.grid import selectors as grid_selectors
from gongzhi.grid.models import Building, GridNode
from gongzhi.notifications import services as notifications

log = logging.getLogger("gongzhi.console")

MAX_ROWS = 100_000
MAX_STORED_ERRORS = 2000
PROGRESS_EVERY = 500
# A case import refreshes the planner's statistics of what it writes every so many rows (core.prepared).
STATISTICS_EVERY = 5000
# SQLite: the cases one batch of an import commits (core.batches): about 4 ms a case, so the one write lock is held
# a fifth of a second at a time.
SQLITE_BATCH = 50
# … and the held-back notifications (a text message or an inbox row each, a fraction of a millisecond) one commits.
RELEASE_BATCH = 250

# Column headings as hotline exports write them, in Chinese or English; matched case-insensitively.
CASE_COLUMNS: dict[str, tuple[str, ...]] = {
    "external_id": ("工单编号", "工单号", "external_id", "ticket"),
    "title": ("标题", "诉求标题", "title"),
    "description": ("内容", "诉求内容", "description"),
    "category": ("类别编码", "类别", "category"),
    "building": ("楼栋编码", "building"),
    "address": ("地址", "address"),
    "lat": ("纬度", "lat", "latitude"),
    "lon": ("经度", "lon", "longitude"),
    "reporter_name": ("来电人", "姓名", "reporter_name", "name"),
    "reporter_phone": ("电话", "来电号码", "reporter_phone", "phone"),
    "urgency": ("紧急程度", "urgency"),
    "submitted_at": ("受理时间", "submitted_at", "received"),
}
REQUIRED = ("external_id", "title")
# Problems, in English and marked for translation: a report is shown in its reader's language (core.errors.RowError).
REQUIRED_VALUE = gettext_noop("required")
TOO_LONG = gettext_noop("longer than %(n)s characters")
INTERNAL_ERROR = gettext_noop("internal error; nothing imported")
ONLY_GRID_ADMINS = gettext_noop("only grid administrators import ledgers")
NO_GRID = gettext_noop("no grid yet")
URGENCY_WORDS = {
    "一般": Urgency.NORMAL,
    "普通": Urgency.NORMAL,
    "紧急": Urgency.URGENT,
    "特急": Urgency.EMERGENCY,
    **{u: u for u in Urgency.values},
}


@dataclass
class CaseRow:
    line: int
    external_id: str
    title: str
    description: str
    category: CaseCategory | None
    building: Building | None
    lat: float | None
    lon: float | None
    address: str
    reporter_name: str
    reporter_phone: str
    urgency: str | None
    submitted_at: datetime | None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _rows(data: bytes) -> tuple[list[str], Iterator[tuple[Any, ...]], int]:
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None) or ()
    total = max((sheet.max_row or 1) - 1, 0)
    return [_text(h) for h in header], rows, total


class CaseImport:
    """Check every row of a hotline export against the database; then write them all or none."""

    def __init__(self, job: ImportJob, *, progress: Callable[[int], None]) -> None:
        self.job = job
        self.user = job.created_by
        self.jurisdiction = job.jurisdiction
        self.progress = progress
        self.errors: list[RowError] = []
        self.file = job.original_name
        self.categories = {
            c.code: c
            for c in CaseCategory.objects.filter(jurisdiction=self.jurisdiction, active=True, children__isnull=True)
        }
        self._buildings: dict[str, Building | None] = {}
        self._may_record: dict[int, bool] = {}
        self.root = GridNode.objects.filter(jurisdiction=self.jurisdiction, parent__isnull=True).first()
        self.headings: dict[str, str] = {}

    def err(self, line: int | None, column: str | None, reason: str, **params: object) -> None:
        """A problem: ``reason`` English and marked with gettext_noop, translated when the report is read."""
        self.errors.append(RowError(file=self.file, row=line, column=column, reason=reason, params=params))

    def col(self, key: str) -> str:
        """The column as the file names it (a hotline's own heading), else the template's name."""
        return self.headings.get(key) or CASE_COLUMNS[key][0]

    def building(self, code: str) -> Building | None:
        if code not in self._buildings:
            self._buildings[code] = (
                Building.objects.select_related("node", "jurisdiction")
                .filter(jurisdiction=self.jurisdiction, code=code)
                .first()
            )
        return self._buildings[code]

    def may_record(self, node: GridNode) -> bool:
        if node.pk not in self._may_record:
            self._may_record[node.pk] = grid_selectors.user_can(self.user, roles.CASE_RECORD, node)
        return self._may_record[node.pk]

    def check(self, data: bytes) -> list[CaseRow]:
        try:
            header, rows, total = _rows(data)
        except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
            self.err(
                None,
                None,
                gettext_noop("not an Excel workbook (.xlsx) we can read (%(kind)s)"),
                kind=type(exc).__name__,
            )
            return []
        self.job.total = total
        index: dict[str, int] = {}
        lowered = [h.lower() for h in header]
        for key, names in CASE_COLUMNS.items():
            for name in names:
                if name.lower() in lowered:
                    index[key] = lowered.index(name.lower())
                    self.headings[key] = header[index[key]]
                    break
        for key in REQUIRED:
            if key not in index:
                self.err(
                    1,
                    CASE_COLUMNS[key][0],
                    gettext_noop("required column is missing (name it %(names)s)"),
                    names=" / ".join(CASE_COLUMNS[key]),
                )
        if self.errors:
            return []
        seen: dict[str, int] = {}
        checked: list[CaseRow] = []
        line = 1
        for values in rows:
            line += 1
            if line - 1 > MAX_ROWS:
                self.err(line, None, gettext_noop("the file has more than %(n)s rows; split it"), n=MAX_ROWS)
                break
            cells = {k: _text(values[i]) if i < len(values) else "" for k, i in index.items()}
            raw = {k: (values[i] if i < len(values) else None) for k, i in index.items()}
            if not any(cells.values()):
                continue
            row = self.check_row(line, cells, raw, seen)
            if row is not None:
                checked.append(row)
            if line % PROGRESS_EVERY == 0:
                self.progress(line - 1)
        self.job.total = line - 1
        self.progress(line - 1)
        self.check_existing(checked)
        return checked

    def check_row(self, line: int, cells: dict[str, str], raw: dict[str, Any], seen: dict[str, int]) -> CaseRow | None:
        before = len(self.errors)
        external_id = cells.get("external_id", "")
        title = cells.get("title", "")
        col = self.col
        if not external_id:
            self.err(line, col("external_id"), REQUIRED_VALUE)
        elif len(external_id) > 64:
            self.err(line, col("external_id"), TOO_LONG, n=64)
        elif external_id in seen:
            self.err(
                line,
                col("external_id"),
                gettext_noop("%(value)s appears twice (also on row %(row)s)"),
                value=external_id,
                row=seen[external_id],
            )
        else:
            seen[external_id] = line
        if not title:
            self.err(line, col("title"), REQUIRED_VALUE)
        elif len(title) > 200:
            self.err(line, col("title"), TOO_LONG, n=200)
        description = cells.get("description", "")
        if len(description) > 5000:
            self.err(line, col("description"), TOO_LONG, n=5000)
        category = None
        if cells.get("category"):
            category = self.categories.get(cells["category"])
            if category is None:
                self.err(line, col("category"), gettext_noop("no category with code %(code)s"), code=cells["category"])
        building = None
        lat = lon = None
        node: GridNode | None = None
        place = col("building")
        if cells.get("building"):
            building = self.building(cells["building"])
            if building is None:
                self.err(line, place, gettext_noop("no building with code %(code)s"), code=cells["building"])
            else:
                node = building.node
        elif cells.get("lat") or cells.get("lon"):
            place = f"{col('lon')}/{col('lat')}"
            try:
                lat, lon = float(cells.get("lat", "")), float(cells.get("lon", ""))
            except ValueError:
                self.err(line, place, gettext_noop("give both latitude and longitude as numbers"))
            else:
                found = location.locate(self.jurisdiction.pk, lat, lon)
                node = GridNode.objects.filter(pk=found.node_id).first() if found.node_id else None
                if node is None:
                    self.err(line, place, gettext_noop("the point is outside every grid of the district"))
        else:
            node = self.root
        if node is not None and not self.may_record(node):
            self.err(line, place, gettext_noop("you may not record cases in %(area)s"), area=node.name)
        phone = cells.get("reporter_phone", "")
        if phone:
            normal = crypto.normalise_phone(phone)
            if not (len(normal) == 11 and normal.startswith("1")):
                self.err(
                    line,
                    col("reporter_phone"),
                    gettext_noop("not a mainland mobile number (11 digits starting with 1)"),
                )
        urgency = None
        if cells.get("urgency"):
            urgency = URGENCY_WORDS.get(cells["urgency"].lower())
            if urgency is None:
                self.err(
                    line,
                    col("urgency"),
                    gettext_noop("unknown urgency “%(value)s” (write 一般, 紧急 or 特急)"),
                    value=cells["urgency"],
                )
        submitted = raw.get("submitted_at")
        submitted_at: datetime | None = None
        if isinstance(submitted, datetime):
            submitted_at = timezone.make_aware(submitted) if timezone.is_naive(submitted) else submitted
        elif cells.get("submitted_at"):
            from django.utils.dateparse import parse_datetime

            parsed = parse_datetime(cells["submitted_at"].replace("/", "-"))
            if parsed is None:
                self.err(line, col("submitted_at"), gettext_noop("not a date and time (write 2025-03-01 09:30)"))
            else:
                submitted_at = timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed
        if submitted_at is not None and submitted_at > timezone.now():
            self.err(line, col("submitted_at"), gettext_noop("in the future"))
        if len(self.errors) > before:
            return None
        return CaseRow(
            line=line,
            external_id=external_id,
            title=title,
            description=description,
            category=category,
            building=building,
            lat=lat,
            lon=lon,
            address=cells.get("address", "")[:200],
            reporter_name=cells.get("reporter_name", "")[:64],
            reporter_phone=phone,
            urgency=urgency,
            submitted_at=submitted_at,
        )

    def check_existing(self, rows: list[CaseRow]) -> None:
        """Tickets already imported (same hotline ticket number) are refused, so a file is never imported twice."""
        ids = [r.external_id for r in rows]
        for start in range(0, len(ids), 1000):
            chunk = ids[start : start + 1000]
            taken = set(
                Case.objects.filter(
                    jurisdiction=self.jurisdiction, channel=Channel.HOTLINE, source="", external_id__in=chunk
                ).values_list("external_id", flat=True)
            )
            for r in rows[start : start + 1000]:
                if r.external_id in taken:
                    self.err(
                        r.line,
                        self.col("external_id"),
                        gettext_noop("%(value)s was already imported"),
                        value=r.external_id,
                    )

    def write(
        self,
        rows: list[CaseRow],
        *,
        progress: Callable[[int, int], None] | None = None,
        per_batch: bool | None = None,
    ) -> int:
        """Write the checked rows, all or none (``progress(done, total)`` as they go).

        On PostgreSQL in one transaction. On SQLite batch by batch (``core.batches``), so that residents' reports
        written meanwhile wait a batch, not the whole file; the reporters' text messages and the staff's inbox are
        held back until the last batch is in (a text cannot be taken back), and if a batch fails the cases the earlier
        ones wrote are deleted again before the error is raised. ``per_batch`` chooses (None: by the database)."""
        if per_batch is None:
            per_batch = batches.commits_per_batch(Case)
        if not per_batch:
            with transaction.atomic():
                self._write(rows, step=nullcontext, size=PROGRESS_EVERY, progress=progress, written=None)
            return len(rows)
        written: list[int] = []
        try:
            with notifications.held() as held:
                self._write(rows, step=batches.committed_step, size=SQLITE_BATCH, progress=progress, written=written)
        except BaseException as exc:
            kept = self.undo(written)
            if not kept or not isinstance(exc, Exception):
                raise
            with transaction.atomic():  # the kept cases' own receipts: they exist, their reporters hear
                held.about(f"case:{pk}" for pk in kept).release()
            codes = ", ".join(Case.objects.filter(pk__in=kept).order_by("pk").values_list("tracking_code", flat=True))
            said = RowError(file=self.file, row=None, column=None, reason=KEPT, params={"codes": codes})
            if isinstance(exc, ImportRejected):
                exc.errors.append(said)
                raise
            log.exception("import %s failed", self.job.pk)
            raise ImportRejected([said]) from exc
        for start in range(0, len(held), RELEASE_BATCH):
            with batches.committed_step():
                held.release(start, start + RELEASE_BATCH)
        return len(rows)

    def _write(
        self,
        rows: list[CaseRow],
        *,
        step: Callable[[], AbstractContextManager[Any]],
        size: int,
        progress: Callable[[int, int], None] | None,
        written: list[int] | None,
    ) -> None:
        done = 0
        for batch in batches.in_batches(rows, size):
            with step():
                for r in batch:
                    if done and done % STATISTICS_EVERY == 0:
                        # The cases written so far may be uncommitted: autovacuum cannot count them (core.prepared).
                        prepared.refresh_statistics(*_written_tables())
                    case = self._submit(r)
                    if written is not None:
                        written.append(case.pk)
                    done += 1
            if progress is not None:
                progress(done, len(rows))

    def _submit(self, r: CaseRow) -> Case:
        try:
            return services.submit(
                jurisdiction=self.jurisdiction,
                channel=Channel.HOTLINE,
                title=r.title,
                description=r.description,
                category=r.category,
                urgency=r.urgency,
                reporter_name=r.reporter_name,
                reporter_phone=r.reporter_phone,
                building=r.building,
                lat=r.lat,
                lon=r.lon,
                address=r.address,
                recorded_by=self.user,
                external_id=r.external_id,
                at=r.submitted_at,
            )
        except DomainError as exc:
            # Checked already; a change since (a ticket imported meanwhile) refuses the whole file.
            raise ImportRejected(
                [RowError(file=self.file, row=r.line, column=None, reason=exc.template, params=exc.params)]
            ) from exc

    def undo(self, written: list[int]) -> list[int]:
        """Delete the cases of a batched write that failed later, in short transactions again, and return the ids of
        those kept: a case someone already relied on in the meantime — staff acted on it, a resident's report was
        merged into it, its reporter's phone was revealed (an audit record) — stays, as deleting it would take their
        work or the audit trail with it."""
        kept: list[int] = []
        for chunk in batches.in_batches(written, SQLITE_BATCH):
            # Staff who acted on one meanwhile (triaged it, took it on …): their work stays with it.
            worked_on = set(
                CaseEvent.objects.filter(case_id__in=chunk, actor__isnull=False)
                .exclude(actor=self.user)
                .values_list("case_id", flat=True)
            )
            kept += [pk for pk in chunk if pk in worked_on]
            chunk = [pk for pk in chunk if pk not in worked_on]
            try:
                with transaction.atomic():
                    Case.objects.filter(pk__in=chunk).delete()
            except ProtectedError:
                for pk in chunk:
                    try:
                        with transaction.atomic():
                            Case.objects.filter(pk=pk).delete()
                    except ProtectedError:
                        kept.append(pk)
        if kept:
            log.warning(
                "import %s failed; %d of its cases were kept, others rely on them: %s", self.job.pk, len(kept), kept
            )
        return kept


def _save(job: ImportJob, *fields: str) -> None:
    job.save(update_fields=list(fields))


def run(job_id: int) -> ImportJob:
    """The task body: import one uploaded file. Never raises for bad data: the job records the outcome."""
    job = ImportJob.objects.select_related("created_by", "jurisdiction").get(pk=job_id)
    if job.finished:
        return job
    job.status, job.phase, job.started_at = ImportJob.Status.RUNNING, ImportJob.Phase.READING, timezone.now()
    _save(job, "status", "phase", "started_at")
    try:
        with job.file.open("rb") as handle:
            data = handle.read()
        if job.kind == ImportJob.Kind.CASES:
            _run_cases(job, data)
        elif job.kind == ImportJob.Kind.CARE:
            counts = care_io.run(job, data, save=_save)
            _succeed(job, counts["residents"], counts)
        elif job.kind in lists_io.KIND_OF_JOB:
            counts = lists_io.run(job, data, save=_save)
            _succeed(job, counts["created"] + counts["updated"], counts)
        else:
            _run_grid(job, data)
    except ImportRejected as exc:
        _fail(job, exc.errors)
    except Exception:  # a bug or an outage: say so on the page, keep the traceback in the log
        log.exception("import %s failed", job.pk)
        _fail(job, [RowError(file=job.original_name, row=None, column=None, reason=INTERNAL_ERROR)])
    return job


def _written_tables() -> tuple[str, ...]:
    from gongzhi.routing.models import CaseTriage

    return (Case._meta.db_table, CaseEvent._meta.db_table, CaseTriage._meta.db_table)


def _run_cases(job: ImportJob, data: bytes) -> None:
    def progress(n: int) -> None:
        job.processed = n
        job.phase = ImportJob.Phase.CHECKING
        _save(job, "processed", "total", "phase")

    importer = CaseImport(job, progress=progress)
    rows = importer.check(data)
    if importer.errors:
        raise ImportRejected(importer.errors)
    job.phase, job.processed, job.total = ImportJob.Phase.WRITING, 0, len(rows)
    _save(job, "phase", "total", "processed")
    progress = care_io.WriteProgress(job, per_batch=batches.commits_per_batch(Case))
    try:
        created = importer.write(rows, progress=progress)
    finally:
        progress.close()
    _succeed(job, created, {"cases": created})


def _run_grid(job: ImportJob, data: bytes) -> None:
    from gongzhi.grid import importers

    if not grid_selectors.user_can(job.created_by, roles.GRID_MANAGE, _root(job)):
        raise ImportRejected([RowError(file=job.original_name, row=None, column=None, reason=ONLY_GRID_ADMINS)])
    job.phase = ImportJob.Phase.WRITING
    _save(job, "phase")
    result = importers.import_grid(jurisdiction=job.jurisdiction.code, workbook=io.BytesIO(data), actor=job.created_by)
    counts = result.counts_dict()
    created = sum(c.get("created", 0) + c.get("updated", 0) for c in counts.values())
    job.total = job.processed = created
    _succeed(job, created, counts)


def _root(job: ImportJob) -> GridNode:
    root = GridNode.objects.filter(jurisdiction=job.jurisdiction, parent__isnull=True).first()
    if root is None:
        raise ImportRejected([RowError(file=job.original_name, row=None, column=None, reason=NO_GRID)])
    return root


def _succeed(job: ImportJob, created: int, result: dict[str, Any]) -> None:
    job.status, job.phase = ImportJob.Status.SUCCEEDED, ImportJob.Phase.DONE
    job.created_count, job.result, job.finished_at = created, result, timezone.now()
    if job.kind != ImportJob.Kind.GRID:
        job.processed = job.total
    _save(job, "status", "phase", "created_count", "result", "finished_at", "processed", "total")


def _fail(job: ImportJob, errors: list[RowError]) -> None:
    job.status, job.phase, job.finished_at = ImportJob.Status.FAILED, ImportJob.Phase.DONE, timezone.now()
    job.error_count = len(errors)
    job.errors = [e.as_dict() for e in errors[:MAX_STORED_ERRORS]]
    job.created_count = 0
    _save(job, "status", "phase", "finished_at", "error_count", "errors", "created_count", "processed", "total")


def error_report(job: ImportJob) -> io.BytesIO:
    """The problems of a refused import as an .xlsx a person can sort and fix the file from, in their language."""
    book = excel.Book()
    sheet = book.sheet(_("Problems"))
    sheet.header([_("File"), _("Row"), _("Column"), _("Problem")], widths=[24, 8, 16, 70])
    for e in job.problems():
        sheet.row([e.file, e.row, e.column, e.message])
    if job.error_count > len(job.errors):
        more = job.error_count - len(job.errors)
        sheet.row([None, None, None, _("… and %(n)s more problems") % {"n": more}])
    return io.BytesIO(book.to_bytes())


@dataclass
class Example:
    """What the template's example row names, so that it imports for the person who downloaded it."""

    building: Building | None = None
    category: CaseCategory | None = None


def example_category(jurisdiction_id: int) -> CaseCategory | None:
    """A category a hotline row may name: active, without subcategories (as the importer accepts)."""
    return (
        CaseCategory.objects.filter(jurisdiction_id=jurisdiction_id, active=True, children__isnull=True)
        .order_by("code")
        .first()
    )


def template_headings() -> list[str]:
    """The template's column headings: the Chinese names in Chinese, the English names otherwise (both are read)."""
    chinese = (translation.get_language() or "").lower().startswith("zh")
    return [names[0] if chinese else key for key, names in CASE_COLUMNS.items()]


def template_workbook(example: Example | None = None) -> io.BytesIO:
    """A hotline export to fill in, in the reader's language: the headings, one example row that imports as it is,
    and a sheet explaining each column."""
    example = example or Example()
    yesterday = timezone.localtime() - timedelta(days=1)
    values = {
        "external_id": "12345-0001",
        "title": "路灯不亮",
        "description": "3号楼门口路灯坏了，晚上很黑",
        "category": example.category.code if example.category else "",
        "building": example.building.code if example.building else "",
        "address": example.building.address if example.building else "",
        "lat": None,
        "lon": None,
        "reporter_name": "张三",
        "reporter_phone": "13800138000",
        "urgency": "一般",
        "submitted_at": yesterday.replace(hour=9, minute=30, second=0, microsecond=0),
    }
    book = excel.Book()
    sheet = book.sheet(_("Cases"))
    headings = template_headings()
    sheet.header(headings, widths=[14, 20, 32, 12, 14, 20, 10, 10, 10, 14, 10, 17])
    sheet.row([values[key] for key in CASE_COLUMNS], formats=[excel.TEXT_FORMAT] * 10)
    guide = book.sheet(_("Instructions"))
    guide.header([_("Column"), _("Other names it may have"), _("What to write")], widths=[16, 36, 80])
    for key, heading in zip(CASE_COLUMNS, headings, strict=True):
        others = [n for n in (*CASE_COLUMNS[key], key) if n != heading]
        guide.row([heading, "、".join(dict.fromkeys(others)), str(COLUMN_HELP[key])])
    guide.blank()
    for line in TEMPLATE_NOTES:
        guide.row([str(line)])
    return io.BytesIO(book.to_bytes())


COLUMN_HELP = {
    "external_id": gettext_lazy("Required. The hotline's ticket number; a ticket already imported is refused."),
    "title": gettext_lazy("Required. A short title, at most 200 characters."),
    "description": gettext_lazy("What the caller said, at most 5,000 characters."),
    "category": gettext_lazy("The category's code from the catalogue; empty: the dispatcher sorts it."),
    "building": gettext_lazy("The building's code (on its QR poster and in the grid ledger)."),
    "address": gettext_lazy("The address as the caller gave it."),
    "lat": gettext_lazy("Latitude (WGS-84), only when there is no building code."),
    "lon": gettext_lazy("Longitude (WGS-84), only when there is no building code."),
    "reporter_name": gettext_lazy("The caller's name (kept private)."),
    "reporter_phone": gettext_lazy("The caller's mobile number, 11 digits (kept private, encrypted)."),
    "urgency": gettext_lazy("一般, 紧急 or 特急; empty: 一般."),
    "submitted_at": gettext_lazy("When the hotline took the call, e.g. 2025-03-01 09:30; not in the future."),
}
TEMPLATE_NOTES = (
    gettext_lazy("One case per row from row 2 on; the example row may be replaced or deleted."),
    gettext_lazy(
        "Without a building code or a location, a case belongs to the whole district: only district staff may "
        "import it."
    ),
    gettext_lazy("If any row has a problem, nothing is imported and you get the list of problems."),
)
