"""The closed loop in real Chromium: a dispatcher dispatches to the stewards' pool, a steward accepts it on a phone and
resolves it with a photo, the resident rates it, and the command centre sees it closed.

Screenshots land in test-artifacts/screenshots/flow-*.png (git-ignored) for a person to look at.
"""

from __future__ import annotations

import io
import re
import threading

import pytest
from django.db import connection
from django.urls import reverse
from playwright.sync_api import expect

from gongzhi.accounts.tests.factories import PASSWORD
from gongzhi.cases import services
from gongzhi.cases import transitions as t
from gongzhi.cases.models import Case
from gongzhi.cases.tests.factories import world
from gongzhi.core.testing import browser
from gongzhi.core.testing.browser import DESKTOP, PHONE, SCREENSHOT_DIR, page_width, save_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, username: str, next_path: str) -> None:
    browser.log_in(page, username, next_path, password=PASSWORD)


def in_thread(fn) -> None:
    """ORM work while Playwright's loop runs in this thread (Django refuses it here): do it in a plain thread."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with browser.SERVER_TURN:  # never beside a request the live server is answering (SQLite)
                fn()
        except BaseException as exc:  # pragma: no cover - re-raised below
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


def _photo() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (320, 240), (40, 120, 60)).save(out, format="JPEG")
    return out.getvalue()


def test_dispatch_accept_resolve_rate_closed(browser_session):
    w = world()
    w.building.lat, w.building.lon = 30.001, 120.001
    w.building.save()
    for user, name in ((w.dispatcher, "王芳"), (w.steward, "李管家"), (w.centre, "赵指挥")):
        user.display_name = name
        user.save()
    case = w.submit(title="3号楼楼道堆满杂物", reporter=w.resident, channel="web")
    services.triage(case=case, actor=w.dispatcher, category=w.category)
    code = case.tracking_code
    case_path = reverse("console:case", args=[case.pk])

    # 1. The community dispatcher finds the case in the queue and dispatches it to the micro-grid's pool.
    desk = browser_session.new_page(viewport=DESKTOP, locale="zh-CN")
    log_in(desk, w.dispatcher.username, reverse("console:queue"))
    row = desk.locator(f'tr[data-code="{code}"]')
    expect(row).to_be_visible()
    save_screenshot(desk, "flow-1-dispatcher-queue")
    row.locator("a.case-link").click()
    desk.wait_for_url(re.compile(re.escape(case_path) + "$"))
    desk.locator("#action-dispatch summary").click()
    desk.select_option("#action-dispatch select[name=target]", value=f"pool:{w.micro.pk}")
    save_screenshot(desk, "flow-2-dispatch-to-pool")
    desk.locator("#action-dispatch button[type=submit]").click()
    desk.wait_for_url(re.compile(re.escape(case_path) + "$"))
    expect(desk.locator("#case-status")).to_have_attribute("data-status", t.DISPATCHED)

    # 2. The steward, on a phone, sees it in the pool and accepts it.
    phone = browser_session.new_page(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    log_in(phone, w.steward.username, reverse("console:tasks"))
    card = phone.locator(f'#pool .task-card[data-code="{code}"]')
    expect(card).to_be_visible()
    save_screenshot(phone, "flow-3-steward-pool-phone")
    card.locator("button[type=submit]").click()
    phone.wait_for_url(re.compile(re.escape(reverse("console:tasks")) + "$"))
    expect(phone.locator(f'#my-tasks .task-card[data-code="{code}"]')).to_be_visible()
    expect(phone.locator("#pool .task-card")).to_have_count(0)
    overflow = page_width(phone)
    assert overflow <= PHONE["width"], f"the tasks page is {overflow}px wide on a phone"

    # 3. ... and resolves it with a photo of the result.
    phone.locator(f'#my-tasks .task-card[data-code="{code}"] a.task-title').click()
    phone.wait_for_url(re.compile(re.escape(case_path) + "$"))
    phone.wait_for_selector("#case-point-map[data-ready=true]")
    phone.locator("#action-resolve summary").click()
    phone.fill("#action-resolve textarea[name=result]", "已清理楼道杂物，通道畅通")
    phone.set_input_files(
        "#action-resolve input[name=photos]",
        files=[{"name": "after.jpg", "mimeType": "image/jpeg", "buffer": _photo()}],
    )
    save_screenshot(phone, "flow-4-steward-resolve-phone")
    phone.locator("#action-resolve button[type=submit]").click()
    phone.wait_for_url(re.compile(re.escape(case_path) + "$"))
    expect(phone.locator("#case-status")).to_have_attribute("data-status", t.RESOLVED)
    expect(phone.locator("#case-photos img")).to_have_count(1)
    # The photo is served by the console (scoped), lazily: bring it into view and wait until it has decoded.
    phone.locator("#case-photos img").scroll_into_view_if_needed()
    phone.wait_for_function(
        "() => { const i = document.querySelector('#case-photos img'); return i && i.complete && i.naturalWidth > 0; }"
    )
    assert phone.locator("#case-photos img").evaluate("img => img.naturalWidth") == 320
    save_screenshot(phone, "flow-5-resolved-with-photo-phone")

    # 4. The resident rates it (their portal is another interface; the rating goes through the same service).
    in_thread(lambda: services.rate(case=case.pk, actor=w.resident, score="satisfied", solved=True, comment="很满意"))

    # 5. The command centre filters closed cases and sees it closed, with the rating on the case page.
    centre = browser_session.new_page(viewport=DESKTOP, locale="zh-CN")
    log_in(centre, w.centre.username, reverse("console:cases"))
    centre.goto(reverse("console:cases") + "?status=closed")
    closed_row = centre.locator(f'tr[data-code="{code}"]')
    expect(closed_row).to_be_visible()
    expect(centre.locator("tbody tr.case-row")).to_have_count(1)
    save_screenshot(centre, "flow-6-command-centre-closed")
    closed_row.locator("a.case-link").click()
    centre.wait_for_url(re.compile(re.escape(case_path) + "$"))
    expect(centre.locator("#case-status")).to_have_attribute("data-status", t.CLOSED)
    expect(centre.locator("#ratings")).to_contain_text("很满意")
    kinds = centre.locator("#timeline li").evaluate_all("items => items.map(i => i.dataset.kind)")
    assert kinds == ["submitted", "triaged", "dispatched", "accepted", "resolved", "rated"]
    save_screenshot(centre, "flow-7-case-closed-timeline")
    browser_session.assert_clean()
    print(f"\nscreenshots: {SCREENSHOT_DIR}/flow-*.png")

    def check() -> None:
        stored = Case.objects.get(pk=case.pk)
        assert (stored.status, stored.handler_user_id, len(stored.photos)) == (t.CLOSED, w.steward.pk, 1)

    in_thread(check)
