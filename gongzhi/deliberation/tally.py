"""Counting a vote (表决): quorum and threshold, by head or by weight (floor area). Pure: no Django, strictly typed.

A vote is valid when enough of the eligible took part (the quorum: a share of the eligible, by count and — for
owners' votes by floor area — by weight too, as the 2/3 rule of owners' votes asks for both); an option carries when
its share reaches the threshold, of the votes cast or of everyone eligible (``base``). Shares are exact fractions
(never floats): 2/3 of 30 households is 20, and 19 is not enough. "Reaches" means ≥ unless ``strict`` (more than
half: > 1/2).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Final

CAST: Final = "cast"
ELIGIBLE: Final = "eligible"


@dataclass(frozen=True)
class Rule:
    quorum: Fraction = Fraction(0)  # share of the eligible who must take part (0: none needed)
    threshold: Fraction = Fraction(1, 2)
    base: str = CAST  # the threshold's share is of the votes cast, or of everyone eligible
    strict: bool = True  # more than the threshold (True) or at least it (False)
    weighted: bool = False  # count by weight (floor area) as well as by head

    def __post_init__(self) -> None:
        if not (0 <= self.quorum <= 1 and 0 < self.threshold <= 1):
            raise ValueError("quorum is 0 to 1, threshold over 0 up to 1")
        if self.base not in (CAST, ELIGIBLE):
            raise ValueError(f"unknown base: {self.base}")


@dataclass(frozen=True)
class Ballot:
    option: str
    weight: Decimal = Decimal(1)


@dataclass(frozen=True)
class Result:
    eligible: int
    eligible_weight: Decimal
    cast: int
    cast_weight: Decimal
    counts: dict[str, int]
    weights: dict[str, Decimal]
    quorum_met: bool
    carried: tuple[str, ...]  # the options that reached the threshold (none when the quorum is not met)

    @property
    def turnout(self) -> Fraction | None:
        return Fraction(self.cast, self.eligible) if self.eligible else None


def _reaches(part: Fraction | Decimal | int, whole: Fraction | Decimal | int, share: Fraction, strict: bool) -> bool:
    if not whole:
        return False
    ratio = Fraction(part) / Fraction(whole)
    return ratio > share if strict else ratio >= share


def count(
    ballots: Sequence[Ballot], *, options: Sequence[str], eligible: int, eligible_weight: Decimal, rule: Rule
) -> Result:
    """The result of ``ballots`` (one per eligible voter: the caller guarantees it)."""
    if len(ballots) > eligible:
        raise ValueError("more ballots than eligible voters")
    counts: dict[str, int] = dict.fromkeys(options, 0)
    weights: dict[str, Decimal] = {option: Decimal(0) for option in options}
    for ballot in ballots:
        if ballot.option not in counts:
            raise ValueError(f"unknown option: {ballot.option}")
        counts[ballot.option] += 1
        weights[ballot.option] += ballot.weight
    cast, cast_weight = len(ballots), sum((b.weight for b in ballots), Decimal(0))
    quorum_met = rule.quorum == 0 or (
        _reaches(cast, eligible, rule.quorum, strict=False)
        and (not rule.weighted or _reaches(cast_weight, eligible_weight, rule.quorum, strict=False))
    )
    carried: list[str] = []
    if quorum_met and cast:
        whole, whole_weight = (cast, cast_weight) if rule.base == CAST else (eligible, eligible_weight)
        for option in options:
            by_head = _reaches(counts[option], whole, rule.threshold, rule.strict)
            by_weight = not rule.weighted or _reaches(weights[option], whole_weight, rule.threshold, rule.strict)
            if by_head and by_weight:
                carried.append(option)
    return Result(
        eligible=eligible,
        eligible_weight=eligible_weight,
        cast=cast,
        cast_weight=cast_weight,
        counts=counts,
        weights=weights,
        quorum_met=quorum_met,
        carried=tuple(carried),
    )


def summary(result: Result) -> Mapping[str, object]:
    """The result as plain data (stored at close, shown on the public board)."""
    return {
        "eligible": result.eligible,
        "eligible_weight": str(result.eligible_weight),
        "cast": result.cast,
        "cast_weight": str(result.cast_weight),
        "counts": dict(result.counts),
        "weights": {key: str(value) for key, value in result.weights.items()},
        "quorum_met": result.quorum_met,
        "carried": list(result.carried),
    }
