"""The people of the grid in one continuous journey in real Chromium (issue 28), residents on their phones (390×844)
and staff at a desk: a resident scans her building's QR code and applies to be the steward (红色小管家) of its
micro-grid; the community's staff and then the street's staff approve (联审); the community appoints her and puts
her on the rota of the micro-grid's station beside her commitments; the text message's link opens on her phone, she
sets a password, logs in on the phone and finds a case waiting in her micro-grid's pool, and her public card (三亮) —
with the party organisation she serves in — is on the building's QR page. Then a neighbour signs up for an activity
on his phone, checks in and out by the activity's QR codes, the community's staff approve his hours at their desk and
he sees them approved in "my hours".
The flow crosses the resident pages and the console, hence here in ops.

Screenshots: test-artifacts/screenshots/people-journey-*.png.
"""

from __future__ import annotations

import re
from datetime import time, timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from gongzhi.console.tests.test_browser_flow import in_thread, log_in
from gongzhi.console.tests.test_people_browser import _pooled_case, _vet
from gongzhi.core import timeutil
from gongzhi.core.testing.browser import DESKTOP, PHONE, page_width, save_screenshot
from gongzhi.grid.tests.factories import BuildingFactory
from gongzhi.notifications.models import SmsMessage
from gongzhi.portal.tests.test_browser_journeys import code_sent_to
from gongzhi.stations.models import DutyShift
from gongzhi.stations.tests.factories import station
from gongzhi.volunteers import services
from gongzhi.volunteers.models import Application, Hours, SignUp, Steward
from gongzhi.volunteers.tests.factories import people_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
HER, HIM = "13900000281", "13900000282"
NEW_PASSWORD = "hongse-guanjia-2026"


def _phone(session):
    return session.new_page(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)


def _fits(page) -> None:
    width = page_width(page)
    assert width <= PHONE["width"], f"{page.url}: {width}px wide on a {PHONE['width']}px phone"


def _phone_login(page, number: str) -> None:
    page.fill("#id_phone", number)
    page.click("#phone-form button[type=submit]")
    page.fill("#code-form #id_code", code_sent_to(number))
    page.click("#code-form button[type=submit]")


def test_a_steward_from_application_to_card_and_a_volunteers_hours(browser_session):
    # --- before the browser starts: the place, its party branch, a case in the pool and an activity under way
    w = people_world()
    w.community.name = "幸福社区"
    w.community.save(update_fields=["name"])
    w.micro_grid.name = "幸福小区一网格"
    w.micro_grid.save(update_fields=["name"])
    home = BuildingFactory(node=w.micro_grid, name="3号楼", jurisdiction=w.district.jurisdiction)
    committee = services.add_party_unit(
        actor=w.staff, level="committee", node=w.community, name="幸福社区党委", members=120
    )
    services.add_party_unit(
        actor=w.staff, level="branch", node=w.micro_grid, parent=committee, name="幸福小区党支部", members=30
    )
    pooled = _pooled_case(w)
    station(w.micro_grid, "幸福小区驿站")
    activity = w.activity(
        title="楼道清洁志愿服务", starts=timeutil.now() - timedelta(minutes=10), hours=3, capacity=5, skills="无"
    )

    # --- she scans her building's QR code on her phone and applies to be the micro-grid's steward
    her = _phone(browser_session)
    her.goto(reverse("portal:scan", args=[home.public_token]))
    expect(her.locator("#building-party")).to_contain_text("幸福小区党支部")
    her.click("#steward-link")
    _phone_login(her, HER)
    her.wait_for_url(re.compile(r"/r/people/steward/"))
    expect(her.locator("#from-building")).to_be_visible()
    her.fill("#id_name", "刘红梅")
    her.fill("#id_why", "退休在家，熟悉小区每一栋楼，想为邻居做点事")
    her.fill("#id_availability", "工作日上午")
    her.locator("#id_party_member").check()
    _fits(her)
    save_screenshot(her, "people-journey-01-apply-on-the-phone")
    her.click("#steward-form button[type=submit]")
    her.wait_for_url(re.compile(r"/r/people/steward/applied/"))
    expect(her.locator("#applications")).to_contain_text("已提交")
    expect(her.locator("#applications")).to_contain_text("幸福小区一网格")
    save_screenshot(her, "people-journey-02-applied")

    found: dict[str, int] = {}

    def application() -> None:
        row = Application.objects.get()
        assert (row.node_id, row.kind, row.status, row.name, row.party_member) == (
            w.micro_grid.pk,
            "steward",
            "submitted",
            "刘红梅",
            True,
        )
        found["application"] = row.pk

    in_thread(application)
    url = reverse("console:people_application", args=[found["application"]])

    # --- the community's staff approve at their desk
    community = browser_session.new_page(viewport=DESKTOP, locale="zh-CN")
    log_in(community, w.staff.username, url)
    expect(community.locator("#applicant-phone")).to_contain_text(HER)
    expect(community.locator("#vet-form")).to_contain_text("社区")
    _vet(community, url, "熟悉小区情况，群众基础好")
    expect(community.locator("#application-status")).to_have_text("一方已同意")
    expect(community.locator("#vet-form")).to_have_count(0)
    save_screenshot(community, "people-journey-03-community-approved")

    # --- the street's staff approve
    street = browser_session.new_page(viewport=DESKTOP, locale="zh-CN")
    log_in(street, w.street_staff.username, url)
    expect(street.locator("#vet-form")).to_contain_text("街道")
    _vet(street, url, "同意")
    expect(street.locator('#vetting-words li[data-level="street"]')).to_contain_text("同意")
    expect(street.locator('#vetting-words li[data-level="community"]')).to_contain_text("熟悉小区情况")
    save_screenshot(street, "people-journey-04-street-approved")

    # --- the community appoints her: account, post and card; the text message carries the link to set a password
    community.goto(url)
    username = community.locator("#appoint-form #id_username").input_value()
    assert re.fullmatch(r"gj\d{4}", username), username
    community.fill("#appoint-form #id_public_phone", "0571-88886666")
    community.fill("#appoint-form #id_station_duty", "周三上午驿站值班")
    community.click("#appoint-form button[type=submit]")
    community.wait_for_url(re.compile(r"/console/people/stewards/\d+/$"))
    expect(community.locator("#steward-status")).to_have_text("在岗")
    expect(community.locator("#card-shown")).to_have_text("是")
    # Beside her commitments, the community puts her post on the rota of the micro-grid's station.
    expect(community.locator("#commitments")).to_contain_text("周三上午驿站值班")
    community.select_option("#shift-form #id_station", label="幸福小区驿站")
    community.select_option("#shift-form #id_weekday", "2")
    community.fill("#shift-form #id_starts", "8:30")
    community.fill("#shift-form #id_ends", "12:00")
    community.click("#shift-form button[type=submit]")
    community.wait_for_url(re.compile(r"/console/people/stewards/\d+/$"))
    expect(community.locator("#shift-list li")).to_have_count(1)
    expect(community.locator("#shift-list li")).to_contain_text("幸福小区驿站 · 星期三 08:30–12:00")
    expect(community.locator("#rota-title .count")).to_have_text("1")
    save_screenshot(community, "people-journey-05-appointed-on-the-rota")

    texts: list[str] = []
    appointed = SmsMessage.objects.filter(kind="volunteers.appointed")
    in_thread(lambda: texts.extend(appointed.values_list("body", flat=True)))
    assert len(texts) == 1 and username in texts[0], texts
    link = re.search(r"https?://\S+", texts[0]).group(0)
    assert re.fullmatch(r"/accounts/activate/[^/]+/[^/]+/", urlsplit(link).path), link

    # --- on her phone: the link, a password, the login, and her micro-grid's pool with the case waiting
    her.goto(urlsplit(link).path)
    expect(her.locator("#activate-username")).to_have_text(username)
    _fits(her)
    save_screenshot(her, "people-journey-06-activate")
    her.fill("#id_new_password1", NEW_PASSWORD)
    her.fill("#id_new_password2", NEW_PASSWORD)
    her.click("form.stack button[type=submit]")
    her.wait_for_url(re.compile(re.escape(reverse("accounts:login")) + "$"))
    her.fill("#id_username", username)
    her.fill("#id_password", NEW_PASSWORD)
    her.click("form.stack button[type=submit]")
    her.wait_for_url(re.compile(re.escape(reverse("console:tasks")) + "$"))
    expect(her.locator(f'#pool .task-card[data-code="{pooled}"]')).to_be_visible()
    expect(her.locator("#pool-title .count")).to_have_text("1")
    _fits(her)
    save_screenshot(her, "people-journey-07-her-pool")

    # --- her public card is on the building's QR page, with the party branch of her micro-grid
    her.goto(reverse("portal:scan", args=[home.public_token]))
    card = her.locator(".staff-card").filter(has_text="刘红梅")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("0571-88886666")
    expect(card.locator(".staff-party")).to_have_text("所在党组织：幸福小区党支部")
    expect(card).not_to_contain_text(HER)  # the card shows the public work phone, never her own number
    card.scroll_into_view_if_needed()
    _fits(her)
    save_screenshot(her, "people-journey-08-her-card-on-the-building", full_page=False)

    # --- a neighbour volunteers: the activity on his phone, a profile on the way, sign-up, QR check-in and -out
    him = _phone(browser_session)
    him.goto(reverse("portal:activities") + f"?b={home.public_token}")
    him.get_by_role("link", name="楼道清洁志愿服务").click()
    him.wait_for_url(re.compile(rf"/r/activities/{activity.pk}/"))
    him.click("#login-link")
    _phone_login(him, HIM)
    him.wait_for_url(re.compile(rf"/r/activities/{activity.pk}/"))
    him.click("#profile-link")
    him.fill("#id_name", "王建国")
    him.fill("#id_skills", "跑腿、搬运")
    him.click("#volunteer-form button[type=submit]")
    him.wait_for_url(re.compile(rf"/r/activities/{activity.pk}/"))
    him.click("#sign-up-form button")
    expect(him.locator("#status-confirmed")).to_be_visible()
    _fits(him)
    save_screenshot(him, "people-journey-09-signed-up")
    him.goto(reverse("portal:activity_checkin", args=[activity.check_in_token]))
    him.click("#checkin-form button")
    expect(him.locator("#checked-in")).to_be_visible()
    save_screenshot(him, "people-journey-10-checked-in")
    # Two and a half hours of sweeping later (the clock moves on between the two scans).
    in_thread(lambda: SignUp.objects.update(checked_in_at=timeutil.now() - timedelta(hours=2, minutes=30)))
    him.goto(reverse("portal:activity_checkout", args=[activity.check_out_token]))
    him.click("#checkin-form button")
    expect(him.locator("#checked-out")).to_be_visible()
    him.goto(reverse("portal:people_hours"))
    expect(him.locator("#hours-submitted")).to_contain_text("楼道清洁志愿服务")
    expect(him.locator("#hours-approved")).to_contain_text("无")
    expect(him.locator("#hours-approved")).not_to_contain_text("楼道清洁志愿服务")
    expect(him.locator("#certificate-link")).to_have_count(0)
    save_screenshot(him, "people-journey-11-hours-waiting")

    rows: list[tuple[int, str, Decimal]] = []
    in_thread(lambda: rows.extend(Hours.objects.values_list("pk", "status", "hours")))
    [(hours_id, status, hours)] = rows
    assert (status, hours) == ("submitted", Decimal("2.50"))

    # --- the community's staff approve the hours at their desk; he sees them approved
    community.goto(reverse("console:people_hours"))
    row = community.locator(f'#hours-list li[data-hours="{hours_id}"]')
    expect(row).to_contain_text("王*")  # masked at the desk
    expect(row).to_contain_text("2.50")
    expect(row).to_contain_text("楼道清洁志愿服务")
    save_screenshot(community, "people-journey-12-hours-to-approve")
    community.locator(f"#hours-{hours_id} button[value=approve]").click()
    expect(community.locator(f"#hours-{hours_id}")).to_have_count(0)
    him.reload()
    expect(him.locator("#hours-approved")).to_contain_text("楼道清洁志愿服务")
    expect(him.locator("#hours-submitted")).not_to_contain_text("楼道清洁志愿服务")
    expect(him.locator("#total")).to_contain_text("已审核 2.50 小时")
    expect(him.locator("#certificate-link")).to_be_visible()
    _fits(him)
    save_screenshot(him, "people-journey-13-hours-approved")
    for page in (her, him):
        assert HIM not in page.content()
    browser_session.assert_clean()

    def check() -> None:
        application = Application.objects.get()
        assert application.status == "appointed"
        assert sorted(application.approvals.values_list("level", "approved")) == [
            ("community", True),
            ("street", True),
        ]
        steward = Steward.objects.select_related("post", "user").get()
        assert (steward.node_id, steward.status, steward.user.username) == (w.micro_grid.pk, "active", username)
        assert steward.user.has_usable_password()
        assert (steward.post.role, steward.post.active, steward.post.is_public) == ("steward", True, True)
        assert list(DutyShift.objects.values_list("station__name", "post_id", "weekday", "starts", "ends")) == [
            ("幸福小区驿站", steward.post_id, 2, time(8, 30), time(12))
        ]
        assert Hours.objects.get().status == "approved"
        assert SignUp.objects.get().checked_out_at is not None

    in_thread(check)
