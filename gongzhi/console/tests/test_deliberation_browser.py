"""The console's deliberation pages in Chromium: staff at a desk move a topic on and record its decision; a steward
at a meeting's door checks a resident in and casts a vote at the desk on a phone (no page wider than the screen)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from gongzhi.console.tests.test_browser_flow import in_thread, log_in
from gongzhi.core import timeutil
from gongzhi.core.testing.browser import PHONE, page_width, save_screenshot
from gongzhi.deliberation import steps
from gongzhi.deliberation.models import Ballot, Registration, Topic
from gongzhi.deliberation.tests.factories import deliberation_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_run_a_topic_and_a_steward_keeps_the_door_and_the_desk(browser_session):
    w = deliberation_world()
    topic = w.topic(step=steps.DELIBERATE, title="3号楼加装电梯")
    meeting = w.meeting(topic, starts=timeutil.now() - timedelta(minutes=5))
    other = w.topic(step=steps.DECIDE, title="停车位划线")
    vote = w.vote(other, options=["同意划线", "不同意"])

    page = browser_session.new_page(locale="zh-CN")
    log_in(page, w.staff.username, reverse("console:topic", args=[topic.pk]))
    expect(page.locator('#step-timeline li[aria-current="step"]')).to_have_attribute("data-step", "deliberate")
    page.locator('form[data-to="decide"] button').click()
    page.wait_for_url(f"**{reverse('console:topic', args=[topic.pk])}")
    expect(page.locator('#step-timeline li[aria-current="step"]')).to_have_attribute("data-step", "decide")
    page.fill("#decision-form textarea", "同意加装电梯，费用按楼层分摊。")
    page.locator("#decision-form button").click()
    page.locator('form[data-to="decision_public"] button').click()
    expect(page.locator("#topic-step")).to_contain_text("决议公开")
    in_thread(lambda: _assert(Topic.objects.get(pk=topic.pk).step == steps.DECISION_PUBLIC))
    save_screenshot(page, "delib-console-1-topic")
    page.goto(reverse("console:vote", args=[vote.pk]))
    expect(page.locator("#result-hidden")).to_be_visible()
    expect(page.locator("#vote-result")).to_have_count(0)
    save_screenshot(page, "delib-console-2-vote-open")
    page.close()

    phone = browser_session.new_page(viewport=PHONE, locale="zh-CN", has_touch=True)
    log_in(phone, w.steward.username, reverse("console:meeting", args=[meeting.pk]))
    phone.fill("#check-in-form input[name=name]", "李大爷")
    phone.locator("#check-in-form button").click()
    expect(phone.locator("#attendance strong")).to_have_text("1")
    assert page_width(phone) <= phone.viewport_size["width"]
    save_screenshot(phone, "delib-console-3-door")
    in_thread(
        lambda: _assert(
            Registration.objects.filter(meeting=meeting, attended=True, checked_in_by=w.steward).count() == 1
        )
    )
    phone.goto(reverse("console:vote_desk", args=[vote.pk]))
    phone.fill("#id_q", "3单元101")
    phone.locator("#desk-find button").click()
    item = phone.locator("#desk-matches li").first
    item.locator("input[type=radio]").first.check()
    item.locator("input[name=note]").fill("本人到社区口述")
    item.locator("button").click()
    expect(phone.locator("#vote-turnout strong")).to_have_text("1")
    assert page_width(phone) <= phone.viewport_size["width"]
    save_screenshot(phone, "delib-console-4-desk")
    in_thread(
        lambda: _assert(
            list(Ballot.objects.filter(vote=vote).values_list("assisted_by", "note"))
            == [(w.steward.pk, "本人到社区口述")]
        )
    )


def _assert(condition: bool) -> None:
    assert condition
