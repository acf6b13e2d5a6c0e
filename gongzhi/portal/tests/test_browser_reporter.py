"""In Chromium on a phone (issue 24, item 15): while the resident types, "already reported nearby?" offers the open
case a neighbour reported, and "it is the same — follow it" joins it; on another request of theirs they add a photo
and words, then withdraw it. Screenshots: test-artifacts/screenshots/portal-reporter-*.png."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from gongzhi.cases import transitions as t
from gongzhi.cases.models import Case
from gongzhi.core.testing.browser import PHONE, page_width, save_screenshot
from gongzhi.portal.tests.conftest import jpeg
from gongzhi.portal.tests.test_browser import orm_between_pages  # noqa: F401 - a fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shot(page, name: str) -> None:
    print(f"screenshot: {save_screenshot(page, f'portal-reporter-{name}')}")


def fits(page) -> None:
    assert page_width(page) <= PHONE["width"]


def test_follow_a_report_nearby_then_add_and_withdraw(browser_session, w, tmp_path, orm_between_pages):  # noqa: F811
    earlier = w.submit(title="三楼楼道的灯坏了", description="三楼楼道的灯坏了，晚上很黑，王五说摔了一跤")
    photo = tmp_path / "more.jpg"
    photo.write_bytes(jpeg(size=(1200, 900)))
    page = browser_session.new_page(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)

    page.goto(reverse("portal:scan", args=[w.building.public_token]))
    page.fill("#id_description", "三楼楼道的灯坏了，晚上很黑")
    expect(page.locator("#nearby-list")).to_be_visible()
    expect(page.locator("#nearby-list")).to_contain_text("幸福里小区 3号楼")
    expect(page.locator("#nearby-list")).not_to_contain_text("王五")
    page.locator("#nearby-list").scroll_into_view_if_needed()
    fits(page)
    shot(page, "1-nearby")
    page.click("#nearby-list button.follow")
    page.wait_for_url(re.compile(r"/r/t/[0-9A-Z]+/\?done=followed$"))
    expect(page.locator("#followed-message")).to_be_visible()
    shot(page, "2-followed")
    followed = Case.objects.exclude(pk=earlier.pk).get()
    assert (followed.status, followed.merged_into_id) == (t.MERGED, earlier.pk)

    # Another request of theirs: "mine is different", sent as usual.
    page.goto(reverse("portal:scan", args=[w.building.public_token]))
    page.fill("#id_description", "单元门禁坏了，刷卡没反应")
    page.click("#report-form button.primary")
    page.wait_for_url(re.compile(r"/r/t/[0-9A-Z]+/$"))
    own = page.locator("#tracking-code").inner_text().strip()
    page.locator("#reporter-actions").scroll_into_view_if_needed()
    page.fill("#id_text", "晚上八点以后完全打不开")
    page.set_input_files("#add-photos", str(photo))
    shot(page, "3-add-information")
    page.click("#add-info-form button[type=submit]")
    expect(page.locator("#added-message")).to_be_visible()
    expect(page.locator("#my-additions")).to_contain_text("晚上八点以后完全打不开")
    expect(page.locator("#my-additions img")).to_have_count(1)
    fits(page)
    shot(page, "4-added")

    page.locator("#withdraw-form").evaluate("f => f.closest('details').open = true")
    page.locator("label.choice", has=page.locator("input[value=solved]")).click()
    page.fill("#id_details", "物业已经修好")
    shot(page, "5-withdraw")
    page.click("#withdraw-form button[type=submit]")
    expect(page.locator("#withdrawn-message")).to_be_visible()
    expect(page.locator("#status")).to_contain_text("已由反映人撤回")
    fits(page)
    shot(page, "6-withdrawn")
    case = Case.objects.get(tracking_code=own)
    assert case.status == t.WITHDRAWN and len(case.photos) == 1
    browser_session.assert_clean()
