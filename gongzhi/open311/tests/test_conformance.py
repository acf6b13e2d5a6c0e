"""Conformance with the GeoReport v2 text: every endpoint in both formats, every error case, XML parsed and checked
for structure, JSON lists where the spec has lists."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest

from gongzhi.cases import services as case_services
from gongzhi.cases.models import Case, CaseEvent
from gongzhi.core import timeutil
from gongzhi.grid.models import Jurisdiction
from gongzhi.open311.models import Open311Key
from gongzhi.open311.tests.factories import setup

BASE = "/open311/v2/"
REQUEST_FIELDS = {
    "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
    "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
    "address", "address_id", "zipcode", "lat", "long", "media_url", "extended_attributes",
}  # fmt: skip

pytestmark = pytest.mark.django_db


@pytest.fixture
def s():
    return setup()


def xml(response) -> ET.Element:
    assert response["Content-Type"].startswith("text/xml")
    return ET.fromstring(response.content)  # noqa: S314 - our own output


def errors_of(response, fmt: str) -> list[dict]:
    if fmt == "json":
        assert response["Content-Type"].startswith("application/json")
        data = response.json()
        assert isinstance(data, list) and data
        assert all(set(e) == {"code", "description"} and e["code"] == response.status_code for e in data)
        return data
    root = xml(response)
    assert root.tag == "errors" and len(root) >= 1
    out = []
    for error in root:
        assert error.tag == "error" and [c.tag for c in error] == ["code", "description"]
        assert error.findtext("code") == str(response.status_code)
        out.append({"code": int(error.findtext("code")), "description": error.findtext("description")})
    return out


def post(client, fmt: str, s, **fields):
    data = {"api_key": s.key, "service_code": "noise.night", "address_id": s.world.building.public_token,
            "attribute[periods][]": ["night"], "description": "楼上每晚装修到十二点"}  # fmt: skip
    data.update(fields)
    data = {k: v for k, v in data.items() if v is not None}
    return client.post(f"{BASE}requests.{fmt}", data)


# ---------------------------------------------------------------------------------------------- discovery/services


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_discovery(client, s, fmt):
    response = client.get(f"{BASE}discovery.{fmt}")
    assert response.status_code == 200
    if fmt == "json":
        data = response.json()
        assert data["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
        assert data["endpoints"][0]["formats"] == ["text/xml", "application/json"]
    else:
        root = xml(response)
        assert root.tag == "discovery"
        endpoint = root.find("endpoints/endpoint")
        assert [f.text for f in endpoint.findall("formats/format")] == ["text/xml", "application/json"]
        assert endpoint.findtext("type") == "production"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_service_list(client, s, fmt):
    response = client.get(f"{BASE}services.{fmt}")
    assert response.status_code == 200
    if fmt == "json":
        services = response.json()
        assert isinstance(services, list)
        noise = next(x for x in services if x["service_code"] == "noise.night")
        assert noise == {"service_code": "noise.night", "service_name": "夜间噪音", "description": "",
                         "metadata": True, "type": "realtime", "keywords": "", "group": ""}  # fmt: skip
        assert next(x for x in services if x["service_code"] == "env.litter")["metadata"] is False
    else:
        root = xml(response)
        assert root.tag == "services" and {c.tag for c in root} == {"service"}
        codes = {svc.findtext("service_code"): svc.findtext("metadata") for svc in root}
        assert codes == {"env.litter": "false", "noise.night": "true"}


def test_service_names_in_english(client, s):
    response = client.get(f"{BASE}services.json", HTTP_ACCEPT_LANGUAGE="en")
    assert {x["service_name"] for x in response.json()} >= {"Night noise"}


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_service_definition(client, s, fmt):
    response = client.get(f"{BASE}services/noise.night.{fmt}")
    assert response.status_code == 200
    if fmt == "json":
        data = response.json()
        assert data["service_code"] == "noise.night"
        attrs = data["attributes"]
        assert [a["code"] for a in attrs] == ["periods", "scope", "floors", "since", "unit", "detail"]
        assert [a["datatype"] for a in attrs] == [
            "multivaluelist", "singlevaluelist", "number", "datetime", "string", "text"]  # fmt: skip
        assert attrs[0]["required"] is True and attrs[0]["variable"] is True
        assert attrs[0]["values"] == [{"key": "night", "name": "夜间"}, {"key": "noon", "name": "午休"},
                                      {"key": "evening", "name": "傍晚"}]  # fmt: skip
        assert "values" not in attrs[2]
    else:
        root = xml(response)
        assert root.tag == "service_definition"
        attrs = root.findall("attributes/attribute")
        assert len(attrs) == 6
        assert [c.tag for c in attrs[0]] == ["variable", "code", "datatype", "required", "datatype_description",
                                             "order", "description", "values"]  # fmt: skip
        assert [v.findtext("key") for v in attrs[0].findall("values/value")] == ["night", "noon", "evening"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_service_definition_is_404(client, s, fmt):
    response = client.get(f"{BASE}services/nope.{fmt}")
    assert response.status_code == 404
    assert "service_code" in errors_of(response, fmt)[0]["description"]


# ------------------------------------------------------------------------------------------------------- POST


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_post_request_creates_one_case(client, s, fmt):
    before = Case.objects.count()
    response = post(client, fmt, s, **{"attribute[periods][]": ["night", "noon"], "attribute[scope]": "building",
                                       "attribute[floors]": "6", "first_name": "伟", "last_name": "王",
                                       "phone": "13812345678", "media_url": "https://example.org/p.jpg"})  # fmt: skip
    assert response.status_code == 201
    if fmt == "json":
        data = response.json()
        assert isinstance(data, list) and len(data) == 1
        sid = data[0]["service_request_id"]
        assert isinstance(sid, str) and data[0]["token"] == sid
    else:
        root = xml(response)
        assert root.tag == "service_requests" and [c.tag for c in root] == ["request"]
        sid = root.findtext("request/service_request_id")
    assert Case.objects.count() == before + 1
    case = Case.objects.get(public_id=sid)
    assert case.channel == "api" and case.category.code == "noise.night"
    assert case.building == s.world.building and case.grid_node == s.world.micro
    assert case.attributes["periods"] == ["night", "noon"] and case.attributes["floors"] == 6.0
    assert case.attributes["scope"] == "building" and case.attributes["_media_url"] == "https://example.org/p.jpg"
    assert case.reporter_name == "王伟" and case.reporter_phone == "13812345678"
    assert list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True)) == ["submitted"]


def test_post_with_coordinates_and_address_string(client, s):
    response = post(client, "json", s, address_id=None, lat="31.2", long="121.4", address_string="幸福路 1 号")
    assert response.status_code == 201
    case = Case.objects.get(public_id=response.json()[0]["service_request_id"])
    assert (case.lat, case.lon, case.address) == (31.2, 121.4, "幸福路 1 号")


def test_post_json_and_xml_bodies(client, s):
    body = {"api_key": s.key, "service_code": "noise.night", "address_string": "幸福路 1 号",
            "attribute": {"periods": ["night", "noon"]}}  # fmt: skip
    response = client.post(f"{BASE}requests.json", json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.content
    xml_body = (
        f"<service_request><api_key>{s.key}</api_key><service_code>noise.night</service_code>"
        "<address_string>幸福路 2 号</address_string><attribute code='periods'>night</attribute>"
        "<attribute code='periods'>evening</attribute></service_request>"
    )
    response = client.post(f"{BASE}requests.xml", xml_body.encode(), content_type="application/xml")
    assert response.status_code == 201, response.content
    case = Case.objects.get(public_id=xml(response).findtext("request/service_request_id"))
    assert case.attributes["periods"] == ["night", "evening"]


BAD_POSTS = [
    ({"api_key": None}, 403, "api_key"),
    ({"api_key": "o311_wrong"}, 403, "api_key"),
    ({"service_code": "nope"}, 400, "service_code"),
    ({"service_code": None}, 400, "service_code is required"),
    ({"address_id": None}, 400, "location is required"),
    ({"address_id": "unknown-token"}, 400, "address_id"),
    ({"address_id": None, "lat": "91", "long": "121"}, 400, "lat: must be between"),
    ({"address_id": None, "lat": "31", "long": "-181"}, 400, "long: must be between"),
    ({"address_id": None, "lat": "north", "long": "121"}, 400, "not a number"),
    ({"address_id": None, "lat": "31"}, 400, "both lat and long"),
    ({"description": "长" * 4001}, 400, "description: at most 4000"),
    ({"attribute[periods][]": None}, 400, "attribute periods: required"),
    ({"attribute[periods][]": ["dawn"]}, 400, "not among the allowed values"),
    ({"attribute[scope]": "city"}, 400, "attribute scope"),
    ({"attribute[floors]": "six"}, 400, "is not a number"),
    ({"attribute[since]": "yesterday"}, 400, "ISO 8601"),
    ({"attribute[colour]": "red"}, 400, "no such attribute"),
    ({"attribute[scope][]": ["household", "building"]}, 400, "takes one value"),
    ({"phone": "12345"}, 400, "mainland mobile"),
    ({"media_url": "javascript:alert(1)"}, 400, "media_url"),
    ({"jurisdiction_id": "elsewhere"}, 404, "jurisdiction_id"),
]


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(("fields", "status", "message"), BAD_POSTS)
def test_bad_posts_are_documented_4xx_and_write_nothing(client, s, fmt, fields, status, message):
    before = (Case.objects.count(), CaseEvent.objects.count())
    response = post(client, fmt, s, **fields)
    assert response.status_code == status, response.content
    assert any(message in e["description"] for e in errors_of(response, fmt)), errors_of(response, fmt)
    assert (Case.objects.count(), CaseEvent.objects.count()) == before


def test_every_problem_is_reported_at_once(client, s):
    response = post(client, "json", s, **{"attribute[periods][]": None, "attribute[floors]": "x", "lat": "99"})
    descriptions = [e["description"] for e in errors_of(response, "json")]
    assert descriptions == [
        "give both lat and long",
        "attribute floors: 'x' is not a number",
        "attribute periods: required",
    ]


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"{not json", "application/json", "not valid JSON"),
        (b"[1, 2]", "application/json", "must be an object"),
        (b'{"service_code": {"a": 1}}', "application/json", "expected a string or a number"),
        (b"<service_request><api_key>", "application/xml", "not well-formed XML"),
        (b'<!DOCTYPE x [<!ENTITY a "aaaa">]><service_request>&a;</service_request>', "application/xml", "XML"),
        (b"<r><service_code><b>x</b></service_code></r>", "text/xml", "nested"),
    ],
)
def test_malformed_bodies_are_400(client, s, body, content_type, message):
    response = client.post(f"{BASE}requests.json", body, content_type=content_type)
    assert response.status_code == 400
    assert message in errors_of(response, "json")[0]["description"]
    assert Case.objects.count() == 0


def test_oversized_body_is_413(client, s, settings):
    settings.GONGZHI_API_MAX_BODY_KB = 1
    response = post(client, "xml", s, description="长" * 1000)
    assert response.status_code == 413
    assert "larger than 1 KB" in errors_of(response, "xml")[0]["description"]
    assert Case.objects.count() == 0


def test_key_restricted_to_another_jurisdiction_is_403(client, s):
    other = Jurisdiction.objects.create(code="other", name="别处")
    Open311Key.objects.update(jurisdiction=other)
    response = post(client, "json", s, jurisdiction_id=s.jurisdiction.code)
    assert response.status_code == 403
    assert Case.objects.count() == 0


def test_wrong_method_and_unknown_format(client, s):
    response = client.delete(f"{BASE}requests.json")
    assert response.status_code == 405 and response["Allow"] == "GET, HEAD, POST"
    response = client.get(f"{BASE}services.yaml")
    assert response.status_code == 404 and errors_of(response, "json")


# ------------------------------------------------------------------------------------------------------- GET


def _file(s, **kw):
    kw.setdefault("category", s.noise)
    return s.world.submit(channel="api", **kw)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_get_one_request_is_a_list_of_one(client, s, fmt):
    case = _file(s, description="晚上很吵")
    response = client.get(f"{BASE}requests/{case.public_id}.{fmt}")
    assert response.status_code == 200
    if fmt == "json":
        rows = response.json()
        assert isinstance(rows, list) and len(rows) == 1
        row = rows[0]
        assert set(row) == REQUEST_FIELDS
        assert row["service_request_id"] == case.public_id and row["status"] == "open"
        assert row["extended_attributes"] == {"detailed_status": "submitted"}
        assert row["expected_datetime"] == timeutil.local(case.resolve_due).isoformat(timespec="seconds")
        assert row["requested_datetime"].endswith("+08:00")
        assert row["agency_responsible"] == s.world.community.name
    else:
        root = xml(response)
        assert root.tag == "service_requests" and [c.tag for c in root] == ["request"]
        assert {c.tag for c in root[0]} == REQUEST_FIELDS
        assert root.findtext("request/extended_attributes/detailed_status") == "submitted"


def test_status_follows_the_case_and_notes_come_from_the_public_timeline(client, s):
    case = _file(s)
    w = s.world
    case_services.triage(case=case, actor=w.dispatcher, category=s.noise)
    case_services.dispatch(case=case, actor=w.dispatcher, node=w.micro, pool=True)
    case_services.accept(case=case, actor=w.steward)
    row = client.get(f"{BASE}requests/{case.public_id}.json").json()[0]
    assert (row["status"], row["extended_attributes"]["detailed_status"]) == ("open", "accepted")
    assert row["agency_responsible"] == w.micro.name
    case_services.resolve(case=case, actor=w.steward, result="已劝导施工方停止夜间施工")
    row = client.get(f"{BASE}requests/{case.public_id}.json").json()[0]
    assert (row["status"], row["extended_attributes"]["detailed_status"]) == ("closed", "resolved")
    assert row["status_notes"] == "已办结"  # the public reads the timeline's label, not the handler's text …
    case_services.publish(case=case, actor=w.dispatcher, summary="夜间施工噪声已处理")
    row = client.get(f"{BASE}requests/{case.public_id}.json").json()[0]
    assert row["status_notes"] == row["description"] == "夜间施工噪声已处理"  # … and the summary once published


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_request_is_404(client, s, fmt):
    response = client.get(f"{BASE}requests/NOPE123.{fmt}")
    assert response.status_code == 404
    errors_of(response, fmt)


def test_get_requests_filters(client, s):
    old = _file(s, at=timeutil.now() - timedelta(days=100))
    a = _file(s)
    b = _file(s, category=s.world.category)
    c = _file(s)
    case_services.reject(case=c, actor=s.world.dispatcher, reason="重复")
    ids = lambda r: [x["service_request_id"] for x in r.json()]  # noqa: E731
    assert ids(client.get(f"{BASE}requests.json")) == [c.public_id, b.public_id, a.public_id]
    assert ids(client.get(f"{BASE}requests.json?service_code=env.litter")) == [b.public_id]
    assert ids(client.get(f"{BASE}requests.json?status=closed")) == [c.public_id]
    assert ids(client.get(f"{BASE}requests.json?status=open&service_code=noise.night")) == [a.public_id]
    assert ids(client.get(f"{BASE}requests.json?service_request_id={old.public_id},{a.public_id}")) == [
        a.public_id, old.public_id]  # fmt: skip
    start = (timeutil.now() - timedelta(days=120)).isoformat()
    assert old.public_id in ids(client.get(f"{BASE}requests.json", {"start_date": start}))
    response = client.get(f"{BASE}requests.json?page_size=2")
    assert ids(response) == [c.public_id, b.public_id] and 'rel="next"' in response["Link"]
    response = client.get(f"{BASE}requests.json?page_size=2&page=2")
    assert ids(response) == [a.public_id] and "Link" not in response


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("status=pending", "status"),
        ("start_date=yesterday", "start_date"),
        ("end_date=2024-13-01", "end_date"),
        ("start_date=2024-05-02T00:00:00Z&end_date=2024-05-01T00:00:00Z", "after end_date"),
        ("page=0", "page"),
        ("page_size=1001", "page_size"),
        ("page_size=ten", "page_size"),
    ],
)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_bad_list_queries_are_400(client, s, fmt, query, message):
    response = client.get(f"{BASE}requests.{fmt}?{query}")
    assert response.status_code == 400
    assert message in errors_of(response, fmt)[0]["description"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_tokens(client, s, fmt):
    case = _file(s)
    response = client.get(f"{BASE}tokens/{case.public_id}.{fmt}")
    assert response.status_code == 200
    if fmt == "json":
        assert response.json() == [{"service_request_id": case.public_id, "token": case.public_id}]
    else:
        assert [c.tag for c in xml(response).find("request")] == ["service_request_id", "token"]
    assert client.get(f"{BASE}tokens/UNKNOWN.{fmt}").status_code == 404


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_service_request_updates(client, s, fmt):
    case = _file(s)
    case_services.reject(case=case, actor=s.world.dispatcher, reason="不属于本社区")
    response = client.get(f"{BASE}servicerequestupdates.{fmt}?service_request_id={case.public_id}")
    assert response.status_code == 200
    if fmt == "json":
        rows = response.json()
        assert [(r["status"], r["extended_attributes"]["event"]) for r in rows] == [
            ("open", "submitted"), ("closed", "rejected")]  # fmt: skip
        assert rows[1]["description"] == "不予受理" and rows[1]["update_id"].isdigit()  # the label: staff text stays in
    else:
        root = xml(response)
        assert root.tag == "service_request_updates" and {c.tag for c in root} == {"request_update"}
        assert [u.findtext("status") for u in root] == ["open", "closed"]


def test_jurisdiction_id_is_required_with_several_and_selects_the_tenant(client, s):
    Jurisdiction.objects.create(code="zz-other", name="另一个区")
    response = client.get(f"{BASE}services.json")
    assert response.status_code == 400 and "jurisdiction_id" in response.json()[0]["description"]
    code = s.jurisdiction.code
    assert len(client.get(f"{BASE}services.json?jurisdiction_id={code}").json()) == 2
    assert client.get(f"{BASE}services.json?jurisdiction_id=zz-other").json() == []
    case = _file(s)
    assert client.get(f"{BASE}requests/{case.public_id}.json?jurisdiction_id=zz-other").status_code == 404
