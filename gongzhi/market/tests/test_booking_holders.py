"""A service that allows more than one booking per resident: a cancelled booking frees its number for the next one
(the holder numbers must not be derived from a count, which after a cancellation names one still taken)."""

from __future__ import annotations

import pytest

from gongzhi.core.errors import Conflict
from gongzhi.market import services
from gongzhi.market.tests.factories import market_world, phone

pytestmark = pytest.mark.django_db


def test_a_resident_books_again_after_cancelling_one_of_two():
    w = market_world()
    event = w.event()
    offering = w.offering(event, per_resident=2)
    slots = list(offering.slots.order_by("starts"))
    resident = services.Resident(phone=phone(7), age=40)
    first = services.book(event_id=event.pk, slot_id=slots[0].pk, resident=resident)
    services.book(event_id=event.pk, slot_id=slots[1].pk, resident=resident)
    services.cancel(code=first.code, phone_index=first.phone_index)
    again = services.book(event_id=event.pk, slot_id=slots[2].pk, resident=resident)
    assert again.status == "confirmed"
    with pytest.raises(Conflict):
        services.book(event_id=event.pk, slot_id=slots[3].pk, resident=resident)
