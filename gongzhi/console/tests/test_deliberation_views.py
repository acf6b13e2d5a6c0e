"""The console's deliberation pages (issue 30): who may open and do what, the moves and their refusals (nothing
written), moderation, vote counts never shown before close, eligibility from the registry and from an Excel list,
a case raised at a meeting, notices."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from openpyxl import Workbook

from gongzhi.care import services as care_services
from gongzhi.care.tests.factories import id_number
from gongzhi.cases.choices import Channel
from gongzhi.cases.models import Case
from gongzhi.core import crypto, timeutil
from gongzhi.deliberation import selectors, services, steps
from gongzhi.deliberation.models import (
    Ballot,
    Comment,
    Eligible,
    EligiblePhone,
    Meeting,
    MeetingCase,
    Notice,
    Registration,
    StepChange,
    Topic,
    Vote,
)
from gongzhi.deliberation.tests.factories import DeliberationWorld, deliberation_world, phone
from gongzhi.grid.tests.factories import BuildingFactory

pytestmark = pytest.mark.django_db

ACTORS = ("anonymous", "staff", "steward", "other_staff", "leader")


@pytest.fixture
def w() -> DeliberationWorld:
    return deliberation_world()


def _as(client, w: DeliberationWorld, actor: str):
    client.logout()
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    if actor != "anonymous":
        client.force_login(getattr(w, actor))
    return client


def _login_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


# --------------------------------------------------------------------------------------------- permission matrix


def test_page_matrix(client, w):
    topic = w.topic(step=steps.DECIDE)
    meeting = w.meeting(topic)
    vote = w.vote(topic)
    pages = {
        "topics": reverse("console:topics"),
        "topic_new": reverse("console:topic_new"),
        "topic": reverse("console:topic", args=[topic.pk]),
        "meetings": reverse("console:meetings"),
        "meeting_new": reverse("console:meeting_new"),
        "meeting": reverse("console:meeting", args=[meeting.pk]),
        "meeting_sheet": reverse("console:meeting_sheet", args=[meeting.pk]),
        "vote_new": reverse("console:vote_new", args=[topic.pk]),
        "vote": reverse("console:vote", args=[vote.pk]),
        "vote_desk": reverse("console:vote_desk", args=[vote.pk]),
        "notices": reverse("console:notices"),
    }
    expected = {
        "staff": dict.fromkeys(pages, 200),
        # Keeps a community meeting's door and a vote's desk; runs nothing; the community's topic is not theirs to see.
        "steward": {
            "topics": 200,
            "topic_new": 403,
            "topic": 404,
            "meetings": 200,
            "meeting_new": 403,
            "meeting": 200,
            "meeting_sheet": 200,
            "vote_new": 404,
            "vote": 302,  # to the vote's desk
            "vote_desk": 200,
            "notices": 403,
        },
        # Runs their own community's: this one is out of sight.
        "other_staff": {
            "topics": 200,
            "topic_new": 200,
            "topic": 404,
            "meetings": 200,
            "meeting_new": 200,
            "meeting": 404,
            "meeting_sheet": 404,
            "vote_new": 404,
            "vote": 404,
            "vote_desk": 404,
            "notices": 200,
        },
        "leader": {
            "topics": 403,
            "topic_new": 403,
            "topic": 404,
            "meetings": 403,
            "meeting_new": 403,
            "meeting": 404,
            "meeting_sheet": 404,
            "vote_new": 404,
            "vote": 404,
            "vote_desk": 404,
            "notices": 403,
        },
    }
    for actor in ACTORS:
        c = _as(client, w, actor)
        for name, url in pages.items():
            response = c.get(url)
            if actor == "anonymous":
                assert _login_redirect(response), (name, response.status_code)
            else:
                assert response.status_code == expected[actor][name], (actor, name, response.status_code)
                if response.status_code == 200:
                    assert (
                        response["Cache-Control"].startswith("max-age=0") or "no-store" in response["Cache-Control"]
                    ), name
    assert _as(client, w, "steward").get(pages["vote"])["Location"] == pages["vote_desk"]


def _topic_state(topic: Topic) -> tuple:
    topic.refresh_from_db()
    return (
        topic.step,
        topic.decision,
        topic.result,
        StepChange.objects.filter(topic=topic).count(),
        Comment.objects.filter(topic=topic).count(),
        Meeting.objects.filter(topic=topic).count(),
        Vote.objects.filter(topic=topic).count(),
    )


def test_action_matrix_nothing_changes_when_refused(client, w):
    topic = w.topic(step=steps.DELIBERATE)
    local = w.topic(step=steps.DELIBERATE, node=w.micro_grid, title="楼道灯")  # the steward sees it (desk)
    meeting = w.meeting(topic, starts=timeutil.now() - timedelta(minutes=10))
    start = timeutil.now() + timedelta(days=1)
    for actor, topic_status, local_status in (
        ("anonymous", "login", "login"),
        ("steward", 404, 403),
        ("other_staff", 404, 404),
        ("leader", 404, 404),
    ):
        c = _as(client, w, actor)
        for t, status in ((topic, topic_status), (local, local_status)):
            before = _topic_state(t)
            posts = [
                (reverse("console:topic_move", args=[t.pk]), {"to": steps.DECIDE}),
                (reverse("console:topic_decision", args=[t.pk]), {"text": "同意"}),
                (reverse("console:topic_reply", args=[t.pk]), {"body": "回复"}),
                (
                    reverse("console:vote_new", args=[t.pk]),
                    {
                        "question": "是否同意？",
                        "options": "同意\n不同意",
                        "basis": "household",
                        "source": "registry",
                        "quorum": "0",
                        "threshold": "1/2",
                        "threshold_base": "cast",
                        "opens_at": start.strftime("%Y-%m-%dT%H:%M"),
                        "closes_at": (start + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
                    },
                ),
            ]
            for url, data in posts:
                response = c.post(url, data)
                if status == "login":
                    assert _login_redirect(response), url
                elif actor == "steward" and t is local and url.endswith("/reply/"):
                    assert response.status_code == 302  # a staff reply is a desk's job
                    continue
                else:
                    assert response.status_code == status, (actor, url, response.status_code)
            if actor == "steward" and t is local:
                Comment.objects.filter(topic=t).delete()
            assert _topic_state(t) == before, (actor, t.title)
        # The meeting: minutes (manage) and the door (desk).
        held = (meeting.minutes, meeting.status)
        response = c.post(reverse("console:meeting_minutes", args=[meeting.pk]), {"minutes": "纪要"})
        expected = {"anonymous": "login", "steward": 403, "other_staff": 404, "leader": 404}[actor]
        assert _login_redirect(response) if expected == "login" else response.status_code == expected
        meeting.refresh_from_db()
        assert (meeting.minutes, meeting.status) == held
        response = c.post(reverse("console:meeting_check_in", args=[meeting.pk]), {"phone": phone(7)})
        if actor == "steward":
            assert response.status_code == 302
        else:
            assert _login_redirect(response) if actor == "anonymous" else response.status_code == 404
    assert list(Registration.objects.filter(meeting=meeting).values_list("attended", "checked_in_by")) == [
        (True, w.steward.pk)
    ]
    # Another community's staff cannot withdraw a notice; the community's staff can.
    notice = services.publish_notice(
        actor=w.staff,
        node=w.community,
        title="停水通知",
        body="明天停水",
        expires_at=timeutil.now() + timedelta(days=2),
    )
    assert _as(client, w, "other_staff").post(reverse("console:notice_withdraw", args=[notice.pk])).status_code == 404
    notice.refresh_from_db()
    assert notice.status == "published"


# ----------------------------------------------------------------------------------------------------- topics


def test_start_a_topic_and_the_list_by_step(client, w):
    c = _as(client, w, "staff")
    response = c.post(
        reverse("console:topic_new"),
        {"node": w.community.pk, "title": "加装电梯", "body": "3号楼", "step_until": "2030-01-31"},
    )
    topic = Topic.objects.get(title="加装电梯")
    assert response.status_code == 302 and response["Location"] == reverse("console:topic", args=[topic.pk])
    assert (topic.origin, topic.node_id, topic.step, topic.step_until) == (
        "staff",
        w.community.pk,
        steps.COLLECT,
        date(2030, 1, 31),
    )
    w.topic(step=steps.DELIBERATE, title="停车位")
    page = c.get(reverse("console:topics"), {"step": steps.DELIBERATE}).content.decode()
    assert "停车位" in page and "加装电梯" not in page
    assert re.search(r'data-step="collect"[^>]*>[^<]*<span class="count">1</span>', page)
    assert re.search(r'data-step="deliberate"[^>]*>[^<]*<span class="count">1</span>', page)
    # Another community's node is refused: 400, nothing written.
    response = c.post(reverse("console:topic_new"), {"node": w.other_community.pk, "title": "X", "body": "Y"})
    assert response.status_code == 400 and not Topic.objects.filter(title="X").exists()


def test_a_topic_from_a_case_never_carries_the_reporter(client, w):
    from gongzhi.cases import services as case_services

    case = case_services.submit(
        jurisdiction=w.community.jurisdiction,
        channel=Channel.WALK_IN,
        title="小区东门停车混乱",
        description="王大爷说每天晚上车停满",
        reporter_name="王大爷",
        reporter_phone="13912345678",
        place_node=w.community,
        recorded_by=w.staff,
    )
    c = _as(client, w, "staff")
    url = reverse("console:topic_new") + f"?case={case.pk}"
    page = c.get(url).content.decode()
    assert "小区东门停车混乱" in page and case.tracking_code in page
    assert "王大爷" not in page and "13912345678" not in page
    response = c.post(url, {"node": w.community.pk, "title": "东门停车", "body": "需要居民商议"})
    assert response.status_code == 302
    topic = Topic.objects.get(title="东门停车")
    assert (topic.origin, topic.origin_id, topic.origin_code) == ("case", case.pk, case.tracking_code)
    # The case page offers it; another community's staff cannot start one from this case.
    assert 'id="case-start-topic"' in c.get(reverse("console:case", args=[case.pk])).content.decode()
    assert _as(client, w, "other_staff").get(url).status_code == 404


def test_moves_and_their_refusals_write_nothing(client, w):
    c = _as(client, w, "staff")
    topic = w.topic()
    move = reverse("console:topic_move", args=[topic.pk])
    response = c.post(move, {"to": steps.PROPOSE, "reason": "征集完毕"})
    assert response.status_code == 302
    topic.refresh_from_db()
    last = StepChange.objects.filter(topic=topic).latest("pk")
    assert (topic.step, last.step_from, last.step_to, last.reason, last.by_id) == (
        steps.PROPOSE,
        steps.COLLECT,
        steps.PROPOSE,
        "征集完毕",
        w.staff.pk,
    )
    page = c.get(reverse("console:topic", args=[topic.pk])).content.decode()
    assert 'aria-current="step"' in page and 'data-to="deliberate"' in page and 'data-to="dropped"' in page
    assert "征集完毕" in page
    # Skipping a step, dropping without a reason, publishing a decision not recorded: refused, nothing written.
    before = _topic_state(topic)
    assert c.post(move, {"to": steps.DECIDE}).status_code == 409
    response = c.post(move, {"to": steps.DROPPED, "reason": ""})
    assert response.status_code == 400 and "reason" in response.content.decode().lower()
    assert _topic_state(topic) == before
    decide = w.topic(step=steps.DECIDE)
    before = _topic_state(decide)
    response = c.post(reverse("console:topic_move", args=[decide.pk]), {"to": steps.DECISION_PUBLIC})
    assert response.status_code == 409 and "Record the decision" in response.content.decode()
    assert _topic_state(decide) == before
    # A residents' proposal leaves collection only with enough support.
    proposal = services.propose(
        node=w.community, title="增设快递柜", body="快递柜", phone=phone(1), household_key="h1", support_needed=3
    )
    before = _topic_state(proposal)
    response = c.post(reverse("console:topic_move", args=[proposal.pk]), {"to": steps.PROPOSE})
    assert response.status_code == 409 and _topic_state(proposal) == before
    page = c.get(reverse("console:topic", args=[proposal.pk])).content.decode()
    assert re.search(r'id="topic-support"><strong>1</strong> / 3', page)
    assert 'id="next-blocked">Not enough households support the topic yet.' in page
    # Decision, then its publication, then the result.
    assert c.post(reverse("console:topic_decision", args=[decide.pk]), {"text": "同意加装"}).status_code == 302
    assert c.post(reverse("console:topic_move", args=[decide.pk]), {"to": steps.DECISION_PUBLIC}).status_code == 302
    response = c.post(reverse("console:topic_result", args=[decide.pk]), {"text": "已完工"})
    assert response.status_code == 302
    decide.refresh_from_db()
    assert (decide.step, decide.decision, decide.result) == (steps.DECISION_PUBLIC, "同意加装", "已完工")


def test_moderation_hidden_comment_shows_only_to_staff(client, w):
    topic = w.topic(step=steps.DELIBERATE)
    bad = services.comment(
        topic=topic, body="广告：<script>alert(1)</script>", phone=phone(2), author_label="3号楼居民"
    )
    c = _as(client, w, "staff")
    url = reverse("console:comment_hide", args=[topic.pk, bad.pk])
    assert c.post(url, {"reason": ""}).status_code == 400
    bad.refresh_from_db()
    assert not bad.hidden
    assert c.post(url, {"reason": "广告"}).status_code == 302
    bad.refresh_from_db()
    assert (bad.hidden, bad.hidden_reason, bad.hidden_by_id) == (True, "广告", w.staff.pk)
    assert bad not in selectors.public_comments(topic)
    page = c.get(reverse("console:topic", args=[topic.pk])).content.decode()
    assert f'class="delib-comment delib-voice-resident delib-hidden" data-comment="{bad.pk}"' in page
    assert "广告" in page and "<script>alert(1)</script>" not in page  # escaped
    assert phone(2) not in page
    # A stakeholder's reply speaks for their organisation.
    response = c.post(
        reverse("console:topic_reply", args=[topic.pk]), {"body": "物业将配合", "organisation": "物业公司"}
    )
    assert response.status_code == 302
    reply = Comment.objects.filter(topic=topic).latest("pk")
    assert (reply.voice, reply.organisation, reply.author_label) == ("stakeholder", "物业公司", "物业公司")
    assert c.post(reverse("console:comment_show", args=[topic.pk, bad.pk])).status_code == 302
    bad.refresh_from_db()
    assert not bad.hidden and bad in selectors.public_comments(topic)


# ----------------------------------------------------------------------------------------------------- votes


def test_vote_counts_never_shown_before_close(client, w):
    topic = w.topic(step=steps.DECIDE)
    vote = w.vote(topic, options=["甲方案ZQX", "乙方案WVY"])
    a, b = vote.options.order_by("sort_order")
    services.cast(vote=vote, phone=phone(1), option=a)
    services.cast(vote=vote, phone=phone(2), option=a)
    services.cast_for(
        vote=vote, actor=w.steward, eligible=Eligible.objects.get(vote=vote, key="h3"), option=b, note="本人口述"
    )
    pages = [
        reverse("console:vote", args=[vote.pk]),
        reverse("console:topic", args=[topic.pk]),
        reverse("console:topics"),
        reverse("console:vote_desk", args=[vote.pk]) + "?q=3单元",
    ]
    for actor in ("staff", "steward"):
        c = _as(client, w, actor)
        for url in pages:
            response = c.get(url)
            if response.status_code in (302, 404):
                continue
            html = response.content.decode()
            assert 'id="vote-result"' not in html, url
            assert not re.search(r"[甲乙]方案(ZQX|WVY)\s*</td>\s*<td[^>]*>\s*\d", html), url
            assert "quorum-met" not in html and "threshold-met" not in html
    html = _as(client, w, "staff").get(pages[0]).content.decode()
    assert re.search(r'id="vote-turnout"><strong>3</strong> / 3', html) and 'id="result-hidden"' in html
    # Everyone voted: staff close early; the counts are shown from now on.
    assert client.post(reverse("console:vote_close", args=[vote.pk])).status_code == 302
    html = client.get(pages[0]).content.decode()
    assert re.search(r'甲方案ZQX</td><td class="num">2</td>', html)
    assert re.search(r'乙方案WVY</td><td class="num">1</td>', html)
    assert 'id="threshold-met"' in html and 'id="quorum-met"' in html
    ballot = Ballot.objects.get(vote=vote, option=b)
    assert (ballot.assisted_by_id, ballot.note) == (w.steward.pk, "本人口述")


def test_vote_desk_casts_for_a_resident_and_refuses_a_second(client, w):
    topic = w.topic(step=steps.DECIDE)
    vote = w.vote(topic)
    target = Eligible.objects.get(vote=vote, key="h2")
    option = vote.options.first()
    c = _as(client, w, "steward")
    page = c.get(reverse("console:vote_desk", args=[vote.pk]), {"q": "3单元201"}).content.decode()
    assert f'data-eligible="{target.pk}"' in page
    url = reverse("console:vote_desk", args=[vote.pk])
    assert c.post(url, {"eligible": target.pk, "option": option.pk, "note": ""}).status_code == 400
    assert not Ballot.objects.filter(vote=vote).exists()
    assert c.post(url, {"eligible": target.pk, "option": option.pk, "note": "老人口述"}).status_code == 302
    assert c.post(url, {"eligible": target.pk, "option": option.pk, "note": "又来"}).status_code == 409
    assert list(Ballot.objects.filter(vote=vote).values_list("eligible", "assisted_by", "note")) == [
        (target.pk, w.steward.pk, "老人口述")
    ]
    other = _as(client, w, "other_staff")
    assert other.post(url, {"eligible": target.pk, "option": option.pk, "note": "x"}).status_code == 404
    assert Ballot.objects.filter(vote=vote).count() == 1


def test_eligibility_from_the_registry(client, w):
    building = BuildingFactory(node=w.micro_grid, jurisdiction=w.community.jurisdiction, name="3号楼")
    elsewhere = BuildingFactory(node=w.other_community, jurisdiction=w.community.jurisdiction, name="9号楼")
    first = care_services.create_household(building=building, code="H1", room="1单元101", actor=w.staff)
    second = care_services.create_household(building=building, code="H2", room="2单元202", actor=w.staff)
    care_services.create_household(building=elsewhere, code="H9", room="1单元101", actor=w.other_staff)
    care_services.add_resident(
        household=first,
        person=care_services.Person(name="王秀英", id_number=id_number(), phone="13700000001", relation="head"),
        actor=w.staff,
    )
    care_services.add_resident(
        household=first,
        person=care_services.Person(name="李强", id_number=id_number(date(1970, 1, 1)), phone="13700000002"),
        actor=w.staff,
    )
    gone = care_services.add_resident(
        household=second,
        person=care_services.Person(name="张三", id_number=id_number(date(1960, 1, 1)), phone="13700000003"),
        actor=w.staff,
    )
    care_services.move_out(resident=gone, on=timeutil.local_today(), actor=w.staff)
    topic = w.topic(step=steps.DECIDE)
    vote = services.create_vote(
        topic=topic,
        actor=w.staff,
        question="是否同意？",
        options=["同意", "不同意"],
        opens_at=timeutil.now() - timedelta(minutes=1),
        closes_at=timeutil.now() + timedelta(days=3),
    )
    assert _as(client, w, "steward").post(reverse("console:vote_registry", args=[vote.pk])).status_code == 403
    assert _as(client, w, "other_staff").post(reverse("console:vote_registry", args=[vote.pk])).status_code == 404
    assert not Eligible.objects.filter(vote=vote).exists()
    c = _as(client, w, "staff")
    assert c.post(reverse("console:vote_registry", args=[vote.pk])).status_code == 302
    rows = {e.key: e for e in Eligible.objects.filter(vote=vote)}
    assert set(rows) == {f"household:{first.pk}", f"household:{second.pk}"}
    assert rows[f"household:{first.pk}"].label == "3号楼 1单元101"
    assert rows[f"household:{second.pk}"].label == "3号楼 2单元202"
    phones = set(
        EligiblePhone.objects.filter(eligible=rows[f"household:{first.pk}"]).values_list("phone_index", flat=True)
    )
    assert phones == {crypto.blind_index("13700000001"), crypto.blind_index("13700000002")}
    assert not EligiblePhone.objects.filter(eligible=rows[f"household:{second.pk}"]).exists()  # moved away
    page = c.get(reverse("console:vote", args=[vote.pk])).content.decode()
    assert "3号楼 1单元101" in page and "13700000001" not in page and "王秀英" not in page


def _xlsx(rows: list[list[object]]) -> io.BytesIO:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    data.name = "voters.xlsx"
    return data


def test_eligibility_from_an_excel_list_all_or_nothing(client, w):
    topic = w.topic(step=steps.DECIDE)
    vote = services.create_vote(
        topic=topic,
        actor=w.staff,
        question="业主表决",
        options=["同意", "不同意"],
        basis="owner_area",
        source="list",
        opens_at=timeutil.now() - timedelta(minutes=1),
        closes_at=timeutil.now() + timedelta(days=3),
    )
    c = _as(client, w, "staff")
    url = reverse("console:vote_list", args=[vote.pk])
    bad = _xlsx(
        [
            ["编号", "房号/标签", "面积", "手机"],
            ["A1", "1单元101", 88.5, "13800000001、13800000002"],
            ["A2", "1单元102", 90, "1380000"],
            ["A3", "1单元103", 75, ""],
        ]
    )
    response = c.post(url, {"file": bad})
    html = response.content.decode()
    assert response.status_code == 400 and 'id="list-problems"' in html
    assert re.search(r"<td>3</td><td>手机</td><td>[^<]*1380000", html)
    assert not Eligible.objects.filter(vote=vote).exists() and not EligiblePhone.objects.filter(vote=vote).exists()
    good = _xlsx(
        [
            ["编号", "房号/标签", "面积", "手机"],
            ["A1", "1单元101", 88.5, "13800000001、13800000002"],
            ["A2", "1单元102", 90, "13800000003"],
            ["A3", "1单元103", 75, None],
        ]
    )
    assert c.post(url, {"file": good}).status_code == 302
    rows = list(Eligible.objects.filter(vote=vote).order_by("label").values_list("key", "label", "weight"))
    assert [(k, lab, str(wt)) for k, lab, wt in rows] == [
        ("list:A1", "1单元101", "88.50"),
        ("list:A2", "1单元102", "90.00"),
        ("list:A3", "1单元103", "75.00"),
    ]
    assert EligiblePhone.objects.filter(vote=vote).count() == 3
    # A household vote refuses a weight.
    household_vote = w.vote(w.topic(step=steps.DECIDE), open_=False)
    before = list(Eligible.objects.filter(vote=household_vote).values_list("key", flat=True))
    response = c.post(
        reverse("console:vote_list", args=[household_vote.pk]),
        {"file": _xlsx([["编号", "房号", "面积"], ["B1", "2单元101", 60]])},
    )
    assert response.status_code == 400
    assert list(Eligible.objects.filter(vote=household_vote).values_list("key", flat=True)) == before


# ----------------------------------------------------------------------------------------------------- meetings


def test_plan_a_meeting_check_in_sheet_and_minutes(client, w, settings):
    settings.GONGZHI_PUBLIC_URL = "https://gongzhi.example.cn"
    topic = w.topic(step=steps.DELIBERATE)
    c = _as(client, w, "staff")
    starts = timeutil.local(timeutil.now() - timedelta(minutes=30))
    response = c.post(
        reverse("console:meeting_new") + f"?topic={topic.pk}",
        {
            "node": w.community.pk,
            "kind": "hearing",
            "title": "加装电梯恳谈会",
            "place": "社区议事厅",
            "starts": starts.strftime("%Y-%m-%dT%H:%M"),
            "ends": (starts + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "capacity": "40",
            "invited": "业委会\n物业公司",
        },
    )
    meeting = Meeting.objects.get(title="加装电梯恳谈会")
    assert response.status_code == 302 and meeting.topic_id == topic.pk and meeting.capacity == 40
    services.register(meeting=meeting, phone="13612345678", name="王秀英")
    page = c.get(reverse("console:meeting", args=[meeting.pk])).content.decode()
    assert "13612345678" not in page and "王秀英" not in page and "136****5678" in page
    assert "业委会" in page and "物业公司" in page
    assert c.post(reverse("console:meeting_check_in", args=[meeting.pk]), {"phone": "13612345678"}).status_code == 302
    assert c.post(reverse("console:meeting_check_in", args=[meeting.pk]), {"name": "李大爷"}).status_code == 302
    assert c.post(reverse("console:meeting_check_in", args=[meeting.pk]), {}).status_code == 400
    assert c.post(reverse("console:meeting_check_in", args=[meeting.pk]), {"phone": "13612345678"}).status_code == 409
    page = c.get(reverse("console:meeting", args=[meeting.pk])).content.decode()
    assert re.search(r'id="attendance"><strong>2</strong>', page)
    sheet = c.get(reverse("console:meeting_sheet", args=[meeting.pk])).content.decode()
    url = f"https://gongzhi.example.cn/r/meetings/checkin/{meeting.check_in_token}/"
    assert url in sheet and 'src="data:image/svg+xml' in sheet
    assert (
        c.post(reverse("console:meeting_minutes", args=[meeting.pk]), {"minutes": "", "decisions": ""}).status_code
        == 400
    )
    response = c.post(
        reverse("console:meeting_minutes", args=[meeting.pk]), {"minutes": "讨论了费用", "decisions": "同意"}
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert (meeting.status, meeting.minutes, meeting.decisions) == ("held", "讨论了费用", "同意")


def test_a_problem_raised_at_a_meeting_is_a_case_followed_there(client, w):
    meeting = w.meeting(kind="face_to_face", title="书记面对面")
    c = _as(client, w, "staff")
    response = c.post(
        reverse("console:meeting_raise", args=[meeting.pk]), {"title": "5号楼下水道堵塞", "description": "多次反映"}
    )
    assert response.status_code == 302
    link = MeetingCase.objects.get(meeting=meeting)
    case = Case.objects.get(pk=link.case_id)
    assert (case.channel, case.title, case.attributes.get("_raised_at")) == (
        "walk_in",
        "5号楼下水道堵塞",
        f"meeting:{meeting.pk}",
    )
    assert link.tracking_code == case.tracking_code and link.by_id == w.staff.pk
    page = c.get(reverse("console:meeting", args=[meeting.pk])).content.decode()
    assert case.tracking_code in page and case.get_status_display() in page
    # Refused: nothing written (no case, no link).
    cases = Case.objects.count()
    assert c.post(reverse("console:meeting_raise", args=[meeting.pk]), {"title": ""}).status_code == 400
    other = _as(client, w, "other_staff")
    assert other.post(reverse("console:meeting_raise", args=[meeting.pk]), {"title": "X"}).status_code == 404
    assert Case.objects.count() == cases and MeetingCase.objects.filter(meeting=meeting).count() == 1


# ----------------------------------------------------------------------------------------------------- notices


def test_notices_publish_and_withdraw(client, w):
    building = BuildingFactory(node=w.micro_grid, jurisdiction=w.community.jurisdiction, name="7号楼")
    c = _as(client, w, "staff")
    expires = timeutil.local(timeutil.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = c.post(
        reverse("console:notices"),
        {
            "node": w.community.pk,
            "kind": "outage",
            "title": "7号楼停水",
            "body": "明天 9:00-12:00 停水",
            "urgent": "on",
            "expires_at": expires,
            "buildings": [building.pk],
        },
    )
    assert response.status_code == 302
    notice = Notice.objects.get(title="7号楼停水")
    assert (notice.status, notice.urgent, notice.kind, list(notice.buildings.all())) == (
        "published",
        True,
        "outage",
        [building],
    )
    page = c.get(reverse("console:notices"), {"state": "live"}).content.decode()
    assert f'data-notice="{notice.pk}" data-state="live"' in page
    # Expiry in the past: refused, nothing written.
    past = timeutil.local(timeutil.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = c.post(
        reverse("console:notices"),
        {"node": w.community.pk, "kind": "notice", "title": "过期", "body": "x", "expires_at": past},
    )
    assert response.status_code == 400 and not Notice.objects.filter(title="过期").exists()
    assert c.post(reverse("console:notice_withdraw", args=[notice.pk])).status_code == 302
    notice.refresh_from_db()
    assert notice.status == "withdrawn"
    assert 'data-state="withdrawn"' in c.get(reverse("console:notices")).content.decode()


def test_an_excel_list_that_is_no_workbook_or_too_long_is_refused(client, w):
    vote = w.vote(w.topic(step=steps.DECIDE), voters=[], open_=False)
    c = _as(client, w, "staff")
    url = reverse("console:vote_list", args=[vote.pk])
    junk = io.BytesIO(b"not a workbook")
    junk.name = "voters.xlsx"
    response = c.post(url, {"file": junk})
    assert response.status_code == 400 and "not an Excel workbook" in response.content.decode()
    rows = [["编号", "房号"]] + [[f"K{i}", f"门{i}"] for i in range(5001)]
    response = c.post(url, {"file": _xlsx(rows)})
    assert response.status_code == 400 and "more than 5000 rows" in response.content.decode()
    response = c.post(url, {"file": _xlsx([["房号"], ["1单元101"]])})
    assert response.status_code == 400 and "编号" in response.content.decode()
    assert not Eligible.objects.filter(vote=vote).exists()


def test_pages_in_chinese(client, w):
    topic = w.topic(step=steps.DECIDE)
    client.force_login(w.staff)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    page = client.get(reverse("console:topic", args=[topic.pk])).content.decode()
    assert "环节（一征三议两公开）" in page and "记录决议" in page and "发起表决" in page
    assert "协商议事" in client.get(reverse("console:topics")).content.decode()
