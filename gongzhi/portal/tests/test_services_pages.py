"""便民服务 on the resident pages: a community's projects by category, a project's and a resource's page — what it
costs, who may use it, hours, public phone — and never a contact person's name or mobile."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from gongzhi.lists import services as lists

pytestmark = pytest.mark.django_db


def service_world(w):
    need = lists.create_need(
        actor=w.dispatcher, node=w.community, title="老人助餐", category="elderly", source="survey", households=9
    )
    resource = lists.save_resource(
        actor=w.dispatcher,
        node=w.community,
        name="幸福食堂",
        kind="merchant",
        phone="028-88886666",
        contact_name="王芳",
        contact_phone="13812345678",
        hours="每天 11:00–13:00",
        lat=30.0005,
        lon=120.0005,
        offer="午餐、晚餐，联系 13912345678",
    )
    meal = lists.save_project(
        actor=w.dispatcher,
        node=w.community,
        needs=[need],
        name="长者食堂助餐",
        category="elderly",
        provider=resource,
        delivery="station",
        place="幸福里党群服务驿站",
        price=Decimal("8.50"),
        eligibility="60 岁以上本社区居民",
        schedule="每天中午",
        status="active",
    )
    haircut = lists.save_project(
        actor=w.dispatcher, node=w.community, name="免费理发", category="other", provider=resource, delivery="door"
    )
    ended = lists.save_project(
        actor=w.dispatcher,
        node=w.community,
        name="去年的夏令营",
        category="children",
        provider=resource,
        delivery="other",
        status="ended",
    )
    return {"meal": meal, "haircut": haircut, "ended": ended, "resource": resource}


def test_browse_a_community_by_category(client, w):
    rows = service_world(w)
    home = client.get(reverse("portal:home")).content.decode()
    assert reverse("portal:services_index") in home
    index = client.get(reverse("portal:services_index")).content.decode()
    assert reverse("portal:services", args=[w.community.pk]) in index
    page = client.get(reverse("portal:services", args=[w.community.pk])).content.decode()
    assert "养老服务" in page and "儿童青少年" not in page  # an ended project is not offered
    assert "幸福食堂" in page
    listing = client.get(reverse("portal:services", args=[w.community.pk]) + "?category=elderly").content.decode()
    assert "长者食堂助餐" in listing and "免费理发" not in listing and "8.50" in listing
    assert client.get(reverse("portal:services", args=[w.community.pk]) + "?category=magic").status_code == 400
    assert client.get(reverse("portal:services", args=[w.street.pk])).status_code == 404
    assert client.get(reverse("portal:service_project", args=[w.community.pk, rows["ended"].pk])).status_code == 404
    other = reverse("portal:service_project", args=[w.other_community.pk, rows["meal"].pk])
    assert client.get(other).status_code == 404


def test_a_project_page_shows_no_personal_data(client, w):
    rows = service_world(w)
    html = client.get(reverse("portal:service_project", args=[w.community.pk, rows["meal"].pk])).content.decode()
    for shown in (
        "长者食堂助餐",
        "8.50",
        "60 岁以上本社区居民",
        "每天中午",
        "幸福里党群服务驿站",
        "每天 11:00–13:00",
        "028-88886666",
    ):
        assert shown in html, shown
    assert 'id="service-map"' in html
    for hidden in ("王芳", "13812345678", "138****5678"):
        assert hidden not in html, hidden
    free = client.get(reverse("portal:service_project", args=[w.community.pk, rows["haircut"].pk])).content.decode()
    assert "免费" in free
    resource = client.get(reverse("portal:service_resource", args=[w.community.pk, rows["resource"].pk]))
    text = resource.content.decode()
    assert "幸福食堂" in text and "13912345678" not in text and "139****5678" in text and "王芳" not in text
