"""The exchange API's lookups of a case by code or id go through the limit on unknown ids the resident pages and
Open311 use (core.throttle): per token and per address, 429 with Retry-After past either. Cases carry their public
id."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from gongzhi.api import tokens
from gongzhi.api.tests.factories import bearer, partner
from gongzhi.cases.models import Case
from gongzhi.cases.tests.factories import world

pytestmark = pytest.mark.django_db
URL = "/api/v1/cases"


@pytest.fixture
def limits(settings):
    settings.GONGZHI_TRACK_RATE_LIMIT = (3, 600)
    settings.GONGZHI_TRACK_ADDRESS_RATE_LIMIT = (8, 600)


def test_unknown_codes_are_counted_per_token_then_refused(limits):
    w = world()
    _p, raw = partner(w.jurisdiction)
    filed = (
        Client(REMOTE_ADDR="192.0.2.40")
        .post(
            URL,
            json.dumps({"external_id": "RX-1", "title": "路灯不亮", "category_code": w.category.code}),
            content_type="application/json",
            **bearer(raw),
        )
        .json()
    )
    case = Case.objects.get(tracking_code=filed["tracking_code"])
    assert (filed["public_id"], filed["published"]) == (case.public_id, False)
    api = Client(REMOTE_ADDR="192.0.2.40")
    for path in (f"{URL}/2612AAAAAA", f"{URL}/2612BBBBBB/events", "/api/v1/external/NOPE"):
        assert api.get(path, **bearer(raw)).status_code == 404
    for path in (f"{URL}/{case.tracking_code}", f"{URL}/{case.tracking_code}/events", "/api/v1/external/RX-1"):
        response = api.get(path, **bearer(raw))
        assert response.status_code == 429, path
        assert response.json()["code"] == "too_many_lookups" and int(response["Retry-After"]) > 0
    # A staff tool's token behind the same address has its own count.
    _token, staff = tokens.create_token(name="desk tool", user=w.centre)
    assert api.get(f"{URL}/{case.tracking_code}", **bearer(staff)).status_code == 200
    # Lists are not lookups.
    assert api.get(URL, **bearer(raw)).status_code == 200


def test_the_schema_declares_the_429(client):
    schema = client.get("/api/openapi.json").json()
    assert "429" in schema["paths"]["/api/v1/cases/{tracking_code}"]["get"]["responses"]
    assert "public_id" in schema["components"]["schemas"]["CaseOut"]["properties"]
