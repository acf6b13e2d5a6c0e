"""A small district to deliberate in: community staff who run topics, a steward who keeps a meeting's door, another
community's staff, a leader; and helpers for topics at each step, meetings and votes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from gongzhi.core import timeutil
from gongzhi.deliberation import services, steps
from gongzhi.deliberation.models import Meeting, Topic, Vote
from gongzhi.grid import roles
from gongzhi.grid.models import Building, GridNode
from gongzhi.grid.tests.factories import BuildingFactory, CompoundFactory, make_tree, post


def phone(n: int) -> str:
    return f"136{n:08d}"


@dataclass
class DeliberationWorld:
    district: GridNode
    community: GridNode
    other_community: GridNode
    micro_grid: GridNode
    staff: Any  # community staff: runs the community's topics, meetings, votes; publishes notices
    steward: Any  # steward of ``micro_grid``: keeps a meeting's door, casts a vote for a resident without a phone
    grid_worker: Any  # publishes notices to the buildings of the grid
    other_staff: Any  # community staff of another community
    leader: Any

    def topic(self, *, step: str = steps.COLLECT, node: GridNode | None = None, **kw: Any) -> Topic:
        topic = services.start_topic(
            actor=kw.pop("actor", self.staff),
            node=node or self.community,
            title=kw.pop("title", "加装电梯"),
            body=kw.pop("body", "3号楼居民提出加装电梯，请大家商议。"),
            **kw,
        )
        for target in steps.STEPS[1 : steps.STEPS.index(step) + 1]:
            if target == steps.DECISION_PUBLIC and not topic.decision:
                services.record_decision(topic=topic, actor=self.staff, text="同意加装电梯，费用按楼层分摊。")
            if target == steps.RESULT_PUBLIC and not topic.result:
                services.record_result(topic=topic, actor=self.staff, text="电梯已于 12 月完工并通过验收。")
            topic = services.move(topic=topic, to=target, actor=self.staff)
        return topic

    def meeting(self, topic: Topic | None = None, *, starts: datetime | None = None, **kw: Any) -> Meeting:
        starts = starts or timeutil.now() + timedelta(days=1)
        return services.plan_meeting(
            actor=kw.pop("actor", self.staff),
            node=kw.pop("node", topic.node if topic else self.community),
            kind=kw.pop("kind", "hearing"),
            title=kw.pop("title", "加装电梯恳谈会"),
            place=kw.pop("place", "社区议事厅"),
            starts=starts,
            ends=starts + timedelta(hours=2),
            topic=topic,
            **kw,
        )

    def vote(self, topic: Topic, *, voters: list[services.Voter] | None = None, open_: bool = True, **kw: Any) -> Vote:
        now = timeutil.now()
        vote = services.create_vote(
            topic=topic,
            actor=self.staff,
            question=kw.pop("question", "是否同意加装电梯？"),
            options=kw.pop("options", ["同意", "不同意"]),
            opens_at=kw.pop("opens_at", now - timedelta(minutes=1)),
            closes_at=kw.pop("closes_at", now + timedelta(days=7)),
            **kw,
        )
        services.set_eligible(
            vote=vote,
            actor=self.staff,
            voters=voters
            if voters is not None
            else [services.Voter(key=f"h{i}", label=f"3单元{i}01", phones=(phone(i),)) for i in range(1, 4)],
        )
        if open_:
            vote = services.open_vote(vote=vote, actor=self.staff)
        return vote

    def building(self, node: GridNode | None = None, compound: Any = None) -> Building:
        node = node or self.micro_grid
        return BuildingFactory(node=node, jurisdiction=node.jurisdiction, compound=compound)

    def compound(self, node: GridNode | None = None) -> Any:
        node = node or self.micro_grid
        return CompoundFactory(node=node, jurisdiction=node.jurisdiction)


def deliberation_world() -> DeliberationWorld:
    district = make_tree(2)
    communities = list(GridNode.objects.filter(jurisdiction=district.jurisdiction, level="community").order_by("path"))
    community, other = communities[0], communities[-1]
    micro = GridNode.objects.filter(path__startswith=community.path, level="micro_grid").order_by("path").first()
    return DeliberationWorld(
        district=district,
        community=community,
        other_community=other,
        micro_grid=micro,
        staff=post(roles.COMMUNITY_STAFF, node=community).user,
        steward=post(roles.STEWARD, node=micro).user,
        grid_worker=post(roles.GRID_WORKER, node=micro.parent).user,
        other_staff=post(roles.COMMUNITY_STAFF, node=other).user,
        leader=post(roles.LEADER, node=district).user,
    )
