"""The demo district's people of the grid (``gongzhi.volunteers``): stewards at every stage, volunteers and party
members reporting in, teams and activities, the party structure, compound heads, the demo leader's contact points and
one month of assessments — so that the console's people pages, the resident pages and the command centre's panel have
rows from the first login.

- in the first community: steward applications submitted (one a student's for a part-time post), one half-vetted
  (the community said yes), one approved waiting for appointment, one rejected by the street (reasons kept);
  stewards appointed two months ago with training records and commitments, two part-time stewards (a courier and a
  student), one steward who stepped down last week; the stewards recorded what they saw last month (cases filed
  through ``cases.services.submit`` with ``recorded_by``), one is also a volunteer with approved hours;
- volunteers (some party members in service, with their work unit) reporting in (pending and approved), a team;
- a past activity with check-in, check-out and hours approved (one volunteer's across midnight), an upcoming one
  full with a waiting list, and one with places left;
- the four-level party structure in two communities: committee → a branch per compound → a group per building →
  a demonstration household (the first two compounds, two buildings each);
- the three heads (一院三长) of the first compounds;
- the demo leader's contact points this year (a street, a community, an enterprise) with problems taken on — cases
  of the place, the resolved ones marked solved by ``ops.assessment.refresh_taken_on``;
- the previous month assessed by ``ops.assessment.assess``.

Everything goes through ``volunteers.services`` (with ``at=`` in the past). Idempotent: a jurisdiction with steward
applications already is left as it is. The phones are made up (139 8xxx xxxx); nothing is texted.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction

from gongzhi.cases import services as case_services
from gongzhi.cases.choices import Channel, Status
from gongzhi.cases.models import Case, CaseCategory
from gongzhi.core import timeutil
from gongzhi.grid import roles
from gongzhi.grid.models import Building, Compound, GridNode, Jurisdiction, StaffPost
from gongzhi.notifications import services as notifications
from gongzhi.ops import assessment
from gongzhi.volunteers import services
from gongzhi.volunteers.choices import ContactKind, HeadTitle, PartyLevel, StewardKind
from gongzhi.volunteers.models import Application, Steward, Volunteer

REPORTS = (
    ("楼道堆放杂物影响通行", "3单元一楼楼道堆满纸箱和旧家具，老人出入不便。"),
    ("路灯不亮", "小区东门到5号楼的两盏路灯一周没亮，晚上很黑。"),
    ("垃圾桶满溢", "2号楼旁的垃圾桶满了没人清运，有异味。"),
    ("电动车楼道充电", "有住户把电动车推进楼道充电，存在消防隐患。"),
    ("井盖松动", "小区主干道上的井盖松动，车辆经过响声很大。"),
)
NAMES = ("刘红梅", "张建国", "王淑芬", "李志强", "陈秀兰", "赵国庆", "孙丽华", "周文斌", "吴桂英", "郑晓东")


def _staff(jurisdiction: Jurisdiction, node: GridNode | None, role: str) -> Any:
    rows = StaffPost.objects.filter(jurisdiction=jurisdiction, active=True, role=role).select_related("user")
    if node is not None:
        rows = rows.filter(node=node)
    post = rows.order_by("pk").first()
    return post.user if post is not None else None


class _People:
    def __init__(self, jurisdiction: Jurisdiction, now: datetime) -> None:
        self.jurisdiction, self.now = jurisdiction, now
        self.numbers = itertools.count(1)
        self.added = dict.fromkeys(
            (
                "applications",
                "stewards",
                "trainings",
                "volunteers",
                "report-ins",
                "activities",
                "sign-ups",
                "hours",
                "party units",
                "heads",
                "contact points",
                "problems taken on",
                "steward reports",
                "assessments",
            ),
            0,
        )

    def phone(self) -> str:
        return f"1398{next(self.numbers):07d}"

    def ago(self, days: float) -> datetime:
        return self.now - timedelta(days=days)

    def application(self, node: GridNode, name: str, *, days: float, **kw: Any) -> Application:
        self.added["applications"] += 1
        return services.apply(
            node=node,
            name=name,
            phone=kw.pop("phone", None) or self.phone(),
            why=kw.pop("why", "在小区住了二十年，想为邻居们做点实事"),
            availability=kw.pop("availability", "工作日白天、周末上午"),
            at=self.ago(days),
            **kw,
        )


def build(jurisdiction: Jurisdiction, *, now: datetime | None = None) -> dict[str, int]:
    """The people of the grid in the first two communities of ``jurisdiction`` (nothing when it has steward
    applications already); returns the rows added."""
    if Application.objects.filter(jurisdiction=jurisdiction).exists():
        return {}
    now = now or timeutil.now()
    communities = list(GridNode.objects.filter(jurisdiction=jurisdiction, level=roles.COMMUNITY).order_by("path")[:2])
    if not communities:
        return {}
    p = _People(jurisdiction, now)
    with transaction.atomic():
        first = communities[0]
        staff = _staff(jurisdiction, first, roles.COMMUNITY_STAFF)
        street_staff = _staff(jurisdiction, first.parent, roles.STREET_STAFF)
        micro_grids = list(
            GridNode.objects.filter(
                jurisdiction=jurisdiction, path__startswith=first.path, level=roles.MICRO_GRID
            ).order_by("path")[:6]
        )
        if staff is not None and street_staff is not None and len(micro_grids) >= 3:
            stewards = _stewards(p, staff, street_staff, micro_grids)
            volunteers = _volunteers(p, staff, first, communities, stewards)
            _activities(p, staff, first, volunteers)
        for community in communities:
            community_staff = _staff(jurisdiction, community, roles.COMMUNITY_STAFF)
            if community_staff is not None:
                _party(p, community_staff, community)
                _heads(p, community_staff, community)
        _contact_points(p, first)
        first_day, last_day = assessment.previous_month(timeutil.local(now).date())
        root = GridNode.objects.filter(jurisdiction=jurisdiction, parent__isnull=True).first()
        if root is not None:
            p.added["assessments"] = len(assessment.assess(root, first_day=first_day, last_day=last_day))
    return {k: v for k, v in p.added.items() if v}


def _stewards(p: _People, staff: Any, street_staff: Any, grids: list[GridNode]) -> list[Steward]:
    def vet(application: Application, *, community: bool | None, street: bool | None, days: float) -> None:
        if community is not None:
            services.vet(
                application=application,
                actor=staff,
                level=roles.COMMUNITY,
                approved=community,
                reason="熟悉小区情况，邻里口碑好" if community else "近期无法保证服务时间",
                at=p.ago(days),
            )
        if street is not None:
            services.vet(
                application=application,
                actor=street_staff,
                level=roles.STREET,
                approved=street,
                reason="同意" if street else "已在另一网格担任楼栋长，不宜兼任",
                at=p.ago(days - 1),
            )

    # Waiting: two submitted, one half-vetted, one approved, one rejected.
    p.application(grids[0], "钱立新", days=2, occupation="retired", party_member=True)
    p.application(
        grids[1], "林小雨", days=1, occupation="student", kind=StewardKind.PART_TIME, availability="周末、寒暑假"
    )
    vet(p.application(grids[2], "何美玲", days=6, occupation="resident"), community=True, street=None, days=4)
    vet(p.application(grids[0], "马德胜", days=9, occupation="retired"), community=True, street=True, days=6)
    vet(p.application(grids[1], "冯建平", days=12, occupation="resident"), community=True, street=False, days=9)

    appointed: list[Steward] = []
    plan = [
        (grids[0], NAMES[0], "retired", StewardKind.STEWARD, 4, 4),
        (grids[1], NAMES[1], "retired", StewardKind.STEWARD, 4, 0),
        (grids[2], NAMES[2], "resident", StewardKind.STEWARD, 6, 0),
        (grids[min(3, len(grids) - 1)], NAMES[3], "property_staff", StewardKind.STEWARD, 4, 2),
        (grids[0], NAMES[4], "courier", StewardKind.PART_TIME, 0, 0),
        (grids[1], NAMES[5], "student", StewardKind.PART_TIME, 0, 0),
        (grids[2], NAMES[6], "retired", StewardKind.STEWARD, 4, 0),  # steps down last week
    ]
    for n, (grid, name, occupation, kind, visits, hours) in enumerate(plan):
        application = p.application(grid, name, days=75, occupation=occupation, kind=kind, party_member=n % 2 == 0)
        vet(application, community=True, street=True, days=72)
        steward = services.appoint(
            application=application,
            actor=staff,
            username=f"demo-steward-{n + 1:02d}",
            public_phone=f"028-8{n + 1:03d}0000",
            visits_per_month=visits,
            hours_per_month=hours,
            station_duty="每周三上午小区管家服务点值班" if kind == StewardKind.STEWARD else "",
            at=p.ago(65),
        )
        p.added["stewards"] += 1
        for days, topic in ((60, "红色小管家岗前培训：政策与服务规范"), (30, "入户走访与诉求上报实务")):
            if kind == StewardKind.STEWARD or days == 60:
                services.record_training(
                    steward=steward, actor=staff, day=timeutil.local(p.ago(days)).date(), topic=topic, hours=2
                )
                p.added["trainings"] += 1
        appointed.append(steward)
    services.step_down(steward=appointed[-1], actor=staff, reason="随子女异地居住", at=p.ago(7))

    # Last month's handling is history, not news: its inbox rows are written read (and simulated), no text leaves.
    moment = [p.now]
    with notifications.simulation(clock=lambda: moment[0]):
        _reports(p, staff, street_staff, appointed[:-1], moment)
    return appointed


def _reports(p: _People, staff: Any, street_staff: Any, stewards: list[Steward], moment: list[datetime]) -> None:
    """What the stewards saw last month, filed as cases they recorded (主动发现), each handled to the end through the
    case services: a steward's first one solved on the spot, the others triaged by the street, dispatched to the
    micro-grid's steward (a part-time steward's to the steward beside them), accepted and resolved — a few late. None
    is left open (an open case of last month would be past its deadline: 督办 notices on the first sweep); two fresh
    reports of today stay open for the leader's contact points."""
    first_day, _last_day = assessment.previous_month(timeutil.local(p.now).date())
    start = timeutil.local(p.now).replace(year=first_day.year, month=first_day.month, day=3, hour=9, minute=0)
    category = (
        CaseCategory.objects.filter(
            jurisdiction=p.jurisdiction, active=True, children__isnull=True, default_level=roles.MICRO_GRID
        )
        .order_by("code")
        .first()
    )
    full = {s.node_id: s for s in reversed(stewards) if s.kind == StewardKind.STEWARD}
    for n, steward in enumerate(stewards):
        building = Building.objects.filter(node=steward.node).order_by("pk").first()
        handler = full.get(steward.node_id)
        for k in range((5, 3, 6, 1, 5, 2)[n % 6]):
            title, text = REPORTS[(n + k) % len(REPORTS)]
            at = start + timedelta(days=4 * k, hours=n)
            moment[0] = at
            case = case_services.submit(
                jurisdiction=p.jurisdiction,
                channel=Channel.WALK_IN,
                title=title,
                description=text,
                building=building,
                recorded_by=steward.user,
                at=at,
            )
            p.added["steward reports"] += 1
            if k == 0 and steward.kind == StewardKind.STEWARD:  # 即时办结: solved on the spot by the steward
                case_services.resolve(
                    case=case,
                    actor=steward.user,
                    result="已现场协调处理。",
                    on_the_spot=True,
                    at=at + timedelta(minutes=20),
                )
                continue
            if category is None or handler is None:
                case_services.reject(
                    case=case, actor=street_staff, reason="演示数据：不予受理", at=at + timedelta(hours=1)
                )
                continue
            late_response, late_resolution = (n + k) % 4 == 3, (n + k) % 5 == 4
            # The street staff triage and dispatch: the case is owned by the community or the street.
            case_services.triage(case=case, actor=street_staff, category=category, at=at + timedelta(minutes=30))
            case_services.dispatch(case=case, actor=street_staff, user=handler.user, at=at + timedelta(minutes=40))
            accepted = at + timedelta(hours=30 if late_response else 1)
            case_services.accept(case=case, actor=handler.user, at=accepted)
            case_services.resolve(
                case=case,
                actor=handler.user,
                result="已协调物业处理完毕，并回访确认。",
                at=accepted + timedelta(days=9 if late_resolution else 1),
            )
    moment[0] = p.now
    for steward in stewards[:2]:  # today's, still open
        case_services.submit(
            jurisdiction=p.jurisdiction,
            channel=Channel.WALK_IN,
            title=REPORTS[1][0],
            description=REPORTS[1][1],
            building=Building.objects.filter(node=steward.node).order_by("pk").first(),
            recorded_by=steward.user,
            at=p.now - timedelta(hours=1),
        )
        p.added["steward reports"] += 1


def _volunteers(
    p: _People, staff: Any, community: GridNode, communities: list[GridNode], stewards: list[Steward]
) -> list[Volunteer]:
    units = ("区人民医院", "区教育局", "区税务局", "", "", "市自来水公司")
    out: list[Volunteer] = []
    for n, name in enumerate(("黄志明", "杨晓燕", "许文华", "何丽娟", "高振宇", "罗敏", "梁春燕", "宋海波")):
        volunteer = services.register_volunteer(
            jurisdiction_id=p.jurisdiction.pk,
            name=name,
            phone=p.phone(),
            skills=(
                "义诊、健康讲座",
                "辅导功课",
                "法律咨询",
                "理发",
                "家电维修",
                "文艺演出",
                "助老陪伴",
                "电脑手机教学",
            )[n],
            availability="周末" if n % 2 else "工作日晚上",
            party_member=bool(units[n % len(units)]),
            work_unit=units[n % len(units)],
            home=communities[n % len(communities)],
            at=p.ago(50 - n),
        )
        p.added["volunteers"] += 1
        if volunteer.party_member:
            entry = services.report_in(volunteer=volunteer, community=community, at=p.ago(45 - n))
            p.added["report-ins"] += 1
            if n < 3:
                services.decide_report_in(report_in=entry, actor=staff, approved=True, at=p.ago(44 - n))
        out.append(volunteer)
    # The first steward is a volunteer too (the same phone): their hours count in the assessment.
    first_day, _last = assessment.previous_month(timeutil.local(p.now).date())
    steward = stewards[0]
    volunteer = services.register_volunteer(
        jurisdiction_id=p.jurisdiction.pk,
        name=steward.application.name if steward.application else NAMES[0],
        phone=steward.application.phone if steward.application else p.phone(),
        skills="助老陪伴",
        home=community,
        at=p.ago(60),
    )
    p.added["volunteers"] += 1
    for day in (5, 19):
        hours = services.submit_hours(
            volunteer=volunteer,
            community=community,
            day=first_day.replace(day=day),
            hours=3,
            description="陪独居老人就医",
            at=p.ago(20),
        )
        services.decide_hours(hours=hours, actor=staff, approved=True, at=p.ago(19))
        p.added["hours"] += 1
    team = services.create_team(actor=staff, community=community, name="红色先锋志愿服务队")
    services.set_team_members(team=team, actor=staff, volunteers=out[:5])
    return out


def _activities(p: _People, staff: Any, community: GridNode, volunteers: list[Volunteer]) -> None:
    local = timeutil.local(p.now)
    # Past: an evening of river patrol, one volunteer staying past midnight; hours approved but one.
    starts = (local - timedelta(days=10)).replace(hour=20, minute=0, second=0, microsecond=0)
    past = services.create_activity(
        actor=staff,
        node=community,
        title="夜间河道巡护",
        place=f"{community.name}滨河步道",
        starts=starts,
        ends=starts + timedelta(hours=5),
        capacity=6,
        skills="熟悉河道，能走夜路",
        at=starts - timedelta(days=5),
    )
    p.added["activities"] += 1
    for n, volunteer in enumerate(volunteers[:4]):
        services.sign_up(activity=past, volunteer=volunteer, at=starts - timedelta(days=3, minutes=-n))
        services.check_in(token=past.check_in_token, volunteer=volunteer, at=starts - timedelta(minutes=10 - n))
        out = starts + timedelta(hours=2 + n) if n < 3 else starts + timedelta(hours=4, minutes=30)  # to 00:30
        hours = services.check_out(token=past.check_out_token, volunteer=volunteer, at=out)
        if n < 3:
            services.decide_hours(hours=hours, actor=staff, approved=True, at=out + timedelta(days=1))
        p.added["sign-ups"] += 1
        p.added["hours"] += 1
    # Upcoming: full with a waiting list; another with places left.
    soon = (local + timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)
    full = services.create_activity(
        actor=staff,
        node=community,
        title="社区义诊与健康咨询",
        place=f"{community.name}党群服务中心",
        starts=soon,
        ends=soon + timedelta(hours=3),
        capacity=3,
        skills="医护、健康讲座",
        at=p.ago(4),
    )
    later = soon + timedelta(days=4)
    open_one = services.create_activity(
        actor=staff,
        node=community,
        title="助老理发进小区",
        place=f"{community.name}老年活动室",
        starts=later,
        ends=later + timedelta(hours=2),
        capacity=8,
        skills="理发",
        at=p.ago(3),
    )
    p.added["activities"] += 2
    for n, volunteer in enumerate(volunteers[:5]):
        services.sign_up(activity=full, volunteer=volunteer, at=p.ago(3 - n * 0.1))
        p.added["sign-ups"] += 1
    for volunteer in volunteers[5:7]:
        services.sign_up(activity=open_one, volunteer=volunteer, at=p.ago(1))
        p.added["sign-ups"] += 1


def _party(p: _People, staff: Any, community: GridNode) -> None:
    committee = services.add_party_unit(
        actor=staff,
        level=PartyLevel.COMMITTEE,
        node=community,
        name=f"{community.name}党委",
        leader_name="王书记",
        leader_phone="028-86000001",
        members=120,
    )
    p.added["party units"] += 1
    compounds = Compound.objects.filter(jurisdiction=p.jurisdiction, node__path__startswith=community.path).order_by(
        "code"
    )[:2]
    for compound in compounds:
        branch = services.add_party_unit(
            actor=staff, level=PartyLevel.BRANCH, node=compound.node, parent=committee,
            name=f"{compound.name}党支部", members=30,
        )  # fmt: skip
        p.added["party units"] += 1
        for building in Building.objects.filter(compound=compound).select_related("node").order_by("code")[:2]:
            group = services.add_party_unit(
                actor=staff, level=PartyLevel.GROUP, node=building.node, parent=branch, building=building,
                name=f"{building.name}党小组", members=8,
            )  # fmt: skip
            services.add_party_unit(
                actor=staff, level=PartyLevel.HOUSEHOLD, node=building.node, parent=group, building=building,
                name=f"{building.name}党员中心户", leader_name="党员中心户户主", members=1,
            )  # fmt: skip
            p.added["party units"] += 2


def _heads(p: _People, staff: Any, community: GridNode) -> None:
    compounds = Compound.objects.filter(jurisdiction=p.jurisdiction, node__path__startswith=community.path).order_by(
        "code"
    )[:2]
    for n, compound in enumerate(compounds):
        for title, name, position in (
            (HeadTitle.COMMUNITY_HEAD, "赵明远", "区住建局副局长"),
            (HeadTitle.COMPOUND_HEAD, "钱海峰", "区城管局科长"),
            (HeadTitle.YARD_HEAD, "孙静", "社区工作者"),
        ):
            node = community if title == HeadTitle.COMMUNITY_HEAD else compound.node
            if title == HeadTitle.COMMUNITY_HEAD and n > 0:
                continue
            services.add_head(
                actor=staff, node=node, title=title, name=name if n == 0 else f"{name[0]}{'伟'}",
                position=position, public_phone=f"028-8700{n}{len(name)}0{list(HeadTitle).index(title)}",
            )  # fmt: skip
            p.added["heads"] += 1


def _contact_points(p: _People, community: GridNode) -> None:
    leader = _staff(p.jurisdiction, None, roles.LEADER)
    admin = _staff(p.jurisdiction, None, roles.ADMIN)
    if leader is None or admin is None:
        return
    year = timeutil.local(p.now).year
    points = [
        services.add_contact_point(
            actor=admin, leader=leader, kind=ContactKind.STREET, year=year, node=community.parent
        ),
        services.add_contact_point(actor=admin, leader=leader, kind=ContactKind.COMMUNITY, year=year, node=community),
        services.add_contact_point(
            actor=admin, leader=leader, kind=ContactKind.ENTERPRISE, year=year, name="锦程电子科技有限公司", target=2
        ),
    ]
    p.added["contact points"] += 3
    today = timeutil.local(p.now).date()
    for point, node in zip(points, (community.parent, community, community), strict=True):
        cases = (
            Case.objects.filter(
                jurisdiction=p.jurisdiction,
                owner_node__path__startswith=node.path,
                submitted_at__year=year,
                submitted_at__lte=p.now,
            )
            .exclude(status__in=(Status.REJECTED, Status.MERGED, Status.WITHDRAWN))
            .order_by("-status", "pk")
        )
        taken = {t.ref_id for t in points[0].problems.all()} | {t.ref_id for t in points[1].problems.all()}
        candidates = sorted(
            (c for c in cases[:60] if c.pk not in taken), key=lambda c: (c.status not in assessment.SOLVED, c.pk)
        )
        chosen = candidates[:1] + candidates[-(1 if point.kind == ContactKind.ENTERPRISE else 2) :]
        for case in chosen:
            day = max(timeutil.local(case.submitted_at).date(), today.replace(month=1, day=1))
            services.take_on(
                contact_point=point, actor=leader, kind="case", ref_id=case.pk, code=case.tracking_code,
                title=case.title, on=min(day, today),
            )  # fmt: skip
            p.added["problems taken on"] += 1
    assessment.refresh_taken_on()
