"""The command centre's people panel: the stewards' ranking of the latest month assessed (top and bottom, card names,
part-time stewards apart, small samples counted not ranked), volunteer hours approved this year, leaders' contact
point progress (each point at most its target) — exactly, and scoped like every panel."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from gongzhi.analytics import panels
from gongzhi.volunteers import services
from gongzhi.volunteers.models import Hours
from gongzhi.volunteers.services import AssessmentRow
from gongzhi.volunteers.tests.factories import PeopleWorld, people_world, phone

pytestmark = pytest.mark.django_db
_n = itertools.count(1)


def _steward(w: PeopleWorld, name: str, *, kind: str = "steward"):
    application = w.approved(name=name, phone=phone(), kind=kind)
    return services.appoint(
        application=application, actor=w.staff, username=f"p{next(_n)}", at=timezone.now() - timedelta(days=90)
    )


@pytest.fixture
def world():
    w = people_world()
    names = ["甲", "乙", "丙", "丁", "戊", "己", "庚", "辛", "壬", "癸", "子", "丑"]
    stewards = [_steward(w, f"管家{c}") for c in names]
    part_time = _steward(w, "骑手", kind="part_time")
    rows = [
        AssessmentRow(s.pk, {"sample": 10 + i}, Decimal(95 - i * 5), i + 1, 11) for i, s in enumerate(stewards[:11])
    ]
    rows.append(AssessmentRow(stewards[11].pk, {"sample": 2}, Decimal("99.0"), None, None))  # too small a sample
    rows.append(AssessmentRow(part_time.pk, {"sample": 6}, Decimal("100.0"), 1, 1))
    services.record_assessments(first_day=date(2026, 11, 1), last_day=date(2026, 11, 30), rows=rows)
    # An older month: not shown.
    services.record_assessments(
        first_day=date(2026, 10, 1),
        last_day=date(2026, 10, 31),
        rows=[AssessmentRow(stewards[0].pk, {"sample": 9}, Decimal("10.0"), 1, 1)],
    )
    volunteer = w.volunteer()
    for day, hours, status in (
        (date(2026, 3, 1), "2.5", "approved"),
        (date(2026, 11, 2), "4", "approved"),
        (date(2026, 11, 3), "8", "submitted"),
        (date(2025, 12, 30), "6", "approved"),
    ):
        Hours.objects.create(
            volunteer=volunteer,
            community=w.community,
            day=day,
            hours=Decimal(hours),
            description="助老",
            status=status,
            created_at=timezone.now(),
        )
    community = services.add_contact_point(
        actor=w.admin, leader=w.leader, kind="community", year=2026, node=w.community, target=2
    )
    enterprise = services.add_contact_point(
        actor=w.admin, leader=w.leader, kind="enterprise", year=2026, name="某科技公司", target=3
    )
    for n, point in enumerate((community, community, community, enterprise)):
        problem = services.take_on(
            contact_point=point, actor=w.leader, kind="case", ref_id=100 + n, title="问题", on=date(2026, 2, 1)
        )
        services.mark_solved(taken_on=problem, solved_on=date(2026, 6, 1))
    w.leader.display_name = "李区长"
    w.leader.save(update_fields=["display_name"])
    return w


def _get(client, user, node, month="2026-12"):
    client.force_login(user)
    return client.get(reverse("analytics:panel", args=[node.pk, "people"]), {"month": month})


def test_the_panel_shows_the_latest_ranking_hours_and_contact_progress(client, world):
    w = world
    response = _get(client, w.leader, w.district)
    assert response.status_code == 200
    data = response.json()
    assert data["assessed_month"] == "2026-11"
    stewards = data["stewards"]
    assert (stewards["assessed"], stewards["ranked"], stewards["too_small"], stewards["part_time"]) == (12, 11, 1, 1)
    assert [(r["rank"], r["name"], r["score"]) for r in stewards["top"]] == [
        (1, "管家甲", 95.0),
        (2, "管家乙", 90.0),
        (3, "管家丙", 85.0),
        (4, "管家丁", 80.0),
        (5, "管家戊", 75.0),
    ]
    assert [r["rank"] for r in stewards["bottom"]] == [11, 10, 9, 8, 7]
    assert stewards["top"][0]["area"] == w.micro_grid.name
    assert stewards["top"][0]["sample"] == 10
    assert data["hours"] == {"year": 2026, "hours": 6.5, "volunteers": 1, "activities": 0}
    contacts = data["contacts"]
    # community: 3 solved of 2 (counts 2); enterprise: 1 of 3 -> 3 of 5
    assert (contacts["points"], contacts["target"], contacts["taken_on"], contacts["solved"]) == (2, 5, 4, 4)
    assert contacts["share"] == pytest.approx(0.6)
    assert contacts["leaders"] == [
        {"name": "李区长", "points": 2, "target": 5, "taken_on": 4, "solved": 4, "share": pytest.approx(0.6)}
    ]
    assert "13500" not in response.content.decode()  # no phone (the made-up phones are 13500…)


def test_an_earlier_month_shows_the_ranking_of_its_time(client, world):
    data = _get(client, world.leader, world.district, month="2026-10").json()
    assert data["assessed_month"] == "2026-10"
    assert [r["score"] for r in data["stewards"]["top"]] == [10.0]
    assert data["stewards"]["bottom"] == []


def test_another_community_sees_none_of_them_and_no_enterprise_point(client, world):
    data = _get(client, world.other_staff, world.other_community).json()
    assert data["assessed_month"] is None
    assert data["stewards"]["top"] == []
    assert data["hours"]["hours"] == 0
    assert data["contacts"]["points"] == 0


def test_a_node_out_of_scope_is_not_found_and_a_bad_month_is_400(client, world):
    w = world
    assert _get(client, w.other_staff, w.community).status_code == 404
    response = _get(client, w.leader, w.district, month="2026-13")
    assert response.status_code == 400


def test_the_dashboard_has_the_people_panel(client, world):
    client.force_login(world.leader)
    page = client.get(reverse("analytics:dashboard", args=[world.district.pk]))
    assert page.status_code == 200
    assert 'id="people-panel"' in page.content.decode()
    assert "people" in panels.PANELS
