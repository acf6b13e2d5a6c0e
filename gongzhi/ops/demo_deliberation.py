"""The demo district's deliberation (有事来协商: 一征三议两公开) and notices (通知公告): in two communities, a topic at
every step, a face-to-face session with the secretary (书记面对面) whose two problems were filed as cases, and notices
with a few subscriptions — so that the console's topics, the resident pages, the public board's two announcements
and the command centre's deliberation panel have rows from the first login.

- a residents' proposal still collecting support, and one past its threshold (moved on to 提议);
- one in deliberation (商议) with a hearing (恳谈会) held — residents checked in, minutes — and comments: residents',
  the property company's reply (a stakeholder) and one hidden by a moderator;
- one being decided (表决) with an open vote of the community, one per household, the households and their
  members' phones from the care registry (``care.models``, read here: ops may read both apps), a share of them voted;
- one with the decision public (its vote closed and counted), and one with the result public (with a photo);
- a 书记面对面 session with two problems raised, filed through ``cases.services`` and linked to the meeting;
- an urgent water cut for two buildings and a policy notice for a community, with a few subscribers.

Everything goes through ``deliberation.services`` (with ``at=`` in the past); the one shortcut is a closed vote's
closing time moved into the past before it is counted (a vote cannot be opened with a closing time passed). The notices
were published more than a day ago, so the worker does not text the made-up phones. Idempotent: a jurisdiction that
has topics already is left as it is.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from gongzhi.care import selectors as care_selectors
from gongzhi.care.models import Household
from gongzhi.cases import services as case_services
from gongzhi.cases.choices import Channel
from gongzhi.core import timeutil
from gongzhi.deliberation import services, steps, tasks
from gongzhi.deliberation.choices import MeetingKind, NoticeKind
from gongzhi.deliberation.models import Topic, Vote
from gongzhi.grid import roles
from gongzhi.grid.models import Building, GridNode, Jurisdiction, StaffPost

SEED = 2030
VOTED_SHARE = 0.45  # of the households of the open vote, this many have voted
MAX_VOTERS = 150  # households on the demo's votes (the community's registry households, at most)
MIN_DOORS = 25  # a community with fewer registry households with a phone gets no topics


@dataclass
class Door:
    """A registry household as the demo uses it: its key, its door's label, its members' phones."""

    key: str
    label: str
    phones: tuple[str, ...]


def _doors(node: GridNode) -> list[Door]:
    """The registry's households in buildings under ``node`` with their living members' phones (a phone on one door
    only: a vote takes each phone once)."""
    seen: set[str] = set()
    out = []
    for household in care_selectors.voters_under(node):
        if not household.building_name or len(out) >= MAX_VOTERS:
            continue
        mine = tuple(p for p in household.phones if len(p) == 11 and p.startswith("1") and p not in seen)
        seen.update(mine)
        label = f"{household.building_name}{household.room}"[:64]
        out.append(Door(care_selectors.household_key(household.household_id), label, mine))
    return out


def _staff(jurisdiction: Jurisdiction, node: GridNode, role: str) -> Any:
    post = (
        StaffPost.objects.filter(jurisdiction=jurisdiction, active=True, role=role, node=node)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return post.user if post is not None else None


def _busiest_grid(community: GridNode) -> GridNode | None:
    """The grid of ``community`` with the most registry households in buildings (its hearing, session, notices)."""
    best, most = None, -1
    for grid in GridNode.objects.filter(parent=community, level=roles.GRID).order_by("path"):
        n = Household.objects.filter(node__path__startswith=grid.path, building__isnull=False).count()
        if n > most:
            best, most = grid, n
    return best


def _photo(name: str) -> str:
    """A small made-up photo of a finished job (a plain JPEG: nothing personal, no metadata)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (640, 420), (214, 226, 236))
    draw = ImageDraw.Draw(image)
    draw.rectangle((250, 60, 390, 380), fill=(150, 160, 172), outline=(60, 70, 80), width=6)  # a lift shaft
    draw.rectangle((285, 150, 355, 300), fill=(226, 232, 238), outline=(60, 70, 80), width=4)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return default_storage.save(f"deliberation/demo/{name}.jpg", ContentFile(out.getvalue()))


class _Builder:
    def __init__(self, jurisdiction: Jurisdiction, community: GridNode, staff: Any, now: datetime) -> None:
        self.jurisdiction, self.community, self.staff, self.now = jurisdiction, community, staff, now
        self.rng = random.Random(f"{SEED}:{community.pk}")
        self.added = {"topics": 0, "comments": 0, "meetings": 0, "ballots": 0, "supports": 0, "cases": 0}

    def days_ago(self, days: float) -> datetime:
        return self.now - timedelta(days=days)

    def staff_topic(self, title: str, body: str, *, node: GridNode, to: str, started: float) -> Topic:
        topic = services.start_topic(actor=self.staff, node=node, title=title, body=body, at=self.days_ago(started))
        self.added["topics"] += 1
        path = steps.STEPS[1 : steps.STEPS.index(to) + 1]
        for i, target in enumerate(path, start=1):
            if target in (steps.DECISION_PUBLIC, steps.RESULT_PUBLIC):
                break
            at = self.days_ago(started - i * (started / (len(path) + 1)))
            topic = services.move(topic=topic, to=target, actor=self.staff, at=at)
        return topic

    def proposal(self, doors: list[Door], title: str, body: str, *, needed: int, supports: int, days: float) -> Topic:
        with_phones = [d for d in doors if d.phones]
        first, *others = with_phones[: supports + 1]
        topic = services.propose(
            node=self.community,
            title=title,
            body=body,
            phone=first.phones[0],
            household_key=first.key,
            support_needed=needed,
            at=self.days_ago(days),
        )
        self.added["topics"] += 1
        for i, door in enumerate(others[: supports - 1]):
            services.support(
                topic=topic, phone=door.phones[0], household_key=door.key, at=self.days_ago(days - 0.3 * (i + 1))
            )
            self.added["supports"] += 1
        return topic

    def comment(self, topic: Topic, body: str, *, door: Door, label: str, days: float) -> Any:
        self.added["comments"] += 1
        return services.comment(
            topic=topic, body=body, phone=door.phones[0], author_label=label, at=self.days_ago(days)
        )

    def vote(
        self, topic: Topic, doors: list[Door], question: str, *, opened: float, until: float, share: float
    ) -> Vote:
        """A vote by household opened ``opened`` days ago; ``share`` of the households with a phone cast it, spread
        over the days from its opening until ``until`` days ago."""
        vote = services.create_vote(
            topic=topic,
            actor=self.staff,
            question=question,
            options=["同意", "不同意", "弃权"],
            opens_at=self.days_ago(opened),
            closes_at=self.now + timedelta(days=4),
            quorum="2/3",
            threshold="1/2",
            strict=True,
            at=self.days_ago(opened + 1),
        )
        services.set_eligible(
            vote=vote,
            actor=self.staff,
            voters=[services.Voter(key=d.key, label=d.label, phones=d.phones) for d in doors],
        )
        vote = services.open_vote(vote=vote, actor=self.staff, at=self.days_ago(opened))
        options = list(vote.options.order_by("sort_order"))
        voting = [d for d in doors if d.phones]
        casting = voting[: int(len(voting) * share)]
        for i, door in enumerate(casting):
            option = options[0] if self.rng.random() < 0.78 else options[1 + (i % 2)]
            at = self.days_ago(opened - (opened - until) * i / max(1, len(casting)))
            services.cast(vote=vote, phone=door.phones[0], option=option, at=at)
            self.added["ballots"] += 1
        return vote


def build(jurisdiction: Jurisdiction, *, now: datetime | None = None) -> dict[str, int]:
    """Topics at every step, a face-to-face session and notices in the first two communities of ``jurisdiction``
    (none when it has topics already); returns the rows added."""
    if Topic.objects.filter(jurisdiction=jurisdiction).exists():
        return {}
    now = now or timeutil.now()
    communities = list(GridNode.objects.filter(jurisdiction=jurisdiction, level=roles.COMMUNITY).order_by("path")[:2])
    added: dict[str, int] = {}
    with transaction.atomic():
        for n, community in enumerate(communities):
            staff = _staff(jurisdiction, community, roles.COMMUNITY_STAFF)
            grid = _busiest_grid(community)
            if staff is None or grid is None:
                continue
            builder = _Builder(jurisdiction, community, staff, now)
            doors = _doors(community)
            if len([d for d in doors if d.phones]) < MIN_DOORS:
                continue
            _topics(builder, grid, doors, first=n == 0)
            _face_to_face(builder, grid)
            _notices(builder, grid, first=n == 0)
            for key, value in builder.added.items():
                added[key] = added.get(key, 0) + value
    return added


def _topics(b: _Builder, grid: GridNode, doors: list[Door], *, first: bool) -> None:
    with_phones = [d for d in doors if d.phones]
    # 征集: a residents' proposal still collecting support, and one past its threshold, moved on to 提议.
    b.proposal(with_phones[0:], "楼道堆物集中清理", "楼道里堆放的杂物多，有消防隐患，建议物业牵头集中清理一次。",
               needed=10, supports=4, days=6)  # fmt: skip
    past = b.proposal(with_phones[5:], "增设电动自行车充电桩", "小区电动车多，楼道充电危险，建议在车棚增设充电桩。",
                      needed=5, supports=6, days=12)  # fmt: skip
    services.move(topic=past, to=steps.PROPOSE, actor=b.staff, reason="已达到联名户数", at=b.days_ago(4))
    # 商议: a hearing held, with minutes; comments with a stakeholder's reply and one hidden.
    hearing_topic = b.staff_topic(
        "老旧小区改造方案征求意见",
        "小区列入今年老旧小区改造计划，改造内容包括外墙保温、雨污分流和停车位规划，请居民提出意见。",
        node=grid,
        to=steps.DELIBERATE,
        started=20,
    )
    hearing = services.plan_meeting(
        actor=b.staff,
        node=grid,
        kind=MeetingKind.HEARING,
        title="老旧小区改造恳谈会",
        place="社区党群服务中心二楼议事厅",
        starts=b.days_ago(3),
        ends=b.days_ago(3) + timedelta(hours=2),
        agenda="一、介绍改造方案\n二、居民代表发言\n三、物业公司、施工单位答疑",
        capacity=40,
        invited="业主委员会\n物业公司\n施工单位",
        topic=hearing_topic,
        at=b.days_ago(10),
    )
    b.added["meetings"] += 1
    for door in with_phones[10:22]:
        services.register(meeting=hearing, phone=door.phones[0], at=b.days_ago(6))
    for door in with_phones[10:19]:
        services.check_in_by_staff(meeting=hearing, actor=b.staff, phone=door.phones[0], at=b.days_ago(3))
    services.check_in_by_staff(meeting=hearing, actor=b.staff, name="老党员代表", at=b.days_ago(3))
    services.record_minutes(
        meeting=hearing,
        actor=b.staff,
        minutes="到会居民 10 人，业委会、物业公司、施工单位代表参加。居民普遍支持改造，关注施工期间出行和停车。",
        decisions="一、施工期间临时停车点设在东门空地；二、外墙颜色由居民投票选定。",
        at=b.days_ago(3) + timedelta(hours=2),
    )
    asked = b.comment(hearing_topic, "支持改造，希望雨污分流一起做，夏天下水道经常反味。",
                      door=with_phones[11], label="居民", days=9)  # fmt: skip
    b.comment(hearing_topic, "停车位不够，改造能不能多划一些车位？", door=with_phones[12], label="居民", days=8)
    services.comment(
        topic=hearing_topic,
        body="物业公司已将雨污分流纳入施工清单，施工前会张贴告示。",
        actor=b.staff,
        organisation="物业公司",
        reply_to=asked,
        at=b.days_ago(7),
    )
    b.added["comments"] += 1
    rude = b.comment(hearing_topic, "这事跟我没关系，别来烦我！！！", door=with_phones[13], label="居民", days=6)
    services.hide_comment(comment=rude, actor=b.staff, reason="与议题无关的不文明言论", at=b.days_ago(5))
    # 表决: an open vote, one per household, from the care registry's households.
    deciding = b.staff_topic(
        "加装电梯" if first else "更换单元门禁",
        "部分楼栋居民提出加装电梯，已完成意见征集和恳谈，现按户表决，须三分之二以上住户参与、过半数同意。"
        if first
        else "单元门禁老化，拟更换为刷卡和人脸识别门禁，费用由维修基金列支，现按户表决。",
        node=b.community,
        to=steps.DECIDE,
        started=25,
    )
    b.vote(
        deciding,
        doors,
        "是否同意加装电梯？" if first else "是否同意更换单元门禁？",
        opened=3,
        until=0.2,
        share=VOTED_SHARE,
    )
    # 决议公开: the vote closed and counted, the decision recorded and made public.
    decided = b.staff_topic(
        "小区停车收费标准调整",
        "物业公司提出调整停车收费标准，经协商后按户表决。",
        node=b.community,
        to=steps.DECIDE,
        started=40,
    )
    vote = b.vote(decided, doors, "是否同意新的停车收费标准？", opened=12, until=5.5, share=0.82)
    Vote.objects.filter(pk=vote.pk).update(closes_at=b.days_ago(5))  # it closed five days ago
    services.close_vote(vote=vote, actor=None, at=b.days_ago(5))
    services.record_decision(
        topic=decided, actor=b.staff, text="按户表决通过：月租车位由每月 150 元调整为 180 元，自下月起执行。",
        at=b.days_ago(4.5),
    )  # fmt: skip
    services.move(topic=decided, to=steps.DECISION_PUBLIC, actor=b.staff, at=b.days_ago(4))
    # 结果公开: decided, carried out, the result (with a photo) public.
    done = b.staff_topic(
        "楼道照明改造", "多个单元楼道灯损坏，居民提出统一更换为声控节能灯。", node=grid, to=steps.DECIDE, started=60
    )
    services.record_decision(
        topic=done, actor=b.staff, text="由社区微实事项目出资，统一更换楼道声控灯。", at=b.days_ago(40)
    )
    services.move(topic=done, to=steps.DECISION_PUBLIC, actor=b.staff, at=b.days_ago(39))
    services.record_result(
        topic=done,
        actor=b.staff,
        text="已更换楼道声控灯 126 盏，居民验收满意。",
        photos=[_photo(f"result-{done.pk}")],
        at=b.days_ago(10),
    )
    services.move(topic=done, to=steps.RESULT_PUBLIC, actor=b.staff, at=b.days_ago(9))


def _face_to_face(b: _Builder, grid: GridNode) -> None:
    """书记面对面: a session held; two problems raised there filed as cases (walk-in, recorded by staff), linked."""
    starts = b.days_ago(2)
    session = services.plan_meeting(
        actor=b.staff,
        node=b.community,
        kind=MeetingKind.FACE_TO_FACE,
        title="阳光书记见面会",
        place="社区党群服务中心一楼大厅",
        starts=starts,
        ends=starts + timedelta(hours=2),
        agenda="社区书记现场听取居民意见建议，能当场解决的当场解决，不能当场解决的登记后跟踪办理。",
        at=b.days_ago(9),
    )
    b.added["meetings"] += 1
    for name in ("王阿姨", "李大爷", "张先生"):
        services.check_in_by_staff(meeting=session, actor=b.staff, name=name, at=starts)
    buildings = list(Building.objects.filter(node__path__startswith=grid.path).order_by("name", "pk")[:2])
    for building, (title, text) in zip(
        buildings,
        (
            ("单元门口路面破损", "居民在书记面对面会上反映：单元门口路面破损，雨天积水，老人出行容易滑倒。"),
            ("楼顶漏水", "居民在书记面对面会上反映：顶楼住户家中下雨漏水，需要检查楼顶防水层。"),
        ),
        strict=False,
    ):
        case = case_services.submit(
            jurisdiction=b.jurisdiction,
            channel=Channel.WALK_IN,
            title=title,
            description=text,
            building=building,
            recorded_by=b.staff,
            at=starts + timedelta(minutes=40),
        )
        services.link_case(
            meeting=session,
            case_id=case.pk,
            tracking_code=case.tracking_code,
            title=title,
            actor=b.staff,
            at=starts + timedelta(minutes=41),
        )
        b.added["cases"] += 1
    services.record_minutes(
        meeting=session,
        actor=b.staff,
        minutes="到会居民 3 人，反映问题 2 件，均已登记为工单跟踪办理。",
        at=starts + timedelta(hours=2),
    )


def _notices(b: _Builder, grid: GridNode, *, first: bool) -> None:
    """An urgent water cut for two buildings and a policy notice for the community, published over a day ago (the
    worker texts only new notices), with a few subscribers."""
    buildings = list(Building.objects.filter(node__path__startswith=grid.path).order_by("name", "pk")[:3])
    published = b.now - tasks.NEW_WITHIN - timedelta(hours=2)
    if first and len(buildings) >= 2:
        services.publish_notice(
            actor=b.staff,
            node=grid,
            kind=NoticeKind.OUTAGE,
            title="停水通知",
            body="因供水管网维修，后天 9:00—17:00 停止供水，请提前储水。如有困难请联系网格员。",
            urgent=True,
            buildings=buildings[:2],
            expires_at=b.now + timedelta(days=3),
            at=published,
        )
        b.added["notices"] = b.added.get("notices", 0) + 1
    services.publish_notice(
        actor=b.staff,
        node=b.community,
        kind=NoticeKind.POLICY,
        title="城乡居民医保开始缴费",
        body="2027 年度城乡居民基本医疗保险开始缴费，可在社区服务站或手机上办理，截止到 12 月 31 日。",
        expires_at=b.now + timedelta(days=30),
        at=published,
    )
    b.added["notices"] = b.added.get("notices", 0) + 1
    rng = random.Random(f"{SEED}:notices:{b.community.pk}")
    for building in buildings:
        for _ in range(2):
            phone = f"139{rng.randrange(10**8):08d}"
            services.subscribe(building=building, phone=phone, at=published - timedelta(days=7))
            b.added["subscriptions"] = b.added.get("subscriptions", 0) + 1
