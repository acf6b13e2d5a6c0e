"""`gongzhi bench market`: its residents are logged in exactly as the portal logs them in, its race check reads the
slots right, and — once the portal's booking page exists — the whole benchmark runs on PostgreSQL."""

from __future__ import annotations

import io
import json
from types import SimpleNamespace

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import call_command
from django.db import connection
from django.urls import Resolver404, resolve

from gongzhi.market import services
from gongzhi.market.tests.factories import first_slot, market_world, phone
from gongzhi.ops.benchmarks import market
from gongzhi.portal import phone_login

pytestmark = pytest.mark.django_db


def test_the_bench_s_residents_are_logged_in_as_the_portal_logs_them_in():
    market.log_in_residents(3)
    for n in range(3):
        request = SimpleNamespace(session=SessionStore(session_key=market.session_key(n)))
        assert phone_login.number(request) == market.resident_phone(n)
        assert phone_login.current(request)["masked"].endswith(market.resident_phone(n)[-4:])


def test_the_race_check_counts_the_places_held():
    w = market_world()
    event = w.event()
    slot = first_slot(w.offering(event, per_slot=2))
    for n in range(3):
        services.book(event_id=event.pk, slot_id=slot.pk, resident=services.Resident(phone=phone(n), age=30))
    checked = market._verify([slot.pk])[str(slot.pk)]
    assert checked == {"capacity": 2, "taken": 2, "statuses": {"confirmed": 2, "waiting": 1}, "consistent": True}
    slot.__class__.objects.filter(pk=slot.pk).update(taken=1)  # a counter out of step is caught
    assert market._verify([slot.pk])[str(slot.pk)]["consistent"] is False


@pytest.mark.slow
def test_bench_market_reports_every_phase_and_the_race_check():
    if connection.vendor != "postgresql":
        pytest.skip("starts its own PostgreSQL cluster; runs once, in the PostgreSQL run of the suite")
    try:
        resolve("/r/market/1/book/1/")
    except Resolver404:
        pytest.skip("the portal's booking page (POST /r/market/<event>/book/<slot>/) is not in this tree yet")
    out = io.StringIO()
    call_command("bench", "market", "--seconds", "1", "--clients", "2", "--residents", "400", stdout=out)
    figures = json.loads(out.getvalue().strip().splitlines()[-1])
    for name in ("hot_big", "hot_small", "spread"):
        assert figures[f"{name}_bookings_per_s"] > 0, name
    assert figures["ceiling_insert_req_per_s"] > 0
    assert figures["slots_consistent"] is True
    assert figures["hot_small_taken"] == figures["hot_small_capacity"] == figures["hot_small_bookings"]["confirmed"]
    assert figures["hot_big_taken"] == figures["hot_big_bookings"]["confirmed"]
    assert figures["spread_ratio"] == pytest.approx(
        figures["spread_bookings_per_s"] / figures["ceiling_insert_req_per_s"], rel=0.01
    )
