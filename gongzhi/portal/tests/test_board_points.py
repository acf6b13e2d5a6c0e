"""The public board (公示) per community and the service-points page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from gongzhi.cases import services
from gongzhi.grid import roles
from gongzhi.grid.models import GridNode
from gongzhi.grid.tests.factories import BuildingFactory, post
from gongzhi.portal.models import ServicePoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def en(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_board_shows_published_results_masked_and_figures(en, w):
    shown = w.to_resolved(reporter_name="张三丰", reporter_phone="13812345678", title="三号楼楼道堆物")
    services.publish(case=shown, actor=w.dispatcher)
    services.rate(case=shown, actor=None, score="satisfied", solved=True, verified_reporter=True)
    w.to_resolved(title="未公示的诉求")  # resolved but not published
    w.submit(title="还在办理的诉求")
    other_micro = GridNode.objects.filter(level=roles.MICRO_GRID, path__startswith=w.other_community.path).first()
    elsewhere = w.submit(building=BuildingFactory(node=other_micro, jurisdiction=w.jurisdiction), title="别的社区")
    services.triage(case=elsewhere, actor=w.other_dispatcher, category=w.category)
    services.dispatch(case=elsewhere, actor=w.other_dispatcher, user=w.other_dispatcher)
    services.accept(case=elsewhere, actor=w.other_dispatcher)
    services.resolve(case=elsewhere, actor=w.other_dispatcher, result="别处已处理")
    services.publish(case=elsewhere, actor=w.other_dispatcher)

    html = en.get(reverse("portal:board", args=[w.community.pk])).content.decode()
    assert "三号楼楼道堆物" in html and "已清理楼道杂物" in html
    assert "张**" in html and "张三丰" not in html and "13812345678" not in html and "138****" not in html
    assert (
        "未公示的诉求" not in html
        and "还在办理的诉求" not in html
        and "别的社区" not in html
        and "别处已处理" not in html
    )
    assert shown.tracking_code not in html
    # Figures of the last 90 days: 3 received here, 2 resolved, 1 rated satisfied.
    figures = html.split('id="figures"')[1].split("</dl>")[0]
    assert "<dd>3</dd>" in figures and "<dd>2</dd>" in figures and "100 %" in figures


def test_board_photos_are_result_photos_of_published_cases_only(en, w, media_root):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from gongzhi.portal.tests.conftest import jpeg

    result = default_storage.save("cases/results/fixed.jpg", ContentFile(jpeg(size=(10, 10), gps=False)))
    report = default_storage.save("cases/reports/x.jpg", ContentFile(jpeg(size=(10, 10), gps=False)))
    case = w.to_accepted(photos=[report])
    services.resolve(case=case, actor=w.steward, result="修好了", photos=[result])
    assert en.get(reverse("portal:board_photo", args=[case.pk, 0])).status_code == 404  # not published yet
    services.publish(case=case, actor=w.dispatcher)
    assert en.get(reverse("portal:board_photo", args=[case.pk, 0])).status_code == 200
    assert en.get(reverse("portal:board_photo", args=[case.pk, 1])).status_code == 404  # the resident's photo: never


def test_board_of_a_non_community_is_404(en, w):
    assert en.get(reverse("portal:board", args=[w.micro.pk])).status_code == 404
    assert en.get(reverse("portal:board", args=[999999])).status_code == 404
    html = en.get(reverse("portal:board_index")).content.decode()
    assert "幸福社区" in html


def test_service_points_with_hours_and_staff_on_duty(en, w):
    steward_post = w.steward.posts.get()
    hidden = post(roles.STEWARD, node=w.micro, is_public=False)
    point = ServicePoint.objects.create(
        node=w.community,
        name="幸福社区便民服务驿站",
        tier=ServicePoint.Tier.TWO,
        address="幸福路 20 号",
        hours="周一至周五 8:30–17:30",
        phone="028-1234-5678",
        services="代办社保\n老年人助餐\n理发",
    )
    point.on_duty.add(steward_post, hidden)
    ServicePoint.objects.create(node=w.other_community, name="别的驿站")
    ServicePoint.objects.create(node=w.community, name="已关闭的驿站", active=False)
    street_point = ServicePoint.objects.create(node=w.street, name="街道党群服务中心", tier=1)

    html = en.get(reverse("portal:points", args=[w.community.pk])).content.decode()
    assert "幸福社区便民服务驿站" in html and "周一至周五 8:30–17:30" in html and "幸福路 20 号" in html
    assert "代办社保" in html and "老年人助餐" in html and 'href="tel:028-1234-5678"' in html
    assert "张小管" in html and 'href="tel:13900001111"' in html
    assert str(hidden.user) not in html
    assert street_point.name in html  # the street's centre serves this community too
    assert "别的驿站" not in html and "已关闭的驿站" not in html
    assert en.get(reverse("portal:points", args=[999999])).status_code == 404
