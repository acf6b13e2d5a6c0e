"""Resident pages of the stations: near me (nearest first with walking minutes, filters, bad input as 400), a
station's page (who is on duty now: name and title only), the matters catalogue and 代办 as an errand case that the
resident follows in "my requests"."""

from __future__ import annotations

from datetime import time

import pytest
from django.urls import reverse

from gongzhi.cases.models import Case
from gongzhi.cases.tests.factories import category
from gongzhi.grid import roles
from gongzhi.grid.tests.factories import CompoundFactory, post
from gongzhi.portal.tests.test_phone_login import PHONE, ask_code
from gongzhi.stations.models import Intake, Matter
from gongzhi.stations.tests.factories import all_day, station

pytestmark = pytest.mark.django_db


@pytest.fixture
def en(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def points(w):
    near = station(w.community, "近的驿站", items=["drinking-water"], lat=30.0010, lon=120.0)
    far = station(
        w.micro, "远的管家点", items=["drinking-water", "toilet"], lat=30.0100, lon=120.0, kind="steward_point"
    )
    toilet = station(w.other_community, "只有厕所", items=["toilet"], lat=30.0005, lon=120.0)
    return near, far, toilet


def _url(w, **params):
    query = "&".join(f"{k}={v}" for k, v in {"j": w.jurisdiction.code, **params}.items())
    return reverse("portal:stations") + "?" + query


def test_nearest_first_with_walking_minutes_and_filters(en, w, points):
    near, far, toilet = points
    response = en.get(_url(w, lat="30.0", lon="120.0", item="drinking-water"))
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [r["station"] for r in rows] == [near, far]
    assert (rows[0]["metres"], rows[0]["minutes"]) == (111, 3)  # 111 m × 1.3 ÷ 1.2 m/s = 2.0 min, rounded up
    html = response.content.decode()
    assert html.index("近的驿站") < html.index("远的管家点") and "只有厕所" not in html
    within = en.get(_url(w, lat="30.0", lon="120.0", within="5")).context["rows"]
    assert [r["station"] for r in within] == [toilet, near]
    data = en.get(
        reverse("portal:stations_geojson") + f"?j={w.jurisdiction.code}&lat=30.0&lon=120.0&item=toilet"
    ).json()
    assert [f["properties"]["name"] for f in data["features"]] == ["只有厕所", "远的管家点"]
    assert data["features"][0]["geometry"]["coordinates"] == [120.0, 30.0005]


def test_from_the_residents_compound(en, w, points):
    compound = CompoundFactory(jurisdiction=w.jurisdiction, node=w.micro, name="幸福小区", lat=30.0098, lon=120.0)
    rows = en.get(_url(w, compound=compound.pk)).context["rows"]
    assert rows[0]["station"] == points[1]
    assert en.get(_url(w, compound=compound.pk)).context["origin"] == "幸福小区"


@pytest.mark.parametrize(
    "params",
    [
        {"lat": "abc", "lon": "120"},
        {"lat": "95", "lon": "120"},
        {"lat": "nan", "lon": "120"},
        {"lat": "30"},
        {"item": "caviar"},
        {"within": "7"},
        {"within": "x"},
        {"compound": "999999"},
        {"show": "casino"},
    ],
)
def test_bad_input_is_a_400(en, w, points, params):
    assert en.get(_url(w, **params)).status_code == 400


def test_the_station_page_names_who_is_on_duty_without_their_phone(en, w):
    steward = w.steward.posts.get()
    steward.public_phone = "13900001111"
    steward.save()
    hidden = post(roles.STEWARD, node=w.micro, is_public=False)
    s = station(
        w.micro,
        "3号院小区管家服务点",
        items=["drinking-water"],
        hours=[(d, time(0, 0), time(23, 59)) for d in range(7)],
        on_duty=all_day(steward) + all_day(hidden),
        closed_on_holidays=False,
    )
    html = en.get(reverse("portal:station", args=[s.pk])).content.decode()
    assert str(w.steward) in html and (steward.title or "Steward") in html
    assert "13900001111" not in html and str(hidden.user) not in html
    assert "Drinking water" in html and "Open now" in html
    assert en.get(reverse("portal:station", args=[999999])).status_code == 404
    s.active = False
    s.save()
    assert en.get(reverse("portal:station", args=[s.pk])).status_code == 404


@pytest.fixture
def matter(w):
    s = station(w.micro, "3号院小区管家服务点")
    category(w.jurisdiction, "errands.proxy", kind="errand", level="community", name="代办")
    found = Matter.objects.create(
        jurisdiction=w.jurisdiction,
        code="elderly-card",
        name="老年人优待证办理",
        mode="proxy",
        materials="身份证\n照片",
    )
    found.stations.add(s)
    return found


def test_a_resident_asks_for_a_proxy_errand_and_follows_it(en, w, matter, django_capture_on_commit_callbacks):
    url = reverse("portal:matter", args=["elderly-card"]) + f"?j={w.jurisdiction.code}"
    html = en.get(reverse("portal:matters") + f"?j={w.jurisdiction.code}").content.decode()
    assert "老年人优待证办理" in html
    page = en.get(url).content.decode()
    assert "身份证" in page and 'id="apply-login"' in page
    # Not logged in: to the login, nothing filed.
    response = en.post(url, {"station": matter.stations.get().pk})
    assert response.status_code == 302 and response["Location"].startswith(reverse("portal:login"))
    assert Case.objects.count() == 0
    code = ask_code(en, PHONE, django_capture_on_commit_callbacks)
    assert en.post(reverse("portal:login"), {"phone": PHONE, "code": code}).status_code == 302
    assert en.post(url, {"station": "999999"}).status_code == 400
    assert en.post(url, {"station": matter.stations.get().pk, "note": "x" * 501}).status_code == 400
    assert Case.objects.count() == 0
    response = en.post(url, {"station": matter.stations.get().pk, "note": "腿脚不便"})
    assert response.status_code == 302
    case = Case.objects.get()
    assert response["Location"] == reverse("portal:track", args=[case.tracking_code])
    assert (case.kind, case.channel, case.title, case.description) == ("errand", "web", "老年人优待证办理", "腿脚不便")
    assert case.attributes["_on_behalf"] is True and case.resolve_due is not None
    assert Intake.objects.get().case_id == case.pk
    assert case.tracking_code in en.get(reverse("portal:mine")).content.decode()
    # The tracking page tells the reporter who handles it for them; a stranger's view does not.
    station_name = matter.stations.get().name
    track = en.get(reverse("portal:track", args=[case.tracking_code])).content.decode()
    assert f"Handled for you by {station_name}" in track
    en.cookies.clear()
    assert 'id="on-behalf"' not in en.get(reverse("portal:track", args=[case.tracking_code])).content.decode()


def test_an_online_matter_takes_no_proxy_request(en, w, matter, django_capture_on_commit_callbacks):
    matter.mode = "online"
    matter.save()
    code = ask_code(en, PHONE, django_capture_on_commit_callbacks)
    en.post(reverse("portal:login"), {"phone": PHONE, "code": code})
    url = reverse("portal:matter", args=["elderly-card"]) + f"?j={w.jurisdiction.code}"
    assert en.post(url, {"station": matter.stations.get().pk}).status_code == 400
    assert Case.objects.count() == 0
    assert en.get(reverse("portal:matter", args=["nope"]) + f"?j={w.jurisdiction.code}").status_code == 404


def test_opening_hours_are_shown_by_weekday(en, w):
    s = station(
        w.community,
        "幸福驿站",
        hours=[(0, time(14), time(17, 30)), (0, time(8, 30), time(12)), (5, time(9), time(12))],
    )
    html = en.get(reverse("portal:station", args=[s.pk])).content.decode()
    assert "Monday 08:30–12:00 / 14:00–17:30<br>Saturday 09:00–12:00" in html
    assert "Tuesday" not in html and "Closed on public holidays." in html


def _resource(w, name, kind, lat, lon, node=None):
    from gongzhi.core import timeutil
    from gongzhi.lists.models import Resource

    return Resource.objects.create(
        node=node or w.community,
        name=name,
        kind=kind,
        phone="028-85551234",
        contact_name="王芳",
        contact_phone="13812345678",
        hours="周一至周五 8:30–17:00",
        lat=lat,
        lon=lon,
        created_at=timeutil.now(),
    )


def test_other_places_of_the_resources_list_near_me(en, w, points):
    near, _far, toilet = points
    clinic = _resource(w, "社区卫生服务站", "clinic", 30.0003, 120.0)
    _resource(w, "远处诊所", "clinic", 30.0300, 120.0)
    _resource(w, "没有位置的诊所", "clinic", None, None)
    shop = _resource(w, "便民超市", "merchant", 30.0020, 120.0, node=w.other_community)

    response = en.get(_url(w, lat="30.0", lon="120.0", show="clinic", within="5"))
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [r.get("resource") for r in rows] == [clinic]  # no station, nothing beyond a 5-minute walk
    assert (rows[0]["metres"], rows[0]["minutes"]) == (33, 1)
    html = response.content.decode()
    assert reverse("portal:service_resource", args=[w.community.pk, clinic.pk]) in html
    assert "王芳" not in html and "13812345678" not in html and "5678" not in html  # the contact person is private

    mixed = en.get(_url(w, lat="30.0", lon="120.0", show="all", within="5")).context["rows"]
    assert [r.get("station") or r.get("resource") for r in mixed] == [clinic, toilet, near, shop]

    data = en.get(
        reverse("portal:stations_geojson") + f"?j={w.jurisdiction.code}&lat=30.0&lon=120.0&show=clinic&within=5"
    ).json()
    assert [(f["properties"]["name"], f["properties"].get("resource")) for f in data["features"]] == [
        ("社区卫生服务站", True)
    ]
    assert "13812345678" not in str(data) and "王芳" not in str(data)

    # Stations alone unless asked: the default lists no resource.
    assert all("station" in r for r in en.get(_url(w, lat="30.0", lon="120.0")).context["rows"])
    # Without a place: the places of that kind, those with a position.
    names = [r["resource"].name for r in en.get(_url(w, show="clinic")).context["rows"]]
    assert names == ["社区卫生服务站", "远处诊所"]
