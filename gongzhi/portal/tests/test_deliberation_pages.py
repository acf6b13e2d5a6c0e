"""Resident pages of deliberation (issue 30): topics near me, a topic's page (steps, support, comments, meetings,
votes, the decision and result once public), proposing, meetings with sign-up and QR check-in. Anonymous visitors
see the public parts; a phone session supports, comments, registers, checks in and votes; every refusal is a 4xx
page with its message and writes nothing; hidden comments, results before close and phone numbers are in no page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse

from gongzhi.care import services as care_services
from gongzhi.care.tests.factories import id_number
from gongzhi.cases import services as case_services
from gongzhi.core import crypto, timeutil
from gongzhi.deliberation import services, steps
from gongzhi.deliberation.models import Ballot, Comment, Registration, Support, Topic
from gongzhi.deliberation.tests.factories import deliberation_world, phone
from gongzhi.portal import deliberation_views, phone_login

pytestmark = pytest.mark.django_db


def log_in(client: Client, number: str) -> Client:
    session = client.session
    session[phone_login.SESSION_KEY] = {
        "index": crypto.blind_index(number),
        "masked": f"{number[:3]}****{number[-4:]}",
        "number": crypto.encrypt(number),
    }
    session.save()
    return client


def as_phone(number: str) -> Client:
    return log_in(Client(), number)


@pytest.fixture
def dw(db):
    w = deliberation_world()
    w.home = w.building()
    w.home.name = "3号楼"
    w.home.save(update_fields=["name"])
    return w


def topic_url(topic) -> str:
    return reverse("portal:topic", args=[topic.pk])


def proposal(dw, *, needed: int = 3, number: str | None = None):
    return services.propose(
        node=dw.community, title="楼道加装扶手", body="老人上下楼不方便，建议加装扶手。",
        phone=number or phone(1), household_key="phone:x1", support_needed=needed,
    )  # fmt: skip


# ----------------------------------------------------------------------------------------------- topics near me


def test_topics_near_me_by_the_building_and_by_a_community(client, dw):
    mine = dw.topic(title="加装电梯")
    other = dw.topic(title="别的社区的议题", node=dw.other_community, actor=dw.other_staff)
    response = client.get(reverse("portal:topics") + f"?b={dw.home.public_token}")
    html = response.content.decode()
    assert response.status_code == 200 and "加装电梯" in html and "别的社区的议题" not in html
    assert reverse("portal:topic", args=[mine.pk]) in html
    # The building is remembered: "topics near me" without a parameter is the same list.
    again = client.get(reverse("portal:topics"))
    assert [c.topic for c in again.context["open_cards"]] == [mine]
    chosen = client.get(reverse("portal:topics") + f"?node={dw.other_community.pk}")
    assert [c.topic for c in chosen.context["open_cards"]] == [other]
    assert client.get(reverse("portal:topics") + "?choose=1").context["nodes"]
    assert Client().get(reverse("portal:topics")).status_code == 200  # nobody known: choose a community
    assert client.get(reverse("portal:topics") + "?b=forged").status_code == 404
    assert client.get(reverse("portal:topics") + "?node=99999999").status_code == 404
    assert client.get(reverse("portal:topics") + "?node=abc").status_code == 404


def test_a_topic_page_for_anyone_shows_the_steps_and_no_forms(client, dw):
    topic = dw.topic(step=steps.DELIBERATE, step_until=None)
    response = client.get(topic_url(topic))
    html = response.content.decode()
    assert response.status_code == 200
    timeline = response.context["timeline"]
    assert [r.state for r in timeline] == ["done", "done", "active", "todo", "todo", "todo"]
    assert timeline[2].since is not None and timeline[4].since is None
    assert 'aria-current="step"' in html and "商议" in html
    assert 'id="comment-form"' not in html and 'id="comment-login"' in html
    assert client.get(reverse("portal:topic", args=[999999])).status_code == 404


def test_the_decision_and_the_result_only_once_public_with_photos(client, dw):
    topic = dw.topic(step=steps.DECIDE)
    services.record_decision(topic=topic, actor=dw.staff, text="同意加装，费用按楼层分摊")
    assert "同意加装，费用按楼层分摊" not in client.get(topic_url(topic)).content.decode()
    services.move(topic=topic, to=steps.DECISION_PUBLIC, actor=dw.staff)
    name = default_storage.save("deliberation/results/r1.jpg", ContentFile(b"\xff\xd8jpeg"))
    services.record_result(topic=topic, actor=dw.staff, text="电梯已完工", photos=[name])
    html = client.get(topic_url(topic)).content.decode()
    assert "同意加装，费用按楼层分摊" in html and "电梯已完工" not in html
    photo = reverse("portal:topic_photo", args=[topic.pk, 0])
    assert client.get(photo).status_code == 404  # the result is not public yet
    services.move(topic=topic, to=steps.RESULT_PUBLIC, actor=dw.staff)
    html = client.get(topic_url(topic)).content.decode()
    assert "电梯已完工" in html and photo in html
    assert client.get(photo).status_code == 200
    assert client.get(reverse("portal:topic_photo", args=[topic.pk, 1])).status_code == 404


# ------------------------------------------------------------------------------------------------------- support


def test_support_once_per_household_with_the_registry_household(dw):
    topic = proposal(dw)
    household = care_services.create_household(building=dw.home, code="H1", room="1单元101", actor=dw.staff)
    for number, name, relation in ((phone(2), "王秀英", "head"), (phone(3), "李明", "spouse")):
        care_services.add_resident(
            household=household,
            person=care_services.Person(name=name, id_number=id_number(), phone=number, relation=relation),
            actor=dw.staff,
        )
    anonymous = Client().post(reverse("portal:topic_support", args=[topic.pk]))
    assert anonymous.status_code == 403 and 'id="login-link"' in anonymous.content.decode()
    wife = as_phone(phone(2))
    assert 'id="support-form"' in wife.get(topic_url(topic)).content.decode()
    response = wife.post(reverse("portal:topic_support", args=[topic.pk]))
    assert response.status_code == 303
    assert Support.objects.get(topic=topic, phone_index=crypto.blind_index(phone(2))).household_key == (
        f"household:{household.pk}"
    )
    assert Topic.objects.get(pk=topic.pk).support_count == 2
    assert 'id="supported"' in wife.get(topic_url(topic)).content.decode()
    twice = wife.post(reverse("portal:topic_support", args=[topic.pk]))
    husband = as_phone(phone(3)).post(reverse("portal:topic_support", args=[topic.pk]))  # same household
    assert twice.status_code == husband.status_code == 409
    assert "您家已附议此议题。" in husband.content.decode()
    assert Support.objects.filter(topic=topic).count() == 2 and Topic.objects.get(pk=topic.pk).support_count == 2
    # Not known to the registry: the number is the household.
    assert as_phone(phone(4)).post(reverse("portal:topic_support", args=[topic.pk])).status_code == 303
    assert Support.objects.get(topic=topic, phone_index=crypto.blind_index(phone(4))).household_key == (
        "phone:" + crypto.blind_index(phone(4))
    )
    assert as_phone(phone(5)).post(reverse("portal:topic_support", args=[999999])).status_code == 404
    staff_topic = dw.topic()  # staff's topics collect no support
    assert as_phone(phone(5)).post(reverse("portal:topic_support", args=[staff_topic.pk])).status_code == 409
    assert Support.objects.count() == 3


# ------------------------------------------------------------------------------------------------------ comments


def test_comments_escaped_labelled_by_building_hidden_never_shown(dw, settings):
    topic = dw.topic()
    resident = as_phone(phone(6))
    resident.get(reverse("portal:topics") + f"?b={dw.home.public_token}")  # came by the building's QR code
    script = "<script>alert('x')</script>楼道太暗"
    response = resident.post(reverse("portal:topic_comment", args=[topic.pk]), {"body": script})
    assert response.status_code == 303
    saved = Comment.objects.get(topic=topic)
    assert saved.author_label == "3号楼居民" and saved.body == script
    html = Client().get(topic_url(topic)).content.decode()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;楼道太暗" in html and "<script>alert" not in html
    assert "3号楼居民" in html
    other = services.comment(topic=topic, body="这条含有辱骂内容", phone=phone(7), author_label="居民")
    services.hide_comment(comment=other, actor=dw.staff, reason="辱骂")
    for page in (topic_url(topic), reverse("portal:topics") + f"?node={dw.community.pk}"):
        for client in (Client(), resident):
            assert "辱骂" not in client.get(page).content.decode()
    # Refusals: nobody logged in, an empty comment, too many.
    assert Client().post(reverse("portal:topic_comment", args=[topic.pk]), {"body": "hi"}).status_code == 403
    assert resident.post(reverse("portal:topic_comment", args=[topic.pk]), {"body": " "}).status_code == 400
    settings.GONGZHI_REPORT_RATE_LIMIT = (3, 3600)
    assert resident.post(reverse("portal:topic_comment", args=[topic.pk]), {"body": "第二条"}).status_code == 303
    too_many = resident.post(reverse("portal:topic_comment", args=[topic.pk]), {"body": "第三条"})
    assert too_many.status_code == 429 and too_many["Retry-After"]
    assert Comment.objects.filter(topic=topic).count() == 3  # the script one, the hidden one, the second


# ----------------------------------------------------------------------------------------------------- proposing


def test_propose_with_the_phone_login_needs_the_configured_support(dw, settings):
    settings.GONGZHI_TOPIC_SUPPORT_HOUSEHOLDS = 4
    url = reverse("portal:topic_new")
    response = Client().get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("portal:login"))
    resident = as_phone(phone(8))
    resident.get(reverse("portal:topics") + f"?b={dw.home.public_token}")
    form = resident.get(url).context["form"]
    assert next(pk for pk, _ in form.fields["node"].choices) == dw.home.node_id
    bad = resident.post(url, {"title": "x", "body": "y", "node": dw.district.pk})  # not a place offered
    assert bad.status_code == 400 and Topic.objects.count() == 0
    done = resident.post(url, {"title": "小区停车难", "body": "晚上车位不够，建议商议划线。", "node": dw.home.node_id})
    assert done.status_code == 303
    topic = Topic.objects.get()
    assert (topic.node_id, topic.support_needed, topic.support_count, topic.origin) == (
        dw.home.node_id, 4, 1, "residents",
    )  # fmt: skip
    page = resident.get(done["Location"]).content.decode()
    assert "已有 1 户附议（需 4 户）" in page
    assert Client().post(url, {"title": "a", "body": "b", "node": dw.community.pk}).status_code == 403
    settings.GONGZHI_REPORT_RATE_LIMIT = (3, 3600)  # two attempts counted so far
    assert resident.post(url, {"title": "", "body": "", "node": dw.community.pk}).status_code == 400
    assert resident.post(url, {"title": "第三个", "body": "内容", "node": dw.community.pk}).status_code == 429
    assert Topic.objects.count() == 1


# ------------------------------------------------------------------------------------------------------ meetings


def test_meeting_page_registration_and_places_left(dw):
    topic = dw.topic(step=steps.DELIBERATE)
    meeting = dw.meeting(topic, capacity=1, agenda="1. 方案介绍\n2. 居民提问", invited="业委会\n物业公司")
    url = reverse("portal:meeting", args=[meeting.pk])
    anonymous = Client().get(url)
    html = anonymous.content.decode()
    assert anonymous.context["left"] == 1 and "社区议事厅" in html and "方案介绍" in html and "物业公司" in html
    assert 'id="register-login"' in html
    assert reverse("portal:meeting", args=[meeting.pk]) in Client().get(topic_url(topic)).content.decode()
    register = reverse("portal:meeting_register", args=[meeting.pk])
    assert Client().post(register).status_code == 403
    her = as_phone(phone(1))
    assert her.post(register, {"name": "王秀英"}).status_code == 303
    assert her.post(register).status_code == 409
    full = as_phone(phone(2)).post(register)
    assert full.status_code == 409
    assert Registration.objects.filter(meeting=meeting).count() == 1
    page = her.get(url)
    assert page.context["left"] == 0 and 'id="registered"' in page.content.decode()
    assert "王秀英" not in page.content.decode()
    assert Client().get(reverse("portal:meeting", args=[999999])).status_code == 404


def test_cases_raised_at_a_meeting_show_their_status_never_the_tracking_code(dw):
    meeting = dw.meeting(kind="face_to_face", title="书记面对面")
    case = case_services.submit(
        jurisdiction=dw.community.jurisdiction, channel="visit", title="5号楼路灯不亮", building=dw.home,
        reporter_phone=phone(31),
    )  # fmt: skip
    services.link_case(
        meeting=meeting, case_id=case.pk, tracking_code=case.tracking_code, title="5号楼路灯不亮", actor=dw.staff
    )
    html = Client().get(reverse("portal:meeting", args=[meeting.pk])).content.decode()
    assert "5号楼路灯不亮" in html and case.tracking_code not in html and phone(31) not in html
    assert 'id="raised-cases"' in html


def test_check_in_by_the_meetings_qr_code(dw):
    soon = dw.meeting(starts=timeutil.now() + timedelta(minutes=20))
    later = dw.meeting(starts=timeutil.now() + timedelta(days=2))
    url = reverse("portal:meeting_checkin", args=[soon.check_in_token])
    response = Client().get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("portal:login"))
    assert Client().post(url).status_code == 403
    her = as_phone(phone(1))
    assert 'id="checkin-form"' in her.get(url).content.decode()
    done = her.post(url)
    assert done.status_code == 200 and 'id="checked-in"' in done.content.decode()
    assert Registration.objects.get(meeting=soon).attended
    again = her.post(url)
    assert again.status_code == 409 and 'id="problem"' in again.content.decode()
    assert 'id="already"' in her.get(url).content.decode()
    early = her.post(reverse("portal:meeting_checkin", args=[later.check_in_token]))
    assert early.status_code == 409 and not Registration.objects.filter(meeting=later).exists()
    assert her.get(reverse("portal:meeting_checkin", args=["forged-token"])).status_code == 404
    assert her.post(reverse("portal:meeting_checkin", args=["x" * 40])).status_code == 404


# --------------------------------------------------------------------------------------------------------- votes


@pytest.fixture
def voting(dw):
    topic = dw.topic(step=steps.DECIDE)
    voters = [
        services.Voter(key="h1", label="3单元101", phones=(phone(1), phone(11))),  # two members of one household
        services.Voter(key="h2", label="3单元201", phones=(phone(2),)),
        services.Voter(key="h3", label="3单元301", phones=(phone(3),)),
    ]
    vote = dw.vote(topic, voters=voters, options=["赞成", "反对"], question="是否加装电梯？")
    return topic, vote


def option_of(vote, label: str) -> int:
    return vote.options.get(label=label).pk


def test_a_household_votes_once_with_a_confirm_step_and_no_result_before_close(dw, voting):
    topic, vote = voting
    url = reverse("portal:topic_vote", args=[topic.pk, vote.pk])
    anonymous = Client().get(topic_url(topic))
    assert anonymous.context["votes"][0].state == "login" and "赞成" not in anonymous.content.decode()
    assert Client().post(url, {"option": option_of(vote, "赞成"), "action": "confirm"}).status_code == 403
    him = as_phone(phone(1))
    page = him.get(topic_url(topic)).content.decode()
    assert f'id="vote-{vote.pk}-form"' in page and "赞成" in page
    review = him.post(url, {"option": option_of(vote, "赞成"), "action": "review"})
    assert review.status_code == 200 and 'id="confirm-form"' in review.content.decode()
    assert Ballot.objects.count() == 0  # reviewing writes nothing
    cast = him.post(url, {"option": option_of(vote, "赞成"), "action": "confirm"})
    assert cast.status_code == 303 and Ballot.objects.filter(vote=vote).count() == 1
    after = him.get(topic_url(topic)).content.decode()
    assert f'id="vote-{vote.pk}-voted"' in after and "赞成" not in after and "反对" not in after
    # Twice, the other member of the household, somebody not on the list: refused, nothing written.
    assert him.post(url, {"option": option_of(vote, "反对"), "action": "confirm"}).status_code == 409
    her = as_phone(phone(11))
    assert f'id="vote-{vote.pk}-voted"' in her.get(topic_url(topic)).content.decode()
    assert her.post(url, {"option": option_of(vote, "反对"), "action": "confirm"}).status_code == 409
    stranger = as_phone(phone(9))
    assert f'id="vote-{vote.pk}-not-listed"' in stranger.get(topic_url(topic)).content.decode()
    refused = stranger.post(url, {"option": option_of(vote, "反对"), "action": "confirm"})
    assert refused.status_code == 403 and 'id="refusal"' in refused.content.decode()
    # A forged option, a forged vote, a vote of another topic.
    two = as_phone(phone(2))
    assert two.post(url, {"option": 999999, "action": "confirm"}).status_code == 400
    assert two.post(reverse("portal:topic_vote", args=[topic.pk, 999999]), {"action": "confirm"}).status_code == 404
    another = dw.topic(step=steps.DECIDE, title="另一个议题")
    assert two.post(reverse("portal:topic_vote", args=[another.pk, vote.pk]), {"action": "confirm"}).status_code == 404
    assert Ballot.objects.filter(vote=vote).count() == 1
    assert 'class="delib-result"' not in two.get(topic_url(topic)).content.decode()


def test_results_with_turnout_once_closed_and_no_vote_after(dw, voting):
    topic, vote = voting
    url = reverse("portal:topic_vote", args=[topic.pk, vote.pk])
    as_phone(phone(1)).post(url, {"option": option_of(vote, "赞成"), "action": "confirm"})
    as_phone(phone(2)).post(url, {"option": option_of(vote, "反对"), "action": "confirm"})
    before = Client().get(topic_url(topic)).content.decode()
    assert f'id="vote-{vote.pk}-result"' not in before and "Turnout" not in before and "参与率" not in before
    services.close_vote(vote=vote, at=vote.closes_at)
    response = Client().get(topic_url(topic))
    shown = response.context["votes"][0]
    assert shown.state == "closed" and shown.turnout == "66.7"
    assert [(r["label"], r["count"]) for r in shown.rows] == [("赞成", 1), ("反对", 1)]
    assert f'id="vote-{vote.pk}-result"' in response.content.decode()
    late = as_phone(phone(3)).post(url, {"option": option_of(vote, "赞成"), "action": "confirm"})
    assert late.status_code == 409 and Ballot.objects.filter(vote=vote).count() == 2


def test_a_draft_vote_is_nowhere(dw):
    topic = dw.topic(step=steps.DECIDE)
    draft = dw.vote(topic, open_=False, question="草稿表决")
    assert "草稿表决" not in Client().get(topic_url(topic)).content.decode()
    url = reverse("portal:topic_vote", args=[topic.pk, draft.pk])
    assert as_phone(phone(1)).post(url, {"action": "confirm"}).status_code == 404


# ------------------------------------------------------------------------------------------------------- privacy


def test_no_phone_number_in_any_page(dw, voting):
    topic, _vote = voting
    planted = [phone(n) for n in (1, 2, 11, 21, 22, 23, 24, 25)]
    residents = proposal(dw, number=phone(21))
    Topic.objects.filter(pk=residents.pk).update(body=f"有事请打 {phone(24)}")  # the form asks not to; masked
    services.comment(topic=topic, body=f"同意，联系我 {phone(25)}", phone=phone(22), author_label="居民")
    meeting = dw.meeting(topic)
    services.register(meeting=meeting, phone=phone(23), name="张三")
    services.subscribe(building=dw.home, phone=phone(23))
    services.publish_notice(
        actor=dw.grid_worker, node=dw.micro_grid, title="停水", body="明日停水",
        expires_at=timeutil.now() + timedelta(days=1),
    )  # fmt: skip
    pages = [
        reverse("portal:topics") + f"?node={dw.community.pk}",
        topic_url(topic),
        topic_url(residents),
        reverse("portal:meeting", args=[meeting.pk]),
        reverse("portal:scan", args=[dw.home.public_token]),
        reverse("portal:board", args=[dw.community.pk]),
    ]
    scan = reverse("portal:scan", args=[dw.home.public_token])
    for own, client in (("", Client()), (phone(23), as_phone(phone(23))), (phone(1), as_phone(phone(1)))):
        for page in pages:
            html = client.get(page).content.decode()
            # (The report form on the building's page fills in the resident's own number: theirs, in an input.)
            shown = [p for p in planted if p in html and not (page == scan and p == own)]
            assert shown == [], page
            assert "张三" not in html
    assert "136****0024" in Client().get(topic_url(residents)).content.decode()
    assert "136****0025" in Client().get(topic_url(topic)).content.decode()


def test_english_pages(dw):
    topic = dw.topic()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.cookies["django_language"] = "en"
    html = client.get(topic_url(topic)).content.decode()
    assert "Where it stands" in html and "Comments" in html
    zh = Client().get(topic_url(topic)).content.decode()
    assert "目前进展" in zh and "评论" in zh


def test_large_text_mode_on_the_topic_page(dw):
    topic = dw.topic()
    client = Client()
    client.cookies["gz_large"] = "1"
    assert 'class="portal large"' in client.get(topic_url(topic)).content.decode()


def test_household_key_prefers_the_registry(dw):
    household = care_services.create_household(building=dw.home, code="H9", contact_phone=phone(40), actor=dw.staff)
    assert deliberation_views._household_key(phone(40), dw.home.jurisdiction_id) == f"household:{household.pk}"
    assert deliberation_views._household_key(phone(41), dw.home.jurisdiction_id).startswith("phone:")


# ------------------------------------------------------------------------------------------- who may do what


def test_matrix_of_the_resident_pages_without_and_with_the_phone_login(dw, voting):
    """Every page: public parts for anyone (200), the login first for what a resident does (GET: to the login page;
    POST: 403 with the login link, nothing written)."""
    from gongzhi.deliberation.models import Ballot as B
    from gongzhi.deliberation.models import Subscription

    topic, vote = voting
    meeting = dw.meeting(topic, starts=timeutil.now() + timedelta(minutes=10))
    notice = services.publish_notice(
        actor=dw.staff, node=dw.micro_grid, title="通知", body="内容", expires_at=timeutil.now() + timedelta(days=1)
    )
    sub = services.subscribe(building=dw.home, phone=phone(50))
    public = [
        reverse("portal:topics") + f"?node={dw.community.pk}",
        topic_url(topic),
        reverse("portal:meeting", args=[meeting.pk]),
        reverse("portal:notice", args=[notice.pk]),
        reverse("portal:notice_stop", args=[sub.token]),
    ]
    login_first = [
        reverse("portal:topic_new"),
        reverse("portal:meeting_checkin", args=[meeting.check_in_token]),
        reverse("portal:notice_subscribe", args=[dw.home.public_token]),
    ]
    posts = [
        reverse("portal:topic_new"),
        reverse("portal:topic_support", args=[topic.pk]),
        reverse("portal:topic_comment", args=[topic.pk]),
        reverse("portal:topic_vote", args=[topic.pk, vote.pk]),
        reverse("portal:meeting_register", args=[meeting.pk]),
        reverse("portal:meeting_checkin", args=[meeting.check_in_token]),
        reverse("portal:notice_subscribe", args=[dw.home.public_token]),
    ]
    counts = lambda: (  # noqa: E731
        Topic.objects.count(), Support.objects.count(), Comment.objects.count(), B.objects.count(),
        Registration.objects.count(), Subscription.objects.count(),
    )  # fmt: skip
    before = counts()
    anonymous = Client()
    for url in public:
        assert anonymous.get(url).status_code == 200, url
    for url in login_first:
        response = anonymous.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("portal:login")), url
    for url in posts:
        response = anonymous.post(url, {"body": "x", "title": "x", "option": 1, "action": "confirm"})
        assert response.status_code == 403 and 'id="login-link"' in response.content.decode(), url
    assert counts() == before
    resident = as_phone(phone(1))
    for url in public + login_first:
        assert resident.get(url).status_code == 200, url
