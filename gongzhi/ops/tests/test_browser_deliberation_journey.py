"""A topic's whole life in real Chromium (issue 30), residents on their phones (390×844) and staff at a desk:
a resident proposes a gate for the east entrance, her neighbour supports it past the threshold; the community takes
it up; a hearing (恳谈会) is held, the resident checks in by the QR code at the door and staff write the minutes; a
vote by household (eligibility from the care registry) — two residents vote on their phones, staff record the vote
of an elderly neighbour without a phone — closes and carries; the decision is made public (决议公开) and, once the
gate is built, the result with a photo (结果公开), which the resident sees on the topic page and the community board.
The flow crosses the resident pages and the console, hence here in ops.

Screenshots: test-artifacts/screenshots/deliberation-journey-*.png.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.db import connections
from django.urls import reverse
from PIL import Image
from playwright.sync_api import expect

from gongzhi.care import services as care
from gongzhi.console.tests.test_browser_flow import in_thread, log_in
from gongzhi.core import timeutil
from gongzhi.core.testing.browser import PHONE, save_screenshot
from gongzhi.deliberation import steps
from gongzhi.deliberation.models import Ballot, Meeting, Registration, StepChange, Topic, Vote
from gongzhi.deliberation.tests.factories import deliberation_world
from gongzhi.portal.tests.test_browser_journeys import code_sent_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
HER, NEIGHBOUR = "13900000071", "13900000072"
ID_HER, ID_NEIGHBOUR, ID_ELDER = "990101194005170019", "990101195203080024", "990101193311110039"
LOCAL = "%Y-%m-%dT%H:%M"


@pytest.fixture
def orm_between_pages(monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # the ORM is touched between pages only
    yield
    connections.close_all()


def _registry(w):
    """Three households of the care registry in one building: hers, her neighbour's, an elderly man's without a
    phone."""
    care.install_defaults(jurisdiction=w.district.jurisdiction)
    home = w.building()
    home.name = "5号楼"
    home.save(update_fields=["name"])
    for code, room, name, number, phone in (
        ("E-1", "1单元101", "陈丽", ID_HER, HER),
        ("E-2", "1单元102", "周强", ID_NEIGHBOUR, NEIGHBOUR),
        ("E-3", "1单元201", "吴老伯", ID_ELDER, ""),
    ):
        household = care.create_household(building=home, code=code, room=room, actor=w.staff)
        care.add_resident(
            household=household,
            person=care.Person(name=name, id_number=_valid(number), phone=phone, relation="head"),
            actor=w.staff,
        )
    return home


def _valid(number: str) -> str:
    from gongzhi.care import idcard

    return number[:17] + idcard.check_character(number[:17])


def _phone_login(page, number: str) -> None:
    page.fill("#id_phone", number)
    page.click("#phone-form button[type=submit]")
    page.fill("#code-form #id_code", code_sent_to(number))
    page.click("#code-form button[type=submit]")


def _move(page, to: str) -> None:
    page.locator(f'form[data-to="{to}"] button').click()
    expect(page.locator('#step-timeline li[aria-current="step"]')).to_have_attribute("data-step", to)


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (40, 120, 60)).save(out, "JPEG")
    return out.getvalue()


def test_a_topic_from_proposal_to_result_in_the_browser(browser_session, settings, orm_between_pages):
    settings.GONGZHI_TOPIC_SUPPORT_HOUSEHOLDS = 2
    w = deliberation_world()
    home = _registry(w)
    now = timeutil.local(timeutil.now())

    # --- she proposes a topic on her phone, from her building's QR code
    her = browser_session.new_page(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    her.goto(reverse("portal:scan", args=[home.public_token]))
    her.goto(reverse("portal:topic_new"))
    if her.locator("#phone-form").count() == 0:
        her.goto(reverse("portal:login") + "?next=" + reverse("portal:topic_new"))
    _phone_login(her, HER)
    her.wait_for_url(re.compile(r"/r/topics/new/"))
    her.fill("#id_title", "小区东门加装电动门禁")
    her.fill("#id_body", "东门常有外来车辆进出，建议加装电动门禁，住户刷卡进出。")
    her.click("#propose-form button[type=submit]")
    her.wait_for_url(re.compile(r"/r/topics/\d+/"))
    expect(her.locator("#support-count")).to_contain_text("1")
    save_screenshot(her, "deliberation-journey-1-proposed")
    topic_id = int(re.search(r"/r/topics/(\d+)/", her.url).group(1))
    topic_url = reverse("portal:topic", args=[topic_id])

    # --- her neighbour supports it: the threshold (2 households) is reached
    neighbour = browser_session.new_page(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    neighbour.goto(topic_url)
    neighbour.click("#support-login")
    _phone_login(neighbour, NEIGHBOUR)
    neighbour.wait_for_url(re.compile(rf"/r/topics/{topic_id}/"))
    neighbour.click("#support-form button")
    expect(neighbour.locator("#support-count")).to_contain_text("2")
    save_screenshot(neighbour, "deliberation-journey-2-supported")

    # --- the community takes it up and plans a hearing that has just begun
    staff = browser_session.new_page(locale="zh-CN")
    staff.context.set_default_timeout(15_000)
    log_in(staff, w.staff.username, reverse("console:topic", args=[topic_id]))
    _move(staff, steps.PROPOSE)
    _move(staff, steps.DELIBERATE)
    staff.click("#plan-meeting")
    staff.select_option("#id_kind", "hearing")
    staff.fill("#id_title", "东门门禁恳谈会")
    staff.fill("#id_place", "社区议事厅")
    staff.fill("#id_starts", (now - timedelta(minutes=5)).strftime(LOCAL))
    staff.fill("#id_ends", (now + timedelta(hours=2)).strftime(LOCAL))
    staff.fill("#id_invited", "业主委员会\n物业公司")
    staff.click("#meeting-form button[type=submit]")
    staff.wait_for_url(re.compile(r"/console/meetings/\d+/$"))
    meeting_id = int(re.search(r"/meetings/(\d+)/", staff.url).group(1))
    token = Meeting.objects.get(pk=meeting_id).check_in_token

    # --- at the door she scans the meeting's QR code and checks in
    her.goto(reverse("portal:meeting_checkin", args=[token]))
    her.click("#checkin-form button")
    expect(her.locator("#checked-in")).to_be_visible()
    save_screenshot(her, "deliberation-journey-3-checked-in")

    # --- staff write the minutes, move to the decision and set up a vote by household from the registry
    staff.reload()
    expect(staff.locator("#attendance strong")).to_have_text("1")
    staff.fill("#id_minutes", "到会居民代表 12 人，业委会、物业列席。多数赞成加装，费用由公共收益列支。")
    staff.fill("#id_decisions", "提交全体住户表决。")
    staff.click("#minutes-form button[type=submit]")
    expect(staff.locator("#meeting-status")).to_have_text("已召开")
    save_screenshot(staff, "deliberation-journey-4-minutes")
    staff.goto(reverse("console:topic", args=[topic_id]))
    _move(staff, steps.DECIDE)
    staff.click("#new-vote")
    staff.fill("#id_question", "是否同意东门加装电动门禁？")
    staff.fill("#id_options", "同意\n不同意")
    staff.select_option("#id_basis", "household")
    staff.select_option("#id_source", "registry")
    staff.fill("#id_quorum", "2/3")
    staff.fill("#id_threshold", "1/2")
    staff.fill("#id_opens_at", (now - timedelta(minutes=1)).strftime(LOCAL))
    staff.fill("#id_closes_at", (now + timedelta(days=3)).strftime(LOCAL))
    staff.click("#vote-form button[type=submit]")
    staff.wait_for_url(re.compile(r"/console/votes/\d+/$"))
    vote_id = int(re.search(r"/votes/(\d+)/", staff.url).group(1))
    staff.click("#registry-form button")
    expect(staff.locator("#eligible-title .count")).to_have_text("3")
    staff.click("#open-form button")
    expect(staff.locator("#vote-status")).to_have_text("进行中")

    # --- the two of them vote on their phones; staff record the elderly neighbour's vote at the desk
    for page in (her, neighbour):
        page.goto(topic_url)
        form = page.locator(f"#vote-{vote_id}-form")
        form.get_by_label("同意", exact=True).check()
        form.locator("button[value=review]").click()
        page.click("#confirm-form button")
        expect(page.locator(f"#vote-{vote_id}-voted")).to_be_visible()
    save_screenshot(her, "deliberation-journey-5-voted")
    expect(her.locator(f"#vote-{vote_id}-result")).to_have_count(0)  # never before close
    staff.goto(reverse("console:vote_desk", args=[vote_id]))
    staff.fill("#id_q", "1单元201")
    staff.click("#desk-find button")
    item = staff.locator("#desk-matches li").first
    item.locator("input[type=radio]").last.check()
    item.locator("input[name=note]").fill("吴老伯不用手机，到社区当面表态")
    item.locator("button").click()
    expect(staff.locator("#vote-turnout strong")).to_have_text("3")

    # --- the vote closes (everyone has voted) and carries; the decision is recorded and made public
    staff.goto(reverse("console:vote", args=[vote_id]))
    staff.click("#close-form button")
    expect(staff.locator("#threshold-met")).to_be_visible()
    save_screenshot(staff, "deliberation-journey-6-vote-closed")
    staff.goto(reverse("console:topic", args=[topic_id]))
    staff.fill("#decision-form textarea", "经住户表决（3 户中 2 户同意），东门加装电动门禁，费用由公共收益列支。")
    staff.click("#decision-form button")
    _move(staff, steps.DECISION_PUBLIC)
    her.goto(topic_url)
    expect(her.locator("#decision")).to_contain_text("东门加装电动门禁")
    expect(her.locator(f"#vote-{vote_id}-result")).to_be_visible()
    save_screenshot(her, "deliberation-journey-7-decision-public")

    # --- the gate is built: the result with a photo is made public
    staff.fill("#result-form textarea", "东门电动门禁已于本月安装完成，住户可到物业领取门卡。")
    staff.set_input_files(
        "#result-form input[type=file]", files=[{"name": "gate.jpg", "mimeType": "image/jpeg", "buffer": _photo()}]
    )
    staff.click("#result-form button[type=submit]")
    _move(staff, steps.RESULT_PUBLIC)
    save_screenshot(staff, "deliberation-journey-8-staff-result")
    her.goto(topic_url)
    expect(her.locator("#result")).to_contain_text("东门电动门禁已于本月安装完成")
    expect(her.locator("#result-photos img")).to_have_count(1)
    her.locator("#result-photos img").scroll_into_view_if_needed()
    her.wait_for_function("() => document.querySelector('#result-photos img').complete")
    assert her.locator("#result-photos img").evaluate("img => img.naturalWidth") == 320
    save_screenshot(her, "deliberation-journey-9-result-public")
    her.goto(reverse("portal:board", args=[w.community.pk]))
    expect(her.locator("body")).to_contain_text("小区东门加装电动门禁")
    save_screenshot(her, "deliberation-journey-10-board")
    for page in (her, neighbour):
        assert HER not in page.content() and NEIGHBOUR not in page.content()
    browser_session.assert_clean()

    def check() -> None:
        topic = Topic.objects.get(pk=topic_id)
        assert (topic.origin, topic.step, topic.support_count, len(topic.result_photos)) == (
            "residents",
            steps.RESULT_PUBLIC,
            2,
            1,
        )
        assert list(StepChange.objects.filter(topic=topic).values_list("step_to", flat=True)) == list(steps.STEPS)
        vote = Vote.objects.get(pk=vote_id)
        assert (vote.status, vote.result["cast"], vote.result["eligible"], vote.result["carried"]) == (
            "closed",
            3,
            3,
            ["同意"],
        )
        assert Ballot.objects.filter(vote=vote, assisted_by=w.staff).count() == 1
        assert Registration.objects.get(meeting_id=meeting_id).attended
        assert Meeting.objects.get(pk=meeting_id).status == "held"

    in_thread(check)
