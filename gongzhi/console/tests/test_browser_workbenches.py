"""Each role's start in real Chromium, on a phone (390×844) and a desktop: where they land, a navigation that fits one
row on a phone and offers only what opens; triage that says where the case went, the dispatch list's filter; the
reporter's number shown on demand to the person handling the case.

Screenshots land in test-artifacts/screenshots/workbench-*.png (git-ignored) for a person to look at.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from gongzhi.accounts.tests.factories import PASSWORD
from gongzhi.cases.tests.factories import category, world
from gongzhi.console.tests.suggestions import suggest
from gongzhi.core.testing.browser import DESKTOP, PHONE, save_screenshot
from gongzhi.grid import roles
from gongzhi.grid.models import GridNode
from gongzhi.grid.tests.factories import post

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"phone": PHONE, "desktop": DESKTOP}
LEVEL_WORDS = {roles.STREET: "街道", roles.COMMUNITY: "社区", roles.GRID: "网格", roles.MICRO_GRID: "微网格"}


def _world():
    """The cases' test district with Chinese names, people with names, and a street-level category."""
    w = world()
    names = {
        w.district.pk: "共治示范区",
        w.street.pk: "城关街道",
        w.community.pk: "幸福社区",
        w.other_community.pk: "和平社区",
        w.grid.pk: "幸福社区第1网格",
        w.micro.pk: "幸福社区第1微网格",
    }
    for i, node in enumerate(GridNode.objects.filter(jurisdiction=w.jurisdiction).order_by("path"), start=1):
        node.name = names.get(node.pk) or f"第{i}{LEVEL_WORDS.get(node.level, '')}"
        node.save(update_fields=["name"])
    for node in (w.district, w.street, w.community, w.other_community, w.grid, w.micro):
        node.refresh_from_db()
    people = {
        "dispatcher": "王芳",
        "steward": "李管家",
        "steward2": "张管家",
        "grid_worker": "陈网格",
        "street_staff": "刘街道",
        "centre": "赵指挥",
        "dept_staff": "孙城管",
    }
    for attr, name in people.items():
        user = getattr(w, attr)
        user.display_name = name
        user.save()
    w.building.lat, w.building.lon = 30.001, 120.001
    w.building.save()
    w.category.name = "楼道堆物"
    w.category.save()
    return w


def log_in(page, username: str) -> None:
    page.goto(reverse("accounts:login"))
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_load_state()


NAV_GEOMETRY = """() => {
  const row = document.querySelector('.worknav-inner');
  const shown = [...row.children].filter(li => li.getClientRects().length > 0);
  return {
    tops: shown.map(li => Math.round(li.getBoundingClientRect().top)),
    keys: shown.map(li => li.classList.contains('worknav-more') ? 'more' : li.querySelector('a').dataset.nav),
    right: Math.max(...shown.map(li => li.getBoundingClientRect().right)),
    rowWidth: row.clientWidth, rowScroll: row.scrollWidth,
    page: document.documentElement.scrollWidth,
  };
}"""


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_each_role_lands_on_its_workbench_with_a_navigation_in_one_row(browser_session, viewport):
    w = _world()
    leader = post(roles.LEADER, node=w.district).user
    leader.display_name = "周领导"
    leader.save()
    journeys = [
        ("steward", w.steward, reverse("console:tasks"), ["tasks", "record", "inbox", "more"]),
        ("grid-worker", w.grid_worker, reverse("console:tasks"), ["tasks", "record", "inbox", "more"]),
        ("community", w.dispatcher, reverse("console:queue"), ["queue", "tasks", "inbox", "more"]),
        ("department", w.dept_staff, reverse("console:department"), ["department", "cases", "inbox", "more"]),
        (
            "centre",
            w.centre,
            reverse("analytics:dashboard", args=[w.district.pk]),
            ["analytics", "queue", "inbox", "more"],
        ),
        (
            "leader",
            leader,
            reverse("analytics:dashboard", args=[w.district.pk]),
            ["analytics", "cases", "inbox", "more"],
        ),
    ]
    size = VIEWPORTS[viewport]
    for name, user, landing, phone_row in journeys:
        page = browser_session.new_page(viewport=size, locale="zh-CN")
        log_in(page, user.username)
        assert page.url.endswith(landing), (name, page.url)
        geometry = page.evaluate(NAV_GEOMETRY)
        assert len(set(geometry["tops"])) == 1, (name, viewport, geometry)  # one row
        assert geometry["rowScroll"] <= geometry["rowWidth"] and geometry["right"] <= size["width"], (name, geometry)
        assert geometry["page"] <= size["width"], (name, geometry)  # nothing wider than the screen
        current = page.locator('.worknav a[aria-current="page"]').first
        expect(current).to_be_visible()
        if viewport == "phone":
            assert geometry["keys"] == phone_row, (name, geometry["keys"])
            menu = page.locator(".worknav-menu")
            menu.locator("summary").click()
            links = menu.locator("a")
            expect(links.first).to_be_visible()
            save_screenshot(page, f"workbench-{name}-phone-more", full_page=False)
            for i in range(links.count()):  # every door behind "More" opens (200 after any redirect)
                if not links.nth(i).is_visible():
                    menu.locator("summary").click()
                with page.expect_navigation() as opened:
                    links.nth(i).click()
                assert opened.value.status == 200, (name, links.nth(i).get_attribute("href"), opened.value.status)
                page.go_back()
                menu = page.locator(".worknav-menu")
                links = menu.locator("a")
        else:
            assert (
                "more" not in geometry["keys"]
                and len(geometry["keys"]) == len(phone_row) - 1 + page.locator(".worknav-menu a").count()
            ), (name, geometry["keys"])
            page.goto(landing)
            save_screenshot(page, f"workbench-{name}-desktop", full_page=False)
        if viewport == "phone":
            page.goto(landing)
            save_screenshot(page, f"workbench-{name}-phone", full_page=False)
    browser_session.assert_clean()


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_triage_says_where_the_case_went_and_the_dispatch_list_filters(browser_session, viewport):
    w = _world()
    lamp = category(w.jurisdiction, "road.lamp", level="street", name="路灯不亮")
    street_case = w.submit(title="小区门口路灯坏了好几天，晚上很黑", channel="web")
    suggest(street_case, top=[("road.lamp", 0.74), ("env.litter", 0.02)], level=["street", 0.7])
    desk_case = w.submit(title="楼道里堆满杂物，堵住消防通道", channel="web")
    suggest(desk_case, top=[("env.litter", 0.81), ("road.lamp", 0.05)], level=["micro_grid", 0.6])
    street_url = reverse("console:case", args=[street_case.pk])
    desk_url = reverse("console:case", args=[desk_case.pk])
    page = browser_session.new_page(viewport=VIEWPORTS[viewport], locale="zh-CN")
    log_in(page, w.dispatcher.username)
    assert page.url.endswith(reverse("console:queue"))

    # 1. The street case: the category is pre-filled from the 74 % suggestion and the level says where it goes.
    page.goto(street_url)
    page.locator("#action-triage summary").click()
    expect(page.locator("#action-triage select[name=category]")).to_have_value(str(lamp.pk))
    expect(page.locator("#id_category_helptext")).to_contain_text("置信度 74%")
    level = page.locator("#action-triage select[name=level]")
    expect(level).to_have_value("street")
    assert "转到 城关街道 派单台" in level.locator("option:checked").inner_text()
    save_screenshot(page, f"workbench-triage-form-{viewport}")
    page.locator("#action-triage button[type=submit]").click()
    page.wait_for_url(re.compile(re.escape(reverse("console:queue")) + "$"))
    message = page.locator(".messages li").first
    expect(message).to_contain_text(f"梳理完成，工单 {street_case.tracking_code} 已转到 城关街道 的派单台")
    save_screenshot(page, f"workbench-triage-went-to-street-{viewport}", full_page=False)
    message.locator("a").click()
    page.wait_for_url(re.compile(re.escape(street_url) + "$"))
    expect(page.locator("#idle")).to_contain_text("城关街道 的派单台")
    expect(page.locator("#actions")).to_have_count(0)
    save_screenshot(page, f"workbench-triage-nothing-to-do-{viewport}", full_page=False)

    # 2. The desk case: another category moves the level to that category's default, and back.
    page.goto(desk_url)
    page.locator("#action-triage summary").click()
    category_select = page.locator("#action-triage select[name=category]")
    expect(category_select).to_have_value(str(w.category.pk))
    category_select.select_option(str(lamp.pk))
    expect(page.locator("#action-triage select[name=level]")).to_have_value("street")
    category_select.select_option(str(w.category.pk))
    expect(page.locator("#action-triage select[name=level]")).to_have_value("micro_grid")
    page.locator("#action-triage button[type=submit]").click()
    page.wait_for_url(re.compile(re.escape(desk_url) + r"\?open=dispatch#action-dispatch$"))
    expect(page.locator(".messages li").first).to_contain_text("留在本派单台，请现在交办")
    # 3. The dispatch list has a filter box: typing narrows the grouped list; one match is chosen.
    target = page.locator("#action-dispatch select[name=target]")
    expect(target).to_have_attribute("data-ready", "true")
    total = int(target.get_attribute("data-shown") or 0) or target.locator("option").count() - 1
    box = page.locator("#action-dispatch input.filter-box")
    expect(box).to_be_visible()
    box.fill("李管家")
    expect(target).to_have_attribute("data-shown", "1")
    expect(target).to_have_value(f"user:{w.steward.pk}")
    box.fill("微网格")
    shown = int(target.get_attribute("data-shown"))
    assert 0 < shown < total
    expect(page.locator("#action-dispatch .filter-status")).to_contain_text(f"找到 {shown} 项")
    box.fill("幸福社区第1微网格 抢单")
    expect(target).to_have_attribute("data-shown", "1")
    expect(target).to_have_value(f"pool:{w.micro.pk}")
    save_screenshot(page, f"workbench-dispatch-filter-{viewport}")
    page.locator("#action-dispatch button[type=submit]").click()
    page.wait_for_url(re.compile(re.escape(desk_url) + "$"))
    expect(page.locator("#case-status")).to_have_attribute("data-status", "dispatched")
    expect(page.locator(".messages li").first).to_contain_text("已交办给 幸福社区第1微网格")
    save_screenshot(page, f"workbench-dispatched-{viewport}", full_page=False)
    browser_session.assert_clean()


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_handler_reveals_the_reporters_number_and_calls(browser_session, viewport):
    w = _world()
    case = w.to_accepted(title="楼道灯不亮", reporter_name="王五", reporter_phone="13812345678")
    page = browser_session.new_page(viewport=VIEWPORTS[viewport], locale="zh-CN")
    log_in(page, w.steward.username)
    page.goto(reverse("console:case", args=[case.pk]))
    reporter = page.locator("#reporter")
    expect(reporter).to_contain_text("138****5678")
    assert "13812345678" not in page.content()
    reporter.locator("details.reveal summary").click()
    page.fill("#reveal-phone input[name=purpose]", "约上门时间")
    save_screenshot(page, f"workbench-reveal-ask-{viewport}", full_page=False)
    page.locator("#reveal-phone button[type=submit]").click()
    call = page.locator("#reporter-phone")
    expect(call).to_have_attribute("href", "tel:13812345678")
    expect(call).to_be_visible()
    call.scroll_into_view_if_needed()
    save_screenshot(page, f"workbench-reveal-call-{viewport}", full_page=False)
    browser_session.assert_clean()
