"""ID numbers (GB 11643): made and parsed back, every single mistyped digit and every swap of two neighbouring digits
caught by the check character, full-width digits and a lower-case x read, masks that never show the date of birth."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gongzhi.care import idcard

TODAY = date(2026, 12, 7)
regions = st.from_regex(r"[1-9][0-9]{5}", fullmatch=True)
births = st.dates(min_value=date(idcard.EARLIEST_YEAR, 1, 1), max_value=TODAY)
sequences = st.integers(min_value=0, max_value=999)
numbers = st.builds(idcard.make, regions, births, sequences)
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９ｘ")


@given(regions, births, sequences)
def test_made_numbers_parse_back_with_their_birth_and_sex(region: str, born: date, sequence: int) -> None:
    number = idcard.make(region, born, sequence)
    parsed = idcard.parse(number, today=TODAY)
    assert (parsed.number, parsed.born, parsed.region) == (number, born, region)
    assert parsed.sex == ("m" if sequence % 2 else "f")
    assert len(number) == 18 and number[:17].isdigit() and number[17] in "0123456789X"


@given(numbers, st.integers(min_value=0, max_value=16), st.integers(min_value=1, max_value=9))
def test_any_single_mistyped_digit_is_caught(number: str, position: int, shift: int) -> None:
    digit = str((int(number[position]) + shift) % 10)
    mistyped = number[:position] + digit + number[position + 1 :]
    assert idcard.check_character(mistyped[:17]) != mistyped[17]
    with pytest.raises(idcard.InvalidIdNumber):
        idcard.parse(mistyped, today=TODAY)


@given(numbers, st.sampled_from("0123456789X"))
def test_a_wrong_check_character_is_caught(number: str, last: str) -> None:
    if last == number[17]:
        return
    with pytest.raises(idcard.InvalidIdNumber, match="check character"):
        idcard.parse(number[:17] + last, today=TODAY)


@given(numbers, st.integers(min_value=0, max_value=15))
def test_two_neighbouring_digits_swapped_are_caught(number: str, position: int) -> None:
    a, b = number[position], number[position + 1]
    if a == b:
        return
    swapped = number[:position] + b + a + number[position + 2 :]
    assert idcard.check_character(swapped[:17]) != swapped[17]


@given(numbers, st.booleans(), st.booleans())
def test_full_width_digits_spaces_and_a_lower_case_x_are_read(number: str, full_width: bool, spaced: bool) -> None:
    typed = number.lower()
    if full_width:
        typed = typed.upper().translate(FULL_WIDTH)
    if spaced:
        typed = f" {typed[:6]} {typed[6:14]}-{typed[14:]}\u3000"
    assert idcard.normalise(typed) == number
    assert idcard.parse(typed, today=TODAY).number == number


def test_a_lower_case_x_check_character() -> None:
    number = next(
        idcard.make("990101", date(1970, 1, 1), n)
        for n in range(1000)
        if idcard.make("990101", date(1970, 1, 1), n).endswith("X")
    )
    assert idcard.parse(number.lower(), today=TODAY).number == number
    assert idcard.parse(number[:17] + "ｘ", today=TODAY).number == number


@given(numbers)
def test_a_mask_shows_the_region_and_last_four_never_the_birth(number: str) -> None:
    masked = idcard.mask(number)
    assert masked == number[:6] + "*" * 8 + number[-4:]
    assert number[6:14] not in masked


@given(st.text(max_size=9))
def test_a_short_text_is_masked_whole(text: str) -> None:
    assert idcard.mask(text) == "*" * len(text)


@given(regions, st.dates(min_value=date(2027, 1, 1), max_value=date(2099, 12, 31)), sequences)
def test_a_birth_after_today_is_refused(region: str, born: date, sequence: int) -> None:
    with pytest.raises(idcard.InvalidIdNumber, match="not possible"):
        idcard.parse(idcard.make(region, born, sequence), today=TODAY)


@given(st.text(alphabet="0123456789Xx", max_size=30))
def test_parse_never_accepts_anything_but_a_valid_number(text: str) -> None:
    try:
        parsed = idcard.parse(text, today=TODAY)
    except idcard.InvalidIdNumber:
        return
    assert idcard.check_character(parsed.number[:17]) == parsed.number[17] and len(parsed.number) == 18


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("99010119400517001", "18 characters"),
        ("9901011940051700AX", "17 digits"),
        ("990101194002300010", "not a real date"),
        ("990101188912310010", "not possible"),
    ],
)
def test_reasons(text: str, reason: str) -> None:
    with pytest.raises(idcard.InvalidIdNumber, match=reason):
        idcard.parse(text, today=TODAY)
