"""The public board (公示) per community and the service-points page."""

from __future__ import annotations

from datetime import time

import pytest
from django.urls import reverse

from gongzhi.cases import services
from gongzhi.grid import roles
from gongzhi.grid.models import GridNode
from gongzhi.grid.tests.factories import BuildingFactory, post
from gongzhi.stations.tests.factories import all_day, station

pytestmark = pytest.mark.django_db


@pytest.fixture
def en(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def publish(w, case, summary=None):
    return services.publish(case=case, actor=w.dispatcher, summary=summary)


def test_board_shows_the_public_summary_never_the_residents_or_handlers_text(en, w):
    shown = w.to_resolved(
        reporter_name="张三丰", reporter_phone="13812345678", title="三号楼楼道堆物 张三丰 13812345678"
    )
    publish(w, shown, "楼道堆物已清理，联系人李四 137 0000 1111")
    services.rate(case=shown, actor=None, score="satisfied", solved=True, verified_reporter=True)
    w.to_resolved(title="未公示的诉求")  # resolved but not published
    w.submit(title="还在办理的诉求")
    other_micro = GridNode.objects.filter(level=roles.MICRO_GRID, path__startswith=w.other_community.path).first()
    elsewhere = w.submit(building=BuildingFactory(node=other_micro, jurisdiction=w.jurisdiction), title="别的社区")
    services.triage(case=elsewhere, actor=w.other_dispatcher, category=w.category)
    services.dispatch(case=elsewhere, actor=w.other_dispatcher, user=w.other_dispatcher)
    services.accept(case=elsewhere, actor=w.other_dispatcher)
    services.resolve(case=elsewhere, actor=w.other_dispatcher, result="别处已处理")
    services.publish(case=elsewhere, actor=w.other_dispatcher, summary="别处已处理")

    html = en.get(reverse("portal:board", args=[w.community.pk])).content.decode()
    assert "楼道堆物已清理，联系人李* 137****1111" in html  # the summary, masked once more
    assert "三号楼楼道堆物" not in html and "已清理楼道杂物" not in html  # neither the title nor the result
    assert "张三丰" not in html and "张**" not in html and "13812345678" not in html and "138****" not in html
    assert "李四" not in html and "137 0000 1111" not in html
    assert "楼道堆物" in html and "幸福里小区 3号楼" in html  # category and place
    assert "未公示的诉求" not in html and "还在办理的诉求" not in html and "别处已处理" not in html
    assert shown.tracking_code not in html
    assert reverse("portal:published", args=[shown.public_id]) in html
    # Figures of the last 90 days: 3 received here, 2 resolved, 1 rated satisfied.
    figures = html.split('id="figures"')[1].split("</dl>")[0]
    assert "<dd>3</dd>" in figures and "<dd>2</dd>" in figures and "100 %" in figures


def test_the_board_is_paged_newest_first_with_the_figures_on_every_page(en, w):
    cases = []
    for i in range(23):
        case = w.to_resolved()
        publish(w, case, f"第{i:02d}件已办结")
        cases.append(case)
    first = en.get(reverse("portal:board", args=[w.community.pk])).content.decode()
    assert first.count('class="card board-card"') == 10
    assert "第22件" in first and "第13件" in first and "第12件" not in first
    cursor = first.split('id="next-page"')[0].rsplit('href="', 1)[1].split('"')[0]
    second = en.get(cursor.replace("&amp;", "&")).content.decode()
    assert second.count('class="card board-card"') == 10 and "第12件" in second and "第03件" in second
    assert 'id="figures"' in second and 'id="first-page"' in second
    third = en.get(second.split('id="next-page"')[0].rsplit('href="', 1)[1].split('"')[0]).content.decode()
    assert third.count('class="card board-card"') == 3 and 'id="next-page"' not in third


@pytest.mark.parametrize("cursor", ["x", "1.", ".5", "99999999999999999999.1", "1700000000000000.-1", "1.2.3"])
def test_a_board_cursor_nobody_made_is_a_400(en, w, cursor):
    response = en.get(reverse("portal:board", args=[w.community.pk]), {"after": cursor})
    assert response.status_code == 400
    assert "not valid" in response.content.decode()


def test_board_photos_are_result_photos_of_published_cases_by_public_id(en, w, media_root):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from gongzhi.portal.tests.conftest import jpeg

    result = default_storage.save("cases/results/fixed.jpg", ContentFile(jpeg(size=(10, 10), gps=False)))
    report = default_storage.save("cases/reports/x.jpg", ContentFile(jpeg(size=(10, 10), gps=False)))
    case = w.to_accepted(photos=[report])
    services.resolve(case=case, actor=w.steward, result="修好了", photos=[result])
    photo = reverse("portal:board_photo", args=[case.public_id, 0])
    assert en.get(photo).status_code == 404  # not published yet
    publish(w, case, "修好了")
    assert en.get(photo).status_code == 200
    assert en.get(reverse("portal:board_photo", args=[case.public_id, 1])).status_code == 404  # the resident's photo
    assert en.get(f"/r/board/photo/{case.pk}/0.jpg").status_code == 404  # row ids open nothing
    assert en.get(f"/r/board/photo/{case.tracking_code}/0.jpg").status_code == 404  # nor do tracking codes


def test_a_published_case_has_a_page_by_its_public_id_only(en, w):
    case = w.to_resolved()
    assert en.get(reverse("portal:published", args=[case.public_id])).status_code == 404
    publish(w, case, "楼道已清理")
    html = en.get(reverse("portal:published", args=[case.public_id])).content.decode()
    assert "楼道已清理" in html and case.tracking_code not in html and case.public_id in html
    assert en.get(reverse("portal:published", args=[case.tracking_code])).status_code == 404


def test_the_public_map_puts_published_cases_on_their_building_or_a_rounded_point(en, w):
    w.building.lat, w.building.lon = 30.5, 104.05
    w.building.save()
    on_building = w.to_resolved()
    publish(w, on_building, "路灯已修复 <img src=x onerror=alert(1)>")
    gps = services.submit(
        jurisdiction=w.jurisdiction,
        channel="web",
        title="井盖松动",
        lat=30.0012345,
        lon=120.0016789,
        address="5栋2单元",
    )
    services.triage(case=gps, actor=w.dispatcher, category=w.category)
    services.dispatch(case=gps, actor=w.dispatcher, user=w.steward)
    services.accept(case=gps, actor=w.steward)
    services.resolve(case=gps, actor=w.steward, result="已更换井盖")
    publish(w, gps, "井盖已更换")
    w.to_resolved()  # not published: not on the map

    page = en.get(reverse("portal:public_map", args=[w.community.pk])).content.decode()
    assert 'id="public-map"' in page and "井盖已更换" in page
    assert "&lt;img src=x" in page and "<img src=x" not in page  # escaped in the list under the map
    data = en.get(reverse("portal:map_cases", args=[w.community.pk])).json()
    points = {f["id"]: f for f in data["features"]}
    assert set(points) == {on_building.public_id, gps.public_id}
    assert points[on_building.public_id]["geometry"]["coordinates"] == [104.05, 30.5]
    assert points[gps.public_id]["geometry"]["coordinates"] == [120.002, 30.001]  # never the raw fix
    assert points[gps.public_id]["properties"]["summary"] == "井盖已更换"
    body = str(data)
    assert gps.tracking_code not in body and on_building.tracking_code not in body and "5栋2单元" not in body
    everywhere = en.get(reverse("portal:map_cases_all"), {"j": w.jurisdiction.code}).json()
    assert {f["id"] for f in everywhere["features"]} == set(points)
    assert en.get(reverse("portal:public_map_all")).status_code == 200
    assert en.get(reverse("portal:public_map", args=[w.micro.pk])).status_code == 404


def test_board_of_a_non_community_is_404(en, w):
    assert en.get(reverse("portal:board", args=[w.micro.pk])).status_code == 404
    assert en.get(reverse("portal:board", args=[999999])).status_code == 404
    html = en.get(reverse("portal:board_index")).content.decode()
    assert "幸福社区" in html


def test_service_points_with_hours_and_staff_on_duty(en, w):
    steward_post = w.steward.posts.get()
    hidden = post(roles.STEWARD, node=w.micro, is_public=False)
    station(
        w.community,
        "幸福社区便民服务驿站",
        tier=2,
        address="幸福路 20 号",
        phone="028-1234-5678",
        items=("errands", "blood-pressure"),
        hours=[(d, time(8, 30), time(17, 30)) for d in range(5)],
        on_duty=all_day(steward_post) + all_day(hidden),
    )
    station(w.other_community, "别的驿站")
    station(w.community, "已关闭的驿站", active=False)
    street_point = station(w.street, "街道党群服务中心", tier=1)

    html = en.get(reverse("portal:points", args=[w.community.pk])).content.decode()
    assert "幸福社区便民服务驿站" in html and "Monday 08:30–17:30" in html and "幸福路 20 号" in html
    assert "Errands handled for you" in html and "Blood-pressure check" in html and 'href="tel:028-1234-5678"' in html
    assert "张小管" in html and 'href="tel:13900001111"' in html
    assert str(hidden.user) not in html
    assert street_point.name in html  # the street's centre serves this community too
    assert "别的驿站" not in html and "已关闭的驿站" not in html
    assert en.get(reverse("portal:points", args=[999999])).status_code == 404
