"""The command centre's deliberation panel: formulas.deliberation over deliberation.selectors.topic_rows and
closed_votes — topics per step, residents' proposals, participation (supports + comments shown + attendance),
decided, results delivered, turnout — counted exactly per area, never a phone; scoped like every panel."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from gongzhi.deliberation import services, steps
from gongzhi.deliberation.tests.factories import deliberation_world, phone
from gongzhi.grid.models import GridNode

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    w = deliberation_world()
    proposal = services.propose(
        node=w.community, title="楼道堆物清理", body="…", phone=phone(1), household_key="h1", support_needed=5
    )
    services.support(topic=proposal, phone=phone(2), household_key="h2")
    services.comment(topic=proposal, body="同意", phone=phone(3), author_label="2号楼居民")
    rude = services.comment(topic=proposal, body="骂人", phone=phone(4))
    services.hide_comment(comment=rude, actor=w.staff, reason="辱骂")
    deciding = w.topic(step=steps.DECIDE, title="加装电梯")
    meeting = w.meeting(deciding, starts=timezone.now() - timedelta(minutes=30))
    services.check_in_by_staff(meeting=meeting, actor=w.staff, phone=phone(5))
    services.check_in_by_staff(meeting=meeting, actor=w.staff, name="王大爷")
    vote = w.vote(deciding)
    yes = vote.options.order_by("sort_order").first()
    services.cast(vote=vote, phone=phone(1), option=yes)
    services.cast(vote=vote, phone=phone(2), option=yes)
    services.close_vote(vote=vote, actor=None, at=vote.closes_at + timedelta(seconds=1))
    services.record_decision(topic=deciding, actor=w.staff, text="同意")
    w.topic(step=steps.RESULT_PUBLIC, title="更换路灯")
    other = services.start_topic(actor=w.other_staff, node=w.other_community, title="停车位划线", body="…")
    for target in (steps.PROPOSE, steps.DELIBERATE, steps.DECIDE):
        services.move(topic=other, to=target, actor=w.other_staff)
    services.record_decision(topic=other, actor=w.other_staff, text="划线")
    services.move(topic=other, to=steps.DECISION_PUBLIC, actor=w.other_staff)
    return w


def _panel(client, user, node):
    client.force_login(user)
    response = client.get(reverse("analytics:panel", args=[node.pk, "deliberation"]), {"month": "2026-12"})
    assert response.status_code == 200
    return response


def test_the_panel_counts_exactly(client, world):
    w = world
    response = _panel(client, w.leader, w.district)
    data = response.json()
    assert data["figures"] == {
        "topics": 4,
        "by_step": {
            "collect": 1,
            "propose": 0,
            "deliberate": 0,
            "decide": 1,
            "decision_public": 1,
            "result_public": 1,
            "dropped": 0,
        },
        "by_residents": 1,
        "supports": 2,
        "comments": 1,  # the hidden one does not count
        "attendance": 2,
        "participation": 5,
        "decided": 3,
        "decided_share": 0.75,
        "decisions_public": 2,
        "results_public": 1,
        "results_delivered": 0.5,
        "votes_closed": 1,
        "turnout": 0.6667,
    }
    assert [s["step"] for s in data["steps"]] == list(steps.ALL)
    streets = list(GridNode.objects.filter(parent=w.district).order_by("path"))
    assert [a["name"] for a in data["areas"]] == [s.name for s in streets]
    first, last = data["areas"][0]["figures"], data["areas"][-1]["figures"]
    assert (first["topics"], first["participation"], first["results_delivered"], first["turnout"]) == (
        3,
        5,
        1.0,
        0.6667,
    )
    assert (last["topics"], last["decisions_public"], last["results_delivered"], last["turnout"]) == (1, 1, 0.0, None)
    text = response.content.decode()
    for secret in [phone(n) for n in range(1, 6)] + ["王大爷", "骂人"]:
        assert secret not in text


def test_the_page_has_the_panel_and_scope_holds(client, world):
    w = world
    client.force_login(w.leader)
    page = client.get(reverse("analytics:dashboard", args=[w.district.pk]))
    assert page.status_code == 200 and 'id="deliberation-panel"' in page.content.decode()
    client.force_login(w.other_staff)
    response = client.get(reverse("analytics:panel", args=[w.community.pk, "deliberation"]), {"month": "2026-12"})
    assert response.status_code == 404
    # The other community's staff see their own topic only.
    own = _panel(client, w.other_staff, w.other_community).json()["figures"]
    assert (own["topics"], own["decisions_public"]) == (1, 1)
