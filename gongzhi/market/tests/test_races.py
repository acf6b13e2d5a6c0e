"""Booking races at capacity on PostgreSQL: 50 residents book the last 5 places of a slot at once (threads, each with
its own connection, released together by a barrier). Exactly 5 are confirmed and the rest wait (or, without a waiting
list, are told it is full); the slot is never overbooked; a cancellation then promotes exactly one waiting resident,
who is sent a text message."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection, connections

from gongzhi.core import crypto
from gongzhi.core.errors import Conflict
from gongzhi.market import services
from gongzhi.market.models import Booking, Slot
from gongzhi.market.tests.factories import first_slot, market_world, phone
from gongzhi.notifications.models import SmsMessage

RESIDENTS = 50
PLACES = 5


def _race(event_id: int, slot_id: int) -> Counter[str]:
    barrier = threading.Barrier(RESIDENTS)
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def book(n: int) -> None:
        try:
            barrier.wait(timeout=20)
            booking = services.book(
                event_id=event_id,
                slot_id=slot_id,
                resident=services.Resident(phone=phone(n), name=f"居民{n}", age=60 + n % 20),
            )
            result = str(booking.status)
        except Conflict as exc:
            result = f"conflict: {exc.code}"
        except Exception as exc:  # any other error fails the test
            result = f"error: {exc!r}"
        finally:
            connections.close_all()
        with lock:
            outcomes[result] += 1

    threads = [threading.Thread(target=book, args=(n,)) for n in range(RESIDENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def _skip_on_sqlite() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("booking races need concurrent writers: PostgreSQL only (SQLite serialises them); `make test`")


@pytest.mark.django_db(transaction=True)
def test_fifty_residents_race_for_the_last_five_places_and_a_cancellation_promotes_one():
    _skip_on_sqlite()
    w = market_world()
    event = w.event()
    slot = first_slot(w.offering(event, per_slot=PLACES))

    outcomes = _race(event.pk, slot.pk)

    print(f"race with a waiting list: {dict(outcomes)}")
    assert outcomes == {"confirmed": PLACES, "waiting": RESIDENTS - PLACES}, outcomes
    slot.refresh_from_db()
    assert slot.taken == PLACES == slot.capacity
    assert Booking.objects.filter(slot=slot, status="confirmed").count() == PLACES
    assert Booking.objects.filter(slot=slot, status="waiting").count() == RESIDENTS - PLACES

    # A confirmed resident cancels: the first resident waiting (by time of booking) takes the place, and only they.
    leaving = Booking.objects.filter(slot=slot, status="confirmed").order_by("pk").first()
    first_waiting = Booking.objects.filter(slot=slot, status="waiting").order_by("created_at", "pk").first()
    assert leaving is not None and first_waiting is not None
    services.cancel(code=leaving.code, phone_index=leaving.phone_index)
    slot.refresh_from_db()
    assert slot.taken == PLACES
    confirmed = Booking.objects.filter(slot=slot, status="confirmed")
    assert confirmed.count() == PLACES and confirmed.filter(pk=first_waiting.pk).exists()
    assert Booking.objects.filter(slot=slot, status="waiting").count() == RESIDENTS - PLACES - 1
    promoted = SmsMessage.objects.filter(kind="market.promoted")
    assert list(promoted.values_list("phone_index", flat=True)) == [crypto.blind_index(first_waiting.phone)]


@pytest.mark.django_db(transaction=True)
def test_without_a_waiting_list_the_rest_are_told_it_is_full():
    _skip_on_sqlite()
    w = market_world()
    event = w.event()
    slot = first_slot(w.offering(event, per_slot=PLACES, waiting_list=False))

    outcomes = _race(event.pk, slot.pk)

    print(f"race without a waiting list: {dict(outcomes)}")
    assert outcomes == {"confirmed": PLACES, "conflict: full": RESIDENTS - PLACES}, outcomes
    assert Slot.objects.get(pk=slot.pk).taken == PLACES
    assert Booking.objects.filter(slot=slot).count() == PLACES  # a refused booking writes nothing
