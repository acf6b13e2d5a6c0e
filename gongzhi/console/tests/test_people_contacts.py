"""Leaders' contact points (领导联系点) in the console: set by contact.manage (an administrator), read by the leader
with progress towards the targets; a leader takes a case on from the case page (and a need from the need page); a
solved problem is read from the case's status and counts."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from gongzhi.cases import services as case_services
from gongzhi.cases.tests.factories import category
from gongzhi.core import timeutil
from gongzhi.grid import roles
from gongzhi.grid.tests.factories import BuildingFactory, post
from gongzhi.lists import services as lists_services
from gongzhi.volunteers import services
from gongzhi.volunteers.models import ContactPoint, TakenOn
from gongzhi.volunteers.tests.factories import PeopleWorld, people_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def w() -> PeopleWorld:
    return people_world()


def _as(client, user):
    client.logout()
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _case(w: PeopleWorld):
    building = BuildingFactory(node=w.micro_grid, jurisdiction=w.district.jurisdiction, lat=None, lon=None)
    case = case_services.submit(
        jurisdiction=w.district.jurisdiction, channel="qr", title="小区路灯不亮", building=building
    )
    case_services.triage(case=case, actor=w.staff, category=category(w.district.jurisdiction))
    return case


def test_an_administrator_adds_a_leaders_contact_point(client, w):
    year = timeutil.local_today().year
    url = reverse("console:people_contact_new")
    data = {"leader": w.leader.pk, "kind": "community", "node": w.community.pk, "year": year, "target": 2}
    # Community staff keep people, not contact points.
    assert _as(client, w.staff).post(url, data).status_code == 403
    c = _as(client, w.admin)
    page = c.get(reverse("console:people_contacts")).content.decode()
    assert 'id="contact-form"' in page and f'value="{w.leader.pk}"' in page
    assert f'<option value="{w.staff.pk}"' not in page.split('id="id_leader"')[1].split("</select>")[0]
    assert c.post(url, dict(data, leader=w.staff.pk)).status_code == 400  # not a leader
    assert c.post(url, dict(data, kind="enterprise", node="", name="")).status_code == 400  # name the enterprise
    assert ContactPoint.objects.count() == 0
    assert c.post(url, data).status_code == 302
    assert c.post(url, dict(data, kind="enterprise", node="", name="某某制造有限公司", target=3)).status_code == 302
    assert c.post(url, data).status_code == 409  # the same point again
    assert sorted(ContactPoint.objects.values_list("kind", "name", "target", "year")) == [
        ("community", w.community.name, 2, year),
        ("enterprise", "某某制造有限公司", 3, year),
    ]
    page = c.get(reverse("console:people_contacts")).content.decode()
    assert "2 points · 0 of 5 problems solved" in page


def test_a_leader_takes_a_case_on_and_sees_it_solved(client, w):
    year = timeutil.local_today().year
    point = services.add_contact_point(
        actor=w.admin, leader=w.leader, kind="community", node=w.community, year=year, target=2
    )
    case = _case(w)
    c = _as(client, w.leader)
    page = c.get(reverse("console:case", args=[case.pk])).content.decode()
    assert f'id="take-on-{point.pk}"' in page and f"Take this on at {w.community.name}" in page
    url = reverse("console:people_take_on")
    form = {"contact_point": point.pk, "kind": "case", "ref_id": case.pk}
    response = c.post(url, form)
    assert response.status_code == 302 and response["Location"] == reverse("console:case", args=[case.pk])
    taken = TakenOn.objects.get()
    assert (taken.contact_point, taken.kind, taken.ref_id, taken.code, taken.title, taken.solved_on) == (
        point, "case", case.pk, case.tracking_code, "小区路灯不亮", None,
    )  # fmt: skip
    assert c.post(url, form).status_code == 409 and TakenOn.objects.count() == 1
    page = c.get(reverse("console:case", args=[case.pk])).content.decode()
    assert 'id="taken-on"' in page and f'id="take-on-{point.pk}"' not in page
    # Another leader cannot take it on at this leader's point; a case out of sight is a 404.
    other_leader = post(roles.LEADER, node=w.district).user
    assert _as(client, other_leader).post(url, form).status_code in (404, 409)
    assert _as(client, w.other_staff).post(url, form).status_code == 404
    assert TakenOn.objects.count() == 1
    # The leader's page: the problem with the case's status; solved once the case is resolved.
    c = _as(client, w.leader)
    page = c.get(reverse("console:people_contacts")).content.decode()
    assert "0 of 2 problems solved · 1 taken on" in page and case.tracking_code in page
    case_services.dispatch(case=case, actor=w.staff, node=w.community, pool=False)
    case = case_services.accept(case=case, actor=w.staff)
    case = case_services.resolve(case=case, actor=w.staff, result="已更换灯泡")
    page = c.get(reverse("console:people_contacts")).content.decode()
    taken.refresh_from_db()
    assert taken.solved_on == timeutil.local(case.resolved_at).date()
    assert "1 of 2 problems solved · 1 taken on" in page and re.search(r"<strong>50%</strong>", page)


def test_a_leader_takes_a_need_on_from_the_need_page(client, w):
    year = timeutil.local_today().year
    point = services.add_contact_point(
        actor=w.admin, leader=w.leader, kind="community", node=w.community, year=year, target=3
    )
    need = lists_services.create_need(
        actor=w.staff, node=w.community, title="加装电梯", category="elderly", source="survey", households=40
    )
    c = _as(client, w.leader)
    page = c.get(reverse("console:lists_need", args=[need.pk])).content.decode()
    assert f'id="take-on-{point.pk}"' in page
    response = c.post(reverse("console:people_take_on"), {"contact_point": point.pk, "kind": "need", "ref_id": need.pk})
    assert response.status_code == 302 and response["Location"] == reverse("console:lists_need", args=[need.pk])
    assert list(TakenOn.objects.values_list("kind", "ref_id", "title")) == [("need", need.pk, "加装电梯")]
    lists_services.change_need(actor=w.staff, need=need, action="close", note="已立项")
    page = c.get(reverse("console:people_contacts")).content.decode()
    assert TakenOn.objects.get().solved_on == timeutil.local_today()
    assert "1 of 3 problems solved" in page


def test_people_without_contact_points_see_no_take_on_box(client, w):
    case = _case(w)
    page = _as(client, w.staff).get(reverse("console:case", args=[case.pk])).content.decode()
    assert 'id="take-on"' not in page
    page = _as(client, w.leader).get(reverse("console:case", args=[case.pk])).content.decode()
    assert 'id="take-on"' not in page  # a leader with no point this year
