"""What the maps draw when there is no tile server: the base layer of named places, as GeoJSON.

Every map in gongzhi works on an air-gapped network, so its background is ours: community boundaries with their
names, and — as the map is zoomed in — the compounds and then the buildings, with their names. All of it is public
knowledge (the names are on the gates and on the QR posters; no personal data, no QR token).

Shipping it all at once would not do: a district has hundreds of compounds and thousands of buildings (the demo
district: 17 communities, 288 compounds, 1,972 buildings; a large one ten times that), and a boundary from a survey
has thousands of vertices. So:

- the areas (communities) come in one answer, their boundaries simplified to ``SIMPLIFY_M`` and rounded to 6
  decimals, each with a label point inside it;
- compounds and buildings come by map tile (Web Mercator, as Leaflet numbers them), compounds by tiles of zoom
  ``LAYERS["compounds"]`` (shown from map zoom 13), buildings by tiles of zoom ``LAYERS["buildings"]`` (shown from
  map zoom 15), at most ``MAX_PLACES`` each; a tile is about 4.2 km (compounds) or 2.1 km (buildings) across at
  30°N, so a phone's view needs at most about eight small answers (a desktop's about twelve) that browsers and
  proxies can cache.

Sizes are measured in grid/tests/test_mapdata.py.
"""

from __future__ import annotations

from typing import Any

from gongzhi.grid import geo, roles
from gongzhi.grid.models import Building, Compound, GridNode

AREA_LEVEL = roles.COMMUNITY
SIMPLIFY_M = 2.0  # below a pixel from zoom 16 on (2.4 m/px at 30°N), invisible before
LAYERS = {"compounds": 13, "buildings": 14}
# Map zooms from which the browser asks for each layer (gongzhi-map.js keeps the same numbers).
SHOWN_FROM = {"compounds": 13, "buildings": 15}
MAX_PLACES = 800


def _label_point(node: GridNode) -> list[float] | None:
    if node.centroid_lat is not None and node.centroid_lon is not None:
        return [round(node.centroid_lat, 6), round(node.centroid_lon, 6)]
    try:
        lat, lon = geo.centroid(node.boundary or {})
    except geo.BoundaryError:
        return None
    return [round(lat, 6), round(lon, 6)]


def areas(jurisdiction_id: int, level: str = AREA_LEVEL) -> dict[str, Any]:
    """The jurisdiction's nodes of one level (communities) that have a boundary: simplified, named, labelled."""
    features = []
    nodes = (
        GridNode.objects.filter(jurisdiction_id=jurisdiction_id, level=level, boundary__isnull=False)
        .order_by("path")
        .only("pk", "name", "level", "boundary", "centroid_lat", "centroid_lon")
    )
    for node in nodes:
        try:
            geometry = geo.simplified(node.boundary or {}, SIMPLIFY_M)
        except geo.BoundaryError:
            continue  # a broken boundary is refused where it is written; never break the map over one
        features.append(
            {
                "type": "Feature",
                "id": node.pk,
                "geometry": geometry,
                "properties": {"id": node.pk, "name": node.name, "level": node.level, "label": _label_point(node)},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def places(jurisdiction_id: int, layer: str, zoom: int, x: int, y: int) -> dict[str, Any]:
    """The compounds or buildings inside one tile, as named points. ValueError for a layer, zoom or tile that the
    maps never ask for (the view answers 404)."""
    if LAYERS.get(layer) != zoom:
        raise ValueError(f"no layer {layer!r} at zoom {zoom}")
    south, west, north, east = geo.tile_bounds(zoom, x, y)
    model = Compound if layer == "compounds" else Building
    rows = model.objects.filter(
        jurisdiction_id=jurisdiction_id, lat__gte=south, lat__lt=north, lon__gte=west, lon__lt=east
    ).order_by("code")
    if model is Building:
        rows = rows.select_related("compound").only("pk", "name", "lat", "lon", "compound__name")
    else:
        rows = rows.only("pk", "name", "lat", "lon")
    found = list(rows[: MAX_PLACES + 1])
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [round(p.lon, 6), round(p.lat, 6)]},
            "properties": _place_names(p),
        }
        for p in found[:MAX_PLACES]
    ]
    return {"type": "FeatureCollection", "features": features, "truncated": len(found) > MAX_PLACES}


def _place_names(place: Compound | Building) -> dict[str, str]:
    """``name`` in full (锦绣花园3栋); ``short`` for a label beside its compound's own (3栋)."""
    if isinstance(place, Compound):
        return {"name": place.name, "short": place.name}
    full = str(place)
    compound = place.compound.name if place.compound_id and place.compound else ""
    short = place.name[len(compound) :].strip() if compound and place.name.startswith(compound) else place.name
    return {"name": full, "short": short or place.name}
