"""The limit on unknown tracking codes (core.throttle, portal/README.md): a guesser learns nothing, one person trying
codes does not lock out everyone behind the same address, and a reporter always reaches their own request."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from gongzhi.cases.models import Case, Rating
from gongzhi.core import crypto
from gongzhi.portal import phone_login

pytestmark = pytest.mark.django_db

CARRIER = "100.64.0.9"  # one carrier-grade NAT address, many residents behind it


@pytest.fixture
def limits(settings):
    settings.GONGZHI_TRACK_RATE_LIMIT = (3, 600)
    settings.GONGZHI_TRACK_ADDRESS_RATE_LIMIT = (8, 600)


def phone(address=CARRIER, language="en") -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE=language, REMOTE_ADDR=address)


def track(client, code):
    return client.get(reverse("portal:track", args=[code]))


def guess(client, n, start=0):
    for i in range(start, start + n):
        assert track(client, f"2611GUESS{i:02d}"[:10]).status_code == 404


def test_a_guesser_is_refused_everything_after_the_limit_and_learns_nothing(limits, w):
    case = w.submit()
    guesser = phone()
    guess(guesser, 3)
    for response in (
        track(guesser, case.tracking_code),
        track(guesser, "2611NOSUCH"),
        guesser.get(reverse("portal:track_lookup"), {"code": case.tracking_code}),
        guesser.get(reverse("portal:photo", args=[case.tracking_code, 0])),
        guesser.post(reverse("portal:rate", args=[case.tracking_code]), {"score": "satisfied", "solved": "yes"}),
    ):
        page = response.content.decode()
        assert response.status_code == 429
        assert int(response["Retry-After"]) > 0
        assert "Too many tracking codes that do not exist were tried" in page
        assert case.tracking_code not in page or 'value="' + case.tracking_code + '"' in page  # only echoed input
        assert "Not found" not in page
    assert not Rating.objects.exists()


def test_the_refusal_says_what_happened_in_chinese_on_the_lookup_form(limits, w):
    guesser = phone(language="zh-hans")
    guess(guesser, 3)
    response = guesser.get(reverse("portal:track_lookup"), {"code": "2611ABCDEF"})
    page = response.content.decode()
    assert response.status_code == 429
    assert "尝试次数过多" in page and "未找到" not in page
    assert 'id="login-instead"' in page


def test_other_residents_behind_the_same_address_are_not_locked_out_by_one_guesser(limits, w):
    case = w.submit()
    guesser, neighbour = phone(), phone()
    guess(guesser, 3)
    assert track(guesser, case.tracking_code).status_code == 429
    assert track(neighbour, case.tracking_code).status_code == 200
    assert track(neighbour, "2611TYPOOO").status_code == 404  # a typo of their own is still just "not found"


def test_a_guesser_that_throws_its_cookie_away_meets_the_address_limit(limits, w):
    case = w.submit()
    for i in range(8):  # a new browser id every time
        assert track(phone(), f"2611THROW{i}").status_code == 404
    assert track(phone(), case.tracking_code).status_code == 429
    elsewhere = phone(address="203.0.113.50")
    assert track(elsewhere, case.tracking_code).status_code == 200


def test_ipv6_addresses_count_by_their_64(limits, w):
    case = w.submit()
    for i in range(8):
        assert track(phone(address=f"2001:db8:1:2::{i + 1:x}"), f"2611SIXXX{i}").status_code == 404
    assert track(phone(address="2001:db8:1:2:ffff::1"), case.tracking_code).status_code == 429
    assert track(phone(address="2001:db8:1:3::1"), case.tracking_code).status_code == 200


def test_the_reporters_own_browser_is_never_refused(limits, w):
    resident = phone()
    assert (
        resident.post(reverse("portal:scan", args=[w.building.public_token]), {"description": "楼道灯不亮"}).status_code
        == 302
    )
    case = Case.objects.latest("pk")
    guess(resident, 3)  # typos of other codes …
    for i in range(8):
        track(phone(), f"2611OTHER{i}")  # … and a guesser on the same address
    assert track(resident, "2611NOSUCH").status_code == 429
    response = track(resident, case.tracking_code)
    assert response.status_code == 200 and "楼道灯不亮" in response.content.decode()


def test_a_resident_logged_in_by_phone_opens_their_own_request_while_the_address_is_refused(limits, w):
    own = w.submit(reporter_phone="13912345678")
    other = w.submit(reporter_phone="13700001111")
    for i in range(8):
        track(phone(), f"2611OTHER{i}")
    resident = phone()
    session = resident.session
    session[phone_login.SESSION_KEY] = {
        "index": own.reporter_phone_index,
        "masked": "139****5678",
        "number": crypto.encrypt("13912345678"),
    }
    session.save()
    assert track(resident, own.tracking_code).status_code == 200
    # Anything else — someone else's real code, or no code at all — is the same refusal: nothing to learn.
    assert track(resident, other.tracking_code).status_code == 429
    assert track(resident, "2611NOSUCH").status_code == 429


def test_known_codes_never_count(limits, w):
    case = w.submit()
    reader = phone()
    for _ in range(10):
        assert track(reader, case.tracking_code).status_code == 200
    guess(reader, 3)
