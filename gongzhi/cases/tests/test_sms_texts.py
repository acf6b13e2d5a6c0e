"""What a reporter's text messages say: the tracking page's full address when the site has a public one, else the
tracking code; one SMS part each (70 characters in Chinese, signature included)."""

from __future__ import annotations

import pytest

from gongzhi.cases import services
from gongzhi.cases.tests.factories import world
from gongzhi.notifications import messages
from gongzhi.notifications.models import SmsMessage

pytestmark = pytest.mark.django_db

PHONE = "13800138000"
PUBLIC = "https://gongzhi.chengguan.gov.cn"  # a longish public address


def _texts() -> dict[str, str]:
    return dict(SmsMessage.objects.order_by("pk").values_list("kind", "body"))


def test_with_a_public_address_the_texts_carry_the_tracking_link(settings):
    settings.GONGZHI_PUBLIC_URL = PUBLIC
    w = world()
    case = w.to_accepted(reporter_phone=PHONE)
    services.resolve(case=case, actor=w.steward, result="已清理")
    link = f"{PUBLIC}/r/t/{case.tracking_code}/"
    texts = _texts()
    assert list(texts) == ["case.received", "case.accepted", "case.resolved"]
    assert texts["case.received"] == f"【共治】您的诉求已收到，办理进度请看：{link}"
    assert texts["case.resolved"] == f"【共治】您的诉求已办结，请评价办理结果：{link}"
    assert all(link in body for body in texts.values())


def test_without_a_public_address_the_texts_name_the_tracking_code_and_no_link(settings):
    settings.GONGZHI_PUBLIC_URL = ""
    w = world()
    case = w.to_accepted(reporter_phone=PHONE)
    texts = _texts()
    assert texts["case.received"] == f"【共治】您的诉求已收到，查询码 {case.tracking_code}。"
    assert all("/r/t/" not in body and case.tracking_code in body for body in texts.values())


@pytest.mark.parametrize("kind", ["case.received", "case.accepted", "case.resolved", "case.rejected", "case.merged"])
def test_each_text_to_a_reporter_fits_one_sms_part_in_chinese(kind):
    code = "2612D744VA"
    context = {"code": code, "title": "楼道灯不亮", "category": "路灯", "due": "2026-12-08 18:00", "level": "社区"}
    for link in ("", f"{PUBLIC}/r/t/{code}/"):
        body = "【共治】" + messages.render_sms(kind, {**context, "link": link}, language="zh-hans", strict=True)
        assert len(body) <= 70, f"{kind}: {len(body)} characters: {body}"
