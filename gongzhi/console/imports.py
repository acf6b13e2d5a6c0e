"""Background Excel imports: a hotline export of cases, or a grid ledger (buildings, staff, departments).

All or nothing. Every row is read and checked first — progress is saved as it goes, so the page's bar moves —
and only when no row has a problem are they written, in one transaction through the case services (cases) or the
grid importer (grid ledgers, which is itself all-or-nothing). A refused import stores every problem (file, row,
column, reason) for a downloadable report and writes nothing else.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from openpyxl import load_workbook

from gongzhi.cases import services
from gongzhi.cases.choices import Channel, Urgency
from gongzhi.cases.models import Case, CaseCategory
from gongzhi.console.models import ImportJob
from gongzhi.core import crypto, excel
from gongzhi.core.errors import DomainError, ImportRejected, RowError
from gongzhi.grid import location, roles
from gongzhi.grid import selectors as grid_selectors
from gongzhi.grid.models import Building, GridNode

log = logging.getLogger("gongzhi.console")

MAX_ROWS = 100_000
MAX_STORED_ERRORS = 2000
PROGRESS_EVERY = 500

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

    def err(self, line: int | None, column: str | None, reason: str) -> None:
        self.errors.append(RowError(file=self.file, row=line, column=column, reason=reason))

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
            self.err(None, None, f"not an Excel workbook (.xlsx) we can read: {exc.__class__.__name__}")
            return []
        self.job.total = total
        index: dict[str, int] = {}
        lowered = [h.lower() for h in header]
        for key, names in CASE_COLUMNS.items():
            for name in names:
                if name.lower() in lowered:
                    index[key] = lowered.index(name.lower())
                    break
        for key in REQUIRED:
            if key not in index:
                self.err(1, CASE_COLUMNS[key][0], "required column is missing")
        if self.errors:
            return []
        seen: dict[str, int] = {}
        checked: list[CaseRow] = []
        line = 1
        for values in rows:
            line += 1
            if line - 1 > MAX_ROWS:
                self.err(line, None, f"the file has more than {MAX_ROWS} rows; split it")
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
        if not external_id:
            self.err(line, "工单编号", "required")
        elif len(external_id) > 64:
            self.err(line, "工单编号", "longer than 64 characters")
        elif external_id in seen:
            self.err(line, "工单编号", f"{external_id} appears twice (also on row {seen[external_id]})")
        else:
            seen[external_id] = line
        if not title:
            self.err(line, "标题", "required")
        elif len(title) > 200:
            self.err(line, "标题", "longer than 200 characters")
        description = cells.get("description", "")
        if len(description) > 5000:
            self.err(line, "内容", "longer than 5000 characters")
        category = None
        if cells.get("category"):
            category = self.categories.get(cells["category"])
            if category is None:
                self.err(line, "类别编码", f"no category with code {cells['category']}")
        building = None
        lat = lon = None
        node: GridNode | None = None
        if cells.get("building"):
            building = self.building(cells["building"])
            if building is None:
                self.err(line, "楼栋编码", f"no building with code {cells['building']}")
            else:
                node = building.node
        elif cells.get("lat") or cells.get("lon"):
            try:
                lat, lon = float(cells.get("lat", "")), float(cells.get("lon", ""))
            except ValueError:
                self.err(line, "经度/纬度", "give both latitude and longitude as numbers")
            else:
                found = location.locate(self.jurisdiction.pk, lat, lon)
                node = GridNode.objects.filter(pk=found.node_id).first() if found.node_id else None
                if node is None:
                    self.err(line, "经度/纬度", "the point is outside every grid of the district")
        else:
            node = self.root
        if node is not None and not self.may_record(node):
            self.err(line, "楼栋编码", f"you may not record cases in {node.name}")
        phone = cells.get("reporter_phone", "")
        if phone:
            normal = crypto.normalise_phone(phone)
            if not (len(normal) == 11 and normal.startswith("1")):
                self.err(line, "电话", "not a mainland mobile number (11 digits starting with 1)")
        urgency = None
        if cells.get("urgency"):
            urgency = URGENCY_WORDS.get(cells["urgency"].lower())
            if urgency is None:
                self.err(line, "紧急程度", f"unknown urgency {cells['urgency']} (一般, 紧急 or 特急)")
        submitted = raw.get("submitted_at")
        submitted_at: datetime | None = None
        if isinstance(submitted, datetime):
            submitted_at = timezone.make_aware(submitted) if timezone.is_naive(submitted) else submitted
        elif cells.get("submitted_at"):
            from django.utils.dateparse import parse_datetime

            parsed = parse_datetime(cells["submitted_at"].replace("/", "-"))
            if parsed is None:
                self.err(line, "受理时间", "not a date and time (2025-03-01 09:30)")
            else:
                submitted_at = timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed
        if submitted_at is not None and submitted_at > timezone.now():
            self.err(line, "受理时间", "in the future")
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
                    self.err(r.line, "工单编号", f"{r.external_id} was already imported")

    def write(self, rows: list[CaseRow]) -> int:
        with transaction.atomic():
            for r in rows:
                try:
                    services.submit(
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
                        [RowError(file=self.file, row=r.line, column=None, reason=exc.message)]
                    ) from exc
        return len(rows)


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
        else:
            _run_grid(job, data)
    except ImportRejected as exc:
        _fail(job, exc.errors)
    except Exception:  # a bug or an outage: say so on the page, keep the traceback in the log
        log.exception("import %s failed", job.pk)
        _fail(job, [RowError(file=job.original_name, row=None, column=None, reason="internal error; nothing imported")])
    return job


def _run_cases(job: ImportJob, data: bytes) -> None:
    def progress(n: int) -> None:
        job.processed = n
        job.phase = ImportJob.Phase.CHECKING
        _save(job, "processed", "total", "phase")

    importer = CaseImport(job, progress=progress)
    rows = importer.check(data)
    if importer.errors:
        raise ImportRejected(importer.errors)
    job.phase = ImportJob.Phase.WRITING
    _save(job, "phase", "total", "processed")
    created = importer.write(rows)
    _succeed(job, created, {"cases": created})


def _run_grid(job: ImportJob, data: bytes) -> None:
    from gongzhi.grid import importers

    if not grid_selectors.user_can(job.created_by, roles.GRID_MANAGE, _root(job)):
        raise ImportRejected(
            [RowError(file=job.original_name, row=None, column=None, reason="only grid administrators import ledgers")]
        )
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
        raise ImportRejected([RowError(file=job.original_name, row=None, column=None, reason="no grid yet")])
    return root


def _succeed(job: ImportJob, created: int, result: dict[str, Any]) -> None:
    job.status, job.phase = ImportJob.Status.SUCCEEDED, ImportJob.Phase.DONE
    job.created_count, job.result, job.finished_at = created, result, timezone.now()
    if job.kind == ImportJob.Kind.CASES:
        job.processed = job.total
    _save(job, "status", "phase", "created_count", "result", "finished_at", "processed", "total")


def _fail(job: ImportJob, errors: list[RowError]) -> None:
    job.status, job.phase, job.finished_at = ImportJob.Status.FAILED, ImportJob.Phase.DONE, timezone.now()
    job.error_count = len(errors)
    job.errors = [e.as_dict() for e in errors[:MAX_STORED_ERRORS]]
    job.created_count = 0
    _save(job, "status", "phase", "finished_at", "error_count", "errors", "created_count", "processed", "total")


def error_report(job: ImportJob) -> io.BytesIO:
    """The problems of a refused import as an .xlsx a person can sort and fix the file from."""
    book = excel.Book()
    sheet = book.sheet("problems")
    sheet.header(["file", "row", "column", "reason"], widths=[24, 8, 14, 60])
    for e in job.errors:
        sheet.row([e.get("file"), e.get("row"), e.get("column"), e.get("reason")])
    if job.error_count > len(job.errors):
        sheet.row([None, None, None, f"... and {job.error_count - len(job.errors)} more problems"])
    return io.BytesIO(book.to_bytes())


def template_workbook() -> io.BytesIO:
    """An empty hotline export with the expected headings and one example row."""
    book = excel.Book()
    sheet = book.sheet("cases")
    sheet.header([names[0] for names in CASE_COLUMNS.values()])
    sheet.row(
        [
            "12345-0001",
            "路灯不亮",
            "3号楼门口路灯坏了",
            "",
            "B1",
            "",
            None,
            None,
            "张三",
            "13800138000",
            "一般",
            "2025-03-01 09:30",
        ]
    )
    return io.BytesIO(book.to_bytes())
