"""Hand-built cases with every figure's exact value, through the real case services, and the rollups kept from their
events: reopened (reworked) cases, merged duplicates (one rated after the parent closed — a rating with no event),
held clocks, a case submitted in March and resolved in April, a rejected one, one solved on the spot, an overdue one,
one resolved by the street, and one in another community in April."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from gongzhi.accounts.tests.factories import UserFactory
from gongzhi.analytics import formulas as f
from gongzhi.analytics import rollup, selectors
from gongzhi.analytics.models import CaseFact, Rollup, RollupCursor
from gongzhi.cases import figures as case_figures
from gongzhi.cases import services
from gongzhi.cases.models import Case, CaseEvent, Rating
from gongzhi.cases.tests.factories import category, world
from gongzhi.grid.models import GridNode
from gongzhi.grid.tests.factories import BuildingFactory

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2025, 3, 31, 10, 0, tzinfo=SH)
MARCH, APRIL = date(2025, 3, 1), date(2025, 4, 1)


def h(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def rows_snapshot():
    fields = ["period", "start", "node_id", "dim", "key", *f.COUNTERS]
    return sorted(tuple(r) for r in Rollup.objects.exclude(received=0).values_list(*fields))


@pytest.fixture
def built():
    w = world()
    j = w.jurisdiction
    street_cat = category(j, "road.repair", level="street")
    resident2, neighbour, neighbour2 = UserFactory(), UserFactory(), UserFactory()
    ids = {}

    def pooled_accept(case, at_accept):
        services.triage(case=case, actor=w.dispatcher, category=w.category, at=case.submitted_at + timedelta(minutes=5))
        services.dispatch(
            case=case, actor=w.dispatcher, node=w.micro, pool=True, at=case.submitted_at + timedelta(minutes=10)
        )
        return services.accept(case=case, actor=w.steward, at=at_accept)

    # A: the plain closed loop, on time, rated 满意.
    a = w.submit(reporter=w.resident, at=h(0))
    pooled_accept(a, h(0.5))
    services.resolve(case=a, actor=w.steward, result="已清理", at=h(2))
    services.rate(case=a, actor=w.resident, score="satisfied", solved=True, at=h(3))
    ids["a"] = a.pk
    # B: accepted late, held four hours, resolved late across the month end (31 March → 1 April), not rated.
    b = w.submit(channel="hotline", at=h(0))
    services.triage(case=b, actor=w.dispatcher, category=w.category, at=h(0.1))
    services.dispatch(case=b, actor=w.dispatcher, user=w.steward, at=h(0.2))
    services.accept(case=b, actor=w.steward, at=h(2))
    services.hold(case=b, actor=w.steward, reason="等待配件", at=h(3))
    services.resume(case=b, actor=w.steward, at=h(7))
    services.resolve(case=b, actor=w.steward, result="已修好", at=h(30))
    ids["b"] = b.pk
    # C: rated 不满意 → reworked → resolved again → rated 基本满意.
    c = w.submit(channel="web", reporter=w.resident, at=h(1))
    pooled_accept(c, h(1.2))
    services.resolve(case=c, actor=w.steward, result="已清理", at=h(2))
    services.rate(case=c, actor=w.resident, score="unsatisfied", solved=False, at=h(3))
    services.accept(case=c, actor=w.steward, at=h(4))
    services.resolve(case=c, actor=w.steward, result="再次清理", at=h(5))
    services.rate(case=c, actor=w.resident, score="basically", solved=True, at=h(6))
    ids["c"] = c.pk
    # E with two merged duplicates D and D2; D's reporter rates E (closing it), D2's reporter rates after it closed.
    e = w.submit(reporter=resident2, at=h(2))
    d = w.submit(reporter=neighbour, title="楼道杂物没人管", at=h(2))
    d2 = w.submit(reporter=neighbour2, title="楼道又堆满了", at=h(2))
    services.merge(case=d, into=e, actor=w.dispatcher, at=h(2.1))
    services.merge(case=d2, into=e, actor=w.dispatcher, at=h(2.1))
    services.triage(case=e, actor=w.dispatcher, category=w.category, at=h(2.2))
    services.dispatch(case=e, actor=w.dispatcher, user=w.steward, at=h(2.3))
    services.accept(case=e, actor=w.steward, at=h(2.4))
    services.resolve(case=e, actor=w.steward, result="已清理", at=h(4))
    services.rate(case=d, actor=neighbour, score="satisfied", solved=True, at=h(5))
    ids.update(e=e.pk, d=d.pk, d2=d2.pk)
    # F: rejected.
    fcase = w.submit(channel="web", at=h(1))
    services.reject(case=fcase, actor=w.dispatcher, reason="广告信息", at=h(1.5))
    ids["f"] = fcase.pk
    # G: found on patrol and solved on the spot by the grid worker (level grid).
    g = w.submit(channel="patrol", recorded_by=w.grid_worker, title="井盖松动", at=h(2))
    services.resolve(case=g, actor=w.grid_worker, result="已固定", on_the_spot=True, at=h(2))
    ids["g"] = g.pk
    # H: dispatched, never accepted, swept past its deadline (超期, open).
    hcase = w.submit(channel="hotline", at=h(3))
    services.triage(case=hcase, actor=w.dispatcher, category=w.category, at=h(3.1))
    services.dispatch(case=hcase, actor=w.dispatcher, node=w.micro, pool=True, at=h(3.2))
    services.refresh_sla(case=hcase, at=h(27.5))
    ids["h"] = hcase.pk
    # I: a street-level category, resolved by the street.
    i = w.submit(channel="hotline", at=h(4))
    services.triage(case=i, actor=w.dispatcher, category=street_cat, at=h(4.1))
    services.dispatch(case=i, actor=w.street_staff, user=w.street_staff, at=h(4.2))
    services.accept(case=i, actor=w.street_staff, at=h(4.3))
    services.resolve(case=i, actor=w.street_staff, result="路面已修复", at=h(6))
    ids["i"] = i.pk
    # K: April, another community, still open.
    other_micro = GridNode.objects.filter(path__startswith=w.other_community.path, level="micro_grid").first()
    k = w.submit(building=BuildingFactory(node=other_micro, jurisdiction=j, lat=None, lon=None), at=h(48))
    ids["k"] = k.pk
    return w, ids, (neighbour2, d2, e)


MARCH_COUNTS = {
    "received": 10,
    "handled": 7,
    "rejected": 1,
    "merged": 2,
    "resolved": 6,
    "closed": 3,
    "open": 1,
    "due_response": 6,
    "responded": 5,
    "due_resolution": 6,
    "on_time": 5,
    "overdue": 1,
    "warning": 0,
    "on_hold": 0,
    "reworked": 1,
    "on_the_spot": 1,
    "proactive": 1,
    "rated": 4,  # A 满意; C 不满意 then 基本满意; E 满意 (through its duplicate D)
    "satisfied": 3,
    "very_satisfied": 2,
    "solved": 3,
    "level_micro_grid": 4,
    "level_grid": 1,
    "level_community": 0,
    "level_street": 1,
    "level_district": 0,
    "handling_minutes": 120 + 1560 + 240 + 120 + 0 + 120,
}


def late_duplicate_rating(extra):
    neighbour2, d2, e = extra
    assert Case.objects.get(pk=e.pk).status == "closed"
    events_before = CaseEvent.objects.count()
    services.rate(case=d2, actor=neighbour2, score="unsatisfied", solved=False, at=h(8))
    assert CaseEvent.objects.count() == events_before  # the engine writes no event for it: the rating stream counts


def test_every_figure_on_hand_built_cases(built):
    w, ids, extra = built
    late_duplicate_rating(extra)
    rollup.catch_up()
    counts = selectors.counts(node=w.district, period="m", since=MARCH, until=APRIL)
    expected = dict(MARCH_COUNTS, rated=5)  # + D2's 不满意, after E closed
    assert counts == expected
    fig = f.figures(counts)
    assert fig["completion_rate"] == round(6 / 7, 4)
    assert fig["response_rate"] == round(5 / 6, 4)
    assert fig["solved_rate"] == round(3 / 5, 4)
    assert fig["satisfaction_rate"] == round(3 / 5, 4)
    assert fig["on_time_rate"] == round(5 / 6, 4)
    assert fig["overdue"] == 1
    assert fig["rework_rate"] == round(1 / 6, 4)
    assert fig["on_the_spot_rate"] == round(1 / 7, 4)
    assert fig["proactive_rate"] == 0.1
    assert (fig["share_community_or_below"], fig["share_street"], fig["share_district"]) == (
        round(5 / 6, 4),
        round(1 / 6, 4),
        0.0,
    )
    assert fig["avg_handling_hours"] == 6.0  # 2160 minutes over 6 resolved cases; B's 4 hours on hold left out
    # April holds only K (another community); the community of the March cases has nothing in April.
    april = selectors.counts(node=w.district, period="m", since=APRIL, until=date(2025, 5, 1))
    assert (april["received"], april["open"]) == (1, 1)
    assert selectors.counts(node=w.community, period="m", since=APRIL, until=date(2025, 5, 1))["received"] == 0
    # The same figures from the engine's own from-scratch computation.
    march = Case.objects.filter(pk__in=[v for k, v in ids.items() if k != "k"])
    raw = case_figures.headline(march)
    for key in ("received", "handled", "rejected", "merged", "resolved", "closed", "rated"):
        assert raw[key] == fig[key], key
    for key in ("completion_rate", "response_rate", "solved_rate", "satisfaction_rate", "on_time_rate"):
        assert raw[key] == fig[key], key
    assert (raw["rework_rate"], raw["on_the_spot_rate"], raw["proactive_rate"], raw["overdue_open"]) == (
        fig["rework_rate"],
        fig["on_the_spot_rate"],
        fig["proactive_rate"],
        fig["overdue"],
    )
    assert raw["level_721"]["street"] == fig["share_street"]


def test_march_cases_by_day_category_channel_unit_and_node(built):
    w, ids, _extra = built
    rollup.catch_up()
    days = selectors.series(node=w.district, period="d", since=date(2025, 3, 31), until=date(2025, 4, 3))
    assert [(d, c["received"]) for d, c in days] == [(date(2025, 3, 31), 10), (date(2025, 4, 2), 1)]
    by_channel = selectors.breakdown(node=w.district, dim="channel", since=MARCH, until=APRIL)
    assert {k: c["received"] for k, c in by_channel.items()} == {"qr": 4, "hotline": 3, "web": 2, "patrol": 1}
    by_category = selectors.breakdown(node=w.district, dim="category", since=MARCH, until=APRIL)
    street_cat = Case.objects.get(pk=ids["i"]).category_id
    assert {k: c["received"] for k, c in by_category.items()} == {
        str(w.category.pk): 5,  # A B C E H
        str(street_cat): 1,
        "0": 4,  # D D2 (merged before triage), F (rejected), G (on the spot)
    }
    by_unit = selectors.breakdown(node=w.district, dim="unit", since=MARCH, until=APRIL)
    # The stewards' micro-grid handled A B C E and holds H in its pool; the street handled I.
    assert {k: c["received"] for k, c in by_unit.items()} == {
        f"n{w.micro.pk}": 5,
        f"n{w.street.pk}": 1,
        "": 4,  # D D2 F: nobody handles merged or rejected cases; G was solved at intake by a person, no unit
    }
    # Drill-down: the district's children are streets; the street of the cases holds all ten March cases.
    children = selectors.by_child(node=w.district, period="m", since=MARCH, until=APRIL)
    assert children[w.street.pk]["received"] == 10


def test_rollups_follow_changes_incrementally_and_equal_a_rebuild(built):
    w, ids, extra = built
    rollup.catch_up()
    first = selectors.counts(node=w.district, period="m", since=MARCH, until=APRIL)
    assert first == MARCH_COUNTS
    # Later: the late duplicate rating, and B rated 不满意 (reopened: no longer resolved, rework counted).
    late_duplicate_rating(extra)
    services.rate(case=ids["b"], actor=w.resident, score="unsatisfied", solved=False, verified_reporter=True, at=h(40))
    assert rollup.catch_up() == 2  # E (the rating) and B (reopened)
    after = selectors.counts(node=w.district, period="m", since=MARCH, until=APRIL)
    assert after["resolved"] == 5 and after["open"] == 2 and after["reworked"] == 2 and after["rated"] == 6
    assert after["handling_minutes"] == MARCH_COUNTS["handling_minutes"] - 1560
    incremental = rows_snapshot()
    assert rollup.catch_up() == 0  # nothing new: nothing moves
    rollup.rebuild()
    assert rows_snapshot() == incremental
    assert CaseFact.objects.count() == 11


def test_an_id_committed_late_is_picked_up_from_the_gap_list(built):
    w, ids, _extra = built
    rollup.catch_up()
    cursor = RollupCursor.objects.get(name="events")
    # Pretend the last event (B's reopen below) was still uncommitted when a step read past it.
    services.rate(case=ids["b"], actor=w.resident, score="unsatisfied", solved=False, verified_reporter=True, at=h(40))
    late = CaseEvent.objects.order_by("-pk").first()
    cursor.last_id = late.pk
    cursor.gaps = [[late.pk, 9e18]]
    cursor.save()
    assert rollup.catch_up() == 1
    assert selectors.counts(node=w.district, period="m", since=MARCH, until=APRIL)["resolved"] == 5
    assert RollupCursor.objects.get(name="events").gaps == []


def test_a_refused_action_writes_nothing_and_moves_nothing(built):
    w, ids, _extra = built
    rollup.catch_up()
    before = rows_snapshot()
    with pytest.raises(Exception, match="resolved"):
        services.rate(case=ids["h"], actor=w.resident, score="satisfied", solved=True, verified_reporter=True)
    assert rollup.catch_up() == 0
    assert rows_snapshot() == before
    assert Rating.objects.filter(case_id=ids["h"]).count() == 0


def facts_snapshot():
    fields = ["case_id", "jurisdiction_id", "day", "node_id", "path", "category_id", "channel", "unit", *f.COUNTERS]
    return sorted(CaseFact.objects.values_list(*fields))


def test_the_bulk_sql_build_writes_exactly_the_incremental_rows(built):
    """rebuild() in SQL (bulk.py) == the events folded in one by one == refresh() over every case, row for row —
    facts and rollups, every node level, every dimension — with holds, reworks, merges, a late duplicate rating."""
    w, ids, extra = built
    late_duplicate_rating(extra)
    rollup.catch_up()
    incremental_rows, incremental_facts = rows_snapshot(), facts_snapshot()
    assert rollup.rebuild() == 11
    assert facts_snapshot() == incremental_facts
    assert rows_snapshot() == incremental_rows
    assert rollup.rebuild(bulk_sql=False) == 11
    assert (rows_snapshot(), facts_snapshot()) == (incremental_rows, incremental_facts)
    # Each case counts at its node and every ancestor: the district, street, community, grid and micro-grid of the
    # March cases all hold the same ten; one month row per node and no more.
    for node in (w.district, w.street, w.community, w.micro):
        march = Rollup.objects.get(node_id=node.pk, period="m", dim="", start=MARCH)
        assert march.received == 10, node.level
        assert selectors.counts(node=node, since=MARCH, until=APRIL) == dict(MARCH_COUNTS, rated=5)
    # B's hold (4 h) is cut out of its handling time in SQL exactly as in Python.
    b = CaseFact.objects.get(case_id=ids["b"])
    assert b.handling_minutes == 1560 and b.resolved == 1


def test_bulk_build_of_nothing_is_empty(db):
    assert rollup.rebuild() == 0
    assert not Rollup.objects.exists() and not CaseFact.objects.exists()
    assert rollup.catch_up() == 0


def test_the_bulk_build_reads_times_to_the_microsecond_even_just_before_a_whole_second(db):
    """SQLite parses times to the nearest millisecond: strftime('%s') of 08:34:49.999840 said :50, and a case
    handled for 901 min 30.05 s counted 901 minutes in SQL against 902 (half up) in Python (found by a simulation)."""
    w = world()
    submitted = datetime(2026, 10, 8, 16, 34, 49, 999840, tzinfo=SH)
    case = w.submit(reporter=w.resident, at=submitted)
    services.triage(case=case, actor=w.dispatcher, category=w.category, at=submitted + timedelta(minutes=5))
    services.dispatch(case=case, actor=w.dispatcher, user=w.steward, at=submitted + timedelta(minutes=10))
    services.accept(case=case, actor=w.steward, at=submitted + timedelta(minutes=20))
    resolved = submitted + timedelta(minutes=901, seconds=30, microseconds=54874)  # 901.5009 min: half up → 902
    services.resolve(case=case, actor=w.steward, result="已修好", at=resolved)
    rollup.catch_up()
    assert CaseFact.objects.get(case_id=case.pk).handling_minutes == 902
    incremental_rows, incremental_facts = rows_snapshot(), facts_snapshot()
    assert rollup.rebuild() == 1
    assert CaseFact.objects.get(case_id=case.pk).handling_minutes == 902
    assert (rows_snapshot(), facts_snapshot()) == (incremental_rows, incremental_facts)
