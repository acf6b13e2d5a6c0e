"""The stall's check-in desk (issue 26): a scanned QR payload or a typed code, find by phone number, the age checked at
the stall with the price following it, walk-ups, closing the day — and a forged code, another event's booking and
another community's staff each refused with nothing written."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from gongzhi.core import timeutil
from gongzhi.market import services
from gongzhi.market.models import Booking, BookingEvent, Event, Slot
from gongzhi.market.tests.factories import MarketWorld, first_slot, market_world, phone

pytestmark = pytest.mark.django_db


@pytest.fixture
def w() -> MarketWorld:
    return market_world()


def _login(client, user):
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _today(event: Event) -> Event:
    """Booked tomorrow (a slot must lie ahead to be booked), held today: check-in opens on the event's day."""
    Event.objects.filter(pk=event.pk).update(day=timeutil.local_today())
    event.refresh_from_db()
    return event


def _booked(w: MarketWorld, *, age: int | None = None, number: int = 1, **resident):
    event = w.event()
    offering = w.offering(event)
    booking = services.book(
        event_id=event.pk,
        slot_id=first_slot(offering).pk,
        resident=services.Resident(phone=phone(number), name="张桂兰", age=age, **resident),
    )
    return _today(event), offering, booking


def _state() -> list:
    bookings = Booking.objects.order_by("pk").values_list(
        "pk", "status", "declared_age", "resident_pays", "subsidy", "age_checked", "served_at"
    )
    return [*bookings, BookingEvent.objects.count(), list(Slot.objects.order_by("pk").values_list("taken", flat=True))]


def test_the_scanner_types_the_qr_payload_and_the_booking_shows(client, w):
    event, _o, booking = _booked(w, age=45)
    c = _login(client, w.steward)
    url = reverse("console:market_desk", args=[event.pk])
    html = c.get(url).content.decode()
    assert 'id="scan"' in html and 'id="camera-button"' in html and "vendor/jsqr/jsQR.js" in html
    response = c.get(url, {"code": services.qr_payload(booking.code)})
    html = response.content.decode()
    assert response.status_code == 200 and f'data-code="{booking.code}"' in html
    assert "张*" in html and "139****0001" in html and "aged 45" in html
    assert 'id="booking-pays">¥10.00<' in html  # 20 − 5 − 5
    # Typed by hand, with spaces and in lower case, it is the same booking.
    spaced = " ".join(booking.code[i : i + 4] for i in range(0, 12, 4)).lower()
    assert f'data-code="{booking.code}"' in c.get(url, {"code": spaced}).content.decode()


def test_find_by_phone_number(client, w):
    event, _o, booking = _booked(w, age=45)
    c = _login(client, w.steward)
    url = reverse("console:market_desk", args=[event.pk])
    html = c.get(url, {"phone": "139 0000 0001"}).content.decode()
    assert f'data-code="{booking.code}"' in html
    html = c.get(url, {"phone": phone(2)}).content.decode()
    assert "No booking with this number at this event." in html
    assert c.get(url, {"phone": "12345"}).status_code == 400


def test_check_in_confirms_the_age_and_the_price_follows(client, w):
    event, _o, booking = _booked(w, age=58)
    assert booking.resident_pays == Decimal("10.00")
    c = _login(client, w.steward)
    # The ID card says 61: the stall corrects the age, the resident pays nothing and the community covers it.
    response = c.post(reverse("console:market_check_in", args=[event.pk]), {"code": booking.code, "age": "61"})
    assert response.status_code == 302 and response["Location"] == reverse("console:market_desk", args=[event.pk])
    booking.refresh_from_db()
    assert (booking.status, booking.declared_age, booking.age_checked) == ("served", 61, True)
    assert (booking.list_price, booking.discount, booking.subsidy, booking.resident_pays) == (
        Decimal("20.00"),
        Decimal("5.00"),
        Decimal("15.00"),
        Decimal("0.00"),
    )
    history = BookingEvent.objects.filter(booking=booking, action="checked_in").get()
    assert history.actor == w.steward and "declared age 58" in history.note
    page = c.get(reverse("console:market_desk", args=[event.pk])).content.decode()
    assert "Checked in: 理发" in page and "resident pays ¥0.00" in page
    # Twice is refused, and nothing changes.
    before = _state()
    response = c.post(reverse("console:market_check_in", args=[event.pk]), {"code": booking.code})
    assert response.status_code == 409 and "checked in already" in response.content.decode()
    assert _state() == before


def test_a_declared_60_plus_corrected_down_pays_the_ordinary_price(client, w):
    event, _o, booking = _booked(w, age=66)
    assert booking.resident_pays == Decimal("0.00")
    c = _login(client, w.staff)
    c.post(reverse("console:market_check_in", args=[event.pk]), {"code": booking.code, "age": "52"})
    booking.refresh_from_db()
    assert (booking.status, booking.resident_pays, booking.subsidy, booking.free_reason) == (
        "served",
        Decimal("10.00"),
        Decimal("5.00"),
        "",
    )


def test_a_dibao_household_ticked_at_the_stall_pays_nothing(client, w):
    event, _o, booking = _booked(w, age=40)
    c = _login(client, w.staff)
    html = c.get(reverse("console:market_desk", args=[event.pk]), {"code": booking.code}).content.decode()
    assert 'value="低保"' in html
    c.post(reverse("console:market_check_in", args=[event.pk]), {"code": booking.code, "age": "40", "groups": ["低保"]})
    booking.refresh_from_db()
    assert (booking.status, booking.resident_pays, booking.free_reason) == ("served", Decimal("0.00"), "group:低保")


def test_a_forged_or_unknown_code_is_refused(client, w):
    event, _o, _booking = _booked(w)
    c = _login(client, w.steward)
    before = _state()
    for forged in ("GZM:AAAABBBBCCCC", "NOT-A-CODE", "GZM:' OR 1=1 --"):
        response = c.get(reverse("console:market_desk", args=[event.pk]), {"code": forged})
        assert response.status_code == 404 and "No such booking at a market you keep." in response.content.decode()
        response = c.post(reverse("console:market_check_in", args=[event.pk]), {"code": forged, "age": "70"})
        assert response.status_code == 404
    assert _state() == before


def test_another_events_booking_is_not_checked_in_at_this_desk(client, w):
    _event, _o, booking = _booked(w)
    other = _today(w.event(title="另一场市集"))
    c = _login(client, w.staff)
    before = _state()
    response = c.get(reverse("console:market_desk", args=[other.pk]), {"code": booking.code})
    assert response.status_code == 409 and "not for this event" in response.content.decode()
    response = c.post(reverse("console:market_check_in", args=[other.pk]), {"code": booking.code})
    assert response.status_code == 409
    assert _state() == before


def test_another_communitys_staff_get_a_404_and_nothing_is_written(client, w):
    event, offering, booking = _booked(w)
    theirs = _today(w.event(actor=w.other_staff, node=w.other_community, title="别的社区市集"))
    c = _login(client, w.other_staff)
    before = _state()
    assert c.get(reverse("console:market_desk", args=[event.pk])).status_code == 404
    assert c.post(reverse("console:market_check_in", args=[event.pk]), {"code": booking.code}).status_code == 404
    assert c.post(reverse("console:market_walk_up", args=[event.pk]), {"offering": offering.pk}).status_code == 404
    assert c.post(reverse("console:market_close_day", args=[event.pk])).status_code == 404
    assert c.post(reverse("console:market_book", args=[event.pk]), {"name": "x"}).status_code == 404
    # At their own desk, our booking's code is unknown to them.
    response = c.get(reverse("console:market_desk", args=[theirs.pk]), {"code": booking.code})
    assert response.status_code == 404 and "No such booking at a market you keep." in response.content.decode()
    response = c.post(reverse("console:market_check_in", args=[theirs.pk]), {"code": booking.code})
    assert response.status_code == 404
    assert _state() == before
    assert Booking.objects.get(pk=booking.pk).status == "confirmed"


def test_check_in_only_on_the_events_day(client, w):
    event = w.event()
    offering = w.offering(event)
    booking = services.book(
        event_id=event.pk, slot_id=first_slot(offering).pk, resident=services.Resident(phone=phone(1))
    )
    c = _login(client, w.staff)
    html = c.get(reverse("console:market_desk", args=[event.pk])).content.decode()
    assert 'id="not-today"' in html
    before = _state()
    response = c.post(reverse("console:market_check_in", args=[event.pk]), {"code": booking.code})
    assert response.status_code == 400 and "Check-in is open on the event&#x27;s day only." in response.content.decode()
    assert (
        c.post(reverse("console:market_check_in", args=[event.pk]), {"code": booking.code, "age": "x"}).status_code
        == 400
    )
    assert (
        c.post(reverse("console:market_check_in", args=[event.pk]), {"code": booking.code, "age": "131"}).status_code
        == 400
    )
    assert _state() == before


def test_a_walk_up_takes_a_free_place(client, w):
    event, offering, _booking = _booked(w)
    c = _login(client, w.steward)
    before = _state()
    assert c.post(reverse("console:market_walk_up", args=[event.pk]), {"offering": "999999"}).status_code == 400
    assert (
        c.post(
            reverse("console:market_walk_up", args=[event.pk]), {"offering": offering.pk, "phone": "123"}
        ).status_code
        == 400
    )
    assert _state() == before
    response = c.post(
        reverse("console:market_walk_up", args=[event.pk]), {"offering": offering.pk, "name": "王大爷", "age": "72"}
    )
    slots_ahead = Slot.objects.filter(offering=offering, ends__gt=timeutil.now()).exists()
    if slots_ahead:
        assert response.status_code == 302
        walk = Booking.objects.get(walk_up=True)
        assert (walk.status, walk.resident_pays, walk.booked_by, walk.declared_age) == (
            "served",
            Decimal("0.00"),
            w.steward,
            72,
        )
    else:  # late at night every slot of today is over
        assert response.status_code == 409 and _state() == before


def test_close_the_day_marks_no_shows(client, w):
    event, _o, booking = _booked(w)
    # The slot is over: move it into the past (the event is today).
    now = timeutil.now()
    Slot.objects.filter(pk=booking.slot_id).update(starts=now - timedelta(hours=2), ends=now - timedelta(hours=1))
    c = _login(client, w.steward)
    response = c.post(reverse("console:market_close_day", args=[event.pk]))
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == "no_show"
    assert "1 bookings marked as not come" in c.get(reverse("console:market_desk", args=[event.pk])).content.decode()


def test_the_desk_for_roles(client, w):
    event, _o, _b = _booked(w)
    assert _login(client, w.staff).get(reverse("console:market_desk", args=[event.pk])).status_code == 200
    assert _login(client, w.steward).get(reverse("console:market_desk", args=[event.pk])).status_code == 200
    assert _login(client, w.leader).get(reverse("console:market_desk", args=[event.pk])).status_code == 404
    client.logout()
    response = client.get(reverse("console:market_desk", args=[event.pk]))
    assert response.status_code == 302
