"""Posters made where residents cannot reach the site say so (issue 24, item 12): without GONGZHI_PUBLIC_URL the
codes carry the address the page was opened at, and 127.0.0.1 or a private address is useless on a resident's phone.
The posters page warns, and every page of the PDF carries a "do not put up" line."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from gongzhi.portal import posters
from gongzhi.portal.tests.test_posters import _weasyprint_loads  # noqa: F401 - skips without Pango

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("base", "warned"),
    [
        ("http://127.0.0.1:8000", "127.0.0.1:8000"),
        ("http://localhost:8000", "localhost:8000"),
        ("http://[::1]:8000", "[::1]:8000"),
        ("http://10.2.3.4", "10.2.3.4"),
        ("http://192.168.1.10:8000", "192.168.1.10:8000"),
        ("http://172.16.0.9", "172.16.0.9"),
        ("http://169.254.10.1", "169.254.10.1"),
        ("http://0.0.0.0:8000", "0.0.0.0:8000"),
        ("https://gz.example.gov.cn", ""),
        ("http://114.114.114.114", ""),
        ("http://gz-intranet", ""),  # a name: it may well resolve for residents
    ],
)
def test_unreachable_hosts(base, warned):
    assert posters.unreachable_host(base) == warned


@pytest.fixture
def staff(client, w, settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1", "192.168.1.10", "gz.example.gov.cn", "testserver"]
    settings.GONGZHI_PUBLIC_URL = ""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(w.dispatcher)
    return client


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "192.168.1.10"])
def test_the_posters_page_warns_on_a_local_address(staff, w, host):
    html = staff.get(reverse("portal:posters", args=[w.community.pk]), HTTP_HOST=host).content.decode()
    assert 'id="unreachable-warning"' in html
    assert f"These codes would lead to {host}" in html and "GONGZHI_PUBLIC_URL" in html


def test_no_warning_with_a_public_address_set_or_used(staff, w, settings):
    url = reverse("portal:posters", args=[w.community.pk])
    assert 'id="unreachable-warning"' not in staff.get(url, HTTP_HOST="gz.example.gov.cn").content.decode()
    settings.GONGZHI_PUBLIC_URL = "https://gz.example.gov.cn"
    assert 'id="unreachable-warning"' not in staff.get(url, HTTP_HOST="127.0.0.1").content.decode()


@pytest.mark.parametrize("layout", ["poster", "sheet"])
def test_every_pdf_page_says_do_not_put_up(staff, w, layout):
    response = staff.get(
        reverse("portal:poster_node", args=[w.community.pk]) + f"?layout={layout}", HTTP_HOST="127.0.0.1:8000"
    )
    assert response.status_code == 200
    pages = PdfReader(io.BytesIO(response.content)).pages
    for page in pages:
        text = " ".join(page.extract_text().split())
        assert "Test print: these codes lead to 127.0.0.1:8000" in text and "Do not put them up" in text


def test_a_pdf_with_the_public_address_has_no_such_line(staff, w, settings):
    settings.GONGZHI_PUBLIC_URL = "https://gz.example.gov.cn"
    response = staff.get(reverse("portal:poster_building", args=[w.building.pk]), HTTP_HOST="127.0.0.1")
    assert "Test print" not in PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
