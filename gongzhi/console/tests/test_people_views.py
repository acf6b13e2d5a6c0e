"""The console's people pages (issue 28): who may open each page (anonymous → login; community and street staff in
scope; another community's staff 404 and nothing changed; stewards, leaders and administrators 403 on the people
pages), the joint vetting from each side, the appointment (user, post, card, exactly one text message whose link
sets the password), stepping down (the case page is closed to the former steward at once), activities with masked
sign-ups and their QR sheet, hours approval, party units and heads."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from gongzhi.cases import services as case_services
from gongzhi.cases.tests.factories import category
from gongzhi.core import timeutil
from gongzhi.core.errors import Conflict
from gongzhi.grid import roles
from gongzhi.grid import selectors as grid_selectors
from gongzhi.grid.models import StaffPost
from gongzhi.grid.tests.factories import BuildingFactory
from gongzhi.notifications.models import SmsMessage
from gongzhi.volunteers import services
from gongzhi.volunteers.models import (
    Activity,
    Application,
    Approval,
    Head,
    Hours,
    PartyUnit,
    ReportIn,
    Steward,
    Team,
    Training,
)
from gongzhi.volunteers.tests.factories import PeopleWorld, people_world

pytestmark = pytest.mark.django_db

PHONE = "13512345678"
NAME = "刘红梅"


@pytest.fixture(autouse=True)
def _fast_hashes(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.GONGZHI_PUBLIC_URL = ""


@pytest.fixture
def w() -> PeopleWorld:
    return people_world()


def _as(client, user):
    client.logout()
    if user is not None:
        client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _steward(w: PeopleWorld, username: str = "gj_zhao") -> Steward:
    return services.appoint(application=w.approved(), actor=w.staff, username=username)


# ---------------------------------------------------------------------------------------------- permission matrix

LISTS = (
    "people_applications",
    "people_stewards",
    "people_volunteers",
    "people_activities",
    "people_activity_new",
    "people_hours",
    "people_party",
)


def _details(w: PeopleWorld) -> dict[str, str]:
    application = w.application()
    steward = _steward(w)
    activity = w.activity()
    team = services.create_team(actor=w.staff, community=w.community, name="银发服务队")
    return {
        "application": reverse("console:people_application", args=[application.pk]),
        "steward": reverse("console:people_steward", args=[steward.pk]),
        "activity": reverse("console:people_activity", args=[activity.pk]),
        "sheet": reverse("console:people_activity_sheet", args=[activity.pk]),
        "team": reverse("console:people_team", args=[team.pk]),
    }


@pytest.mark.parametrize("actor", ["anonymous", "staff", "street_staff", "other_staff", "steward", "leader", "admin"])
def test_page_matrix(client, w, actor):
    details = _details(w)
    user = {
        "anonymous": None,
        "steward": Steward.objects.get().user,
    }.get(actor, getattr(w, actor, None))
    c = _as(client, user)
    for name in (*LISTS, "people_contacts"):
        response = c.get(reverse(f"console:{name}"))
        if actor == "anonymous":
            assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login")), name
        elif name == "people_contacts":
            wanted = 200 if actor in ("leader", "admin") else 403
            assert response.status_code == wanted, (actor, name, response.status_code)
        elif actor in ("staff", "street_staff", "other_staff"):
            assert response.status_code == 200, (actor, name, response.status_code)
            assert response["Cache-Control"].startswith("max-age=0") or "no-store" in response["Cache-Control"]
        else:
            assert response.status_code == 403, (actor, name, response.status_code)
    for key, url in details.items():
        response = c.get(url)
        if actor == "anonymous":
            assert response.status_code == 302, key
        elif actor in ("staff", "street_staff"):
            assert response.status_code == 200, (actor, key, response.status_code)
        else:
            assert response.status_code == 404, (actor, key, response.status_code)


def _state(w: PeopleWorld) -> tuple:
    return (
        list(Application.objects.values_list("pk", "status")),
        Approval.objects.count(),
        list(Steward.objects.values_list("pk", "status", "visits_per_month")),
        Training.objects.count(),
        list(StaffPost.objects.filter(active=True).values_list("pk", flat=True)),
        list(Hours.objects.values_list("pk", "status")),
        list(ReportIn.objects.values_list("pk", "status")),
        Team.objects.count(),
        PartyUnit.objects.count(),
        Head.objects.count(),
        SmsMessage.objects.count(),
        get_user_model().objects.count(),
    )


def test_another_communitys_staff_write_nothing(client, w):
    application = w.approved()
    fresh = w.application()
    steward = _steward(w, "gj_other")
    volunteer = w.volunteer()
    report = services.report_in(volunteer=volunteer, community=w.community)
    activity = w.activity(capacity=1)
    services.sign_up(activity=activity, volunteer=volunteer, at=activity.starts - timedelta(hours=1))
    hours = services.submit_hours(
        volunteer=volunteer, community=w.community, day=timeutil.local_today(), hours="2", description="助老"
    )
    team = services.create_team(actor=w.staff, community=w.community, name="队")
    before = _state(w)
    c = _as(client, w.other_staff)
    posts = [
        (reverse("console:people_vet", args=[fresh.pk]), {"level": "community", "decision": "approve", "reason": "x"}),
        (
            reverse("console:people_appoint", args=[application.pk]),
            {"username": "gj9999", "visits_per_month": 4, "hours_per_month": 0},
        ),
        (
            reverse("console:people_steward_commitments", args=[steward.pk]),
            {"visits_per_month": 9, "hours_per_month": 1},
        ),
        (
            reverse("console:people_steward_training", args=[steward.pk]),
            {"day": "2020-01-01", "topic": "t", "hours": "1"},
        ),
        (reverse("console:people_steward_step_down", args=[steward.pk]), {"reason": "x"}),
        (reverse("console:people_report_in", args=[report.pk]), {"decision": "approve"}),
        (reverse("console:people_hours_decide", args=[hours.pk]), {"decision": "approve"}),
        (reverse("console:people_team", args=[team.pk]), {"members": [volunteer.pk]}),
        (
            reverse("console:people_party_unit_new") + f"?community={w.community.pk}",
            {"level": "committee", "node": w.community.pk, "name": "x", "members": 1},
        ),
        (
            reverse("console:people_head_new") + f"?community={w.community.pk}",
            {"node": w.community.pk, "title": "yard_head", "name": "x"},
        ),
        (reverse("console:people_team_new"), {"community": w.community.pk, "name": "new"}),
    ]
    for url, data in posts:
        response = c.post(url, data)
        assert response.status_code in (400, 404), (url, response.status_code)
        assert _state(w) == before, url
    # … nor does a steward, or anyone anonymous.
    for user in (steward.user, None):
        c = _as(client, user)
        for url, data in posts:
            response = c.post(url, data)
            assert response.status_code in (302, 400, 403, 404), (url, response.status_code)
            if user is None:
                assert response["Location"].startswith(reverse("accounts:login"))
        assert _state(w) == before


# ---------------------------------------------------------------------------------------------------- vetting


def test_vetting_from_each_side_then_appointment_with_the_activation_text(client, w, settings):
    application = w.application(name=NAME, phone=PHONE)
    url = reverse("console:people_application", args=[application.pk])
    # The list masks the applicant; the page of the staff who vet shows the name and number (they call them).
    c = _as(client, w.staff)
    listing = c.get(reverse("console:people_applications")).content.decode()
    assert "刘*" in listing and "135****5678" in listing and PHONE not in listing and NAME not in listing
    page = c.get(url)
    assert page.status_code == 200 and PHONE in page.content.decode() and NAME in page.content.decode()
    assert "no-store" in page["Cache-Control"] or "max-age=0" in page["Cache-Control"]
    assert 'name="level" value="community"' in page.content.decode()
    # No appointment before both sides approve.
    response = c.post(
        reverse("console:people_appoint", args=[application.pk]),
        {"username": "gj1", "visits_per_month": 4, "hours_per_month": 0},
    )
    assert response.status_code == 409 and not get_user_model().objects.filter(username="gj1").exists()
    # A refusal needs no less than a reason; the community may not speak for the street.
    assert c.post(reverse("console:people_vet", args=[application.pk]), {"decision": "approve"}).status_code == 400
    response = c.post(
        reverse("console:people_vet", args=[application.pk]), {"level": "street", "decision": "approve", "reason": "x"}
    )
    assert response.status_code == 400 and Approval.objects.count() == 0
    response = c.post(
        reverse("console:people_vet", args=[application.pk]), {"decision": "approve", "reason": "熟悉小区"}
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == "vetting"
    # The community has spoken: it cannot speak twice.
    response = c.post(
        reverse("console:people_vet", args=[application.pk]),
        {"level": "community", "decision": "approve", "reason": "again"},
    )
    assert response.status_code == 409 and Approval.objects.count() == 1
    c = _as(client, w.street_staff)
    assert 'name="level" value="street"' in c.get(url).content.decode()
    assert (
        c.post(
            reverse("console:people_vet", args=[application.pk]), {"decision": "approve", "reason": "同意"}
        ).status_code
        == 302
    )
    application.refresh_from_db()
    assert application.status == "approved"
    assert sorted(Approval.objects.values_list("level", "approved", "reason")) == [
        ("community", True, "熟悉小区"),
        ("street", True, "同意"),
    ]
    # Appointment: the account, the post, the card — and exactly one text message to the applicant.
    c = _as(client, w.staff)
    page = c.get(url).content.decode()
    assert f'value="gj{application.pk:04d}"' in page  # the user name suggested
    response = c.post(
        reverse("console:people_appoint", args=[application.pk]),
        {"username": "gj1024", "public_phone": "13500000001", "visits_per_month": 6, "hours_per_month": 4},
    )
    steward = Steward.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("console:people_steward", args=[steward.pk])
    user = steward.user
    assert (user.username, user.has_usable_password(), steward.visits_per_month) == ("gj1024", False, 6)
    assert (steward.post.role, steward.post.node, steward.post.active) == (roles.STEWARD, w.micro_grid, True)
    assert str(user) in [card.name for card in grid_selectors.staff_cards(w.micro_grid)]
    texts = list(SmsMessage.objects.all())
    assert len(texts) == 1 and texts[0].phone == PHONE and texts[0].kind == "volunteers.appointed"
    assert "gj1024" in texts[0].body
    link = re.search(r"https?://\S+", texts[0].body).group(0)
    path = urlsplit(link).path
    assert re.fullmatch(r"/accounts/activate/[^/]+/[^/]+/", path), link
    # The applicant follows the link on their phone, sets a password and logs in.
    client.logout()
    form = client.get(path)
    assert form.status_code == 200 and "gj1024" in form.content.decode()
    assert client.post(path, {"new_password1": "short", "new_password2": "short"}).status_code == 400
    done = client.post(path, {"new_password1": "hongse-guanjia-2026", "new_password2": "hongse-guanjia-2026"})
    assert done.status_code == 302 and done["Location"] == reverse("accounts:login")
    login = client.post(reverse("accounts:login"), {"username": "gj1024", "password": "hongse-guanjia-2026"})
    assert login.status_code == 302
    assert client.get(reverse("console:tasks")).status_code == 200  # the new steward's pool
    # The link is spent.
    client.logout()
    again = client.get(path)
    assert again.status_code == 400 and "not valid" in again.content.decode()
    assert (
        client.post(path, {"new_password1": "another-pass-2026x", "new_password2": "another-pass-2026x"}).status_code
        == 400
    )
    user.refresh_from_db()
    assert user.check_password("hongse-guanjia-2026")


def test_a_refusal_by_either_side_rejects(client, w):
    application = w.application()
    c = _as(client, w.street_staff)
    response = c.post(
        reverse("console:people_vet", args=[application.pk]), {"decision": "refuse", "reason": "不在本街道居住"}
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == "rejected"
    c = _as(client, w.staff)
    page = c.get(reverse("console:people_application", args=[application.pk])).content.decode()
    assert "不在本街道居住" in page and 'id="vet-form"' not in page and 'id="appoint-form"' not in page
    response = c.post(reverse("console:people_vet", args=[application.pk]), {"decision": "approve", "reason": "x"})
    assert response.status_code == 409 and Approval.objects.count() == 1


# ---------------------------------------------------------------------------------------------------- stewards


def test_stepping_down_closes_the_case_page_at_once(client, w):
    steward = _steward(w)
    building = BuildingFactory(node=w.micro_grid, jurisdiction=w.district.jurisdiction, lat=None, lon=None)
    case = case_services.submit(jurisdiction=w.district.jurisdiction, channel="qr", title="楼道堆物", building=building)
    case_services.triage(case=case, actor=w.staff, category=category(w.district.jurisdiction))
    case_services.dispatch(case=case, actor=w.staff, node=w.micro_grid, pool=True)
    steward_client = _as(client, steward.user)
    assert steward_client.get(reverse("console:case", args=[case.pk])).status_code == 200
    from django.test import Client

    staff = Client(HTTP_ACCEPT_LANGUAGE="en")
    staff.force_login(w.staff)
    assert staff.post(reverse("console:people_steward_step_down", args=[steward.pk]), {"reason": ""}).status_code == 400
    assert Steward.objects.get().status == "active"
    response = staff.post(reverse("console:people_steward_step_down", args=[steward.pk]), {"reason": "搬离小区"})
    assert response.status_code == 302
    assert Steward.objects.get().status == "stepped_down" and not StaffPost.objects.get(pk=steward.post_id).active
    # The former steward's very next request (same session).
    assert steward_client.get(reverse("console:case", args=[case.pk])).status_code in (403, 404)
    assert steward_client.get(reverse("console:tasks")).status_code == 403
    page = staff.get(reverse("console:people_stewards") + "?status=stepped_down").content.decode()
    assert "搬离小区" in page


def test_commitments_training_and_assessments_on_the_steward_page(client, w):
    steward = _steward(w)
    services.record_assessments(
        first_day=timeutil.local_today().replace(day=1),
        last_day=timeutil.local_today(),
        rows=[services.AssessmentRow(steward.pk, {"cases_solved": 3, "visits_done": 5}, Decimal("87.5"), 1, 4)],
    )
    c = _as(client, w.staff)
    url = reverse("console:people_steward", args=[steward.pk])
    assert (
        c.post(
            reverse("console:people_steward_commitments", args=[steward.pk]),
            {"visits_per_month": 8, "hours_per_month": 10, "station_duty": "周三驿站值守"},
        ).status_code
        == 302
    )
    assert (
        c.post(
            reverse("console:people_steward_training", args=[steward.pk]),
            {"day": "2999-01-01", "topic": "未来", "hours": "1"},
        ).status_code
        == 400
    )
    assert (
        c.post(
            reverse("console:people_steward_training", args=[steward.pk]),
            {"day": str(timeutil.local_today()), "topic": "入户走访规范", "hours": "abc"},
        ).status_code
        == 400
    )
    assert Training.objects.count() == 0
    assert (
        c.post(
            reverse("console:people_steward_training", args=[steward.pk]),
            {"day": str(timeutil.local_today()), "topic": "入户走访规范", "hours": "1.5"},
        ).status_code
        == 302
    )
    steward.refresh_from_db()
    assert (steward.visits_per_month, steward.hours_per_month, steward.station_duty) == (8, 10, "周三驿站值守")
    page = c.get(url).content.decode()
    assert "入户走访规范" in page and "87.5" in page and "1 / 4" in page and "cases_solved" in page


# ---------------------------------------------------------------------------------------------------- volunteers


def test_report_ins_volunteers_masked_and_teams(client, w):
    member = w.volunteer(name="王建国", phone="13600001111", party_member=True, skills="水电维修", home=None)
    report = services.report_in(volunteer=member, community=w.community)
    c = _as(client, w.staff)
    page = c.get(reverse("console:people_volunteers")).content.decode()
    assert "王*" in page and "136****1111" in page and "王建国" not in page and "13600001111" not in page
    url = reverse("console:people_report_in", args=[report.pk])
    assert c.post(url, {"decision": "refuse", "reason": ""}).status_code == 400
    assert ReportIn.objects.get().status == "pending"
    assert c.post(url, {"decision": "approve"}).status_code == 302
    assert ReportIn.objects.get().status == "approved"
    assert c.post(url, {"decision": "approve"}).status_code == 409  # decided already
    services.submit_hours(
        volunteer=member, community=w.community, day=timeutil.local_today(), hours="2.5", description="x"
    )
    services.decide_hours(hours=Hours.objects.get(), actor=w.staff, approved=True)
    page = c.get(reverse("console:people_volunteers") + f"?community={w.community.pk}").content.decode()
    row = re.search(rf'data-volunteer="{member.pk}".*?</tr>', page, re.S).group(0)
    assert "水电维修" in row and "2.50" in row and "yes" in row
    assert c.get(reverse("console:people_volunteers") + f"?community={w.other_community.pk}").status_code == 404
    response = c.post(reverse("console:people_team_new"), {"community": w.community.pk, "name": "银发服务队"})
    team = Team.objects.get()
    assert response.status_code == 302
    assert (
        c.post(reverse("console:people_team_new"), {"community": w.community.pk, "name": "银发服务队"}).status_code
        == 409
    )
    assert c.post(reverse("console:people_team", args=[team.pk]), {"members": [member.pk]}).status_code == 302
    assert list(team.members.all()) == [member]


# ---------------------------------------------------------------------------------------------------- activities


def test_activity_create_page_with_masked_sign_ups_and_the_qr_sheet(client, w):
    c = _as(client, w.staff)
    starts = timeutil.local(timeutil.now() + timedelta(days=2)).replace(hour=9, minute=0, second=0, microsecond=0)
    data = {
        "node": w.community.pk,
        "title": "敬老院探访",
        "place": "社区养老中心",
        "starts": starts.strftime("%Y-%m-%dT%H:%M"),
        "ends": (starts - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "capacity": 1,
    }
    assert c.post(reverse("console:people_activity_new"), data).status_code == 400
    data["ends"] = (starts + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    other = dict(data, node=w.other_community.pk)
    assert c.post(reverse("console:people_activity_new"), other).status_code == 400  # not a choice in scope
    assert Activity.objects.count() == 0
    response = c.post(reverse("console:people_activity_new"), data)
    activity = Activity.objects.get()
    assert response.status_code == 302 and (activity.capacity, activity.node) == (1, w.community)
    first = w.volunteer(name="赵一", phone="13700000001")
    second = w.volunteer(name="钱二", phone="13700000002")
    services.sign_up(activity=activity, volunteer=first)
    services.sign_up(activity=activity, volunteer=second)
    page = c.get(reverse("console:people_activity", args=[activity.pk])).content.decode()
    assert "赵*" in page and "钱*" in page and "137****0001" in page
    assert "赵一" not in page and "13700000001" not in page
    assert re.search(r'id="places-left">0<', page)
    assert re.search(r'data-status="waiting".*?#1', page, re.S)
    sheet = c.get(reverse("console:people_activity_sheet", args=[activity.pk])).content.decode()
    assert f"http://testserver/r/activities/checkin/{activity.check_in_token}/" in sheet
    assert f"http://testserver/r/activities/checkout/{activity.check_out_token}/" in sheet
    assert sheet.count("data:image/svg+xml") == 2
    listing = c.get(reverse("console:people_activities")).content.decode()
    assert "敬老院探访" in listing and "0 / 1" in listing


def test_hours_approval(client, w):
    volunteer = w.volunteer()
    activity = w.activity(starts=timeutil.now() - timedelta(hours=3), hours=2)
    services.sign_up(activity=activity, volunteer=volunteer, at=activity.starts - timedelta(hours=1))
    services.check_in(token=activity.check_in_token, volunteer=volunteer, at=activity.starts)
    from_check_out = services.check_out(token=activity.check_out_token, volunteer=volunteer, at=activity.ends)
    submitted = services.submit_hours(
        volunteer=volunteer, community=w.community, day=timeutil.local_today(), hours="1", description="代买菜"
    )
    c = _as(client, w.staff)
    page = c.get(reverse("console:people_hours")).content.decode()
    assert f'data-hours="{from_check_out.pk}"' in page and f'data-hours="{submitted.pk}"' in page
    assert "2.00" in page and "代买菜" in page
    url = reverse("console:people_hours_decide", args=[submitted.pk])
    assert c.post(url, {"decision": "refuse", "reason": "  "}).status_code == 400
    assert Hours.objects.get(pk=submitted.pk).status == "submitted"
    assert c.post(url, {"decision": "refuse", "reason": "当天无记录"}).status_code == 302
    assert (
        c.post(reverse("console:people_hours_decide", args=[from_check_out.pk]), {"decision": "approve"}).status_code
        == 302
    )
    assert dict(Hours.objects.values_list("pk", "status")) == {submitted.pk: "rejected", from_check_out.pk: "approved"}
    assert Hours.objects.get(pk=submitted.pk).reason == "当天无记录"
    assert c.post(url, {"decision": "approve"}).status_code == 404  # decided: gone from the list


# ---------------------------------------------------------------------------------------------------- party, heads


def test_party_tree_indented_and_heads(client, w):
    c = _as(client, w.staff)
    base = f"?community={w.community.pk}"
    add = reverse("console:people_party_unit_new") + base
    assert (
        c.post(add, {"level": "branch", "node": w.community.pk, "name": "无上级支部", "members": 3}).status_code == 400
    )
    assert PartyUnit.objects.count() == 0
    assert (
        c.post(
            add, {"level": "committee", "node": w.community.pk, "name": "社区党委", "members": 120, "public": "on"}
        ).status_code
        == 302
    )
    committee = PartyUnit.objects.get()
    assert (
        c.post(
            add,
            {"level": "branch", "parent": committee.pk, "node": w.micro_grid.pk, "name": "一小区支部", "members": 30},
        ).status_code
        == 302
    )
    branch = PartyUnit.objects.get(level="branch")
    assert (
        c.post(
            add, {"level": "group", "parent": branch.pk, "node": w.micro_grid.pk, "name": "3号楼党小组", "members": 8}
        ).status_code
        == 302
    )
    heads = reverse("console:people_head_new") + base
    assert (
        c.post(
            heads, {"node": w.micro_grid.pk, "title": "compound_head", "name": "李科长", "position": "区住建局科长"}
        ).status_code
        == 302
    )
    page = c.get(reverse("console:people_party") + base).content.decode()
    depths = re.findall(r'data-depth="(\d)"', page)
    assert depths == ["0", "1", "2"]
    assert page.index("社区党委") < page.index("一小区支部") < page.index("3号楼党小组")
    assert "李科长" in page and "区住建局科长" in page
    assert not branch.public


# ---------------------------------------------------------------------------------------------------- navigation


def test_the_navigation_offers_the_people_pages_to_those_who_may_open_them(client, w):
    steward = _steward(w)
    for user, people, contacts in (
        (w.staff, True, False),
        (w.street_staff, True, False),
        (steward.user, False, False),
        (w.leader, False, True),
        (w.admin, False, True),
    ):
        c = _as(client, user)
        page = c.get(reverse("console:inbox")).content.decode()
        assert ('data-nav="people"' in page) == people, user
        assert ('data-nav="contacts"' in page) == contacts, user


def test_an_unknown_or_foreign_id_is_404_not_500(client, w):
    c = _as(client, w.staff)
    for name in ("people_application", "people_steward", "people_activity", "people_team"):
        assert c.get(reverse(f"console:{name}", args=[999_999])).status_code == 404
    assert c.get(reverse("console:people_party") + "?community=abc").status_code == 404


def test_cancel_an_activity(client, w):
    activity = w.activity()
    url = reverse("console:people_activity_cancel", args=[activity.pk])
    assert _as(client, w.other_staff).post(url).status_code == 404
    assert Activity.objects.get().status == "published"
    c = _as(client, w.staff)
    assert c.post(url).status_code == 302
    assert Activity.objects.get().status == "cancelled"
    assert c.post(url).status_code == 409
    page = c.get(reverse("console:people_activity", args=[activity.pk])).content.decode()
    assert 'id="activity-cancel"' not in page
    with pytest.raises(Conflict):  # no more sign-ups
        services.sign_up(activity=activity, volunteer=w.volunteer())


def test_the_pages_speak_chinese(client, w):
    steward = _steward(w)
    activity = w.activity()
    c = _as(client, w.staff)
    c.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    expected = {
        reverse("console:people_applications"): "小管家申请",
        reverse("console:people_steward", args=[steward.pk]): "履职承诺",
        reverse("console:people_volunteers"): "我是党员我报到",
        reverse("console:people_activity", args=[activity.pk]): "打印签到签退二维码",
        reverse("console:people_activity_sheet", args=[activity.pk]): "到达时扫码签到",
        reverse("console:people_hours"): "待认定的服务时长",
        reverse("console:people_party"): "一院三长",
    }
    for url, words in expected.items():
        response = c.get(url)
        assert response.status_code == 200 and words in response.content.decode(), url


def test_a_refused_appointment_writes_and_sends_nothing_and_the_link_uses_the_public_address(client, w, settings):
    from gongzhi.accounts.tests.factories import UserFactory

    settings.GONGZHI_PUBLIC_URL = "https://gz.example.cn"
    UserFactory(username="gj2000")
    application = w.approved(phone=PHONE)
    users = get_user_model().objects.count()
    c = _as(client, w.staff)
    url = reverse("console:people_appoint", args=[application.pk])
    response = c.post(url, {"username": "GJ2000", "visits_per_month": 4, "hours_per_month": 0})
    assert response.status_code == 409 and "taken" in response.content.decode()
    assert c.post(url, {"username": "a b", "visits_per_month": 4, "hours_per_month": 0}).status_code == 400
    assert (Steward.objects.count(), SmsMessage.objects.count(), get_user_model().objects.count()) == (0, 0, users)
    assert Application.objects.get(pk=application.pk).status == "approved"
    assert c.post(url, {"username": "gj2001", "visits_per_month": 4, "hours_per_month": 0}).status_code == 302
    (text,) = SmsMessage.objects.all()
    assert re.search(r"https://gz\.example\.cn/accounts/activate/[^/\s]+/[^/\s]+/", text.body), text.body
