"""QR codes and the public address they carry: one maker for every QR the site prints (the building posters of the
portal, the check-in sheet of a meeting in the console), so each interface reuses it instead of copying it."""

from __future__ import annotations

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


def qr_data_uri(url: str) -> str:
    # Error correction M survives a scuffed sticker; a 4-module quiet zone as the standard asks.
    return str(segno.make(url, error="m", micro=False).svg_data_uri(scale=10, border=4, dark="#000", light="#fff"))
