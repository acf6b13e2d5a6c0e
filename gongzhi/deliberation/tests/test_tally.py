"""Counting a vote exactly: the quorum and threshold edge cases (2/3 of 30 households is 20 — 19 is not enough;
"more than half" with a tie fails; the threshold's base, votes cast or everyone eligible; an owners' vote that passes
by head but not by floor area), and properties over random ballots (counts add up, what carried reaches the
threshold, nothing carries without the quorum)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gongzhi.deliberation import tally

YES, NO = "同意", "不同意"
TWO_THIRDS = Fraction(2, 3)


def ballots(yes: int, no: int = 0, *, yes_weight: str = "1", no_weight: str = "1") -> list[tally.Ballot]:
    return [tally.Ballot(YES, Decimal(yes_weight))] * yes + [tally.Ballot(NO, Decimal(no_weight))] * no


def count(votes: list[tally.Ballot], eligible: int, rule: tally.Rule, weight: Decimal | None = None) -> tally.Result:
    return tally.count(
        votes, options=[YES, NO], eligible=eligible, eligible_weight=weight or Decimal(eligible), rule=rule
    )


@pytest.mark.parametrize(("cast", "met"), [(20, True), (19, False), (30, True), (0, False)])
def test_a_two_thirds_quorum_of_thirty_is_twenty(cast: int, met: bool) -> None:
    result = count(ballots(cast), 30, tally.Rule(quorum=TWO_THIRDS, threshold=Fraction(1, 2)))
    assert result.quorum_met is met
    assert result.carried == ((YES,) if met else ())
    assert result.turnout == Fraction(cast, 30)


@pytest.mark.parametrize(("yes", "carried"), [(20, (YES,)), (19, ())])
def test_two_thirds_of_everyone_eligible_at_least(yes: int, carried: tuple[str, ...]) -> None:
    rule = tally.Rule(threshold=TWO_THIRDS, base=tally.ELIGIBLE, strict=False)
    assert count(ballots(yes, 30 - yes), 30, rule).carried == carried


def test_more_than_half_with_a_tie_fails_and_at_least_half_passes() -> None:
    strict = tally.Rule(threshold=Fraction(1, 2), strict=True)
    assert count(ballots(10, 10), 30, strict).carried == ()
    assert count(ballots(11, 10), 30, strict).carried == (YES,)
    at_least = tally.Rule(threshold=Fraction(1, 2), strict=False)
    assert count(ballots(10, 10), 30, at_least).carried == (YES, NO)


def test_the_base_is_the_votes_cast_or_everyone_eligible() -> None:
    votes = ballots(12, 3)  # 15 of 30 voted; 12 of 15 cast agree, but only 12 of 30 eligible
    assert count(votes, 30, tally.Rule(threshold=Fraction(1, 2), base=tally.CAST)).carried == (YES,)
    assert count(votes, 30, tally.Rule(threshold=Fraction(1, 2), base=tally.ELIGIBLE)).carried == ()
    assert count(ballots(16, 0), 30, tally.Rule(threshold=Fraction(1, 2), base=tally.ELIGIBLE)).carried == (YES,)


def test_owners_pass_by_head_but_not_by_area() -> None:
    """10 owners, 1000 m² in all: 6 small flats (60 m² each) agree, 4 large ones (160 m² each) disagree — 6/10
    owners but 360/1000 m²: under the two-thirds-of-both rule of owners' votes it fails, by head alone it passes."""
    votes = ballots(6, 4, yes_weight="60", no_weight="160")
    weighted = tally.Rule(quorum=TWO_THIRDS, threshold=Fraction(1, 2), weighted=True)
    result = count(votes, 10, weighted, Decimal(1000))
    assert result.quorum_met and result.cast_weight == Decimal(1000)
    assert result.counts == {YES: 6, NO: 4} and result.weights == {YES: Decimal(360), NO: Decimal(640)}
    assert result.carried == ()
    by_head = tally.Rule(quorum=TWO_THIRDS, threshold=Fraction(1, 2), weighted=False)
    assert count(votes, 10, by_head, Decimal(1000)).carried == (YES,)


def test_a_weighted_quorum_needs_the_area_too() -> None:
    # 7 of 10 owners voted (head quorum of 2/3 met) but they hold 600 of 1000 m² (< 2/3): no quorum.
    votes = [tally.Ballot(YES, Decimal("594"))] + [tally.Ballot(YES, Decimal(1))] * 6
    result = count(votes, 10, tally.Rule(quorum=TWO_THIRDS, weighted=True), Decimal(1000))
    assert result.cast == 7 and result.cast_weight == Decimal(600)
    assert not result.quorum_met and result.carried == ()


def test_refusals() -> None:
    with pytest.raises(ValueError, match="more ballots"):
        count(ballots(4), 3, tally.Rule())
    with pytest.raises(ValueError, match="unknown option"):
        count([tally.Ballot("弃权")], 3, tally.Rule())
    with pytest.raises(ValueError, match="threshold"):
        tally.Rule(threshold=Fraction(0))
    with pytest.raises(ValueError, match="quorum"):
        tally.Rule(quorum=Fraction(3, 2))
    with pytest.raises(ValueError, match="unknown base"):
        tally.Rule(base="everyone")
    empty = count([], 0, tally.Rule())
    assert empty.turnout is None and empty.carried == () and empty.quorum_met


OPTIONS = ["A", "B", "C"]
FRACTIONS = st.fractions(min_value=0, max_value=1, max_denominator=12)


@st.composite
def votes(draw: st.DrawFn) -> tuple[list[tally.Ballot], int, Decimal, tally.Rule]:
    eligible = draw(st.integers(min_value=1, max_value=40))
    weights = draw(
        st.lists(st.integers(min_value=1, max_value=200), min_size=eligible, max_size=eligible).map(
            lambda ws: [Decimal(w) for w in ws]
        )
    )
    cast = draw(st.integers(min_value=0, max_value=eligible))
    chosen = draw(st.lists(st.sampled_from(OPTIONS), min_size=cast, max_size=cast))
    ballots = [tally.Ballot(option, weights[i]) for i, option in enumerate(chosen)]
    rule = tally.Rule(
        quorum=draw(FRACTIONS),
        threshold=draw(FRACTIONS.filter(lambda f: f > 0)),
        base=draw(st.sampled_from([tally.CAST, tally.ELIGIBLE])),
        strict=draw(st.booleans()),
        weighted=draw(st.booleans()),
    )
    return ballots, eligible, sum(weights, Decimal(0)), rule


@given(votes())
def test_properties(case: tuple[list[tally.Ballot], int, Decimal, tally.Rule]) -> None:
    given_ballots, eligible, eligible_weight, rule = case
    result = tally.count(given_ballots, options=OPTIONS, eligible=eligible, eligible_weight=eligible_weight, rule=rule)
    # The counts add up.
    assert sum(result.counts.values()) == result.cast == len(given_ballots)
    assert sum(result.weights.values(), Decimal(0)) == result.cast_weight
    assert result.turnout == Fraction(len(given_ballots), eligible)
    # The quorum is exactly the share of the eligible taking part (by weight too when weighted).
    by_head = Fraction(result.cast, eligible) >= rule.quorum
    by_area = not rule.weighted or Fraction(result.cast_weight) / Fraction(eligible_weight) >= rule.quorum
    assert result.quorum_met == (rule.quorum == 0 or (by_head and by_area))
    # No result without the quorum (nor without a vote).
    if not result.quorum_met or not given_ballots:
        assert result.carried == ()
    # What carried reaches the threshold of its base; what did not carry falls short of it.
    whole = result.cast if rule.base == tally.CAST else eligible
    whole_weight = result.cast_weight if rule.base == tally.CAST else eligible_weight
    for option in OPTIONS:
        if not whole:
            assert option not in result.carried
            continue
        share = Fraction(result.counts[option], whole)
        reaches = share > rule.threshold if rule.strict else share >= rule.threshold
        if rule.weighted:
            w_share = Fraction(result.weights[option]) / Fraction(whole_weight)
            reaches = reaches and (w_share > rule.threshold if rule.strict else w_share >= rule.threshold)
        assert (option in result.carried) == (reaches and result.quorum_met and bool(given_ballots))
    # A strict majority carries at most one option.
    if rule.strict and rule.threshold >= Fraction(1, 2):
        assert len(result.carried) <= 1
    # The stored summary is plain data and says the same.
    summary = tally.summary(result)
    assert summary["cast"] == result.cast and summary["carried"] == list(result.carried)
