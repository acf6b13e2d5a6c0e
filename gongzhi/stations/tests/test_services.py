"""Stations: set-up, rota, visitor log and the selectors the coverage computation and the resident pages use."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from gongzhi.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from gongzhi.grid import roles
from gongzhi.grid.tests.factories import post
from gongzhi.stations import selectors, services
from gongzhi.stations.models import DutyShift, OpeningHours, Station, Visit
from gongzhi.stations.services import Hours
from gongzhi.stations.tests.factories import Area, area, catalogue, station

pytestmark = pytest.mark.django_db

# A Wednesday, 10:00 in Asia/Shanghai; 2026-10-01 is National Day (a Thursday off).
WEDNESDAY_10 = datetime(2026, 12, 9, 2, 0, tzinfo=UTC)
NATIONAL_DAY_10 = datetime(2026, 10, 1, 2, 0, tzinfo=UTC)


@pytest.fixture
def w() -> Area:
    return area()


def test_community_staff_set_up_a_station_with_items_and_hours(w):
    items = catalogue()
    s = services.save_station(
        actor=w.dispatcher,
        node=w.community,
        name=" 幸福驿站 ",
        kind="station",
        tier=3,
        lat=30.1,
        lon=120.2,
        items=[items["drinking-water"], items["toilet"]],
        hours=[Hours(d, time(8, 30), time(17, 30)) for d in range(5)],
    )
    assert (s.name, s.node, s.tier, s.lat, s.lon, s.active) == ("幸福驿站", w.community, 3, 30.1, 120.2, True)
    assert sorted(i.code for i in s.items.all()) == ["drinking-water", "toilet"]
    assert OpeningHours.objects.filter(station=s).count() == 5
    check = selectors.tier_check(s)
    assert check.tier == 3 and "drinking-water" not in check.missing and len(check.missing) == 7
    # Editing replaces items and hours.
    services.save_station(actor=w.dispatcher, station=s, node=w.community, name="幸福驿站", tier=3, items=[])
    s.refresh_from_db()
    assert s.items.count() == 0 and s.hours.count() == 0


@pytest.mark.parametrize("actor", ["steward", "grid_worker", "other_dispatcher", "dept_staff", "resident"])
def test_others_may_not_set_up_stations_and_nothing_is_written(w, actor):
    with pytest.raises(PermissionDenied):
        services.save_station(actor=getattr(w, actor), node=w.community, name="x")
    assert Station.objects.count() == 0


def test_bad_station_input_is_refused(w):
    station(w.community, "幸福驿站")
    for bad in (
        {"name": "  "},
        {"name": "a", "lat": 30.0},
        {"name": "a", "lat": 91.0, "lon": 0.0},
        {"name": "a", "kind": "castle"},
        {"name": "a", "tier": 4},
        {"name": "a", "hours": [Hours(0, time(8), time(8))]},
    ):
        with pytest.raises(DomainError):
            services.save_station(actor=w.dispatcher, node=w.community, **bad)
    with pytest.raises(Conflict):
        services.save_station(actor=w.dispatcher, node=w.community, name="幸福驿站")
    assert Station.objects.count() == 1


def test_the_rota_says_who_is_on_duty_now(w):
    s = station(w.community, "幸福驿站")
    steward = w.steward.posts.get()
    worker = w.grid_worker.posts.get()
    services.add_shift(actor=w.dispatcher, station=s, post=steward, weekday=2, starts=time(8), ends=time(12))
    services.add_shift(actor=w.dispatcher, station=s, post=worker, weekday=2, starts=time(22), ends=time(6))
    assert selectors.on_duty(s, WEDNESDAY_10) == [steward]
    assert selectors.on_duty(s, datetime(2026, 12, 9, 20, 0, tzinfo=UTC)) == [worker]  # Thursday 04:00 local
    with pytest.raises(Conflict):
        services.add_shift(actor=w.dispatcher, station=s, post=steward, weekday=2, starts=time(8), ends=time(9))
    with pytest.raises(DomainError):
        services.add_shift(actor=w.dispatcher, station=s, post=steward, weekday=1, starts=time(8), ends=time(8))
    with pytest.raises(PermissionDenied):
        services.add_shift(actor=w.steward, station=s, post=steward, weekday=1, starts=time(8), ends=time(9))
    from gongzhi.grid.models import GridNode

    far_micro = GridNode.objects.filter(level="micro_grid", path__startswith=w.other_community.path).first()
    other = post(roles.STEWARD, node=far_micro)
    with pytest.raises(PermissionDenied):
        services.add_shift(actor=w.dispatcher, station=s, post=other, weekday=1, starts=time(8), ends=time(9))
    assert DutyShift.objects.filter(station=s).count() == 2
    steward.active = False
    steward.save()
    assert selectors.on_duty(s, WEDNESDAY_10) == []


def test_opening_hours_close_on_public_holidays(w):
    s = station(w.community, "幸福驿站", hours=[(d, time(8), time(18)) for d in range(7)])
    assert selectors.is_open(s, WEDNESDAY_10)
    assert not selectors.is_open(s, NATIONAL_DAY_10)
    s.closed_on_holidays = False
    s.save()
    assert selectors.is_open(s, NATIONAL_DAY_10)  # follows Sunday's hours


def test_visits_are_counted_at_the_desk_only(w):
    s = station(w.micro, "3号院管家点", kind="steward_point")
    visit = services.record_visit(actor=w.steward, station=s, purpose=" 喝水 ", at=WEDNESDAY_10)
    assert (visit.purpose, visit.recorded_by, visit.at) == ("喝水", w.steward, WEDNESDAY_10)
    for actor in ("other_dispatcher", "dept_staff", "resident"):
        with pytest.raises(PermissionDenied):
            services.record_visit(actor=getattr(w, actor), station=s)
    with pytest.raises(DomainError):
        services.record_visit(actor=w.steward, station=s, purpose="x" * 101)
    s.active = False
    s.save()
    with pytest.raises(Conflict):
        services.record_visit(actor=w.steward, station=s)
    assert Visit.objects.count() == 1
    log = selectors.day_log(s, WEDNESDAY_10.date())
    assert log.visitors == 1 and log.purposes == [("喝水", 1)]


def test_someone_on_the_rota_keeps_the_desk_outside_their_scope(w):
    s = station(w.other_community, "别的驿站")
    with pytest.raises(PermissionDenied):
        services.record_visit(actor=w.steward, station=s)
    with pytest.raises(NotFound):
        selectors.station_for(w.steward, s.pk)
    DutyShift.objects.create(station=s, post=w.steward.posts.get(), weekday=0, starts=time(8), ends=time(9))
    services.record_visit(actor=w.steward, station=s)
    assert selectors.station_for(w.steward, s.pk) == s
    assert s in selectors.stations_for(w.steward)


def test_public_stations_and_nearest(w):
    near = station(w.community, "近的", items=["drinking-water"], lat=30.0010, lon=120.0)
    far = station(w.micro, "远的", items=["drinking-water", "toilet"], lat=30.0100, lon=120.0)
    station(w.other_community, "别处", items=["toilet"], lat=30.0005, lon=120.0)
    station(w.community, "关了", active=False, lat=30.0, lon=120.0)
    assert set(selectors.public_stations(w.community)) == {near, far}
    assert len(selectors.public_stations()) == 3
    rows = selectors.nearest(w.district.jurisdiction_id, 30.0, 120.0, item="drinking-water")
    assert [r.station for r in rows] == [near, far]
    assert round(rows[0].metres) == 111 and rows[0].minutes == pytest.approx(111.2 * 1.3 / 1.2 / 60, rel=0.01)
    assert [r.station.name for r in selectors.nearest(w.district.jurisdiction_id, 30.0, 120.0, max_minutes=5)] == [
        "别处",
        "近的",
    ]


def test_install_catalogue_and_matters_are_idempotent(w):
    from gongzhi.stations.models import Matter, ServiceItem, TierRequirement

    assert services.install_catalogue() == 20
    assert services.install_catalogue() == 0
    assert ServiceItem.objects.count() == 20 and TierRequirement.objects.count() == 36
    one = station(w.street, "街道中心", tier=1)
    three = station(w.micro, "管家点", tier=3)
    assert services.install_matters(w.district.jurisdiction) == 15
    assert services.install_matters(w.district.jurisdiction) == 0
    residence = Matter.objects.get(code="residence-proof")
    assert set(residence.stations.all()) == {one, three}
    assert set(Matter.objects.get(code="dibao").stations.all()) == {one}
    assert Matter.objects.get(code="pension-check").stations.count() == 0
