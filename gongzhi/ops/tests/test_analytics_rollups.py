"""Analytics × simulator: after simulated weeks of the demo district through the real services, the rollups (drained
several times along the way) equal the figures recomputed from the raw cases — overall, per street and per month."""

from datetime import timedelta

import pytest

from gongzhi.analytics import formulas as f
from gongzhi.analytics import rollup, selectors
from gongzhi.analytics.models import CaseFact, Rollup
from gongzhi.cases import catalogue
from gongzhi.cases import figures as case_figures
from gongzhi.cases.models import Case
from gongzhi.grid import demo
from gongzhi.grid.models import GridNode
from gongzhi.ops.simulate import Simulation

pytestmark = [pytest.mark.django_db(transaction=False), pytest.mark.slow]


def test_rollups_equal_raw_figures_after_a_long_simulation():
    jurisdiction = demo.build_demo(password="demo-pass-123").jurisdiction
    catalogue.seed(jurisdiction=jurisdiction)
    sim = Simulation(jurisdiction, months=2, seed=8)
    sim.end = sim.start + timedelta(days=40)
    # Drain the rollups every simulated week, as the worker would, while cases are still moving.
    original = sim._play_until
    days_seen = {"n": 0}

    def play_and_drain(hour_end, *args, **kwargs):
        more = original(hour_end, *args, **kwargs)
        if hour_end.hour == 0 and (hour_end - sim.start).days % 7 == 0 and days_seen["n"] != hour_end.date():
            days_seen["n"] = hour_end.date()
            rollup.catch_up(batch=700)
        return more

    sim._play_until = play_and_drain
    sim.run()
    rollup.catch_up(batch=700)
    root = GridNode.objects.get(jurisdiction=jurisdiction, parent__isnull=True)
    cases = Case.objects.filter(jurisdiction=jurisdiction)
    assert cases.count() > 1500
    statuses = set(cases.values_list("status", flat=True))
    assert {"closed", "merged", "resolved"} <= statuses
    assert cases.filter(rework_count__gt=0).exists()
    assert cases.filter(events__kind="held").exists()

    # Whole district: rollups == the same formulas over the raw cases == the engine's own figures.
    from_rollups = selectors.counts(node=root)
    assert from_rollups == f.as_dict(rollup.raw_counts(cases.values_list("pk", flat=True)))
    fig, raw = f.figures(from_rollups), case_figures.headline(cases)
    for key in ("received", "handled", "resolved", "closed", "rated", "completion_rate", "response_rate"):
        assert fig[key] == raw[key], key
    for key in ("solved_rate", "satisfaction_rate", "on_time_rate", "rework_rate", "on_the_spot_rate"):
        assert fig[key] == raw[key], key
    assert fig["overdue"] == raw["overdue_open"]
    assert fig["share_street"] == raw["level_721"]["street"]
    assert fig["share_district"] == raw["level_721"]["district"]

    # Per street (subtree by path prefix) and per month of submission.
    for street_id, counted in selectors.by_child(node=root).items():
        street = GridNode.objects.get(pk=street_id)
        in_street = cases.filter(grid_node__path__startswith=street.path)
        assert counted == f.as_dict(rollup.raw_counts(in_street.values_list("pk", flat=True))), street.name
    months = selectors.series(
        node=root, period=Rollup.MONTH, since=sim.start.date().replace(day=1), until=sim.end.date() + timedelta(days=31)
    )
    assert len(months) >= 2
    assert sum(c["received"] for _m, c in months) == cases.count()
    # Every node at every level is one exact lookup of its own rows, equal to the formulas over its subtree's cases.
    for node in GridNode.objects.filter(jurisdiction=jurisdiction, level__in=("community", "micro_grid"))[:12]:
        in_node = cases.filter(grid_node__path__startswith=node.path)
        assert selectors.counts(node=node) == f.as_dict(rollup.raw_counts(in_node.values_list("pk", flat=True)))

    # And a rebuild from scratch lands on exactly the same rows: the bulk SQL build (the default) and refresh() in
    # chunks, facts and rollups both.
    def snapshot():
        rows = Rollup.objects.exclude(received=0).values_list("period", "start", "node_id", "dim", "key", *f.COUNTERS)
        facts = CaseFact.objects.values_list("case_id", "day", "node_id", "category_id", "channel", "unit", *f.COUNTERS)
        return sorted(rows), sorted(facts)

    incremental = snapshot()
    assert len(incremental[1]) == cases.count()
    assert rollup.rebuild() == cases.count()
    assert snapshot() == incremental
    rollup.rebuild(bulk_sql=False)
    assert snapshot() == incremental
