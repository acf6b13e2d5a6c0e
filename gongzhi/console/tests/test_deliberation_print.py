"""Deliberation's printed notices, read back: the two announcements (两公开) of a topic and the A4 poster of a notice.
The PDF's text has the title, the decision with the vote's counts and turnout, or the result with its photo; the
Chinese font is embedded; the page rasterised (pdftoppm) carries a QR code that decodes (zxingcpp) to the resident
page's absolute address. Only once public (409 before), only for staff over the topic's or notice's node (404)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader

from gongzhi.accounts.tests.factories import UserFactory
from gongzhi.core import timeutil
from gongzhi.core.testing import pdf
from gongzhi.deliberation import services, steps
from gongzhi.deliberation.tests.factories import deliberation_world, phone

pytestmark = pytest.mark.django_db
PUBLIC = "https://gz.example.gov.cn"


@pytest.fixture(autouse=True)
def _weasyprint_and_fonts():
    pdf.need_weasyprint_and_cjk_font()


@pytest.fixture
def w(settings, tmp_path):
    settings.GONGZHI_PUBLIC_URL = PUBLIC
    settings.MEDIA_ROOT = str(tmp_path / "media")
    w = deliberation_world()
    topic = w.topic(step=steps.DECIDE, title="3号楼加装电梯")
    vote = w.vote(topic)
    yes, _no = list(vote.options.order_by("sort_order"))
    services.cast(vote=vote, phone=phone(1), option=yes)
    services.cast(vote=vote, phone=phone(2), option=yes)
    services.close_vote(vote=vote, actor=None, at=vote.closes_at + timedelta(seconds=1))
    services.record_decision(topic=topic, actor=w.staff, text="同意加装电梯，费用按楼层分摊。")
    w.decided = services.move(topic=topic, to=steps.DECISION_PUBLIC, actor=w.staff)
    return w


def get(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


def test_the_decision_notice_reads_back_with_the_vote_and_a_qr_code(client, w, tmp_path):
    url = reverse("console:topic_notice_pdf", args=[w.decided.pk])
    response = get(client, w.staff, url, which="decision")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    printed = pdf.text(response.content)
    for expected in ("3号楼加装电梯", "同意加装电梯，费用按楼层分摊。", "决议公开", w.community.name, "表决通过：同意"):
        assert expected in printed, expected
    assert "应参与表决 3 户（人），实际参与 2，参与率 66.7%" in printed.replace("\n", "")
    assert any("Noto-Sans-CJK-SC" in f for f in pdf.fonts(response.content))
    assert pdf.decode_qr(pdf.rasterise(response.content, tmp_path)) == [f"{PUBLIC}/r/topics/{w.decided.pk}/"]


def test_the_result_notice_has_the_result_and_its_photo(client, w, tmp_path):
    photo = io.BytesIO()
    Image.new("RGB", (400, 300), (40, 160, 60)).save(photo, "JPEG")
    name = default_storage.save("deliberation/result.jpg", ContentFile(photo.getvalue()))
    services.record_result(
        topic=w.decided, actor=w.staff, text="电梯已于 12 月完工并通过验收。", photos=[name, "deliberation/gone.jpg"]
    )
    url = reverse("console:topic_notice_pdf", args=[w.decided.pk])
    # The result is written but not public yet: 409, no PDF.
    early = get(client, w.staff, url, which="result")
    assert early.status_code == 409 and early["Content-Type"].startswith("text/html")
    services.move(topic=w.decided, to=steps.RESULT_PUBLIC, actor=w.staff)
    response = get(client, w.staff, url, which="result")
    assert response.status_code == 200
    printed = pdf.text(response.content)
    assert "结果公开" in printed and "电梯已于 12 月完工并通过验收。" in printed and "3号楼加装电梯" in printed
    [page] = PdfReader(io.BytesIO(response.content)).pages
    assert len(page.images) == 1  # the photo stored (the missing one is left out)
    assert pdf.decode_qr(pdf.rasterise(response.content, tmp_path)) == [f"{PUBLIC}/r/topics/{w.decided.pk}/"]
    # The decision notice of the same topic is still printable.
    assert get(client, w.staff, url, which="decision").status_code == 200


def test_only_public_announcements_and_only_known_kinds(client, w):
    deciding = w.topic(step=steps.DECIDE, title="更换门禁")
    services.record_decision(topic=deciding, actor=w.staff, text="更换")
    url = reverse("console:topic_notice_pdf", args=[deciding.pk])
    refused = get(client, w.staff, url, which="decision")
    assert refused.status_code == 409 and "决议尚未公开" in refused.content.decode()
    url = reverse("console:topic_notice_pdf", args=[w.decided.pk])
    assert get(client, w.staff, url, which="result").status_code == 409
    assert get(client, w.staff, url, which="everything").status_code == 400


def test_topic_notices_are_for_staff_over_the_topic(client, w):
    url = reverse("console:topic_notice_pdf", args=[w.decided.pk])
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    for outsider in (w.other_staff, w.steward, UserFactory()):  # another community; a steward below; no post
        assert get(client, outsider, url, which="decision").status_code == 404
    # A steward prints the notice of a topic of their micro-grid (deliberation.desk there).
    local = w.topic(step=steps.DECISION_PUBLIC, node=w.micro_grid, title="楼道照明")
    assert get(client, w.steward, reverse("console:topic_notice_pdf", args=[local.pk])).status_code == 200
    assert client.get(reverse("console:topic_notice_pdf", args=[999999])).status_code == 404


def test_the_notice_poster_is_marked_urgent_and_decodes_to_its_page(client, w, tmp_path):
    buildings = [w.building(), w.building()]
    notice = services.publish_notice(
        actor=w.grid_worker, node=w.micro_grid.parent, title="停水通知",
        body="12 月 9 日 9:00-17:00 停水，请提前储水。",
        kind="outage", urgent=True, expires_at=timeutil.now() + timedelta(days=2), buildings=buildings,
    )  # fmt: skip
    url = reverse("console:notice_poster_pdf", args=[notice.pk])
    response = get(client, w.grid_worker, url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    printed = pdf.text(response.content)
    for expected in ("停水通知", "请提前储水", "紧急通知", str(buildings[0]), str(buildings[1]), w.community.name):
        assert expected in printed, expected
    assert any("Noto-Sans-CJK-SC" in f for f in pdf.fonts(response.content))
    assert pdf.decode_qr(pdf.rasterise(response.content, tmp_path)) == [f"{PUBLIC}/r/notices/{notice.pk}/"]
    # A calm notice is not marked urgent.
    calm = services.publish_notice(
        actor=w.staff, node=w.community, title="医保缴费提醒", body="城乡居民医保开始缴费", kind="policy",
        expires_at=timeutil.now() + timedelta(days=30),
    )  # fmt: skip
    calm_text = pdf.text(get(client, w.staff, reverse("console:notice_poster_pdf", args=[calm.pk])).content)
    assert "医保缴费提醒" in calm_text and "紧急" not in calm_text


def test_notice_posters_are_scoped_and_withdrawn_ones_refused(client, w):
    notice = services.publish_notice(
        actor=w.staff, node=w.community, title="停电通知", body="…", expires_at=timeutil.now() + timedelta(days=1)
    )
    url = reverse("console:notice_poster_pdf", args=[notice.pk])
    for outsider in (w.other_staff, w.steward, UserFactory()):
        assert get(client, outsider, url).status_code == 404
    services.withdraw_notice(notice=notice, actor=w.staff)
    assert get(client, w.staff, url).status_code == 409


# ------------------------------------------------------------------------------------------- the permission matrix

# Who gets each printed notice (200): a community's topic and notice, a micro-grid's topic, a grid's notice. Everyone
# else signed in gets 404 (out of scope is the same as missing); anonymous visitors go to the login page.
MATRIX_ACTORS = ("staff", "steward", "grid_worker", "other_staff", "leader", "anonymous")
ALLOWED = {
    "community_topic": {"staff"},
    "micro_grid_topic": {"staff", "steward", "grid_worker"},
    "community_notice": {"staff"},
    "grid_notice": {"staff", "grid_worker"},
}


@pytest.fixture
def printable(w):
    expires = timeutil.now() + timedelta(days=1)
    return {
        "community_topic": reverse("console:topic_notice_pdf", args=[w.decided.pk]),
        "micro_grid_topic": reverse(
            "console:topic_notice_pdf",
            args=[w.topic(step=steps.DECISION_PUBLIC, node=w.micro_grid, title="楼道照明").pk],
        ),
        "community_notice": reverse(
            "console:notice_poster_pdf",
            args=[
                services.publish_notice(
                    actor=w.staff, node=w.community, title="社区通知", body="…", expires_at=expires
                ).pk
            ],
        ),
        "grid_notice": reverse(
            "console:notice_poster_pdf",
            args=[
                services.publish_notice(
                    actor=w.grid_worker, node=w.micro_grid.parent, title="网格通知", body="…", expires_at=expires
                ).pk
            ],
        ),
    }


@pytest.mark.parametrize("actor", MATRIX_ACTORS)
def test_permission_matrix(client, w, printable, actor):
    if actor != "anonymous":
        client.force_login(getattr(w, actor))
    for name, url in printable.items():
        response = client.get(url)
        if actor == "anonymous":
            assert response.status_code == 302 and "/accounts/login/" in response["Location"], name
        elif actor in ALLOWED[name]:
            assert response.status_code == 200 and response["Content-Type"] == "application/pdf", (actor, name)
        else:
            assert response.status_code == 404, (actor, name, response.status_code)
