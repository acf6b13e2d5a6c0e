"""The console's market pages (issue 26): the markets list with its figures, planning an event and a series, an event's
page (windows, a service from the projects list, prices, places per slot, masked bookings, booking for a resident
without a phone), each for the right roles, with refusals that say why and change nothing."""

from __future__ import annotations

from datetime import time, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from gongzhi.core import timeutil
from gongzhi.grid.models import Compound
from gongzhi.lists import services as lists
from gongzhi.market import services
from gongzhi.market.models import Booking, BookingEvent, Event, Offering, Series, Slot, Window
from gongzhi.market.tests.factories import MarketWorld, first_slot, market_world, phone, tomorrow
from gongzhi.stations.tests.factories import station

pytestmark = pytest.mark.django_db


@pytest.fixture
def w() -> MarketWorld:
    return market_world()


def _login(client, user):
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _project(w: MarketWorld, name: str = "理发", price: str = "20.00"):
    provider = lists.save_resource(actor=w.staff, node=w.community, name="阿芳理发店", kind="merchant")
    return lists.save_project(
        actor=w.staff,
        node=w.community,
        name=name,
        category="elderly",
        provider=provider,
        delivery="station",
        price=Decimal(price),
        status="active",
    )


def _snapshot() -> tuple:
    return (
        list(Event.objects.order_by("pk").values_list("pk", "status", "title")),
        list(Offering.objects.order_by("pk").values_list("pk", "list_price", "merchant_discount", "community_subsidy")),
        list(Slot.objects.order_by("pk").values_list("pk", "capacity", "taken")),
        list(Booking.objects.order_by("pk").values_list("pk", "status", "resident_pays", "declared_age")),
        Window.objects.count(),
        BookingEvent.objects.count(),
    )


# ---------------------------------------------------------------------------------------------------- who gets in


def test_anonymous_visitors_are_sent_to_log_in(client, w):
    e = w.event()
    for url in (
        reverse("console:markets"),
        reverse("console:market_event", args=[e.pk]),
        reverse("console:market_desk", args=[e.pk]),
        reverse("console:market_ledger"),
        reverse("console:market_event_new"),
    ):
        response = client.get(url)
        assert response.status_code == 302 and reverse("accounts:login") in response["Location"], url


def test_the_markets_page_lists_the_events_in_scope_with_their_figures(client, w):
    ours = w.event(title="幸福市集")
    w.offering(ours)
    theirs = w.event(actor=w.other_staff, node=w.other_community, title="别的社区市集")
    html = _login(client, w.staff).get(reverse("console:markets") + "?when=upcoming").content.decode()
    assert "幸福市集" in html and "别的社区市集" not in html
    assert 'data-figure="no_show_rate"' in html and 'id="plan-event"' in html
    # A steward of a micro-grid reads and keeps the stalls of their community's markets but plans none.
    html = _login(client, w.steward).get(reverse("console:markets") + "?when=upcoming").content.decode()
    assert "幸福市集" in html and 'id="plan-event"' not in html
    assert _login(client, w.other_staff).get(reverse("console:market_event", args=[ours.pk])).status_code == 404
    assert _login(client, w.staff).get(reverse("console:market_event", args=[theirs.pk])).status_code == 404
    # Another community in the filter is a 404 as well; an unknown period a 400.
    assert client.get(reverse("console:markets") + f"?node={w.other_community.pk}").status_code == 404
    assert client.get(reverse("console:markets") + "?when=someday").status_code == 400


def test_the_workbench_shows_for_market_posts_only(client, w):
    from gongzhi.accounts.tests.factories import UserFactory
    from gongzhi.grid import roles
    from gongzhi.grid.tests.factories import post

    html = _login(client, w.steward).get(reverse("console:inbox")).content.decode()
    assert 'data-nav="market"' in html
    resident = post(roles.LEADER, node=w.district).user  # a leader reads figures, keeps no market
    html = _login(client, resident).get(reverse("console:inbox")).content.decode()
    assert 'data-nav="market"' not in html
    assert client.get(reverse("console:markets")).status_code == 403
    nobody = UserFactory()
    assert _login(client, nobody).get(reverse("console:markets")).status_code == 403


def test_figures_count_bookings_served_no_shows_60_plus_and_subsidy(client, w):
    e = w.event()
    o = w.offering(e, per_slot=5)
    slot = first_slot(o)
    services.book(event_id=e.pk, slot_id=slot.pk, resident=services.Resident(phone=phone(1), age=68))
    services.book(event_id=e.pk, slot_id=slot.pk, resident=services.Resident(phone=phone(2), age=30))
    Event.objects.filter(pk=e.pk).update(day=timeutil.local_today())
    services.check_in(actor=w.staff, code=Booking.objects.get(declared_age=68).code)
    html = _login(client, w.staff).get(reverse("console:markets") + "?when=week").content.decode()
    figures = html.split('id="market-figures"')[1].split("</section>")[0]
    assert '<div data-figure="bookings"><dt>Bookings</dt><dd>2</dd>' in figures
    assert '<div data-figure="served"><dt>Served</dt><dd>1</dd>' in figures
    assert '<div data-figure="served_60"><dt>Served aged 60+</dt><dd>1</dd>' in figures
    assert '<div data-figure="subsidy"><dt>Subsidy spent (yuan)</dt><dd>15.00</dd>' in figures


# ---------------------------------------------------------------------------------------------------- planning


def test_plan_an_event_at_a_station(client, w):
    s = station(w.community, "幸福社区党群服务驿站")
    s.lat, s.lon = 30.2, 120.1
    s.save()
    c = _login(client, w.staff)
    assert c.get(reverse("console:market_event_new")).status_code == 200
    day = tomorrow()
    response = c.post(
        reverse("console:market_event_new"),
        {
            "node": w.community.pk,
            "kind": "market",
            "title": "幸福市集",
            "theme": "居家维修",
            "day": day.isoformat(),
            "starts": "09:00",
            "ends": "11:30",
            "place_kind": "station",
            "station": s.pk,
            "publish": "on",
        },
    )
    event = Event.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("console:market_event", args=[event.pk])
    assert (event.station_id, event.place_name, event.lat, event.status, event.day) == (
        s.pk,
        s.name,
        30.2,
        "published",
        day,
    )


def test_plan_an_event_at_a_point_or_a_compound_and_refusals(client, w):
    c = _login(client, w.staff)
    base = {
        "node": w.community.pk,
        "kind": "mobile",
        "title": "服务列车进小区",
        "day": tomorrow().isoformat(),
        "starts": "09:00",
        "ends": "11:30",
    }
    # A point needs the map; an end before the start is refused by the service; another community is no choice.
    response = c.post(reverse("console:market_event_new"), {**base, "place_kind": "point", "place_name": "广场"})
    assert response.status_code == 400 and "Tap the map" in response.content.decode()
    response = c.post(
        reverse("console:market_event_new"),
        {**base, "ends": "08:00", "place_kind": "point", "place_name": "广场", "lat": "30.1", "lon": "120.1"},
    )
    assert response.status_code == 400 and "An event must end after it starts." in response.content.decode()
    response = c.post(
        reverse("console:market_event_new"),
        {**base, "node": w.other_community.pk, "place_kind": "point", "place_name": "广场", "lat": "30", "lon": "120"},
    )
    assert response.status_code == 400
    assert Event.objects.count() == 0
    response = c.post(
        reverse("console:market_event_new"),
        {**base, "place_kind": "point", "place_name": "3号楼前广场", "lat": "30.1", "lon": "120.1"},
    )
    assert response.status_code == 302
    compound = Compound.objects.create(
        jurisdiction=w.community.jurisdiction, node=w.micro_grid, code="C1", name="幸福里小区", lat=30.3, lon=120.3
    )
    response = c.post(reverse("console:market_event_new"), {**base, "place_kind": "compound", "compound": compound.pk})
    assert response.status_code == 302
    point, at_compound = Event.objects.order_by("pk")
    assert (point.place_kind, point.place_name, point.lat, point.status) == ("point", "3号楼前广场", 30.1, "draft")
    assert (at_compound.compound_id, at_compound.place_name, at_compound.lat) == (compound.pk, "幸福里小区", 30.3)
    # A steward keeps stalls but plans nothing.
    assert _login(client, w.steward).get(reverse("console:market_event_new")).status_code == 403


def test_plan_a_recurring_series(client, w):
    c = _login(client, w.staff)
    first = timeutil.local_today() + timedelta(days=1)
    while first.weekday() != 0:
        first += timedelta(days=1)
    data = {
        "node": w.community.pk,
        "kind": "market",
        "title": "每周市集",
        "repeat": "weekly",
        "weekdays": ["0", "2"],
        "skip_holidays": "on",
        "first_day": first.isoformat(),
        "last_day": (first + timedelta(days=13)).isoformat(),
        "skip_days": (first + timedelta(days=7)).isoformat(),
        "starts": "09:00",
        "ends": "11:00",
        "place_kind": "point",
        "place_name": "社区广场",
        "lat": "30.2",
        "lon": "120.2",
    }
    assert c.post(reverse("console:market_series_new"), {**data, "skip_days": "yesterday"}).status_code == 400
    assert c.post(reverse("console:market_series_new"), {**data, "weekdays": []}).status_code == 400
    assert Series.objects.count() == 0 and Event.objects.count() == 0
    response = c.post(reverse("console:market_series_new"), data)
    assert response.status_code == 302
    series = Series.objects.get()
    days = sorted(series.events.values_list("day", flat=True))
    # Mondays and Wednesdays of two weeks, the second Monday left out (and any public holiday skipped).
    assert first + timedelta(days=7) not in days and len(days) <= 3 and first + timedelta(days=2) in days


# ---------------------------------------------------------------------------------------------------- the event


def test_add_a_service_from_the_projects_list_and_see_its_price_split(client, w):
    e = w.event()
    project = _project(w)
    c = _login(client, w.staff)
    page = c.get(reverse("console:market_event", args=[e.pk])).content.decode()
    assert "理发 · 阿芳理发店 · ¥20.00" in page
    response = c.post(
        reverse("console:market_offering", args=[e.pk]),
        {
            "project": project.pk,
            "list_price": "",
            "merchant_discount": "",
            "discount_percent": "25",
            "community_subsidy": "5",
            "free_rules_apply": "on",
            "slot_minutes": "30",
            "per_slot": "3",
            "per_resident": "1",
            "waiting_list": "on",
        },
    )
    assert response.status_code == 302
    o = Offering.objects.get()
    assert (o.project_id, o.name, o.provider, o.list_price, o.discount_percent, o.community_subsidy) == (
        project.pk,
        "理发",
        "阿芳理发店",
        Decimal("20.00"),
        Decimal("25.00"),
        Decimal("5.00"),
    )
    assert list(o.slots.values_list("capacity", flat=True)) == [3, 3, 3, 3]
    page = c.get(reverse("console:market_event", args=[e.pk])).content.decode()
    ordinary = page.split('data-quote="ordinary"')[1].split("</tr>")[0]
    free = page.split('data-quote="free"')[1].split("</tr>")[0]
    assert "¥5.00 (25%)" in ordinary and "<strong>¥10.00</strong>" in ordinary  # 20 − 5 − 5
    assert "<td>¥15.00</td>" in free and "<strong>¥0.00</strong>" in free  # the community covers the rest


def test_bad_prices_are_refused_and_change_nothing(client, w):
    e = w.event()
    o = w.offering(e)
    project = _project(w)
    c = _login(client, w.staff)
    before = _snapshot()
    offering = {"project": project.pk, "slot_minutes": "30", "per_slot": "2", "per_resident": "1"}
    for bad in (
        {"list_price": "abc"},
        {"list_price": "-5"},
        {"merchant_discount": "1e999"},
        {"community_subsidy": "99999999999"},
        {"discount_percent": "150"},
    ):
        response = c.post(reverse("console:market_offering", args=[e.pk]), {**offering, **bad})
        assert response.status_code == 400, bad
        assert 'id="market-error"' in response.content.decode() or "must be an amount" in response.content.decode()
    prices = {"list_price": "20", "merchant_discount": "5", "community_subsidy": "5", "per_resident": "1"}
    for bad in ({"list_price": "abc"}, {"community_subsidy": "-1"}, {"list_price": ""}, {"per_resident": "0"}):
        response = c.post(reverse("console:market_prices", args=[e.pk, o.pk]), {**prices, **bad})
        assert response.status_code == 400, bad
    response = c.post(reverse("console:market_prices", args=[e.pk, o.pk]), {**prices, "list_price": "abc"})
    assert "The list price must be an amount in yuan, 0 or more, e.g. 12.50." in response.content.decode()
    assert _snapshot() == before


def test_change_prices_keeps_the_bookings_made(client, w):
    e = w.event()
    o = w.offering(e)
    booking = services.book(event_id=e.pk, slot_id=first_slot(o).pk, resident=services.Resident(phone=phone(1)))
    c = _login(client, w.staff)
    response = c.post(
        reverse("console:market_prices", args=[e.pk, o.pk]),
        {"list_price": "30", "merchant_discount": "10", "community_subsidy": "10", "per_resident": "1"},
    )
    assert response.status_code == 302
    o.refresh_from_db()
    booking.refresh_from_db()
    assert (o.list_price, o.merchant_discount, o.free_rules_apply, o.waiting_list) == (
        Decimal("30.00"),
        Decimal("10.00"),
        False,
        False,
    )
    assert booking.resident_pays == Decimal("10.00") and booking.list_price == Decimal("20.00")


def test_capacity_per_slot_never_below_those_booked(client, w):
    e = w.event()
    o = w.offering(e, per_slot=2)
    slot = first_slot(o)
    services.book(event_id=e.pk, slot_id=slot.pk, resident=services.Resident(phone=phone(1)))
    services.book(event_id=e.pk, slot_id=slot.pk, resident=services.Resident(phone=phone(2)))
    c = _login(client, w.staff)
    before = _snapshot()
    response = c.post(reverse("console:market_capacity", args=[e.pk, slot.pk]), {"capacity": "1"})
    assert response.status_code == 409 and "2 places of this slot are booked already" in response.content.decode()
    assert c.post(reverse("console:market_capacity", args=[e.pk, slot.pk]), {"capacity": "x"}).status_code == 400
    assert c.post(reverse("console:market_capacity", args=[e.pk, slot.pk]), {"capacity": "-1"}).status_code == 400
    assert _snapshot() == before
    assert c.post(reverse("console:market_capacity", args=[e.pk, slot.pk]), {"capacity": "4"}).status_code == 302
    slot.refresh_from_db()
    assert (slot.capacity, slot.taken) == (4, 2)
    # A slot of another event (even one in scope) is not this event's.
    other = w.offering(w.event(title="另一天"))
    response = c.post(reverse("console:market_capacity", args=[e.pk, first_slot(other).pk]), {"capacity": "9"})
    assert response.status_code == 404
    # The steward keeps a stall, plans no capacity: refused, nothing written.
    before = _snapshot()
    response = _login(client, w.steward).post(
        reverse("console:market_capacity", args=[e.pk, slot.pk]), {"capacity": "9"}
    )
    assert response.status_code == 403 and _snapshot() == before


def test_windows_publish_and_cancel(client, w):
    e = w.event(kind="mobile", publish=False)
    c = _login(client, w.staff)
    assert (
        c.post(
            reverse("console:market_window", args=[e.pk]), {"title": "书记面对面", "staffed_by": "王书记"}
        ).status_code
        == 302
    )
    assert c.post(reverse("console:market_window", args=[e.pk]), {"title": "一站式窗口"}).status_code == 302
    assert c.post(reverse("console:market_window", args=[e.pk]), {"title": ""}).status_code == 400
    assert list(Window.objects.order_by("number").values_list("number", "title")) == [
        (1, "书记面对面"),
        (2, "一站式窗口"),
    ]
    assert c.post(reverse("console:market_publish", args=[e.pk])).status_code == 302
    e.refresh_from_db()
    assert e.status == "published"
    o = w.offering(e)
    services.book(event_id=e.pk, slot_id=first_slot(o).pk, resident=services.Resident(phone=phone(1)))
    assert c.post(reverse("console:market_cancel", args=[e.pk]), {"reason": ""}).status_code == 400
    assert c.post(reverse("console:market_cancel", args=[e.pk]), {"reason": "大风停办"}).status_code == 302
    e.refresh_from_db()
    assert e.status == "cancelled" and Booking.objects.get().status == "cancelled"
    response = c.post(reverse("console:market_publish", args=[e.pk]))
    assert response.status_code == 409 and "This event was cancelled." in response.content.decode()
    # Another community's staff cannot touch it.
    other = _login(client, w.other_staff)
    assert other.post(reverse("console:market_window", args=[e.pk]), {"title": "x"}).status_code == 404
    assert Window.objects.count() == 2


def test_bookings_are_listed_masked(client, w):
    e = w.event()
    o = w.offering(e)
    services.book(
        event_id=e.pk, slot_id=first_slot(o).pk, resident=services.Resident(phone="13912345678", name="张桂兰", age=70)
    )
    html = _login(client, w.staff).get(reverse("console:market_event", args=[e.pk])).content.decode()
    table = html.split('id="bookings-table"')[1].split("</table>")[0]
    assert "张*" in table and "139****5678" in table
    assert "张桂兰" not in html and "13912345678" not in html


def test_staff_book_for_a_resident_without_a_phone(client, w):
    e = w.event()
    o = w.offering(e)
    slot = first_slot(o)
    c = _login(client, w.steward)
    before = _snapshot()
    assert c.post(reverse("console:market_book", args=[e.pk]), {"slot": slot.pk, "name": ""}).status_code == 400
    assert (
        c.post(
            reverse("console:market_book", args=[e.pk]), {"slot": slot.pk, "name": "李大爷", "age": "200"}
        ).status_code
        == 400
    )
    assert _snapshot() == before
    response = c.post(reverse("console:market_book", args=[e.pk]), {"slot": slot.pk, "name": "李大爷", "age": "75"})
    assert response.status_code == 302
    booking = Booking.objects.get()
    assert (booking.on_behalf, booking.booked_by, booking.phone, booking.resident_pays, booking.status) == (
        True,
        w.steward,
        "",
        Decimal("0.00"),
        "confirmed",
    )
    assert BookingEvent.objects.get(booking=booking).note == "on behalf of the resident"
    html = c.get(reverse("console:market_event", args=[e.pk])).content.decode()
    assert "booked by staff" in html


def test_booking_a_past_or_full_slot_is_refused(client, w):
    e = w.event(day=timeutil.local_today())
    o = services.add_offering(
        actor=w.staff,
        event=e,
        data=services.OfferingInput(name="理发", list_price="20", per_slot=1, waiting_list=False),
    )[0]
    slots = list(o.slots.order_by("starts"))
    c = _login(client, w.staff)
    now = timeutil.now()
    past = [s for s in slots if s.starts <= now]
    future = [s for s in slots if s.starts > now]
    before = _snapshot()
    if past:  # a past slot is no choice any more
        assert (
            c.post(reverse("console:market_book", args=[e.pk]), {"slot": past[0].pk, "name": "李大爷"}).status_code
            == 400
        )
    if future:
        Slot.objects.filter(pk=future[0].pk).update(taken=1)
        before = _snapshot()
        response = c.post(reverse("console:market_book", args=[e.pk]), {"slot": future[0].pk, "name": "李大爷"})
        assert response.status_code == 409 and "This slot is full" in response.content.decode()
    assert _snapshot() == before


def test_a_slot_in_the_past_is_refused_by_the_service(client, w):
    """The form offers future slots only; a forged post of a past one is a 400 and nothing is written."""
    e = w.event(day=timeutil.local_today() - timedelta(days=1))
    o = w.offering(e)
    before = _snapshot()
    response = _login(client, w.staff).post(
        reverse("console:market_book", args=[e.pk]), {"slot": first_slot(o).pk, "name": "李大爷"}
    )
    assert response.status_code == 400 and _snapshot() == before


def test_event_pages_in_chinese(client, w):
    e = w.event(kind="mobile")
    w.offering(e)
    client.force_login(w.staff)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    for url in (
        reverse("console:markets") + "?when=upcoming",
        reverse("console:market_event", args=[e.pk]),
        reverse("console:market_desk", args=[e.pk]),
        reverse("console:market_ledger"),
        reverse("console:market_event_new"),
        reverse("console:market_series_new"),
    ):
        html = client.get(url).content.decode()
        for english in ("Check-in desk", "Subsidy ledger", "Plan an event", "Book for a resident", "Change prices"):
            assert english not in html, (url, english)
    html = client.get(reverse("console:market_event", args=[e.pk])).content.decode()
    assert "签到台" in html and "补贴台账" in html


def test_time_fields_are_validated(client, w):
    c = _login(client, w.staff)
    response = c.post(
        reverse("console:market_event_new"),
        {"node": w.community.pk, "kind": "market", "title": "x", "day": "2026-02-30", "starts": "9", "ends": "25:00"},
    )
    assert response.status_code == 400 and Event.objects.count() == 0


def test_a_service_for_the_whole_series(client, w):
    first = tomorrow()
    series = services.create_series(
        actor=w.staff,
        node=w.community,
        title="每日市集",
        first_day=first,
        last_day=first + timedelta(days=6),
        starts=time(9, 0),
        ends=time(10, 0),
        place=services.PlaceInput(kind="point", name="社区广场", lat=30.2, lon=120.2),
        repeat="weekly",
        weekdays=range(7),
        skip_holidays=False,
        publish=True,
    )
    days = list(series.events.order_by("day"))
    project = _project(w)
    response = _login(client, w.staff).post(
        reverse("console:market_offering", args=[days[2].pk]),
        {"project": project.pk, "slot_minutes": "30", "per_slot": "2", "per_resident": "1", "whole_series": "on"},
    )
    assert response.status_code == 302
    # From the day chosen to the end of the series, not before it.
    assert sorted(Offering.objects.values_list("event__day", flat=True)) == [e.day for e in days[2:]]
