"""The duplicate finder reads a bounded number of earlier reports, the newest close by, across every map cell the
search box touches: a burst at one spot costs a new report no more than a quiet spot does."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gongzhi.core import timeutil
from gongzhi.routing import services, similarity
from gongzhi.routing.models import CaseTriage

pytestmark = pytest.mark.django_db

TEXT = "东门垃圾桶满了好几天没人收"
LIMITS = services.Thresholds(
    auto_confidence=0.9, duplicate_distance_m=300, duplicate_window_hours=24, duplicate_similarity=0.35
)
# Two points 22 m apart on either side of a cell edge (cells are 0.005° high; the edge is at latitude 30.005).
SOUTH, NORTH = (30.0049, 104.06), (30.0051, 104.06)


def _triage(case_id: int, at, point, text: str = TEXT, jurisdiction_id: int = 7) -> CaseTriage:
    lat, lon = point
    return CaseTriage(
        case_id=case_id,
        jurisdiction_id=jurisdiction_id,
        submitted_at=at,
        text=text,
        lat=lat,
        lon=lon,
        cell=similarity.cell_of(lat, lon),
    )


def _found(now, point=SOUTH, jurisdiction_id: int = 7) -> list[int]:
    lat, lon = point
    matches = services.duplicate_candidates(
        jurisdiction_id=jurisdiction_id, text=TEXT, at=now, lat=lat, lon=lon, node_id=None, limits=LIMITS
    )
    return [m.case_id for m in matches]


def test_the_newest_reports_of_every_cell_nearby_are_compared_and_no_more():
    assert similarity.cell_of(*SOUTH) != similarity.cell_of(*NORTH)
    now = timeutil.now()
    pile = services.DUPLICATE_CANDIDATES + 50
    # A pile of identical reports in the southern cell, case ids rising with time; the newest report of all is one
    # in the northern cell with the lowest case id. Equal similarity: matches come in case-id order.
    rows = [_triage(1000 + i, now - timedelta(minutes=300 - i), SOUTH) for i in range(pile)]
    rows.append(_triage(1, now - timedelta(minutes=1), NORTH))
    # Elsewhere: another jurisdiction at the same spot, and a report outside the window.
    rows.append(_triage(2, now - timedelta(minutes=2), SOUTH, jurisdiction_id=8))
    rows.append(_triage(3, now - timedelta(hours=25), SOUTH))
    CaseTriage.objects.bulk_create(rows)

    # Compared: the northern report and the newest DUPLICATE_CANDIDATES - 1 of the pile, never the older ones however
    # similar, nor the other jurisdiction's or the one out of the window.
    oldest_compared = 1000 + pile - (services.DUPLICATE_CANDIDATES - 1)
    assert _found(now) == [1, oldest_compared, oldest_compared + 1, oldest_compared + 2, oldest_compared + 3]


def test_one_read_however_many_cells_and_reports():
    now = timeutil.now()
    CaseTriage.objects.bulk_create(_triage(1000 + i, now - timedelta(minutes=i + 1), SOUTH) for i in range(20))
    with CaptureQueriesContext(connection) as queries:
        found = _found(now, NORTH)
    assert found == [1000, 1001, 1002, 1003, 1004]
    assert len(queries.captured_queries) == 1
    sql = queries.captured_queries[0]["sql"]
    # Each cell's read stops at the newest few (walking index case_triage_nearby), and so does their union.
    assert sql.count(f"LIMIT {services.DUPLICATE_CANDIDATES}") == sql.count("cell = ") + 1 >= 3


def test_no_place_means_the_same_grid_node_and_still_the_newest_few():
    now = timeutil.now()
    rows = [
        CaseTriage(
            case_id=500 + i, jurisdiction_id=7, submitted_at=now - timedelta(minutes=200 - i), text=TEXT, node_id=9
        )
        for i in range(services.DUPLICATE_CANDIDATES + 10)
    ]
    rows.append(CaseTriage(case_id=1, jurisdiction_id=7, submitted_at=now, text=TEXT, node_id=10))
    CaseTriage.objects.bulk_create(rows)
    matches = services.duplicate_candidates(
        jurisdiction_id=7, text=TEXT, at=now, lat=None, lon=None, node_id=9, limits=LIMITS
    )
    assert [m.case_id for m in matches] == [510, 511, 512, 513, 514]
