"""The residents' deliberation pages in real Chromium on a phone (390×844, issue 30), in standard and large text: a
resident scans her building's QR code and sees an urgent water-cut notice, opens topics near her, logs in with a
text-message code to support a neighbour's proposal and comment on it, votes on another topic (choice, then confirm)
and sees "your household has voted", and checks in at a meeting by its QR code. Every page fits the phone's width
and passes axe. Screenshots: test-artifacts/screenshots/deliberation-*.png."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from gongzhi.core import timeutil
from gongzhi.core.testing.browser import PHONE, page_width, save_screenshot
from gongzhi.deliberation import services, steps
from gongzhi.deliberation.models import Ballot, Comment, Registration, Support
from gongzhi.deliberation.tests.factories import deliberation_world
from gongzhi.portal.tests.test_accessibility import axe_source, run_axe
from gongzhi.portal.tests.test_browser import orm_between_pages  # noqa: F401 - a fixture
from gongzhi.portal.tests.test_browser_journeys import code_sent_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NUMBER = "13900000068"


def looked_at(page, name: str, axe: str, found: dict[str, list[dict]]) -> None:
    width = page_width(page)
    assert width <= PHONE["width"], f"{name}: {width}px wide on a {PHONE['width']}px phone"
    save_screenshot(page, name)
    violations = run_axe(page, axe)
    if violations:
        found[name] = violations


@pytest.fixture
def place(db):
    w = deliberation_world()
    home = w.building()
    home.name = "3号楼"
    home.save(update_fields=["name"])
    services.publish_notice(
        actor=w.grid_worker, node=w.micro_grid, title="明日停水通知", body="明日 9:00-12:00 停水，请提前储水。",
        expires_at=timeutil.now() + timedelta(days=1), urgent=True,
    )  # fmt: skip
    proposal = services.propose(
        node=w.community, title="楼道加装扶手", body="老人上下楼不方便，建议加装扶手。",
        phone="13600000001", household_key="phone:neighbour", support_needed=3,
    )  # fmt: skip
    deciding = w.topic(step=steps.DECIDE, title="加装电梯")
    vote = w.vote(
        deciding, options=["赞成", "反对"], question="是否加装电梯？",
        voters=[services.Voter(key="h1", label="3单元502", phones=(NUMBER,))],
    )  # fmt: skip
    meeting = w.meeting(deciding, starts=timeutil.now() + timedelta(minutes=30))
    return w, home, proposal, deciding, vote, meeting


@pytest.mark.parametrize("large", [False, True], ids=["standard", "large-text"])
def test_a_resident_supports_comments_votes_and_checks_in_on_her_phone(
    browser_session,
    place,
    large,
    orm_between_pages,  # noqa: F811
):
    _w, home, proposal, deciding, vote, meeting = place
    suffix = "-large" if large else ""
    axe = axe_source()
    found: dict[str, list[dict]] = {}
    page = browser_session.new_page(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    page.goto(reverse("portal:scan", args=[home.public_token]))
    if large:
        page.click("button[name=large][value='1']")
        page.wait_for_load_state()
        assert "large" in page.locator("html").get_attribute("class")
    notices = page.locator("#building-notices")
    expect(notices).to_contain_text("明日停水通知")
    expect(notices.locator(".badge.urgent")).to_have_text("紧急")
    looked_at(page, f"deliberation-1-building{suffix}", axe, found)

    page.click("#topics-link")
    expect(page.locator("#open-topics")).to_contain_text("楼道加装扶手")
    expect(page.locator("#open-topics")).to_contain_text("已有 1 户附议（需 3 户）")
    looked_at(page, f"deliberation-2-topics{suffix}", axe, found)

    page.get_by_role("link", name="楼道加装扶手").click()
    page.click("#support-login")
    page.fill("#id_phone", NUMBER)
    page.click("#phone-form button[type=submit]")
    page.fill("#code-form #id_code", code_sent_to(NUMBER))
    page.click("#code-form button[type=submit]")
    page.wait_for_url(re.compile(rf"/r/topics/{proposal.pk}/"))
    expect(page.locator(".delib-step[aria-current=step]")).to_contain_text("征集")
    page.click("#support-form button")
    expect(page.locator("#done")).to_be_visible()
    expect(page.locator("#support-count")).to_contain_text("已有 2 户附议（需 3 户）")
    assert Support.objects.filter(topic=proposal).count() == 2
    page.fill("#id_body", "<script>window.pwned=1</script>支持，老人需要扶手")
    page.click("#comment-form button[type=submit]")
    expect(page.locator(".delib-comments")).to_contain_text("<script>window.pwned=1</script>支持，老人需要扶手")
    assert page.evaluate("() => window.pwned === undefined")
    assert Comment.objects.get(topic=proposal).author_label == "3号楼居民"
    looked_at(page, f"deliberation-3-topic{suffix}", axe, found)

    page.goto(reverse("portal:topic", args=[deciding.pk]))
    form = page.locator(f"#vote-{vote.pk}-form")
    form.get_by_label("反对").check()
    form.locator("button[value=review]").click()
    expect(page.locator("#chosen")).to_contain_text("反对")
    assert Ballot.objects.count() == 0
    looked_at(page, f"deliberation-4-confirm{suffix}", axe, found)
    page.click("#confirm-form button")
    expect(page.locator(f"#vote-{vote.pk}-voted")).to_have_text("您家已投票。")
    assert Ballot.objects.filter(vote=vote).count() == 1
    assert "反对" not in page.locator(f"#vote-{vote.pk}").inner_text()
    looked_at(page, f"deliberation-5-voted{suffix}", axe, found)

    page.goto(reverse("portal:meeting_checkin", args=[meeting.check_in_token]))
    page.click("#checkin-form button")
    expect(page.locator("#checked-in")).to_be_visible()
    assert Registration.objects.get(meeting=meeting).attended
    looked_at(page, f"deliberation-6-checkin{suffix}", axe, found)
    assert NUMBER not in page.content()
    assert found == {}
    browser_session.assert_clean()
