"""The care registry's phone pages in real Chromium at 390 × 844 (issue 27): a grid worker opens the visits of the day,
records at one door a visit that finds a leaking pipe (a case is filed, channel visit) and at the next a resident who
needs 低保 (an assistance application is filed, a case of kind help) — the problem's fields appear only for "found a
problem" (no script: CSS :has()), nothing is wider than the screen. Screenshots: test-artifacts/screenshots/care-*.png.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from gongzhi.care.models import CaseLink, Resident, Visit
from gongzhi.care.tests.factories import care_world
from gongzhi.cases import catalogue
from gongzhi.cases.models import Case, CaseCategory
from gongzhi.console.tests.test_browser_flow import in_thread, log_in
from gongzhi.core import timeutil
from gongzhi.core.testing.browser import PHONE, page_width, save_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_grid_worker_records_a_leak_and_a_subsistence_application_on_a_phone(browser_session):
    w = care_world()
    catalogue.seed(jurisdiction=w.district.jurisdiction)
    late = w.resident(name="欧阳秀英", phone="13912345678", level="red", groups=("living_alone",))
    soon = w.resident(name="李桂兰", level="yellow")
    Resident.objects.filter(pk=late.pk).update(next_visit_due=timeutil.local_today() - timedelta(days=6))
    Resident.objects.filter(pk=soon.pk).update(next_visit_due=timeutil.local_today())
    category = CaseCategory.objects.filter(jurisdiction=w.district.jurisdiction, kind="report", children__isnull=True)
    category_name = category.order_by("code").first().name

    page = browser_session.new_page(viewport=PHONE, locale="zh-CN", has_touch=True)
    log_in(page, w.grid_worker.username, reverse("console:care_visits"))
    items = page.locator("#due-list li[data-resident]")
    expect(items).to_have_count(2)
    expect(items.first).to_have_attribute("data-resident", str(late.pk))
    assert page_width(page) <= page.viewport_size["width"]
    assert "欧阳秀英" not in page.content()
    save_screenshot(page, "care-1-visits-today")

    items.first.locator("a").click()
    page.wait_for_url(f"**{reverse('console:care_visit', args=[late.pk])}")
    assert page_width(page) <= page.viewport_size["width"]
    page.locator("input[name=outcome][value=well]").check()
    expect(page.locator("#problem-fields")).to_be_hidden()
    expect(page.locator("#help-fields")).to_be_hidden()
    page.locator("input[name=outcome][value=problem]").check()
    expect(page.locator("#problem-fields")).to_be_visible()
    expect(page.locator("#help-fields")).to_be_hidden()
    page.fill("#id_findings", "厨房水管漏水，地面积水")
    page.fill("#id_title", "厨房水管漏水")
    page.select_option("#id_category", label=category_name)
    assert page_width(page) <= page.viewport_size["width"]
    save_screenshot(page, "care-2-visit-form")
    page.click("#visit-submit")
    page.wait_for_url(f"**{reverse('console:care_visits')}")
    expect(page.locator(".messages")).to_contain_text("走访已登记")
    expect(page.locator("#due-list li[data-resident]")).to_have_count(1)
    save_screenshot(page, "care-3-done")

    # The next door: she has fallen ill and her pension does not cover the rent — she needs 低保.
    page.locator("#due-list li[data-resident] a").first.click()
    page.wait_for_url(f"**{reverse('console:care_visit', args=[soon.pk])}")
    page.locator("input[name=outcome][value=needs_help]").check()
    expect(page.locator("#help-fields")).to_be_visible()
    expect(page.locator("#problem-fields")).to_be_hidden()
    page.fill("#id_findings", "老人重病住院后收入不足，符合低保条件")
    page.select_option("#id_assistance", "subsistence")
    assert page_width(page) <= page.viewport_size["width"]
    save_screenshot(page, "care-3b-assistance")
    page.click("#visit-submit")
    page.wait_for_url(f"**{reverse('console:care_visits')}")
    expect(page.locator(".messages")).to_contain_text("走访已登记")
    expect(page.locator("#due-list li[data-resident]")).to_have_count(0)
    browser_session.assert_clean()

    def check() -> None:
        leak, application = Case.objects.order_by("pk")
        visits = {v.resident_id: v for v in Visit.objects.all()}
        assert (visits[late.pk].outcome, visits[soon.pk].outcome) == ("problem", "needs_help")
        assert (leak.kind, leak.channel, leak.recorded_by_id, leak.title) == (
            "report",
            "visit",
            w.grid_worker.pk,
            "厨房水管漏水",
        )
        assert (application.kind, application.channel, application.recorded_by_id) == (
            "help",
            "visit",
            w.grid_worker.pk,
        )
        links = {(link.resident_id, link.kind, link.assistance, link.case_id) for link in CaseLink.objects.all()}
        assert links == {
            (late.pk, "problem", "", leak.pk),
            (soon.pk, "help", "subsistence", application.pk),
        }
        assert all(link.visit_id == visits[link.resident_id].pk for link in CaseLink.objects.all())

    in_thread(check)


def test_a_manager_opens_the_full_record_for_a_purpose_and_a_reload_masks_it_again(browser_session):
    from gongzhi.care.models import AccessEntry
    from gongzhi.core.testing.browser import DESKTOP

    w = care_world()
    r = w.resident(name="欧阳秀英", phone="13912345678", level="red", groups=("living_alone",))
    page = browser_session.new_page(viewport=DESKTOP, locale="zh-CN")
    url = reverse("console:care_resident", args=[r.pk])
    log_in(page, w.staff.username, url)
    assert "欧阳秀英" not in page.content() and "13912345678" not in page.content()
    save_screenshot(page, "care-4-resident-masked")
    page.locator("#open-full summary").click()
    page.select_option("#id_purpose", "verify")
    page.fill("#id_detail", "核对台账")
    page.locator("#open-form button[type=submit]").click()
    expect(page.locator("#full-name")).to_have_text("欧阳秀英")
    expect(page.locator("#full-phone")).to_contain_text("13912345678")
    save_screenshot(page, "care-5-resident-opened")
    page.goto(browser_session.url(url))
    assert "欧阳秀英" not in page.content()
    browser_session.assert_clean()
    in_thread(lambda: None if AccessEntry.objects.count() == 1 else pytest.fail("one read, one log row"))
