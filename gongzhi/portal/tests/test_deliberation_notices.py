"""Notices (通知公告) on the resident pages: a building's QR landing page and the community board list the live
notices (urgent ones marked and dated), a notice's page counts its opens once per reader, subscribing to a building's
notices by text message needs the phone login, and the opt-out link asks before it stops them. The two
announcements (两公开) sit on the community board beside the case board."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from gongzhi.core import crypto, timeutil
from gongzhi.deliberation import services, steps
from gongzhi.deliberation.models import NoticeOpen, Subscription
from gongzhi.deliberation.tests.factories import deliberation_world, phone
from gongzhi.grid.models import GridNode
from gongzhi.portal.tests.test_deliberation_pages import as_phone

pytestmark = pytest.mark.django_db


@pytest.fixture
def dw(db):
    return deliberation_world()


def scan(building) -> str:
    return reverse("portal:scan", args=[building.public_token])


def publish(dw, **kw):
    kw.setdefault("actor", dw.staff)
    kw.setdefault("node", dw.micro_grid)
    kw.setdefault("body", "明日 9:00-12:00 停水，请提前储水。")
    kw.setdefault("expires_at", timeutil.now() + timedelta(days=2))
    return services.publish_notice(**kw)


def test_a_notice_for_one_compound_shows_on_exactly_its_buildings(client, dw):
    other_micro = (
        GridNode.objects.filter(path__startswith=dw.community.path, level="micro_grid")
        .exclude(pk=dw.micro_grid.pk)
        .order_by("path")
        .first()
    )
    one, two = dw.compound(dw.micro_grid), dw.compound(other_micro)
    a1, a2 = dw.building(dw.micro_grid, compound=one), dw.building(dw.micro_grid, compound=one)
    b1 = dw.building(other_micro, compound=two)
    water = publish(dw, title="一号小区停水通知", urgent=True)  # to the micro-grid of compound one
    only_a2 = publish(dw, title="二单元电梯检修", buildings=[a2])
    for building, shown in ((a1, ["一号小区停水通知"]), (a2, ["一号小区停水通知", "二单元电梯检修"]), (b1, [])):
        html = client.get(scan(building)).content.decode()
        assert [t for t in ("一号小区停水通知", "二单元电梯检修") if t in html] == shown, building
        assert 'id="building-notices"' in html and 'id="subscribe-link"' in html
    html = client.get(scan(a1)).content.decode()
    assert reverse("portal:notice", args=[water.pk]) in html and 'class="badge urgent"' in html
    assert timeutil.local(water.published_at).strftime("%Y-%m-%d") in html
    assert reverse("portal:notice", args=[only_a2.pk]) not in html


def test_expired_and_withdrawn_notices_leave_the_lists(client, dw):
    building = dw.building()
    past = timeutil.now() - timedelta(days=3)
    old = publish(dw, title="上周的停电通知", at=past, expires_at=past + timedelta(days=1))
    withdrawn = publish(dw, title="撤回的通知")
    services.withdraw_notice(notice=withdrawn, actor=dw.staff)
    community = publish(dw, title="社区全体通知", node=dw.community)
    for page in (scan(building), reverse("portal:board", args=[dw.community.pk])):
        html = client.get(page).content.decode()
        assert "上周的停电通知" not in html and "撤回的通知" not in html
        assert "社区全体通知" in html
    expired = client.get(reverse("portal:notice", args=[old.pk]))
    assert expired.status_code == 200 and 'id="expired"' in expired.content.decode()
    assert client.get(reverse("portal:notice", args=[withdrawn.pk])).status_code == 404
    assert client.get(reverse("portal:notice", args=[999999])).status_code == 404
    assert client.get(reverse("portal:notice", args=[community.pk])).status_code == 200


def test_opens_are_counted_once_per_reader_never_by_address(dw):
    notice = publish(dw, title="燃气安全检查")
    reader = Client()
    for _ in range(3):
        assert reader.get(reverse("portal:notice", args=[notice.pk])).status_code == 200
    notice.refresh_from_db()
    assert notice.opens == 1
    cookie = reader.cookies["gz_r"].value
    assert ":" in cookie  # a signed id
    Client(REMOTE_ADDR="127.0.0.1").get(reverse("portal:notice", args=[notice.pk]))
    notice.refresh_from_db()
    assert notice.opens == 2
    keys = list(NoticeOpen.objects.values_list("reader", flat=True))
    assert all("127.0.0.1" not in key and len(key) == 32 for key in keys)
    # A forged cookie is a new reader, not an error.
    forged = Client()
    forged.cookies["gz_r"] = "made-up"
    assert forged.get(reverse("portal:notice", args=[notice.pk])).status_code == 200


def test_subscribe_with_the_phone_login_and_opt_out(dw):
    building = dw.building()
    url = reverse("portal:notice_subscribe", args=[building.public_token])
    response = Client().get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("portal:login"))
    assert Client().post(url).status_code == 403 and not Subscription.objects.exists()
    her = as_phone(phone(5))
    page = her.get(url).content.decode()
    assert 'id="subscribe-form"' in page and phone(5) not in page and "136****0005" in page
    done = her.post(url)
    assert done.status_code == 200 and 'id="subscribed"' in done.content.decode()
    subscription = Subscription.objects.get()
    assert subscription.active and subscription.phone_index == crypto.blind_index(phone(5))
    assert her.post(url).status_code == 409 and Subscription.objects.count() == 1
    assert her.get(reverse("portal:notice_subscribe", args=["forged"])).status_code == 404
    stop = reverse("portal:notice_stop", args=[subscription.token])
    asked = Client().get(stop)
    assert asked.status_code == 200 and 'id="stop-form"' in asked.content.decode()
    subscription.refresh_from_db()
    assert subscription.active  # GET asks only
    stopped = Client().post(stop)
    assert stopped.status_code == 200 and 'id="stopped"' in stopped.content.decode()
    subscription.refresh_from_db()
    assert not subscription.active and subscription.cancelled_at is not None
    assert Client().get(reverse("portal:notice_stop", args=["forged"])).status_code == 404
    assert Client().post(reverse("portal:notice_stop", args=["x" * 40])).status_code == 404


def test_the_two_announcements_on_the_community_board(client, dw):
    deciding = dw.topic(step=steps.DECIDE, title="正在表决的议题")
    services.record_decision(topic=deciding, actor=dw.staff, text="尚未公开的决议")
    decided = dw.topic(step=steps.DECISION_PUBLIC, title="加装电梯")
    delivered = dw.topic(step=steps.RESULT_PUBLIC, title="楼道照明改造")
    elsewhere = dw.topic(step=steps.COLLECT, title="别处的议题", node=dw.other_community, actor=dw.other_staff)
    for target in steps.STEPS[1:5]:
        if target == steps.DECISION_PUBLIC:
            services.record_decision(topic=elsewhere, actor=dw.other_staff, text="别处的决议")
        elsewhere = services.move(topic=elsewhere, to=target, actor=dw.other_staff)
    html = client.get(reverse("portal:board", args=[dw.community.pk])).content.decode()
    section = html[html.index('id="announcements"') :]
    assert "加装电梯" in section and "楼道照明改造" in section
    assert "同意加装电梯，费用按楼层分摊。" in section and "电梯已于 12 月完工并通过验收。" in section
    assert reverse("portal:topic", args=[decided.pk]) in section
    assert reverse("portal:topic", args=[delivered.pk]) in section
    assert (
        "正在表决的议题" not in html
        and "尚未公开的决议" not in html
        and elsewhere.title not in html
        and "别处的决议" not in html
    )
    other = client.get(reverse("portal:board", args=[dw.other_community.pk])).content.decode()
    assert "别处的决议" in other and "加装电梯" not in other
    assert 'id="figures"' in html and html.index('id="figures"') < html.index('id="announcements"')
