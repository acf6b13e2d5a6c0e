from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, Any]:
    return {"site_name": settings.GONGZHI_SITE_NAME, "map_tile_url": settings.GONGZHI_MAP_TILE_URL}
