"""A steward from application to their first login in real Chromium (issue 28): the community's staff and the
street's staff each give their word on the application page, the community appoints; the text message's link opens
on the new steward's phone, they set a password, log in and land on their pool of cases.

Screenshots: test-artifacts/screenshots/people-*.png.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from gongzhi.console.tests.test_browser_flow import in_thread, log_in
from gongzhi.core.testing.browser import DESKTOP, PHONE, page_width, save_screenshot
from gongzhi.notifications.models import SmsMessage
from gongzhi.volunteers.models import Application
from gongzhi.volunteers.tests.factories import people_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NEW_PASSWORD = "hongse-guanjia-2026"


def _pooled_case(w) -> str:
    """A case of the micro-grid dispatched to its stewards' pool; its tracking code."""
    from gongzhi.cases import catalogue
    from gongzhi.cases import services as cases
    from gongzhi.cases.models import CaseCategory
    from gongzhi.grid.tests.factories import BuildingFactory

    catalogue.seed(jurisdiction=w.district.jurisdiction)
    building = BuildingFactory(node=w.micro_grid, jurisdiction=w.district.jurisdiction)
    case = cases.submit(
        jurisdiction=w.district.jurisdiction, channel="web", title="楼道灯不亮", building=building, recorded_by=w.staff
    )
    category = CaseCategory.objects.get(jurisdiction=w.district.jurisdiction, code="sanitation.compound")
    cases.triage(case=case, actor=w.staff, category=category)
    cases.dispatch(case=case, actor=w.staff, node=w.micro_grid, pool=True)
    return case.tracking_code


def _vet(page, url: str, reason: str) -> None:
    page.goto(url)
    page.locator("#vet-form input[name=decision][value=approve]").check()
    page.fill("#vet-form #id_reason", reason)
    page.click("#vet-form button[type=submit]")
    page.wait_for_url(re.compile(re.escape(url) + "$"))


def test_vetted_by_both_sides_appointed_and_activated_on_the_phone(browser_session):
    w = people_world()
    application = w.application(name="刘红梅", phone="13512345678")
    url = reverse("console:people_application", args=[application.pk])
    pooled = _pooled_case(w)  # waiting in the micro-grid's pool for whoever steward takes it

    community = browser_session.new_page(viewport=DESKTOP, locale="zh-CN")
    log_in(community, w.staff.username, url)
    expect(community.locator("#applicant-phone")).to_contain_text("13512345678")
    expect(community.locator("#vet-form")).to_contain_text("社区")
    _vet(community, url, "熟悉小区情况")
    expect(community.locator("#application-status")).to_have_text("一方已同意")
    expect(community.locator("#vet-form")).to_have_count(0)

    street = browser_session.new_page(viewport=DESKTOP, locale="zh-CN")
    log_in(street, w.street_staff.username, url)
    expect(street.locator("#vet-form")).to_contain_text("街道")
    _vet(street, url, "同意")
    expect(street.locator('#vetting-words li[data-level="street"]')).to_contain_text("同意")

    community.goto(url)
    username = community.locator("#appoint-form #id_username").input_value()
    assert re.fullmatch(r"gj\d{4}", username), username
    save_screenshot(community, "people-1-application-approved")
    community.click("#appoint-form button[type=submit]")
    community.wait_for_url(re.compile(r"/console/people/stewards/\d+/$"))
    expect(community.locator("#steward-status")).to_have_text("在岗")
    save_screenshot(community, "people-2-steward-appointed")

    texts: list[str] = []
    in_thread(lambda: texts.extend(SmsMessage.objects.values_list("body", flat=True)))
    assert len(texts) == 1 and username in texts[0]
    link = re.search(r"https?://\S+", texts[0]).group(0)

    phone = browser_session.new_page(viewport=PHONE, locale="zh-CN", has_touch=True)
    phone.goto(urlsplit(link).path)
    expect(phone.locator("#activate-username")).to_have_text(username)
    assert page_width(phone) <= PHONE["width"]
    button = phone.locator("form.stack button[type=submit]")
    box = button.bounding_box()
    assert box is not None and box["height"] >= 44, box
    save_screenshot(phone, "people-3-activate-on-the-phone")
    phone.fill("#id_new_password1", NEW_PASSWORD)
    phone.fill("#id_new_password2", NEW_PASSWORD)
    button.click()
    phone.wait_for_url(re.compile(re.escape(reverse("accounts:login")) + "$"))
    phone.fill("#id_username", username)
    phone.fill("#id_password", NEW_PASSWORD)
    phone.click("form.stack button[type=submit]")
    phone.wait_for_url(re.compile(re.escape(reverse("console:tasks")) + "$"))
    expect(phone.locator(f'#pool .task-card[data-code="{pooled}"]')).to_be_visible()
    save_screenshot(phone, "people-4-steward-pool")

    statuses: list[str] = []
    in_thread(lambda: statuses.extend(Application.objects.values_list("status", flat=True)))
    assert statuses == ["appointed"]
    browser_session.assert_clean()


def test_the_activity_sheet_party_tree_and_a_leaders_contact_points(browser_session):
    from datetime import timedelta

    from gongzhi.core import timeutil
    from gongzhi.volunteers import services

    w = people_world()
    activity = w.activity(title="敬老院探访", capacity=1, starts=timeutil.now() + timedelta(days=1))
    for n, name in enumerate(("赵一", "钱二")):
        services.sign_up(activity=activity, volunteer=w.volunteer(name=name, phone=f"1370000000{n}"))
    committee = services.add_party_unit(
        actor=w.staff, level="committee", node=w.community, name="社区党委", members=120
    )
    branch = services.add_party_unit(
        actor=w.staff, level="branch", parent=committee, node=w.micro_grid, name="一小区党支部", members=30
    )
    services.add_party_unit(actor=w.staff, level="group", parent=branch, node=w.micro_grid, name="3号楼党小组")
    services.add_head(actor=w.staff, node=w.micro_grid, title="compound_head", name="李科长", position="区住建局科长")
    services.add_contact_point(
        actor=w.admin, leader=w.leader, kind="community", node=w.community, year=timeutil.local_today().year, target=3
    )

    page = browser_session.new_page(viewport=DESKTOP, locale="zh-CN")
    log_in(page, w.staff.username, reverse("console:people_activity", args=[activity.pk]))
    expect(page.locator("#places-left")).to_have_text("0")
    expect(page.locator("#sign-up-list")).to_contain_text("赵*")
    expect(page.locator("#sign-up-list")).not_to_contain_text("赵一")
    save_screenshot(page, "people-5-activity")
    page.click("#sheet-link")
    expect(page.locator("#check-in-url")).to_contain_text(f"/r/activities/checkin/{activity.check_in_token}/")
    expect(page.locator("#check-out-url")).to_contain_text(f"/r/activities/checkout/{activity.check_out_token}/")
    save_screenshot(page, "people-6-activity-qr-sheet")
    page.goto(reverse("console:people_party"))
    expect(page.locator('#party-tree li[data-depth="2"]')).to_contain_text("3号楼党小组")
    save_screenshot(page, "people-7-party-and-heads")

    leader = browser_session.new_page(viewport=PHONE, locale="zh-CN", has_touch=True)
    log_in(leader, w.leader.username, reverse("console:people_contacts"))
    expect(leader.locator("#my-progress")).to_contain_text("0 / 3")
    assert page_width(leader) <= PHONE["width"]
    save_screenshot(leader, "people-8-leader-contact-points")
    browser_session.assert_clean()
