"""The pure formulas: each figure's definition, and properties over random cases (Hypothesis)."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from gongzhi.analytics import formulas as f

T = datetime(2025, 1, 31, 15, 0, tzinfo=UTC)


def state(**kw):
    base = {
        "status": "closed",
        "channel": "qr",
        "submitted_at": T,
        "resolved_at": T + timedelta(hours=5),
        "resolved_level": "micro_grid",
        "responded_on_time": True,
        "resolved_on_time": True,
        "sla_state": "done",
        "rework_count": 0,
        "on_the_spot": False,
    }
    base.update(kw)
    return f.CaseState(**base)


def test_no_ratings_means_no_rate_not_zero():
    fig = f.figures(f.as_dict(f.contribution(state())))
    assert fig["satisfaction_rate"] is None and fig["solved_rate"] is None and fig["rated"] == 0
    assert fig["response_rate"] == 1.0 and fig["avg_handling_hours"] == 5.0


def test_merged_and_rejected_count_as_received_only():
    for status in ("merged", "rejected"):
        c = f.as_dict(f.contribution(state(status=status, resolved_at=None, resolved_level="")))
        assert c["received"] == 1 and c["handled"] == 0 and c["resolved"] == 0 and c[status] == 1
        assert c["due_response"] == 0


def test_hold_time_is_left_out_of_handling_time():
    c = f.as_dict(f.contribution(state(held_seconds=3 * 3600)))
    assert c["handling_minutes"] == 120


def test_open_breached_is_overdue_and_a_reopened_case_is_not_resolved():
    c = f.as_dict(
        f.contribution(
            state(
                status="dispatched",
                resolved_at=None,
                resolved_level="",
                sla_state="breached",
                rework_count=1,
                resolved_on_time=None,
            )
        )
    )
    assert (c["overdue"], c["open"], c["resolved"], c["reworked"], c["level_micro_grid"]) == (1, 1, 0, 1, 0)


def test_ranking_needs_the_minimum_sample_and_ties_share_a_rank():
    def counts(rated, satisfied):
        v = dict(f.as_dict(f.ZERO), received=rated, rated=rated, satisfied=satisfied)
        return v

    rows = {"a": counts(30, 27), "b": counts(40, 36), "c": counts(5, 5), "d": counts(50, 40)}
    ranked, small = f.rank(rows, "satisfaction_rate", min_sample=20)
    assert [(r.key, r.rank) for r in ranked] == [("a", 1), ("b", 1), ("d", 3)]
    assert small == ["c"]


cases = st.builds(
    state,
    status=st.sampled_from(
        ["submitted", "triaged", "dispatched", "accepted", "on_hold", "resolved", "closed", "rejected", "merged"]
    ),
    channel=st.sampled_from(["qr", "web", "patrol", "visit", "hotline"]),
    resolved_level=st.sampled_from(f.LEVELS),
    responded_on_time=st.sampled_from([None, True, False]),
    resolved_on_time=st.sampled_from([None, True, False]),
    sla_state=st.sampled_from(["on_track", "warning", "breached", "paused", "done"]),
    rework_count=st.integers(0, 3),
    on_the_spot=st.booleans(),
    ratings=st.lists(st.tuples(st.sampled_from(["satisfied", "basically", "unsatisfied"]), st.booleans()), max_size=3),
)


@given(st.lists(cases, max_size=30))
def test_figures_of_a_sum_are_bounded_and_the_721_shares_add_up(batch):
    total = f.as_dict(f.total(f.contribution(c) for c in batch))
    fig = f.figures(total)
    assert total["received"] == len(batch) == total["handled"] + total["rejected"] + total["merged"]
    for key, value in fig.items():
        if key.endswith("_rate") or key.startswith("share_"):
            assert value is None or 0 <= value <= 1, key
    shares = [fig["share_community_or_below"], fig["share_street"], fig["share_district"]]
    if total["resolved"]:
        assert abs(sum(shares) - 1) < 0.001


@given(st.lists(cases, min_size=1, max_size=10), st.lists(cases, min_size=1, max_size=10))
def test_sums_are_additive_so_subtracting_an_old_vector_undoes_it(a, b):
    va = f.total(f.contribution(c) for c in a)
    vb = f.total(f.contribution(c) for c in b)
    assert f.sub(f.add(va, vb), vb) == va


def test_handling_time_rounds_half_up_to_whole_minutes_in_integer_microseconds():
    def minutes(**kw):
        return f.as_dict(f.contribution(state(**kw)))["handling_minutes"]

    assert minutes(resolved_at=T + timedelta(seconds=90)) == 2  # 1.5 min: half up (Python's round() would give 2)
    assert minutes(resolved_at=T + timedelta(seconds=150)) == 3  # 2.5 min: half up (round() would give 2)
    assert minutes(resolved_at=T + timedelta(seconds=149, microseconds=999_999)) == 2
    assert minutes(resolved_at=T + timedelta(seconds=90), held_seconds=0.000001) == 1
    assert minutes(resolved_at=T + timedelta(seconds=10), held_seconds=60) == 0  # never negative


def test_station_day_counts_requests_on_the_spot_and_due_soon():
    from gongzhi.analytics.formulas import TakenCase, station_day

    now = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    taken = [
        TakenCase("resolved", True, now + timedelta(hours=1)),
        TakenCase("closed", True, None),
        TakenCase("resolved", False, now - timedelta(hours=2)),  # resolved late: not open, not due
        TakenCase("dispatched", False, now + timedelta(hours=23)),
        TakenCase("accepted", False, now - timedelta(hours=1)),  # overdue counts as due
        TakenCase("submitted", False, now + timedelta(hours=25)),
        TakenCase("triaged", False, None),
    ]
    day = station_day(visitors=23, taken=taken, now=now)
    assert (day.visitors, day.requests, day.on_the_spot, day.still_open, day.due_soon) == (23, 7, 2, 4, 2)
    assert station_day(visitors=0, taken=[], now=now) == type(day)(0, 0, 0, 0, 0)


def test_the_circle_shares_are_fractions_or_undefined():
    c = f.circle(buildings=3, covered_buildings=2, households=0, covered_households=0)
    assert (c.building_share, c.household_share) == (0.6667, None)
    assert f.circle(buildings=0, covered_buildings=0, households=0, covered_households=0).building_share is None


def test_market_bookings_read_the_selectors_rows():
    from decimal import Decimal

    rows = [
        {
            "status": "served",
            "walk_up": False,
            "declared_age": 68,
            "free_reason": "age≥60",
            "list_price": Decimal("20"),
            "discount": Decimal("5"),
            "subsidy": Decimal("15"),
            "resident_pays": Decimal("0"),
        },
        {
            "status": "no_show",
            "walk_up": False,
            "declared_age": None,
            "free_reason": "",
            "list_price": Decimal("20"),
            "discount": Decimal("5"),
            "subsidy": Decimal("5"),
            "resident_pays": Decimal("10"),
        },
    ]
    figures = f.market(f.market_bookings(rows))
    assert (figures.bookings, figures.served, figures.no_shows, figures.served_60, figures.free) == (2, 1, 1, 1, 1)
    assert (figures.no_show_rate, figures.subsidy, figures.paid) == (0.5, Decimal("15"), Decimal("0"))
