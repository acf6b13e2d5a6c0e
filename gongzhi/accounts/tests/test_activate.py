"""The activation link of a new account (a steward appointed in the console): a bad or spent link is a 400 page,
never a 500; a good one sets the password once, and the account then logs in; an expired one is refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from gongzhi.accounts.models import User

pytestmark = pytest.mark.django_db
PASSWORD = "hongse-guanjia-2026"


@pytest.fixture(autouse=True)
def _fast_hashes(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def new_user():
    user = User(username="gj0042", display_name="刘红梅")
    user.set_unusable_password()
    user.save()
    return user


def _link(user) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse("accounts:activate", args=[uid, default_token_generator.make_token(user)])


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/activate/xx/yy/",
        "/accounts/activate/%%%%/abc-def/",
        "/accounts/activate/MTIzNDU2Nzg5/1-2/",  # a user that does not exist
        "/accounts/activate/OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5/abc/",  # an id past every integer column
    ],
)
def test_a_bad_link_is_a_400_page(client, new_user, path):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = client.get(path)
    assert response.status_code == 400 and "not valid" in response.content.decode()
    assert client.post(path, {"new_password1": PASSWORD, "new_password2": PASSWORD}).status_code == 400
    new_user.refresh_from_db()
    assert not new_user.has_usable_password()


def test_the_link_sets_the_password_once_then_login_works(client, new_user):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    path = _link(new_user)
    page = client.get(path)
    assert page.status_code == 200 and "gj0042" in page.content.decode()
    assert page["Referrer-Policy"] == "same-origin" and "no-store" in page["Cache-Control"]
    assert client.post(path, {"new_password1": PASSWORD, "new_password2": "different-2026"}).status_code == 400
    assert client.post(path, {"new_password1": "12345678901", "new_password2": "12345678901"}).status_code == 400
    new_user.refresh_from_db()
    assert not new_user.has_usable_password()
    done = client.post(path, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert done.status_code == 302 and done["Location"] == reverse("accounts:login")
    # The link is spent: the token depended on the old (unusable) password.
    assert client.get(path).status_code == 400
    assert (
        client.post(path, {"new_password1": "other-pass-2026x", "new_password2": "other-pass-2026x"}).status_code == 400
    )
    login = client.post(reverse("accounts:login"), {"username": "gj0042", "password": PASSWORD})
    assert login.status_code == 302
    new_user.refresh_from_db()
    assert new_user.check_password(PASSWORD)


def test_an_expired_link_is_refused(client, new_user, settings):
    path = _link(new_user)
    settings.PASSWORD_RESET_TIMEOUT = 60
    from unittest import mock

    later = default_token_generator._now() + timedelta(seconds=120)
    with mock.patch.object(default_token_generator, "_now", return_value=later):
        assert client.get(path).status_code == 400
