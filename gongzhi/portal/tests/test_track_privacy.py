"""The tracking page by code: whoever holds the code sees the status, the public timeline, who handles it and the
result as the public may see it; only the reporter sees what they wrote, the exact place (with a map) and their
photos. Also: the rating's words, and the category in the reader's language."""

from __future__ import annotations

import re

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse

from gongzhi.cases import services
from gongzhi.cases.models import Case
from gongzhi.core import crypto
from gongzhi.portal import phone_login
from gongzhi.portal.tests.conftest import jpeg

pytestmark = pytest.mark.django_db

TEXT = "3单元502室门口堆满杂物，我叫王五，电话 138.1234.5678"


def stranger(language="en") -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE=language, REMOTE_ADDR="198.51.100.20")


def page(client, case) -> str:
    response = client.get(reverse("portal:track", args=[case.tracking_code]))
    assert response.status_code == 200
    return response.content.decode()


def sent_by(client, w, **extra) -> Case:
    data = {"description": TEXT, "address": "3单元502室", **extra}
    assert client.post(reverse("portal:scan", args=[w.building.public_token]), data).status_code == 302
    return Case.objects.latest("pk")


def resolved(w, case, result="已联系王五（13812345678）清理完毕"):
    report = default_storage.save("cases/reports/mine.jpg", ContentFile(jpeg(size=(8, 8), gps=False)))
    fixed = default_storage.save("cases/results/fixed.jpg", ContentFile(jpeg(size=(8, 8), gps=False)))
    Case.objects.filter(pk=case.pk).update(photos=[report])
    services.triage(case=case, actor=w.dispatcher, category=w.category)
    services.dispatch(case=case, actor=w.dispatcher, node=w.micro, pool=True)
    services.accept(case=case, actor=w.steward)
    return services.resolve(case=case, actor=w.steward, result=result, photos=[fixed])


def test_the_reporter_sees_everything_after_sending(w):
    resident = Client(HTTP_ACCEPT_LANGUAGE="en")
    case = sent_by(resident, w)
    html = page(resident, case)
    assert "Thank you, your report has been sent." in html
    assert TEXT.split("，")[0] in html and "138.1234.5678" in html  # their own words, unmasked
    assert "幸福里小区 3号楼 · 3单元502室" in html  # building and the spot they typed
    resolved(w, case)
    html = page(resident, case)
    assert "已联系王五（13812345678）清理完毕" in html  # the result written for them
    assert reverse("portal:photo", args=[case.tracking_code, 0]) in html  # their photo
    assert resident.get(reverse("portal:photo", args=[case.tracking_code, 0])).status_code == 200


def test_a_stranger_with_the_code_sees_only_what_the_public_may(w):
    case = w.submit(description=TEXT, address="3单元502室", reporter_phone="13812345678", reporter_name="王五")
    resolved(w, case)
    html = page(stranger(), case)
    # What the page shows, without its markup (a timestamp's microseconds held "502" once) and the code itself (which
    # may hold digits such as 1234).
    shown = re.sub(r"<[^>]+>", " ", html).replace(case.tracking_code, "")
    assert "502" not in shown and "3号楼" not in shown and "王五" not in shown and "1234" not in shown
    assert "3单元502室" not in html and "138.1234.5678" not in html and "13812345678" not in html
    assert "幸福里小区" in html  # the compound, not the building
    assert "Resolved — please rate the result" in html  # the status
    assert "张小管" in html  # 三亮: who handles it
    assert "清理完毕" not in html and 'id="result-private"' in html  # the handler's words are not public text
    assert 'id="reporter-only"' in html
    # Neither the reporter's photo nor, before it is published, the result photo (index 1 after the report photo).
    assert reverse("portal:photo", args=[case.tracking_code, 0]) not in html
    assert reverse("portal:photo", args=[case.tracking_code, 1]) not in html
    visitor = stranger()
    assert visitor.get(reverse("portal:photo", args=[case.tracking_code, 0])).status_code == 404
    assert visitor.get(reverse("portal:photo", args=[case.tracking_code, 1])).status_code == 404
    services.publish(case=case, actor=w.dispatcher, summary="楼道已清理")
    html = page(visitor, case)
    assert "楼道已清理" in html and reverse("portal:photo", args=[case.tracking_code, 1]) in html
    assert visitor.get(reverse("portal:photo", args=[case.tracking_code, 1])).status_code == 200
    assert visitor.get(reverse("portal:photo", args=[case.tracking_code, 0])).status_code == 404


def test_once_published_a_stranger_reads_the_public_summary(w):
    case = w.submit(description=TEXT)
    resolved(w, case)
    services.publish(case=case, actor=w.dispatcher, summary="楼道杂物已清理，消防通道畅通。")
    html = page(stranger(), case)
    assert "楼道杂物已清理，消防通道畅通。" in html and "清理完毕" not in html


def test_a_resident_logged_in_by_phone_sees_their_own_request_in_full(w):
    case = w.submit(description=TEXT, reporter_phone="13812345678")
    resident = stranger()
    session = resident.session
    session[phone_login.SESSION_KEY] = {
        "index": case.reporter_phone_index,
        "masked": "138****5678",
        "number": crypto.encrypt("13812345678"),
    }
    session.save()
    assert "138.1234.5678" in page(resident, case)
    other = w.submit(description="别人的诉求 13700001111", reporter_phone="13700001111")
    assert "13700001111" not in page(resident, other)


def test_a_gps_report_shows_where_it_is(w):
    resident = Client(HTTP_ACCEPT_LANGUAGE="en")
    data = {"description": "路灯不亮", "address": "5栋后门", "lat": "30.0012345", "lon": "120.0016789"}
    response = resident.post(reverse("portal:report") + f"?j={w.jurisdiction.code}", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    case = Case.objects.latest("pk")
    html = page(resident, case)
    assert 'id="where-map"' in html and 'data-lat="30.001234' in html and "5栋后门" in html
    assert "leaflet.js" in html
    other = page(stranger(), case)
    assert 'id="where-map"' not in other and "5栋后门" not in other and "30.00123" not in other
    assert case.grid_node is None or w.community.name in other


def test_the_rating_says_solved_as_a_value_not_as_the_question(w):
    resident = Client()  # Chinese
    case = sent_by(resident, w)
    resolved(w, case)
    resident.post(reverse("portal:rate", args=[case.tracking_code]), {"score": "satisfied", "solved": "yes"})
    html = page(resident, case)
    given = html.split('id="rating-given">')[1].split("</p>")[0]
    assert given == "您的评价：满意 · 已解决"
    assert "是否解决" not in given


def test_the_category_is_in_english_on_an_english_page(w):
    w.category.name_en = "Clutter in stairwells"
    w.category.save(update_fields=["name_en"])
    resident = Client(HTTP_ACCEPT_LANGUAGE="en")
    case = sent_by(resident, w, category=w.category.code)
    html = page(resident, case)
    assert "Clutter in stairwells" in html.split('id="category"')[1][:80]
    assert "Clutter in stairwells" in page(stranger(), case)
    assert "楼道堆物" in page(stranger("zh-hans"), case)
