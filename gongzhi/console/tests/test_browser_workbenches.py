"""Each role's start in real Chromium, on a phone (390×844) and a desktop: where they land, and a navigation that fits
one row on a phone and offers only what opens.

Screenshots land in test-artifacts/screenshots/workbench-*.png (git-ignored) for a person to look at.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from gongzhi.accounts.tests.factories import PASSWORD
from gongzhi.cases.tests.factories import world
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
