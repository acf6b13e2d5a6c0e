"""The console's care pages (issue 27): who gets in (a permission matrix over every page), search first with masked
answers, the full record opened with a purpose (one access-log row, clear data in that response only), a manager's
changes, the visit that files a case in one transaction (or nothing), export and erasure on the resident's request
(the cases anonymised, the photos deleted), overdue visits per grid node, the registry export and the access log."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.contrib import admin
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook
from PIL import Image

from gongzhi.care import services as care
from gongzhi.care.choices import Access, ResidentStatus
from gongzhi.care.models import AccessEntry, CaseLink, Household, LevelChange, Resident, Visit
from gongzhi.care.tests.factories import CareWorld, care_world, id_number
from gongzhi.cases import catalogue
from gongzhi.cases import services as case_services
from gongzhi.cases.choices import Channel, EventKind
from gongzhi.cases.models import Case, CaseCategory, CaseEvent
from gongzhi.core import timeutil
from gongzhi.core.errors import DomainError
from gongzhi.grid import roles
from gongzhi.grid.tests.factories import post

pytestmark = pytest.mark.django_db

NAME = "欧阳秀英"
PHONE = "13912345678"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def w() -> CareWorld:
    world = care_world()
    catalogue.seed(jurisdiction=world.district.jurisdiction)
    return world


@pytest.fixture
def centre(w):
    return post(roles.COMMAND_CENTRE, node=w.district).user


def _login(client, user):
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _resident(w: CareWorld, **kw) -> Resident:
    kw.setdefault("name", NAME)
    kw.setdefault("phone", PHONE)
    kw.setdefault("level", "red")
    kw.setdefault("groups", ("living_alone",))
    return w.resident(**kw)


def _photo() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (200, 40, 40)).save(out, format="JPEG")
    return SimpleUploadedFile("door.jpg", out.getvalue(), content_type="image/jpeg")


def _report_category(w: CareWorld) -> CaseCategory:
    return CaseCategory.objects.filter(
        jurisdiction=w.district.jurisdiction, kind="report", children__isnull=True, active=True
    ).order_by("code")[0]


def _clear(r: Resident) -> tuple[str, str, str]:
    fresh = Resident.objects.get(pk=r.pk)
    return fresh.name, fresh.id_number, fresh.phone


def _shows_none(html: str, *values: str) -> None:
    for value in values:
        assert value and value not in html, value


# ---------------------------------------------------------------------------------------------------- who gets in


def _urls(r: Resident) -> dict[str, str]:
    return {
        "search": reverse("console:care"),
        "resident": reverse("console:care_resident", args=[r.pk]),
        "household": reverse("console:care_household", args=[r.household_id]),
        "visits": reverse("console:care_visits"),
        "visit": reverse("console:care_visit", args=[r.pk]),
        "overdue": reverse("console:care_overdue"),
        "household_new": reverse("console:care_household_new"),
        "access_log": reverse("console:care_access_log"),
        "access_log_xlsx": reverse("console:care_access_log_xlsx"),
    }


def test_anonymous_visitors_are_sent_to_log_in(client, w):
    r = _resident(w)
    posts = [
        reverse(f"console:care_resident_{name}", args=[r.pk])
        for name in ("open", "level", "groups", "phone", "move_out", "consent", "export", "erase")
    ] + [reverse("console:care_registry_xlsx"), reverse("console:care_household_add", args=[r.household_id])]
    for url in list(_urls(r).values()):
        response = client.get(url)
        assert response.status_code == 302 and reverse("accounts:login") in response["Location"], url
    for url in posts:
        response = client.post(url, {"purpose": "visit", "reason": "x", "confirm": "on"})
        assert response.status_code == 302 and reverse("accounts:login") in response["Location"], url
    assert AccessEntry.objects.count() == 0 and Resident.objects.get(pk=r.pk).status == ResidentStatus.LIVING


# Expected status of each page for each viewer: stewards and staff in scope work, a steward or staff member of
# another area sees "no such record", leaders and the command centre read figures only (no registry), the
# administrator reviews the access log and opens no record.
MATRIX = {
    "staff": {
        "search": 200,
        "resident": 200,
        "household": 200,
        "visits": 200,
        "visit": 200,
        "overdue": 200,
        "household_new": 200,
        "access_log": 403,
        "access_log_xlsx": 403,
    },
    "steward": {
        "search": 200,
        "resident": 200,
        "household": 200,
        "visits": 200,
        "visit": 200,
        "overdue": 200,
        "household_new": 403,
        "access_log": 403,
        "access_log_xlsx": 403,
    },
    "other_steward": {
        "search": 200,
        "resident": 404,
        "household": 404,
        "visits": 200,
        "visit": 404,
        "overdue": 200,
        "household_new": 403,
        "access_log": 403,
        "access_log_xlsx": 403,
    },
    "other_staff": {
        "search": 200,
        "resident": 404,
        "household": 404,
        "visits": 200,
        "visit": 404,
        "overdue": 200,
        "household_new": 200,
        "access_log": 403,
        "access_log_xlsx": 403,
    },
    "leader": {
        "search": 403,
        "resident": 404,
        "household": 404,
        "visits": 403,
        "visit": 404,
        "overdue": 403,
        "household_new": 403,
        "access_log": 403,
        "access_log_xlsx": 403,
    },
    "centre": {
        "search": 403,
        "resident": 404,
        "household": 404,
        "visits": 403,
        "visit": 404,
        "overdue": 403,
        "household_new": 403,
        "access_log": 403,
        "access_log_xlsx": 403,
    },
    "admin": {
        "search": 403,
        "resident": 404,
        "household": 404,
        "visits": 403,
        "visit": 404,
        "overdue": 403,
        "household_new": 403,
        "access_log": 200,
        "access_log_xlsx": 200,
    },
}


@pytest.mark.parametrize("who", sorted(MATRIX))
def test_the_permission_matrix(client, w, centre, who):
    r = _resident(w)
    user = centre if who == "centre" else getattr(w, who)
    _login(client, user)
    for page, expected in MATRIX[who].items():
        response = client.get(_urls(r)[page])
        assert response.status_code == expected, (who, page, response.status_code)
        if response.status_code == 200 and page != "access_log_xlsx":
            _shows_none(response.content.decode(), *_clear(r))


@pytest.mark.parametrize("who", ["other_steward", "other_staff", "leader", "centre", "admin"])
def test_outsiders_open_change_or_erase_nothing(client, w, centre, who):
    r = _resident(w)
    before = (Resident.objects.filter(pk=r.pk).values().get(), LevelChange.objects.count())
    user = centre if who == "centre" else getattr(w, who)
    _login(client, user)
    attempts = {
        "open": {"purpose": "visit"},
        "level": {"level": "green", "reason": "好转"},
        "phone": {"phone": "13900000000"},
        "erase": {"reason": "本人申请", "confirm": "on"},
        "export": {},
        "consent": {"purpose": "sms", "given": "1", "note": "签字"},
    }
    for name, data in attempts.items():
        response = client.post(reverse(f"console:care_resident_{name}", args=[r.pk]), data)
        assert response.status_code == 404, (who, name, response.status_code)
    response = client.post(reverse("console:care_visit", args=[r.pk]), {"outcome": "well"})
    assert response.status_code == 404
    assert AccessEntry.objects.count() == 0
    assert Visit.objects.count() == 0
    assert (Resident.objects.filter(pk=r.pk).values().get(), LevelChange.objects.count()) == before


def test_a_steward_in_scope_may_not_change_export_or_erase(client, w):
    r = _resident(w)
    _login(client, w.steward)
    for name, data in {
        "level": {"level": "green", "reason": "好转"},
        "erase": {"reason": "本人申请", "confirm": "on"},
        "export": {},
    }.items():
        assert client.post(reverse(f"console:care_resident_{name}", args=[r.pk]), data).status_code == 403, name
    assert client.post(reverse("console:care_registry_xlsx")).status_code == 403
    assert AccessEntry.objects.count() == 0
    assert Resident.objects.get(pk=r.pk).level == "red"


def test_forged_ids_are_404(client, w):
    _resident(w)
    _login(client, w.staff)
    for url in (
        reverse("console:care_resident", args=[987654]),
        reverse("console:care_household", args=[987654]),
        reverse("console:care_visit", args=[987654]),
        reverse("console:care_overdue") + "?node=987654",
        reverse("console:care_overdue") + "?node=abc",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("console:care_resident_open", args=[987654]), {"purpose": "visit"}).status_code == 404
    assert AccessEntry.objects.count() == 0


def test_the_navigation_offers_the_registry_to_those_who_use_it(client, w):
    r = _resident(w)
    steward_page = _login(client, w.steward).get(reverse("console:care_resident", args=[r.pk])).content.decode()
    assert 'data-nav="care"' in steward_page and 'data-nav="care_log"' not in steward_page
    admin_page = _login(client, w.admin).get(reverse("console:care_access_log")).content.decode()
    assert 'data-nav="care_log"' in admin_page and 'data-nav="care"' not in admin_page
    leader_page = _login(client, w.leader).get(reverse("console:home"), follow=True).content.decode()
    assert 'data-nav="care"' not in leader_page


# ---------------------------------------------------------------------------------------------------- search


def test_search_finds_exactly_and_shows_masked_rows(client, w):
    r = _resident(w)
    other = w.resident(name="张建国", household=w.household(node=w.other_micro_grid))
    _login(client, w.steward)
    for q in (NAME, r.id_number, PHONE, f"#{r.household.code}"):
        html = client.post(reverse("console:care"), {"q": q}).content.decode()
        assert f'data-resident="{r.pk}"' in html, q
        assert "欧***" in html and "139****5678" in html and r.id_masked in html
        # Only what was typed comes back (in the box); the rest stays masked.
        _shows_none(html, *[v for v in (NAME, PHONE, r.id_number) if v != q])
    # The other micro-grid's resident is not the steward's.
    html = client.post(reverse("console:care"), {"q": "张建国"}).content.decode()
    assert f'data-resident="{other.pk}"' not in html and 'id="no-results"' in html


def test_a_too_short_query_shows_the_message_and_lists_nobody(client, w):
    _resident(w)
    response = _login(client, w.steward).post(reverse("console:care"), {"q": "欧"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="care-error"' in html and "Type a full name, an ID number or a phone number." in html
    assert "data-resident=" not in html
    assert "data-resident=" not in client.get(reverse("console:care")).content.decode()


# ---------------------------------------------------------------------------------------------------- the record


def test_the_resident_page_is_masked_and_never_cached(client, w):
    r = _resident(w)
    response = _login(client, w.steward).get(reverse("console:care_resident", args=[r.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    _shows_none(html, NAME, PHONE, r.id_number)
    assert "欧***" in html and r.id_masked in html and 'data-level="red"' in html
    assert "no-store" in response["Cache-Control"]
    assert 'id="manage"' not in html  # a steward keeps no record


def test_opening_the_full_record_logs_one_read_and_shows_it_once(client, w):
    r = _resident(w)
    _login(client, w.steward)
    url = reverse("console:care_resident_open", args=[r.pk])
    response = client.post(url, {"purpose": "visit", "detail": "上门前核对"})
    html = response.content.decode()
    assert response.status_code == 200
    assert NAME in html and PHONE in html and r.id_number in html
    assert "no-store" in response["Cache-Control"]
    entry = AccessEntry.objects.get()
    assert (entry.user, entry.action, entry.resident_id_ref, entry.purpose, entry.detail) == (
        w.steward,
        Access.READ,
        r.pk,
        "visit",
        "上门前核对",
    )
    # The next GET is masked again; a purpose not offered is refused and logs nothing.
    _shows_none(client.get(reverse("console:care_resident", args=[r.pk])).content.decode(), NAME, PHONE, r.id_number)
    refused = client.post(url, {"purpose": "curiosity"})
    assert refused.status_code == 400
    _shows_none(refused.content.decode(), NAME, PHONE, r.id_number)
    assert client.get(url).status_code == 405
    assert AccessEntry.objects.count() == 1


def test_a_manager_sets_the_level_with_a_reason(client, w):
    r = _resident(w)
    _login(client, w.staff)
    url = reverse("console:care_resident_level", args=[r.pk])
    assert client.post(url, {"level": "green", "reason": ""}).status_code == 400
    assert client.post(url, {"level": "red", "reason": "照旧"}).status_code == 400  # already red: the service says
    assert LevelChange.objects.filter(resident=r).count() == 1
    response = client.post(url, {"level": "green", "reason": "子女已回家同住"})
    assert response.status_code == 302
    r.refresh_from_db()
    assert r.level == "green" and r.level_reason == "子女已回家同住"
    assert LevelChange.objects.filter(resident=r).count() == 2
    html = client.get(reverse("console:care_resident", args=[r.pk])).content.decode()
    assert "子女已回家同住" in html and 'data-level="green"' in html


def test_a_manager_records_groups_phone_consent_and_a_move_out(client, w):
    r = _resident(w)
    _login(client, w.staff)
    aged = w.group("aged")
    assert client.post(reverse("console:care_resident_groups", args=[r.pk]), {"groups": [aged.pk]}).status_code == 302
    assert list(Resident.objects.get(pk=r.pk).groups.all()) == [aged]
    assert client.post(reverse("console:care_resident_phone", args=[r.pk]), {"phone": "abc"}).status_code == 400
    assert Resident.objects.get(pk=r.pk).phone == PHONE
    assert client.post(reverse("console:care_resident_phone", args=[r.pk]), {"phone": "13811112222"}).status_code == 302
    assert Resident.objects.get(pk=r.pk).phone == "13811112222"
    consent = {"purpose": "sms", "given": "1", "note": "本人签字"}
    assert client.post(reverse("console:care_resident_consent", args=[r.pk]), consent).status_code == 302
    assert r.consents.get().given is True
    tomorrow = timeutil.local_today() + timedelta(days=1)
    move = reverse("console:care_resident_move_out", args=[r.pk])
    assert client.post(move, {"on": tomorrow.isoformat()}).status_code == 400
    assert Resident.objects.get(pk=r.pk).status == ResidentStatus.LIVING
    assert client.post(move, {"on": timeutil.local_today().isoformat()}).status_code == 302
    assert Resident.objects.get(pk=r.pk).status == ResidentStatus.MOVED_AWAY


# ---------------------------------------------------------------------------------------------------- households


def test_a_household_page_lists_its_members_masked(client, w):
    r = _resident(w)
    html = _login(client, w.steward).get(reverse("console:care_household", args=[r.household_id])).content.decode()
    assert f'data-resident="{r.pk}"' in html and r.household.building.name in html and "1单元101" in html
    _shows_none(html, NAME, PHONE, r.id_number)
    assert 'id="resident-form"' not in html


def test_a_manager_registers_a_household_and_a_resident(client, w):
    _login(client, w.staff)
    from gongzhi.grid.tests.factories import BuildingFactory

    building = BuildingFactory(node=w.micro_grid, jurisdiction=w.district.jurisdiction, name="9号楼")
    response = client.post(
        reverse("console:care_household_new"), {"building": building.pk, "code": "A-0009", "room": "2单元301"}
    )
    assert response.status_code == 302
    household = Household.objects.get(code="A-0009")
    assert household.building == building and household.node == w.micro_grid
    # A bad ID number: the service's message on the form, nothing written.
    url = reverse("console:care_household_add", args=[household.pk])
    bad = client.post(url, {"name": "李桂兰", "id_number": "990101194005171234", "relation": "head"})
    assert bad.status_code == 400
    assert 'class="error"' in bad.content.decode()
    assert Resident.objects.count() == 0
    good = client.post(
        url,
        {"name": "李桂兰", "id_number": id_number(), "relation": "head", "level": "yellow", "level_reason": "高龄独居"},
    )
    assert good.status_code == 302
    made = Resident.objects.get()
    assert made.household == household and made.level == "yellow"
    # The same ID number again is refused.
    again = client.post(url, {"name": "李桂兰", "id_number": made.id_number})
    assert again.status_code == 409 and Resident.objects.count() == 1


# ---------------------------------------------------------------------------------------------------- visits


def _due(w: CareWorld, days_overdue: int, name: str) -> Resident:
    r = w.resident(name=name, level="red", phone="")
    Resident.objects.filter(pk=r.pk).update(next_visit_due=timeutil.local_today() - timedelta(days=days_overdue))
    return r


def test_my_visits_today_lists_the_most_overdue_first_masked_with_the_door(client, w):
    a, b, c = _due(w, 1, "赵一"), _due(w, 9, "钱二"), _due(w, -5, "孙三")
    html = _login(client, w.steward).get(reverse("console:care_visits")).content.decode()
    assert html.index(f'data-resident="{b.pk}"') < html.index(f'data-resident="{a.pk}"')
    assert f'data-resident="{c.pk}"' not in html  # not due yet
    assert "钱*" in html and "赵*" in html and "钱二" not in html
    assert "1单元101" in html and 'name="viewport"' in html
    assert reverse("console:care_visit", args=[b.pk]) in html
    other = _login(client, w.other_steward).get(reverse("console:care_visits")).content.decode()
    assert "data-resident=" not in other


def test_a_visit_all_well_reschedules_and_files_nothing(client, w):
    r = _due(w, 3, "周四")
    _login(client, w.steward)
    response = client.post(
        reverse("console:care_visit", args=[r.pk]), {"outcome": "well", "findings": "", "photos": [_photo()]}
    )
    assert response.status_code == 302
    visit = Visit.objects.get()
    assert (visit.resident_id, visit.visitor, visit.outcome, visit.on_time) == (r.pk, w.steward, "well", False)
    assert len(visit.photos) == 1 and default_storage.exists(visit.photos[0])
    assert Resident.objects.get(pk=r.pk).next_visit_due > timeutil.local_today()
    assert Case.objects.count() == 0 and CaseLink.objects.count() == 0


def test_a_visit_that_finds_a_problem_files_the_case_in_the_same_request(client, w):
    r = _resident(w)
    category = _report_category(w)
    _login(client, w.steward)
    response = client.post(
        reverse("console:care_visit", args=[r.pk]),
        {
            "outcome": "problem",
            "findings": "厨房水管漏水，地面积水",
            "next_step": "明天跟进",
            "title": "厨房水管漏水",
            "category": category.pk,
            "photos": [_photo()],
        },
    )
    assert response.status_code == 302
    visit = Visit.objects.get()
    case = Case.objects.get()
    link = CaseLink.objects.get()
    assert visit.outcome == "problem" and visit.findings == "厨房水管漏水，地面积水"
    assert (case.channel, case.building_id, case.recorded_by, case.category, case.kind) == (
        Channel.VISIT,
        r.household.building_id,
        w.steward,
        category,
        "report",
    )
    assert case.title == "厨房水管漏水" and case.description == "厨房水管漏水，地面积水"
    assert (link.resident_id, link.visit, link.case_id, link.tracking_code, link.kind) == (
        r.pk,
        visit,
        case.pk,
        case.tracking_code,
        "problem",
    )
    # The case has its own copy of the photo (erasing the resident deletes the visit's).
    assert len(case.photos) == 1 and case.photos[0] != visit.photos[0] and default_storage.exists(case.photos[0])
    html = client.get(reverse("console:care_resident", args=[r.pk])).content.decode()
    assert reverse("console:case", args=[case.pk]) in html and case.tracking_code in html


@pytest.mark.parametrize("category", ["987654", "help", "x"])
def test_a_bad_category_writes_nothing(client, w, category):
    r = _resident(w)
    if category == "help":
        category = str(CaseCategory.objects.get(jurisdiction=w.district.jurisdiction, code="care.assistance").pk)
    _login(client, w.steward)
    response = client.post(
        reverse("console:care_visit", args=[r.pk]),
        {"outcome": "problem", "findings": "楼道灯坏", "title": "楼道灯坏", "category": category, "photos": [_photo()]},
    )
    assert response.status_code == 400
    assert (Visit.objects.count(), Case.objects.count(), CaseLink.objects.count()) == (0, 0, 0)
    assert Resident.objects.get(pk=r.pk).last_visit is None


def test_a_problem_needs_its_title_and_findings(client, w):
    r = _resident(w)
    _login(client, w.steward)
    response = client.post(reverse("console:care_visit", args=[r.pk]), {"outcome": "problem"})
    assert response.status_code == 400
    assert (Visit.objects.count(), Case.objects.count()) == (0, 0)


def test_when_the_case_cannot_be_filed_the_visit_is_not_written(client, w, monkeypatch, media):
    r = _resident(w)

    def refuse(submission):
        raise DomainError("the case service refused")

    monkeypatch.setattr(case_services, "file_submission", refuse)
    _login(client, w.steward)
    response = client.post(
        reverse("console:care_visit", args=[r.pk]),
        {"outcome": "problem", "findings": "墙体开裂", "title": "墙体开裂", "photos": [_photo()]},
    )
    assert response.status_code == 400 and "the case service refused" in response.content.decode()
    assert (Visit.objects.count(), Case.objects.count(), CaseLink.objects.count()) == (0, 0, 0)
    assert Resident.objects.get(pk=r.pk).last_visit is None
    stored = list(media.rglob("*.jpg")) if media.exists() else []
    assert stored == []  # the photos stored for the visit and the case were removed again


def test_an_assistance_application_is_a_help_case(client, w):
    r = _resident(w)
    _login(client, w.steward)
    response = client.post(
        reverse("console:care_visit", args=[r.pk]),
        {"outcome": "needs_help", "findings": "老人无收入来源，申请低保", "assistance": "subsistence"},
    )
    assert response.status_code == 302
    case = Case.objects.get()
    link = CaseLink.objects.get()
    assert (case.kind, case.category.code, case.channel, case.recorded_by) == (
        "help",
        "care.assistance",
        Channel.VISIT,
        w.steward,
    )
    assert "minimum living allowance" in case.title
    assert (link.kind, link.assistance, link.visit.outcome) == ("help", "subsistence", "needs_help")
    # Without the kind of assistance, nothing is filed.
    again = client.post(reverse("console:care_visit", args=[r.pk]), {"outcome": "needs_help", "findings": "困难"})
    assert again.status_code == 400 and Case.objects.count() == 1 and Visit.objects.count() == 1


def test_the_visit_pages_are_built_for_a_phone(client, w):
    r = _resident(w)
    html = _login(client, w.steward).get(reverse("console:care_visit", args=[r.pk])).content.decode()
    assert 'enctype="multipart/form-data"' in html and 'capture="environment"' in html
    assert 'class="care-phone"' in html and "console/care.css" in html
    _shows_none(html, NAME, PHONE, r.id_number)


# ---------------------------------------------------------------------------------------------------- overdue


def test_overdue_visits_per_grid_node_with_a_drill_down(client, w):
    a, b = _due(w, 2, "吴五"), _due(w, 4, "郑六")
    _due(w, -3, "王七")
    theirs = w.resident(name="冯八", level="red", household=w.household(node=w.other_micro_grid))
    Resident.objects.filter(pk=theirs.pk).update(next_visit_due=timeutil.local_today() - timedelta(days=1))
    _login(client, w.staff)
    html = client.get(reverse("console:care_overdue")).content.decode()
    assert 'id="overdue-total">3<' in html
    assert f'data-node="{w.micro_grid.pk}"' in html and f'data-node="{w.other_micro_grid.pk}"' in html
    assert "<meter" in html
    drill = client.get(reverse("console:care_overdue"), {"node": w.micro_grid.pk}).content.decode()
    assert drill.index(f'data-resident="{b.pk}"') < drill.index(f'data-resident="{a.pk}"')
    assert f'data-resident="{theirs.pk}"' not in drill and "郑六" not in drill
    steward = _login(client, w.steward).get(reverse("console:care_overdue")).content.decode()
    assert 'id="overdue-total">2<' in steward
    other_node = client.get(reverse("console:care_overdue"), {"node": w.other_micro_grid.pk})
    assert other_node.status_code == 404


# ---------------------------------------------------------------------------------------------------- exports


def _sheet_text(content: bytes) -> str:
    book = load_workbook(io.BytesIO(content), read_only=True)
    return "\n".join(
        " ".join("" if v is None else str(v) for v in row)
        for ws in book.worksheets
        for row in ws.iter_rows(values_only=True)
    )


def test_a_manager_exports_a_residents_own_data_on_request(client, w):
    r = _resident(w)
    care.record_visit(resident=r, visitor=w.steward, outcome="well")
    response = _login(client, w.staff).post(
        reverse("console:care_resident_export", args=[r.pk]), {"detail": "申请编号 2026-17"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "no-store" in response["Cache-Control"]
    text = _sheet_text(response.content)
    assert NAME in text and PHONE in text and r.id_number in text and "独居老人" in text and "all well" in text
    entry = AccessEntry.objects.get()
    assert (entry.action, entry.resident_id_ref, entry.user) == (Access.EXPORT_OWN, r.pk, w.staff)


def test_the_registry_export_is_masked_and_audited(client, w):
    r = _resident(w)
    w.resident(name="不在关爱", level="", groups=())
    theirs = w.resident(
        name="别处老人",
        level="red",
        household=w.household(node=w.other_community, actor=w.other_staff),
        actor=w.other_staff,
    )
    response = _login(client, w.staff).post(reverse("console:care_registry_xlsx"))
    assert response.status_code == 200
    text = _sheet_text(response.content)
    assert "欧***" in text and "139****5678" in text and r.id_masked in text and "独居老人" in text
    _shows_none(text, NAME, PHONE, r.id_number, "不***", "别***")
    assert str(theirs.pk) not in text.split()
    entry = AccessEntry.objects.get()
    assert entry.action == Access.EXPORT_REGISTRY and entry.detail.startswith("1 rows, masked")
    assert client.get(reverse("console:care_registry_xlsx")).status_code == 405


# ---------------------------------------------------------------------------------------------------- erasure


def test_erasure_leaves_no_personal_data_anywhere(client, w, media, django_capture_on_commit_callbacks):
    r = _resident(w)
    _login(client, w.steward)
    client.post(
        reverse("console:care_visit", args=[r.pk]),
        {
            "outcome": "problem",
            "findings": f"{NAME}家中漏水，电话{PHONE}",
            "title": f"{NAME}家漏水",
            "category": _report_category(w).pk,
            "photos": [_photo()],
        },
    )
    visit, case = Visit.objects.get(), Case.objects.get()
    visit_photo = visit.photos[0]
    assert default_storage.exists(visit_photo)
    _login(client, w.staff)
    refused = client.post(reverse("console:care_resident_erase", args=[r.pk]), {"reason": "本人申请"})
    assert refused.status_code == 400 and Resident.objects.get(pk=r.pk).status == ResidentStatus.LIVING
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("console:care_resident_erase", args=[r.pk]), {"reason": "本人书面申请删除", "confirm": "on"}
        )
    assert response.status_code == 302
    gone = Resident.objects.get(pk=r.pk)
    assert gone.status == ResidentStatus.ERASED and (gone.name, gone.phone, gone.id_number) == ("", "", "")
    assert not default_storage.exists(visit_photo)
    case.refresh_from_db()
    assert NAME not in case.title + case.description and PHONE not in case.description
    assert CaseEvent.objects.filter(case=case, kind=EventKind.ANONYMISED, public=False).count() == 1
    assert AccessEntry.objects.filter(action=Access.ERASE, resident_id_ref=r.pk).count() == 1
    # Search, pages, exports and the case page show none of it.
    for q in (NAME, PHONE, r.id_number):
        html = client.post(reverse("console:care"), {"q": q}).content.decode()
        assert f'data-resident="{r.pk}"' not in html
    assert client.get(reverse("console:care_resident", args=[r.pk])).status_code == 404
    pages = [
        client.get(reverse("console:care_household", args=[r.household_id])).content.decode(),
        client.get(reverse("console:case", args=[case.pk])).content.decode(),
        _sheet_text(client.post(reverse("console:care_registry_xlsx")).content),
        _login(client, w.admin).get(reverse("console:care_access_log")).content.decode(),
    ]
    for html in pages:
        _shows_none(html, NAME, PHONE, r.id_number)
    assert _login(client, w.staff).post(reverse("console:care_resident_export", args=[r.pk])).status_code == 404


# ---------------------------------------------------------------------------------------------------- access log


def test_the_access_log_is_read_only_filterable_and_exported(client, w):
    r = _resident(w)
    care.read_full(user=w.steward, resident=r, purpose="visit")
    care.read_full(user=w.staff, resident=r, purpose="verify", detail="核对台账")
    care.export_own(user=w.staff, resident=r)
    _login(client, w.admin)
    html = client.get(reverse("console:care_access_log")).content.decode()
    assert html.count("data-entry=") == 3
    only_reads = client.get(reverse("console:care_access_log"), {"action": "read"}).content.decode()
    assert only_reads.count("data-entry=") == 2
    by_steward = client.get(reverse("console:care_access_log"), {"user": w.steward.pk}).content.decode()
    assert by_steward.count("data-entry=") == 1
    today = timeutil.local_today()
    future = client.get(reverse("console:care_access_log"), {"first": (today + timedelta(days=1)).isoformat()})
    assert future.content.decode().count("data-entry=") == 0
    bad = client.get(reverse("console:care_access_log"), {"first": "2026-02-31"})
    assert bad.status_code == 400
    xlsx = client.get(reverse("console:care_access_log_xlsx"), {"action": "read"})
    text = _sheet_text(xlsx.content)
    assert "核对台账" in text and "export" not in text.lower()
    assert client.post(reverse("console:care_access_log")).status_code == 405
    assert AccessEntry.objects.count() == 3


def test_the_admin_shows_the_log_read_only_and_no_resident(rf, w):
    from gongzhi.care.models import AccessEntry as Entry
    from gongzhi.care.models import CareGroup, VisitInterval

    registry = admin.site._registry
    assert Resident not in registry and Household not in registry
    log = registry[Entry]
    request = rf.get("/")
    request.user = w.admin
    assert not log.has_add_permission(request)
    assert not log.has_change_permission(request) and not log.has_delete_permission(request)
    assert CareGroup in registry and VisitInterval in registry


def test_when_the_link_fails_after_the_visit_and_the_case_are_written_both_are_undone(client, w, monkeypatch, media):
    """The visit and the case are written before the link: a refusal there rolls all three back (one transaction)."""
    r = _resident(w)

    def refuse(**kwargs):
        raise DomainError("the link was refused")

    monkeypatch.setattr(care, "link_case", refuse)
    _login(client, w.steward)
    response = client.post(
        reverse("console:care_visit", args=[r.pk]),
        {"outcome": "needs_help", "findings": "无人照料", "assistance": "temporary", "photos": [_photo()]},
    )
    assert response.status_code == 400 and "the link was refused" in response.content.decode()
    assert (Visit.objects.count(), Case.objects.count(), CaseEvent.objects.count(), CaseLink.objects.count()) == (
        0,
        0,
        0,
        0,
    )
    assert Resident.objects.get(pk=r.pk).last_visit is None
    assert list(media.rglob("*.jpg")) == []


def test_changing_an_interval_in_the_admin_goes_through_the_service(rf, w):
    from gongzhi.care.models import VisitInterval

    r = _resident(w)
    due = Resident.objects.get(pk=r.pk).next_visit_due
    interval = VisitInterval.objects.get(jurisdiction=w.district.jurisdiction, level="red")
    interval.every, interval.unit = 3, "day"
    request = rf.post("/")
    request.user = w.admin
    request._messages = type("Messages", (), {"add": lambda *a, **k: None})()
    admin.site._registry[VisitInterval].save_model(request, interval, form=None, change=True)
    assert (VisitInterval.objects.get(pk=interval.pk).every, VisitInterval.objects.get(pk=interval.pk).unit) == (
        3,
        "day",
    )
    assert Resident.objects.get(pk=r.pk).next_visit_due < due


# ------------------------------------------------------------------------------------- moving in, household head


def test_a_resident_moves_to_another_household_and_back_after_moving_away(client, w):
    r = _resident(w)
    old_household = r.household
    new_home = w.household(node=w.other_micro_grid, code="H-NEW")
    _login(client, w.staff)
    move_in = reverse("console:care_resident_move_in", args=[r.pk])
    today = timeutil.local_today()
    response = client.post(move_in, {"household": "#H-NEW", "on": today.isoformat(), "relation": "spouse"})
    assert response.status_code == 302
    moved = Resident.objects.get(pk=r.pk)
    assert (moved.household_id, moved.node_id, moved.relation) == (new_home.pk, w.other_micro_grid.pk, "spouse")
    assert moved.status == ResidentStatus.LIVING and moved.next_visit_due is not None
    assert Household.objects.get(pk=old_household.pk).head_id is None  # she headed the old one
    assert [(m.household_id, m.action) for m in moved.moves.order_by("pk")][-2:] == [
        (old_household.pk, "moved_out"),
        (new_home.pk, "moved_in"),
    ]
    # Away, then back into her first household as its head.
    assert (
        client.post(reverse("console:care_resident_move_out", args=[r.pk]), {"on": today.isoformat()}).status_code
        == 302
    )
    back = {"household": old_household.code, "on": today.isoformat(), "relation": "head"}
    assert client.post(move_in, back).status_code == 302
    assert Household.objects.get(pk=old_household.pk).head_id == r.pk
    assert Resident.objects.get(pk=r.pk).status == ResidentStatus.LIVING


def test_a_bad_move_in_says_why_and_changes_nothing(client, w):
    r = _resident(w)
    elsewhere = w.household(node=w.other_community, code="H-FAR", actor=w.other_staff)
    before = Resident.objects.filter(pk=r.pk).values().get()
    moves = r.moves.count()
    _login(client, w.staff)
    move_in = reverse("console:care_resident_move_in", args=[r.pk])
    today = timeutil.local_today()
    cases = [
        ({"household": "H-NONE", "on": today.isoformat()}, "No household with this ledger number in your area."),
        ({"household": elsewhere.code, "on": today.isoformat()}, "No household with this ledger number in your area."),
        ({"household": r.household.code, "on": today.isoformat()}, "already lives in this household"),
        ({"household": r.household.code, "on": (today + timedelta(days=1)).isoformat()}, "before it happens"),
        ({"household": "", "on": today.isoformat()}, "This field is required."),
        ({"household": r.household.code, "on": "yesterday"}, "Enter a valid date."),
        ({"household": r.household.code, "on": today.isoformat(), "relation": "boss"}, "Select a valid choice"),
    ]
    for data, message in cases:
        response = client.post(move_in, data)
        assert 400 <= response.status_code < 500, (data, response.status_code)
        assert message in response.content.decode(), (data, message)
    assert Resident.objects.filter(pk=r.pk).values().get() == before and r.moves.count() == moves
    # A steward visits but keeps no record; another community's staff do not see her at all.
    assert _login(client, w.steward).post(move_in, {"household": "H-FAR", "on": today.isoformat()}).status_code == 403
    assert (
        _login(client, w.other_staff).post(move_in, {"household": "H-FAR", "on": today.isoformat()}).status_code == 404
    )
    assert Resident.objects.filter(pk=r.pk).values().get() == before


def test_a_member_becomes_the_household_head(client, w):
    head = _resident(w)
    spouse = w.resident(household=head.household, name="李建国", born=date(1938, 3, 1), relation="spouse")
    lodger_elsewhere = w.resident(name="赵四")
    _login(client, w.staff)
    url = reverse("console:care_household_head", args=[head.household_id])
    page = client.get(reverse("console:care_household", args=[head.household_id])).content.decode()
    assert page.count('class="inline make-head"') == 1  # only beside the member who is not the head
    for bad in (
        {"resident": str(lodger_elsewhere.pk)},
        {"resident": "9" * 20},
        {"resident": ""},
        {"resident": str(head.pk)},
    ):
        assert client.post(url, bad).status_code in (400, 409), bad
        assert Household.objects.get(pk=head.household_id).head_id == head.pk
    assert client.post(url, {"resident": str(spouse.pk)}).status_code == 302
    assert Household.objects.get(pk=head.household_id).head_id == spouse.pk
    assert Resident.objects.get(pk=spouse.pk).relation == "head" and Resident.objects.get(pk=head.pk).relation == ""
    # Nobody outside the household's area may change it; a steward in it may not either.
    assert _login(client, w.other_staff).post(url, {"resident": str(head.pk)}).status_code == 404
    assert _login(client, w.steward).post(url, {"resident": str(head.pk)}).status_code == 403
    assert Household.objects.get(pk=head.household_id).head_id == spouse.pk
