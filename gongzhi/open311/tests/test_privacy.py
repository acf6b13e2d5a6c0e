"""What the public Open311 reads may show: public-problem requests (报事) by their public id with public text only
(the public summary once published, masked again; the place at building or community level; a snapped or rounded
point); private requests (办事/求助, private categories, uncategorised) only by status in a GET by id, and left out of
lists and updates; the client whose key filed a request sees it in full. Never a tracking code."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from gongzhi.cases import services as case_services
from gongzhi.cases.choices import EventKind
from gongzhi.cases.models import Case
from gongzhi.cases.tests.factories import category
from gongzhi.open311 import keys, selectors
from gongzhi.open311.tests.factories import setup

BASE = "/open311/v2/"
PHONE = "13812345678"
ID_NUMBER = "11010119900307123X"
TEXT = f"我叫张三，电话{PHONE}，身份证{ID_NUMBER}，3号楼楼道堆满杂物"
MASKED = "我叫张*，电话138****5678，身份证**************123X，3号楼楼道堆满杂物"

pytestmark = pytest.mark.django_db


@pytest.fixture
def s():
    return setup()


def _file(s, cat=None, **kw):
    kw.setdefault("category", cat or s.noise)
    kw.setdefault("description", TEXT)
    kw.setdefault("address", f"幸福路1号 联系电话{PHONE}")
    kw.setdefault("lat", 31.2)
    kw.setdefault("lon", 121.4)
    kw.setdefault("internal_attributes", {"_media_url": "https://example.org/p.jpg"})
    return s.world.submit(channel="api", **kw)


def _help_category(s):
    return category(s.jurisdiction, "care.lone_elderly", name="独居老人关爱", kind="help")


def _ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [r["service_request_id"] for r in response.json()]


def test_public_problem_requests_show_public_text_only(client, s):
    case = _file(s)
    case_services.reject(case=case, actor=s.world.dispatcher, reason=f"请联系{PHONE}")
    row = client.get(f"{BASE}requests/{case.public_id}.json").json()[0]
    assert row["service_request_id"] == case.public_id
    assert row["description"] == ""  # nothing published: no text at all, not the resident's words
    assert row["address"] == str(s.world.building)  # the building, not the address typed
    assert (row["lat"], row["long"], row["media_url"]) == (31.2, 121.4, "")  # the client's photo is its own
    assert row["status_notes"] == str(EventKind.REJECTED.label)  # the refusal's label, not the staff's text
    assert _ids(client.get(f"{BASE}requests.json")) == [case.public_id]
    updates = client.get(f"{BASE}servicerequestupdates.json").json()
    assert [u["description"] for u in updates] == [str(EventKind.SUBMITTED.label), str(EventKind.REJECTED.label)]
    for fmt in ("json", "xml"):
        for path in (f"requests/{case.public_id}", "requests", "servicerequestupdates"):
            body = client.get(f"{BASE}{path}.{fmt}").content.decode()
            assert PHONE not in body and "138****5678" not in body and ID_NUMBER[-4:] not in body
            assert "张三" not in body and "楼道" not in body and "幸福路" not in body
            assert case.tracking_code not in body


def test_a_gps_point_is_rounded_and_a_building_snaps_to_the_building(client, s):
    gps = _file(s, building=None, lat=31.2345678, lon=121.4567891)
    row = client.get(f"{BASE}requests/{gps.public_id}.json").json()[0]
    assert (row["lat"], row["long"]) == (31.235, 121.457)
    assert row["address"] in (s.world.community.name, s.world.district.name)  # never the address typed
    assert row["address_id"] == ""
    s.world.building.lat, s.world.building.lon = 31.3, 121.5
    s.world.building.save()
    on_building = _file(s, lat=None, lon=None)
    row = client.get(f"{BASE}requests/{on_building.public_id}.json").json()[0]
    assert (row["lat"], row["long"]) == (31.3, 121.5)
    assert row["address"] == str(s.world.building) and row["address_id"] == s.world.building.public_token


def test_a_published_result_shows_its_summary_masked_once_more(client, s):
    w = s.world
    case = _file(s)
    case_services.triage(case=case, actor=w.dispatcher, category=s.noise)
    case_services.dispatch(case=case, actor=w.dispatcher, node=w.micro, pool=True)
    case_services.accept(case=case, actor=w.steward)
    case_services.resolve(case=case, actor=w.steward, result=f"已联系户主王五（{PHONE}）清理")
    row = client.get(f"{BASE}requests/{case.public_id}.json").json()[0]
    assert row["status_notes"] == str(EventKind.RESOLVED.label) and "王五" not in str(row)
    case_services.publish(case=case, actor=w.dispatcher, summary=f"夜间施工已停止，联系人李四 {PHONE}")
    row = client.get(f"{BASE}requests/{case.public_id}.json").json()[0]
    assert row["status_notes"] == row["description"] == "夜间施工已停止，联系人李* 138****5678"
    published = client.get(f"{BASE}servicerequestupdates.json").json()[-1]
    assert (published["extended_attributes"]["event"], published["description"]) == (
        "published",
        "夜间施工已停止，联系人李* 138****5678",
    )


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_help_request_shows_only_its_status_and_stays_out_of_lists(client, s, fmt):
    case = _file(s, _help_category(s))
    assert case.kind == "help"
    case_services.reject(case=case, actor=s.world.dispatcher, reason=f"已转民政，联系{PHONE}")
    response = client.get(f"{BASE}requests/{case.public_id}.{fmt}")
    assert response.status_code == 200
    body = response.content.decode()
    assert PHONE not in body and "138****5678" not in body and "楼道" not in body and "幸福路" not in body
    if fmt == "json":
        row = response.json()[0]
        assert (row["description"], row["address"], row["address_id"], row["media_url"]) == ("", "", "", "")
        assert (row["lat"], row["long"]) == (None, None)
        assert (row["status"], row["status_notes"]) == ("closed", str(EventKind.REJECTED.label))
        assert row["extended_attributes"] == {"detailed_status": "rejected"}
        assert row["service_code"] == "care.lone_elderly"
    else:
        request = ET.fromstring(response.content).find("request")  # noqa: S314 - our own output
        assert [request.findtext(f) for f in ("description", "address", "lat", "long", "media_url")] == [""] * 5
    assert client.get(f"{BASE}requests.{fmt}").content.count(b"care.lone_elderly") == 0
    assert client.get(f"{BASE}requests.json?service_request_id={case.public_id}").json() == []
    assert client.get(f"{BASE}servicerequestupdates.json").json() == []


@pytest.mark.parametrize("code", ["neighbourhood.dispute", "safety.fraud", "errands.dibao"])
def test_private_categories_are_private(client, s, code):
    public = _file(s)
    case = _file(s, category(s.jurisdiction, code, name="私密", private=True))
    assert case.kind == "report"
    assert _ids(client.get(f"{BASE}requests.json")) == [public.public_id]
    row = client.get(f"{BASE}requests/{case.public_id}.json").json()[0]
    assert (row["description"], row["address"], row["lat"]) == ("", "", None)


def test_an_administrator_marks_a_category_private_and_it_disappears_from_public_reads(client, s, admin_client):
    case = _file(s)
    assert _ids(client.get(f"{BASE}requests.json")) == [case.public_id]
    url = f"/admin/cases/casecategory/{s.noise.pk}/change/"
    assert 'name="private"' in admin_client.get(url).content.decode()  # the administrator's checkbox
    s.noise.private = True
    s.noise.save()  # what the admin form's save does
    s.noise.refresh_from_db()
    assert s.noise.private is True
    assert _ids(client.get(f"{BASE}requests.json")) == []  # the per-process caches were dropped by the save
    row = client.get(f"{BASE}requests/{case.public_id}.json").json()[0]
    assert (row["description"], row["address"]) == ("", "")


def test_the_seed_catalogue_marks_the_categories_about_people_private(s):
    import importlib

    from gongzhi.cases import catalogue
    from gongzhi.cases.models import CaseCategory
    from gongzhi.cases.seed_catalogue import PRIVATE_CODES, seeded_private

    catalogue.seed(jurisdiction=s.jurisdiction)
    seeded = {c.code: c.private for c in CaseCategory.objects.filter(jurisdiction=s.jurisdiction)}
    assert seeded["neighbourhood.dispute"] is True and seeded["safety.fraud"] is True
    assert (
        any(v for k, v in seeded.items() if k.startswith("care.")) and seeded.get("safety.fire_hazard", False) is False
    )
    assert all(v == seeded_private(k) for k, v in seeded.items() if k not in ("noise.night", "env.litter"))
    # The migration that brought the flag marks existing catalogues with the same codes.
    migration = importlib.import_module("gongzhi.cases.migrations.0004_category_private")
    assert migration.PRIVATE_CODES == PRIVATE_CODES


def test_an_uncategorised_request_is_private(client, s):
    case = s.world.submit(channel="api", description=TEXT, category=None)
    assert _ids(client.get(f"{BASE}requests.json")) == []
    assert client.get(f"{BASE}requests/{case.public_id}.json").json()[0]["description"] == ""


def test_is_private():
    assert selectors.is_private("report", False) is False
    assert selectors.is_private("report", True) is True
    assert selectors.is_private("help", False) is True  # 办事/求助 by kind
    assert selectors.is_private("errand", False) is True
    assert selectors.is_private("report", None) is True  # no category yet


def test_seeded_private_codes_name_a_category_and_everything_under_it():
    from gongzhi.cases.seed_catalogue import seeded_private

    assert seeded_private("care") and seeded_private("safety.fraud.online")
    assert not seeded_private("safety.fire_hazard") and not seeded_private("noise.night")
    assert not seeded_private("neighbourhood.disputes")  # a code, not a prefix of letters


def test_the_client_that_filed_a_request_sees_it_in_full(client, s):
    help_category = _help_category(s)
    data = {"api_key": s.key, "service_code": help_category.code, "lat": "31.2", "long": "121.4",
            "description": TEXT}  # fmt: skip
    response = client.post(f"{BASE}requests.json", data)
    assert response.status_code == 201
    code = response.json()[0]["service_request_id"]
    _row, other = keys.create_key(name="another app")
    mine = client.get(f"{BASE}requests/{code}.json", {"api_key": s.key}).json()[0]
    assert (mine["description"], mine["lat"]) == (TEXT, 31.2)
    assert _ids(client.get(f"{BASE}requests.json", {"api_key": s.key})) == [code]
    assert [
        u["service_request_id"] for u in client.get(f"{BASE}servicerequestupdates.json?api_key={s.key}").json()
    ] == [code]
    theirs = client.get(f"{BASE}requests/{code}.json", {"api_key": other}).json()[0]
    assert (theirs["description"], theirs["lat"]) == ("", None)
    assert _ids(client.get(f"{BASE}requests.json", {"api_key": other})) == []
    assert client.get(f"{BASE}requests/{code}.json").json()[0]["description"] == ""


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_wrong_key_on_a_read_is_403(client, s, fmt):
    case = _file(s)
    for path in (f"requests/{case.public_id}", "requests", "servicerequestupdates"):
        response = client.get(f"{BASE}{path}.{fmt}", {"api_key": "o311_wrong"})
        assert response.status_code == 403, path
    assert Case.objects.count() == 1
