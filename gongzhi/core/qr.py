"""QR codes and the public address they lead to, for every printed page residents scan: the building posters
(``portal.posters``) and the deliberation notices (``console.deliberation_print``). Interfaces may not import each
other, so the helpers live here, once.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

import segno
from django.conf import settings
from django.http import HttpRequest


def base_url(request: HttpRequest | None = None) -> str:
    """Where residents reach the site: GONGZHI_PUBLIC_URL, else the address the request came in on."""
    if settings.GONGZHI_PUBLIC_URL:
        return str(settings.GONGZHI_PUBLIC_URL)
    if request is None:
        raise ValueError("set GONGZHI_PUBLIC_URL to make posters outside a request")
    return request.build_absolute_uri("/").rstrip("/")


def unreachable_host(base: str) -> str:
    """The host of ``base`` when residents' phones cannot reach it — this computer (127.0.0.1, localhost) or a private
    network (10.x, 192.168.x …) — else "". Posters made so need GONGZHI_PUBLIC_URL set before they are printed."""
    host = urlsplit(base).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return urlsplit(base).netloc
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return ""
    local = address.is_loopback or address.is_private or address.is_link_local or address.is_unspecified
    return urlsplit(base).netloc if local else ""


def qr_data_uri(url: str) -> str:
    # Error correction M survives a scuffed sticker; a 4-module quiet zone as the standard asks.
    return str(segno.make(url, error="m", micro=False).svg_data_uri(scale=10, border=4, dark="#000", light="#fff"))
