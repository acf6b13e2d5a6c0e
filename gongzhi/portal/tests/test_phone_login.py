"""Phone + one-time code: "my requests", rating as the verified reporter, and the limits on codes."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from gongzhi.cases import services
from gongzhi.cases.models import Rating
from gongzhi.core import crypto
from gongzhi.core.models import Throttle
from gongzhi.notifications import backends
from gongzhi.portal import phone_login
from gongzhi.portal.models import LoginCode

pytestmark = pytest.mark.django_db
PHONE = "13812345678"


@pytest.fixture
def en(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def ask_code(client, phone=PHONE, capture=None) -> str:
    with capture(execute=True):
        response = client.post(reverse("portal:login"), {"phone": phone})
    assert response.status_code == 200, response.content.decode()
    assert 'id="code-form"' in response.content.decode()
    body = backends.outbox[-1].body
    assert backends.outbox[-1].phone == crypto.normalise_phone(phone)
    return re.search(r"\b(\d{6})\b", body).group(1)


def test_log_in_and_see_only_my_requests(en, w, django_capture_on_commit_callbacks):
    mine = w.submit(reporter_phone=PHONE, title="我家楼道灯坏了")
    other = w.submit(reporter_phone="13900009999", title="别人的诉求")
    assert en.get(reverse("portal:mine")).status_code == 302  # not logged in: to the login page
    code = ask_code(en, "+86 138-1234-5678", django_capture_on_commit_callbacks)
    assert LoginCode.objects.get().code_hash != code  # only a hash is kept
    response = en.post(reverse("portal:login"), {"phone": PHONE, "code": code})
    assert response.status_code == 302 and response["Location"] == reverse("portal:mine")
    html = en.get(reverse("portal:mine")).content.decode()
    assert mine.tracking_code in html and "我家楼道灯坏了" in html
    assert other.tracking_code not in html
    assert "138****5678" in html and PHONE not in html
    # A code works once.
    en.post(reverse("portal:logout"))
    again = en.post(reverse("portal:login"), {"phone": PHONE, "code": code})
    assert again.status_code == 400 and "wrong or has expired" in again.content.decode()


def test_a_logged_in_reporter_may_rate_from_another_phone(en, w, django_capture_on_commit_callbacks):
    case = w.to_resolved(reporter_phone=PHONE)
    code = ask_code(en, PHONE, django_capture_on_commit_callbacks)
    en.post(
        reverse("portal:login"),
        {"phone": PHONE, "code": code, "next": reverse("portal:track", args=[case.tracking_code])},
    )
    html = en.get(reverse("portal:track", args=[case.tracking_code])).content.decode()
    assert 'id="rating-form"' in html
    assert (
        en.post(reverse("portal:rate", args=[case.tracking_code]), {"score": "satisfied", "solved": "yes"}).status_code
        == 302
    )
    assert Rating.objects.get().case == case


def test_wrong_codes_burn_attempts_and_then_the_code(en, w, django_capture_on_commit_callbacks):
    code = ask_code(en, PHONE, django_capture_on_commit_callbacks)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(phone_login.MAX_ATTEMPTS):
        assert en.post(reverse("portal:login"), {"phone": PHONE, "code": wrong}).status_code == 400
    assert LoginCode.objects.get().attempts == phone_login.MAX_ATTEMPTS
    # Even the right code no longer works.
    assert en.post(reverse("portal:login"), {"phone": PHONE, "code": code}).status_code == 400
    assert phone_login.SESSION_KEY not in en.session


def test_expired_codes_do_not_work(en, w, django_capture_on_commit_callbacks):
    code = ask_code(en, PHONE, django_capture_on_commit_callbacks)
    row = LoginCode.objects.get()
    LoginCode.objects.filter(pk=row.pk).update(expires_at=row.created_at - timedelta(seconds=1))
    assert en.post(reverse("portal:login"), {"phone": PHONE, "code": code}).status_code == 400


def test_a_new_code_replaces_the_old_one(en, w, django_capture_on_commit_callbacks):
    first = ask_code(en, PHONE, django_capture_on_commit_callbacks)
    second = ask_code(en, PHONE, django_capture_on_commit_callbacks)
    if first != second:
        assert en.post(reverse("portal:login"), {"phone": PHONE, "code": first}).status_code == 400
    assert en.post(reverse("portal:login"), {"phone": PHONE, "code": second}).status_code == 302


@pytest.mark.parametrize("phone", ["12345", "23812345678", "+1 415 555 0100", "<script>"])
def test_not_a_mainland_mobile_number(en, w, phone):
    response = en.post(reverse("portal:login"), {"phone": phone})
    assert response.status_code == 400 and "11 digits" in response.content.decode()
    assert LoginCode.objects.count() == 0 and backends.outbox == []


def test_code_requests_are_rate_limited_per_number_and_per_client(en, w, settings, django_capture_on_commit_callbacks):
    settings.GONGZHI_LOGIN_CODE_RATE_LIMIT = (2, 3600)
    ask_code(en, PHONE, django_capture_on_commit_callbacks)
    ask_code(en, PHONE, django_capture_on_commit_callbacks)
    response = en.post(reverse("portal:login"), {"phone": PHONE}, REMOTE_ADDR="10.1.1.1")
    assert response.status_code == 429 and "Too many codes requested" in response.content.decode()
    assert int(response["Retry-After"]) > 0
    # The same client asking for other numbers is limited too.
    response = en.post(reverse("portal:login"), {"phone": "13900001234"})
    assert response.status_code == 429
    assert LoginCode.objects.count() == 2 and len(backends.outbox) == 2


def test_a_client_over_its_own_limit_cannot_spend_a_numbers_budget(en, w, settings, django_capture_on_commit_callbacks):
    """Anyone could otherwise lock a resident out: a client past its own limit asking for the resident's number again
    and again used up the number's codes for the hour. Both limits are checked before either is counted."""
    settings.GONGZHI_LOGIN_CODE_RATE_LIMIT = (2, 3600)
    victim = "13900001234"
    ask_code(en, PHONE, django_capture_on_commit_callbacks)
    ask_code(en, "13700001111", django_capture_on_commit_callbacks)  # this client's own limit is spent
    for _ in range(5):
        response = en.post(reverse("portal:login"), {"phone": victim})
        assert response.status_code == 429
    assert not Throttle.objects.filter(scope="code-phone", key=crypto.blind_index(victim)).exists()
    # The resident, from their own phone, still gets both of the number's codes.
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            response = en.post(reverse("portal:login"), {"phone": victim}, REMOTE_ADDR="10.9.9.9")
        assert response.status_code == 200
    assert [m.phone for m in backends.outbox].count(victim) == 2
    assert LoginCode.objects.filter(phone_index=crypto.blind_index(victim)).count() == 2


def test_next_must_stay_on_this_site(en, w, django_capture_on_commit_callbacks):
    code = ask_code(en, PHONE, django_capture_on_commit_callbacks)
    response = en.post(reverse("portal:login"), {"phone": PHONE, "code": code, "next": "https://evil.example/"})
    assert response["Location"] == reverse("portal:mine")


def test_session_key_changes_on_login(en, w, django_capture_on_commit_callbacks):
    code = ask_code(en, PHONE, django_capture_on_commit_callbacks)
    before = en.session.session_key
    en.post(reverse("portal:login"), {"phone": PHONE, "code": code})
    assert en.session.session_key != before
    assert en.session[phone_login.SESSION_KEY]["index"] == crypto.blind_index(PHONE)
    # The number itself is not in the session.
    assert PHONE not in str(dict(en.session))


def test_services_rate_needs_the_portal_to_vouch(w):
    case = w.to_resolved(reporter_phone=PHONE)
    from gongzhi.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.rate(case=case, actor=None, score="satisfied", solved=True)
