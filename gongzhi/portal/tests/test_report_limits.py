"""Anonymous uploads cost little before they are judged (issue 23, item 6): a request larger than a report can be is
refused from its Content-Length without its body being read (413 with a page that says so); every attempt counts
against the client's rate limit before anything is decoded; the text is checked before the photos, so an invalid
report never decodes one; and a decompression bomb is a 413, not a 500 and not a full decode."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from gongzhi.cases.models import Case
from gongzhi.core import photos as core_photos
from gongzhi.core.models import Throttle
from gongzhi.core.tests.test_photos import header_bomb
from gongzhi.portal import photos
from gongzhi.portal.tests.conftest import jpeg
from gongzhi.portal.tests.test_report import assert_nothing_written, scan_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def en(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def decoded(monkeypatch):
    """Counts the photos the cleaner is asked to decode."""
    calls: list[str] = []
    real = core_photos._reencode

    def counting(image):
        calls.append(image.format)
        return real(image)

    monkeypatch.setattr(core_photos, "_reencode", counting)
    return calls


def test_a_request_declared_larger_than_a_report_is_413_without_reading_its_body(en, w, settings, media_root):
    settings.GONGZHI_PHOTO_MAX_MB = 8
    limit = photos.request_limit()
    assert limit == 4 * 8 * 1024 * 1024 + 1024 * 1024
    # The body is a few bytes but claims to be one byte over the limit: reading it would fail the test (the test
    # client refuses to read past what was given), so the answer proves nothing read it — not even the CSRF check.
    response = en.generic(
        "POST",
        scan_url(w),
        b"description=x",
        content_type="application/x-www-form-urlencoded",
        CONTENT_LENGTH=str(limit + 1),
    )
    assert response.status_code == 413
    html = response.content.decode()
    assert 'id="too-large"' in html and "33.0 MB" in html and "at most 33 MB" in html
    assert "each at most 8 MB" in html
    assert_nothing_written(media_root)
    assert not Throttle.objects.exists()  # not even counted: nothing was read


def test_the_limit_follows_the_photo_setting(en, w, settings):
    settings.GONGZHI_PHOTO_MAX_MB = 1
    big = 4 * 1024 * 1024 + 1024 * 1024 + 1
    response = en.generic("POST", scan_url(w), b"x", content_type="text/plain", CONTENT_LENGTH=str(big))
    assert response.status_code == 413
    assert en.generic("POST", scan_url(w), b"x", content_type="text/plain", CONTENT_LENGTH="1").status_code != 413


def test_a_report_of_the_largest_size_is_not_refused_for_its_size(en, w, settings):
    settings.GONGZHI_PHOTO_MAX_MB = 8
    response = en.generic(
        "POST",
        scan_url(w),
        b"description=x",
        content_type="application/x-www-form-urlencoded",
        CONTENT_LENGTH=str(photos.request_limit()),
    )
    assert response.status_code != 413


def test_other_pages_have_the_default_limit_which_is_never_below_an_import(en, w, settings):
    settings.GONGZHI_PHOTO_MAX_MB = 1
    over = en.generic("POST", reverse("portal:display"), b"x", content_type="text/plain", CONTENT_LENGTH=str(25 << 20))
    under = en.generic("POST", reverse("portal:display"), b"large=1", content_type="application/x-www-form-urlencoded")
    assert (over.status_code, under.status_code) == (413, 302)


def test_a_nonsense_content_length_is_a_400(en, w):
    response = en.generic("POST", scan_url(w), b"x", content_type="text/plain", CONTENT_LENGTH="12abc")
    assert response.status_code == 400


def test_an_invalid_report_decodes_no_photo_and_counts_as_an_attempt(en, w, media_root, decoded):
    big = SimpleUploadedFile("big.jpg", jpeg(size=(4000, 3000)), "image/jpeg")
    response = en.post(scan_url(w), {"description": "", "photos": [big, big]})
    assert response.status_code == 400
    assert decoded == []
    assert Throttle.objects.get(scope="report").count == 1
    assert_nothing_written(media_root)


def test_every_attempt_counts_before_any_photo_is_looked_at(en, w, settings, media_root, decoded):
    settings.GONGZHI_REPORT_RATE_LIMIT = (3, 3600)
    bomb = SimpleUploadedFile("bomb.png", header_bomb(), "image/png")
    for _ in range(3):
        bomb.seek(0)
        assert en.post(scan_url(w), {"description": "", "photos": [bomb]}).status_code == 400
    # The limit is spent by invalid attempts: the next ones are refused before their photos are opened at all.
    for _ in range(2):
        photo = SimpleUploadedFile("ok.jpg", jpeg(size=(400, 300)), "image/jpeg")
        response = en.post(scan_url(w), {"description": "楼道里堆满杂物", "photos": [photo]})
        assert response.status_code == 429
    assert decoded == []
    assert Throttle.objects.get(scope="report").count == 3
    assert_nothing_written(media_root)


def test_a_decompression_bomb_in_a_valid_report_is_a_413_and_writes_nothing(en, w, media_root, decoded):
    bomb = SimpleUploadedFile("bomb.png", header_bomb(), "image/png")
    response = en.post(scan_url(w), {"description": "楼道里堆满杂物", "photos": [bomb]})
    assert response.status_code == 413
    assert "bomb.png has too many pixels" in response.content.decode()
    assert decoded == []  # refused from its header
    assert_nothing_written(media_root)
    assert Case.objects.count() == 0
