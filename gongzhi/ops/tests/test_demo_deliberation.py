"""The demo's deliberation: in two communities a topic at every step (a proposal collecting support, one past its
threshold, a hearing held with minutes and moderated comments, an open vote by household from the care registry, a
decision public with its vote counted, a result public with a photo), a 书记面对面 session with two cases filed and
linked, an urgent water cut for two buildings and a policy notice with subscribers the worker does not text — quick,
and idempotent."""

from __future__ import annotations

import time

import pytest

from gongzhi.analytics import formulas as f
from gongzhi.analytics import selectors as analytics_selectors
from gongzhi.care.models import Household
from gongzhi.cases.models import Case
from gongzhi.deliberation import steps, tasks
from gongzhi.deliberation.models import (
    Ballot,
    Comment,
    Eligible,
    EligiblePhone,
    Meeting,
    MeetingCase,
    Notice,
    Subscription,
    Topic,
    Vote,
)
from gongzhi.grid import demo
from gongzhi.grid.models import GridNode
from gongzhi.notifications.models import SmsMessage
from gongzhi.ops import demo_care, demo_deliberation

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_the_demo_has_a_topic_at_every_step_and_is_quick():
    jurisdiction = demo.build_demo(password="demo-password-1").jurisdiction
    demo_care.build(jurisdiction)
    began = time.perf_counter()
    added = demo_deliberation.build(jurisdiction)
    seconds = time.perf_counter() - began
    print(f"demo deliberation: {seconds:.2f} s, {added}")
    assert seconds < 10, seconds

    topics = Topic.objects.filter(jurisdiction=jurisdiction)
    assert added["topics"] == topics.count() == 12
    communities = {t.node.path[:12] for t in topics.select_related("node")}
    assert len(communities) == 2
    for path in communities:
        mine = topics.filter(node__path__startswith=path)
        assert sorted(mine.values_list("step", flat=True)) == sorted(steps.STEPS)
        collecting = mine.get(step=steps.COLLECT)
        assert collecting.origin == "residents" and collecting.support_count < collecting.support_needed
        past = mine.get(step=steps.PROPOSE)
        assert past.origin == "residents" and past.support_count >= past.support_needed
        # The hearing held, with minutes and people who came; comments: a stakeholder's reply, one hidden.
        deliberating = mine.get(step=steps.DELIBERATE)
        hearing = Meeting.objects.get(topic=deliberating, kind="hearing")
        assert hearing.status == "held" and hearing.minutes and hearing.registrations.filter(attended=True).count() > 5
        comments = Comment.objects.filter(topic=deliberating)
        assert comments.filter(voice="stakeholder", organisation="物业公司", reply_to__isnull=False).count() == 1
        assert comments.filter(hidden=True).exclude(hidden_reason="").count() == 1
        # The open vote: one per registry household of the community, some cast, no result yet.
        [open_vote] = Vote.objects.filter(topic=mine.get(step=steps.DECIDE))
        households = Household.objects.filter(node__path__startswith=path, building__isnull=False).count()
        assert open_vote.status == "open" and open_vote.result is None
        assert Eligible.objects.filter(vote=open_vote).count() == min(households, demo_deliberation.MAX_VOTERS)
        assert EligiblePhone.objects.filter(vote=open_vote).exists()
        assert 0 < Ballot.objects.filter(vote=open_vote).count() < Eligible.objects.filter(vote=open_vote).count()
        # The decision public: its vote closed in the past and counted (quorum met, carried), every ballot before.
        [closed] = Vote.objects.filter(topic=mine.get(step=steps.DECISION_PUBLIC))
        assert closed.status == "closed" and closed.result["quorum_met"] and closed.result["carried"] == ["同意"]
        assert closed.closed_at is not None and not Ballot.objects.filter(vote=closed, at__gt=closed.closed_at).exists()
        done = mine.get(step=steps.RESULT_PUBLIC)
        assert done.result and len(done.result_photos) == 1 and done.decision
        # 书记面对面: two cases filed and linked.
        session = Meeting.objects.get(node__path=path, kind="face_to_face")
        links = MeetingCase.objects.filter(meeting=session)
        assert links.count() == 2 and session.status == "held"
        assert Case.objects.filter(pk__in=links.values("case_id"), channel="walk_in").count() == 2

    urgent = Notice.objects.get(urgent=True)
    assert urgent.kind == "outage" and urgent.buildings.count() == 2
    assert Notice.objects.filter(kind="policy").count() == 2
    assert Subscription.objects.filter(active=True).count() == added["subscriptions"] > 0
    # The notices are over a day old: the worker texts none of the made-up phones.
    assert tasks.send_notice_texts() == 0 and not SmsMessage.objects.filter(kind__startswith="deliberation.").exists()

    # The command centre has figures from the first login.
    root = GridNode.objects.get(jurisdiction=jurisdiction, parent__isnull=True)
    figures = f.deliberation(
        analytics_selectors.deliberation_topics(root), analytics_selectors.deliberation_votes(root)
    )
    assert figures.topics == 12 and figures.by_residents == 4 and figures.votes_closed == 2
    assert figures.turnout is not None and figures.turnout > 0.66 and figures.results_delivered == 0.5

    # Idempotent: a second run adds nothing.
    assert demo_deliberation.build(jurisdiction) == {}
    assert Topic.objects.filter(jurisdiction=jurisdiction).count() == 12
