"""The per-process caches of the Open311 hot path answer without queries and forget a row when it changes."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gongzhi.cases.models import Case
from gongzhi.cases.tests.factories import category
from gongzhi.open311 import cache, keys, selectors
from gongzhi.open311.models import Open311Key
from gongzhi.open311.tests.factories import setup

pytestmark = pytest.mark.django_db
BASE = "/open311/v2/"


def _post(client, s, **fields):
    data = {"api_key": s.key, "service_code": "noise.night", "address_id": s.world.building.public_token,
            "attribute[periods][]": ["night"], "description": "楼上每晚装修"}  # fmt: skip
    data.update(fields)
    return client.post(f"{BASE}requests.json", data)


def test_lookups_are_cached_and_cost_no_query_the_second_time():
    s = setup()
    first = selectors.jurisdiction_for("")
    assert selectors.category(first, "noise.night").pk == s.noise.pk
    assert keys.key_for(s.key) is not None
    with CaptureQueriesContext(connection) as queries:
        assert selectors.jurisdiction_for(s.jurisdiction.code) is first
        assert selectors.category(first, "noise.night").pk == s.noise.pk
        assert keys.key_for(s.key) is not None
    assert len(queries) == 0


def test_a_deactivated_key_is_refused_at_once(client):
    s = setup()
    assert _post(client, s).status_code == 201
    key = Open311Key.objects.get()
    key.active = False
    key.save()
    assert _post(client, s).status_code == 403
    assert Case.objects.count() == 1


def test_a_new_category_is_found_at_once(client):
    s = setup()
    assert _post(client, s).status_code == 201
    new = {"service_code": "env.new", "attribute[periods][]": []}
    assert _post(client, s, **new).status_code == 400
    category(s.jurisdiction, "env.new", name="新类别")
    response = _post(client, s, **new)
    assert response.status_code == 201, response.content.decode()


def test_entries_expire(monkeypatch):
    calls = []
    clock = [1000.0]
    monkeypatch.setattr(cache.time, "monotonic", lambda: clock[0])
    load = lambda: calls.append(1) or len(calls)  # noqa: E731
    assert cache.get(("x",), load) == 1
    assert cache.get(("x",), load) == 1
    clock[0] += cache.TTL + 1
    assert cache.get(("x",), load) == 2
    assert cache.get(("none",), lambda: None, keep_none=False) is None
    assert ("none",) not in cache._entries


def test_database_health_checks_can_be_turned_off(tmp_path):
    """``GONGZHI_DB_HEALTH_CHECKS`` (added for the Open311 hot path): on by default, ``false`` saves the round trip."""
    from gongzhi import config

    url = {"GONGZHI_DATA_DIR": str(tmp_path), "GONGZHI_DATABASE_URL": "postgres://u@127.0.0.1:5432/g"}
    assert config.load(url).database["CONN_HEALTH_CHECKS"] is True
    assert config.load({**url, "GONGZHI_DB_HEALTH_CHECKS": "false"}).database["CONN_HEALTH_CHECKS"] is False
    with pytest.raises(config.ConfigError, match="GONGZHI_DB_HEALTH_CHECKS"):
        config.load({**url, "GONGZHI_DB_HEALTH_CHECKS": "maybe"})
