"""Reporting from the doorstep: the building QR page and the map page, and every kind of bad input — each gets a
clear error and writes nothing (no case, no event, no stored photo, no text message); so does a report the database
was too busy to take, which comes back filled in."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError, ProgrammingError
from django.urls import reverse
from PIL import Image

from gongzhi.cases.choices import EventKind
from gongzhi.cases.models import Case, CaseEvent
from gongzhi.core import throttle
from gongzhi.core.models import Throttle
from gongzhi.notifications import backends
from gongzhi.notifications.models import SmsMessage
from gongzhi.portal import views as portal_views
from gongzhi.portal.tests.conftest import jpeg

pytestmark = pytest.mark.django_db


@pytest.fixture
def en(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def scan_url(w) -> str:
    return reverse("portal:scan", args=[w.building.public_token])


def stored_files(media_root) -> list:
    return [p for p in media_root.rglob("*") if p.is_file()] if media_root.exists() else []


def assert_nothing_written(media_root) -> None:
    assert Case.objects.count() == 0
    assert CaseEvent.objects.count() == 0
    assert SmsMessage.objects.count() == 0
    assert stored_files(media_root) == []


def photo(name="photo.jpg", data=None, content_type="image/jpeg"):
    return SimpleUploadedFile(name, data if data is not None else jpeg(), content_type)


def test_the_qr_page_knows_compound_building_and_grid(en, w):
    page = en.get(scan_url(w))
    assert page.status_code == 200
    html = page.content.decode()
    assert "幸福里小区 3号楼" in html
    assert "幸福路 18 号" in html
    assert "幸福里第一微网格" in html
    assert 'id="pin-map"' not in html  # the building says where: no map needed
    assert "张小管" in html and 'href="tel:13900001111"' in html  # 三亮 card of the grid's staff
    assert "Report a problem" in html


def test_report_with_a_photo_and_phone(en, w, media_root, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = en.post(
            scan_url(w),
            {
                "description": "楼道里堆满杂物，挡住了消防通道\n三单元二楼",
                "category": w.category.code,
                "address": "三单元二楼",
                "name": "李四",
                "phone": "138 1234 5678",
                "photos": [photo(), photo("second.png", _png(), "image/png")],
            },
        )
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:track", args=[case.tracking_code])
    assert (case.channel, case.status, case.building, case.grid_node) == ("qr", "submitted", w.building, w.micro)
    assert case.owner_node == w.community
    assert case.title == "楼道里堆满杂物，挡住了消防通道"
    assert case.description == "楼道里堆满杂物，挡住了消防通道\n三单元二楼"
    assert case.category == w.category and case.address == "三单元二楼"
    assert (case.reporter_name, case.reporter_phone) == ("李四", "13812345678")
    assert list(case.events.values_list("kind", flat=True)) == [EventKind.SUBMITTED]
    assert len(case.photos) == 2
    files = stored_files(media_root)
    assert len(files) == 2
    for f in files:
        image = Image.open(f)
        assert image.format == "JPEG" and dict(image.getexif()) == {} and max(image.size) <= 1600
    # The tracking code goes out by SMS.
    assert [sms.phone for sms in backends.outbox] == ["13812345678"]
    assert case.tracking_code in backends.outbox[0].body
    # The tracking page shows the code and both photos, which are served as metadata-free JPEGs.
    page = en.get(response["Location"])
    html = page.content.decode()
    assert case.tracking_code in html and "Thank you, your report has been sent." in html
    for i in range(2):
        served = en.get(reverse("portal:photo", args=[case.tracking_code, i]))
        assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
        assert dict(Image.open(io.BytesIO(b"".join(served.streaming_content))).getexif()) == {}
    assert en.get(reverse("portal:photo", args=[case.tracking_code, 2])).status_code == 404
    # The thank-you is shown once.
    assert "Thank you, your report has been sent." not in en.get(response["Location"]).content.decode()


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (30, 30), (1, 2, 3)).save(out, format="PNG")
    return out.getvalue()


def test_anonymous_report_keeps_no_name(en, w):
    en.post(scan_url(w), {"description": "路灯坏了好几天", "name": "王五", "anonymous": "on"})
    case = Case.objects.get()
    assert case.anonymous is True and case.reporter_name == "" and case.reporter_phone == ""


def test_forged_building_token_is_404_and_writes_nothing(en, w, media_root):
    for token in (
        "not-a-real-token",
        "x" * 40,
        w.building.public_token[:-1] + ("A" if w.building.public_token[-1] != "A" else "B"),
    ):
        response = en.post(f"/r/b/{token}/", {"description": "楼道里堆满杂物", "photos": [photo()]})
        assert response.status_code == 404
        assert "This QR code is not known" in response.content.decode()
    assert en.get("/r/b/nope/").status_code == 404
    assert_nothing_written(media_root)


def test_a_non_image_disguised_as_jpg_is_refused(en, w, media_root):
    response = en.post(
        scan_url(w), {"description": "楼道里堆满杂物", "photos": [photo("evil.jpg", b"<?php system($_GET['c']); ?>")]}
    )
    assert response.status_code == 400
    assert "evil.jpg is not a photo we can read" in response.content.decode()
    assert_nothing_written(media_root)


def test_a_photo_over_the_size_limit_is_413(en, w, settings, media_root):
    settings.GONGZHI_PHOTO_MAX_MB = 0.01
    response = en.post(
        scan_url(w), {"description": "楼道里堆满杂物", "photos": [photo(), photo("b.jpg", jpeg(size=(10, 10)))]}
    )
    assert response.status_code == 413
    assert "photo.jpg is too large" in response.content.decode()
    assert_nothing_written(media_root)


def test_too_many_photos_are_refused(en, w, media_root):
    small = jpeg(size=(10, 10), gps=False)
    response = en.post(scan_url(w), {"description": "楼道里堆满杂物", "photos": [photo(data=small)] * 5})
    assert response.status_code == 400
    assert "at most 4 photos" in response.content.decode()
    assert_nothing_written(media_root)


def test_ten_thousand_characters_are_refused(en, w, media_root):
    response = en.post(scan_url(w), {"description": "长" * 10_000, "photos": [photo()]})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Ensure this value has at most 2000 characters (it has 10000)." in html
    assert 'aria-invalid="true"' in html
    assert_nothing_written(media_root)


def test_empty_description_is_refused(en, w, media_root):
    response = en.post(scan_url(w), {"description": "   "})
    assert response.status_code == 400
    assert_nothing_written(media_root)


def test_script_tags_are_stored_as_text_and_rendered_inert(en, w, django_capture_on_commit_callbacks):
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)> 楼道灯坏了'
    with django_capture_on_commit_callbacks(execute=True):
        en.post(scan_url(w), {"description": evil, "address": "<b>二楼</b>", "name": "<i>张</i>"})
    case = Case.objects.get()
    assert case.description == evil  # kept as the resident wrote it …
    for url in (reverse("portal:track", args=[case.tracking_code]),):
        html = en.get(url).content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html and "<b>二楼" not in html
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html  # … and shown as text
    # The board (once published) escapes it too.
    from gongzhi.cases import services

    services.triage(case=case, actor=w.dispatcher, category=w.category)
    services.dispatch(case=case, actor=w.dispatcher, node=w.micro, pool=True)
    services.accept(case=case, actor=w.steward)
    services.resolve(case=case, actor=w.steward, result="<script>alert(2)</script>已处理")
    services.publish(case=case, actor=w.dispatcher)
    html = en.get(reverse("portal:board", args=[w.community.pk])).content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;alert(2)&lt;/script&gt;已处理" in html


def test_map_report_needs_a_location(en, w, media_root):
    url = reverse("portal:report") + f"?j={w.jurisdiction.code}"
    page = en.get(url)
    assert page.status_code == 200 and 'id="pin-map"' in page.content.decode()
    response = en.post(url, {"description": "路灯坏了好几天", "photos": [photo()]})
    assert response.status_code == 400
    assert "Tell us where the problem is" in response.content.decode()
    assert_nothing_written(media_root)


@pytest.mark.parametrize(("lat", "lon"), [("10.0", "10.0"), ("95", "120.01"), ("nan", "120"), ("abc", "120")])
def test_map_report_outside_the_area_or_nonsense_is_refused(en, w, lat, lon, media_root):
    response = en.post(reverse("portal:report"), {"description": "路灯坏了好几天", "lat": lat, "lon": lon})
    assert response.status_code == 400
    assert_nothing_written(media_root)


def test_map_report_is_located_in_its_micro_grid(en, w):
    lon0, lat0 = w.micro.boundary["coordinates"][0][0]
    response = en.post(
        reverse("portal:report"), {"description": "路灯坏了好几天", "lat": f"{lat0 + 0.001}", "lon": f"{lon0 + 0.001}"}
    )
    assert response.status_code == 302
    case = Case.objects.get()
    assert (case.channel, case.grid_node, case.building, case.owner_node) == ("web", w.micro, None, w.community)
    assert case.lat == pytest.approx(lat0 + 0.001)


def test_the_map_base_layer_is_the_community_boundaries(en, w):
    data = en.get(reverse("portal:map_areas", args=[w.jurisdiction.pk])).json()
    assert len(data["features"]) == 4
    assert {f["properties"]["name"] for f in data["features"]} >= {"幸福社区"}


def test_unknown_category_is_refused(en, w, media_root):
    response = en.post(scan_url(w), {"description": "楼道里堆满杂物", "category": "no.such"})
    assert response.status_code == 400
    assert_nothing_written(media_root)


def test_bad_phone_is_refused(en, w, media_root):
    response = en.post(scan_url(w), {"description": "楼道里堆满杂物", "phone": "12345"})
    assert response.status_code == 400
    assert "11 digits" in response.content.decode()
    assert_nothing_written(media_root)


def test_a_flood_from_one_client_is_rate_limited(en, w, settings, media_root):
    settings.GONGZHI_REPORT_RATE_LIMIT = (3, 3600)
    for i in range(3):
        assert en.post(scan_url(w), {"description": f"楼道里堆满杂物 {i}"}).status_code == 302
    files_before = stored_files(media_root)
    for _ in range(5):
        response = en.post(scan_url(w), {"description": "又来了一次", "photos": [photo()]})
        assert response.status_code == 429
        assert int(response["Retry-After"]) > 0
        assert "You have sent many reports in a short time" in response.content.decode()
    assert Case.objects.count() == 3
    assert stored_files(media_root) == files_before
    assert Throttle.objects.get(scope="report").count == 3
    # Another client is not affected.
    other = en.post(scan_url(w), {"description": "另一个人"}, REMOTE_ADDR="10.9.9.9")
    assert other.status_code == 302


def test_behind_a_proxy_the_forwarded_client_is_limited(en, w, settings):
    settings.GONGZHI_REPORT_RATE_LIMIT = (1, 3600)
    settings.GONGZHI_PROXY_HOPS = 1
    first = en.post(scan_url(w), {"description": "楼道里堆满杂物"}, HTTP_X_FORWARDED_FOR="1.1.1.1, 2.2.2.2")
    same = en.post(scan_url(w), {"description": "楼道里堆满杂物"}, HTTP_X_FORWARDED_FOR="9.9.9.9, 2.2.2.2")
    other = en.post(scan_url(w), {"description": "楼道里堆满杂物"}, HTTP_X_FORWARDED_FOR="1.1.1.1, 3.3.3.3")
    assert (first.status_code, same.status_code, other.status_code) == (302, 429, 302)


def test_a_failing_submit_removes_the_stored_photos(en, w, media_root, monkeypatch):
    from gongzhi.cases import services
    from gongzhi.core.errors import DomainError

    def refuse(**kwargs):
        raise DomainError("the jurisdiction has no grid yet")

    monkeypatch.setattr(services, "submit", refuse)
    response = en.post(scan_url(w), {"description": "楼道里堆满杂物", "photos": [photo()]})
    assert response.status_code == 400
    assert "the jurisdiction has no grid yet" in response.content.decode()
    assert_nothing_written(media_root)


# ----------------------------------------------------------------------------------------- the database too busy
# Say, a large import holding SQLite's write lock past the 20 s wait: the resident gets a 503 that says so, with the
# form still holding what they typed, and nothing is written.

LOCKED = OperationalError("database is locked: another connection kept the write turn for 20 s")
TEXT = "楼道里堆满杂物，挡住了消防通道"


def _locked(*args, **kwargs):
    raise LOCKED


@pytest.mark.parametrize("where", ["the case", "the rate limit"])
def test_a_report_the_database_was_too_busy_for_comes_back_filled_in_with_a_503(en, w, media_root, monkeypatch, where):
    if where == "the case":
        monkeypatch.setattr(portal_views.case_services, "submit", _locked)
    else:
        monkeypatch.setattr(throttle, "hit", _locked)

    response = en.post(scan_url(w), {"description": TEXT, "name": "李四", "phone": "13812345678"})

    page = response.content.decode()
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert "The service is busy right now and your report was not saved" in page
    assert "please send it again in a few seconds" in page
    assert TEXT in page and "李四" in page and "13812345678" in page  # what was typed is still in the form
    assert_nothing_written(media_root)


def test_a_report_filed_just_before_its_session_cannot_be_saved_still_goes_to_its_tracking_page(en, w, monkeypatch):
    """PostgreSQL went away between the report's commit and the session's save (bench faults restarts it): the
    report is filed, so the answer is its tracking page — a 503 saying "not saved" would have it sent twice."""
    from django.contrib.sessions.models import Session

    assert en.post(scan_url(w), {"description": TEXT}).status_code == 302  # a session now, updated from here on

    def gone(*args, **kwargs):
        raise OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr(Session, "save", gone)
    response = en.post(scan_url(w), {"description": "路灯不亮了，晚上很黑"})

    case = Case.objects.get(description="路灯不亮了，晚上很黑")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:track", args=[case.tracking_code]))


@pytest.mark.parametrize("where", ["the building", "the session"])
def test_a_report_sent_before_the_view_could_read_anything_comes_back_as_typed_with_a_503(
    en, w, media_root, monkeypatch, where
):
    """PostgreSQL restarting: the first query of the request fails — the building, or the phone's session — so the
    full form cannot be drawn; a page that needs no database gives back what was typed, to send again."""
    en.get(scan_url(w))  # the form, as a resident opens it: its CSRF cookie
    en.enforce_csrf_checks = True
    token = en.cookies["csrftoken"].value
    if where == "the building":
        monkeypatch.setattr(portal_views.grid_selectors, "building_by_token", _locked)
    else:
        monkeypatch.setattr(portal_views.phone_login, "current", _locked)

    response = en.post(
        scan_url(w),
        {"csrfmiddlewaretoken": token, "description": TEXT, "name": "李四", "phone": "13812345678", "address": "2单元"},
    )

    page = response.content.decode()
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert "The service is busy right now and your report was not saved" in page
    assert f">{TEXT}</textarea>" in page and 'value="李四"' in page and 'value="13812345678"' in page
    assert 'value="2单元"' in page and f'action="{scan_url(w)}"' in page
    assert 'name="photos"' not in page  # none were sent
    assert Case.objects.count() == 0
    assert_nothing_written(media_root)
    monkeypatch.undo()
    again = en.post(scan_url(w), {"csrfmiddlewaretoken": token, "description": TEXT, "name": "李四"})
    assert again.status_code == 302 and Case.objects.get().description == TEXT  # the page's form sends it


def test_a_page_that_fails_to_open_is_still_core_s_busy_page(en, w, monkeypatch):
    monkeypatch.setattr(portal_views.grid_selectors, "building_by_token", _locked)
    response = en.get(scan_url(w))
    assert response.status_code == 503 and "Try again" in response.content.decode()


def test_photos_cannot_be_kept_and_the_message_says_so(en, w, media_root, monkeypatch):
    monkeypatch.setattr(portal_views.case_services, "submit", _locked)

    response = en.post(scan_url(w), {"description": TEXT, "photos": [photo()]})

    assert response.status_code == 503
    assert "please add your photos again" in response.content.decode()
    assert_nothing_written(media_root)  # the photo stored for the report is removed again


def test_the_message_is_chinese_by_default(client, w, media_root, monkeypatch):
    monkeypatch.setattr(portal_views.case_services, "submit", _locked)

    response = client.post(scan_url(w), {"description": TEXT})

    assert response.status_code == 503
    assert "系统繁忙" in response.content.decode()


def test_other_database_faults_are_not_called_busy(en, w, media_root, monkeypatch):
    def broken(*args, **kwargs):
        raise ProgrammingError("no such column: cases_case.nonsense")

    monkeypatch.setattr(portal_views.case_services, "submit", broken)
    en.raise_request_exception = True
    with pytest.raises(ProgrammingError):
        en.post(scan_url(w), {"description": TEXT})
    assert_nothing_written(media_root)


# ------------------------------------------------------------------------------------------- the media disk full


def test_a_report_whose_photo_finds_the_disk_full_comes_back_filled_in_with_a_507(en, w, media_root, monkeypatch):
    from gongzhi.core.testing.disk import files_in, full_disk

    with full_disk(media_root, monkeypatch) as how:
        print(f"disk: {how}")
        response = en.post(
            scan_url(w), {"description": TEXT, "name": "李四", "phone": "13812345678", "photos": [photo()]}
        )
        page = response.content.decode()
        assert response.status_code == 507 and response["Retry-After"] == "300"
        assert "the server&#x27;s storage is full" in page or "the server's storage is full" in page
        assert TEXT in page and "李四" in page and "13812345678" in page  # what was typed is still in the form
        assert files_in(media_root) == []
    assert Case.objects.count() == 0 and CaseEvent.objects.count() == 0 and SmsMessage.objects.count() == 0
    # Without a photo the same report goes through: the full disk stops only what needs it.
    assert en.post(scan_url(w), {"description": TEXT}).status_code == 302
    assert Case.objects.count() == 1
