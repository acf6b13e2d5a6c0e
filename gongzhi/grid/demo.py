"""Write the demo district (``demo_layout``) into the database, idempotently.

Every row has a natural key (node/compound/building/department code, username); a second run creates only what is
missing and never duplicates. Users share one password hash (hashing ~1,200 passwords would take minutes).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from gongzhi.core import audit
from gongzhi.grid import geo, roles, services
from gongzhi.grid.choices import DepartmentKind
from gongzhi.grid.demo_layout import SEED, build_housing, build_layout
from gongzhi.grid.models import Building, Compound, Department, GridNode, Jurisdiction, StaffPost

DEMO_CODE = "demo"
DEMO_NAME = "共治示范区"

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红建国志文辉鹏俊海燕晓东雪梅春林波宇浩然欣怡子涵"

# (code, name, kind, per_street): per_street departments get one unit per street, serving that street.
DEPARTMENTS: tuple[tuple[str, str, str, bool], ...] = (
    ("CG", "区综合行政执法局（城管）", DepartmentKind.CITY_MANAGEMENT, False),
    ("CGZD", "城管执法中队", DepartmentKind.CITY_MANAGEMENT, True),
    ("ZJ", "区住房和城乡建设局", DepartmentKind.HOUSING, False),
    ("GD", "国网供电公司区供电中心", DepartmentKind.POWER, False),
    ("GS", "区自来水公司", DepartmentKind.WATER, False),
    ("RQ", "区燃气公司", DepartmentKind.GAS, False),
    ("HB", "市生态环境局区分局", DepartmentKind.ENVIRONMENT, False),
    ("PCS", "公安派出所", DepartmentKind.POLICE, True),
    ("MZ", "区民政局", DepartmentKind.CIVIL_AFFAIRS, False),
    ("JT", "区交通运输局", DepartmentKind.TRANSPORT, False),
    ("SJ", "区市场监督管理局", DepartmentKind.MARKET, False),
    ("WJ", "区卫生健康局", DepartmentKind.HEALTH, False),
    ("YJ", "区应急管理局", DepartmentKind.EMERGENCY, False),
    ("WY1", "安居物业服务有限公司", DepartmentKind.PROPERTY, False),
    ("WY2", "锦城物业管理有限公司", DepartmentKind.PROPERTY, False),
    ("WY3", "恒美物业服务有限公司", DepartmentKind.PROPERTY, False),
)


@dataclass
class DemoResult:
    jurisdiction: Jurisdiction
    created: dict[str, int] = field(default_factory=dict)
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (username, role label, where)


def _person_name(rng: random.Random) -> str:
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def _work_phone(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}"


@transaction.atomic
def build_demo(*, password: str, seed: int = SEED) -> DemoResult:
    jurisdiction, _created = Jurisdiction.objects.get_or_create(code=DEMO_CODE, defaults={"name": DEMO_NAME})
    result = DemoResult(jurisdiction=jurisdiction)
    layout = build_layout(seed)
    nodes = _write_nodes(jurisdiction, layout, result)
    departments = _write_departments(jurisdiction, nodes, result)
    _write_housing(jurisdiction, layout, nodes, departments, seed, result)
    _write_staff(jurisdiction, layout, nodes, departments, password, seed, result)
    if result.created.get("nodes"):
        services.bump_boundary_version(jurisdiction=jurisdiction)
    audit.record(actor=None, action="demo.build", target=jurisdiction.code, data=result.created)
    return result


def _write_nodes(jurisdiction: Jurisdiction, layout: list[Any], result: DemoResult) -> dict[str, GridNode]:
    existing = {n.code: n for n in GridNode.objects.filter(jurisdiction=jurisdiction)}
    by_code: dict[str, GridNode] = dict(existing)
    next_child: dict[str | None, int] = {}
    for node in existing.values():
        key = node.parent.code if node.parent_id else None
        next_child[key] = max(next_child.get(key, 0), int(node.path[-4:], 36) + 1)
    created = 0
    for level in roles.LEVELS:  # one bulk insert per level: parents exist before their children
        batch = []
        for item in layout:
            if item.level != level or item.code in by_code:
                continue
            parent = by_code[item.parent_code] if item.parent_code else None
            index = next_child.get(item.parent_code, 0)
            next_child[item.parent_code] = index + 1
            boundary = geo.to_geojson(item.geometry)
            lat, lon = geo.centroid(boundary)
            batch.append(
                GridNode(
                    jurisdiction=jurisdiction,
                    parent=parent,
                    level=level,
                    code=item.code,
                    name=item.name,
                    path=(parent.path if parent else "") + services.path_segment(index),
                    boundary=boundary,
                    centroid_lat=lat,
                    centroid_lon=lon,
                    sort_order=item.order,
                )
            )
        GridNode.objects.bulk_create(batch)
        created += len(batch)
        if batch:
            for node in GridNode.objects.filter(jurisdiction=jurisdiction, level=level):
                by_code[node.code] = node
    result.created["nodes"] = created
    return by_code


def _write_departments(
    jurisdiction: Jurisdiction, nodes: dict[str, GridNode], result: DemoResult
) -> dict[str, Department]:
    streets = sorted((n for n in nodes.values() if n.level == roles.STREET), key=lambda n: n.code)
    wanted: list[Department] = []
    rng = random.Random(SEED + 7)
    for code, name, kind, per_street in DEPARTMENTS:
        if per_street:
            for street in streets:
                wanted.append(
                    Department(
                        jurisdiction=jurisdiction,
                        code=f"{code}-{street.code}",
                        name=f"{street.name}{name}",
                        kind=kind,
                        service_area=street,
                        phone=f"0{rng.randint(2800000, 2899999)}",
                    )
                )
        else:
            wanted.append(
                Department(
                    jurisdiction=jurisdiction,
                    code=code,
                    name=name,
                    kind=kind,
                    phone=f"0{rng.randint(2800000, 2899999)}",
                )
            )
    existing = set(Department.objects.filter(jurisdiction=jurisdiction).values_list("code", flat=True))
    batch = [d for d in wanted if d.code not in existing]
    Department.objects.bulk_create(batch)
    result.created["departments"] = len(batch)
    return {d.code: d for d in Department.objects.filter(jurisdiction=jurisdiction)}


def _write_housing(
    jurisdiction: Jurisdiction,
    layout: list[Any],
    nodes: dict[str, GridNode],
    departments: dict[str, Department],
    seed: int,
    result: DemoResult,
) -> None:
    compounds, buildings = build_housing(layout, seed)
    property_companies = [d for d in departments.values() if d.kind == DepartmentKind.PROPERTY]
    existing = set(Compound.objects.filter(jurisdiction=jurisdiction).values_list("code", flat=True))
    new_compounds = [
        Compound(
            jurisdiction=jurisdiction,
            node=nodes[c.node_code],
            code=c.code,
            name=c.name,
            lat=c.lat,
            lon=c.lon,
            address=f"{nodes[c.node_code].parent.name}{c.name}",
            property_company=property_companies[i % len(property_companies)],
        )
        for i, c in enumerate(compounds)
        if c.code not in existing
    ]
    Compound.objects.bulk_create(new_compounds)
    compound_ids = dict(Compound.objects.filter(jurisdiction=jurisdiction).values_list("code", "pk"))
    existing = set(Building.objects.filter(jurisdiction=jurisdiction).values_list("code", flat=True))
    new_buildings = [
        Building(
            jurisdiction=jurisdiction,
            compound_id=compound_ids.get(b.compound_code or ""),
            node=nodes[b.node_code],
            code=b.code,
            name=b.name,
            lat=b.lat,
            lon=b.lon,
            households=b.households,
            address=b.name,
            public_token=_token_for(b.code, seed),
        )
        for b in buildings
        if b.code not in existing
    ]
    Building.objects.bulk_create(new_buildings)
    result.created["compounds"] = len(new_compounds)
    result.created["buildings"] = len(new_buildings)


def _token_for(code: str, seed: int) -> str:
    """Demo tokens derive from the building code (the demo is public anyway) so printed demo posters survive a rebuild.

    Real buildings get random tokens (``models.new_public_token``).
    """
    import hashlib

    return hashlib.blake2b(f"{seed}:{code}".encode(), digest_size=12).hexdigest()[:16]


def _write_staff(
    jurisdiction: Jurisdiction,
    layout: list[Any],
    nodes: dict[str, GridNode],
    departments: dict[str, Department],
    password: str,
    seed: int,
    result: DemoResult,
) -> None:
    rng = random.Random(seed + 3)
    district = nodes["DEMO"]
    by_level: dict[str, list[GridNode]] = {level: [] for level in roles.LEVELS}
    for item in layout:
        by_level[item.level].append(nodes[item.code])

    # (username, role, node, department, title, duty)
    plan: list[tuple[str, str, GridNode | None, Department | None, str, str]] = [
        ("admin", roles.ADMIN, district, None, "系统管理员", "平台配置与账号管理"),
        ("zhihui", roles.COMMAND_CENTRE, district, None, "智慧治理中心值班员", "全区诉求受理、派单与督办"),
        ("leader", roles.LEADER, district, None, "区领导", "联系社区，督办重点难点问题"),
    ]
    for i, street in enumerate(by_level[roles.STREET], start=1):
        plan.append(
            (f"jd{i:02d}", roles.STREET_STAFF, street, None, "街道综治中心主任", f"{street.name}统筹调度、吹哨报到")
        )
    for i, community in enumerate(by_level[roles.COMMUNITY], start=1):
        plan.append(
            (f"sq{i:02d}", roles.COMMUNITY_STAFF, community, None, "社区书记", f"{community.name}诉求梳理与派单")
        )
    for i, grid in enumerate(by_level[roles.GRID], start=1):
        plan.append((f"wg{i:03d}", roles.GRID_WORKER, grid, None, "专职网格员", "巡查走访、上报处置"))
    for i, micro in enumerate(by_level[roles.MICRO_GRID], start=1):
        plan.append((f"gj{i:04d}", roles.STEWARD, micro, None, "微网格长（小管家）", "楼栋联系、接单办理"))
    for i, department in enumerate(sorted(departments.values(), key=lambda d: d.code), start=1):
        plan.append((f"bm{i:02d}", roles.DEPARTMENT_STAFF, None, department, "工作人员", f"{department.name}承办"))
    # Part-time stewards (兼职小管家: couriers, riders, students) on a few micro-grids: they report, handle no case.
    for i, micro in enumerate(by_level[roles.MICRO_GRID][::60], start=1):
        plan.append((f"jz{i:03d}", roles.PATROL, micro, None, "兼职小管家（快递员）", "巡查发现、随手拍上报"))

    User = get_user_model()
    existing_users = {u.username: u for u in User.objects.filter(username__in=[p[0] for p in plan])}
    hashed = make_password(password)
    new_users = []
    names: dict[str, str] = {}
    for username, role, *_rest in plan:
        names[username] = _person_name(rng)
        if username not in existing_users:
            user = User(
                username=username,
                display_name=names[username],
                password=hashed,
                is_staff=role == roles.ADMIN,
                is_superuser=role == roles.ADMIN,
            )
            new_users.append(user)
    User.objects.bulk_create(new_users)
    users = {u.username: u for u in User.objects.filter(username__in=[p[0] for p in plan])}

    have = set(StaffPost.objects.filter(jurisdiction=jurisdiction).values_list("user__username", "role"))
    posts = []
    for username, role, node, department, title, duty in plan:
        if (username, role) in have:
            continue
        problem = roles.post_placement_error(role, level=node.level if node else None, on_department=bool(department))
        assert problem is None, problem
        posts.append(
            StaffPost(
                user=users[username],
                jurisdiction=jurisdiction,
                role=role,
                node=node,
                department=department,
                title=title,
                duty=duty,
                public_phone=_work_phone(rng),
            )
        )
    StaffPost.objects.bulk_create(posts)
    result.created["users"] = len(new_users)
    result.created["posts"] = len(posts)

    def where(node: GridNode | None, department: Department | None) -> str:
        return node.name if node else (department.name if department else "")

    shown = {"admin", "zhihui", "leader", "jd01", "sq01", "wg001", "gj0001", "jz001", "bm01"}
    result.logins = [
        (username, role, where(node, department))
        for username, role, node, department, _t, _d in plan
        if username in shown
    ]
