"""Import a real grid: an Excel workbook (nodes, departments, compounds, buildings, staff) plus optional GeoJSON
boundaries, into one jurisdiction. The formats, aliases and rules are documented in ``docs/importing.md``.

The import is all or nothing. Files are read and checked row by row first; then, inside one transaction that holds
the jurisdiction's row lock, every cross-reference is checked against the file *and* the database, and only when
there is no problem at all is anything written. Every problem becomes a ``RowError`` (file, row as the user sees it
with the header on row 1, column as the user wrote it, reason); one ``ImportRejected`` carries all of them.

Codes are the keys: a row whose code is already stored updates that object, so the same import can be run again.
Nothing is ever deleted or moved between parents by an import. Writes are bulk (a handful of queries per kind,
whatever the size of the district).
"""

from __future__ import annotations

import io
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import IO, Any, Final

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import IntegrityError, models, transaction

from gongzhi.core import audit, crypto
from gongzhi.core.errors import DomainError, ImportRejected, RowError
from gongzhi.grid import roles, services
from gongzhi.grid.choices import DepartmentKind
from gongzhi.grid.models import PATH_SEGMENT_WIDTH, Building, Compound, Department, GridNode, Jurisdiction, StaffPost

Source = str | Path | IO[bytes]

BATCH_SIZE: Final = 500
AUDIT_ACTION: Final = "grid.import"
DEFAULT_WORKBOOK_NAME: Final = "workbook.xlsx"
DEFAULT_BOUNDARIES_NAME: Final = "boundaries.geojson"
JURISDICTION_FILE: Final = "jurisdiction"

# ---------------------------------------------------------------------------------------------------------------
# The format: sheets, columns and the values they accept (docs/importing.md lists the same tables).
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str
    aliases: tuple[str, ...] = ()
    # The header must be present and every row needs a value.
    required: bool = False


@dataclass(frozen=True)
class SheetSpec:
    name: str
    aliases: tuple[str, ...]
    columns: tuple[Column, ...]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


NODES: Final = "nodes"
DEPARTMENTS: Final = "departments"
COMPOUNDS: Final = "compounds"
BUILDINGS: Final = "buildings"
STAFF: Final = "staff"

SHEETS: Final[tuple[SheetSpec, ...]] = (
    SheetSpec(
        NODES,
        ("网格", "网格节点", "节点"),
        (
            Column("code", ("编码", "代码", "网格编码", "节点编码"), required=True),
            Column("name", ("名称", "网格名称", "节点名称"), required=True),
            Column("level", ("层级", "级别"), required=True),
            Column("parent_code", ("上级编码", "上级代码", "父级编码"), required=True),
            Column("order", ("排序", "顺序", "sort_order")),
        ),
    ),
    SheetSpec(
        DEPARTMENTS,
        ("部门", "职能部门", "单位"),
        (
            Column("code", ("编码", "代码", "部门编码"), required=True),
            Column("name", ("名称", "部门名称"), required=True),
            Column("kind", ("类型", "类别", "部门类型")),
            Column("service_area_code", ("服务区域编码", "服务范围编码", "辖区编码")),
            Column("phone", ("电话", "联系电话", "公开电话")),
        ),
    ),
    SheetSpec(
        COMPOUNDS,
        ("小区",),
        (
            Column("code", ("编码", "代码", "小区编码"), required=True),
            Column("name", ("名称", "小区名称"), required=True),
            Column("node_code", ("网格编码", "所属网格编码", "所属网格"), required=True),
            Column("address", ("地址",)),
            Column("lat", ("纬度", "latitude")),
            Column("lon", ("经度", "lng", "longitude")),
            Column("property_company_code", ("物业公司编码", "物业编码")),
        ),
    ),
    SheetSpec(
        BUILDINGS,
        ("楼栋",),
        (
            Column("code", ("编码", "代码", "楼栋编码"), required=True),
            Column("name", ("名称", "楼栋名称"), required=True),
            Column("compound_code", ("小区编码", "所属小区编码", "所属小区")),
            Column("node_code", ("微网格编码", "网格编码", "所属网格编码", "所属微网格"), required=True),
            Column("address", ("地址",)),
            Column("lat", ("纬度", "latitude")),
            Column("lon", ("经度", "lng", "longitude")),
            Column("households", ("户数", "住户数")),
        ),
    ),
    SheetSpec(
        STAFF,
        ("人员", "工作人员", "岗位"),
        (
            Column("username", ("用户名", "账号", "登录名"), required=True),
            Column("name", ("姓名",), required=True),
            Column("phone", ("手机", "手机号", "个人手机", "联系电话")),
            Column("role", ("角色",), required=True),
            Column("node_code", ("网格编码", "所属网格编码", "所属网格")),
            Column("department_code", ("部门编码", "所属部门编码", "所属部门")),
            Column("title", ("岗位名称", "职务", "称谓")),
            Column("duty", ("职责",)),
            Column("work_phone", ("工作电话", "公示电话")),
            Column("password", ("密码", "初始密码")),
        ),
    ),
)
SHEET_SPECS: Final = {spec.name: spec for spec in SHEETS}
# Extra columns with these headers are allowed and ignored (people keep remarks next to their data).
IGNORED_HEADERS: Final = frozenset({"note", "notes", "remark", "remarks", "comment", "备注", "说明"})
# Not in the template on purpose: a spreadsheet of passwords is a liability (see docs/importing.md).
TEMPLATE_OMITS: Final = {STAFF: {"password"}}

LEVEL_LABELS: Final = {
    roles.DISTRICT: "区",
    roles.STREET: "街道",
    roles.COMMUNITY: "社区",
    roles.GRID: "网格",
    roles.MICRO_GRID: "微网格",
}
LEVEL_ALIASES: Final[dict[str, str]] = {
    **{level: level for level in roles.LEVELS},
    "microgrid": roles.MICRO_GRID,
    "区": roles.DISTRICT,
    "区县": roles.DISTRICT,
    "县": roles.DISTRICT,
    "县区": roles.DISTRICT,
    "街道": roles.STREET,
    "镇": roles.STREET,
    "乡": roles.STREET,
    "乡镇": roles.STREET,
    "街镇": roles.STREET,
    "社区": roles.COMMUNITY,
    "村": roles.COMMUNITY,
    "村社区": roles.COMMUNITY,
    "网格": roles.GRID,
    "片区网格": roles.GRID,
    "微网格": roles.MICRO_GRID,
}
ROLE_ALIASES: Final[dict[str, str]] = {
    **{role: role for role in roles.ROLES},
    "居民": roles.RESIDENT,
    "管家": roles.STEWARD,
    "小管家": roles.STEWARD,
    "网格员": roles.GRID_WORKER,
    "社区工作人员": roles.COMMUNITY_STAFF,
    "社区干部": roles.COMMUNITY_STAFF,
    "街道工作人员": roles.STREET_STAFF,
    "街道干部": roles.STREET_STAFF,
    "部门工作人员": roles.DEPARTMENT_STAFF,
    "指挥中心": roles.COMMAND_CENTRE,
    "领导": roles.LEADER,
    "管理员": roles.ADMIN,
}
KIND_ALIASES: Final[dict[str, str]] = {
    **{kind.value: kind.value for kind in DepartmentKind},
    "城管": DepartmentKind.CITY_MANAGEMENT,
    "城市管理": DepartmentKind.CITY_MANAGEMENT,
    "住建": DepartmentKind.HOUSING,
    "住房和城乡建设": DepartmentKind.HOUSING,
    "供电": DepartmentKind.POWER,
    "电力": DepartmentKind.POWER,
    "供水": DepartmentKind.WATER,
    "水务": DepartmentKind.WATER,
    "生态环境": DepartmentKind.ENVIRONMENT,
    "环保": DepartmentKind.ENVIRONMENT,
    "公安": DepartmentKind.POLICE,
    "派出所": DepartmentKind.POLICE,
    "物业": DepartmentKind.PROPERTY,
    "物业公司": DepartmentKind.PROPERTY,
    "民政": DepartmentKind.CIVIL_AFFAIRS,
    "交通": DepartmentKind.TRANSPORT,
    "交通运输": DepartmentKind.TRANSPORT,
    "市场监管": DepartmentKind.MARKET,
    "卫健": DepartmentKind.HEALTH,
    "卫生健康": DepartmentKind.HEALTH,
    "卫生": DepartmentKind.HEALTH,
    "燃气": DepartmentKind.GAS,
    "应急": DepartmentKind.EMERGENCY,
    "应急管理": DepartmentKind.EMERGENCY,
    "其他": DepartmentKind.OTHER,
}
# A compound sits in a community or below; its buildings sit in micro-grids under it.
COMPOUND_LEVELS: Final = frozenset({roles.COMMUNITY, roles.GRID, roles.MICRO_GRID})

_XLSX_MAGIC: Final = b"PK\x03\x04"
_OLE_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _level_label(level: str) -> str:
    return f"{level} ({LEVEL_LABELS[level]})"


def _header_key(text: str) -> str:
    return re.sub(r"[\s_\-]+", "_", text.strip().rstrip("*＊").strip().lower())


def _value_key(text: str) -> str:
    """'Micro-Grid', 'micro grid' and 'micro_grid' are one value; Chinese values only lose surrounding spaces."""
    return re.sub(r"[\s_\-]+", "_", text.strip().lower()) if text.isascii() else text.strip()


# ---------------------------------------------------------------------------------------------------------------
# Result
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class KindCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


COUNT_KINDS: Final = ("nodes", "boundaries", "departments", "compounds", "buildings", "users", "posts")


@dataclass
class ImportResult:
    jurisdiction: str
    jurisdiction_created: bool
    dry_run: bool
    boundary_version_bumped: bool = False
    counts: dict[str, KindCounts] = field(default_factory=lambda: {k: KindCounts() for k in COUNT_KINDS})

    def counts_dict(self) -> dict[str, dict[str, int]]:
        return {kind: c.as_dict() for kind, c in self.counts.items()}


# ---------------------------------------------------------------------------------------------------------------
# Reading the files
# ---------------------------------------------------------------------------------------------------------------


class _Errors:
    """Collects RowErrors; reports them grouped by file (workbook, sheets in format order, boundaries) then row."""

    def __init__(self) -> None:
        self.items: list[RowError] = []

    def add(self, file: str, row: int | None, column: str | None, reason: str) -> None:
        self.items.append(RowError(file=file, row=row, column=column, reason=reason))

    def __bool__(self) -> bool:
        return bool(self.items)

    def sorted(self, file_order: list[str]) -> list[RowError]:
        rank = {name: i for i, name in enumerate(file_order)}
        indexed = list(enumerate(self.items))
        indexed.sort(key=lambda p: (rank.get(p[1].file, len(rank)), p[1].row or 0, p[0]))
        return [e for _, e in indexed]


def _read_bytes(source: Source, default_name: str, errors: _Errors) -> tuple[str, bytes | None]:
    if isinstance(source, str | Path):
        path = Path(source)
        try:
            return path.name, path.read_bytes()
        except OSError as exc:
            errors.add(path.name, None, None, f"cannot read the file: {exc.strerror or exc}")
            return path.name, None
    name = Path(str(getattr(source, "name", "") or default_name)).name
    data = source.read()
    return name, data if isinstance(data, bytes) else str(data).encode("utf-8")


@dataclass
class _Row:
    number: int
    values: dict[str, Any]


@dataclass
class _Sheet:
    spec: SheetSpec
    title: str
    headers: dict[str, str]  # canonical column -> header text as written
    rows: list[_Row]

    def col(self, name: str) -> str:
        """The column as the user wrote its header (what an error message should name)."""
        return self.headers.get(name, name)

    def has_column(self, name: str) -> bool:
        return name in self.headers


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        # Excel stores typed-in codes and phone numbers as numbers: 101 comes back as 101.0.
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value).strip()


def _load_workbook(name: str, data: bytes, errors: _Errors) -> dict[str, list[tuple[Any, ...]]] | None:
    import openpyxl

    if data.startswith(_OLE_MAGIC):
        errors.add(
            name,
            None,
            None,
            "this is an Excel 97-2003 (.xls) file or a password-protected workbook; "
            "save it as an unprotected Excel workbook (.xlsx) and import that",
        )
        return None
    if not data.startswith(_XLSX_MAGIC):
        errors.add(name, None, None, "not an Excel workbook (.xlsx); save the spreadsheet as .xlsx and import that")
        return None
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds (BadZipFile, KeyError, XML errors) on a damaged file
        errors.add(name, None, None, f"the workbook is damaged or not an .xlsx file and cannot be read ({exc})")
        return None
    try:
        sheets: dict[str, list[tuple[Any, ...]]] = {}
        for ws in book.worksheets:
            # Some generators write a wrong <dimension>; without the reset, read-only mode would cut rows off.
            ws.reset_dimensions()
            sheets[ws.title] = [tuple(row) for row in ws.iter_rows(values_only=True)]
        return sheets
    except Exception as exc:  # damage inside a sheet only shows while its rows are parsed
        errors.add(name, None, None, f"the workbook is damaged and cannot be read ({exc})")
        return None
    finally:
        book.close()


def _find_sheet(spec: SheetSpec, titles: Iterable[str]) -> str | None:
    wanted = {_header_key(spec.name), *(_header_key(a) for a in spec.aliases)}
    return next((t for t in titles if _header_key(t) in wanted), None)


def _parse_sheet(spec: SheetSpec, title: str, rows: list[tuple[Any, ...]], errors: _Errors) -> _Sheet | None:
    """Map the header row to canonical columns; None when the sheet's structure is too broken to read rows."""
    lookup: dict[str, str] = {}
    for column in spec.columns:
        for alias in (column.name, *column.aliases):
            lookup.setdefault(_header_key(alias), column.name)
    header = rows[0] if rows else ()
    positions: dict[str, int] = {}
    headers: dict[str, str] = {}
    broken = False
    for index, cell in enumerate(header):
        text = _text(cell)
        if not text:
            continue
        canonical = lookup.get(_header_key(text))
        if canonical is None:
            if _header_key(text) not in IGNORED_HEADERS:
                known = ", ".join(c.name for c in spec.columns)
                errors.add(
                    title, 1, text, f"unknown column {text!r} (expected: {known}; a 备注/note column is ignored)"
                )
            continue
        if canonical in positions:
            errors.add(title, 1, text, f"column {canonical!r} appears twice ({headers[canonical]!r} and {text!r})")
            broken = True
            continue
        positions[canonical] = index
        headers[canonical] = text
    for column in spec.columns:
        if column.required and column.name not in positions:
            names = " / ".join((column.name, *column.aliases[:1]))
            errors.add(title, 1, column.name, f"missing column {names} (the header must be on row 1)")
            broken = True
    if spec.name == STAFF and not ({"node_code", "department_code"} & positions.keys()):
        errors.add(title, 1, "node_code", "missing column node_code or department_code: a post needs a place")
        broken = True
    if broken:
        return None
    parsed: list[_Row] = []
    for number, values in enumerate(rows[1:], start=2):
        row = {name: values[i] if i < len(values) else None for name, i in positions.items()}
        if all(_blank(v) for v in row.values()):
            continue
        parsed.append(_Row(number, row))
    return _Sheet(spec, title, headers, parsed)


@dataclass
class _Workbook:
    name: str
    sheets: dict[str, _Sheet]  # canonical sheet name -> sheet

    def file_order(self) -> list[str]:
        return [self.name, *(self.sheets[s.name].title for s in SHEETS if s.name in self.sheets)]


def read_workbook(source: Source, errors: _Errors) -> _Workbook | None:
    name, data = _read_bytes(source, DEFAULT_WORKBOOK_NAME, errors)
    if data is None:
        return None
    raw = _load_workbook(name, data, errors)
    if raw is None:
        return None
    sheets: dict[str, _Sheet] = {}
    broken = False
    for spec in SHEETS:
        title = _find_sheet(spec, raw)
        if title is None:
            aliases = " / ".join(spec.aliases)
            errors.add(
                name,
                None,
                None,
                f"missing sheet {spec.name!r} ({aliases}); keep every sheet of the template, empty if unused",
            )
            broken = True
            continue
        sheet = _parse_sheet(spec, title, raw[title], errors)
        if sheet is None:
            broken = True
        else:
            sheets[spec.name] = sheet
    return None if broken else _Workbook(name, sheets)


@dataclass
class _Feature:
    number: int  # 1-based position in ``features``: the "row" of a GeoJSON problem
    code: str
    fields: dict[str, Any]  # boundary, centroid_lat, centroid_lon


@dataclass
class _Boundaries:
    name: str
    features: list[_Feature]


def read_boundaries(source: Source, errors: _Errors) -> _Boundaries | None:
    """Parse and validate every feature; None when the file itself is unusable."""
    name, data = _read_bytes(source, DEFAULT_BOUNDARIES_NAME, errors)
    if data is None:
        return None
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        errors.add(name, None, None, f"not a GeoJSON file (invalid JSON: {exc})")
        return None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        kind = document.get("type") if isinstance(document, dict) else type(document).__name__
        errors.add(name, None, None, f"expected a GeoJSON FeatureCollection, got {kind!r}")
        return None
    features = document.get("features")
    if not isinstance(features, list):
        errors.add(name, None, None, "the FeatureCollection has no 'features' list")
        return None
    parsed: list[_Feature] = []
    first_seen: dict[str, int] = {}
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            errors.add(name, number, None, "not a GeoJSON Feature")
            continue
        properties = feature.get("properties") or {}
        raw_code = properties.get("code", properties.get("编码")) if isinstance(properties, dict) else None
        code = _text(raw_code)
        if not code:
            errors.add(name, number, None, "the feature has no properties.code naming its grid node")
            continue
        if code in first_seen:
            errors.add(name, number, code, f"duplicate code {code!r} (first in feature {first_seen[code]})")
            continue
        first_seen[code] = number
        geometry = feature.get("geometry")
        if not isinstance(geometry, dict):
            errors.add(name, number, code, "the feature has no geometry")
            continue
        try:
            fields = services.boundary_fields(geometry)
        except DomainError as exc:
            errors.add(name, number, code, exc.message)
            continue
        parsed.append(_Feature(number, code, fields))
    return _Boundaries(name, parsed)


# ---------------------------------------------------------------------------------------------------------------
# Planning: check everything against the file and the database, decide every write
# ---------------------------------------------------------------------------------------------------------------

_INVALID: Final = "\0invalid"  # a code whose own row has an error: already reported, so its users stay quiet


@dataclass
class _NodePlan:
    row: int
    code: str
    name: str
    level: str
    parent_code: str
    sort_order: int | None  # None: column absent, keep what is stored
    existing: GridNode | None = None
    path: str = ""
    changed: bool = False


@dataclass
class _Upsert:
    """One row to create or update. ``values`` are model attributes; foreign keys are given as codes."""

    row: int
    key: Any
    values: dict[str, Any]
    existing: Any = None
    changed: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    # The attributes that differ from the stored object: only these are written back.
    changed_fields: set[str] = field(default_factory=set)


def _field_max(model: type[models.Model], name: str) -> int:
    max_length = model._meta.get_field(name).max_length
    assert max_length is not None
    return max_length


class _Planner:
    def __init__(
        self,
        *,
        code: str,
        name: str,
        jurisdiction: Jurisdiction | None,
        book: _Workbook,
        boundaries: _Boundaries | None,
        errors: _Errors,
        actor: Any = None,
    ) -> None:
        self.code = code
        self.actor = actor
        self.name = name
        self.jurisdiction = jurisdiction
        self.book = book
        self.boundaries = boundaries
        self.errors = errors
        self.User = get_user_model()
        j = jurisdiction
        self.db_nodes: dict[str, GridNode] = {n.code: n for n in GridNode.objects.filter(jurisdiction=j)} if j else {}
        self.node_code_by_id = {n.pk: c for c, n in self.db_nodes.items()}
        self.db_departments: dict[str, Department] = (
            {d.code: d for d in Department.objects.filter(jurisdiction=j)} if j else {}
        )
        self.dept_code_by_id = {d.pk: c for c, d in self.db_departments.items()}
        self.db_compounds: dict[str, Compound] = (
            {c.code: c for c in Compound.objects.filter(jurisdiction=j)} if j else {}
        )
        self.compound_code_by_id = {c.pk: code for code, c in self.db_compounds.items()}
        self.db_buildings: dict[str, Building] = (
            {b.code: b for b in Building.objects.filter(jurisdiction=j)} if j else {}
        )
        # Plans, filled by the checks below.
        self.nodes: dict[str, _NodePlan] = {}
        self.district_name = ""
        self.file_node_codes: set[str] = set()
        self.node_paths: dict[str, str] = {code: n.path for code, n in self.db_nodes.items()}
        self.node_fields: dict[str, dict[str, Any]] = {}  # boundary fields per node code
        self.departments: dict[str, _Upsert] = {}
        self.file_department_codes: set[str] = set()
        self.compounds: dict[str, _Upsert] = {}
        self.file_compound_codes: set[str] = set()
        self.buildings: dict[str, _Upsert] = {}
        self.users: dict[str, _Upsert] = {}
        self.posts: dict[tuple[str, str, str, str], _Upsert] = {}

    # -- small helpers ---------------------------------------------------------------------------------------

    def _err(self, sheet: _Sheet, row: _Row | int, column: str | None, reason: str) -> None:
        number = row.number if isinstance(row, _Row) else row
        self.errors.add(sheet.title, number, sheet.col(column) if column else None, reason)

    def _required(self, sheet: _Sheet, row: _Row, column: str, max_length: int) -> str | None:
        value = _text(row.values.get(column))
        if not value:
            self._err(sheet, row, column, f"{column} is required")
            return None
        if len(value) > max_length:
            self._err(sheet, row, column, f"longer than {max_length} characters")
            return None
        return value

    def _optional(self, sheet: _Sheet, row: _Row, column: str, max_length: int) -> str | None:
        """The cell's text ('' when blank), or None when it is too long (an error is recorded)."""
        value = _text(row.values.get(column))
        if len(value) > max_length:
            self._err(sheet, row, column, f"longer than {max_length} characters")
            return None
        return value

    def _duplicate(self, sheet: _Sheet, row: _Row, column: str, key: Any, seen: dict[Any, int], label: str) -> bool:
        if key in seen:
            self._err(sheet, row, column, f"duplicate {label} (first in row {seen[key]})")
            return True
        seen[key] = row.number
        return False

    def node_level(self, code: str) -> str | None:
        """The level of a node named in the file or stored; None when unknown, _INVALID when its row is bad."""
        if code in self.nodes:
            return self.nodes[code].level
        if code in self.file_node_codes:
            return _INVALID
        node = self.db_nodes.get(code)
        return node.level if node else None

    def _not_found(self, what: str, code: str, sheet_name: str) -> str:
        where = f"jurisdiction {self.code!r}" if self.jurisdiction else "the database"
        return f"{what} {code!r} not found in the {sheet_name} sheet or in {where}"

    # -- nodes --------------------------------------------------------------------------------------------------

    def check_nodes(self) -> None:
        sheet = self.book.sheets[NODES]
        max_code, max_name = _field_max(GridNode, "code"), _field_max(GridNode, "name")
        seen: dict[str, int] = {}
        candidates: list[_NodePlan] = []
        for row in sheet.rows:
            code = self._required(sheet, row, "code", max_code)
            if code is not None:
                self.file_node_codes.add(code)
                if self._duplicate(sheet, row, "code", code, seen, f"code {code!r}"):
                    continue
            ok = code is not None
            name = self._required(sheet, row, "name", max_name)
            ok &= name is not None
            level_text = _text(row.values.get("level"))
            level = LEVEL_ALIASES.get(_value_key(level_text))
            if not level_text:
                self._err(sheet, row, "level", "level is required")
                ok = False
            elif level is None:
                self._err(
                    sheet,
                    row,
                    "level",
                    f"unknown level {level_text!r} (expected 区/街道/社区/网格/微网格 or {'/'.join(roles.LEVELS)})",
                )
                ok = False
            parent_code = _text(row.values.get("parent_code"))
            sort_order: int | None = None
            if sheet.has_column("order"):
                sort_order = self._integer(sheet, row, "order") if not _blank(row.values.get("order")) else 0
                ok &= sort_order is not None
            if level == roles.DISTRICT and name and not self.district_name:
                self.district_name = name
            if ok:
                assert code is not None
                assert name is not None
                assert level is not None
                candidates.append(_NodePlan(row.number, code, name, level, parent_code, sort_order))
        # Levels only go down, so checking and placing level by level visits every parent before its children.
        candidates.sort(key=lambda p: roles.level_index(p.level))
        for plan in candidates:
            self.nodes[plan.code] = plan
        for plan in candidates:
            if not self._check_node_links(sheet, plan):
                del self.nodes[plan.code]
        self._place_nodes(sheet)

    def _check_node_links(self, sheet: _Sheet, plan: _NodePlan) -> bool:
        existing = self.db_nodes.get(plan.code)
        ok = True
        if existing is not None and existing.level != plan.level:
            self._err(
                sheet,
                plan.row,
                "level",
                f"node {plan.code!r} is a {_level_label(existing.level)} in the database; "
                f"an import cannot change a node's level",
            )
            ok = False
        if plan.level == roles.DISTRICT:
            if plan.parent_code:
                self._err(sheet, plan.row, "parent_code", "a district is the root of the grid and has no parent")
                ok = False
            roots = [c for c, n in self.db_nodes.items() if n.parent_id is None and c != plan.code]
            roots += [c for c, p in self.nodes.items() if p.level == roles.DISTRICT and p.row < plan.row]
            if roots:
                self._err(sheet, plan.row, "code", f"the jurisdiction already has a district root {roots[0]!r}")
                ok = False
        else:
            expected = roles.parent_level(plan.level)
            assert expected is not None
            parent_level = self.node_level(plan.parent_code) if plan.parent_code else None
            if not plan.parent_code:
                self._err(
                    sheet,
                    plan.row,
                    "parent_code",
                    f"parent_code is required: a {_level_label(plan.level)} sits under a {_level_label(expected)}",
                )
                ok = False
            elif parent_level == _INVALID:
                ok = False
            elif parent_level is None:
                self._err(sheet, plan.row, "parent_code", self._not_found("parent", plan.parent_code, "nodes"))
                ok = False
            elif parent_level != expected:
                self._err(
                    sheet,
                    plan.row,
                    "parent_code",
                    f"a {_level_label(plan.level)}'s parent must be a {_level_label(expected)}; "
                    f"{plan.parent_code!r} is a {_level_label(parent_level)}",
                )
                ok = False
            if ok and existing is not None:
                stored_parent = self.node_code_by_id.get(existing.parent_id)
                if stored_parent != plan.parent_code:
                    self._err(
                        sheet,
                        plan.row,
                        "parent_code",
                        f"node {plan.code!r} is under {stored_parent!r} in the database; an import does not "
                        f"move nodes to another parent (that changes whose scope its staff, buildings and "
                        f"cases fall in), so give parent_code {stored_parent!r} or move it in the console",
                    )
                    ok = False
        plan.existing = existing
        return ok

    def _place_nodes(self, sheet: _Sheet) -> None:
        """Paths for new nodes, in memory: after the stored siblings, new siblings by (order, row)."""
        next_index: dict[str, int] = {}
        for node in self.db_nodes.values():
            parent = self.node_code_by_id.get(node.parent_id, "")
            index = int(node.path[-PATH_SEGMENT_WIDTH:], 36) + 1
            next_index[parent] = max(next_index.get(parent, 0), index)
        ordered = sorted(self.nodes.values(), key=lambda p: (roles.level_index(p.level), p.sort_order or 0, p.row))
        for plan in ordered:
            if plan.existing is not None:
                plan.path = plan.existing.path
            elif plan.parent_code and plan.parent_code not in self.node_paths:
                # The parent could not be placed (its own row has an error); nothing to place under it.
                continue
            else:
                key = plan.parent_code
                index = next_index.get(key, 0)
                try:
                    segment = services.path_segment(index)
                except DomainError as exc:
                    self._err(sheet, plan.row, "parent_code", exc.message)
                    continue
                next_index[key] = index + 1
                plan.path = (self.node_paths[key] if key else "") + segment
            self.node_paths[plan.code] = plan.path

    # -- boundaries ---------------------------------------------------------------------------------------------

    def check_boundaries(self) -> None:
        if self.boundaries is None:
            return
        for feature in self.boundaries.features:
            level = self.node_level(feature.code)
            if level is None:
                self.errors.add(
                    self.boundaries.name,
                    feature.number,
                    feature.code,
                    self._not_found("grid node", feature.code, "nodes"),
                )
            elif level != _INVALID:
                self.node_fields[feature.code] = feature.fields

    # -- departments --------------------------------------------------------------------------------------------

    def check_departments(self) -> None:
        sheet = self.book.sheets[DEPARTMENTS]
        seen: dict[str, int] = {}
        for row in sheet.rows:
            code = self._required(sheet, row, "code", _field_max(Department, "code"))
            if code is not None:
                self.file_department_codes.add(code)
                if self._duplicate(sheet, row, "code", code, seen, f"code {code!r}"):
                    continue
            values: dict[str, Any] = {}
            ok = code is not None
            name = self._required(sheet, row, "name", _field_max(Department, "name"))
            ok &= name is not None
            values["name"] = name
            if sheet.has_column("kind"):
                kind_text = _text(row.values.get("kind"))
                kind = KIND_ALIASES.get(_value_key(kind_text)) if kind_text else DepartmentKind.OTHER
                if kind is None:
                    self._err(sheet, row, "kind", f"unknown department kind {kind_text!r} (see docs/importing.md)")
                    ok = False
                values["kind"] = str(kind)
            if sheet.has_column("service_area_code"):
                area = _text(row.values.get("service_area_code"))
                ok &= self._node_ref(sheet, row, "service_area_code", area, None)
                values["service_area"] = area or None
            if sheet.has_column("phone"):
                phone = self._optional(sheet, row, "phone", _field_max(Department, "phone"))
                ok &= phone is not None
                values["phone"] = phone
            if ok:
                assert code is not None
                self.departments[code] = self._upsert(
                    row, code, values, self.db_departments.get(code), {"service_area": self.node_code_by_id}
                )

    def _node_ref(self, sheet: _Sheet, row: _Row, column: str, code: str, allowed: frozenset[str] | None) -> bool:
        """A reference to a grid node (blank is fine here; callers check required-ness)."""
        if not code:
            return True
        level = self.node_level(code)
        if level == _INVALID:
            return False
        if level is None:
            self._err(sheet, row, column, self._not_found("grid node", code, "nodes"))
            return False
        if allowed is not None and level not in allowed:
            names = ", ".join(_level_label(lv) for lv in roles.LEVELS if lv in allowed)
            self._err(sheet, row, column, f"{code!r} is a {_level_label(level)}; {sheet.spec.name} sit in: {names}")
            return False
        return True

    def _dept_ref(self, sheet: _Sheet, row: _Row, column: str, code: str) -> bool:
        if not code or code in self.departments or code in self.db_departments:
            return True
        if code in self.file_department_codes:
            return False
        self._err(sheet, row, column, self._not_found("department", code, "departments"))
        return False

    def _upsert(
        self, row: _Row, key: Any, values: dict[str, Any], existing: Any, refs: Mapping[str, Mapping[int, str]]
    ) -> _Upsert:
        """Compare the wanted values with the stored object (foreign keys compared as codes)."""
        differ: set[str] = set()
        if existing is not None:
            for attr, value in values.items():
                current = refs[attr].get(getattr(existing, f"{attr}_id")) if attr in refs else getattr(existing, attr)
                if current != value:
                    differ.add(attr)
        return _Upsert(row.number, key, values, existing, existing is None or bool(differ), changed_fields=differ)

    # -- compounds and buildings ---------------------------------------------------------------------------------

    def _coordinates(self, sheet: _Sheet, row: _Row, values: dict[str, Any]) -> bool:
        present = [c for c in ("lat", "lon") if sheet.has_column(c)]
        if not present:
            return True
        raw = {c: row.values.get(c) for c in present}
        if all(_blank(v) for v in raw.values()):
            values.update(lat=None, lon=None)
            return True
        if len(present) < 2 or any(_blank(v) for v in raw.values()):
            missing = next((c for c in ("lat", "lon") if c not in raw or _blank(raw[c])), "lat")
            self._err(sheet, row, missing, "give both lat and lon, or neither")
            return False
        lat, lon = self._number(sheet, row, "lat"), self._number(sheet, row, "lon")
        if lat is None or lon is None:
            return False
        ok = True
        swapped = " (are lat and lon swapped?)" if abs(lat) > 90 and abs(lon) <= 90 else ""
        if not -90 <= lat <= 90:
            self._err(sheet, row, "lat", f"latitude {lat} is not between -90 and 90{swapped}")
            ok = False
        if not -180 <= lon <= 180:
            self._err(sheet, row, "lon", f"longitude {lon} is not between -180 and 180")
            ok = False
        if ok and lat == 0 and lon == 0:
            self._err(sheet, row, "lat", "0, 0 is not a real location (an empty cell exported as zero?)")
            ok = False
        values.update(lat=lat, lon=lon)
        return ok

    def _number(self, sheet: _Sheet, row: _Row, column: str) -> float | None:
        value = row.values.get(column)
        try:
            if isinstance(value, bool):
                raise ValueError
            number = float(value) if isinstance(value, int | float) else float(_text(value))
            if not math.isfinite(number):
                raise ValueError
        except ValueError:
            self._err(sheet, row, column, f"{_text(value)!r} is not a number")
            return None
        return number

    def _integer(self, sheet: _Sheet, row: _Row, column: str) -> int | None:
        value = row.values.get(column)
        text = _text(value)
        if isinstance(value, bool) or not re.fullmatch(r"\d+", text):
            self._err(sheet, row, column, f"{text!r} is not a whole number of 0 or more")
            return None
        return int(text)

    def check_compounds(self) -> None:
        sheet = self.book.sheets[COMPOUNDS]
        seen: dict[str, int] = {}
        for row in sheet.rows:
            code = self._required(sheet, row, "code", _field_max(Compound, "code"))
            if code is not None:
                self.file_compound_codes.add(code)
                if self._duplicate(sheet, row, "code", code, seen, f"code {code!r}"):
                    continue
            ok = code is not None
            values: dict[str, Any] = {"name": self._required(sheet, row, "name", _field_max(Compound, "name"))}
            ok &= values["name"] is not None
            node = _text(row.values.get("node_code"))
            if not node:
                self._err(sheet, row, "node_code", "node_code is required")
                ok = False
            else:
                ok &= self._node_ref(sheet, row, "node_code", node, COMPOUND_LEVELS)
            values["node"] = node
            if sheet.has_column("address"):
                values["address"] = self._optional(sheet, row, "address", _field_max(Compound, "address"))
                ok &= values["address"] is not None
            ok &= self._coordinates(sheet, row, values)
            if sheet.has_column("property_company_code"):
                company = _text(row.values.get("property_company_code"))
                ok &= self._dept_ref(sheet, row, "property_company_code", company)
                values["property_company"] = company or None
            if ok:
                assert code is not None
                refs = {"node": self.node_code_by_id, "property_company": self.dept_code_by_id}
                self.compounds[code] = self._upsert(row, code, values, self.db_compounds.get(code), refs)

    def _compound_node(self, code: str) -> str | None:
        if code in self.compounds:
            return str(self.compounds[code].values["node"])
        compound = self.db_compounds.get(code)
        return self.node_code_by_id.get(compound.node_id) if compound else None

    def check_buildings(self) -> None:
        sheet = self.book.sheets[BUILDINGS]
        seen: dict[str, int] = {}
        micro = frozenset({roles.MICRO_GRID})
        for row in sheet.rows:
            code = self._required(sheet, row, "code", _field_max(Building, "code"))
            if code is not None and self._duplicate(sheet, row, "code", code, seen, f"code {code!r}"):
                continue
            ok = code is not None
            values: dict[str, Any] = {"name": self._required(sheet, row, "name", _field_max(Building, "name"))}
            ok &= values["name"] is not None
            node = _text(row.values.get("node_code"))
            node_ok = bool(node)
            if not node:
                self._err(sheet, row, "node_code", "node_code is required (the building's micro-grid)")
            else:
                node_ok = self._node_ref(sheet, row, "node_code", node, micro)
            ok &= node_ok
            values["node"] = node
            if sheet.has_column("compound_code"):
                compound = _text(row.values.get("compound_code"))
                values["compound"] = compound or None
                if compound and compound not in self.compounds and compound not in self.db_compounds:
                    if compound not in self.file_compound_codes:
                        self._err(sheet, row, "compound_code", self._not_found("compound", compound, "compounds"))
                    ok = False
                elif compound and node_ok:
                    compound_node = self._compound_node(compound)
                    compound_path = self.node_paths.get(compound_node or "")
                    node_path = self.node_paths.get(node)
                    if compound_path and node_path and not node_path.startswith(compound_path):
                        self._err(
                            sheet,
                            row,
                            "node_code",
                            f"micro-grid {node!r} is not inside compound {compound!r}'s grid node "
                            f"{compound_node!r}; put the compound on a node that holds all its buildings",
                        )
                        ok = False
            if sheet.has_column("address"):
                values["address"] = self._optional(sheet, row, "address", _field_max(Building, "address"))
                ok &= values["address"] is not None
            ok &= self._coordinates(sheet, row, values)
            if sheet.has_column("households"):
                households: int | None = None
                if not _blank(row.values.get("households")):
                    households = self._integer(sheet, row, "households")
                    ok &= households is not None
                values["households"] = households
            if ok:
                assert code is not None
                refs = {"node": self.node_code_by_id, "compound": self.compound_code_by_id}
                self.buildings[code] = self._upsert(row, code, values, self.db_buildings.get(code), refs)

    # -- staff ----------------------------------------------------------------------------------------------------

    def check_staff(self) -> None:
        sheet = self.book.sheets[STAFF]
        names = sorted({self.User.normalize_username(_text(r.values.get("username"))) for r in sheet.rows} - {""})
        existing_users: dict[str, Any] = {}
        for start in range(0, len(names), BATCH_SIZE):
            for user in self.User.objects.filter(username__in=names[start : start + BATCH_SIZE]):
                existing_users[user.username] = user
        username_field = self.User._meta.get_field("username")
        seen_posts: dict[tuple[str, str, str, str], int] = {}
        people: dict[str, dict[str, Any]] = {}
        for row in sheet.rows:
            username = self._required(sheet, row, "username", username_field.max_length or 150)
            if username is not None:
                # As Django's create_user does: full-width ｚｈａｎｇ and zhang are one account.
                username = self.User.normalize_username(username)
                try:
                    username_field.run_validators(username)
                except ValidationError as exc:
                    self._err(sheet, row, "username", " ".join(str(m) for m in exc.messages))
                    username = None
            ok = username is not None
            name = self._required(sheet, row, "name", _field_max(self.User, "display_name"))
            ok &= name is not None
            phone = ""
            if sheet.has_column("phone") and not _blank(row.values.get("phone")):
                phone = crypto.normalise_phone(_text(row.values.get("phone")))
                if not 7 <= len(phone) <= 15:
                    self._err(sheet, row, "phone", f"{_text(row.values.get('phone'))!r} is not a phone number")
                    ok = False
            password = _text(row.values.get("password")) if sheet.has_column("password") else ""
            role, role_ok = self._role(sheet, row)
            ok &= role_ok
            node = _text(row.values.get("node_code")) if sheet.has_column("node_code") else ""
            dept = _text(row.values.get("department_code")) if sheet.has_column("department_code") else ""
            ok &= self._placement(sheet, row, role, node, dept)
            values: dict[str, Any] = {}
            for column, attr in (("title", "title"), ("duty", "duty"), ("work_phone", "public_phone")):
                if sheet.has_column(column):
                    values[attr] = self._optional(sheet, row, column, _field_max(StaffPost, attr))
                    ok &= values[attr] is not None
            if username is not None:
                ok &= self._merge_person(sheet, row, username, name or "", phone, password, people)
                key = (username, role or "", node, dept)
                if role is not None and self._duplicate(
                    sheet, row, "username", key, seen_posts, "post (same user, role and place)"
                ):
                    ok = False
                if ok:
                    self.posts[key] = _Upsert(row.number, key, values)
        for username, person in people.items():
            self._plan_user(username, person, existing_users.get(username))

    def _role(self, sheet: _Sheet, row: _Row) -> tuple[str | None, bool]:
        text = _text(row.values.get("role"))
        if not text:
            self._err(sheet, row, "role", "role is required")
            return None, False
        role = ROLE_ALIASES.get(_value_key(text))
        if role is None:
            self._err(
                sheet,
                row,
                "role",
                f"unknown role {text!r} (expected one of {', '.join(roles.ROLES)} or a Chinese alias)",
            )
            return None, False
        return role, True

    def _placement(self, sheet: _Sheet, row: _Row, role: str | None, node: str, dept: str) -> bool:
        """The post's place exists and the role may sit there (the rules of services.assign_post)."""
        level: str | None = None
        if node:
            level = self.node_level(node)
            if level is None:
                self._err(sheet, row, "node_code", self._not_found("grid node", node, "nodes"))
                return False
            if level == _INVALID:
                return False
        if dept and not self._dept_ref(sheet, row, "department_code", dept):
            return False
        if role is None:
            return True
        if node and dept:
            problem: str | None = "a post sits on a grid node or a department, not both"
        else:
            problem = roles.post_placement_error(role, level=level, on_department=bool(dept))
        if problem is None:
            return True
        if role == roles.RESIDENT:
            column = "role"
        elif dept or role in roles.DEPARTMENT_ROLES:
            column = "department_code" if sheet.has_column("department_code") else "node_code"
        else:
            column = "node_code" if sheet.has_column("node_code") else "department_code"
        self._err(sheet, row, column, problem)
        return False

    def _merge_person(
        self,
        sheet: _Sheet,
        row: _Row,
        username: str,
        name: str,
        phone: str,
        password: str,
        people: dict[str, dict[str, Any]],
    ) -> bool:
        """One person may hold several posts, one row each; what those rows say about the person must agree."""
        person = people.setdefault(username, {"row": row.number, "name": "", "phone": "", "password": ""})
        ok = True
        for column, value in (("name", name), ("phone", phone), ("password", password)):
            if not value:
                continue
            if person[column] and person[column] != value:
                self._err(sheet, row, column, f"{username!r} has a different {column} in row {person['row']}")
                ok = False
                continue
            if column == "password" and not person[column]:
                try:
                    validate_password(value, self.User(username=username, display_name=name))
                except ValidationError as exc:
                    self._err(sheet, row, column, " ".join(str(m) for m in exc.messages))
                    ok = False
            person[column] = value
        return ok

    def _plan_user(self, username: str, person: dict[str, Any], existing: Any) -> None:
        values: dict[str, Any] = {"display_name": person["name"]}
        # A blank phone keeps the one stored: the personal phone belongs to the person, not to this file.
        if person["phone"]:
            values["phone"] = person["phone"]
        plan = _Upsert(person["row"], username, values, existing, changed=existing is None)
        if existing is not None:
            plan.changed = any(getattr(existing, attr) != value for attr, value in values.items())
        else:
            # Passwords are only ever set on accounts the import creates (docs/importing.md).
            plan.extra["password"] = person["password"]
        self.users[username] = plan

    # -- whole plan -----------------------------------------------------------------------------------------------

    def check(self) -> None:
        self.check_nodes()
        self.check_boundaries()
        self.check_departments()
        self.check_compounds()
        self.check_buildings()
        self.check_staff()
        if self.jurisdiction is None and not self.name:
            # Named after the district row, even one with its own error (that error is the one worth reporting).
            self.name = self.district_name
            if not self.name:
                message = f"jurisdiction {self.code!r} does not exist: give its name to create it"
                self.errors.add(JURISDICTION_FILE, None, None, message)
        if self.jurisdiction is None and len(self.name) > _field_max(Jurisdiction, "name"):
            self.errors.add(JURISDICTION_FILE, None, None, "the jurisdiction name is too long")

    def count(self, result: ImportResult) -> None:
        """Fill the result's counts from the plan (the same numbers whether or not it is then written)."""
        for plan in self.nodes.values():
            if plan.existing is not None:
                plan.changed = plan.existing.name != plan.name or (
                    plan.sort_order is not None and plan.existing.sort_order != plan.sort_order
                )
        _tally(result.counts["nodes"], ((p.existing, p.changed) for p in self.nodes.values()))
        boundaries = result.counts["boundaries"]
        for code, fields in self.node_fields.items():
            stored = self.db_nodes.get(code)
            if stored is None or stored.boundary is None:
                boundaries.created += 1
            elif stored.boundary != fields["boundary"]:
                boundaries.updated += 1
            else:
                boundaries.unchanged += 1
        result.boundary_version_bumped = bool(boundaries.created or boundaries.updated)
        for kind, plans in (
            ("departments", self.departments),
            ("compounds", self.compounds),
            ("buildings", self.buildings),
            ("users", self.users),
        ):
            _tally(result.counts[kind], ((p.existing, p.changed) for p in plans.values()))
        self._classify_posts()
        _tally(result.counts["posts"], ((p.existing, p.changed) for p in self.posts.values()))

    def _classify_posts(self) -> None:
        """A post is stored when its user, role and place all are; then it changes if a value or ``active`` does."""
        j = self.jurisdiction
        stored = (
            {(p.user_id, p.role, p.node_id, p.department_id): p for p in StaffPost.objects.filter(jurisdiction=j)}
            if j
            else {}
        )
        user_ids = {u: p.existing.pk for u, p in self.users.items() if p.existing is not None}
        for (username, role, node, dept), plan in self.posts.items():
            node_id = self.db_nodes[node].pk if node in self.db_nodes else None
            dept_id = self.db_departments[dept].pk if dept in self.db_departments else None
            known = username in user_ids and (not node or node_id) and (not dept or dept_id)
            post = stored.get((user_ids.get(username), role, node_id, dept_id)) if known else None
            plan.existing = post
            plan.changed = (
                post is None
                or not post.active
                or any(getattr(post, attr) != value for attr, value in plan.values.items())
            )

    # -- writing --------------------------------------------------------------------------------------------------

    def write(self, result: ImportResult) -> None:
        j = self.jurisdiction
        if j is None:
            j = Jurisdiction.objects.create(code=self.code, name=self.name)
            self.jurisdiction = j
        node_ids = self._write_nodes(j)
        dept_ids = self._write_upserts(Department, j, self.departments, {"service_area": node_ids}, self.db_departments)
        compound_ids = self._write_upserts(
            Compound, j, self.compounds, {"node": node_ids, "property_company": dept_ids}, self.db_compounds
        )
        self._write_upserts(
            Building, j, self.buildings, {"node": node_ids, "compound": compound_ids}, self.db_buildings
        )
        user_ids = self._write_users()
        self._write_posts(j, node_ids, dept_ids, user_ids)
        if result.boundary_version_bumped:
            services.bump_boundary_version(jurisdiction=j)
        audit.record(actor=self.actor, action=AUDIT_ACTION, target=j.code, data=result.counts_dict())

    def _write_nodes(self, j: Jurisdiction) -> dict[str, int]:
        node_ids = {code: n.pk for code, n in self.db_nodes.items()}
        for level in roles.LEVELS:
            # Level by level, so every new node's parent already has an id.
            batch = [
                GridNode(
                    jurisdiction=j,
                    parent_id=node_ids[p.parent_code] if p.parent_code else None,
                    level=p.level,
                    code=p.code,
                    name=p.name,
                    path=p.path,
                    sort_order=p.sort_order or 0,
                    **self.node_fields.get(p.code, {}),
                )
                for p in self.nodes.values()
                if p.level == level and p.existing is None
            ]
            GridNode.objects.bulk_create(batch, batch_size=BATCH_SIZE)
            node_ids.update(_ids_by_key(batch, GridNode.objects.filter(jurisdiction=j), "code"))
        changed: dict[str, tuple[GridNode, set[str]]] = {}
        for plan in self.nodes.values():
            stored = plan.existing
            if stored is not None and plan.changed:
                wanted = {"name": plan.name, "sort_order": plan.sort_order}
                attrs = {a for a, v in wanted.items() if v is not None and getattr(stored, a) != v}
                for attr in attrs:
                    setattr(stored, attr, wanted[attr])
                changed[plan.code] = (stored, attrs)
        for code, fields in self.node_fields.items():
            stored = self.db_nodes.get(code)
            if stored is not None and stored.boundary != fields["boundary"]:
                for attr, value in fields.items():
                    setattr(stored, attr, value)
                changed.setdefault(code, (stored, set()))[1].update(fields)
        _bulk_update(GridNode, changed.values())
        return node_ids

    def _write_upserts(
        self,
        model: type[models.Model],
        j: Jurisdiction,
        plans: dict[str, _Upsert],
        refs: Mapping[str, Mapping[str, int]],
        stored: Mapping[str, models.Model],
    ) -> dict[str, int]:
        ids = {code: obj.pk for code, obj in stored.items()}

        def apply(obj: models.Model, values: dict[str, Any]) -> None:
            for attr, value in values.items():
                if attr in refs:
                    setattr(obj, f"{attr}_id", refs[attr][value] if value else None)
                else:
                    setattr(obj, attr, value)

        new: list[models.Model] = []
        changed: list[tuple[models.Model, set[str]]] = []
        for code, plan in plans.items():
            if plan.existing is None:
                obj = model(jurisdiction=j, code=code)
                apply(obj, plan.values)
                new.append(obj)
            elif plan.changed:
                apply(plan.existing, {a: plan.values[a] for a in plan.changed_fields})
                changed.append((plan.existing, plan.changed_fields))
        model._default_manager.bulk_create(new, batch_size=BATCH_SIZE)
        ids.update(_ids_by_key(new, model._default_manager.filter(jurisdiction=j), "code"))
        _bulk_update(model, changed)
        return ids

    def _write_users(self) -> dict[str, int]:
        new: list[Any] = []
        changed: list[Any] = []
        ids: dict[str, int] = {}
        for username, plan in self.users.items():
            user = plan.existing
            if user is None:
                user = self.User(username=username, display_name=plan.values["display_name"])
                if plan.extra.get("password"):
                    user.set_password(plan.extra["password"])
                else:
                    user.set_unusable_password()
                if plan.values.get("phone"):
                    user.set_phone(plan.values["phone"])
                new.append(user)
                continue
            ids[username] = user.pk
            if plan.changed:
                user.display_name = plan.values["display_name"]
                if "phone" in plan.values:
                    user.set_phone(plan.values["phone"])
                changed.append(user)
        self.User.objects.bulk_create(new, batch_size=BATCH_SIZE)
        ids.update(_ids_by_key(new, self.User.objects.all(), "username"))
        self.User.objects.bulk_update(changed, ["display_name", "phone", "phone_index"], batch_size=BATCH_SIZE)
        return ids

    def _write_posts(
        self, j: Jurisdiction, node_ids: Mapping[str, int], dept_ids: Mapping[str, int], user_ids: Mapping[str, int]
    ) -> None:
        new: list[StaffPost] = []
        changed: list[StaffPost] = []
        for (username, role, node, dept), plan in self.posts.items():
            post = plan.existing
            if post is None:
                post = StaffPost(
                    user_id=user_ids[username],
                    jurisdiction=j,
                    role=role,
                    node_id=node_ids[node] if node else None,
                    department_id=dept_ids[dept] if dept else None,
                )
                new.append(post)
            elif plan.changed:
                post.active = True
                changed.append(post)
            for attr, value in plan.values.items():
                setattr(post, attr, value)
        StaffPost.objects.bulk_create(new, batch_size=BATCH_SIZE)
        StaffPost.objects.bulk_update(changed, ["title", "duty", "public_phone", "active"], batch_size=BATCH_SIZE)


def _bulk_update(model: type[models.Model], changes: Iterable[tuple[models.Model, set[str]]]) -> None:
    """bulk_update grouped by the set of changed fields: its cost grows with rows x fields, so each row pays only for
    what changed (a re-import that fixes every building's households does not rewrite their names and addresses)."""
    groups: dict[frozenset[str], list[models.Model]] = {}
    for obj, fields in changes:
        if fields:
            groups.setdefault(frozenset(fields), []).append(obj)
    for fields, objs in groups.items():
        model._default_manager.bulk_update(objs, sorted(fields), batch_size=BATCH_SIZE)


def _tally(counts: KindCounts, items: Iterable[tuple[Any, bool]]) -> None:
    for existing, changed in items:
        if existing is None:
            counts.created += 1
        elif changed:
            counts.updated += 1
        else:
            counts.unchanged += 1


def _ids_by_key(objs: list[Any], queryset: models.QuerySet[Any], key: str) -> dict[str, int]:
    """pk by code of freshly bulk-created objects (databases that do not return ids get one extra query)."""
    if not objs:
        return {}
    if all(o.pk is not None for o in objs):
        return {getattr(o, key): o.pk for o in objs}
    keys = [getattr(o, key) for o in objs]
    found: dict[str, int] = {}
    for start in range(0, len(keys), BATCH_SIZE):
        found.update(queryset.filter(**{f"{key}__in": keys[start : start + BATCH_SIZE]}).values_list(key, "pk"))
    return found


# ---------------------------------------------------------------------------------------------------------------
# Public entry points
# ---------------------------------------------------------------------------------------------------------------


def import_grid(
    *,
    jurisdiction: str,
    workbook: Source,
    boundaries: Source | None = None,
    name: str = "",
    dry_run: bool = False,
    actor: Any = None,
) -> ImportResult:
    """Import a grid workbook (and boundaries) into the jurisdiction with code ``jurisdiction``.

    Creates the jurisdiction when missing (named ``name``, or after the district row). Raises ImportRejected with
    every problem found, having written nothing. With ``dry_run`` everything is checked and counted but nothing is
    written, not even the audit entry.
    """
    errors = _Errors()
    code = jurisdiction.strip()
    try:
        validate_slug(code)
        if len(code) > _field_max(Jurisdiction, "code"):
            raise ValidationError("too long")
    except ValidationError:
        errors.add(
            JURISDICTION_FILE,
            None,
            None,
            f"{code!r} is not a valid jurisdiction code (letters, digits, '-' and '_', at most 64)",
        )
    book = read_workbook(workbook, errors)
    geo = read_boundaries(boundaries, errors) if boundaries is not None else None
    file_order = [JURISDICTION_FILE, *(book.file_order() if book else []), *([geo.name] if geo else [])]
    if book is None:
        # Unreadable, or sheets/required columns missing: checking rows now would only bury the real problem.
        raise ImportRejected(errors.sorted(file_order))
    try:
        with transaction.atomic():
            # The lock keeps two imports (or an import and a console edit) from planning on the same state.
            stored = Jurisdiction.objects.select_for_update().filter(code=code).first()
            planner = _Planner(
                code=code,
                name=name.strip(),
                jurisdiction=stored,
                book=book,
                boundaries=geo,
                errors=errors,
                actor=actor,
            )
            planner.check()
            if errors:
                raise ImportRejected(errors.sorted(file_order))
            result = ImportResult(jurisdiction=code, jurisdiction_created=stored is None, dry_run=dry_run)
            planner.count(result)
            if not dry_run:
                planner.write(result)
    except IntegrityError as exc:
        raise ImportRejected(
            [
                RowError(
                    file=book.name,
                    row=None,
                    column=None,
                    reason=f"the database refused the import ({exc}); the grid probably changed while importing. "
                    "Nothing was written; run the import again.",
                )
            ]
        ) from exc
    return result


def write_template(target: str | Path | IO[bytes]) -> None:
    """An empty workbook with every sheet and its header row, plus a 说明 (instructions) sheet first."""
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    from gongzhi.core import excel

    book = excel.Book()
    guide = book.sheet("说明")
    for line in _TEMPLATE_GUIDE:
        guide.row([line])
    guide.widths([110])
    guide.ws["A1"].font = Font(bold=True, size=14)
    for spec in SHEETS:
        sheet = book.sheet(spec.name)
        ws = sheet.ws
        headers = [c.name for c in spec.columns if c.name not in TEMPLATE_OMITS.get(spec.name, set())]
        sheet.header(headers, widths=[max(14, len(header) + 4) for header in headers])
        for index, header in enumerate(headers, start=1):
            cell = ws.cell(row=1, column=index)
            # Codes and phone numbers are text: typed as numbers, Excel would drop leading zeros.
            if header.endswith("code") or header in {"username", "phone", "work_phone"}:
                ws.column_dimensions[cell.column_letter].number_format = "@"
        pick: dict[str, str] = {}
        if spec.name == NODES:
            pick["level"] = ",".join(LEVEL_LABELS.values())
        if spec.name == STAFF:
            pick["role"] = ",".join(roles.ROLES[1:])
        for column, choices in pick.items():
            letter = ws.cell(row=1, column=headers.index(column) + 1).column_letter
            # A drop-down to help, not a gate: the English codes and other aliases stay allowed.
            validation = DataValidation(type="list", formula1=f'"{choices}"', allow_blank=True, showErrorMessage=False)
            validation.add(f"{letter}2:{letter}100000")
            ws.add_data_validation(validation)
    data = book.to_bytes()
    if isinstance(target, str | Path):
        Path(target).write_bytes(data)
    else:
        target.write(data)


_TEMPLATE_GUIDE: Final = (
    "网格导入模板 · gongzhi import_grid",
    "",
    "每个工作表第 1 行是表头（可用英文列名或中文别名），从第 2 行起每行一条数据；空行会被跳过。"
    "工作表都要保留，不用的留空。",
    "编码（code）是唯一标识：再次导入同一编码会更新名称、排序、边界等，不会重复创建；"
    "导入不会删除数据，也不会把节点移到别的上级。",
    "编码、电话请按文本填写（例如 0101 不要变成 101）。",
    "",
    "nodes 网格：code 编码, name 名称, level 层级（区/街道/社区/网格/微网格）, "
    "parent_code 上级编码（区留空）, order 排序",
    "departments 部门：code, name, kind 类型（城管/住建/供电/供水/物业公司…）, "
    "service_area_code 服务区域编码, phone 电话",
    "compounds 小区：code, name, node_code 所属网格编码（社区/网格/微网格）, address 地址, "
    "lat 纬度, lon 经度（WGS-84）, property_company_code 物业公司编码",
    "buildings 楼栋：code, name, compound_code 小区编码, node_code 微网格编码, address, lat, lon, households 户数",
    "staff 人员：username 用户名, name 姓名, phone 个人手机, role 角色, "
    "node_code 网格编码 或 department_code 部门编码, title 岗位名称, duty 职责, work_phone 公示电话（三亮）",
    "",
    "边界另用 GeoJSON FeatureCollection 文件导入：每个要素 properties.code = 网格编码，"
    "几何为 Polygon/MultiPolygon（WGS-84）。",
    "有任何错误时整个导入不写入任何数据，并列出每个错误的 文件/工作表、行号、列名 和原因。先用 --dry-run 检查。",
    "详细说明见 docs/importing.md。",
)
