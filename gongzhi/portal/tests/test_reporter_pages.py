"""On the tracking page the reporter — and only the reporter: the browser that sent it, a phone login with their
number, their account — adds words and photos to an open request and withdraws it (issue 24, item 15). Anyone else
with the tracking code sees none of it and is refused with nothing changed."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from gongzhi.cases import services
from gongzhi.cases import transitions as t
from gongzhi.cases.choices import EventKind
from gongzhi.cases.models import Case, CaseEvent
from gongzhi.core.tests.test_photos import assert_no_metadata, header_bomb
from gongzhi.portal import photos
from gongzhi.portal.tests.conftest import jpeg
from gongzhi.portal.tests.test_phone_login import PHONE, ask_code
from gongzhi.portal.tests.test_report import scan_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def en(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def sent(en, w):
    """A report sent from this browser (with a phone number)."""
    assert en.post(scan_url(w), {"description": "楼道灯坏了", "phone": PHONE}).status_code == 302
    return Case.objects.get()


@pytest.fixture
def stranger():
    other = Client()
    other.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return other


def track(client, case) -> str:
    return client.get(reverse("portal:track", args=[case.tracking_code])).content.decode()


def state(case):
    row = Case.objects.filter(pk=case.pk).values().get()
    row.pop("updated_at")
    return row, CaseEvent.objects.filter(case=case).count()


def stored(media_root) -> list:
    return list(media_root.rglob("*.jpg")) if media_root.exists() else []


def test_the_reporter_sees_the_actions_and_a_stranger_does_not(en, stranger, w, sent):
    mine = track(en, sent)
    assert 'id="reporter-actions"' in mine and 'id="add-info-form"' in mine and 'id="withdraw-form"' in mine
    theirs = track(stranger, sent)
    assert 'id="reporter-actions"' not in theirs and "add-info-form" not in theirs


def test_the_reporter_adds_words_and_a_photo(en, w, sent, media_root):
    response = en.post(
        reverse("portal:add_info", args=[sent.tracking_code]),
        {"text": "晚上十点以后灯会闪", "photos": [SimpleUploadedFile("IMG.jpg", jpeg(), "image/jpeg")]},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:track", args=[sent.tracking_code]) + "?done=added#reporter-actions"
    sent.refresh_from_db()
    event = CaseEvent.objects.filter(case=sent).order_by("-seq").first()
    assert (event.kind, event.note, event.public, event.data) == (
        EventKind.INFO_ADDED,
        "晚上十点以后灯会闪",
        False,
        {"photos": [0]},
    )
    assert len(sent.photos) == 1 and photos.is_report_photo(sent.photos[0])
    with default_storage.open(sent.photos[0], "rb") as handle:
        assert_no_metadata(handle.read())
    page = en.get(response["Location"]).content.decode()
    assert 'id="added-message"' in page and "晚上十点以后灯会闪" in page


def test_a_stranger_with_the_code_is_refused_before_any_photo_is_read(stranger, w, sent, media_root, monkeypatch):
    from gongzhi.core import photos as core_photos

    monkeypatch.setattr(core_photos, "clean", lambda *a, **k: pytest.fail("decoded a stranger's photo"))
    before = state(sent)
    response = stranger.post(
        reverse("portal:add_info", args=[sent.tracking_code]),
        {"text": "假消息", "photos": [SimpleUploadedFile("x.jpg", jpeg(), "image/jpeg")]},
    )
    assert response.status_code == 403 and "Only the person who reported it" in response.content.decode()
    withdraw = stranger.post(reverse("portal:withdraw", args=[sent.tracking_code]), {"reason": "mistake"})
    assert withdraw.status_code == 403
    assert state(sent) == before and stored(media_root) == []


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({"text": ""}, 400, "write something or add a photo"),
        ({"text": "长" * 2001}, 400, "at most 2000 characters"),
        ({"text": "看", "photos": "bomb"}, 413, "too many pixels"),
        ({"text": "看", "photos": "five"}, 400, "at most 4 photos"),
    ],
)
def test_bad_additions_are_refused_with_a_reason(en, w, sent, media_root, data, status, message):
    if data.get("photos") == "bomb":
        data["photos"] = [SimpleUploadedFile("bomb.png", header_bomb(), "image/png")]
    elif data.get("photos") == "five":
        data["photos"] = [SimpleUploadedFile(f"p{i}.jpg", jpeg(size=(40, 30)), "image/jpeg") for i in range(5)]
    before = state(sent)
    response = en.post(reverse("portal:add_info", args=[sent.tracking_code]), data)
    assert response.status_code == status
    assert message in response.content.decode()
    assert state(sent) == before and stored(media_root) == []


def test_the_reporter_withdraws_with_a_reason(en, w, sent):
    assert en.post(reverse("portal:withdraw", args=[sent.tracking_code]), {"reason": "other"}).status_code == 400
    assert Case.objects.get().status == t.SUBMITTED
    response = en.post(
        reverse("portal:withdraw", args=[sent.tracking_code]), {"reason": "solved", "details": "物业已经修好"}
    )
    assert response.status_code == 302
    sent.refresh_from_db()
    assert sent.status == t.WITHDRAWN
    assert (
        CaseEvent.objects.filter(case=sent).order_by("-seq").first().note == "It was solved another way: 物业已经修好"
    )
    page = en.get(response["Location"]).content.decode()
    assert 'id="withdrawn-message"' in page and 'id="withdrawn"' in page
    assert "Withdrawn by the person who reported it" in page
    assert 'id="add-info-form"' not in page and 'id="withdraw-form"' not in page  # nothing more to do
    again = en.post(reverse("portal:add_info", args=[sent.tracking_code]), {"text": "还有"})
    assert again.status_code == 409


def test_a_phone_login_is_the_reporter_on_another_phone(stranger, w, sent, django_capture_on_commit_callbacks):
    code = ask_code(stranger, PHONE, django_capture_on_commit_callbacks)
    stranger.post(reverse("portal:login"), {"phone": PHONE, "code": code})
    assert 'id="withdraw-form"' in track(stranger, sent)
    assert (
        stranger.post(reverse("portal:withdraw", args=[sent.tracking_code]), {"reason": "mistake"}).status_code == 302
    )
    assert Case.objects.get().status == t.WITHDRAWN


def test_a_resolved_request_cannot_be_withdrawn(en, w, sent):
    services.triage(case=sent, actor=w.dispatcher, category=w.category)
    services.dispatch(case=sent, actor=w.dispatcher, user=w.steward)
    services.accept(case=sent, actor=w.steward)
    services.resolve(case=sent, actor=w.steward, result="已修")
    assert 'id="withdraw-form"' not in track(en, sent)
    before = state(sent)
    response = en.post(reverse("portal:withdraw", args=[sent.tracking_code]), {"reason": "mistake"})
    assert response.status_code == 409 and "cannot withdraw a case that is resolved" in response.content.decode()
    assert state(sent) == before


def test_an_unknown_code_is_404(en, w):
    assert en.post(reverse("portal:withdraw", args=["ZZZZZZZZZZ"]), {"reason": "mistake"}).status_code == 404
    assert en.post(reverse("portal:add_info", args=["ZZZZZZZZZZ"]), {"text": "x"}).status_code == 404
