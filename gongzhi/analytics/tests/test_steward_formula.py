"""The stewards' score (analytics.formulas.steward_score), ranking and contact-point progress: exact values for
hand-built facts, and Hypothesis properties. (Here, not in volunteers: a domain's tests may not import analytics.)"""

from __future__ import annotations

import itertools
from dataclasses import replace
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from gongzhi.analytics.formulas import (
    STEWARD_MIN_SAMPLE,
    STEWARD_WEIGHTS,
    StewardFacts,
    contact_progress,
    rank_stewards,
    steward_parts,
    steward_score,
)
from gongzhi.volunteers.selectors import ContactRow


def test_nothing_done_scores_zero_on_reporting_and_no_day_served_is_no_score():
    # Reports are always expected (STEWARD_REPORTS_PER_MONTH): a steward who did nothing in a month scores 0.
    assert steward_parts(StewardFacts())["reporting"] == 0.0
    assert steward_score(StewardFacts()) == Decimal("0.0")
    # Served no day of the period: nothing expected, nothing measured -> no part, no score.
    nothing = StewardFacts(visits_committed=4, hours_committed=2, served=Decimal(0))
    assert steward_score(nothing) is None
    assert set(steward_parts(nothing).values()) == {None}


def test_no_cases_at_all_scores_on_reporting_and_visits_only():
    # No case handled or rated; 2 of 4 visits committed made (1 on time), 1 report of 4 expected.
    facts = StewardFacts(reported=1, visits_committed=4, visits=2, visits_on_time=1)
    # visits_done 0.5 x 20, visits_on_time 0.5 x 10, reporting 0.25 x 10 over weights 40 -> 17.5 / 40 = 43.75
    assert steward_score(facts) == Decimal("43.8")


def test_all_late_scores_only_what_was_done_in_time_elsewhere():
    facts = StewardFacts(
        reported=4,
        accepted=6,
        accepted_on_time=0,
        resolved=5,
        resolved_on_time=0,
        rated=5,
        satisfied=5,
        visits_committed=4,
        visits=4,
        visits_on_time=0,
    )
    # resolution 0 x 25, response 0 x 10, satisfaction 1 x 20, visits_done 1 x 20, on time 0 x 10, reporting 1 x 10
    # over 95 (no hours committed) -> 50 / 95
    assert steward_score(facts) == Decimal("52.6")


def test_everything_done_on_time_is_one_hundred():
    facts = StewardFacts(
        reported=9,
        accepted=3,
        accepted_on_time=3,
        resolved=3,
        resolved_on_time=3,
        rated=2,
        satisfied=2,
        visits_committed=4,
        visits=6,
        visits_on_time=6,
        hours_committed=4,
        hours=Decimal("4.5"),
    )
    assert steward_score(facts) == Decimal("100.0")


def test_half_a_month_served_halves_what_is_expected():
    whole = StewardFacts(reported=2, visits_committed=4, visits=2, visits_on_time=2)
    half = replace(whole, served=Decimal("0.5"))
    # whole: visits_done 0.5 x 20 + on time 1 x 10 + reporting 0.5 x 10 = 25 / 40
    assert steward_score(whole) == Decimal("62.5")
    # half: 2 visits of 2 expected, 2 reports of 2 expected -> 100
    assert steward_score(half) == Decimal("100.0")
    # Served no day: nothing expected, only the rates remain.
    assert steward_parts(replace(whole, served=Decimal(0)))["visits_done"] is None


counts = st.integers(min_value=0, max_value=50)


@st.composite
def facts(draw: st.DrawFn) -> StewardFacts:
    accepted, resolved, rated, visits = draw(counts), draw(counts), draw(counts), draw(counts)
    return StewardFacts(
        months=draw(st.integers(min_value=1, max_value=3)),
        reported=draw(counts),
        accepted=accepted,
        accepted_on_time=draw(st.integers(min_value=0, max_value=accepted)),
        resolved=resolved,
        resolved_on_time=draw(st.integers(min_value=0, max_value=resolved)),
        rated=rated,
        satisfied=draw(st.integers(min_value=0, max_value=rated)),
        visits_committed=draw(st.integers(min_value=0, max_value=10)),
        visits=visits,
        visits_on_time=draw(st.integers(min_value=0, max_value=visits)),
        hours_committed=draw(st.integers(min_value=0, max_value=20)),
        hours=draw(st.decimals(min_value=0, max_value=200, places=1)),
        served=draw(st.decimals(min_value=0, max_value=1, places=4)),
    )


@given(facts())
def test_score_is_between_0_and_100_and_none_only_without_any_part(f: StewardFacts):
    score = steward_score(f)
    parts = steward_parts(f)
    if all(value is None for value in parts.values()):
        assert score is None
    else:
        assert score is not None
        assert Decimal(0) <= score <= Decimal(100)


@given(facts(), st.sampled_from(["accepted", "resolved", "visits"]))
def test_one_more_thing_done_on_time_never_lowers_the_score(f: StewardFacts, what: str):
    before = steward_score(f)
    on_time = f"{what}_on_time"
    better = replace(f, **{what: getattr(f, what) + 1, on_time: getattr(f, on_time) + 1})
    after = steward_score(better)
    assert after is not None
    assert before is None or after >= before


@given(facts(), st.sampled_from(["accepted", "resolved", "visits"]))
def test_turning_a_late_one_on_time_never_lowers_the_score(f: StewardFacts, what: str):
    on_time = f"{what}_on_time"
    if getattr(f, on_time) >= getattr(f, what):
        return
    before = steward_score(f)
    after = steward_score(replace(f, **{on_time: getattr(f, on_time) + 1}))
    assert before is not None and after is not None
    assert after >= before


@given(facts())
def test_missing_parts_scale_the_weights_of_the_others(f: StewardFacts):
    parts = steward_parts(f)
    present = {key: value for key, value in parts.items() if value is not None}
    if not present:
        return
    expected = sum(Decimal(str(v)) * STEWARD_WEIGHTS[k] for k, v in present.items()) * 100
    expected /= Decimal(sum(STEWARD_WEIGHTS[k] for k in present))
    assert steward_score(f) == expected.quantize(Decimal("0.1"), rounding="ROUND_HALF_UP")


def test_a_single_part_counts_for_the_whole_score():
    # Only satisfaction is measurable (served no day: no report expected): its weight becomes the whole.
    assert steward_score(StewardFacts(rated=4, satisfied=3, served=Decimal(0))) == Decimal("75.0")
    # With reporting expected too (0 of 4): 0.75 x 20 / 30.
    assert steward_score(StewardFacts(rated=4, satisfied=3)) == Decimal("50.0")


def test_ranking_leaves_out_small_samples_and_shares_ties():
    scores = {
        "a": (Decimal("90.0"), 10),
        "b": (Decimal("80.0"), 5),
        "c": (Decimal("80.0"), 7),
        "d": (Decimal("99.0"), 4),  # below the minimum sample: not ranked however good
        "e": (None, 20),  # no score
        "f": (Decimal("70.0"), STEWARD_MIN_SAMPLE),
    }
    ranked, left_out = rank_stewards(scores)
    assert [(r.key, r.rank) for r in ranked] == [("a", 1), ("b", 2), ("c", 2), ("f", 4)]
    assert left_out == ["d", "e"]


@given(st.dictionaries(st.text("abcdef", min_size=1, max_size=3), st.tuples(st.integers(0, 100), counts)))
def test_ranking_respects_the_minimum_sample(rows: dict[str, tuple[int, int]]):
    scores = {k: (Decimal(v), n) for k, (v, n) in rows.items()}
    ranked, left_out = rank_stewards(scores, min_sample=STEWARD_MIN_SAMPLE)
    assert all(r.sample >= STEWARD_MIN_SAMPLE for r in ranked)
    assert {r.key for r in ranked} | set(left_out) == set(scores)
    assert [r.value for r in ranked] == sorted((r.value for r in ranked), reverse=True)
    for earlier, later in itertools.pairwise(ranked):
        assert later.rank == earlier.rank if later.value == earlier.value else later.rank > earlier.rank


def test_contact_progress_counts_each_point_up_to_its_own_target():
    rows = [ContactRow(1, 2026, 3, 5, 5), ContactRow(1, 2026, 3, 1, 0), ContactRow(1, 2026, 2, 2, 1)]
    progress = contact_progress(rows)
    assert (progress.points, progress.target, progress.taken_on, progress.solved) == (3, 8, 8, 6)
    assert progress.share == 4 / 8  # 3 (capped) + 0 + 1


def test_contact_progress_of_nothing():
    progress = contact_progress([])
    assert (progress.points, progress.target, progress.share) == (0, 0, None)
