"""The demo's market: a daily market per community at its station from its projects, a mobile service day with six
windows on a festival, and a few days played through the services (the counters and the ledger add up); idempotent."""

from __future__ import annotations

import time
from datetime import date, timedelta

import pytest
from django.db.models import Count, F, Q

from gongzhi.cases import catalogue
from gongzhi.core import calendar_days
from gongzhi.grid import demo, roles
from gongzhi.grid.models import GridNode
from gongzhi.lists.models import Project
from gongzhi.market import selectors
from gongzhi.market.models import Booking, BookingEvent, Event, FreeRule, Offering, Series, Slot, Window
from gongzhi.ops import demo as demo_activity
from gongzhi.ops import demo_market

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_festival_day_is_the_nearest_festival_in_the_window_or_the_saturday_after_next():
    assert demo_market.festival_day(date(2026, 12, 6)) == (date(2026, 12, 5), "国际志愿者日")
    assert demo_market.festival_day(date(2026, 9, 1)) == (date(2026, 9, 10), "教师节")
    assert demo_market.festival_day(date(2026, 8, 12)) == (date(2026, 8, 22), "周末")  # a Wednesday: 10 days on


def test_every_community_gets_a_market_calendar_and_a_living_ledger():
    jurisdiction = demo.build_demo(password="demo-password-1").jurisdiction
    catalogue.seed(jurisdiction=jurisdiction)
    demo_activity.service_points(jurisdiction)
    began = time.perf_counter()
    added = demo_market.build(jurisdiction)
    built = time.perf_counter() - began
    communities = list(GridNode.objects.filter(jurisdiction=jurisdiction, level=roles.COMMUNITY))
    assert added["series"] == len(communities) == Series.objects.count()
    assert added["offerings"] == Offering.objects.count() and added["slots"] == Slot.objects.count()
    assert FreeRule.objects.filter(jurisdiction=jurisdiction).count() == 3
    calendar = calendar_days.current_calendar()
    for series in Series.objects.all():
        assert series.place_kind == "station" and series.station_id
        days = list(Event.objects.filter(series=series).values_list("day", flat=True))
        span = [series.first_day + timedelta(days=i) for i in range((series.last_day - series.first_day).days + 1)]
        assert days == [d for d in span if calendar.is_workday(d)] and len(span) == 43  # the working calendar's days
    # Every offering comes from a project of its own community; the free health check costs nothing.
    for offering in Offering.objects.select_related("event"):
        project = Project.objects.get(pk=offering.project_id)
        assert project.node_id == offering.event.node_id and project.name == offering.name
    assert set(Offering.objects.values_list("name", flat=True)) == {"理发", "家电维修", "缝补", "磨刀", "义诊"}
    assert not Offering.objects.filter(name="义诊").exclude(list_price=0).exists()
    mobile = Event.objects.filter(kind="mobile")
    assert mobile.count() == len(communities) and set(mobile.values_list("place_kind", flat=True)) == {"compound"}
    assert {tuple(Window.objects.filter(event=e).values_list("title", flat=True)) for e in mobile} == {
        ("书记面对面", "一站式服务窗口", "市集服务", "市集服务", "反诈宣传", "政策咨询")
    }

    began = time.perf_counter()
    played = demo_market.simulate(jurisdiction)
    simulated = time.perf_counter() - began
    print(f"demo market: {added} in {built:.2f} s; simulated {played} in {simulated:.2f} s")  # reported, not asserted
    assert played["booked"] > 100 and played["checked_in"] > 50 and played["no_shows"] > 0
    assert played["walk_ups"] > 0 and played["refused:already_booked"] > 0 and played["age_corrected"] > 0
    assert played["waitlisted"] > 0 and played["cancelled"] > 0
    # The counters are the services': every slot's places taken are its bookings holding one, never over capacity.
    held = Count("bookings", filter=Q(bookings__status__in=("confirmed", "served", "no_show")))
    assert not Slot.objects.annotate(held=held).exclude(taken=F("held")).exists()
    assert not Slot.objects.filter(taken__gt=F("capacity")).exists()
    # Past days are closed: nothing confirmed or waiting is left before today; the ledger adds up to those served.
    past = Event.objects.filter(day__lt=demo_market.timeutil.local_today())
    assert not Booking.objects.filter(event__in=past, status__in=("confirmed", "waiting")).exists()
    ledger = selectors.ledger(past)
    served = Booking.objects.filter(event__in=past, status="served")
    assert ledger.total.served == served.count() > 0
    assert ledger.total.list_value == ledger.total.discount + ledger.total.subsidy + ledger.total.paid
    assert Booking.objects.filter(event__day=demo_market.timeutil.local_today() + timedelta(days=1)).exists()
    assert BookingEvent.objects.count() >= Booking.objects.count()

    assert demo_market.build(jurisdiction) == {"series": 0, "events": 0, "offerings": 0, "slots": 0}
    bookings = Booking.objects.count()
    assert demo_market.simulate(jurisdiction)["events"] == 0 and Booking.objects.count() == bookings
