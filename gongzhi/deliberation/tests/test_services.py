from __future__ import annotations

from datetime import timedelta

import pytest

from gongzhi.core import timeutil
from gongzhi.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from gongzhi.deliberation import selectors, services, steps
from gongzhi.deliberation.models import Ballot, Comment, StepChange, Support, Topic
from gongzhi.deliberation.tests.factories import deliberation_world, phone

pytestmark = pytest.mark.django_db


def test_a_residents_proposal_moves_on_only_with_enough_households() -> None:
    w = deliberation_world()
    topic = services.propose(
        node=w.community, title="楼道堆物清理", body="请大家一起清理楼道", phone=phone(1), household_key="h1",
        support_needed=3,
    )  # fmt: skip
    assert topic.support_count == 1
    with pytest.raises(Conflict):
        services.move(topic=topic, to=steps.PROPOSE, actor=w.staff)
    services.support(topic=topic, phone=phone(2), household_key="h2")
    with pytest.raises(Conflict):  # the same household, another member
        services.support(topic=topic, phone=phone(3), household_key="h2")
    with pytest.raises(Conflict):  # the same phone
        services.support(topic=topic, phone=phone(2), household_key="h9")
    topic = services.support(topic=topic, phone=phone(4), household_key="h4")
    assert topic.support_count == 3 == Support.objects.filter(topic=topic).count()
    topic = services.move(topic=topic, to=steps.PROPOSE, actor=w.staff)
    assert topic.step == steps.PROPOSE
    with pytest.raises(Conflict):
        services.support(topic=topic, phone=phone(5), household_key="h5")


def test_steps_one_at_a_time_with_history_and_guards() -> None:
    w = deliberation_world()
    topic = w.topic()
    with pytest.raises(Conflict):
        services.move(topic=topic, to=steps.DECIDE, actor=w.staff)
    with pytest.raises(NotFound):
        services.move(topic=topic, to=steps.PROPOSE, actor=w.other_staff)
    with pytest.raises(NotFound):
        services.move(topic=topic, to=steps.PROPOSE, actor=w.steward)
    topic = w.topic(step=steps.DECIDE)
    with pytest.raises(Conflict):  # no decision yet
        services.move(topic=topic, to=steps.DECISION_PUBLIC, actor=w.staff)
    with pytest.raises(DomainError):  # going back needs a reason
        services.move(topic=topic, to=steps.DELIBERATE, actor=w.staff)
    services.move(topic=topic, to=steps.DELIBERATE, actor=w.staff, reason="需要再开一次恳谈会")
    assert list(StepChange.objects.filter(topic=topic).values_list("step_to", flat=True)) == [
        "collect", "propose", "deliberate", "decide", "deliberate",
    ]  # fmt: skip


def test_a_hidden_comment_is_not_public() -> None:
    w = deliberation_world()
    topic = w.topic()
    shown = services.comment(topic=topic, body="支持加装", phone=phone(1), author_label="3号楼居民")
    rude = services.comment(topic=topic, body="<script>alert(1)</script>骂人的话", phone=phone(2))
    reply = services.comment(topic=topic, body="物业愿意配合", actor=w.staff, organisation="物业公司", reply_to=shown)
    with pytest.raises(DomainError):
        services.hide_comment(comment=rude, actor=w.staff, reason="")
    with pytest.raises(NotFound):
        services.hide_comment(comment=rude, actor=w.steward, reason="辱骂")
    services.hide_comment(comment=rude, actor=w.staff, reason="辱骂")
    assert [c.pk for c in selectors.public_comments(topic)] == [shown.pk, reply.pk]
    assert Comment.objects.get(pk=reply.pk).voice == "stakeholder"
    assert [c.pk for c in selectors.staff_comments(topic)] == [shown.pk, rude.pk, reply.pk]


def test_one_vote_per_household_and_results_only_at_close() -> None:
    w = deliberation_world()
    topic = w.topic(step=steps.DECIDE)
    voters = [
        services.Voter(key="h1", label="1单元101", phones=(phone(1), phone(11))),
        services.Voter(key="h2", label="1单元201", phones=(phone(2),)),
        services.Voter(key="h3", label="1单元301"),
    ]
    vote = w.vote(topic, voters=voters, quorum="2/3", threshold="1/2")
    yes, no = vote.options.order_by("sort_order")
    services.cast(vote=vote, phone=phone(1), option=yes)
    with pytest.raises(Conflict):  # the other member of household 1
        services.cast(vote=vote, phone=phone(11), option=no)
    with pytest.raises(PermissionDenied):
        services.cast(vote=vote, phone=phone(99), option=yes)
    assert selectors.public_vote(vote).result is None
    with pytest.raises(Conflict):  # not everyone voted and the closing time is ahead
        services.close_vote(vote=vote, actor=w.staff)
    h3 = vote.eligible.get(key="h3")
    with pytest.raises(DomainError):
        services.cast_for(vote=vote, actor=w.steward, eligible=h3, option=no, note="")
    services.cast_for(vote=vote, actor=w.steward, eligible=h3, option=no, note="老人不用手机，当面表态")
    with pytest.raises(Conflict):  # a vote cannot move on while open
        services.move(topic=topic, to=steps.DECISION_PUBLIC, actor=w.staff)
    services.cast(vote=vote, phone=phone(2), option=yes)
    vote = services.close_vote(vote=vote, actor=w.staff)
    result = selectors.public_vote(vote).result
    assert result is not None
    assert (result["eligible"], result["cast"], result["counts"], result["quorum_met"], result["carried"]) == (
        3, 3, {"同意": 2, "不同意": 1}, True, ["同意"],
    )  # fmt: skip
    assert Ballot.objects.get(eligible=h3).assisted_by == w.steward
    with pytest.raises(Conflict):
        services.cast(vote=vote, phone=phone(2), option=yes)


def test_vote_after_close_time_is_refused() -> None:
    w = deliberation_world()
    topic = w.topic(step=steps.DECIDE)
    vote = w.vote(topic)
    later = vote.closes_at + timedelta(seconds=1)
    with pytest.raises(Conflict):
        services.cast(vote=vote, phone=phone(1), option=vote.options.first(), at=later)
    assert not Ballot.objects.exists()


def test_meeting_registration_check_in_and_minutes() -> None:
    w = deliberation_world()
    topic = w.topic(step=steps.DELIBERATE)
    meeting = w.meeting(topic, capacity=1)
    services.register(meeting=meeting, phone=phone(1), name="王阿姨")
    with pytest.raises(Conflict):
        services.register(meeting=meeting, phone=phone(2))
    with pytest.raises(Conflict):  # too early for the QR check-in
        services.check_in(token=meeting.check_in_token, phone=phone(1))
    at = meeting.starts + timedelta(minutes=5)
    services.check_in(token=meeting.check_in_token, phone=phone(1), at=at)
    with pytest.raises(Conflict):
        services.check_in(token=meeting.check_in_token, phone=phone(1), at=at)
    services.check_in_by_staff(meeting=meeting, actor=w.steward, name="李大爷", at=at)
    with pytest.raises(NotFound):
        services.check_in(token="forged", phone=phone(1), at=at)
    assert meeting.registrations.filter(attended=True).count() == 2
    with pytest.raises(Conflict):
        services.record_minutes(meeting=meeting, actor=w.staff, minutes="…")
    services.record_minutes(meeting=meeting, actor=w.staff, minutes="到会 2 人，同意加装", at=at)


def test_notice_reaches_exactly_its_buildings() -> None:
    w = deliberation_world()
    one, two = w.compound(), w.compound()
    a, b = w.building(compound=one), w.building(compound=two)
    services.subscribe(building=a, phone=phone(1))
    services.subscribe(building=b, phone=phone(2))
    notice = services.publish_notice(
        actor=w.grid_worker, node=w.micro_grid, title="停水通知", body="明日 9:00-12:00 停水",
        expires_at=timeutil.now() + timedelta(days=1), buildings=[a], urgent=True,
    )  # fmt: skip
    assert list(selectors.live_notices(a)) == [notice]
    assert list(selectors.live_notices(b)) == []
    assert [s.building_id for s in services.claim_deliveries(notice=notice)] == [a.pk]
    assert services.claim_deliveries(notice=notice) == []  # once
    assert list(selectors.live_notices(a, now=notice.expires_at)) == []
    assert Topic.objects.count() == 0
