"""代办 in real Chromium (issue 28): the steward handling a light case, at a desk, asks a volunteer who reported in to
the community to run the errand; the volunteer answers on her phone (390×844) under 我的代办 — she sees what and
where and the steward's public card, never the neighbour's name or phone — takes it on, reports it done with the hour
it took; the steward finds her report on the case, and the neighbour's tracking page names her masked.
The flow crosses the console and the resident pages, hence here in ops.

Screenshots: test-artifacts/screenshots/errand-journey-*.png.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from gongzhi.cases.models import CaseEvent
from gongzhi.cases.tests.factories import world
from gongzhi.console.tests.test_browser_flow import in_thread, log_in
from gongzhi.core.testing.browser import DESKTOP, PHONE, page_width, save_screenshot
from gongzhi.grid.tests.factories import CompoundFactory
from gongzhi.notifications.models import Notification
from gongzhi.portal.tests.test_browser_journeys import code_sent_to
from gongzhi.volunteers import services as people
from gongzhi.volunteers.models import Errand, Hours

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
HER = "13900000291"
NEIGHBOUR = ("王秀英", "13700001234")


def test_a_steward_asks_a_volunteer_to_run_an_errand_and_she_reports_it_done_on_her_phone(browser_session):
    # --- before the browser starts: a light category, a volunteer reported in and confirmed, an accepted case
    w = world()
    w.community.name = "幸福社区"
    w.community.save(update_fields=["name"])
    w.building.compound = CompoundFactory(node=w.community, jurisdiction=w.jurisdiction, name="幸福里小区")
    w.building.name = "3号楼"
    w.building.save()
    w.category.name, w.category.errand = "生活代办", True
    w.category.save(update_fields=["name", "errand"])
    steward_post = w.steward.posts.get()
    steward_post.title, steward_post.public_phone = "小管家", "13900001111"
    steward_post.save(update_fields=["title", "public_phone"])
    w.steward.display_name = "张小管"
    w.steward.save(update_fields=["display_name"])
    her = people.register_volunteer(jurisdiction_id=w.jurisdiction.pk, name="刘红梅", phone=HER, skills="跑腿")
    entry = people.report_in(volunteer=her, community=w.community)
    people.decide_report_in(report_in=entry, actor=w.dispatcher, approved=True)
    case = w.to_accepted(
        reporter_name=NEIGHBOUR[0], reporter_phone=NEIGHBOUR[1], title="独居老人需要代买降压药", description="行动不便"
    )
    case_url = reverse("console:case", args=[case.pk])

    # --- the steward, at a desk, offers the errand from the case page
    desk = browser_session.new_page(viewport=DESKTOP)
    log_in(desk, w.steward.username, case_url)
    errands = desk.locator("#case-errands")
    expect(errands.locator("#errand-form")).to_be_visible()
    desk.select_option("#errand-form select[name=volunteer]", str(her.pk))
    desk.fill("#errand-form textarea[name=note], #errand-form input[name=note]", "买两盒硝苯地平，老人付款")
    save_screenshot(desk, "errand-journey-1-offer-at-the-desk")
    desk.click("#errand-form button[type=submit]")
    desk.wait_for_url(re.compile(re.escape(case_url) + "$"))
    expect(desk.locator("#errand-list")).to_contain_text("刘*")

    # --- she opens 我的代办 on her phone, logs in by text code and sees what and where, never the neighbour
    phone = browser_session.new_page(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    phone.goto(reverse("portal:people_errands"))
    phone.fill("#id_phone", HER)
    phone.click("#phone-form button[type=submit]")
    phone.fill("#code-form #id_code", code_sent_to(HER))
    phone.click("#code-form button[type=submit]")
    phone.wait_for_url(re.compile(r"/r/people/errands/$"))
    row = phone.locator("#errands li").first
    expect(row).to_contain_text("生活代办")
    expect(row).to_contain_text("3号楼")
    expect(row).to_contain_text("买两盒硝苯地平")
    expect(row.locator(".errand-handler")).to_contain_text("张小管")
    expect(row.locator(".errand-handler")).to_contain_text("13900001111")
    body = phone.locator("body").inner_text()
    assert NEIGHBOUR[0] not in body and NEIGHBOUR[1] not in body and "独居老人需要代买降压药" not in body
    assert page_width(phone) <= PHONE["width"]
    save_screenshot(phone, "errand-journey-2-offered-on-the-phone")
    row.locator("button", has_text="我来代办").click()
    phone.wait_for_url(re.compile(r"\?done=accepted$"))
    row = phone.locator("#errands li").first
    row.locator("textarea[name=result]").fill("药已买好送到老人家中，老人已当面核对")
    row.locator("input[name=hours]").fill("1.5")
    save_screenshot(phone, "errand-journey-3-report-it-done")
    row.locator("form.stack button[type=submit]").click()
    phone.wait_for_url(re.compile(r"\?done=done$"))
    expect(phone.locator("#done")).to_be_visible()
    expect(phone.locator("#errands li").first).to_contain_text("药已买好送到老人家中")
    save_screenshot(phone, "errand-journey-4-done")

    # --- the steward finds her report on the case; the neighbour's tracking page names her masked
    desk.goto(case_url)
    expect(desk.locator("#errand-list")).to_contain_text("药已买好送到老人家中")
    save_screenshot(desk, "errand-journey-5-reported-on-the-case")
    phone.goto(reverse("portal:track", args=[case.tracking_code]))
    tracked = phone.locator("body").inner_text()
    assert "刘*" in tracked and "刘红梅" not in tracked
    save_screenshot(phone, "errand-journey-6-tracking-page")

    def written() -> None:
        errand = Errand.objects.get()
        assert (errand.volunteer_id, errand.status, errand.case_id) == (her.pk, "done", case.pk)
        kinds = list(CaseEvent.objects.filter(case=case).order_by("seq").values_list("kind", flat=True))
        assert kinds[-2:] == ["errand_given", "errand_done"]
        hours = Hours.objects.get()
        assert (hours.volunteer_id, hours.hours, hours.status) == (her.pk, Decimal("1.50"), "submitted")
        assert Notification.objects.filter(kind="case.errand_done", recipient=w.steward).count() == 1

    in_thread(written)
    browser_session.assert_clean()
