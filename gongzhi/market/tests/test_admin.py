"""The free rules are kept in the admin; bookings are shown there read-only and masked."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from gongzhi.market.models import FreeRule
from gongzhi.market.services import Resident, book
from gongzhi.market.tests.factories import first_slot, market_world, phone

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser(username="root", password="x-Strong-pass-1")
    client.force_login(user)
    return client


def test_rules_are_validated(admin_client):
    w = market_world()
    before = FreeRule.objects.count()
    url = "/admin/market/freerule/add/"
    answer = admin_client.post(url, {"jurisdiction": w.district.jurisdiction_id, "kind": "age", "sort_order": 5})
    assert answer.status_code == 200 and FreeRule.objects.count() == before
    answer = admin_client.post(
        url, {"jurisdiction": w.district.jurisdiction_id, "kind": "group", "group": " ", "sort_order": 5}
    )
    assert answer.status_code == 200 and FreeRule.objects.count() == before
    answer = admin_client.post(
        url,
        {"jurisdiction": w.district.jurisdiction_id, "kind": "group", "group": "残疾", "active": "on", "sort_order": 5},
    )
    assert answer.status_code == 302 and FreeRule.objects.filter(group="残疾").exists()


def test_bookings_are_masked_and_read_only(admin_client):
    w = market_world()
    offering = w.offering(w.event())
    booking = book(
        event_id=offering.event_id, slot_id=first_slot(offering).pk, resident=Resident(phone=phone(7), name="王秀英")
    )
    page = admin_client.get("/admin/market/booking/").content.decode()
    assert booking.code in page and "13900000007" not in page and "王秀英" not in page
    assert admin_client.post(f"/admin/market/booking/{booking.pk}/delete/", {"post": "yes"}).status_code == 403
