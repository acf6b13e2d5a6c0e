"""The base layer of every map (grid.mapdata): public, cacheable GeoJSON of named places. Thin views."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from gongzhi.grid import mapdata

CACHE = "public, max-age=300"


def _json(data: dict, status: int = 200) -> JsonResponse:  # type: ignore[type-arg]
    response = JsonResponse(data, status=status)
    if status == 200:
        response["Cache-Control"] = CACHE
    return response


@require_GET
def map_areas(request: HttpRequest, jurisdiction_id: int) -> JsonResponse:
    """Community boundaries with their names and label points: the base layer (works without any tile server)."""
    return _json(mapdata.areas(jurisdiction_id))


@require_GET
def map_places(request: HttpRequest, jurisdiction_id: int, layer: str, z: int, x: int, y: int) -> JsonResponse:
    """The compounds or buildings of one map tile, named (no personal data, no QR token)."""
    try:
        return _json(mapdata.places(jurisdiction_id, layer, z, x, y))
    except ValueError:
        return _json({"error": "no such tile"}, status=404)
