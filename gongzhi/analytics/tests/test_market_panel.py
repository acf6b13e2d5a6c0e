"""The command centre's market panel: formulas.market over the bookings of the area's events, this month and last,
per community — the numbers checked exactly against a hand-made month."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from gongzhi.market import services
from gongzhi.market.tests.factories import first_slot, market_world, phone

pytestmark = pytest.mark.django_db

OCTOBER, SEPTEMBER = date(2026, 10, 15), date(2026, 9, 20)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _book(event, slot, n, age):
    resident = services.Resident(phone=phone(n), name=f"居民{n}", age=age)
    return services.book(
        event_id=event.pk, slot_id=slot.pk, resident=resident, now=_at(event.day - timedelta(days=1), 10)
    )


@pytest.fixture
def month():
    w = market_world()
    event = w.event(day=OCTOBER)
    offering = w.offering(event, per_slot=6)  # 20.00 list, 5.00 off, 5.00 subsidy
    slot = first_slot(offering)
    free = _book(event, slot, 1, 66)  # 60+: pays nothing
    paying = _book(event, slot, 2, 40)
    _book(event, slot, 3, 45)  # never comes: a no-show
    corrected = _book(event, slot, 4, 62)  # the stall finds she is 58: she pays
    gone = _book(event, slot, 5, 50)
    services.cancel(code=gone.code, phone_index=gone.phone_index, now=_at(OCTOBER - timedelta(days=1), 12))
    for booking, age in ((free, None), (paying, None), (corrected, 58)):
        services.check_in(actor=w.staff, code=booking.code, age=age, now=_at(OCTOBER, 9, 5))
    services.walk_up(actor=w.staff, offering=offering, resident=services.Resident(age=70), now=_at(OCTOBER, 9, 10))
    services.close_day(actor=w.staff, event=event, now=_at(OCTOBER, 12))
    # Last month: one resident served. Another community this month: one walk-up.
    before = w.event(day=SEPTEMBER)
    services.check_in(
        actor=w.staff, code=_book(before, first_slot(w.offering(before)), 6, 30).code, now=_at(SEPTEMBER, 9)
    )
    other = w.event(day=OCTOBER, actor=w.other_staff, node=w.other_community)
    services.walk_up(
        actor=w.other_staff, offering=w.offering(other, actor=w.other_staff), resident=services.Resident(age=35),
        now=_at(OCTOBER, 10),
    )  # fmt: skip
    return w


def test_the_market_panel_counts_the_month_exactly(client, month):
    w = month
    client.force_login(w.leader)
    data = client.get(reverse("analytics:panel", args=[w.district.pk, "market"]), {"month": "2026-10"}).json()
    community = {
        "bookings": 4,  # three served with a booking and one no-show; the cancelled one is not a booking
        "served": 4,
        "walk_ups": 1,
        "no_shows": 1,
        "no_show_rate": 0.25,  # 1 ÷ (3 + 1)
        "served_60": 2,  # 66 and the walk-up of 70; 62 was corrected to 58 at the stall
        "free": 2,
        "list_value": "80.00",
        "discount": "20.00",
        "subsidy": "40.00",  # 15 + 5 + 5 + 15
        "paid": "20.00",
    }
    other = {
        "bookings": 0, "served": 1, "walk_ups": 1, "no_shows": 0, "no_show_rate": None, "served_60": 0, "free": 0,
        "list_value": "20.00", "discount": "5.00", "subsidy": "5.00", "paid": "10.00",
    }  # fmt: skip
    rows = {r["name"]: r["figures"] for r in data["communities"]}
    assert rows[w.community.name] == community
    assert rows[w.other_community.name] == other
    assert data["figures"] == {
        "bookings": 4, "served": 5, "walk_ups": 2, "no_shows": 1, "no_show_rate": 0.25, "served_60": 2, "free": 2,
        "list_value": "100.00", "discount": "25.00", "subsidy": "45.00", "paid": "30.00",
    }  # fmt: skip
    assert data["last"]["served"] == 1 and data["last"]["bookings"] == 1 and data["last"]["subsidy"] == "5.00"
    assert data["month"] == "2026-10" and data["last_month"] == "2026-09"
    assert len(data["days"]) == 31 and data["served_per_day"][14] == 5 and sum(data["served_per_day"]) == 5


def test_a_community_sees_its_own_market_only_and_the_page_shows_the_panel(client, month):
    w = month
    client.force_login(w.staff)
    data = client.get(reverse("analytics:panel", args=[w.community.pk, "market"]), {"month": "2026-10"}).json()
    assert [r["name"] for r in data["communities"]] == [w.community.name]
    assert data["figures"]["served"] == 4
    page = client.get(reverse("analytics:dashboard", args=[w.community.pk]), {"month": "2026-10"})
    assert b'id="market-panel"' in page.content
    big = client.get(reverse("analytics:dashboard", args=[w.community.pk]), {"month": "2026-10", "screen": "1"})
    assert b'id="market-panel"' not in big.content
