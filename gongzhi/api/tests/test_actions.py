"""Staff actions through the exchange API (per-user tokens): accept, resolve, report in — through the case engine
with its policies; every refusal is a documented 4xx that changes nothing."""

from __future__ import annotations

import json

import pytest

from gongzhi.api import tokens
from gongzhi.api.tests.factories import bearer, partner
from gongzhi.cases import services as case_services
from gongzhi.cases.models import Case, CaseEvent, CoHandlingTask
from gongzhi.cases.tests.factories import world

pytestmark = pytest.mark.django_db
URL = "/api/v1/cases"


@pytest.fixture
def w():
    return world()


def _token(user) -> str:
    return tokens.create_token(name=f"tool of {user.pk}", user=user)[1]


def _pooled(w) -> Case:
    case = w.submit()
    case_services.triage(case=case, actor=w.dispatcher, category=w.category)
    return case_services.dispatch(case=case, actor=w.dispatcher, node=w.micro, pool=True)


def _state(case: Case) -> tuple:
    case.refresh_from_db()
    return (case.status, case.handler_user_id, case.result, CaseEvent.objects.filter(case=case).count())


def _post(client, raw: str, path: str, body: dict | None = None):
    return client.post(f"{URL}/{path}", json.dumps(body or {}), content_type="application/json", **bearer(raw))


def test_a_steward_accepts_and_resolves_through_the_api(client, w):
    case = _pooled(w)
    raw = _token(w.steward)
    response = _post(client, raw, f"{case.tracking_code}/accept")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "accepted"
    case.refresh_from_db()
    assert (case.status, case.handler_user_id) == ("accepted", w.steward.pk)
    assert CaseEvent.objects.filter(case=case).order_by("-seq").first().kind == "accepted"
    response = _post(client, raw, f"{case.tracking_code}/resolve", {"result": "已清理楼道杂物"})
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["result"]) == ("resolved", "已清理楼道杂物")
    case.refresh_from_db()
    assert (case.status, case.result) == ("resolved", "已清理楼道杂物")
    assert CaseEvent.objects.filter(case=case).order_by("-seq").first().kind == "resolved"


def test_a_second_steward_cannot_take_an_accepted_case(client, w):
    case = _pooled(w)
    assert _post(client, _token(w.steward), f"{case.tracking_code}/accept").status_code == 200
    before = _state(case)
    response = _post(client, _token(w.steward2), f"{case.tracking_code}/accept")
    assert response.status_code == 409 and response.json()["code"] == "conflict"
    assert _state(case) == before


def test_refusals_change_nothing(client, w):
    case = _pooled(w)
    before = _state(case)
    _partner, partner_raw = partner(w.jurisdiction)
    # a partner system's token does not act on cases
    response = _post(client, partner_raw, f"{case.tracking_code}/accept")
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    # out of the user's scope: the same 404 as a missing case
    assert _post(client, _token(w.other_dispatcher), f"{case.tracking_code}/accept").status_code == 404
    assert _post(client, _token(w.steward), "NOPE0000/accept").status_code == 404
    # resolving a case nobody accepted, and an empty result
    steward = _token(w.steward)
    assert _post(client, steward, f"{case.tracking_code}/resolve", {"result": "好了"}).status_code == 403
    assert _post(client, steward, f"{case.tracking_code}/resolve", {"result": ""}).status_code == 422
    assert _post(client, steward, f"{case.tracking_code}/resolve", {}).status_code == 422
    assert _state(case) == before


def test_a_summoned_department_reports_in(client, w):
    case = w.submit()
    case_services.triage(case=case, actor=w.dispatcher, category=w.category)
    for _ in range(3):  # up to the street, where departments are summoned
        case_services.escalate(case=Case.objects.get(pk=case.pk), actor=w.dispatcher, reason="需街道吹哨")
    case_services.whistle(case=case.pk, actor=w.street_staff, departments=[w.department], task="清理占道")
    task = CoHandlingTask.objects.get(case=case)
    before = _state(case)
    # not summoned (a steward has no department) and a partner: refused, nothing written
    assert _post(client, _token(w.steward), f"{case.tracking_code}/report-in", {"report": "x"}).status_code == 404
    _partner, partner_raw = partner(w.jurisdiction)
    assert _post(client, partner_raw, f"{case.tracking_code}/report-in", {"report": "x"}).status_code == 403
    raw = _token(w.dept_staff)
    assert _post(client, raw, f"{case.tracking_code}/report-in", {"report": ""}).status_code == 422
    assert _state(case) == before
    task.refresh_from_db()
    assert task.status == "summoned"
    response = _post(client, raw, f"{case.tracking_code}/report-in", {"report": "已清理占道物品"})
    assert response.status_code == 200, response.content
    task.refresh_from_db()
    assert (task.status, task.report, task.reported_by_id) == ("reported", "已清理占道物品", w.dept_staff.pk)
    assert CaseEvent.objects.filter(case=case).order_by("-seq").first().kind == "reported_in"
    # reporting in twice: the summons is answered, nothing more is written
    after = _state(case)
    assert _post(client, raw, f"{case.tracking_code}/report-in", {"report": "again"}).status_code == 404
    assert _state(case) == after


def test_actions_are_in_the_openapi_schema(client):
    schema = client.get("/api/openapi.json").json()
    for action in ("accept", "resolve", "report-in"):
        operation = schema["paths"][f"/api/v1/cases/{{tracking_code}}/{action}"]["post"]
        assert {"200", "400", "401", "403", "404", "409", "413", "422"} <= set(operation["responses"])


def test_a_department_token_reads_only_the_departments_cases(client, w):
    """DESIGN.md §6 through the API as in the console: a department's staff read the cases dispatched to their
    department or that it was summoned to, and no other case of the district (the same 404 as a missing one)."""
    handled = w.submit(title="占道经营")
    case_services.triage(case=handled, actor=w.dispatcher, category=w.category)
    case_services.dispatch(case=handled, actor=w.dispatcher, department=w.department)
    summoned = w.submit(title="违章搭建")
    case_services.triage(case=summoned, actor=w.dispatcher, category=w.category, level="street")
    case_services.whistle(case=summoned, actor=w.street_staff, departments=[w.department], task="联合执法")
    other = w.to_resolved(title="家庭纠纷调解")
    raw = _token(w.dept_staff)
    listed = client.get(URL, **bearer(raw)).json()["items"]
    assert sorted(c["tracking_code"] for c in listed) == sorted([handled.tracking_code, summoned.tracking_code])
    for case in (handled, summoned):
        assert client.get(f"{URL}/{case.tracking_code}", **bearer(raw)).status_code == 200
        assert client.get(f"{URL}/{case.tracking_code}/events", **bearer(raw)).status_code == 200
    for path in (other.tracking_code, f"{other.tracking_code}/events"):
        response = client.get(f"{URL}/{path}", **bearer(raw))
        assert response.status_code == 404, path
        assert other.title not in response.content.decode("utf-8")
    before = _state(other)
    assert _post(client, raw, f"{other.tracking_code}/accept").status_code == 404
    assert _state(other) == before
