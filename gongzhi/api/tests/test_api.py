"""The exchange API: token auth per partner and per user, inbound cases keeping the hotline's id, idempotency,
and bad input answered with documented 4xx."""

from __future__ import annotations

import json

import pytest

from gongzhi.api import tokens
from gongzhi.api.models import IdempotencyKey, InboundCase
from gongzhi.api.tests.factories import bearer, partner
from gongzhi.cases import services as case_services
from gongzhi.cases.models import Case, CaseEvent
from gongzhi.cases.tests.factories import world

pytestmark = pytest.mark.django_db
URL = "/api/v1/cases"


@pytest.fixture
def w():
    return world()


@pytest.fixture
def hotline(w):
    return partner(w.jurisdiction)


def _post(client, raw, body, **headers):
    return client.post(URL, json.dumps(body), content_type="application/json", **bearer(raw), **headers)


BODY = {"external_id": "RX-2024-0001", "title": "小区路灯不亮", "description": "3号楼前路灯坏了三天",
        "category_code": "env.litter", "reporter_phone": "13812345678"}  # fmt: skip


def test_partner_files_a_case_that_keeps_its_own_id(client, w, hotline):
    p, raw = hotline
    response = _post(client, raw, BODY)
    assert response.status_code == 201, response.content
    data = response.json()
    case = Case.objects.get(tracking_code=data["tracking_code"])
    assert (case.channel, case.external_id, case.category, case.status) == ("hotline", "RX-2024-0001", w.category,
                                                                           "submitted")  # fmt: skip
    assert InboundCase.objects.get(partner=p).case == case
    assert data["open311_status"] == "open" and data["external_id"] == "RX-2024-0001"
    by_external = client.get("/api/v1/external/RX-2024-0001", **bearer(raw))
    assert by_external.json()["tracking_code"] == case.tracking_code
    assert client.get(f"{URL}/{case.tracking_code}", **bearer(raw)).status_code == 200
    events = client.get(f"{URL}/{case.tracking_code}/events", **bearer(raw)).json()
    assert [e["kind"] for e in events] == ["submitted"]


def test_same_external_id_twice_is_409_and_writes_nothing(client, hotline):
    _p, raw = hotline
    assert _post(client, raw, BODY).status_code == 201
    before = (Case.objects.count(), CaseEvent.objects.count())
    response = _post(client, raw, {**BODY, "title": "别的问题"})
    assert response.status_code == 409 and response.json()["code"] == "duplicate_external_id"
    assert (Case.objects.count(), CaseEvent.objects.count()) == before


def test_two_partners_on_one_channel_may_use_the_same_id(client, w, hotline):
    """Each partner's ids are its own: a city app and the 12345 hotline both numbering from 1 never collide, and a
    hotline spreadsheet imported in the console does not collide with either."""
    _p, raw = hotline
    _other, other_raw = partner(w.jurisdiction, code="cityapp", name="城市App")
    first = _post(client, raw, BODY)
    second = _post(client, other_raw, {**BODY, "title": "另一个系统的同号工单"})
    assert (first.status_code, second.status_code) == (201, 201), second.content
    cases = Case.objects.filter(external_id=BODY["external_id"]).order_by("pk")
    assert [(c.channel, c.source) for c in cases] == [("hotline", "h12345"), ("hotline", "cityapp")]
    mine = client.get(f"/api/v1/external/{BODY['external_id']}", **bearer(other_raw)).json()
    assert mine["tracking_code"] == second.json()["tracking_code"] and mine["title"] == "另一个系统的同号工单"
    imported = case_services.submit(
        jurisdiction=w.jurisdiction, channel="hotline", title="导入的工单", external_id=BODY["external_id"]
    )
    assert imported.source == ""
    # The same partner twice is still refused, and nothing is written.
    before = (Case.objects.count(), CaseEvent.objects.count())
    assert _post(client, other_raw, BODY).status_code == 409
    assert (Case.objects.count(), CaseEvent.objects.count()) == before


def test_idempotency_key_replays_the_same_case(client, hotline):
    _p, raw = hotline
    first = _post(client, raw, BODY, HTTP_IDEMPOTENCY_KEY="k-1")
    second = _post(client, raw, BODY, HTTP_IDEMPOTENCY_KEY="k-1")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["tracking_code"] == second.json()["tracking_code"]
    assert (
        Case.objects.count() == 1 and IdempotencyKey.objects.get().case.tracking_code == first.json()["tracking_code"]
    )
    other = _post(client, raw, {**BODY, "title": "不同"}, HTTP_IDEMPOTENCY_KEY="k-1")
    assert other.status_code == 409 and other.json()["code"] == "idempotency_mismatch"
    assert Case.objects.count() == 1


def test_a_refused_request_does_not_keep_its_idempotency_key(client, hotline):
    _p, raw = hotline
    bad = _post(client, raw, {**BODY, "category_code": "nope"}, HTTP_IDEMPOTENCY_KEY="k-2")
    assert bad.status_code == 400 and bad.json()["code"] == "unknown_category"
    assert IdempotencyKey.objects.count() == 0 and Case.objects.count() == 0
    assert _post(client, raw, BODY, HTTP_IDEMPOTENCY_KEY="k-2").status_code == 201


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({**BODY, "lat": 95}, 422),
        ({**BODY, "lon": "east"}, 422),
        ({**BODY, "title": ""}, 422),
        ({**BODY, "external_id": 12}, 422),
        ({k: v for k, v in BODY.items() if k != "external_id"}, 422),
        ({**BODY, "urgency": "whenever"}, 422),
        ({**BODY, "reporter_phone": "555"}, 400),
        ({**BODY, "description": "长" * 4001}, 422),
        # PostgreSQL cannot store or compare NUL characters: refused at the edge, in any text.
        ({**BODY, "external_id": "H-\x00"}, 422),
        ({**BODY, "title": "路灯\x00不亮"}, 422),
        ({**BODY, "attributes": {"floor\x00": "3"}}, 422),
        ({**BODY, "attributes": {"floor": ["3", "\x00"]}}, 422),
    ],
)
def test_bad_input_is_4xx_and_writes_nothing(client, hotline, body, status):
    _p, raw = hotline
    response = _post(client, raw, body)
    assert response.status_code == status, response.content
    assert response.json()["detail"]
    assert Case.objects.count() == 0


def test_nul_characters_in_paths_queries_and_headers_are_refused(client, hotline):
    _p, raw = hotline
    for url in (
        "/api/v1/cases/AB%00CD",
        "/api/v1/cases/AB%00CD/events",
        "/api/v1/external/x%00",
        "/api/v1/cases?status=%00",
    ):
        response = client.get(url, **bearer(raw))
        assert response.status_code == 422 and "NUL" in response.json()["detail"], url
    response = _post(client, raw, BODY, HTTP_IDEMPOTENCY_KEY="k\x00")
    assert response.status_code == 422 and "NUL" in response.json()["detail"]
    assert Case.objects.count() == 0


def test_malformed_json_and_oversized_bodies(client, hotline, settings):
    _p, raw = hotline
    response = client.post(URL, b"{oops", content_type="application/json", **bearer(raw))
    assert response.status_code in (400, 422) and response.json()["detail"]
    settings.GONGZHI_API_MAX_BODY_KB = 1
    response = _post(client, raw, {**BODY, "description": "长" * 1000})
    assert response.status_code == 413 and "larger than 1 KB" in response.json()["detail"]
    assert Case.objects.count() == 0


def test_auth(client, w, hotline):
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer gzt_wrong").status_code == 401
    p, raw = hotline
    assert client.get("/api/v1/me", **bearer(raw)).json() == {"kind": "partner", "name": p.name,
                                                              "jurisdiction": w.jurisdiction.code}  # fmt: skip
    p.active = False
    p.save()
    assert client.get("/api/v1/me", **bearer(raw)).status_code == 401


def test_user_tokens_see_their_scope_only_and_cannot_file(client, w, hotline):
    _p, raw = hotline
    mine = w.submit()
    _tok, dispatcher = tokens.create_token(name="desk", user=w.dispatcher)
    _tok, other = tokens.create_token(name="desk2", user=w.other_dispatcher)
    assert client.get(f"{URL}/{mine.tracking_code}", **bearer(dispatcher)).status_code == 200
    assert client.get(f"{URL}/{mine.tracking_code}", **bearer(other)).status_code == 404
    assert [c["tracking_code"] for c in client.get(URL, **bearer(dispatcher)).json()["items"]] == [mine.tracking_code]
    assert client.get(URL, **bearer(other)).json()["items"] == []
    assert _post(client, dispatcher, BODY).status_code == 403
    # a partner does not see cases it did not file
    assert client.get(f"{URL}/{mine.tracking_code}", **bearer(raw)).status_code == 404


def test_case_list_pages_by_cursor(client, hotline):
    _p, raw = hotline
    codes = [_post(client, raw, {**BODY, "external_id": f"RX-{i}"}).json()["tracking_code"] for i in range(3)]
    page = client.get(f"{URL}?limit=2", **bearer(raw)).json()
    assert [c["tracking_code"] for c in page["items"]] == codes[::-1][:2]
    rest = client.get(f"{URL}?limit=2&cursor={page['next_cursor']}", **bearer(raw)).json()
    assert [c["tracking_code"] for c in rest["items"]] == [codes[0]] and rest["next_cursor"] is None


def test_partner_follows_status(client, w, hotline):
    _p, raw = hotline
    code = _post(client, raw, BODY).json()["tracking_code"]
    case_services.reject(case=Case.objects.get(tracking_code=code), actor=w.centre, reason="不在本辖区")
    data = client.get(f"{URL}/{code}", **bearer(raw)).json()
    assert (data["status"], data["open311_status"]) == ("rejected", "closed")
    events = client.get(f"{URL}/{code}/events", **bearer(raw)).json()
    assert [(e["kind"], e["note"]) for e in events] == [("submitted", ""), ("rejected", "不在本辖区")]


def test_docs_are_served_without_a_cdn(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    assert b"cdn" not in response.content.lower() and b"swagger-ui-bundle.js" in response.content
    schema = client.get("/api/openapi.json").json()
    assert schema["openapi"].startswith("3.1")


def test_the_migration_gives_earlier_partner_cases_their_partner(client, hotline):
    import importlib

    from django.apps import apps

    p, raw = hotline
    code = _post(client, raw, BODY).json()["tracking_code"]
    plain = case_services.submit(jurisdiction=p.jurisdiction, channel="hotline", title="导入", external_id="X-1")
    Case.objects.filter(tracking_code=code).update(source="")  # as filed before the field existed
    importlib.import_module("gongzhi.api.migrations.0002_case_source").backfill(apps, None)
    assert Case.objects.get(tracking_code=code).source == "h12345"
    assert Case.objects.get(pk=plain.pk).source == ""


def test_a_database_too_busy_to_file_is_a_503_in_the_apis_format(client, hotline, monkeypatch):
    from django.db import OperationalError

    from gongzhi.api import api as exchange

    def locked(**kwargs):
        raise OperationalError("database is locked: another connection kept the write turn for 20 s")

    monkeypatch.setattr(exchange.services, "file_case", locked)
    _p, raw = hotline

    response = _post(client, raw, BODY, HTTP_IDEMPOTENCY_KEY="k-busy")

    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert response.json() == {
        "detail": "the service is busy; try again in 5 s (a retry with the same Idempotency-Key files the case once)",
        "code": "unavailable",
    }
    assert Case.objects.count() == 0 and IdempotencyKey.objects.count() == 0
    assert "503" in client.get("/api/openapi.json").json()["paths"]["/api/v1/cases"]["post"]["responses"]
