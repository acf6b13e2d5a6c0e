"""The tier check (pure) and the practice's requirement sets."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gongzhi.stations import seed, tiers


def test_the_practice_requires_16_12_and_8_items():
    assert [len(seed.REQUIREMENTS[t]) for t in (1, 2, 3)] == [16, 12, 8]
    assert set(seed.TIER_3) < set(seed.TIER_2) < set(seed.TIER_1)
    codes = [code for code, *_ in seed.ITEMS]
    assert len(codes) == len(set(codes)) and set(seed.TIER_1) <= set(codes)
    outdoor = {code for code, _, _, flag in seed.ITEMS if flag}
    assert {"drinking-water", "phone-charging", "rest-area"} <= outdoor


def test_a_station_lacks_what_its_tier_requires_in_order():
    check = tiers.check(3, ["umbrella", "wifi", "drinking-water"], seed.REQUIREMENTS)
    assert check.missing == ("phone-charging", "rest-area", "first-aid", "tools", "policy-advice", "errands")
    assert not check.meets and check.offered == 2 and len(check.required) == 8
    full = tiers.check(2, seed.TIER_2, seed.REQUIREMENTS)
    assert full.meets and full.missing == () and full.offered == 12
    assert tiers.check(1, seed.TIER_2, seed.REQUIREMENTS).missing == (
        "toilet",
        "mother-baby",
        "legal-advice",
        "mediation",
    )
    assert tiers.check(4, [], seed.REQUIREMENTS).meets  # no requirement: nothing lacking


codes = st.sampled_from([code for code, *_ in seed.ITEMS])


@given(tier=st.sampled_from([1, 2, 3]), offered=st.lists(codes))
def test_missing_and_offered_split_the_requirement(tier, offered):
    check = tiers.check(tier, offered, seed.REQUIREMENTS)
    required = seed.REQUIREMENTS[tier]
    assert set(check.missing) == set(required) - set(offered)
    assert check.offered + len(check.missing) == len(required)
    assert list(check.missing) == [c for c in required if c in check.missing]  # the requirement's order
    assert tiers.check(tier, [*offered, *check.missing], seed.REQUIREMENTS).meets
