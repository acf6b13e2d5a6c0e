"""The lists pages: overview figures, filters, forms (good and bad input), a need's page and case → need."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from gongzhi.cases.tests.factories import World, world
from gongzhi.lists import services as lists
from gongzhi.lists.models import Need, NeedEvent, Project, Resource

pytestmark = pytest.mark.django_db


@pytest.fixture
def w() -> World:
    return world()


def _login(client, user, lang="en"):
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = lang
    return client


def _need(w: World, **kw):
    kw.setdefault("title", "老人助餐")
    kw.setdefault("category", "elderly")
    kw.setdefault("source", "survey")
    return lists.create_need(actor=w.dispatcher, node=w.community, **kw)


def _resource(w: World, **kw):
    kw.setdefault("name", "幸福食堂")
    kw.setdefault("kind", "merchant")
    return lists.save_resource(actor=w.dispatcher, node=w.community, **kw)


def test_overview_shows_each_community_with_its_figures(client, w):
    a, _b = _need(w), _need(w, title="儿童托管", category="children")
    lists.save_project(
        actor=w.dispatcher,
        node=w.community,
        needs=[a],
        name="老年助餐",
        category="elderly",
        provider=_resource(w),
        delivery="station",
        price=Decimal("8"),
    )
    html = _login(client, w.dispatcher).get(reverse("console:lists")).content.decode()
    assert w.community.name in html and w.other_community.name not in html
    assert "2 needs, 1 projects, 1 resources" in html
    assert 'data-figure="needs_matched"' in html and "50%" in html  # match rate: 1 of 2 open needs
    zh = _login(client, w.dispatcher, "zh-hans").get(reverse("console:lists")).content.decode()
    assert "需求清单" in zh


def test_needs_list_filters_and_bad_filters(client, w):
    _need(w)
    _need(w, title="儿童托管", category="children")
    c = _login(client, w.dispatcher)
    html = c.get(reverse("console:lists_needs") + "?category=children").content.decode()
    assert "儿童托管" in html and "老人助餐" not in html
    html = c.get(reverse("console:lists_needs") + f"?node={w.community.pk}&status=collected").content.decode()
    assert "儿童托管" in html and "老人助餐" in html
    assert c.get(reverse("console:lists_needs") + "?status=lost").status_code == 400
    assert c.get(reverse("console:lists_needs") + f"?node={w.other_community.pk}").status_code == 400
    assert c.get(reverse("console:lists_needs") + "?page=x").status_code == 400


def test_record_a_need_and_bad_input_writes_nothing(client, w):
    c = _login(client, w.dispatcher)
    data = {"node": w.community.pk, "title": "加装电梯", "category": "elderly", "source": "meeting", "households": 36}
    bad = c.post(reverse("console:lists_need_new"), {**data, "households": -3})
    assert bad.status_code == 400
    assert Need.objects.count() == 0
    out = c.post(reverse("console:lists_need_new"), {**data, "node": w.other_community.pk})
    assert out.status_code == 400 and Need.objects.count() == 0  # another community is not offered
    ok = c.post(reverse("console:lists_need_new"), {**data, "note": "居民议事会"})
    need = Need.objects.get()
    assert ok.status_code == 302 and ok["Location"] == reverse("console:lists_need", args=[need.pk])
    assert (need.title, need.households, need.source, need.status) == ("加装电梯", 36, "meeting", "collected")
    page = c.get(ok["Location"]).content.decode()
    assert "居民议事会" in page and 'data-action="create"' in page


def test_close_needs_a_reason_and_says_why(client, w):
    need = _need(w)
    c = _login(client, w.dispatcher)
    refused = c.post(reverse("console:lists_need_action", args=[need.pk, "close"]), {"note": " "})
    assert refused.status_code == 409
    assert "needs a reason" in refused.content.decode()
    assert Need.objects.get().status == "collected" and NeedEvent.objects.count() == 1
    assert c.post(reverse("console:lists_need_action", args=[need.pk, "fly"])).status_code == 404
    c.post(reverse("console:lists_need_action", args=[need.pk, "close"]), {"note": "已解决"})
    assert Need.objects.get().status == "closed"


def test_project_form_links_needs_and_matches_them(client, w):
    need, resource = _need(w), _resource(w)
    c = _login(client, w.dispatcher)
    data = {
        "node": w.community.pk,
        "name": "助浴服务",
        "category": "elderly",
        "provider": resource.pk,
        "needs": [need.pk],
        "price": "0",
        "delivery": "door",
        "status": "planned",
    }
    assert c.post(reverse("console:lists_project_new"), {**data, "price": "-2"}).status_code == 400
    assert Project.objects.count() == 0 and Need.objects.get().status == "collected"
    response = c.post(reverse("console:lists_project_new"), data)
    project = Project.objects.get()
    assert response["Location"] == reverse("console:lists_project", args=[project.pk])
    assert Need.objects.get().status == "matched"
    page = c.get(response["Location"]).content.decode()
    assert "幸福食堂" in page and "老人助餐" in page and "free" in page
    # Delivering: the project becomes active and the need is served.
    c.post(reverse("console:lists_project_edit", args=[project.pk]), {**data, "status": "active"})
    assert Need.objects.get().status == "served"
    need_page = c.get(reverse("console:lists_need", args=[need.pk])).content.decode()
    assert "助浴服务" in need_page and 'data-action="serve"' in need_page


def test_resource_contact_mobile_is_masked_on_the_list(client, w):
    c = _login(client, w.dispatcher)
    data = {
        "node": w.community.pk,
        "name": "社区卫生服务站",
        "kind": "clinic",
        "phone": "0571-88886666",
        "contact_name": "李医生",
        "contact_phone": "13912345678",
        "lat": "30.01",
        "lon": "120.01",
        "hours": "8:00–17:00",
    }
    assert c.post(reverse("console:lists_resource_new"), {**data, "lon": ""}).status_code == 400
    assert Resource.objects.count() == 0
    assert c.post(reverse("console:lists_resource_new"), data).status_code == 302
    html = c.get(reverse("console:lists_resources")).content.decode()
    assert "139****5678" in html and "13912345678" not in html and "0571-88886666" in html
    grid_worker_html = _login(client, w.grid_worker).get(reverse("console:lists_resources")).content.decode()
    assert "13912345678" not in grid_worker_html and "社区卫生服务站" in grid_worker_html


def test_turn_a_case_into_a_need_once(client, w):
    case = w.to_resolved()
    c = _login(client, w.dispatcher)
    page = c.get(reverse("console:case", args=[case.pk])).content.decode()
    assert 'id="make-need"' in page
    response = c.post(reverse("console:case_to_need", args=[case.pk]))
    need = Need.objects.get()
    assert response["Location"] == reverse("console:lists_need_edit", args=[need.pk])
    assert (need.case_id, need.case_code, need.source, need.node_id) == (
        case.pk,
        case.tracking_code,
        "case",
        w.community.pk,
    )
    again = c.post(reverse("console:case_to_need", args=[case.pk]), follow=True)
    assert Need.objects.count() == 1
    assert "already the need" in again.content.decode()
    page = c.get(reverse("console:case", args=[case.pk])).content.decode()
    assert 'id="make-need"' not in page and reverse("console:lists_need", args=[need.pk]) in page
    need_page = c.get(reverse("console:lists_need", args=[need.pk])).content.decode()
    assert case.tracking_code in need_page and reverse("console:case", args=[case.pk]) in need_page
