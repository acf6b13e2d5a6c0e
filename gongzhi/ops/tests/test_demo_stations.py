"""The demo's stations: the practice's proportions (a tier-1 centre per street, a tier-2 station per community,
stewards' points in the largest compounds), items against the tier requirements, hours, rota, matters that file into
errand categories of the demo catalogue, two weeks of visitors; idempotent."""

from __future__ import annotations

import pytest

from gongzhi.cases import catalogue
from gongzhi.cases.models import CaseCategory
from gongzhi.grid import demo
from gongzhi.ops import demo as demo_activity
from gongzhi.stations import selectors
from gongzhi.stations.models import DutyShift, Matter, OpeningHours, Station, Visit

pytestmark = pytest.mark.django_db


def test_demo_stations_in_the_practices_proportions():
    jurisdiction = demo.build_demo(password="demo-pass-123").jurisdiction
    catalogue.seed(jurisdiction=jurisdiction)
    assert demo_activity.service_points(jurisdiction) == 55
    tiers = {t: Station.objects.filter(tier=t).count() for t in (1, 2, 3)}
    assert tiers == {1: 4, 2: 17, 3: 34}
    assert set(Station.objects.filter(tier=1).values_list("node__level", flat=True)) == {"street"}
    assert set(Station.objects.filter(tier=2).values_list("node__level", flat=True)) == {"community"}
    assert set(Station.objects.filter(tier=3).values_list("kind", flat=True)) == {"steward_point"}
    required = selectors.requirements()
    stations = list(selectors.public_stations())
    assert all(s.has_point and s.items.exists() for s in stations)
    checks = [selectors.tier_check(s, required) for s in stations]
    assert any(c.meets for c in checks) and any(not c.meets for c in checks)  # the console has something to show
    assert all(OpeningHours.objects.filter(station=s).exists() for s in stations)
    assert DutyShift.objects.filter(station__tier=3).values("station").distinct().count() == 34
    assert Visit.objects.count() > 1000
    matters = list(Matter.objects.filter(jurisdiction=jurisdiction))
    assert len(matters) == 15
    errands = set(CaseCategory.objects.filter(jurisdiction=jurisdiction, kind="errand").values_list("code", flat=True))
    assert {m.category_code for m in matters} <= errands
    assert all(m.stations.exists() for m in matters if m.mode == "proxy")

    before = (Station.objects.count(), Visit.objects.count(), DutyShift.objects.count(), Matter.objects.count())
    assert demo_activity.service_points(jurisdiction) == 0
    assert (Station.objects.count(), Visit.objects.count(), DutyShift.objects.count(), Matter.objects.count()) == before
