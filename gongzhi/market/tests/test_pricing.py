"""The three-way price split, table-driven; the free rules; money never a float."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gongzhi.market import pricing
from gongzhi.market.pricing import Price, Rule

D = Decimal


@pytest.mark.parametrize(
    ("list_price", "discount", "percent", "subsidy", "free", "expected"),
    [
        # ordinary resident: list 20, merchant gives 5, community 5, resident 10
        ("20", "5", None, "5", False, ("20.00", "5.00", "5.00", "10.00")),
        # aged 60+: the community covers all the merchant does not give
        ("20", "5", None, "5", True, ("20.00", "5.00", "15.00", "0.00")),
        # a free health check: nothing to pay, nothing to subsidise
        ("0", "0", None, "0", True, ("0.00", "0.00", "0.00", "0.00")),
        # 八五折 of 33.33: 4.9995 rounds half up to 5.00
        ("33.33", "0", "15", "3", False, ("33.33", "5.00", "3.00", "25.33")),
        # 八折 of 12.345 (list rounds to 12.35 first): 2.47
        ("12.345", "0", "20", "0", False, ("12.35", "2.47", "0.00", "9.88")),
        # a percentage replaces an amount given too
        ("50", "30", "10", "0", False, ("50.00", "5.00", "0.00", "45.00")),
        # a subsidy larger than what is left is capped: the resident never gets money back
        ("10", "4", None, "8", False, ("10.00", "4.00", "6.00", "0.00")),
        # a discount larger than the price is capped at the price
        ("10", "12", None, "3", False, ("10.00", "10.00", "0.00", "0.00")),
        # 100 % off
        ("15", "0", "100", "5", True, ("15.00", "15.00", "0.00", "0.00")),
        # 低保 on a service with no merchant discount
        ("30", "0", None, "10", True, ("30.00", "0.00", "30.00", "0.00")),
        # fen: 0.005 rounds up
        ("9.995", "0.005", None, "0", False, ("10.00", "0.01", "0.00", "9.99")),
    ],
)
def test_split_table(list_price, discount, percent, subsidy, free, expected):
    price = pricing.split(list_price, discount=discount, discount_percent=percent, subsidy=subsidy, free=free)
    assert (price.list_price, price.discount, price.subsidy, price.resident) == tuple(D(x) for x in expected)
    assert price.free is free
    assert price.list_price == price.discount + price.subsidy + price.resident


@pytest.mark.parametrize("bad", [-1, "-0.01", "abc", "NaN", "Infinity", 1.5, "1e400", "1e999", "9" * 40, "10000000"])
def test_bad_amounts_are_refused(bad):
    with pytest.raises(pricing.PriceError):
        pricing.split(bad)


def test_percent_over_100_is_refused():
    with pytest.raises(pricing.PriceError):
        pricing.split("10", discount_percent="100.01")


money = st.decimals(min_value=0, max_value=100000, places=2, allow_nan=False, allow_infinity=False)


@given(money, money, money, st.one_of(st.none(), st.decimals(0, 100, places=2)), st.booleans())
def test_split_always_adds_up_and_never_negative(list_price, discount, subsidy, percent, free):
    price = pricing.split(list_price, discount=discount, discount_percent=percent, subsidy=subsidy, free=free)
    assert price.list_price == price.discount + price.subsidy + price.resident
    assert min(price.discount, price.subsidy, price.resident) >= 0
    if free:
        assert price.resident == 0
    for amount in (price.discount, price.subsidy, price.resident):
        assert amount == amount.quantize(D("0.01"))


RULES = [Rule(kind="age", min_age=60), Rule(kind="group", group="低保"), Rule(kind="group", group="特困")]


@pytest.mark.parametrize(
    ("age", "groups", "expected"),
    [
        (68, [], "age"),
        (60, [], "age"),
        (59, [], None),
        (None, [], None),
        (45, ["低保"], "group"),
        (45, [" 特困 "], "group"),
        (45, ["低收入"], None),
        (70, ["低保"], "age"),  # the first rule met counts
    ],
)
def test_free_rule(age, groups, expected):
    rule = pricing.free_rule(age, groups, RULES)
    assert (rule.kind if rule else None) == expected


def test_age_on():
    assert pricing.age_on(date(1958, 12, 6), date(2026, 12, 6)) == 68
    assert pricing.age_on(date(1958, 12, 7), date(2026, 12, 6)) == 67
    assert pricing.age_on(1966, date(2026, 12, 6)) == 60


def test_price_invariant_is_checked():
    with pytest.raises(AssertionError):
        Price(D("10"), D("1"), D("1"), D("1"), False)
