"""A steward's shifts on the stations' rota, on their console page beside the commitments: the shifts of their post
(``stations.selectors.shifts_of_post``), a shift added at a station of their community through
``stations.services.add_shift`` and one removed through ``remove_shift``. Bad input is a 400 with its message, a
refusal of the service its status, another community's staff a 404 — and nothing is written."""

from __future__ import annotations

from datetime import time

import pytest
from django.urls import reverse

from gongzhi.stations import selectors as station_selectors
from gongzhi.stations.models import DutyShift
from gongzhi.stations.tests.factories import station
from gongzhi.volunteers import services
from gongzhi.volunteers.models import Steward
from gongzhi.volunteers.tests.factories import PeopleWorld, people_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def w() -> PeopleWorld:
    return people_world()


@pytest.fixture
def steward(w) -> Steward:
    return services.appoint(
        application=w.approved(), actor=w.staff, username="gj_rota", station_duty="周三上午驿站值班"
    )


@pytest.fixture
def stations(w):
    return {
        "here": station(w.micro_grid, "幸福小区驿站"),
        "centre": station(w.community, "幸福社区党群服务驿站"),
        "elsewhere": station(w.other_community, "别处驿站"),
    }


def _as(client, user):
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _add(client, steward, **data):
    fields = {"weekday": "2", "starts": "8:30", "ends": "12:00"}
    fields.update(data)
    return client.post(reverse("console:people_steward_shift_add", args=[steward.pk]), fields)


def _rows():
    return list(DutyShift.objects.order_by("pk").values_list("station__name", "post_id", "weekday", "starts", "ends"))


def test_the_page_shows_the_commitments_and_the_rota_beside_them(client, w, steward, stations):
    DutyShift.objects.create(
        station=stations["centre"], post=steward.post, weekday=4, starts=time(14), ends=time(17, 30)
    )
    DutyShift.objects.create(station=stations["here"], post=steward.post, weekday=0, starts=time(8, 30), ends=time(12))
    other = services.appoint(application=w.approved(phone="13500009999"), actor=w.staff, username="gj_other")
    DutyShift.objects.create(station=stations["here"], post=other.post, weekday=1, starts=time(9), ends=time(11))
    response = _as(client, w.staff).get(reverse("console:people_steward", args=[steward.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "周三上午驿站值班" in html  # the commitment stays
    shifts = response.context["shifts"]
    assert [(s.station.name, s.weekday, s.starts, s.ends) for s in shifts] == [
        ("幸福小区驿站", 0, time(8, 30), time(12)),
        ("幸福社区党群服务驿站", 4, time(14), time(17, 30)),
    ]
    assert "<strong>幸福小区驿站</strong> · Monday 08:30–12:00" in html
    assert "<strong>幸福社区党群服务驿站</strong> · Friday 14:00–17:30" in html
    assert "Tuesday 09:00" not in html  # another steward's shift
    choices = dict(response.context["shift_form"].fields["station"].choices)
    assert sorted(choices.values()) == ["幸福小区驿站", "幸福社区党群服务驿站"]  # the community's, not another's
    assert 'id="shift-form"' in html


def test_shifts_of_post_reads_one_posts_shifts_in_week_order(w, steward, stations):
    DutyShift.objects.create(station=stations["here"], post=steward.post, weekday=3, starts=time(9), ends=time(10))
    DutyShift.objects.create(station=stations["centre"], post=steward.post, weekday=1, starts=time(9), ends=time(10))
    DutyShift.objects.create(
        station=stations["here"], post=w.staff.posts.get(), weekday=0, starts=time(9), ends=time(10)
    )
    assert [(s.station.name, s.weekday) for s in station_selectors.shifts_of_post(steward.post)] == [
        ("幸福社区党群服务驿站", 1),
        ("幸福小区驿站", 3),
    ]


def test_community_staff_add_a_shift_and_it_shows(client, w, steward, stations):
    _as(client, w.staff)
    response = _add(client, steward, station=stations["here"].pk, starts="08:30", ends="12:00")
    assert response.status_code == 302
    assert response["Location"] == reverse("console:people_steward", args=[steward.pk])
    assert _rows() == [("幸福小区驿站", steward.post_id, 2, time(8, 30), time(12))]
    html = client.get(reverse("console:people_steward", args=[steward.pk])).content.decode()
    assert "<strong>幸福小区驿站</strong> · Wednesday 08:30–12:00" in html
    steward.refresh_from_db()
    assert steward.station_duty == "周三上午驿站值班"  # the free-text commitment is left as it was


def test_street_staff_may_add_one_at_the_community_centre(client, w, steward, stations):
    response = _add(_as(client, w.street_staff), steward, station=stations["centre"].pk, weekday="5", ends="7:00")
    assert response.status_code == 302
    assert _rows() == [("幸福社区党群服务驿站", steward.post_id, 5, time(8, 30), time(7))]  # past midnight


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"starts": "25:00"}, "Write a time as 8:30 or 20:00."),
        ({"ends": "noon"}, "Write a time as 8:30 or 20:00."),
        ({"weekday": "9"}, "Select a valid choice."),
        ({"weekday": ""}, "This field is required."),
        ({"station": "elsewhere"}, "Select a valid choice."),
        ({"station": "99999999999999999999"}, "Select a valid choice."),
    ],
)
def test_bad_input_is_a_400_with_its_message_and_nothing_written(client, w, steward, stations, data, message):
    if data.get("station") == "elsewhere":
        data = {"station": stations["elsewhere"].pk}
    data = {"station": stations["here"].pk, **data}
    response = _add(_as(client, w.staff), steward, **data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Check the shift&#x27;s fields." in html and message in html
    assert _rows() == []


def test_the_services_refusals_keep_their_status_and_write_nothing(client, w, steward, stations):
    _as(client, w.staff)
    response = _add(client, steward, station=stations["here"].pk, starts="9:00", ends="9:00")
    assert response.status_code == 400
    assert "a shift must not start and end at the same time" in response.content.decode()
    assert _rows() == []
    assert _add(client, steward, station=stations["here"].pk).status_code == 302
    again = _add(client, steward, station=stations["here"].pk, ends="11:00")
    assert again.status_code == 409 and "that shift is on the rota already" in again.content.decode()
    assert _rows() == [("幸福小区驿站", steward.post_id, 2, time(8, 30), time(12))]


def test_another_communitys_staff_can_neither_add_nor_remove(client, w, steward, stations):
    shift = DutyShift.objects.create(
        station=stations["here"], post=steward.post, weekday=0, starts=time(8, 30), ends=time(12)
    )
    before = _rows()
    _as(client, w.other_staff)
    assert client.get(reverse("console:people_steward", args=[steward.pk])).status_code == 404
    assert _add(client, steward, station=stations["here"].pk).status_code == 404
    # Even naming a station of their own community.
    assert _add(client, steward, station=stations["elsewhere"].pk).status_code == 404
    remove = reverse("console:people_steward_shift_remove", args=[steward.pk, shift.pk])
    assert client.post(remove).status_code == 404
    assert _rows() == before


def test_anonymous_and_a_leader_change_nothing(client, w, steward, stations):
    shift = DutyShift.objects.create(
        station=stations["here"], post=steward.post, weekday=0, starts=time(8, 30), ends=time(12)
    )
    before = _rows()
    response = _add(client, steward, station=stations["here"].pk)
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
    remove = reverse("console:people_steward_shift_remove", args=[steward.pk, shift.pk])
    assert client.post(remove).status_code == 302
    _as(client, w.leader)
    assert _add(client, steward, station=stations["here"].pk).status_code == 404
    assert client.post(remove).status_code == 404
    assert client.get(remove).status_code == 405
    assert _rows() == before


def test_remove_takes_one_of_the_stewards_shifts_off_and_no_one_elses(client, w, steward, stations):
    mine = DutyShift.objects.create(
        station=stations["here"], post=steward.post, weekday=0, starts=time(8, 30), ends=time(12)
    )
    theirs = DutyShift.objects.create(
        station=stations["here"], post=w.staff.posts.get(), weekday=0, starts=time(13), ends=time(17)
    )
    _as(client, w.staff)
    wrong = client.post(reverse("console:people_steward_shift_remove", args=[steward.pk, theirs.pk]))
    assert wrong.status_code == 404 and DutyShift.objects.filter(pk=theirs.pk).exists()
    huge = client.post(f"/console/people/stewards/{steward.pk}/shifts/99999999999999999999/remove/")
    assert huge.status_code == 404
    response = client.post(reverse("console:people_steward_shift_remove", args=[steward.pk, mine.pk]))
    assert response.status_code == 302
    assert list(DutyShift.objects.values_list("pk", flat=True)) == [theirs.pk]


def test_a_steward_who_stepped_down_is_put_on_no_rota(client, w, steward, stations):
    services.step_down(steward=steward, actor=w.staff, reason="搬家")
    _as(client, w.staff)
    html = client.get(reverse("console:people_steward", args=[steward.pk])).content.decode()
    assert 'id="shift-form"' not in html
    response = _add(client, steward, station=stations["here"].pk)
    assert response.status_code == 409 and "Only a serving steward can be put on a rota." in response.content.decode()
    assert _rows() == []


def test_a_community_without_stations_says_so(client, w, steward):
    html = _as(client, w.staff).get(reverse("console:people_steward", args=[steward.pk])).content.decode()
    assert 'id="no-stations"' in html and 'id="shift-form"' not in html
    response = _add(client, steward, station="1")
    assert response.status_code == 400 and _rows() == []
