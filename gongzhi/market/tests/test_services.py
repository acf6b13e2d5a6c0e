"""The market's use cases: planning, booking, the waiting list, cancelling, the stall, the worker, the ledger — and
every refusal writes nothing."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from gongzhi.core import crypto, timeutil
from gongzhi.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from gongzhi.market import selectors, services
from gongzhi.market.choices import BookingAction, BookingStatus, EventStatus
from gongzhi.market.models import Booking, BookingEvent, Event, Offering, Slot
from gongzhi.market.services import OfferingInput, PlaceInput, Resident
from gongzhi.market.tests.factories import first_slot, market_world, phone, tomorrow
from gongzhi.notifications.models import SmsMessage

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def w():
    return market_world()


def snapshot():
    return (
        Booking.objects.count(),
        BookingEvent.objects.count(),
        list(Slot.objects.order_by("pk").values_list("taken", flat=True)),
        list(Booking.objects.order_by("pk").values_list("status", flat=True)),
        SmsMessage.objects.count(),
    )


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


# ---------------------------------------------------------------------------------------------------- planning


def test_an_event_gets_its_slots(w):
    event = w.event()
    offering = w.offering(event, slot_minutes=30, per_slot=3)
    slots = list(offering.slots.order_by("starts"))
    assert [timeutil.local(s.starts).time() for s in slots] == [time(9), time(9, 30), time(10), time(10, 30)]
    assert {s.capacity for s in slots} == {3} and {s.taken for s in slots} == {0}
    assert event.status == EventStatus.PUBLISHED and event.place_name == "社区广场"


def test_a_series_follows_the_working_calendar_and_offerings_copy_to_later_days(w):
    series = services.create_series(
        actor=w.staff,
        node=w.community,
        title="每日市集",
        first_day=date(2025, 9, 26),
        last_day=date(2025, 10, 10),
        starts=time(9),
        ends=time(11),
        place=PlaceInput(kind="point", name="社区服务中心", lat=30.1, lon=120.1),
        publish=True,
    )
    days = list(series.events.order_by("day").values_list("day", flat=True))
    # 26, 28 (调休 Sunday), 29, 30 September; 9 and 10 October (11th is a worked Saturday but after the last day).
    assert days == [
        date(2025, 9, 26),
        date(2025, 9, 28),
        date(2025, 9, 29),
        date(2025, 9, 30),
        date(2025, 10, 9),
        date(2025, 10, 10),
    ]
    second = series.events.order_by("day")[1]
    made = services.add_offering(
        actor=w.staff, event=second, data=OfferingInput(name="磨刀", list_price="10"), whole_series=True
    )
    assert [o.event.day for o in made] == days[1:]
    assert Offering.objects.filter(event__series=series).count() == 5


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"list_price": "abc"}, "must be an amount"),
        ({"list_price": "-1"}, "must be an amount"),
        ({"community_subsidy": "1e400"}, "amount"),
        ({"discount_percent": "120"}, "at most 100"),
        ({"per_slot": 0}, "from 1 to 500"),
        ({"slot_minutes": 600}, "from 5 to 480"),
        ({"name": "  "}, "required"),
        ({"starts": time(8), "ends": time(10)}, "within the event's hours"),
        ({"slot_minutes": 180}, "longer than the service's hours"),
    ],
)
def test_bad_offerings_are_refused_and_nothing_is_written(w, change, message):
    event = w.event()
    data = {"name": "理发", "list_price": "20", **change}
    with pytest.raises(DomainError, match=message):
        services.add_offering(actor=w.staff, event=event, data=OfferingInput(**data))
    assert not Offering.objects.exists() and not Slot.objects.exists()


def test_only_the_communitys_planners_plan(w):
    event = w.event()
    for actor in (w.other_staff, w.steward, w.leader):
        with pytest.raises(PermissionDenied):
            services.add_offering(actor=actor, event=event, data=OfferingInput(name="理发", list_price="20"))
        with pytest.raises(PermissionDenied):
            w.event(actor=actor)
    assert Event.objects.count() == 1 and not Offering.objects.exists()


def test_bad_places_and_times(w):
    with pytest.raises(DomainError, match="end after"):
        w.event(starts=time(11), ends=time(9))
    with pytest.raises(DomainError, match="on the map"):
        w.event(place=PlaceInput(kind="point", name="广场"))
    with pytest.raises(DomainError, match="station"):
        w.event(place=PlaceInput(kind="station", name="驿站"))
    with pytest.raises(DomainError, match="not valid"):
        w.event(place=PlaceInput(kind="point", name="广场", lat=95, lon=120))
    assert not Event.objects.exists()


# ---------------------------------------------------------------------------------------------------- booking


def test_a_68_year_old_books_a_haircut_for_nothing_and_the_split_is_kept(w):
    offering = w.offering(w.event())
    slot = first_slot(offering)
    booking = services.book(
        event_id=offering.event_id, slot_id=slot.pk, resident=Resident(phone=phone(1), name="王阿姨", age=68)
    )
    assert booking.status == BookingStatus.CONFIRMED
    assert (booking.list_price, booking.discount, booking.subsidy, booking.resident_pays) == (
        D("20.00"),
        D("5.00"),
        D("15.00"),
        D("0.00"),
    )
    assert booking.free_reason == "age≥60"
    stored = Booking.objects.get(pk=booking.pk)
    assert stored.phone == "13900000001" and stored.phone_index == crypto.blind_index("13900000001")
    assert Slot.objects.get(pk=slot.pk).taken == 1
    assert list(stored.history.values_list("action", flat=True)) == [BookingAction.BOOKED]
    # she booked on her phone and sees the booking there: no text message (one booked by staff gets one)
    assert not SmsMessage.objects.filter(kind="market.booked").exists()
    # the number is encrypted at rest
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT phone, name FROM market_booking WHERE id = %s", [booking.pk])
        raw_phone, raw_name = cursor.fetchone()
    assert "13900000001" not in raw_phone and "王阿姨" not in raw_name


def test_an_ordinary_resident_pays_the_rest_and_a_later_price_change_does_not_rewrite_history(w):
    offering = w.offering(w.event())
    booking = services.book(
        event_id=offering.event_id, slot_id=first_slot(offering).pk, resident=Resident(phone=phone(2), age=40)
    )
    assert booking.resident_pays == D("10.00") and booking.free_reason == ""
    services.change_prices(
        actor=w.staff,
        offering=offering,
        data=OfferingInput(name="理发", provider="阿芳", list_price="30", community_subsidy="2"),
    )
    booking.refresh_from_db()
    assert (booking.list_price, booking.resident_pays) == (D("20.00"), D("10.00"))
    later = services.book(
        event_id=offering.event_id, slot_id=first_slot(offering).pk, resident=Resident(phone=phone(3), age=40)
    )
    assert (later.list_price, later.discount, later.subsidy, later.resident_pays) == (
        D("30.00"),
        D("0.00"),
        D("2.00"),
        D("28.00"),
    )


def test_a_dibao_household_pays_nothing(w):
    offering = w.offering(w.event())
    booking = services.book(
        event_id=offering.event_id,
        slot_id=first_slot(offering).pk,
        resident=Resident(phone=phone(4), age=45, groups=("低保",)),
    )
    assert booking.resident_pays == D("0.00") and booking.free_reason == "group:低保"


def test_full_slot_puts_residents_on_the_waiting_list_and_a_cancellation_promotes_exactly_one(w):
    offering = w.offering(w.event(), per_slot=1)
    slot = first_slot(offering)
    first = services.book(event_id=offering.event_id, slot_id=slot.pk, resident=Resident(phone=phone(10)))
    waiting = [
        services.book(event_id=offering.event_id, slot_id=slot.pk, resident=Resident(phone=phone(11 + n)))
        for n in range(3)
    ]
    assert first.status == BookingStatus.CONFIRMED
    assert [b.status for b in waiting] == [BookingStatus.WAITING] * 3
    assert [selectors.waiting_position(b) for b in waiting] == [1, 2, 3]
    services.cancel(code=first.code, phone_index=crypto.blind_index(phone(10)))
    statuses = [Booking.objects.get(pk=b.pk).status for b in waiting]
    assert statuses == [BookingStatus.CONFIRMED, BookingStatus.WAITING, BookingStatus.WAITING]
    assert Slot.objects.get(pk=slot.pk).taken == 1
    promoted = SmsMessage.objects.filter(kind="market.promoted")
    assert promoted.count() == 1 and promoted.get().phone == phone(11)
    # the waiting one cancelling frees nothing; the confirmed one cancelling promotes the next
    services.cancel(code=waiting[2].code, phone_index=crypto.blind_index(phone(13)))
    services.cancel(code=waiting[0].code, phone_index=crypto.blind_index(phone(11)))
    assert Booking.objects.get(pk=waiting[1].pk).status == BookingStatus.CONFIRMED
    assert Slot.objects.get(pk=slot.pk).taken == 1
    # nobody waiting: the place goes back
    services.cancel(code=waiting[1].code, phone_index=crypto.blind_index(phone(12)))
    assert Slot.objects.get(pk=slot.pk).taken == 0


def test_full_slot_without_waiting_list_is_refused(w):
    offering = w.offering(w.event(), per_slot=1, waiting_list=False)
    slot = first_slot(offering)
    services.book(event_id=offering.event_id, slot_id=slot.pk, resident=Resident(phone=phone(20)))
    before = snapshot()
    with pytest.raises(Conflict, match="full"):
        services.book(event_id=offering.event_id, slot_id=slot.pk, resident=Resident(phone=phone(21)))
    assert snapshot() == before


def test_bad_bookings_are_refused_and_nothing_is_written(w):
    event = w.event()
    offering = w.offering(event)
    slot = first_slot(offering)
    other_event = w.event(title="另一场")
    other_slot = first_slot(w.offering(other_event))
    past_event = w.event(day=timeutil.local_today() - timedelta(days=1), title="昨天")
    past_slot = first_slot(w.offering(past_event))
    draft = w.event(publish=False, title="草稿")
    draft_slot = first_slot(w.offering(draft))
    services.book(event_id=event.pk, slot_id=slot.pk, resident=Resident(phone=phone(30)))
    before = snapshot()
    cases = [
        (NotFound, {"event_id": event.pk, "slot_id": other_slot.pk, "resident": Resident(phone=phone(31))}),
        (NotFound, {"event_id": event.pk, "slot_id": 999999, "resident": Resident(phone=phone(31))}),
        (DomainError, {"event_id": past_event.pk, "slot_id": past_slot.pk, "resident": Resident(phone=phone(31))}),
        (DomainError, {"event_id": draft.pk, "slot_id": draft_slot.pk, "resident": Resident(phone=phone(31))}),
        (Conflict, {"event_id": event.pk, "slot_id": slot.pk, "resident": Resident(phone=phone(30))}),
        (Conflict, {"event_id": event.pk, "slot_id": slot.pk + 1, "resident": Resident(phone="+86 139-0000-0030")}),
        (DomainError, {"event_id": event.pk, "slot_id": slot.pk, "resident": Resident(phone="")}),
        (DomainError, {"event_id": event.pk, "slot_id": slot.pk, "resident": Resident(phone="12345")}),
        (DomainError, {"event_id": event.pk, "slot_id": slot.pk, "resident": Resident(phone=phone(32), age="abc")}),
        (DomainError, {"event_id": event.pk, "slot_id": slot.pk, "resident": Resident(phone=phone(32), age=200)}),
    ]
    for error, kwargs in cases:
        with pytest.raises(error):
            services.book(**kwargs)
        assert snapshot() == before, kwargs


def test_a_slot_that_has_begun_cannot_be_booked(w):
    event = w.event(day=timeutil.local_today())
    offering = w.offering(event)
    slot = first_slot(offering)
    with pytest.raises(DomainError, match="begun"):
        services.book(event_id=event.pk, slot_id=slot.pk, resident=Resident(phone=phone(1)), now=slot.starts)
    assert not Booking.objects.exists()


def test_per_resident_limit_when_configured(w):
    offering = w.offering(w.event(), per_resident=2)
    slots = list(offering.slots.order_by("starts"))
    for s in slots[:2]:
        services.book(event_id=offering.event_id, slot_id=s.pk, resident=Resident(phone=phone(40)))
    with pytest.raises(Conflict):
        services.book(event_id=offering.event_id, slot_id=slots[2].pk, resident=Resident(phone=phone(40)))
    assert Booking.objects.count() == 2


def test_staff_book_on_behalf_of_a_resident_without_a_phone(w):
    offering = w.offering(w.event())
    booking = services.book(
        event_id=offering.event_id,
        slot_id=first_slot(offering).pk,
        resident=Resident(name="李大爷", age=81),
        actor=w.steward,
    )
    assert booking.on_behalf and booking.booked_by == w.steward and booking.phone == ""
    assert not SmsMessage.objects.exists()  # no phone, no text
    event = booking.history.get()
    assert event.actor == w.steward and event.note == "on behalf of the resident"
    with pytest.raises(PermissionDenied):
        services.book(
            event_id=offering.event_id,
            slot_id=first_slot(offering).pk,
            resident=Resident(name="张三", age=81),
            actor=w.other_staff,
        )
    with pytest.raises(DomainError, match="name"):
        services.book(
            event_id=offering.event_id, slot_id=first_slot(offering).pk, resident=Resident(age=81), actor=w.steward
        )
    assert Booking.objects.count() == 1


def test_cancel_rules(w):
    offering = w.offering(w.event())
    slot = first_slot(offering)
    booking = services.book(event_id=offering.event_id, slot_id=slot.pk, resident=Resident(phone=phone(50)))
    before = snapshot()
    with pytest.raises(NotFound):  # another resident
        services.cancel(code=booking.code, phone_index=crypto.blind_index(phone(51)))
    with pytest.raises(NotFound):  # nobody
        services.cancel(code=booking.code)
    with pytest.raises(DomainError, match="until 2 hours"):  # past the cut-off
        services.cancel(
            code=booking.code, phone_index=booking.phone_index, now=slot.starts - timedelta(hours=1, minutes=59)
        )
    with pytest.raises(NotFound):  # another community's desk
        services.cancel(code=booking.code, actor=w.other_staff)
    assert snapshot() == before
    # the desk may cancel until the slot begins
    services.cancel(code=booking.code, actor=w.steward, reason="电话告知", now=slot.starts - timedelta(minutes=5))
    assert Booking.objects.get(pk=booking.pk).status == BookingStatus.CANCELLED
    with pytest.raises(Conflict):
        services.cancel(code=booking.code, phone_index=booking.phone_index)


# ---------------------------------------------------------------------------------------------------- the stall


def test_check_in_confirms_or_corrects_the_age_and_the_price_follows(w):
    event = w.event(day=timeutil.local_today() + timedelta(days=1))
    offering = w.offering(event)
    slot = first_slot(offering)
    says_68 = services.book(event_id=event.pk, slot_id=slot.pk, resident=Resident(phone=phone(60), age=68))
    says_40 = services.book(event_id=event.pk, slot_id=slot.pk, resident=Resident(phone=phone(61), age=40))
    day = at(event.day, 9, 5)
    # the stall finds she is 58: she pays the ordinary price as booked
    checked = services.check_in(actor=w.steward, code=services.qr_payload(says_68.code), age=58, now=day)
    assert checked.status == BookingStatus.SERVED and checked.age_checked
    assert (checked.subsidy, checked.resident_pays, checked.free_reason) == (D("5.00"), D("10.00"), "")
    assert "checked 58" in checked.history.get(action=BookingAction.CHECKED_IN).note
    # he is 72 after all: free
    checked = services.check_in(actor=w.steward, code=says_40.code.lower(), age=72, now=day)
    assert (checked.subsidy, checked.resident_pays) == (D("15.00"), D("0.00"))
    with pytest.raises(Conflict, match="already"):
        services.check_in(actor=w.steward, code=says_40.code, now=day)


def test_check_in_refusals_write_nothing(w):
    event = w.event()
    offering = w.offering(event, per_slot=1)
    slot = first_slot(offering)
    booking = services.book(event_id=event.pk, slot_id=slot.pk, resident=Resident(phone=phone(70), age=68))
    waiting = services.book(event_id=event.pk, slot_id=slot.pk, resident=Resident(phone=phone(71), age=68))
    day = at(event.day, 9, 5)
    before = snapshot()
    for actor, code, now, error in [
        (w.steward, "GZM:AAAAAAAAAAAA", day, NotFound),  # forged
        (w.other_staff, booking.code, day, NotFound),  # another community's stall
        (w.leader, booking.code, day, NotFound),  # keeps no stall
        (w.steward, booking.code, day - timedelta(days=1), DomainError),  # not the event's day
        (w.steward, waiting.code, day, Conflict),  # on the waiting list
    ]:
        with pytest.raises(error):
            services.check_in(actor=actor, code=code, now=now)
        assert snapshot() == before


def test_walk_ups_take_a_free_place_and_close_day_marks_no_shows(w):
    event = w.event()
    offering = w.offering(event, per_slot=1)
    slots = list(offering.slots.order_by("starts"))
    booked = services.book(event_id=event.pk, slot_id=slots[0].pk, resident=Resident(phone=phone(80)))
    walk = services.walk_up(
        actor=w.steward, offering=offering, resident=Resident(name="赵", age=75), now=at(event.day, 9, 10)
    )
    assert walk.status == BookingStatus.SERVED and walk.walk_up and walk.slot_id == slots[1].pk
    assert walk.resident_pays == D("0.00")
    with pytest.raises(NotFound):
        services.walk_up(actor=w.other_staff, offering=offering, resident=Resident(), now=at(event.day, 9, 10))
    marked = services.close_day(actor=w.steward, event=event, now=at(event.day, 12))
    assert marked == 1 and Booking.objects.get(pk=booking_pk(booked)).status == BookingStatus.NO_SHOW
    for _ in range(2):
        services.walk_up(actor=w.steward, offering=offering, resident=Resident(), now=at(event.day, 9, 10))
    with pytest.raises(Conflict, match="No free place"):
        services.walk_up(actor=w.steward, offering=offering, resident=Resident(), now=at(event.day, 9, 10))


def booking_pk(b: Booking) -> int:
    return b.pk


def test_cancelling_an_event_tells_everyone(w):
    event = w.event()
    offering = w.offering(event)
    for n in range(3):
        services.book(event_id=event.pk, slot_id=first_slot(offering).pk, resident=Resident(phone=phone(90 + n)))
    told = services.cancel_event(actor=w.staff, event=event, reason="大风天气")
    assert told == 3
    assert set(Booking.objects.values_list("status", flat=True)) == {BookingStatus.CANCELLED}
    assert SmsMessage.objects.filter(kind="market.event_cancelled").count() == 3
    assert set(Slot.objects.filter(offering=offering).values_list("taken", flat=True)) == {0}


def test_capacity_cannot_drop_below_what_is_booked_and_more_room_promotes(w):
    offering = w.offering(w.event(), per_slot=1)
    slot = first_slot(offering)
    services.book(event_id=offering.event_id, slot_id=slot.pk, resident=Resident(phone=phone(100)))
    waiting = services.book(event_id=offering.event_id, slot_id=slot.pk, resident=Resident(phone=phone(101)))
    with pytest.raises(Conflict):
        services.set_capacity(actor=w.staff, slot=slot, capacity=0)
    services.set_capacity(actor=w.staff, slot=slot, capacity=3)
    assert Booking.objects.get(pk=waiting.pk).status == BookingStatus.CONFIRMED
    assert Slot.objects.get(pk=slot.pk).taken == 2


# ---------------------------------------------------------------------------------------------------- the worker


def test_reminders_go_once_the_day_before(w):
    offering = w.offering(w.event(day=tomorrow()))
    services.book(event_id=offering.event_id, slot_id=first_slot(offering).pk, resident=Resident(phone=phone(110)))
    services.book(
        event_id=offering.event_id, slot_id=first_slot(offering).pk, resident=Resident(name="x"), actor=w.steward
    )
    assert services.send_reminders() == 1
    assert services.send_reminders() == 0
    assert SmsMessage.objects.filter(kind="market.reminder").count() == 1


def test_no_shows_are_marked_for_past_days(w):
    offering = w.offering(w.event(), per_slot=1)
    slot = first_slot(offering)
    confirmed = services.book(event_id=offering.event_id, slot_id=slot.pk, resident=Resident(phone=phone(120)))
    waiting = services.book(event_id=offering.event_id, slot_id=slot.pk, resident=Resident(phone=phone(121)))
    assert services.mark_no_shows(now=at(offering.event.day, 23)) == 0  # not before the day is over
    assert services.mark_no_shows(now=at(offering.event.day + timedelta(days=1), 1)) == 1
    assert Booking.objects.get(pk=confirmed.pk).status == BookingStatus.NO_SHOW
    assert Booking.objects.get(pk=waiting.pk).status == BookingStatus.CANCELLED


# ---------------------------------------------------------------------------------------------------- the ledger


def test_the_ledger_adds_up_to_the_bookings_served(w):
    event = w.event()
    haircut = w.offering(event, per_slot=5)
    repair = w.offering(
        event,
        name="家电维修",
        provider="老周维修",
        list_price="50",
        merchant_discount="0",
        discount_percent="20",
        community_subsidy="10",
        per_slot=5,
    )
    day = at(event.day, 9, 5)
    for n, (offering, age) in enumerate([(haircut, 68), (haircut, 30), (repair, 70), (repair, 45), (repair, 45)]):
        b = services.book(
            event_id=event.pk, slot_id=first_slot(offering).pk, resident=Resident(phone=phone(200 + n), age=age)
        )
        if n != 4:
            services.check_in(actor=w.steward, code=b.code, now=day)
    ledger = selectors.ledger(Event.objects.filter(pk=event.pk))
    rows = {(r.service, r.provider): r for r in ledger.rows}
    hair, fix = rows[("理发", "阿芳理发店")], rows[("家电维修", "老周维修")]
    assert (hair.served, hair.free, hair.list_value, hair.discount, hair.subsidy, hair.paid) == (
        2,
        1,
        D("40.00"),
        D("10.00"),
        D("20.00"),
        D("10.00"),
    )
    # 50 list, 20 % = 10 off; 70-year-old: subsidy 40; 45-year-old: subsidy 10, pays 30
    assert (fix.served, fix.free, fix.list_value, fix.discount, fix.subsidy, fix.paid) == (
        2,
        1,
        D("100.00"),
        D("20.00"),
        D("50.00"),
        D("30.00"),
    )
    served = Booking.objects.filter(status=BookingStatus.SERVED)
    t = ledger.total
    assert t.served == served.count() == 4
    assert t.list_value == sum(b.list_price for b in served) == t.discount + t.subsidy + t.paid
    assert t.subsidy == sum(b.subsidy for b in served) == D("70.00")


def test_a_booking_made_by_staff_for_a_resident_with_a_phone_is_texted(w):
    offering = w.offering(w.event())
    booking = services.book(
        event_id=offering.event_id,
        slot_id=first_slot(offering).pk,
        resident=Resident(phone=phone(130), name="周奶奶", age=77),
        actor=w.steward,
    )
    sms = SmsMessage.objects.get(kind="market.booked")
    assert sms.phone == phone(130) and booking.code in sms.body


def test_booking_codes_use_the_alphabet_read_out_at_a_stall():
    codes = {services._new_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(c) == services.CODE_LENGTH and set(c) <= set(services.CODE_ALPHABET) for c in codes)
    assert len(services.CODE_ALPHABET) == 32
