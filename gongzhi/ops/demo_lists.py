"""The demo district's lists (一台账三清单): every community gets needs, resources and projects in the practice's
proportions — about 20–35 needs, 30–50 resources and 100–150 projects — with statuses spread as a community that has
kept its lists for a year would have them (most needs served, some matched, some waiting, a few closed).

Written with bulk inserts (a few hundred milliseconds for the demo's 17 communities) and idempotent: a community that
has needs already is left as it is. The rows are consistent with what the services would write: every need has its
history (recorded → matched → served, or closed with a reason), and each matched or served need is answered by a
project of its community whose status explains it.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction

from gongzhi.core import timeutil
from gongzhi.grid import roles
from gongzhi.grid.models import Building, Compound, GridNode, Jurisdiction
from gongzhi.lists import transitions as t
from gongzhi.lists.models import Need, NeedEvent, Project, Resource

# (category, need titles, project names) — what residents ask for and what answers it.
CATALOGUE = {
    "elderly": (
        ("老人助餐", "独居老人定期探访", "老旧楼栋加装电梯", "日间照料", "老年人智能手机使用"),
        ("长者食堂助餐", "银龄探访", "助浴上门", "日间照料中心托老", "智能手机课堂", "适老化改造评估"),
    ),
    "children": (
        ("放学后托管", "暑期看护", "儿童游乐设施", "亲子阅读"),
        ("四点半课堂", "暑期托管班", "亲子绘本阅读会", "儿童安全教育"),
    ),
    "health": (
        ("家庭医生签约", "慢病随访", "免费体检", "心理疏导"),
        ("家庭医生上门", "慢病健康管理", "中医义诊", "心理咨询热线", "老年人免费体检"),
    ),
    "disability": (("残疾人康复训练", "无障碍通道改造"), ("康复训练指导", "辅具租借", "无障碍出行陪护")),
    "employment": (
        ("灵活就业岗位信息", "退休再就业", "技能培训"),
        ("家政技能培训", "招聘对接会", "电商直播培训", "创业指导"),
    ),
    "housekeeping": (
        ("家电维修", "管道疏通", "上门保洁"),
        ("便民维修", "家电清洗", "上门保洁", "磨刀修伞", "开锁换锁"),
    ),
    "culture": (
        ("广场舞场地", "老年大学课程", "社区书屋"),
        ("书法课", "合唱团", "太极拳晨练", "社区电影放映", "乒乓球室开放"),
    ),
    "legal": (("法律咨询", "邻里纠纷调解"), ("律师坐班咨询", "人民调解", "普法讲座")),
    "environment": (("垃圾分类指导", "楼道绿化"), ("垃圾分类督导", "楼道美化", "旧衣回收")),
    "other": (("快递代收", "政策咨询"), ("快递代收代寄", "政策咨询", "代办服务")),
}
RESOURCES = {
    "organisation": ("街道办事处", "派出所", "税务所", "市场监管所"),
    "stationed_unit": ("区供电公司", "区人民医院", "第十二中学", "区图书馆", "邮政支局", "区消防救援站"),
    "merchant": ("幸福食堂", "便民超市", "家电维修部", "理发店", "洗衣店", "快递驿站", "药店", "五金店"),
    "clinic": ("社区卫生服务站", "中医诊所", "口腔门诊"),
    "elderly_care": ("日间照料中心", "居家养老服务中心", "护理站"),
    "social_org": ("乐龄社工站", "青少年成长中心", "心理健康协会", "邻里互助会"),
    "volunteer_team": ("红马甲志愿服务队", "党员先锋队", "巾帼志愿队", "青年志愿队", "银发志愿队"),
}
HOURS = ("每天 8:00–20:00", "周一至周五 9:00–17:00", "周二、周四 14:00–17:00", "每天 11:00–13:00、17:00–19:00")
SCHEDULES = ("每周二上午", "每月第一个周六", "工作日每天", "预约上门", "每周三、周五下午", "寒暑假期间")
ELIGIBILITY = ("本社区居民", "60 岁以上老人", "辖区内 6–12 岁儿童及家长", "残疾人及其家属", "低保、特困家庭", "")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙"
NEED_SPREAD = ((t.SERVED, 50), (t.MATCHED, 20), (t.COLLECTED, 17), (t.CLOSED, 13))
PROJECT_SPREAD = (("active", 60), ("ended", 25), ("planned", 15))


def _pick(rng: random.Random, spread: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([s for s, _w in spread], weights=[w for _s, w in spread])[0]


def build(jurisdiction: Jurisdiction, *, seed: int = 2026) -> dict[str, int]:
    """Fill the lists of every community of ``jurisdiction`` that has none yet; returns the rows added."""
    rng = random.Random(seed)
    now = timeutil.now()
    communities = list(GridNode.objects.filter(jurisdiction=jurisdiction, level=roles.COMMUNITY).order_by("path"))
    done = set(Need.objects.filter(node__in=communities).values_list("node_id", flat=True))
    compounds: dict[str, list[Compound]] = {}
    for compound in Compound.objects.filter(jurisdiction=jurisdiction).select_related("node"):
        compounds.setdefault(compound.node.path[:12], []).append(compound)
    points: dict[str, list[tuple[float, float]]] = {}
    for path, lat, lon in Building.objects.filter(jurisdiction=jurisdiction, lat__isnull=False).values_list(
        "node__path", "lat", "lon"
    ):
        points.setdefault(path[:12], []).append((lat, lon))
    added = {"needs": 0, "resources": 0, "projects": 0}
    with transaction.atomic():
        for community in communities:
            if community.pk in done:
                continue
            n = _community(rng, community, compounds.get(community.path, []), points.get(community.path, []), now)
            for key, value in n.items():
                added[key] += value
    return added


def _community(
    rng: random.Random, node: GridNode, compounds: list[Compound], points: list[tuple[float, float]], at: datetime
) -> dict[str, int]:
    resources = []
    for _ in range(rng.randint(30, 50)):
        kind = rng.choice(list(RESOURCES))
        name = rng.choice(RESOURCES[kind])
        signed = (at - timedelta(days=rng.randint(30, 700))).date() if rng.random() < 0.6 else None
        resources.append(
            Resource(
                node=node,
                name=f"{node.name}{name}" if kind != "organisation" else name,
                kind=kind,
                offer=rng.choice(["上门服务、咨询", "场地开放", "志愿服务", "优惠价格服务", "义诊与讲座"]),
                phone=f"028-{rng.randint(8000_0000, 8999_9999)}",
                contact_name=rng.choice(SURNAMES) + rng.choice(["老师", "经理", "主任", "医生", "队长"]),
                contact_phone=f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(1000_0000, 9999_9999)}",
                lat=point[0] if (point := rng.choice(points) if points else None) else None,
                lon=point[1] if point else None,
                hours=rng.choice(HOURS),
                agreement_signed=signed,
                agreement_expires=signed + timedelta(days=730) if signed else None,
                agreement_text="共驻共建协议：定期为社区居民提供服务，费用按约定优惠。" if signed else "",
                created_at=at,
            )
        )
    Resource.objects.bulk_create(resources)
    resources = list(Resource.objects.filter(node=node).order_by("pk"))

    projects = []
    for _ in range(rng.randint(100, 150)):
        category = rng.choice(list(CATALOGUE))
        status = _pick(rng, PROJECT_SPREAD)
        price = Decimal("0") if rng.random() < 0.55 else Decimal(rng.choice([5, 8, 10, 15, 20, 30, 50]))
        delivery = rng.choice(["station", "station", "market", "door", "online", "other"])
        projects.append(
            Project(
                node=node,
                name=rng.choice(CATALOGUE[category][1]),
                category=category,
                provider=rng.choice(resources),
                description="",
                price=price,
                eligibility=rng.choice(ELIGIBILITY),
                schedule=rng.choice(SCHEDULES),
                delivery=delivery,
                place={"station": "社区党群服务驿站", "market": "便民集市", "other": "社区广场"}.get(delivery, ""),
                status=status,
                created_at=at,
            )
        )
    Project.objects.bulk_create(projects)
    projects = list(Project.objects.filter(node=node).order_by("pk"))
    delivering = [p for p in projects if p.status in ("active", "ended")]
    planned = [p for p in projects if p.status == "planned"] or delivering

    needs, plan = [], []
    for _ in range(rng.randint(20, 35)):
        category = rng.choice(list(CATALOGUE))
        status = _pick(rng, NEED_SPREAD)
        created = at - timedelta(days=rng.randint(20, 360), minutes=rng.randint(0, 600))
        needs.append(
            Need(
                node=node,
                compound=rng.choice(compounds) if compounds and rng.random() < 0.5 else None,
                title=rng.choice(CATALOGUE[category][0]),
                category=category,
                source=rng.choice(["survey", "survey", "visit", "visit", "case", "meeting", "other"]),
                households=rng.choice([3, 5, 8, 12, 20, 36, 60, 120]),
                status=status,
                created_at=created,
                updated_at=created,
            )
        )
        plan.append((status, rng.random() < 0.5))
    Need.objects.bulk_create(needs)
    needs = list(Need.objects.filter(node=node).order_by("pk"))

    events, links = [], []
    link = Project.needs.through
    for need, (status, was_served) in zip(needs, plan, strict=True):
        day = need.created_at
        steps: list[tuple[str, str, str, str]] = [(t.CREATE, "", t.COLLECTED, "")]
        if status in (t.MATCHED, t.SERVED) or (status == t.CLOSED and was_served):
            steps.append((t.MATCH, t.COLLECTED, t.MATCHED, ""))
        if status == t.SERVED or (status == t.CLOSED and was_served):
            steps.append((t.SERVE, t.MATCHED, t.SERVED, ""))
        if status == t.CLOSED:
            steps.append((t.CLOSE, steps[-1][2], t.CLOSED, "已解决" if was_served else "居民已自行解决"))
        if len(steps) > 1 and steps[1][0] == t.MATCH:
            project = rng.choice(delivering if t.SERVE in [s[0] for s in steps] else planned)
            links.append(link(project_id=project.pk, need_id=need.pk))
        for i, (action, before, after, note) in enumerate(steps):
            when = day + timedelta(days=7 * i)
            note = note or (project.name if action in (t.MATCH, t.SERVE) else "")
            events.append(NeedEvent(need=need, action=action, from_status=before, to_status=after, note=note, at=when))
    NeedEvent.objects.bulk_create(events)
    link.objects.bulk_create(links)
    return {"needs": len(needs), "resources": len(resources), "projects": len(projects)}
