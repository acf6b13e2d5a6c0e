"""Excel in and out for the lists (needs, resources, projects), on the console's import machinery (``imports``:
background job, progress, problems as (file, row, column, reason), all or nothing).

An export carries each row's number (编号), so a file can come back: a row with a number updates that row when its
values changed and is left alone when they did not — exporting and importing the same file writes nothing — and a row
without one is new. Like every list, an export shows a contact person's mobile masked; a masked number that comes
back unchanged keeps the stored one. Choices are written in the reader's language and read in Chinese, English or as
codes. Rows are written through the lists services, so their rules (scope, the need → project links) hold.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Model, TextChoices
from django.utils import translation
from django.utils.translation import gettext as _

from gongzhi.console.models import ImportJob
from gongzhi.core import excel
from gongzhi.core.errors import DomainError, ImportRejected, RowError, gettext_noop
from gongzhi.core.privacy import mask_phone
from gongzhi.grid import roles
from gongzhi.grid.models import GridNode
from gongzhi.lists import selectors, services
from gongzhi.lists.choices import Category, Delivery, NeedSource, ProjectStatus, ResourceKind
from gongzhi.lists.models import Need, Project, Resource

PROGRESS_EVERY = 200
NO_SUCH_ROW = gettext_noop("no row with this number in the lists you keep")
NOT_YOURS = gettext_noop("not a community whose lists you keep")
REQUIRED = gettext_noop("required")
UNKNOWN = gettext_noop("unknown value %(value)s")
NOT_A_NUMBER = gettext_noop("not a number")
NOT_A_DATE = gettext_noop("not a date (write it like 2025-03-01)")
MISSING_COLUMN = gettext_noop("the column %(column)s is missing")
TWICE = gettext_noop("the same number appears twice in the file")
NEED_MOVED = gettext_noop("a need stays in the community where it was recorded")


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    kind: str = "text"  # text, int, decimal, float, date, choice, ids, id
    choices: type[TextChoices] | None = None
    required: bool = False
    export_only: bool = False
    width: float = 16


NEED_COLUMNS = (
    Column("id", "编号", "number", "id", width=8),
    Column("node", "社区", "community", required=True),
    Column("compound", "小区", "compound", export_only=True),
    Column("title", "标题", "title", required=True, width=24),
    Column("category", "类别", "category", "choice", Category, required=True),
    Column("source", "来源", "source", "choice", NeedSource, required=True),
    Column("households", "涉及户数", "households", "int", required=True, width=10),
    Column("status", "状态", "status", export_only=True, width=10),
    Column("description", "描述", "description", width=40),
    Column("case_code", "来源案件", "case", export_only=True),
)
RESOURCE_COLUMNS = (
    Column("id", "编号", "number", "id", width=8),
    Column("node", "社区", "community", required=True),
    Column("name", "名称", "name", required=True, width=24),
    Column("kind", "类型", "kind", "choice", ResourceKind, required=True),
    Column("offer", "提供的服务", "offer", width=30),
    Column("phone", "对外电话", "public phone"),
    Column("contact_name", "联系人", "contact person"),
    Column("contact_phone", "联系人手机", "contact mobile"),
    Column("address", "地址", "address", width=24),
    Column("lat", "纬度", "latitude", "float", width=10),
    Column("lon", "经度", "longitude", "float", width=10),
    Column("hours", "开放时间", "opening hours", width=24),
    Column("agreement_signed", "协议签订日期", "agreement signed", "date", width=12),
    Column("agreement_expires", "协议到期日期", "agreement expires", "date", width=12),
    Column("agreement_text", "共建协议", "agreement", width=30),
)
PROJECT_COLUMNS = (
    Column("id", "编号", "number", "id", width=8),
    Column("node", "社区", "community", required=True),
    Column("name", "名称", "name", required=True, width=24),
    Column("category", "类别", "category", "choice", Category, required=True),
    Column("provider", "提供方编号", "provider number", "int", required=True, width=10),
    Column("provider_name", "提供方", "provider", export_only=True, width=20),
    Column("needs", "对应需求编号", "need numbers", "ids", width=16),
    Column("price", "价格（元）", "price (yuan)", "decimal", required=True, width=10),
    Column("eligibility", "服务对象", "who may use it", width=20),
    Column("schedule", "服务时间", "schedule", width=16),
    Column("delivery", "服务方式", "where delivered", "choice", Delivery, required=True),
    Column("place", "地点", "place", width=16),
    Column("status", "状态", "status", "choice", ProjectStatus, required=True, width=10),
    Column("description", "描述", "description", width=30),
)


@dataclass(frozen=True)
class Spec:
    kind: str
    title: str  # the sheet, marked for translation
    columns: tuple[Column, ...]
    model: type[Model]
    visible: Callable[[Any], Any]


SPECS = {
    "needs": Spec("needs", gettext_noop("Needs list"), NEED_COLUMNS, Need, selectors.needs_visible_to),
    "resources": Spec(
        "resources", gettext_noop("Resources list"), RESOURCE_COLUMNS, Resource, selectors.resources_visible_to
    ),
    "projects": Spec(
        "projects", gettext_noop("Projects list"), PROJECT_COLUMNS, Project, selectors.projects_visible_to
    ),
}
KIND_OF_JOB = {
    ImportJob.Kind.NEEDS: "needs",
    ImportJob.Kind.RESOURCES: "resources",
    ImportJob.Kind.PROJECTS: "projects",
}


def _chinese() -> bool:
    return (translation.get_language() or "").lower().startswith("zh")


def _heading(column: Column) -> str:
    return column.zh if _chinese() else column.en


# ---------------------------------------------------------------------------------------------------------- export


def _value(obj: Any, column: Column) -> object:
    key = column.key
    if key == "id":
        return obj.pk
    if key == "node":
        return obj.node.name
    if key == "compound":
        return obj.compound.name if obj.compound_id else ""
    if key == "status":
        return obj.get_status_display()
    if key == "provider":
        return obj.provider_id
    if key == "provider_name":
        return obj.provider.name
    if key == "needs":
        return ",".join(str(pk) for pk in sorted(n.pk for n in obj.needs.all()))
    if key == "contact_phone":
        return mask_phone(obj.contact_phone)
    if column.kind == "choice":
        return getattr(obj, f"get_{key}_display")()
    if column.kind == "decimal":
        return excel.Number(getattr(obj, key), "0.00")
    return getattr(obj, key)


def export(kind: str, rows: Iterable[Any]) -> io.BytesIO:
    """The rows as an .xlsx in the reader's language; no rows: the template to fill in."""
    spec = SPECS[kind]
    book = excel.Book()
    sheet = book.sheet(_(spec.title))
    sheet.header([_heading(c) for c in spec.columns], widths=[c.width for c in spec.columns])
    for obj in rows:
        sheet.row([_value(obj, c) for c in spec.columns])
    return io.BytesIO(book.to_bytes())


def rows_for_export(kind: str, user: Any) -> Any:
    qs = SPECS[kind].visible(user).order_by("pk")
    if kind == "needs":
        return qs
    if kind == "projects":
        return qs.prefetch_related("needs")
    return qs


# ---------------------------------------------------------------------------------------------------------- import


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date()
    return str(value).strip()


def _choice_words(choices: type[TextChoices]) -> dict[str, str]:
    words: dict[str, str] = {}
    for value, label in choices.choices:
        words[value.lower()] = value
        for lang in ("zh-hans", "en"):
            with translation.override(lang):
                words[str(label).lower()] = value
    return words


class ListImport:
    """Check every row of one list's file; then write the new and changed rows, all or none."""

    def __init__(self, job: ImportJob, kind: str, *, progress: Callable[[int, int], None]) -> None:
        self.job, self.spec, self.progress = job, SPECS[kind], progress
        self.user = job.created_by
        self.file = job.original_name
        self.errors: list[RowError] = []
        self.headings: dict[str, str] = {}
        self.communities = {
            c.name: c
            for c in selectors.communities(self.user, roles.LISTS_MANAGE)
            if c.jurisdiction_id == job.jurisdiction_id
        }
        self.words = {c.key: _choice_words(c.choices) for c in self.spec.columns if c.choices}

    def err(self, line: int | None, key: str | None, reason: str, **params: object) -> None:
        column = self.headings.get(key, key) if key else None
        self.errors.append(RowError(file=self.file, row=line, column=column, reason=reason, params=params))

    def _cell(self, line: int, column: Column, raw: Any) -> Any:
        text = _text(raw)
        if not text:
            if column.required:
                self.err(line, column.key, REQUIRED)
            return None
        try:
            if column.kind in ("int", "id"):
                return int(Decimal(text))
            if column.kind == "decimal":
                return Decimal(text)
            if column.kind == "float":
                return float(text)
            if column.kind == "ids":
                return sorted({int(p) for p in text.replace("，", ",").split(",") if p.strip()})
        except (ValueError, InvalidOperation):
            self.err(line, column.key, NOT_A_NUMBER)
            return None
        if column.kind == "date":
            if isinstance(raw, datetime | date):
                return raw.date() if isinstance(raw, datetime) else raw
            try:
                return date.fromisoformat(text)
            except ValueError:
                self.err(line, column.key, NOT_A_DATE)
                return None
        if column.kind == "choice":
            value = self.words[column.key].get(text.lower())
            if value is None:
                self.err(line, column.key, UNKNOWN, value=text)
            return value
        if column.key == "node":
            node = self.communities.get(text)
            if node is None:
                self.err(line, column.key, NOT_YOURS)
            return node
        return text

    def check(self, data: bytes) -> list[tuple[int, Any, dict[str, Any]]]:
        from gongzhi.console.imports import _rows

        header, rows, total = _rows(data)
        index: dict[str, int] = {}
        for i, heading in enumerate(header):
            for c in self.spec.columns:
                if heading.lower() in (c.zh, c.en.lower()) and c.key not in index:
                    index[c.key] = i
                    self.headings[c.key] = heading
        for c in self.spec.columns:
            if c.required and c.key not in index:
                self.err(None, None, MISSING_COLUMN, column=f"{c.zh} / {c.en}")
        if self.errors:
            return []
        existing = {o.pk: o for o in self.spec.visible(self.user)}
        seen: set[int] = set()
        checked: list[tuple[int, Any, dict[str, Any]]] = []
        for n, row in enumerate(rows, start=2):
            if not any(_text(v) for v in row):
                continue
            values: dict[str, Any] = {}
            for c in self.spec.columns:
                if c.export_only or c.key not in index:
                    continue
                raw = row[index[c.key]] if index[c.key] < len(row) else None
                values[c.key] = self._cell(n, c, raw)
            obj = None
            if values.get("id") is not None:
                obj = existing.get(values["id"])
                if obj is None or (obj.node.name not in self.communities):
                    self.err(n, "id", NO_SUCH_ROW)
                elif values["id"] in seen:
                    self.err(n, "id", TWICE)
                elif self.spec.kind == "needs" and values.get("node") is not None and values["node"].pk != obj.node_id:
                    self.err(n, "node", NEED_MOVED)
                seen.add(values["id"])
            checked.append((n, obj, values))
            if (n - 1) % PROGRESS_EVERY == 0:
                self.progress(n - 1, total)
        self.progress(len(checked), len(checked))
        return checked

    # ------------------------------------------------------------------------------------------------------ write

    def _same(self, obj: Any, values: dict[str, Any]) -> bool:
        for key, value in values.items():
            if key == "id":
                continue
            if key == "node":
                if obj.node_id != value.pk:
                    return False
            elif key == "provider":
                if obj.provider_id != value:
                    return False
            elif key == "needs":
                if sorted(n.pk for n in obj.needs.all()) != (value or []):
                    return False
            elif key == "contact_phone":
                if (value or "") not in (obj.contact_phone, mask_phone(obj.contact_phone)):
                    return False
            elif key in ("lat", "lon") and value is not None and getattr(obj, key) is not None:
                if abs(getattr(obj, key) - value) > 1e-7:
                    return False
            elif (getattr(obj, key) if getattr(obj, key) is not None else "") != (value if value is not None else ""):
                return False
        return True

    def write(self, checked: list[tuple[int, Any, dict[str, Any]]]) -> dict[str, int]:
        counts = {"created": 0, "updated": 0, "unchanged": 0}
        with transaction.atomic():
            for line, obj, values in checked:
                if obj is not None and self._same(obj, values):
                    counts["unchanged"] += 1
                    continue
                try:
                    self._save(obj, values)
                except DomainError as exc:
                    raise ImportRejected(
                        [RowError(file=self.file, row=line, column=None, reason=exc.template, params=exc.params)]
                    ) from exc
                counts["updated" if obj is not None else "created"] += 1
        return counts

    def _save(self, obj: Any, values: dict[str, Any]) -> None:
        v = {k: val for k, val in values.items() if k != "id"}
        node: GridNode = v.pop("node")
        kind = self.spec.kind
        if kind == "needs":
            fields = {
                "title": v["title"],
                "category": v["category"],
                "households": v["households"],
                "description": v.get("description") or "",
            }
            if obj is None:
                services.create_need(actor=self.user, node=node, source=v["source"], **fields)
            else:
                services.update_need(actor=self.user, need=obj, **fields)
        elif kind == "resources":
            if obj is not None and v.get("contact_phone") == mask_phone(obj.contact_phone):
                v["contact_phone"] = obj.contact_phone  # the masked number came back: keep the stored one
            kept = ("lat", "lon", "agreement_signed", "agreement_expires")  # None stays None
            data = {k: (val if val is not None or k in kept else "") for k, val in v.items()}
            services.save_resource(actor=self.user, node=node, resource=obj, **data)
        else:
            provider = selectors.resources_visible_to(self.user).filter(pk=v.pop("provider")).first()
            if provider is None:
                raise DomainError(gettext_noop("No such resource in your scope."))
            need_ids = v.pop("needs", None) or []
            needs = list(selectors.needs_visible_to(self.user).filter(pk__in=need_ids))
            if len(needs) != len(need_ids):
                raise DomainError(gettext_noop("No such need in your scope."))
            services.save_project(
                actor=self.user,
                node=node,
                project=obj,
                needs=needs,
                provider=provider,
                **{k: (val if val is not None else "") for k, val in v.items()},
            )


def run(job: ImportJob, data: bytes, *, save: Callable[..., None]) -> dict[str, int]:
    """Check and write one list's file for ``imports.run``; ImportRejected with every problem, else the counts."""

    def progress(done: int, total: int) -> None:
        job.processed, job.total, job.phase = done, total, ImportJob.Phase.CHECKING
        save(job, "processed", "total", "phase")

    importer = ListImport(job, KIND_OF_JOB[ImportJob.Kind(job.kind)], progress=progress)
    checked = importer.check(data)
    if importer.errors:
        raise ImportRejected(importer.errors)
    job.phase = ImportJob.Phase.WRITING
    save(job, "phase")
    return importer.write(checked)
