"""The three-way price split (社区补一点、商家让一点、居民付一点) and who pays nothing. Pure: no Django import.

Money is ``Decimal`` yuan, rounded to the fen (0.01) half up at each step a rate is applied. For an offering:

- the merchant's discount is an amount, or a percentage of the list price (八折 = 20 %), never more than the price;
- the community's subsidy is an amount, never more than what is left after the discount;
- the resident pays the rest: ``list = discount + subsidy + resident`` always holds;
- a resident who meets a free rule (aged 60 and over, a 低保 household …) pays 0: the community covers everything the
  merchant does not give.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
MAX = Decimal("9999999.99")  # what a booking's money columns hold (9 digits, 2 of them fen)


class PriceError(ValueError):
    """Prices that cannot make a split (negative, not a number, more than two places of fen)."""


def money(value: object) -> Decimal:
    """A yuan amount as Decimal with two places; PriceError for what is not an amount from 0 to MAX."""
    if isinstance(value, float):
        raise PriceError("money is never a float")
    try:
        amount = Decimal(str(value).strip() or "0")
    except InvalidOperation as exc:
        raise PriceError(f"not an amount: {value!r}") from exc
    if not amount.is_finite() or not 0 <= amount <= MAX:
        raise PriceError(f"not an amount: {value!r}")
    # Compared before quantizing: "1e999" is finite but has more digits than a Decimal context can quantize.
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Price:
    list_price: Decimal
    discount: Decimal  # the merchant gives
    subsidy: Decimal  # the community pays
    resident: Decimal  # the resident pays
    free: bool  # a free rule applied

    def __post_init__(self) -> None:
        assert self.list_price == self.discount + self.subsidy + self.resident


def split(
    list_price: object,
    *,
    discount: object = ZERO,
    discount_percent: object | None = None,
    subsidy: object = ZERO,
    free: bool = False,
) -> Price:
    """The split of ``list_price``; ``discount_percent`` (0–100) replaces ``discount`` when given."""
    price = money(list_price)
    if discount_percent is not None:
        percent = money(discount_percent)
        if percent > 100:
            raise PriceError("a discount is at most 100 %")
        given = (price * percent / 100).quantize(FEN, rounding=ROUND_HALF_UP)
    else:
        given = money(discount)
    given = min(given, price)
    left = price - given
    paid_by_community = left if free else min(money(subsidy), left)
    return Price(price, given, paid_by_community, left - paid_by_community, free)


@dataclass(frozen=True)
class Rule:
    """A free rule: ``kind`` "age" (``min_age`` and over) or "group" (a household group such as 低保, ``group``)."""

    kind: str
    min_age: int | None = None
    group: str = ""
    label: str = ""


def age_on(born: int | date, day: date) -> int:
    """Age in whole years on ``day`` of someone born on ``born`` (a date, or a year: counted as of 1 January)."""
    birth = born if isinstance(born, date) else date(born, 1, 1)
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def free_rule(age: int | None, groups: Iterable[str], rules: Iterable[Rule]) -> Rule | None:
    """The first rule the resident meets (in the rules' order), or None: they pay the ordinary price."""
    held = {g.strip() for g in groups if g and g.strip()}
    for rule in rules:
        if rule.kind == "age" and rule.min_age is not None and age is not None and age >= rule.min_age:
            return rule
        if rule.kind == "group" and rule.group and rule.group in held:
            return rule
    return None
