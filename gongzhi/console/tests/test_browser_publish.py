"""公示 of a closed case in real Chromium, on a phone and a desktop: the case was rated 满意 and closed; the dispatcher
opens its publish form, the summary editor highlights the phone number the handler wrote in the result, publishing
it unchecked is refused, the dispatcher removes the number and publishes; the public board shows the summary. Then
bulk 公示 with a clean case, a flagged one (listed for review, with its link) and a refused one (with its reason).

Screenshots: test-artifacts/screenshots/publish-*.png.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from gongzhi.cases import services
from gongzhi.cases import transitions as t
from gongzhi.cases.models import Case
from gongzhi.cases.tests.factories import world
from gongzhi.console.tests.test_browser_flow import in_thread, log_in
from gongzhi.core.testing.browser import DESKTOP, PHONE, save_screenshot
from gongzhi.grid.tests.factories import CompoundFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RESULT = "已清理楼道杂物，并联系户主王五（电话 138.1234.5678）确认"


def _world():
    w = world()
    w.building.compound = CompoundFactory(node=w.community, jurisdiction=w.jurisdiction, name="幸福里小区")
    w.building.name = "3号楼"
    w.building.save()
    w.category.name = "楼道堆物"
    w.category.save(update_fields=["name"])
    w.dispatcher.display_name = "王芳"
    w.dispatcher.save()
    return w


def _closed(w, result=RESULT):
    case = w.to_accepted(title="3号楼楼道堆满杂物")
    services.resolve(case=case, actor=w.steward, result=result)
    return services.rate(case=case, actor=None, score="satisfied", solved=True, verified_reporter=True)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_closed_case_is_published_after_its_flagged_phone_number_is_removed(browser_session, viewport):
    w = _world()
    case = _closed(w)
    assert case.status == t.CLOSED
    name = "phone" if viewport == PHONE else "desktop"
    page = browser_session.new_page(viewport=viewport, locale="zh-CN", is_mobile=viewport == PHONE)
    case_path = reverse("console:case", args=[case.pk])
    log_in(page, w.dispatcher.username, case_path)

    page.click("#action-publish > summary")
    preview = page.locator("#publish-preview")
    expect(preview).to_be_visible()
    expect(preview.locator("mark.flag-phone").first).to_have_text("138.1234.5678")
    expect(preview.locator("mark.flag-name").first).to_have_text("王五")
    expect(page.locator("#publish-flags")).to_contain_text("电话号码")
    page.locator("#action-publish").scroll_into_view_if_needed()
    save_screenshot(page, f"publish-1-flagged-{name}")

    # Publishing the prefilled text as it is: refused, nothing published.
    page.click("#action-publish button.primary")
    expect(page.locator("#action-publish .error").first).to_contain_text("疑似个人信息")
    in_thread(lambda: _assert_public(case.pk, False))
    save_screenshot(page, f"publish-2-refused-{name}")
    # The refusal is a 400 (the form comes back with its error), which Chromium logs: that one is expected.
    expected = [e for e in browser_session.console.errors if "status of 400" in e]
    assert len(expected) == 1
    browser_session.console.errors[:] = [e for e in browser_session.console.errors if e not in expected]

    # The dispatcher removes the name and the number, checks the text again, and publishes.
    page.fill("#action-publish textarea", "楼道堆物（幸福里小区 3号楼）：已清理楼道杂物，消防通道恢复畅通。")
    page.click("#publish-check")
    expect(page.locator("#publish-preview mark")).to_have_count(0)
    save_screenshot(page, f"publish-3-clean-{name}")
    page.click("#action-publish button.primary")
    page.wait_for_url(f"**{case_path}")
    expect(page.locator("#case-public-summary")).to_contain_text("消防通道恢复畅通")
    expect(page.locator("#case-status")).to_have_attribute("data-status", "closed")
    save_screenshot(page, f"publish-4-published-{name}")

    page.goto(reverse("portal:board", args=[w.community.pk]))
    card = page.locator(".board-card").first
    expect(card).to_contain_text("已清理楼道杂物，消防通道恢复畅通。")
    # The number in any spelling, not "1234" alone (a card's public id may hold those digits).
    shown = page.locator("main").inner_text()
    assert "王五" not in page.content() and "138.1234" not in shown and "1234.5678" not in shown
    assert "12345678" not in shown.replace(".", "").replace(" ", "")
    save_screenshot(page, f"publish-5-board-{name}")
    browser_session.assert_clean()


def test_bulk_publication_lists_what_happened_to_each_case(browser_session):
    w = _world()
    clean = _closed(w, "已清理楼道杂物，通道畅通")
    flagged = _closed(w)
    open_case = w.to_accepted()
    page = browser_session.new_page(viewport=DESKTOP, locale="zh-CN")
    log_in(page, w.centre.username, reverse("console:cases"))
    for case in (clean, flagged, open_case):
        page.check(f'tr[data-code="{case.tracking_code}"] input[type=checkbox]')
    page.click('#bulk-form button[value="publish"]')
    result = page.locator("#bulk-result")
    expect(result.locator(f'tr[data-code="{clean.tracking_code}"]')).to_contain_text("已完成")
    expect(result.locator(f'tr[data-code="{flagged.tracking_code}"]')).to_contain_text("需人工核对")
    expect(result.locator(f'tr[data-code="{open_case.tracking_code}"]')).to_contain_text("尚未办结")
    save_screenshot(page, "publish-6-bulk-desktop")
    result.locator(f'tr[data-code="{flagged.tracking_code}"] a.review-link').click()
    expect(page.locator("#action-publish")).to_have_attribute("open", "")
    expect(page.locator("#publish-preview mark.flag-phone").first).to_be_visible()
    browser_session.assert_clean()


def _assert_public(pk, expected):
    assert Case.objects.get(pk=pk).public is expected
