"""Open311 lookups by id go through the resident pages' limit on unknown codes (core.throttle): an id cannot be found
by guessing (404 vs 200 was an oracle at ~750 guesses a second). Requests are named by their public id; a POST
answers with it, and the filing client may still name its requests by the tracking codes it got before."""

from __future__ import annotations

import pytest
from django.test import Client

from gongzhi.cases.models import Case
from gongzhi.open311 import keys
from gongzhi.open311.tests.factories import setup

BASE = "/open311/v2/"
pytestmark = pytest.mark.django_db


@pytest.fixture
def s(settings):
    settings.GONGZHI_TRACK_RATE_LIMIT = (3, 600)
    settings.GONGZHI_TRACK_ADDRESS_RATE_LIMIT = (8, 600)
    return setup()


def client_at(address="198.51.100.30") -> Client:
    return Client(REMOTE_ADDR=address)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_ids_are_counted_and_then_every_lookup_is_refused(s, fmt):
    case = s.world.submit(channel="api", category=s.noise)
    guesser = client_at()
    for path in ("requests/aaaaaaaaaaaa", "tokens/bbbbbbbbbbbb", "requests/2612ABCDEF"):
        assert guesser.get(f"{BASE}{path}.{fmt}").status_code == 404
    for path in (f"requests/{case.public_id}", f"tokens/{case.public_id}", "requests/cccccccccccc"):
        response = guesser.get(f"{BASE}{path}.{fmt}")
        assert response.status_code == 429, path
        assert int(response["Retry-After"]) > 0
        body = response.content.decode()
        assert "too many unknown ids" in body and case.public_id not in body
        if fmt == "json":
            assert response.json()[0]["code"] == 429
        else:
            assert "<errors><error><code>429</code>" in body
    # Lists are not lookups by id: still answered (they show only what is public anyway).
    assert guesser.get(f"{BASE}requests.{fmt}").status_code == 200
    # Another address is not affected.
    assert client_at("203.0.113.77").get(f"{BASE}requests/{case.public_id}.{fmt}").status_code == 200


def test_a_keyed_client_has_its_own_count_and_the_address_a_ceiling(s):
    case = s.world.submit(channel="api", category=s.noise)
    _row, other_key = keys.create_key(name="other app")
    server = client_at("192.0.2.10")
    for i in range(3):
        assert server.get(f"{BASE}requests/zzzzzzzzzz{i:02d}.json", {"api_key": s.key}).status_code == 404
    assert server.get(f"{BASE}requests/{case.public_id}.json", {"api_key": s.key}).status_code == 429
    # Another key behind the same address still reads …
    assert server.get(f"{BASE}requests/{case.public_id}.json", {"api_key": other_key}).status_code == 200
    # … until the address has met its ceiling, whoever missed.
    for i in range(5):
        server.get(f"{BASE}requests/yyyyyyyyyy{i:02d}.json", {"api_key": other_key})
    assert server.get(f"{BASE}requests/{case.public_id}.json", {"api_key": other_key}).status_code == 429


def test_the_portal_and_open311_share_the_address_count(s):
    case = s.world.submit(channel="api", category=s.noise)
    address = "198.51.100.99"
    for i in range(8):
        assert Client(REMOTE_ADDR=address).get(f"/r/t/2612ZZZZ{i:02d}/").status_code == 404
    assert client_at(address).get(f"{BASE}requests/{case.public_id}.json").status_code == 429


def test_post_answers_with_the_public_id_and_never_the_tracking_code(s):
    filer = client_at()
    response = filer.post(
        f"{BASE}requests.json",
        {"api_key": s.key, "service_code": s.noise.code, "lat": "31.2", "long": "121.4", "description": "夜里施工",
         "attribute[periods][]": "night"},
    )  # fmt: skip
    assert response.status_code == 201, response.content
    answer = response.json()[0]
    case = Case.objects.get()
    assert answer["service_request_id"] == answer["token"] == case.public_id
    assert case.tracking_code not in response.content.decode()
    mine = filer.get(f"{BASE}requests/{case.public_id}.json", {"api_key": s.key}).json()[0]
    assert mine["description"] == "夜里施工"
    # Requests filed before public ids were known to the client by the tracking code: it may still use it …
    old = filer.get(f"{BASE}requests/{case.tracking_code}.json", {"api_key": s.key}).json()[0]
    assert old["service_request_id"] == case.public_id
    # … but nobody else can, and the public lists never show one.
    assert client_at("203.0.113.5").get(f"{BASE}requests/{case.tracking_code}.json").status_code == 404
    _row, other_key = keys.create_key(name="other app")
    response = client_at("203.0.113.6").get(f"{BASE}requests/{case.tracking_code}.json", {"api_key": other_key})
    assert response.status_code == 404
    listed = client_at("203.0.113.7").get(f"{BASE}requests.xml").content.decode()
    assert case.public_id in listed and case.tracking_code not in listed
