from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gongzhi.routing import similarity
from gongzhi.routing.tests.labelled import AT, DUPLICATES, found_duplicate, precision_recall


def test_duplicates_without_a_model_are_stricter():
    precision, recall = precision_recall([(found_duplicate(a, b), same) for a, b, same in DUPLICATES])
    print(f"duplicates (text only): {len(DUPLICATES)} pairs, precision {precision:.3f}, recall {recall:.3f}")
    assert precision >= 0.75


def test_far_away_or_other_node_is_no_duplicate():
    text = "3号楼门口的路灯不亮了"
    far = similarity.Candidate(1, text, AT, 30.01, 120.0)  # ~1.1 km north
    assert similarity.duplicates(text, [far], lat=30.0, lon=120.0, max_distance_m=300) == []
    same_node = similarity.Candidate(2, text, AT, node_id=7)
    other_node = similarity.Candidate(3, text, AT, node_id=8)
    found = similarity.duplicates(text, [same_node, other_node], node_id=7)
    assert [(m.case_id, m.similarity, m.distance_m) for m in found] == [(2, 1.0, None)]


def test_distance_is_haversine_metres():
    assert abs(similarity.distance_m(30.0, 120.0, 30.001, 120.0) - 111.19) < 0.1


def test_chinese_numerals_match_digits():
    assert similarity.cosine(similarity.vector("三号楼路灯"), similarity.vector("3号楼路灯")) > 0.99


def test_clusters_group_similar_texts_within_a_group():
    texts = [
        "东门垃圾桶满了没人收",
        "东门垃圾桶满了好几天没人收",
        "东门的垃圾桶又满了没人收",
        "3号楼路灯不亮",
        "西门井盖丢了",
    ]
    items = [
        similarity.Item(i, t, AT + timedelta(hours=i), "sanitation.uncollected" if i < 3 else "x")
        for i, t in enumerate(texts)
    ]
    found = similarity.clusters(items)
    assert [[item.case_id for item in c.items] for c in found] == [[0, 1, 2]]
    keywords = found[0].keywords()
    # Whole words the reports share, not character pairs that straddle two words (圾桶, 了没).
    assert {"垃圾桶", "东门"} <= set(keywords) and all(len(k) >= 2 for k in keywords)
    assert not {"圾桶", "了没", "满了"} & set(keywords)


@given(st.text(max_size=80), st.text(max_size=80))
def test_cosine_is_symmetric_and_bounded(a, b):
    va, vb = similarity.vector(a), similarity.vector(b)
    assert abs(similarity.cosine(va, vb) - similarity.cosine(vb, va)) < 1e-9
    assert -1e-9 <= similarity.cosine(va, vb) <= 1 + 1e-9


def _destination(lat: float, lon: float, bearing_deg: float, metres: float) -> tuple[float, float]:
    """The point ``metres`` from (lat, lon) along ``bearing_deg`` on the same sphere as similarity.distance_m."""
    import math

    d = metres / similarity.EARTH_RADIUS_M
    p1, l1, b = math.radians(lat), math.radians(lon), math.radians(bearing_deg)
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
    l2 = l1 + math.atan2(math.sin(b) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2))
    return math.degrees(p2), math.degrees(l2)


# A point, and another in a random direction at a share of the search distance from it.
_WAY = {"lon": st.floats(-179, 179), "bearing": st.floats(0, 360), "share": st.floats(0, 0.999)}


@given(lat=st.floats(-75, 75), distance=st.floats(10, 5_000), **_WAY)
def test_the_search_box_holds_every_point_within_the_distance(lat, lon, bearing, distance, share):
    from gongzhi.routing.services import search_box

    lat_span, lon_span = search_box(lat, distance)
    other_lat, other_lon = _destination(lat, lon, bearing, distance * share)
    assert similarity.distance_m(lat, lon, other_lat, other_lon) <= distance
    assert abs(other_lat - lat) <= lat_span and abs(other_lon - lon) <= lon_span


def test_the_search_box_is_no_bigger_than_needed():
    from gongzhi.routing.services import search_box

    for lat in (18.25, 30.5, 52.97):  # Sanya, Chengdu, Mohe
        lat_span, lon_span = search_box(lat, 300)
        north = similarity.distance_m(lat, 120.0, lat + lat_span, 120.0)
        east = similarity.distance_m(lat, 120.0, lat, 120.0 + lon_span)
        assert 300 <= north < 303 and 300 <= east < 303, (lat, north, east)


@given(lat=st.floats(-60, 60), distance=st.floats(10, 500), **_WAY)
def test_the_cells_around_a_point_hold_every_point_of_its_search_box(lat, lon, bearing, distance, share):
    from gongzhi.routing.services import search_box

    lat_span, lon_span = search_box(lat, distance)
    cells = similarity.cells_around(lat, lon, lat_span, lon_span)
    assert cells is not None and len(cells) == len(set(cells)) <= similarity.MAX_CELLS
    assert similarity.cell_of(lat, lon) in cells
    other = _destination(lat, lon, bearing, distance * share)
    assert similarity.cell_of(*other) in cells
    corner = (lat + lat_span * (1 if bearing < 180 else -1), lon + lon_span * (1 if 90 < bearing < 270 else -1))
    assert similarity.cell_of(*corner) in cells


def test_cells_are_about_half_a_kilometre_and_a_wide_search_reads_the_window():
    here = similarity.cell_of(30.5012, 104.0012)
    assert similarity.cell_of(30.5012 + 0.003, 104.0012 + 0.003) == here  # ~330 m north, ~290 m east: same cell
    assert similarity.cell_of(30.5012, 104.0012 + 0.005) == here + 1
    assert similarity.cell_of(30.5012 + 0.005, 104.0012) == here + 100_000
    assert similarity.cell_of(30.5012 - 0.005, 104.0012 - 0.005) == here - 100_001
    assert similarity.cells_around(30.5, 104.0, 0.05, 0.05) is None  # 21 × 21 cells: more than MAX_CELLS


@pytest.mark.django_db
def test_the_migration_fills_the_cells_of_earlier_records():
    from importlib import import_module
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection
    from django.utils import timezone

    from gongzhi.routing.models import CaseTriage

    made = [
        CaseTriage.objects.create(case_id=i, jurisdiction_id=1, submitted_at=timezone.now(), text="x", lat=lat, lon=lon)
        for i, (lat, lon) in enumerate([(30.5734, 104.0665), (52.97, 122.53), (None, None), (-33.9, 151.2)], start=1)
    ]
    assert all(row.cell is None for row in made)
    migration = import_module("gongzhi.routing.migrations.0002_triage_cells")
    migration.fill_cells(apps, SimpleNamespace(connection=connection))
    cells = dict(CaseTriage.objects.values_list("case_id", "cell"))
    for row in made:
        expected = None if row.lat is None else similarity.cell_of(row.lat, row.lon)
        assert cells[row.case_id] == expected
