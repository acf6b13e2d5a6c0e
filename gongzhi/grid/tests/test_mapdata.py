"""The maps' base layer (grid.mapdata and its public views): areas simplified and labelled, places by tile, sizes."""

from __future__ import annotations

import json
import math
import time

import pytest
from django.test import Client
from django.urls import reverse

from gongzhi.grid import geo, mapdata, roles
from gongzhi.grid.models import Building, Compound, GridNode
from gongzhi.grid.tests.factories import BuildingFactory, CompoundFactory, make_tree

pytestmark = pytest.mark.django_db


def _size(data) -> int:
    return len(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode())


def test_tiles_hold_their_points():
    for lat, lon in ((30.57, 104.06), (39.9, 116.4), (22.5, 114.05)):
        for zoom in (13, 14):
            south, west, north, east = geo.tile_bounds(zoom, *geo.tile_of(lat, lon, zoom))
            assert south <= lat < north and west <= lon < east
    with pytest.raises(ValueError, match="no tile 13/8192/0"):
        geo.tile_bounds(13, 1 << 13, 0)


def test_a_surveyed_boundary_is_simplified_and_keeps_its_shape():
    # A round community 1 km across drawn with a vertex every metre or so, as survey data often is.
    ring = [
        [104.0 + 0.005 * math.cos(2 * math.pi * i / 3000), 30.6 + 0.0045 * math.sin(2 * math.pi * i / 3000)]
        for i in range(3000)
    ]
    boundary = {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}
    light = geo.simplified(boundary, mapdata.SIMPLIFY_M)
    assert len(light["coordinates"][0]) < 300
    assert _size(light) < _size(boundary) / 10
    before, after = geo.geometry_from_geojson(boundary), geo.geometry_from_geojson(light)
    assert before.symmetric_difference(after).area / before.area < 0.002


def test_areas_are_the_communities_named_with_a_label_inside():
    root = make_tree(2)
    community = GridNode.objects.filter(jurisdiction=root.jurisdiction, level=roles.COMMUNITY).first()
    community.name = "<b>幸福</b>社区"
    community.save(update_fields=["name"])
    data = mapdata.areas(root.jurisdiction_id)
    assert len(data["features"]) == 4
    named = next(f for f in data["features"] if f["id"] == community.pk)
    assert named["properties"]["name"] == "<b>幸福</b>社区"  # data, not markup: the browser shows it as text
    lat, lon = named["properties"]["label"]
    assert geo.geometry_from_geojson(named["geometry"]).contains(geo.shapely.Point(lon, lat))


def test_places_come_by_tile_without_tokens_and_bad_tiles_are_404():
    root = make_tree(2)
    micro = GridNode.objects.filter(jurisdiction=root.jurisdiction, level=roles.MICRO_GRID).first()
    lon, lat = micro.boundary["coordinates"][0][0]
    lat, lon = lat + 0.001, lon + 0.001
    compound = CompoundFactory(jurisdiction=root.jurisdiction, node=micro, name="锦绣花园", lat=lat, lon=lon)
    building = BuildingFactory(
        jurisdiction=root.jurisdiction, node=micro, compound=compound, name="锦绣花园3栋", lat=lat, lon=lon
    )
    client = Client()
    for layer, zoom, name, short in (
        ("compounds", 13, "锦绣花园", "锦绣花园"),
        ("buildings", 14, "锦绣花园3栋", "3栋"),
    ):
        x, y = geo.tile_of(lat, lon, zoom)
        url = reverse("portal:map_places", args=[root.jurisdiction_id, layer, zoom, x, y])
        response = client.get(url)
        assert response.status_code == 200 and response["Cache-Control"] == "public, max-age=300"
        data = response.json()
        assert [f["properties"] for f in data["features"]] == [{"name": name, "short": short}]
        assert data["truncated"] is False
        assert building.public_token not in response.content.decode()
        # The next tile east holds nothing.
        empty = client.get(reverse("portal:map_places", args=[root.jurisdiction_id, layer, zoom, x + 1, y])).json()
        assert empty["features"] == []
    for args in (("buildings", 13, 0, 0), ("streets", 13, 0, 0), ("compounds", 13, 1 << 13, 0)):
        response = client.get(reverse("portal:map_places", args=[root.jurisdiction_id, *args]))
        assert response.status_code == 404 and "Cache-Control" not in response


def test_a_crowded_tile_is_cut_and_says_so(monkeypatch):
    root = make_tree(1)
    micro = GridNode.objects.filter(jurisdiction=root.jurisdiction, level=roles.MICRO_GRID).first()
    lon, lat = micro.boundary["coordinates"][0][0]
    for i in range(5):
        BuildingFactory(jurisdiction=root.jurisdiction, node=micro, lat=lat + 0.0001 * (i + 1), lon=lon + 0.0001)
    monkeypatch.setattr(mapdata, "MAX_PLACES", 3)
    data = mapdata.places(root.jurisdiction_id, "buildings", 14, *geo.tile_of(lat + 0.0003, lon + 0.0001, 14))
    assert len(data["features"]) == 3 and data["truncated"] is True


def test_sizes_on_the_demo_district(capsys):
    """What a browser loads for the demo district (17 communities, 288 compounds, 1,972 buildings)."""
    from gongzhi.grid import demo

    demo.build_demo(password="x" * 12)
    jurisdiction_id = GridNode.objects.get(level=roles.DISTRICT).jurisdiction_id
    raw = sum(_size(n.boundary) for n in GridNode.objects.filter(level=roles.COMMUNITY).exclude(boundary__isnull=True))
    began = time.perf_counter()
    areas = mapdata.areas(jurisdiction_id)
    areas_ms = (time.perf_counter() - began) * 1000
    report = {"areas": _size(areas), "areas_raw_boundaries": raw, "areas_ms": round(areas_ms, 1)}
    for layer, zoom in mapdata.LAYERS.items():
        model = Compound if layer == "compounds" else Building
        tiles = {geo.tile_of(p.lat, p.lon, zoom) for p in model.objects.all()}
        sizes, counts, took = [], [], []
        for x, y in tiles:
            began = time.perf_counter()
            data = mapdata.places(jurisdiction_id, layer, zoom, x, y)
            took.append((time.perf_counter() - began) * 1000)
            sizes.append(_size(data))
            counts.append(len(data["features"]))
            assert not data["truncated"]
        assert sum(counts) == model.objects.count()
        report[layer] = {
            "tiles": len(tiles),
            "max_places": max(counts),
            "max_bytes": max(sizes),
            "all_bytes": sum(sizes),
            "median_ms": round(sorted(took)[len(took) // 2], 2),
            "max_ms": round(max(took), 1),
        }
    with capsys.disabled():
        print(f"\nbase layer of the demo district: {json.dumps(report, ensure_ascii=False)}")
    assert report["areas"] < 12_000
    assert report["compounds"]["max_bytes"] < 20_000
    assert report["buildings"]["max_bytes"] < 30_000
