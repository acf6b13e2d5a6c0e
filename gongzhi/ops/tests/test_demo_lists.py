"""The demo district's lists: the practice's proportions per community, consistent statuses, idempotent, fast."""

from __future__ import annotations

import time

import pytest
from django.db.models import Count

from gongzhi.grid import roles
from gongzhi.grid.demo import build_demo
from gongzhi.grid.models import GridNode
from gongzhi.lists.models import Need, NeedEvent, Project, Resource
from gongzhi.ops import demo_lists

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_every_community_gets_its_lists():
    jurisdiction = build_demo(password="demo-password-1").jurisdiction
    began = time.perf_counter()
    added = demo_lists.build(jurisdiction)
    seconds = time.perf_counter() - began
    communities = list(GridNode.objects.filter(jurisdiction=jurisdiction, level=roles.COMMUNITY))
    assert added == {
        "needs": Need.objects.count(),
        "resources": Resource.objects.count(),
        "projects": Project.objects.count(),
    }
    for node in communities:
        assert 20 <= Need.objects.filter(node=node).count() <= 35
        assert 30 <= Resource.objects.filter(node=node).count() <= 50
        assert 100 <= Project.objects.filter(node=node).count() <= 150
    by_status = dict(Need.objects.values_list("status").annotate(n=Count("pk")))
    assert set(by_status) == {"collected", "matched", "served", "closed"}
    assert by_status["served"] > by_status["matched"] > 0
    # Consistent with what the services write: matched needs are answered by a project, served ones by a delivering
    # project, collected ones by none; each need's history ends in its status.
    for need in Need.objects.prefetch_related("projects", "events"):
        statuses = {p.status for p in need.projects.all()}
        events = sorted(need.events.all(), key=lambda e: (e.at, e.pk))
        assert events[0].action == "create" and events[-1].to_status == need.status
        if need.status == "collected":
            assert not statuses
        elif need.status == "matched":
            assert statuses and statuses <= {"planned"}
        elif need.status == "served":
            assert statuses and statuses <= {"active", "ended"}
    assert Resource.objects.exclude(lat=None).exists()
    print(f"demo lists: {added} in {seconds:.2f} s")  # the time is reported, not asserted: machines differ
    # Idempotent: a second run adds nothing.
    events = NeedEvent.objects.count()
    assert demo_lists.build(jurisdiction) == {"needs": 0, "resources": 0, "projects": 0}
    assert NeedEvent.objects.count() == events
