"""Reserved attribute keys (cases.attribute_keys) are refused on every way in: the exchange API, Open311 POST, the
case service itself, the console's import, and the admin's category definitions. Before, a partner could file
``_media_url: "javascript:…"`` (shown as Open311's media_url) or ``_open311_key`` (the key then saw the case in
full)."""

from __future__ import annotations

import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook

from gongzhi.api.tests.factories import bearer, partner
from gongzhi.cases import attribute_keys, services
from gongzhi.cases.models import Case, CaseCategory, CaseEvent
from gongzhi.cases.tests.factories import category, world
from gongzhi.core.errors import DomainError
from gongzhi.open311 import keys
from gongzhi.open311.tests.factories import NOISE_ATTRIBUTES

pytestmark = pytest.mark.django_db
RESERVED = ["_media_url", "_open311_key", "_open311_client", "_anything", " _media_url", "_MEDIA_URL"]


@pytest.fixture
def w():
    return world()


def counts():
    return Case.objects.count(), CaseEvent.objects.count()


# ------------------------------------------------------------------------------------------------------- the rule


@given(st.text(max_size=20))
def test_reserved_is_exactly_a_leading_underscore(key):
    assert attribute_keys.is_reserved(key) == key.strip().casefold().startswith("_")


def test_the_internal_keys_are_reserved():
    assert all(attribute_keys.is_reserved(k) for k in attribute_keys.INTERNAL)
    assert attribute_keys.reserved(["floor", "_media_url", "unit", "_x"]) == ["_media_url", "_x"]


@pytest.mark.parametrize("key", RESERVED)
def test_the_case_service_refuses_them(w, key):
    before = counts()
    with pytest.raises(DomainError, match="reserved") as refused:
        services.submit(
            jurisdiction=w.jurisdiction, channel="api", title="路灯不亮", lat=None, attributes={key: "x", "unit": "3"}
        )
    assert refused.value.code == "reserved_attribute"
    assert counts() == before


def test_only_the_interfaces_write_them_and_only_under_reserved_keys(w):
    case = services.submit(
        jurisdiction=w.jurisdiction,
        channel="api",
        title="路灯不亮",
        attributes={"unit": "3"},
        internal_attributes={"_open311_key": 7},
    )
    assert case.attributes == {"unit": "3", "_open311_key": 7}
    with pytest.raises(ValueError, match="reserved keys only"):
        services.submit(jurisdiction=w.jurisdiction, channel="api", title="x", internal_attributes={"unit": "3"})


# ------------------------------------------------------------------------------------------------- exchange API


@pytest.mark.parametrize("key", RESERVED)
def test_the_exchange_api_refuses_them_with_422(client, w, key):
    _partner, raw = partner(w.jurisdiction)
    body = {"external_id": "RX-1", "title": "小区路灯不亮", "attributes": {key: "javascript:alert(1)"}}
    before = counts()
    response = client.post("/api/v1/cases", json.dumps(body), content_type="application/json", **bearer(raw))
    assert response.status_code == 422, response.content
    assert "reserved" in response.content.decode()
    assert counts() == before


def test_the_exchange_api_still_takes_ordinary_attributes(client, w):
    _partner, raw = partner(w.jurisdiction)
    body = {"external_id": "RX-2", "title": "小区路灯不亮", "attributes": {"unit": "3", "floors": 2.0}}
    response = client.post("/api/v1/cases", json.dumps(body), content_type="application/json", **bearer(raw))
    assert response.status_code == 201
    assert Case.objects.get().attributes == {"unit": "3", "floors": 2.0}


# ------------------------------------------------------------------------------------------------------ Open311


@pytest.fixture
def open311(w):
    # A category whose definition has a reserved code (written past the model's check, as an old database might
    # hold it): Open311 must refuse the attribute all the same.
    noise = category(w.jurisdiction, "noise.night", name="夜间噪音", attributes=NOISE_ATTRIBUTES)
    CaseCategory.objects.filter(pk=noise.pk).update(
        attributes=[*NOISE_ATTRIBUTES, {"variable": True, "code": "_media_url", "datatype": "string"}]
    )
    _row, raw = keys.create_key(name="city app", jurisdiction=None)
    return raw


@pytest.mark.parametrize("key", ["_media_url", "_open311_key", "_x"])
def test_open311_post_refuses_them(client, w, open311, key):
    before = counts()
    data = {
        "api_key": open311,
        "service_code": "noise.night",
        "address_id": w.building.public_token,
        "attribute[periods][]": ["night"],
        f"attribute[{key}]": "javascript:alert(1)",
        "description": "楼上每晚装修",
    }
    response = client.post("/open311/v2/requests.json", data)
    assert response.status_code == 400
    assert any(f"attribute {key}: reserved" in e["description"] for e in response.json())
    assert counts() == before


def test_open311_records_its_own_keys_for_the_request_it_files(client, w, open311):
    data = {
        "api_key": open311,
        "service_code": "noise.night",
        "address_id": w.building.public_token,
        "attribute[periods][]": ["night"],
        "media_url": "https://img.example/1.jpg",
    }
    assert client.post("/open311/v2/requests.json", data).status_code == 201
    attributes = Case.objects.get().attributes
    assert attributes["_media_url"] == "https://img.example/1.jpg"
    assert attributes["_open311_client"] == "city app" and isinstance(attributes["_open311_key"], int)


# --------------------------------------------------------------------------------------------- console's import


def test_the_import_never_writes_attributes(client, w, settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = tmp_path
    book = Workbook(write_only=True)
    sheet = book.create_sheet("cases")
    sheet.append(["工单编号", "标题", "楼栋编码", "_media_url", "attribute[_open311_key]", "_open311_key"])
    sheet.append(["12345-1", "噪音扰民", w.building.code, "javascript:alert(1)", "1", "1"])
    out = io.BytesIO()
    book.save(out)
    client.force_login(w.dispatcher)
    upload = SimpleUploadedFile("hotline.xlsx", out.getvalue(), content_type="application/octet-stream")
    client.post(reverse("console:imports"), {"kind": "cases", "file": upload})
    case = Case.objects.get(external_id="12345-1")
    assert case.attributes == {}


# -------------------------------------------------------------------------------------------------------- admin


@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        ([{"code": "_media_url"}], "reserved"),
        ([{"code": " _open311_key"}], "reserved"),
        ([{"code": "unit"}, {"code": "unit"}], "Each attribute code once"),
        ({"code": "unit"}, "Give a list of attributes"),
        ([{"datatype": "string"}], "Give a list of attributes"),
    ],
)
def test_category_definitions_refuse_reserved_codes(w, attributes, message):
    w.category.attributes = attributes
    with translation.override("en"), pytest.raises(ValidationError, match=message):
        w.category.full_clean()
    with translation.override("zh-hans"), pytest.raises(ValidationError, match="属性"):
        w.category.full_clean()


def test_the_admin_refuses_a_reserved_attribute_code_and_saves_nothing(client, w):
    w.centre.is_staff = w.centre.is_superuser = True
    w.centre.save()
    client.force_login(w.centre)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    url = reverse("admin:cases_casecategory_change", args=[w.category.pk])
    form = client.get(url).context["adminform"].form
    data = {
        name: ("" if value is None else value)
        for name, value in form.initial.items()
        if name in form.fields and not isinstance(value, list | dict)
    }
    data.update(
        {
            "jurisdiction": w.category.jurisdiction_id,
            "attributes": json.dumps([{"code": "_media_url", "datatype": "string"}]),
            "keywords": "[]",
            "sla_policies-TOTAL_FORMS": "0",
            "sla_policies-INITIAL_FORMS": "0",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 200
    assert "reserved for gongzhi" in response.content.decode()
    w.category.refresh_from_db()
    assert w.category.attributes == []
