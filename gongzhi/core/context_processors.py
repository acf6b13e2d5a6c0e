from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, Any]:
    # Not `site_name`: auth's LoginView sets that to the request's host.
    return {"gongzhi_site_name": settings.GONGZHI_SITE_NAME, "map_tile_url": settings.GONGZHI_MAP_TILE_URL}
