"""Importing a real grid from a workbook and GeoJSON boundaries (gongzhi.grid.importers, `gongzhi import_grid`)."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gongzhi.accounts.models import User
from gongzhi.core.errors import ImportRejected, RowError
from gongzhi.core.models import AuditEntry
from gongzhi.core.testing.excel import assert_no_formulas
from gongzhi.grid import importers, location, roles, selectors
from gongzhi.grid.models import Building, Compound, Department, GridNode, Jurisdiction, StaffPost
from gongzhi.grid.tests.factories import JurisdictionFactory, make_node, post, square

pytestmark = pytest.mark.django_db

HEADERS = {
    "nodes": ["code", "name", "level", "parent_code", "order"],
    "departments": ["code", "name", "kind", "service_area_code", "phone"],
    "compounds": ["code", "name", "node_code", "address", "lat", "lon", "property_company_code"],
    "buildings": ["code", "name", "compound_code", "node_code", "address", "lat", "lon", "households"],
    "staff": ["username", "name", "phone", "role", "node_code", "department_code", "title", "duty", "work_phone"],
}


def base_sheets() -> dict[str, list[list[Any]]]:
    """A small five-level grid: one district, street, community, grid and two micro-grids (header = row 1)."""
    return {
        "nodes": [
            HEADERS["nodes"],
            ["D1", "测试区", "区", None, 1],  # row 2
            ["S1", "东城街道", "街道", "D1", 1],  # row 3
            ["C1", "幸福社区", "社区", "S1", 1],  # row 4
            ["G1", "第一网格", "网格", "C1", 1],  # row 5
            ["M1", "第一微网格", "微网格", "G1", 1],  # row 6
            ["M2", "第二微网格", "micro_grid", "G1", 2],  # row 7
        ],
        "departments": [
            HEADERS["departments"],
            ["CG1", "东城城管中队", "城管", "S1", "0571-12345"],  # row 2
            ["WY1", "安居物业公司", "物业公司", None, None],  # row 3
        ],
        "compounds": [
            HEADERS["compounds"],
            ["CP1", "幸福小区", "G1", "幸福路 1 号", 30.05, 120.01, "WY1"],  # row 2
        ],
        "buildings": [
            HEADERS["buildings"],
            ["B1", "1号楼", "CP1", "M1", "幸福路 1 号 1 幢", 30.02, 120.005, 48],  # row 2
            ["B2", "2号楼", "CP1", "M2", "幸福路 1 号 2 幢", 30.07, 120.005, 36],  # row 3
        ],
        "staff": [
            HEADERS["staff"],
            ["zhangsan", "张三", "13800138000", "网格员", "G1", None, "网格员", "巡查第一网格", "0571-1001"],  # row 2
            ["lisi", "李四", None, "小管家", "M1", None, "小管家", "1号楼", "0571-1002"],  # row 3
            ["wangwu", "王五", "13900139000", "department_staff", None, "CG1", "队员", None, None],  # row 4
            ["zhangsan", "张三", None, "steward", "M2", None, "兼职小管家", None, None],  # row 5
        ],
    }


def base_boundaries() -> dict[str, Any]:
    """Nested squares: district 0.2°, street/community/grid 0.1°, micro-grids split the grid north/south."""
    return feature_collection(
        [
            ("D1", square(30.0, 120.0, 0.2)),
            ("S1", square(30.0, 120.0, 0.1)),
            ("C1", square(30.0, 120.0, 0.1)),
            ("G1", square(30.0, 120.0, 0.1)),
            ("M1", square(30.0, 120.0, 0.05)),
            ("M2", square(30.05, 120.0, 0.05)),
        ]
    )


def feature_collection(items: list[tuple[Any, Any]]) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": {"code": code}, "geometry": geom} for code, geom in items],
    }


def write_book(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        ws = book.create_sheet(title)
        for row in rows:
            ws.append(row)
    book.save(path)
    return path


def write_json(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def run(tmp_path: Path, sheets=None, boundaries=None, *, jurisdiction="xc", name="", dry_run=False):
    book = write_book(tmp_path / "grid.xlsx", base_sheets() if sheets is None else sheets)
    geo = write_json(tmp_path / "boundaries.geojson", boundaries) if boundaries is not None else None
    return importers.import_grid(jurisdiction=jurisdiction, name=name, workbook=book, boundaries=geo, dry_run=dry_run)


def snapshot() -> dict[str, int]:
    models = (Jurisdiction, GridNode, Department, Compound, Building, StaffPost, User, AuditEntry)
    return {m.__name__: m.objects.count() for m in models}


def where(errors: list[RowError]) -> list[tuple[str, int | None, str | None]]:
    return [(e.file, e.row, e.column) for e in errors]


def rejected(tmp_path: Path, sheets=None, boundaries=None, **kwargs: Any) -> list[RowError]:
    before = snapshot()
    with pytest.raises(ImportRejected) as info:
        run(tmp_path, sheets, boundaries, **kwargs)
    assert snapshot() == before, "a rejected import must write nothing"
    return info.value.errors


# --- a valid import ----------------------------------------------------------------------------------------------


def test_valid_grid_imports_with_exact_counts_paths_and_parents(tmp_path):
    result = run(tmp_path, boundaries=base_boundaries(), name="西城区")

    assert result.counts_dict() == {
        "nodes": {"created": 6, "updated": 0, "unchanged": 0},
        "boundaries": {"created": 6, "updated": 0, "unchanged": 0},
        "departments": {"created": 2, "updated": 0, "unchanged": 0},
        "compounds": {"created": 1, "updated": 0, "unchanged": 0},
        "buildings": {"created": 2, "updated": 0, "unchanged": 0},
        "users": {"created": 3, "updated": 0, "unchanged": 0},
        "posts": {"created": 4, "updated": 0, "unchanged": 0},
    }
    assert result.jurisdiction_created
    assert result.boundary_version_bumped
    assert not result.dry_run
    j = Jurisdiction.objects.get(code="xc")
    assert j.name == "西城区"
    assert j.boundary_version == 1
    nodes = {n.code: n for n in GridNode.objects.filter(jurisdiction=j).select_related("parent")}
    assert {c: (n.level, n.parent.code if n.parent else None, n.path) for c, n in nodes.items()} == {
        "D1": ("district", None, "0000"),
        "S1": ("street", "D1", "00000000"),
        "C1": ("community", "S1", "000000000000"),
        "G1": ("grid", "C1", "0000000000000000"),
        "M1": ("micro_grid", "G1", "00000000000000000000"),
        "M2": ("micro_grid", "G1", "00000000000000000001"),
    }
    assert nodes["M2"].sort_order == 2
    assert nodes["M1"].boundary == square(30.0, 120.0, 0.05)
    assert 30.0 < nodes["M1"].centroid_lat < 30.05
    assert 120.0 < nodes["M1"].centroid_lon < 120.05

    cg = Department.objects.get(jurisdiction=j, code="CG1")
    assert (cg.kind, cg.service_area, cg.phone) == ("city_management", nodes["S1"], "0571-12345")
    assert Department.objects.get(code="WY1").kind == "property"
    compound = Compound.objects.get(jurisdiction=j, code="CP1")
    assert (compound.node, compound.property_company.code, compound.lat, compound.lon) == (
        nodes["G1"],
        "WY1",
        30.05,
        120.01,
    )
    b1 = Building.objects.get(jurisdiction=j, code="B1")
    assert (b1.node, b1.compound, b1.households) == (nodes["M1"], compound, 48)
    assert len(b1.public_token) == 16
    # The imported boundaries feed the locator: building B2's position falls in M2.
    assert location.locate(j.pk, 30.07, 120.005).node_id == nodes["M2"].pk

    zhangsan = User.objects.get(username="zhangsan")
    assert zhangsan.display_name == "张三"
    assert zhangsan.phone == "13800138000"
    assert not zhangsan.has_usable_password()
    assert {(p.role, p.node.code, p.title, p.public_phone) for p in zhangsan.posts.select_related("node")} == {
        ("grid_worker", "G1", "网格员", "0571-1001"),
        ("steward", "M2", "兼职小管家", ""),
    }
    assert set(selectors.grid_nodes_visible_to(zhangsan).values_list("code", flat=True)) == {"G1", "M1", "M2"}
    assert set(selectors.grid_nodes_visible_to(User.objects.get(username="lisi")).values_list("code", flat=True)) == {
        "M1"
    }
    # Department staff sit on the department and see its service area (the street).
    wangwu = StaffPost.objects.get(user__username="wangwu")
    assert (wangwu.role, wangwu.department, wangwu.node) == ("department_staff", cg, None)
    assert selectors.grid_nodes_visible_to(wangwu.user).count() == 5

    entry = AuditEntry.objects.get(action="grid.import")
    assert entry.actor is None
    assert entry.target == "xc"
    assert entry.data == result.counts_dict()


def test_chinese_headers_and_sheet_names_are_accepted(tmp_path):
    sheets = base_sheets()
    chinese = {
        "nodes": ("网格", ["编码", "名称", "层级", "上级编码", "排序"]),
        "departments": ("部门", ["编码", "名称", "类型", "服务区域编码", "电话"]),
        "compounds": ("小区", ["编码", "名称", "所属网格编码", "地址", "纬度", "经度", "物业公司编码"]),
        "buildings": ("楼栋", ["编码", "名称", "小区编码", "微网格编码", "地址", "纬度", "经度", "户数"]),
        "staff": ("人员", ["用户名", "姓名", "手机", "角色", "网格编码", "部门编码", "岗位名称", "职责", "工作电话"]),
    }
    renamed = {title: [headers, *sheets[key][1:]] for key, (title, headers) in chinese.items()}
    result = run(tmp_path, renamed, jurisdiction="cn", name="测试区")
    assert result.counts["nodes"].created == 6
    assert result.counts["posts"].created == 4

    # Errors name the sheet and column as the user wrote them.
    renamed["网格"][3][2] = "大区"
    (error,) = rejected(tmp_path, renamed, jurisdiction="cn2", name="测试区2")
    assert where([error]) == [("网格", 4, "层级")]
    assert "unknown level '大区'" in error.reason


def test_dry_run_checks_and_counts_but_writes_nothing(tmp_path):
    before = snapshot()
    result = run(tmp_path, boundaries=base_boundaries(), dry_run=True)
    assert snapshot() == before
    assert result.dry_run
    assert result.jurisdiction_created
    assert result.counts["nodes"].created == 6
    assert result.counts["posts"].created == 4
    assert result.counts["boundaries"].created == 6


def test_jurisdiction_name_defaults_to_the_district_row(tmp_path):
    run(tmp_path)
    assert Jurisdiction.objects.get(code="xc").name == "测试区"


def test_password_column_sets_a_usable_password_for_new_users_only(tmp_path):
    sheets = base_sheets()
    sheets["staff"][0] = [*HEADERS["staff"], "password"]
    for row in sheets["staff"][1:]:
        row.append(None)
    sheets["staff"][2][-1] = "Lisi-grid-2024!"
    run(tmp_path, sheets)
    assert User.objects.get(username="lisi").check_password("Lisi-grid-2024!")
    assert not User.objects.get(username="wangwu").has_usable_password()

    # An existing account's password is never changed by an import.
    sheets["staff"][2][-1] = "Another-pass-2025!"
    run(tmp_path, sheets)
    assert User.objects.get(username="lisi").check_password("Lisi-grid-2024!")


# --- every kind of bad row: the exact place, and nothing written --------------------------------------------------


def _set(sheet: str, row: int, column: str, value: Any):
    def change(sheets: dict[str, list[list[Any]]]) -> None:
        sheets[sheet][row - 1][sheets[sheet][0].index(column)] = value

    return change


def _append(sheet: str, values: list[Any]):
    def change(sheets: dict[str, list[list[Any]]]) -> None:
        sheets[sheet].append(values)

    return change


BAD_ROWS = [
    # (id, change, expected (file, row, column), reason fragment)
    ("missing-name", _set("nodes", 4, "name", None), ("nodes", 4, "name"), "name is required"),
    ("missing-code", _set("buildings", 3, "code", "  "), ("buildings", 3, "code"), "code is required"),
    ("unknown-level", _set("nodes", 3, "level", "大区"), ("nodes", 3, "level"), "unknown level"),
    ("parent-not-found", _set("nodes", 5, "parent_code", "C9"), ("nodes", 5, "parent_code"), "'C9' not found"),
    (
        "wrong-parent-level",
        _set("nodes", 4, "parent_code", "D1"),
        ("nodes", 4, "parent_code"),
        "community (社区)'s parent must be a street (街道); 'D1' is a district",
    ),
    ("district-with-parent", _set("nodes", 2, "parent_code", "S1"), ("nodes", 2, "parent_code"), "has no parent"),
    (
        "second-district",
        _append("nodes", ["D2", "另一个区", "区", None, None]),
        ("nodes", 8, "code"),
        "already has a district root 'D1'",
    ),
    (
        "duplicate-node-code",
        _append("nodes", ["M1", "重复", "微网格", "G1", 3]),
        ("nodes", 8, "code"),
        "duplicate code 'M1' (first in row 6)",
    ),
    ("bad-order", _set("nodes", 6, "order", "first"), ("nodes", 6, "order"), "not a whole number"),
    ("unknown-kind", _set("departments", 2, "kind", "天文台"), ("departments", 2, "kind"), "unknown department kind"),
    (
        "unknown-service-area",
        _set("departments", 2, "service_area_code", "S9"),
        ("departments", 2, "service_area_code"),
        "grid node 'S9' not found",
    ),
    (
        "compound-on-street",
        _set("compounds", 2, "node_code", "S1"),
        ("compounds", 2, "node_code"),
        "'S1' is a street (街道)",
    ),
    (
        "unknown-property-company",
        _set("compounds", 2, "property_company_code", "WY9"),
        ("compounds", 2, "property_company_code"),
        "department 'WY9' not found",
    ),
    (
        "lat-lon-swapped",
        lambda s: (_set("buildings", 2, "lat", 120.005)(s), _set("buildings", 2, "lon", 30.02)(s)),
        ("buildings", 2, "lat"),
        "not between -90 and 90 (are lat and lon swapped?)",
    ),
    ("longitude-not-a-number", _set("buildings", 3, "lon", "东经120度"), ("buildings", 3, "lon"), "is not a number"),
    ("lat-without-lon", _set("compounds", 2, "lon", None), ("compounds", 2, "lon"), "both lat and lon"),
    (
        "null-island",
        lambda s: (_set("buildings", 2, "lat", 0)(s), _set("buildings", 2, "lon", 0)(s)),
        ("buildings", 2, "lat"),
        "not a real location",
    ),
    (
        "building-not-in-micro-grid",
        _set("buildings", 2, "node_code", "G1"),
        ("buildings", 2, "node_code"),
        "'G1' is a grid (网格); buildings sit in: micro_grid",
    ),
    (
        "unknown-compound",
        _set("buildings", 3, "compound_code", "CP9"),
        ("buildings", 3, "compound_code"),
        "compound 'CP9' not found",
    ),
    (
        "negative-households",
        _set("buildings", 3, "households", -3),
        ("buildings", 3, "households"),
        "not a whole number",
    ),
    (
        "duplicate-building",
        _append("buildings", ["B1", "又一个1号楼", None, "M2", None, None, None, None]),
        ("buildings", 4, "code"),
        "duplicate code 'B1' (first in row 2)",
    ),
    ("unknown-role", _set("staff", 3, "role", "楼长"), ("staff", 3, "role"), "unknown role '楼长'"),
    (
        "steward-on-grid",
        _set("staff", 3, "node_code", "G1"),
        ("staff", 3, "node_code"),
        "steward cannot be posted at grid level",
    ),
    ("resident-post", _set("staff", 3, "role", "居民"), ("staff", 3, "role"), "residents do not hold posts"),
    (
        "department-staff-on-node",
        lambda s: (_set("staff", 4, "department_code", None)(s), _set("staff", 4, "node_code", "S1")(s)),
        ("staff", 4, "department_code"),
        "department staff must be posted to a department",
    ),
    ("node-and-department", _set("staff", 2, "department_code", "CG1"), ("staff", 2, "department_code"), "not both"),
    (
        "unknown-department",
        _set("staff", 4, "department_code", "CG9"),
        ("staff", 4, "department_code"),
        "department 'CG9' not found",
    ),
    ("bad-username", _set("staff", 3, "username", "li si"), ("staff", 3, "username"), "@"),
    ("bad-phone", _set("staff", 4, "phone", "没有"), ("staff", 4, "phone"), "not a phone number"),
    ("conflicting-name", _set("staff", 5, "name", "张叁"), ("staff", 5, "name"), "different name in row 2"),
    (
        "duplicate-post",
        _append("staff", ["lisi", "李四", None, "steward", "M1", None, None, None, None]),
        ("staff", 6, "username"),
        "duplicate post",
    ),
]


@pytest.mark.parametrize(("change", "expected", "reason"), [c[1:] for c in BAD_ROWS], ids=[c[0] for c in BAD_ROWS])
def test_each_bad_row_is_reported_exactly_and_nothing_is_written(tmp_path, change, expected, reason):
    sheets = base_sheets()
    change(sheets)
    errors = rejected(tmp_path, sheets, base_boundaries())
    assert where(errors) == [expected], errors
    assert reason in errors[0].reason


def test_every_problem_is_collected_in_one_rejection(tmp_path):
    sheets = base_sheets()
    for change in (
        _set("nodes", 3, "level", "大区"),
        _set("buildings", 2, "lat", 200),
        _set("staff", 3, "role", "楼长"),
        _set("departments", 2, "kind", "天文台"),
    ):
        change(sheets)
    errors = rejected(tmp_path, sheets)
    # S1's own row is wrong; what hangs under it is not reported again (no cascade of follow-on errors).
    assert where(errors) == [
        ("nodes", 3, "level"),
        ("departments", 2, "kind"),
        ("buildings", 2, "lat"),
        ("staff", 3, "role"),
    ]


def test_bad_geojson_geometry_and_unknown_codes(tmp_path):
    bowtie = {"type": "Polygon", "coordinates": [[[120, 30], [120.1, 30.1], [120.1, 30], [120, 30.1], [120, 30]]]}
    geo = base_boundaries()
    geo["features"][4]["geometry"] = {"type": "Point", "coordinates": [120.0, 30.0]}  # M1, feature 5
    geo["features"][5]["geometry"] = bowtie  # M2, feature 6
    geo["features"].append({"type": "Feature", "properties": {"code": "ZZ"}, "geometry": square(30, 120, 0.01)})
    geo["features"].append({"type": "Feature", "properties": {}, "geometry": square(30, 120, 0.01)})
    geo["features"].append({"type": "Feature", "properties": {"code": "G1"}, "geometry": square(30, 120, 0.1)})
    errors = rejected(tmp_path, boundaries=geo)
    assert where(errors) == [
        ("boundaries.geojson", 5, "M1"),
        ("boundaries.geojson", 6, "M2"),
        ("boundaries.geojson", 7, "ZZ"),
        ("boundaries.geojson", 8, None),
        ("boundaries.geojson", 9, "G1"),
    ]
    assert "expected a Polygon or MultiPolygon" in errors[0].reason
    assert "invalid polygon" in errors[1].reason
    assert "grid node 'ZZ' not found" in errors[2].reason
    assert "no properties.code" in errors[3].reason
    assert "duplicate code 'G1' (first in feature 4)" in errors[4].reason


def test_geojson_that_is_not_a_feature_collection(tmp_path):
    (error,) = rejected(tmp_path, boundaries={"type": "Polygon", "coordinates": []})
    assert where([error]) == [("boundaries.geojson", None, None)]
    assert "expected a GeoJSON FeatureCollection" in error.reason
    (tmp_path / "broken.geojson").write_text("{not json", encoding="utf-8")
    with pytest.raises(ImportRejected) as info:
        importers.import_grid(
            jurisdiction="xc",
            workbook=write_book(tmp_path / "grid.xlsx", base_sheets()),
            boundaries=tmp_path / "broken.geojson",
        )
    assert where(info.value.errors) == [("broken.geojson", None, None)]
    assert "invalid JSON" in info.value.errors[0].reason


def test_multipolygon_boundaries_are_accepted(tmp_path):
    geo = base_boundaries()
    geo["features"][0]["geometry"] = {
        "type": "MultiPolygon",
        "coordinates": [square(30.0, 120.0, 0.2)["coordinates"], square(31.0, 121.0, 0.1)["coordinates"]],
    }
    run(tmp_path, boundaries=geo)
    assert GridNode.objects.get(code="D1").boundary["type"] == "MultiPolygon"


# --- against what is already stored (built with factories) -------------------------------------------------------


@pytest.fixture
def stored_grid():
    """A jurisdiction built through the services: district D1 > street S1 > community C1 > grid G1 > M1."""
    j = JurisdictionFactory(code="xc", name="西城区")
    district = make_node(None, jurisdiction=j, code="D1", name="测试区")
    street = make_node(district, code="S1", name="东城街道")
    other_street = make_node(district, code="S2", name="西城街道")
    community = make_node(street, code="C1", name="幸福社区")
    make_node(other_street, code="C2", name="和平社区")
    grid = make_node(community, code="G1", name="第一网格")
    micro = make_node(grid, code="M1", name="老微网格", boundary=square(30.0, 120.0, 0.05))
    return {"j": j, "district": district, "community": community, "grid": grid, "micro": micro}


def test_parents_may_already_be_in_the_database(tmp_path, stored_grid):
    version = Jurisdiction.objects.get(code="xc").boundary_version
    sheets = {name: [HEADERS[name]] for name in HEADERS}
    sheets["nodes"] += [["M7", "新微网格", "微网格", "G1", None], ["G2", "第二网格", "网格", "C2", None]]
    sheets["buildings"] += [["B7", "7号楼", None, "M7", None, None, None, None]]
    sheets["staff"] += [["zhao", "赵六", None, "grid_worker", "G1", None, None, None, None]]
    result = run(tmp_path, sheets)
    assert result.counts["nodes"].created == 2
    m7 = GridNode.objects.get(code="M7")
    # After the stored sibling M1 (segment 0000), under G1's path.
    assert m7.parent == stored_grid["grid"]
    assert m7.path == stored_grid["grid"].path + "0001"
    assert GridNode.objects.get(code="G2").parent.code == "C2"
    assert Building.objects.get(code="B7").node == m7
    # Only nodes were added, no boundaries changed: the geo index version stays.
    assert Jurisdiction.objects.get(code="xc").boundary_version == version


def test_boundaries_alone_update_stored_nodes(tmp_path, stored_grid):
    version = Jurisdiction.objects.get(code="xc").boundary_version
    sheets = {name: [HEADERS[name]] for name in HEADERS}
    geo = feature_collection([("M1", square(30.0, 120.0, 0.04)), ("G1", square(30.0, 120.0, 0.1))])
    result = run(tmp_path, sheets, geo)
    assert result.counts["boundaries"].as_dict() == {"created": 1, "updated": 1, "unchanged": 0}
    assert result.counts["nodes"].as_dict() == {"created": 0, "updated": 0, "unchanged": 0}
    micro = GridNode.objects.get(code="M1")
    assert micro.boundary == square(30.0, 120.0, 0.04)
    assert micro.name == "老微网格"
    assert GridNode.objects.get(code="G1").centroid_lat is not None
    assert Jurisdiction.objects.get(code="xc").boundary_version == version + 1


def test_moving_a_node_to_another_parent_is_refused(tmp_path, stored_grid):
    sheets = {name: [HEADERS[name]] for name in HEADERS}
    sheets["nodes"] += [["C1", "幸福社区", "社区", "S2", None]]
    (error,) = rejected(tmp_path, sheets)
    assert where([error]) == [("nodes", 2, "parent_code")]
    assert "is under 'S1' in the database" in error.reason
    assert "does not move nodes" in error.reason


def test_changing_a_stored_nodes_level_is_refused(tmp_path, stored_grid):
    sheets = {name: [HEADERS[name]] for name in HEADERS}
    sheets["nodes"] += [["G1", "第一网格", "微网格", "G1", None]]
    errors = rejected(tmp_path, sheets)
    assert where(errors)[0] == ("nodes", 2, "level")
    assert "is a grid (网格) in the database" in errors[0].reason


def test_a_second_district_root_is_refused(tmp_path, stored_grid):
    sheets = {name: [HEADERS[name]] for name in HEADERS}
    sheets["nodes"] += [["D9", "别的区", "区", None, None]]
    (error,) = rejected(tmp_path, sheets)
    assert where([error]) == [("nodes", 2, "code")]
    assert "already has a district root 'D1'" in error.reason


def test_building_outside_its_compounds_node_is_refused(tmp_path, stored_grid):
    sheets = {name: [HEADERS[name]] for name in HEADERS}
    sheets["nodes"] += [["G2", "第二网格", "网格", "C1", None], ["M8", "微网格8", "微网格", "G2", None]]
    sheets["compounds"] += [["CP1", "幸福小区", "G1", None, None, None, None]]
    sheets["buildings"] += [["B8", "8号楼", "CP1", "M8", None, None, None, None]]
    (error,) = rejected(tmp_path, sheets)
    assert where([error]) == [("buildings", 2, "node_code")]
    assert "not inside compound 'CP1'" in error.reason


def test_existing_posts_and_users_are_updated_not_duplicated(tmp_path, stored_grid):
    existing = post(roles.GRID_WORKER, node=stored_grid["grid"], title="旧")
    existing.user.username = "zhangsan"
    existing.user.save()
    StaffPost.objects.filter(pk=existing.pk).update(active=False)
    sheets = {name: [HEADERS[name]] for name in HEADERS}
    sheets["staff"] += [["zhangsan", "张三", "138 0013 8000", "网格员", "G1", None, "网格员", None, None]]
    result = run(tmp_path, sheets)
    assert result.counts["users"].as_dict() == {"created": 0, "updated": 1, "unchanged": 0}
    assert result.counts["posts"].as_dict() == {"created": 0, "updated": 1, "unchanged": 0}
    existing.refresh_from_db()
    assert (existing.title, existing.active) == ("网格员", True)
    assert existing.user.display_name == "张三"
    assert existing.user.phone == "13800138000"
    assert existing.user.check_password("correct-horse-battery")  # the import never touches a stored password


# --- re-import -------------------------------------------------------------------------------------------------


def test_reimport_is_idempotent_and_applies_updates(tmp_path):
    run(tmp_path, boundaries=base_boundaries())
    after_first = snapshot()
    token = Building.objects.get(code="B1").public_token
    paths = dict(GridNode.objects.values_list("code", "path"))

    again = run(tmp_path, boundaries=base_boundaries())
    assert {k: v for k, v in snapshot().items() if k != "AuditEntry"} == {
        k: v for k, v in after_first.items() if k != "AuditEntry"
    }
    assert all(c.created == 0 and c.updated == 0 for c in again.counts.values())
    assert again.counts["nodes"].unchanged == 6
    assert again.counts["posts"].unchanged == 4
    assert not again.boundary_version_bumped
    assert Jurisdiction.objects.get(code="xc").boundary_version == 1

    sheets = base_sheets()
    _set("nodes", 6, "name", "第一微网格（改）")(sheets)
    _set("buildings", 2, "households", 50)(sheets)
    _set("staff", 3, "duty", "1号楼、2号楼")(sheets)
    _append("nodes", ["M3", "第三微网格", "微网格", "G1", 0])(sheets)
    geo = base_boundaries()
    geo["features"][5]["geometry"] = square(30.05, 120.0, 0.04)
    changed = run(tmp_path, sheets, geo)
    assert changed.counts["nodes"].as_dict() == {"created": 1, "updated": 1, "unchanged": 5}
    assert changed.counts["boundaries"].as_dict() == {"created": 0, "updated": 1, "unchanged": 5}
    assert changed.counts["buildings"].as_dict() == {"created": 0, "updated": 1, "unchanged": 1}
    assert changed.counts["posts"].as_dict() == {"created": 0, "updated": 1, "unchanged": 3}
    assert GridNode.objects.get(code="M1").name == "第一微网格（改）"
    assert GridNode.objects.get(code="M2").boundary == square(30.05, 120.0, 0.04)
    assert Building.objects.get(code="B1").households == 50
    assert Building.objects.get(code="B1").public_token == token, "printed QR codes must keep working"
    assert StaffPost.objects.get(user__username="lisi").duty == "1号楼、2号楼"
    # Stored nodes keep their paths; the new sibling goes after them.
    assert {c: p for c, p in GridNode.objects.values_list("code", "path") if c in paths} == paths
    assert GridNode.objects.get(code="M3").path == paths["G1"] + "0002"
    assert Jurisdiction.objects.get(code="xc").boundary_version == 2
    assert AuditEntry.objects.filter(action="grid.import").count() == 3


def test_a_rejected_reimport_leaves_the_stored_grid_untouched(tmp_path):
    run(tmp_path, boundaries=base_boundaries())
    sheets = base_sheets()
    _set("nodes", 3, "name", "改名街道")(sheets)
    _set("staff", 3, "role", "楼长")(sheets)
    rejected(tmp_path, sheets, base_boundaries())
    assert GridNode.objects.get(code="S1").name == "东城街道"


def test_writes_take_a_fixed_number_of_queries_whatever_the_size(tmp_path):
    def grid(buildings: int) -> dict[str, list[list[Any]]]:
        sheets = base_sheets()
        sheets["buildings"] = [HEADERS["buildings"]] + [
            [f"B{i}", f"{i}号楼", "CP1", "M1" if i % 2 else "M2", None, 30.02, 120.01, i] for i in range(buildings)
        ]
        return sheets

    with CaptureQueriesContext(connection) as small:
        run(tmp_path, grid(10), jurisdiction="small")
    with CaptureQueriesContext(connection) as large:
        run(tmp_path, grid(1200), jurisdiction="large")
    assert Building.objects.filter(jurisdiction__code="large").count() == 1200
    # 1,200 buildings are three insert batches instead of one; nothing is written row by row.
    assert len(large.captured_queries) <= len(small.captured_queries) + 2


# --- unreadable files -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("code,name,level\nD1,测试区,区\n".encode(), "not an Excel workbook (.xlsx)"),
        (b"PK\x03\x04 this zip is cut short", "damaged"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, "Excel 97-2003 (.xls)"),
    ],
    ids=["csv", "corrupt-zip", "xls"],
)
def test_a_file_that_is_not_a_workbook_gives_one_clear_error(tmp_path, content, reason):
    path = tmp_path / "grid.xlsx"
    path.write_bytes(content)
    before = snapshot()
    with pytest.raises(ImportRejected) as info:
        importers.import_grid(jurisdiction="xc", name="西城区", workbook=path)
    assert snapshot() == before
    (error,) = info.value.errors
    assert where([error]) == [("grid.xlsx", None, None)]
    assert reason in error.reason


def test_a_missing_sheet_or_column_is_named(tmp_path):
    sheets = base_sheets()
    del sheets["staff"]
    sheets["nodes"] = [[c for c in row if c != "parent_code"] for row in sheets["nodes"]]
    sheets["nodes"][0][3] = "parent"  # an unknown header
    errors = rejected(tmp_path, sheets)
    assert where(errors) == [("grid.xlsx", None, None), ("nodes", 1, "parent"), ("nodes", 1, "parent_code")]
    assert "missing sheet 'staff'" in errors[0].reason
    assert "unknown column 'parent'" in errors[1].reason
    assert "missing column parent_code" in errors[2].reason


def test_a_remarks_column_is_ignored(tmp_path):
    sheets = base_sheets()
    sheets["buildings"][0] = [*HEADERS["buildings"], "备注"]
    sheets["buildings"][1].append("东侧单元漏水待修")
    assert run(tmp_path, sheets).counts["buildings"].created == 2


def test_an_unknown_jurisdiction_without_a_name_or_district(tmp_path):
    sheets = {name: [HEADERS[name]] for name in HEADERS}
    (error,) = rejected(tmp_path, sheets, jurisdiction="nowhere")
    assert where([error]) == [("jurisdiction", None, None)]
    assert "give its name" in error.reason


def test_the_template_has_every_sheet_and_imports_empty(tmp_path):
    importers.write_template(tmp_path / "template.xlsx")
    book = openpyxl.load_workbook(tmp_path / "template.xlsx")
    assert_no_formulas((tmp_path / "template.xlsx").read_bytes())  # written through core.excel
    assert book["nodes"].freeze_panes == "A2" and book["nodes"]["A1"].font.b
    assert book.sheetnames == ["说明", "nodes", "departments", "compounds", "buildings", "staff"]
    for name, headers in HEADERS.items():
        assert [c.value for c in book[name][1]] == headers
        assert book[name].max_row == 1
    result = importers.import_grid(jurisdiction="empty", name="空区", workbook=tmp_path / "template.xlsx")
    assert all(c.created == c.updated == 0 for c in result.counts.values())


# --- the command ----------------------------------------------------------------------------------------------------


def test_command_prints_counts(tmp_path, capsys):
    book = write_book(tmp_path / "grid.xlsx", base_sheets())
    geo = write_json(tmp_path / "b.geojson", base_boundaries())
    call_command(
        "import_grid",
        "--jurisdiction",
        "xc",
        "--name",
        "西城区",
        "--workbook",
        str(book),
        "--boundaries",
        str(geo),
        "--dry-run",
    )
    out = capsys.readouterr().out
    assert "Jurisdiction xc (would be created)" in out
    assert "Dry run: nothing was written." in out
    assert not Jurisdiction.objects.exists()

    call_command("import_grid", "--jurisdiction", "xc", "--workbook", str(book), "--boundaries", str(geo))
    out = capsys.readouterr().out
    assert "nodes             6 created       0 updated       0 unchanged" in out
    assert "posts             4 created" in out
    assert "Import complete." in out


def test_command_lists_every_error_and_fails(tmp_path, capsys):
    sheets = base_sheets()
    _set("nodes", 3, "level", "大区")(sheets)
    _set("staff", 3, "role", "楼长")(sheets)
    book = write_book(tmp_path / "grid.xlsx", sheets)
    with pytest.raises(CommandError) as info:
        call_command("import_grid", "--jurisdiction", "xc", "--workbook", str(book))
    assert info.value.returncode == 1
    assert "2 problem(s) found; nothing was imported." in str(info.value)
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("nodes row 3 column level: unknown level '大区'")
    assert lines[1].startswith("staff row 3 column role: unknown role '楼长'")


def _gongzhi(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GONGZHI_DATA_DIR": str(tmp_path / "var")}
    return subprocess.run(
        [sys.executable, "-m", "gongzhi", *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


def test_command_exit_status_and_template_from_the_shell(tmp_path):
    out = tmp_path / "template.xlsx"
    done = _gongzhi(tmp_path, "import_grid", "--template", str(out))
    assert done.returncode == 0, done.stderr
    assert openpyxl.load_workbook(out).sheetnames[0] == "说明"

    bad = tmp_path / "grid.xlsx"
    bad.write_bytes(b"not a workbook")
    done = _gongzhi(tmp_path, "import_grid", "--jurisdiction", "xc", "--workbook", str(bad))
    assert done.returncode == 1
    assert "grid.xlsx: not an Excel workbook (.xlsx)" in done.stderr
    assert "1 problem(s) found; nothing was imported." in done.stderr


def test_base_fixture_is_not_shared_between_tests():
    # The bad-row cases mutate copies; make sure base_sheets() really builds a new one each time.
    first = base_sheets()
    first["nodes"][1][1] = "changed"
    assert base_sheets()["nodes"][1][1] == "测试区"
    assert copy.deepcopy(base_sheets()) == base_sheets()
