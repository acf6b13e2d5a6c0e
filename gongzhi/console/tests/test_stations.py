"""The console's station pages: the list with the tier check, set-up and rota, the desk (+1 visitor, a walk-in request
recorded as a case, 即时办结 in the same step, 代办 of a matter as an errand case) and the day report — with denials
that change nothing."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.urls import reverse

from gongzhi.cases import transitions as t
from gongzhi.cases.models import Case, CaseEvent
from gongzhi.cases.tests.factories import World, category, world
from gongzhi.core import crypto, timeutil
from gongzhi.stations.models import DutyShift, Intake, Matter, Station, Visit
from gongzhi.stations.tests.factories import station

pytestmark = pytest.mark.django_db


@pytest.fixture
def w() -> World:
    return world()


@pytest.fixture
def desk(w) -> Station:
    s = station(w.micro, "3号院小区管家服务点", kind="steward_point", tier=3, items=["drinking-water", "umbrella"])
    errands = category(w.district.jurisdiction, "errands.proxy", kind="errand", level="community", name="代办")
    matter = Matter.objects.create(
        jurisdiction=w.district.jurisdiction,
        code="elderly-card",
        name="老年人优待证办理",
        mode="proxy",
        materials="身份证\n照片",
        category_code=errands.code,
    )
    matter.stations.add(s)
    return s


def _login(client, user):
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_the_list_shows_the_tier_check(client, w, desk):
    html = _login(client, w.dispatcher).get(reverse("console:stations")).content.decode()
    assert "3号院小区管家服务点" in html
    assert "2/8 required items" in html and "Phone charging" in html  # lacks it
    other = station(w.other_community, "别的驿站")
    html = _login(client, w.steward).get(reverse("console:stations")).content.decode()
    assert "3号院小区管家服务点" in html and other.name not in html
    page = client.get(reverse("console:station", args=[desk.pk])).content.decode()
    assert 'id="tier-check"' in page and "Lacks:" in page


def test_plus_one_visitor(client, w, desk):
    c = _login(client, w.steward)
    response = c.post(reverse("console:station_visit", args=[desk.pk]), {"purpose": "喝水"})
    assert response.status_code == 302
    visit = Visit.objects.get()
    assert (visit.station, visit.purpose, visit.recorded_by) == (desk, "喝水", w.steward)
    assert c.post(reverse("console:station_visit", args=[desk.pk]), {"purpose": "x" * 101}).status_code == 400
    assert Visit.objects.count() == 1


def test_a_walk_in_solved_on_the_spot_is_one_case_created_and_resolved(client, w, desk):
    c = _login(client, w.steward)
    response = c.post(
        reverse("console:station_walk_in", args=[desk.pk]),
        {"title": "借雨伞，顺便问垃圾分类", "solved_on_the_spot": "on", "result": "借出雨伞一把，讲解分类"},
    )
    assert response.status_code == 302 and response["Location"] == reverse("console:station", args=[desk.pk])
    case = Case.objects.get()
    assert (case.channel, case.status, case.on_the_spot, case.recorded_by, case.handler_user) == (
        "walk_in",
        t.RESOLVED,
        True,
        w.steward,
        w.steward,
    )
    assert case.result == "借出雨伞一把，讲解分类" and case.resolved_at is not None
    kinds = list(CaseEvent.objects.filter(case=case).order_by("pk").values_list("kind", flat=True))
    assert kinds[0] == "submitted" and kinds[-1] == "resolved"
    intake = Intake.objects.get()
    assert (intake.station, intake.case_id, intake.on_the_spot, intake.recorded_by) == (desk, case.pk, True, w.steward)


def test_a_walk_in_request_stays_open_for_the_engine(client, w, desk):
    c = _login(client, w.steward)
    assert c.post(reverse("console:station_walk_in", args=[desk.pk]), {"title": "楼道灯坏了"}).status_code == 302
    case = Case.objects.get()
    assert case.status in t.OPEN and not case.on_the_spot and case.channel == "walk_in"
    assert Intake.objects.get().on_the_spot is False


@pytest.mark.parametrize(
    "data",
    [
        {"title": ""},
        {"title": "x", "solved_on_the_spot": "on", "result": "  "},
        {"title": "x", "result": "done"},
        {"title": "x", "reporter_phone": "12345"},
    ],
)
def test_bad_walk_ins_write_nothing(client, w, desk, data):
    response = _login(client, w.steward).post(reverse("console:station_walk_in", args=[desk.pk]), data)
    assert response.status_code == 400
    assert Case.objects.count() == 0 and Intake.objects.count() == 0 and CaseEvent.objects.count() == 0


def test_a_proxy_errand_for_a_resident_is_an_errand_case_on_their_behalf(client, w, desk):
    c = _login(client, w.steward)
    response = c.post(
        reverse("console:station_errand", args=[desk.pk]),
        {"matter": "elderly-card", "reporter_name": "王阿姨", "reporter_phone": "13812345678", "note": "行动不便"},
    )
    assert response.status_code == 302
    case = Case.objects.get()
    assert (case.kind, case.channel, case.title, case.category.code) == (
        "errand",
        "walk_in",
        "老年人优待证办理",
        "errands.proxy",
    )
    assert case.attributes["_on_behalf"] is True and case.attributes["_matter"] == "elderly-card"
    assert case.status in t.OPEN and case.resolve_due is not None and case.recorded_by == w.steward
    assert Intake.objects.get().matter.code == "elderly-card"
    # The resident's number finds it in 我的诉求 once they log in with it (the portal looks cases up by this index).
    assert case.reporter_phone_index == crypto.blind_index("13812345678")
    # The case page says it is handled for the resident, where, and which matter.
    page = c.get(reverse("console:case", args=[case.pk])).content.decode()
    on_behalf = page.split('id="on-behalf"')[1].split("</div>")[0]
    assert "Handled for the resident by 3号院小区管家服务点" in on_behalf and "老年人优待证办理" in on_behalf
    # A matter the station does not handle is refused, nothing written.
    response = c.post(
        reverse("console:station_errand", args=[desk.pk]),
        {"matter": "dibao", "reporter_name": "王阿姨", "reporter_phone": "13812345678"},
    )
    assert response.status_code == 400 and Case.objects.count() == 1


def test_the_day_report_counts_visitors_requests_on_the_spot_and_due_soon(client, w, desk):
    c = _login(client, w.steward)
    for _ in range(3):
        c.post(reverse("console:station_visit", args=[desk.pk]), {})
    c.post(
        reverse("console:station_walk_in", args=[desk.pk]),
        {"title": "借雨伞", "solved_on_the_spot": "on", "result": "借出"},
    )
    c.post(reverse("console:station_walk_in", args=[desk.pk]), {"title": "楼道灯坏了"})
    c.post(reverse("console:station_walk_in", args=[desk.pk]), {"title": "井盖松动"})
    late = Case.objects.get(title="井盖松动")
    Case.objects.filter(pk=late.pk).update(resolve_due=timeutil.now() + timedelta(days=3))
    Case.objects.filter(title="楼道灯坏了").update(resolve_due=timeutil.now() + timedelta(hours=5))
    response = c.get(reverse("analytics:station_day", args=[desk.pk]))
    assert response.status_code == 200
    figures = response.context["figures"]
    assert (figures.visitors, figures.requests, figures.on_the_spot, figures.still_open, figures.due_soon) == (
        3,
        3,
        1,
        2,
        1,
    )
    html = response.content.decode()
    assert "3 visitors, 3 requests, 1 solved on the spot, 1 due within 24 h (2 still open)" in html
    yesterday = (timeutil.local_today() - timedelta(days=1)).isoformat()
    assert (
        c.get(reverse("analytics:station_day", args=[desk.pk]) + f"?day={yesterday}").context["figures"].requests == 0
    )
    assert c.get(reverse("analytics:station_day", args=[desk.pk]) + "?day=2026-02-30").status_code == 400
    fragment = c.get(reverse("analytics:station_day", args=[desk.pk]), HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200 and "<html" not in fragment.content.decode()


@pytest.mark.parametrize("actor", ["other_dispatcher", "dept_staff", "resident"])
def test_staff_of_elsewhere_get_404_and_nothing_changes(client, w, desk, actor):
    c = _login(client, getattr(w, actor))
    for name in ("console:station", "console:station_edit", "console:station_rota", "analytics:station_day"):
        assert c.get(reverse(name, args=[desk.pk])).status_code == 404, name
    for name, data in (
        ("console:station_visit", {}),
        ("console:station_walk_in", {"title": "x"}),
        ("console:station_errand", {"matter": "elderly-card", "reporter_name": "a", "reporter_phone": "13812345678"}),
        ("console:station_rota", {"post": w.steward.posts.get().pk, "weekdays": [0], "starts": "8:00", "ends": "9:00"}),
    ):
        assert c.post(reverse(name, args=[desk.pk]), data).status_code == 404, name
    assert Visit.objects.count() == 0 and Case.objects.count() == 0 and DutyShift.objects.count() == 0


def test_anonymous_visitors_are_sent_to_the_login(client, w, desk):
    for name in ("console:station", "console:station_edit", "console:station_rota", "console:station_visit"):
        response = client.get(reverse(name, args=[desk.pk]))
        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
    assert client.get(reverse("console:stations")).status_code == 302


def test_a_steward_keeps_the_desk_but_may_not_set_up_or_change_the_rota(client, w, desk):
    c = _login(client, w.steward)
    assert c.get(reverse("console:station", args=[desk.pk])).status_code == 200
    assert c.get(reverse("console:station_edit", args=[desk.pk])).status_code == 403
    assert c.post(reverse("console:station_edit", args=[desk.pk]), {"name": "改名"}).status_code == 403
    assert c.get(reverse("console:station_rota", args=[desk.pk])).status_code == 403
    assert c.get(reverse("console:station_new")).status_code == 403
    desk.refresh_from_db()
    assert desk.name == "3号院小区管家服务点"


def test_community_staff_set_up_a_station_and_its_rota(client, w, desk):
    c = _login(client, w.dispatcher)
    data = {
        "name": "幸福驿站",
        "node": w.community.pk,
        "kind": "station",
        "tier": 2,
        "address": "幸福路 1 号",
        "lat": "30.01",
        "lon": "120.01",
        "items": [],
        "hours_0": "8:30-12:00, 14:00-17:30",
        "hours_5": "9:00-12:00",
        "closed_on_holidays": "on",
        "active": "on",
    }
    response = c.post(reverse("console:station_new"), data)
    assert response.status_code == 302
    made = Station.objects.get(name="幸福驿站")
    assert [(h.weekday, h.opens, h.closes) for h in made.hours.all()] == [
        (0, time(8, 30), time(12)),
        (0, time(14), time(17, 30)),
        (5, time(9), time(12)),
    ]
    assert (made.lat, made.lon, made.tier) == (30.01, 120.01, 2)
    bad = c.post(reverse("console:station_new"), {**data, "name": "另一个", "hours_1": "八点到十二点"})
    assert bad.status_code == 400 and not Station.objects.filter(name="另一个").exists()
    outside = c.post(reverse("console:station_new"), {**data, "name": "别处", "node": w.other_community.pk})
    assert outside.status_code == 400 and not Station.objects.filter(name="别处").exists()
    rota = reverse("console:station_rota", args=[made.pk])
    steward = w.steward.posts.get()
    response = c.post(rota, {"post": steward.pk, "weekdays": [4, 5], "starts": "20:00", "ends": "8:00"})
    assert response.status_code == 302
    assert sorted(made.shifts.values_list("weekday", flat=True)) == [4, 5]
    again = c.post(rota, {"post": steward.pk, "weekdays": [3, 4], "starts": "20:00", "ends": "8:00"})
    assert again.status_code == 400 and made.shifts.count() == 2  # the whole batch or nothing
    shift = made.shifts.first()
    assert c.post(rota, {"remove": shift.pk}).status_code == 302 and made.shifts.count() == 1
    assert c.post(rota, {"remove": "999999"}).status_code == 400
