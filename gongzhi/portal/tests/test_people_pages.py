"""Resident pages of the people of the grid (issue 28): become a steward, a volunteer's profile and reporting in,
activities near me with sign-up, the waiting list and cancelling, QR check-in and check-out, my hours; party units
and compound heads on a building's page. Anonymous visitors see the public parts; a phone session acts; every
refusal is a 4xx page with its message and writes nothing; no page shows another resident's name or number."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from gongzhi.core import crypto, timeutil
from gongzhi.grid.models import GridNode
from gongzhi.grid.tests.factories import BuildingFactory
from gongzhi.portal import phone_login
from gongzhi.volunteers import services
from gongzhi.volunteers.models import Application, Hours, ReportIn, SignUp, Volunteer
from gongzhi.volunteers.tests.factories import people_world

pytestmark = pytest.mark.django_db

ME = "13500000001"
OTHER = "13500000002"


def as_phone(number: str) -> Client:
    client = Client()
    session = client.session
    session[phone_login.SESSION_KEY] = {
        "index": crypto.blind_index(number),
        "masked": f"{number[:3]}****{number[-4:]}",
        "number": crypto.encrypt(number),
    }
    session.save()
    return client


@pytest.fixture
def pw(db):
    w = people_world()
    w.building = BuildingFactory(node=w.micro_grid, name="3号楼")
    return w


def apply_data(pw, **kw):
    data = {
        "community": pw.community.pk,
        "node": pw.micro_grid.pk,
        "kind": "part_time",
        "occupation": "courier",
        "name": "李快递",
        "why": "每天都在小区送件，熟悉情况",
        "availability": "工作日下午",
        "party_member": "on",
    }
    data.update(kw)
    return data


# ------------------------------------------------------------------------------------------------ become a steward


def test_steward_page_needs_the_phone_login(client, pw):
    response = client.get(reverse("portal:people_steward"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("portal:login") + "?next=")
    response = client.post(reverse("portal:people_steward"), apply_data(pw))
    assert response.status_code == 403 and Application.objects.count() == 0
    assert client.get(reverse("portal:people")).status_code == 200  # the hub is public


def test_the_building_preselects_its_micro_grid_and_an_application_is_sent(pw):
    me = as_phone(ME)
    page = me.get(reverse("portal:people_steward") + f"?b={pw.building.public_token}")
    assert page.status_code == 200 and page.context["community"] == pw.community
    assert page.context["form"].initial["node"] == pw.micro_grid.pk
    assert 'id="from-building"' in page.content.decode()
    response = me.post(reverse("portal:people_steward"), apply_data(pw))
    assert response.status_code == 303 and response["Location"] == reverse("portal:people_applied")
    [application] = Application.objects.all()
    assert (application.node, application.kind, application.occupation) == (pw.micro_grid, "part_time", "courier")
    assert application.name == "李快递" and application.phone == ME and application.party_member
    assert application.status == "submitted"
    html = me.get(reverse("portal:people_applied")).content.decode()
    assert 'id="what-next"' in html and pw.micro_grid.name in html and f'id="application-{application.pk}"' in html


def test_without_a_building_a_community_is_chosen_first(pw):
    me = as_phone(ME)
    page = me.get(reverse("portal:people_steward"))
    assert page.context["community"] is None and (pw.community.pk, pw.community.name) in page.context["communities"]
    page = me.get(reverse("portal:people_steward") + f"?community={pw.community.pk}")
    nodes = [pk for pk, _name in page.context["form"].fields["node"].choices]
    assert pw.micro_grid.pk in nodes and all(pk != pw.community.pk for pk in nodes)
    # A micro-grid of another community is not among the choices: refused, nothing written.
    other_grid = GridNode.objects.filter(path__startswith=pw.other_community.path, level="micro_grid").first()
    response = me.post(reverse("portal:people_steward"), apply_data(pw, node=other_grid.pk))
    assert response.status_code == 400 and Application.objects.count() == 0


def test_apply_twice_is_refused_and_bad_input_writes_nothing(pw):
    me = as_phone(ME)
    assert me.post(reverse("portal:people_steward"), apply_data(pw)).status_code == 303
    again = me.post(reverse("portal:people_steward"), apply_data(pw))
    assert again.status_code == 409 and 'id="problem"' in again.content.decode()
    assert Application.objects.count() == 1
    for bad in ({"name": ""}, {"why": ""}, {"kind": "boss"}, {"occupation": "astronaut"}, {"node": "abc"}):
        response = me.post(reverse("portal:people_steward"), apply_data(pw, **bad))
        assert response.status_code == 400, bad
    assert Application.objects.count() == 1


def test_an_applicant_sees_only_their_own_applications_with_the_vetting(pw):
    mine = pw.application(name="王自己", phone=ME)
    theirs = pw.application(name="赵别人", phone=OTHER)
    services.vet(application=mine, actor=pw.staff, level="community", approved=True, reason="熟悉")
    services.vet(application=theirs, actor=pw.staff, level="community", approved=False, reason="不合适")
    html = as_phone(ME).get(reverse("portal:people_applied")).content.decode()
    assert f'id="application-{mine.pk}"' in html and f'id="application-{theirs.pk}"' not in html
    assert "赵别人" not in html and OTHER not in html and "不合适" not in html
    rows = as_phone(ME).get(reverse("portal:people_applied")).context["applications"]
    assert [(r.community_word, r.street_word) for r in rows] == [("approved", "")]
    other = as_phone(OTHER).get(reverse("portal:people_applied")).context["applications"]
    assert [r.reason for r in other] == ["不合适"]


def test_applications_are_rate_limited_per_number(pw, settings):
    settings.GONGZHI_REPORT_RATE_LIMIT = (1, 600)
    me = as_phone(ME)
    assert me.post(reverse("portal:people_steward"), apply_data(pw)).status_code == 303
    response = me.post(reverse("portal:people_steward"), apply_data(pw, node=pw.micro_grid.pk))
    assert response.status_code == 429 and response["Retry-After"]
    assert Application.objects.count() == 1


# ---------------------------------------------------------------------------------------------- become a volunteer


def profile(pw, **kw):
    data = {"name": "张志愿", "skills": "急救", "availability": "周末", "party_member": "on",
            "work_unit": "区住建局", "home": pw.community.pk}  # fmt: skip
    data.update(kw)
    return data


def test_a_volunteer_profile_is_made_then_updated(client, pw):
    assert client.get(reverse("portal:people_volunteer")).status_code == 302
    assert client.post(reverse("portal:people_volunteer"), profile(pw)).status_code == 403
    me = as_phone(ME)
    assert me.get(reverse("portal:people_volunteer")).status_code == 200
    response = me.post(reverse("portal:people_volunteer"), profile(pw))
    assert response.status_code == 303
    [found] = Volunteer.objects.all()
    assert (found.name, found.phone, found.skills, found.work_unit, found.home) == (
        "张志愿", ME, "急救", "区住建局", pw.community)  # fmt: skip
    assert found.party_member
    me.post(reverse("portal:people_volunteer"), profile(pw, skills="修理"))
    assert Volunteer.objects.get().skills == "修理" and Volunteer.objects.count() == 1
    page = me.get(reverse("portal:people_volunteer"))
    assert page.context["form"].initial["skills"] == "修理"
    assert me.post(reverse("portal:people_volunteer"), profile(pw, name="")).status_code == 400
    assert me.post(reverse("portal:people_volunteer"), profile(pw, home="99999999")).status_code == 400
    assert Volunteer.objects.get().name == "张志愿"


def test_report_in_with_its_status_and_refusals(pw):
    me = as_phone(ME)
    url = reverse("portal:people_report_in")
    assert me.post(url, {"community": pw.community.pk}).status_code == 409  # no profile yet
    me.post(reverse("portal:people_volunteer"), profile(pw))
    assert me.post(url, {"community": pw.community.pk}).status_code == 303
    assert me.post(url, {"community": pw.community.pk}).status_code == 409  # twice
    assert me.post(url, {"community": pw.micro_grid.pk}).status_code == 400  # not a community
    assert ReportIn.objects.count() == 1
    html = me.get(reverse("portal:people_volunteer")).content.decode()
    assert "report-in-pending" in html
    entry = ReportIn.objects.get()
    services.decide_report_in(report_in=entry, actor=pw.staff, approved=False, reason="不在本社区居住")
    html = me.get(reverse("portal:people_volunteer")).content.decode()
    assert "report-in-rejected" in html and "不在本社区居住" in html
    assert "不在本社区居住" not in as_phone(OTHER).get(reverse("portal:people_volunteer")).content.decode()


# ------------------------------------------------------------------------------------------- activities near me


def test_activities_near_me_by_building_or_community(client, pw):
    mine = pw.activity(title="敬老院陪护", skills="聊天", capacity=3)
    pw.activity(title="别处的活动", node=pw.other_community, actor=pw.other_staff)
    response = client.get(reverse("portal:activities") + f"?b={pw.building.public_token}")
    html = response.content.decode()
    assert response.status_code == 200 and "敬老院陪护" in html and "别处的活动" not in html and "聊天" in html
    assert [r["left"] for r in response.context["rows"]] == [3]
    assert [r["activity"] for r in client.get(reverse("portal:activities")).context["rows"]] == [mine]
    other = client.get(reverse("portal:activities") + f"?node={pw.other_community.pk}")
    assert [r["activity"].title for r in other.context["rows"]] == ["别处的活动"]
    assert Client().get(reverse("portal:activities")).context["nodes"]
    assert client.get(reverse("portal:activities") + "?b=forged").status_code == 404
    assert client.get(reverse("portal:activities") + "?node=abc").status_code == 404


def test_an_activity_page_for_anyone_and_sign_up_needs_a_profile(client, pw):
    activity = pw.activity()
    url = reverse("portal:activity", args=[activity.pk])
    html = client.get(url).content.decode()
    assert 'id="login-link"' in html and 'id="sign-up-form"' not in html
    assert client.post(reverse("portal:activity_sign_up", args=[activity.pk])).status_code == 403
    me = as_phone(ME)
    assert 'id="profile-link"' in me.get(url).content.decode()
    response = me.post(reverse("portal:activity_sign_up", args=[activity.pk]))
    assert response.status_code == 303 and response["Location"] == reverse("portal:people_volunteer") + "?next=" + url
    assert SignUp.objects.count() == 0
    # The profile made, the resident goes back to the activity.
    back = me.post(reverse("portal:people_volunteer"), {**profile(pw), "next": url})
    assert back.status_code == 303 and back["Location"] == url
    assert 'id="sign-up-form"' in me.get(url).content.decode()
    assert client.get(reverse("portal:activity", args=[999999])).status_code == 404


def test_sign_up_waiting_list_cancel_and_refusals(pw):
    activity = pw.activity(capacity=1)
    a, b = as_phone(ME), as_phone(OTHER)
    for who in (a, b):
        who.post(reverse("portal:people_volunteer"), profile(pw))
    sign = reverse("portal:activity_sign_up", args=[activity.pk])
    assert a.post(sign)["Location"].endswith("?done=signed")
    assert a.post(sign).status_code == 409  # twice
    assert b.post(sign)["Location"].endswith("?done=waiting")
    assert SignUp.objects.count() == 2
    page = b.get(reverse("portal:activity", args=[activity.pk]))
    assert page.context["position"] == 1 and 'id="status-waiting"' in page.content.decode()
    html = b.get(reverse("portal:activity", args=[activity.pk])).content.decode()
    assert "张志愿" not in html and ME not in html  # the other volunteer's name and number nowhere
    assert a.post(reverse("portal:activity_cancel", args=[activity.pk]))["Location"].endswith("?done=cancelled")
    mine_b = SignUp.objects.get(volunteer__phone_index=crypto.blind_index(OTHER))
    assert mine_b.status == "confirmed"  # the first waiting moved up
    assert a.post(reverse("portal:activity_cancel", args=[activity.pk])).status_code == 409  # nothing to cancel
    # After the start: no cancelling, nothing changed.
    started = pw.activity(starts=timeutil.now() - timedelta(minutes=10), capacity=2)
    SignUp.objects.create(activity=started, volunteer=mine_b.volunteer, status="confirmed",
                          signed_up_at=timeutil.now() - timedelta(days=1))  # fmt: skip
    response = b.post(reverse("portal:activity_cancel", args=[started.pk]))
    assert response.status_code == 409
    assert SignUp.objects.get(activity=started).status == "confirmed"


def test_sign_up_is_rate_limited_per_number(pw, settings):
    me = as_phone(ME)
    me.post(reverse("portal:people_volunteer"), profile(pw))
    settings.GONGZHI_REPORT_RATE_LIMIT = (1, 600)
    first, second = pw.activity(), pw.activity(title="第二个")
    assert me.post(reverse("portal:activity_sign_up", args=[first.pk])).status_code == 303
    assert me.post(reverse("portal:activity_sign_up", args=[second.pk])).status_code == 429
    assert SignUp.objects.count() == 1


# ------------------------------------------------------------------------------------------------ QR check-in/out


def test_check_in_and_out_by_qr(client, pw):
    activity = pw.activity(starts=timeutil.now() - timedelta(minutes=5), hours=3)
    checkin = reverse("portal:activity_checkin", args=[activity.check_in_token])
    checkout = reverse("portal:activity_checkout", args=[activity.check_out_token])
    assert checkin == f"/r/activities/checkin/{activity.check_in_token}/"
    assert checkout == f"/r/activities/checkout/{activity.check_out_token}/"
    assert client.get(checkin).status_code == 302
    assert client.post(checkin).status_code == 403
    me = as_phone(ME)
    assert me.post(checkin).status_code == 409  # no profile: no place
    volunteer = pw.volunteer(phone=ME)
    assert me.post(checkin).status_code == 409  # no place
    SignUp.objects.create(activity=activity, volunteer=volunteer, status="confirmed",
                          signed_up_at=timeutil.now() - timedelta(days=1))  # fmt: skip
    assert me.post(checkout).status_code == 409  # check-out before check-in
    assert Hours.objects.count() == 0
    assert 'id="checkin-form"' in me.get(checkin).content.decode()
    response = me.post(checkin)
    assert response.status_code == 200 and 'id="checked-in"' in response.content.decode()
    assert me.post(checkin).status_code == 409  # already
    assert 'id="already"' in me.get(checkin).content.decode()
    response = me.post(checkout)
    assert response.status_code == 200 and 'id="checked-out"' in response.content.decode()
    [hours] = Hours.objects.all()
    assert hours.status == "submitted" and hours.activity == activity and hours.volunteer == volunteer
    assert me.post(checkout).status_code == 409
    assert Hours.objects.count() == 1
    # A forged token or one of the other kind: 404, nothing written.
    assert me.post(reverse("portal:activity_checkin", args=["forged"])).status_code == 404
    assert me.get(reverse("portal:activity_checkout", args=[activity.check_in_token])).status_code == 404
    assert me.post(reverse("portal:activity_checkin", args=["x" * 40])).status_code == 404


def test_check_in_too_early_is_a_409(pw):
    activity = pw.activity(starts=timeutil.now() + timedelta(hours=3))
    volunteer = pw.volunteer(phone=ME)
    services.sign_up(activity=activity, volunteer=volunteer)
    response = as_phone(ME).post(reverse("portal:activity_checkin", args=[activity.check_in_token]))
    assert response.status_code == 409 and 'id="problem"' in response.content.decode()
    assert SignUp.objects.get().checked_in_at is None


# ------------------------------------------------------------------------------------------------------- my hours


def test_my_hours_by_status_with_the_years_total(client, pw):
    assert client.get(reverse("portal:people_hours")).status_code == 302
    me = as_phone(ME)
    assert 'id="profile-first"' in me.get(reverse("portal:people_hours")).content.decode()
    volunteer = pw.volunteer(phone=ME)
    other = pw.volunteer(phone=OTHER, name="钱别人")
    today = timeutil.local_today()
    ok = services.submit_hours(
        volunteer=volunteer, community=pw.community, day=today, hours="2.5", description="陪老人"
    )
    no = services.submit_hours(volunteer=volunteer, community=pw.community, day=today, hours="1", description="扫地")
    services.submit_hours(volunteer=volunteer, community=pw.community, day=today, hours="4", description="还在等")
    services.submit_hours(volunteer=other, community=pw.community, day=today, hours="7", description="别人的时长")
    services.decide_hours(hours=ok, actor=pw.staff, approved=True)
    services.decide_hours(hours=no, actor=pw.staff, approved=False, reason="无人证明")
    page = me.get(reverse("portal:people_hours"))
    html = page.content.decode()
    assert page.context["total"] == Decimal("2.50")
    assert [r.description for r in page.context["approved"]] == ["陪老人"]
    assert [r.description for r in page.context["rejected"]] == ["扫地"] and "无人证明" in html
    assert [r.description for r in page.context["submitted"]] == ["还在等"]
    assert "别人的时长" not in html and "钱别人" not in html and OTHER not in html
    assert reverse("portal:people_certificate", args=[today.year]) in html


def test_hours_outside_an_activity_and_bad_input(pw, settings):
    settings.GONGZHI_REPORT_RATE_LIMIT = (100, 600)  # every attempt counts, valid or not
    me = as_phone(ME)
    url = reverse("portal:people_hours")
    data = {"community": pw.community.pk, "day": timeutil.local_today().isoformat(), "hours": "1.5",
            "description": "帮邻居搬家"}  # fmt: skip
    assert me.post(url, data).status_code == 409  # no profile
    pw.volunteer(phone=ME)
    for bad in ("0", "25", "abc", "-1", "1e400", ""):
        response = me.post(url, {**data, "hours": bad})
        assert response.status_code == 400, bad
    tomorrow = (timeutil.local_today() + timedelta(days=1)).isoformat()
    assert me.post(url, {**data, "day": tomorrow}).status_code == 400
    assert me.post(url, {**data, "day": "2025-02-30"}).status_code == 400
    assert me.post(url, {**data, "description": ""}).status_code == 400
    assert me.post(url, {**data, "community": "99999999"}).status_code == 400
    assert Hours.objects.count() == 0
    response = me.post(url, data)
    assert response.status_code == 303
    [row] = Hours.objects.all()
    assert (row.hours, row.status, row.community, row.description) == (
        Decimal("1.50"),
        "submitted",
        pw.community,
        "帮邻居搬家",
    )


# ------------------------------------------------------------------------------------------- the building's page


def test_the_building_page_shows_public_party_units_and_heads(client, pw):
    committee = services.add_party_unit(actor=pw.staff, level="committee", node=pw.community, name="幸福社区党委",
                                        leader_name="陈书记", leader_phone="0571-88880000", members=120)  # fmt: skip
    grid = pw.micro_grid.parent
    branch = services.add_party_unit(actor=pw.staff, level="branch", node=grid, parent=committee, name="幸福里党支部")
    services.add_party_unit(actor=pw.staff, level="group", node=pw.micro_grid, parent=branch, name="3号楼党小组",
                            building=pw.building)  # fmt: skip
    elsewhere = BuildingFactory(node=pw.micro_grid, name="5号楼")
    services.add_party_unit(actor=pw.staff, level="group", node=pw.micro_grid, parent=branch, name="5号楼党小组",
                            building=elsewhere)  # fmt: skip
    services.add_party_unit(actor=pw.staff, level="branch", node=grid, parent=committee, name="内部支部", public=False)
    head_user = pw.volunteer(phone="13712345678")  # a number that must never show
    services.add_head(actor=pw.staff, node=pw.community, title="community_head", name="周处长",
                      position="区住建局处长", public_phone="0571-12345")  # fmt: skip
    services.add_head(actor=pw.staff, node=pw.micro_grid, title="yard_head", name="吴院长", user=pw.staff)
    html = client.get(reverse("portal:scan", args=[pw.building.public_token])).content.decode()
    assert 'id="building-heads"' in html and "周处长" in html and "区住建局处长" in html and "0571-12345" in html
    assert "吴院长" in html
    assert 'id="building-party"' in html and "幸福社区党委" in html and "陈书记" in html and "幸福里党支部" in html
    assert "3号楼党小组" in html and "5号楼党小组" not in html and "内部支部" not in html
    assert head_user.phone not in html
    assert reverse("portal:people_steward") + f"?b={pw.building.public_token}" in html


def test_home_links_to_the_people_pages(client, pw):
    html = client.get(reverse("portal:home")).content.decode()
    assert reverse("portal:people") in html and reverse("portal:activities") in html


def test_pages_render_in_large_text_and_english(pw):
    me = as_phone(ME)
    me.cookies["gz_large"] = "1"
    pw.volunteer(phone=ME)
    activity = pw.activity()
    for url in (reverse("portal:people"), reverse("portal:people_volunteer"), reverse("portal:people_hours"),
                reverse("portal:activities") + f"?node={pw.community.pk}",
                reverse("portal:activity", args=[activity.pk]),
                reverse("portal:people_steward") + f"?community={pw.community.pk}"):  # fmt: skip
        response = me.get(url)
        assert response.status_code == 200 and 'class="portal large"' in response.content.decode(), url
        english = me.get(url, HTTP_ACCEPT_LANGUAGE="en")
        assert english.status_code == 200
