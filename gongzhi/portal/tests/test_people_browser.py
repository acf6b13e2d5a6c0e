"""The people pages in real Chromium on a phone (390×844, issue 28), in standard and large text: a resident scans her
building's QR code and sees its compound heads and party organisation, logs in with a text-message code to apply as
a part-time steward (the micro-grid already chosen), makes her volunteer profile on the way to an activity, signs up,
checks in and out by the activity's QR codes and sees her hours waiting for approval; the community's staff approve
them at their desk and she sees them approved, with the year's certificate. Every page fits the phone's width and
passes axe. Screenshots: test-artifacts/screenshots/people-*.png."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from gongzhi.accounts.tests.factories import PASSWORD
from gongzhi.core import timeutil
from gongzhi.core.testing.browser import PHONE, log_in, page_width, save_screenshot
from gongzhi.grid.tests.factories import BuildingFactory
from gongzhi.portal.tests.test_accessibility import axe_source, run_axe
from gongzhi.portal.tests.test_browser import orm_between_pages  # noqa: F401 - a fixture
from gongzhi.portal.tests.test_browser_journeys import code_sent_to
from gongzhi.volunteers import services
from gongzhi.volunteers.models import Application, Hours, SignUp
from gongzhi.volunteers.tests.factories import people_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NUMBER = "13900000028"


def looked_at(page, name: str, axe: str, found: dict[str, list[dict]]) -> None:
    width = page_width(page)
    assert width <= PHONE["width"], f"{name}: {width}px wide on a {PHONE['width']}px phone"
    save_screenshot(page, name)
    violations = run_axe(page, axe)
    if violations:
        found[name] = violations


@pytest.fixture
def place(db):
    w = people_world()
    w.community.name = "幸福社区"
    w.community.save(update_fields=["name"])
    home = BuildingFactory(node=w.micro_grid, name="3号楼")
    committee = services.add_party_unit(
        actor=w.staff, level="committee", node=w.community, name="幸福社区党委", leader_name="陈书记", members=120
    )
    services.add_party_unit(
        actor=w.staff, level="branch", node=w.micro_grid.parent, parent=committee, name="幸福里党支部"
    )
    services.add_head(actor=w.staff, node=w.community, title="community_head", name="周处长",
                      position="区住建局处长", public_phone="0571-12345")  # fmt: skip
    activity = w.activity(
        title="楼道清洁志愿服务", starts=timeutil.now() - timedelta(minutes=10), hours=3, capacity=5, skills="无"
    )
    return w, home, activity


@pytest.mark.parametrize("large", [False, True], ids=["standard", "large-text"])
def test_a_resident_applies_volunteers_signs_up_and_checks_in_and_out_on_her_phone(
    browser_session,
    place,
    large,
    orm_between_pages,  # noqa: F811
):
    w, home, activity = place
    suffix = "-large" if large else ""
    axe = axe_source()
    found: dict[str, list[dict]] = {}
    page = browser_session.new_page(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    page.goto(reverse("portal:scan", args=[home.public_token]))
    if large:
        page.click("button[name=large][value='1']")
        page.wait_for_load_state()
        assert "large" in page.locator("html").get_attribute("class")
    expect(page.locator("#building-heads")).to_contain_text("周处长")
    expect(page.locator("#building-party")).to_contain_text("幸福社区党委")
    page.locator("#people-links").scroll_into_view_if_needed()
    looked_at(page, f"people-1-building{suffix}", axe, found)

    page.click("#steward-link")
    page.fill("#id_phone", NUMBER)
    page.click("#phone-form button[type=submit]")
    page.fill("#code-form #id_code", code_sent_to(NUMBER))
    page.click("#code-form button[type=submit]")
    page.wait_for_url(re.compile(r"/r/people/steward/"))
    expect(page.locator("#from-building")).to_be_visible()
    page.get_by_label("兼职小管家").check()
    page.select_option("#id_occupation", "delivery_rider")
    page.fill("#id_name", "王骑手")
    page.fill("#id_why", "每天在小区送餐，熟悉每栋楼")
    page.fill("#id_availability", "午后")
    looked_at(page, f"people-2-steward{suffix}", axe, found)
    page.click("#steward-form button[type=submit]")
    page.wait_for_url(re.compile(r"/r/people/steward/applied/"))
    expect(page.locator("#applications")).to_contain_text("已提交")
    application = Application.objects.get()
    assert (application.node, application.kind, application.occupation) == (w.micro_grid, "part_time", "delivery_rider")
    looked_at(page, f"people-3-applied{suffix}", axe, found)

    page.goto(reverse("portal:activities"))
    page.get_by_role("link", name="楼道清洁志愿服务").click()
    page.click("#profile-link")
    page.fill("#id_name", "王骑手")
    page.fill("#id_skills", "跑腿")
    looked_at(page, f"people-4-profile{suffix}", axe, found)
    page.click("#volunteer-form button[type=submit]")
    page.wait_for_url(re.compile(rf"/r/activities/{activity.pk}/"))
    page.click("#sign-up-form button")
    expect(page.locator("#status-confirmed")).to_be_visible()
    looked_at(page, f"people-5-activity{suffix}", axe, found)

    page.goto(reverse("portal:activity_checkin", args=[activity.check_in_token]))
    page.click("#checkin-form button")
    expect(page.locator("#checked-in")).to_be_visible()
    looked_at(page, f"people-6-checkin{suffix}", axe, found)
    # Two and a half hours of sweeping later (the clock moved on between the two scans).
    SignUp.objects.update(checked_in_at=timeutil.now() - timedelta(hours=2, minutes=30))
    page.goto(reverse("portal:activity_checkout", args=[activity.check_out_token]))
    page.click("#checkin-form button")
    expect(page.locator("#checked-out")).to_be_visible()
    assert SignUp.objects.get().checked_out_at is not None
    [row] = Hours.objects.all()
    assert (row.status, row.hours) == ("submitted", Decimal("2.50"))

    page.goto(reverse("portal:people_hours"))
    expect(page.locator("#hours-submitted")).to_contain_text("楼道清洁志愿服务")
    looked_at(page, f"people-7-hours{suffix}", axe, found)

    # The community's staff approve the hours at their desk; she sees them approved and her certificate.
    desk = browser_session.new_page(locale="zh-CN")
    log_in(desk, w.staff.username, reverse("console:people_hours"), password=PASSWORD)
    desk.locator(f"#hours-{row.pk} button[value=approve]").click()
    expect(desk.locator(f"#hours-{row.pk}")).to_have_count(0)
    assert Hours.objects.get().status == "approved"
    page.reload()
    expect(page.locator("#hours-approved")).to_contain_text("楼道清洁志愿服务")
    expect(page.locator("#total")).to_contain_text("2.5")
    expect(page.locator("#certificate-link")).to_be_visible()
    looked_at(page, f"people-8-hours-approved{suffix}", axe, found)
    assert NUMBER not in page.content()
    assert found == {}
    browser_session.assert_clean()
