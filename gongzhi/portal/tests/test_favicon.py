"""gongzhi has an icon of its own (issue 24, item 14), linked from every base template — resident pages, the console
and its login, the admin, the error pages — and served at /favicon.ico for the tools that ask there."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from PIL import Image

pytestmark = pytest.mark.django_db
ICONS = Path(settings.BASE_DIR) / "static" / "icons"


def assert_icon_linked(html: str) -> None:
    assert 'rel="icon" href="/static/icons/favicon.svg" type="image/svg+xml"' in html
    assert 'href="/static/icons/favicon-32.png"' in html and 'rel="apple-touch-icon"' in html


@pytest.mark.parametrize("url", ["portal:home", "accounts:login", "admin:login"])
def test_pages_link_the_icon(client, w, url):
    assert_icon_linked(client.get(reverse(url)).content.decode())


def test_the_console_and_error_pages_link_it(client, w):
    client.force_login(w.dispatcher)
    assert_icon_linked(client.get(reverse("console:cases")).content.decode())
    assert_icon_linked(client.get("/console/cases/999999/").content.decode())  # 404 page
    assert_icon_linked(render_to_string("500.html"))


def test_the_icon_files_are_real_pictures():
    assert (ICONS / "favicon.svg").read_text(encoding="utf-8").startswith("<svg")
    for name, size in (("favicon-32.png", (32, 32)), ("apple-touch-icon.png", (180, 180))):
        with Image.open(ICONS / name) as image:
            assert (image.format, image.size) == ("PNG", size)
    with Image.open(ICONS / "favicon.ico") as ico:
        assert ico.format == "ICO" and (16, 16) in ico.info["sizes"] and (32, 32) in ico.info["sizes"]


def test_favicon_ico_is_served_from_static_files(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"] == "/static/icons/favicon.ico"
    assert "max-age=86400" in response["Cache-Control"]
