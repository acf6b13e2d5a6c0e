"""`gongzhi worker` runs the market's jobs: reminders the day before (once per booking) and no-shows of past days."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command

from gongzhi.core import timeutil
from gongzhi.market import services
from gongzhi.market.models import Booking, BookingEvent
from gongzhi.market.tests.factories import first_slot, market_world, phone
from gongzhi.notifications import backends
from gongzhi.notifications.models import SmsMessage

pytestmark = pytest.mark.django_db


def _book(event, slot, n):
    return services.book(event_id=event.pk, slot_id=slot.pk, resident=services.Resident(phone=phone(n), age=66))


def test_once_sends_tomorrows_reminders_once_and_marks_yesterdays_no_shows(settings):
    settings.GONGZHI_SMS_DELIVERY = "worker"
    w = market_world()
    tomorrow = w.event()  # tomorrow by default
    slot = first_slot(w.offering(tomorrow))
    reminded = _book(tomorrow, slot, 1)
    later = w.event(day=timeutil.local_today() + timedelta(days=3))
    _book(later, first_slot(w.offering(later)), 2)  # not tomorrow: no reminder yet
    # A booking of a past day nobody came for (booked back then), its stall never closed the day.
    past = w.event(day=timeutil.local_today() - timedelta(days=2))
    past_slot = first_slot(w.offering(past))
    missed = services.book(
        event_id=past.pk,
        slot_id=past_slot.pk,
        resident=services.Resident(phone=phone(3), age=40),
        now=past_slot.starts - timedelta(days=1),
    )
    SmsMessage.objects.all().delete()
    backends.outbox.clear()

    out = io.StringIO()
    call_command("worker", "--once", stdout=out)

    assert "market-reminders: 1" in out.getvalue() and "market-no-shows: 1" in out.getvalue()
    assert list(SmsMessage.objects.filter(kind="market.reminder").values_list("phone_index", flat=True)) == [
        reminded.phone_index
    ]
    assert Booking.objects.get(pk=reminded.pk).reminded_at is not None
    assert Booking.objects.get(pk=missed.pk).status == "no_show"
    assert BookingEvent.objects.filter(booking=missed, action="no_show").count() == 1

    again = io.StringIO()
    call_command("worker", "--once", stdout=again)  # nothing twice
    assert "market-reminders: 0" in again.getvalue() and "market-no-shows: 0" in again.getvalue()
    assert SmsMessage.objects.filter(kind="market.reminder").count() == 1
