"""Chinese resident ID numbers (居民身份证号码, GB 11643-1999). Pure: no Django, strictly typed.

An ID number is 18 characters: a 6-digit region code, the date of birth (YYYYMMDD), a 3-digit sequence whose last
digit is odd for men and even for women, and a check character computed from the first 17 (ISO 7064 MOD 11-2; 10 is
written X). ``parse`` validates all of it and returns the date of birth and sex; the registry derives them from the
ID number and never asks for them separately.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

from gongzhi.core.errors import gettext_noop

WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS: Final = "10X98765432"
EARLIEST_YEAR: Final = 1890
_FULL_WIDTH: Final = str.maketrans("０１２３４５６７８９ｘＸ", "0123456789XX")


class InvalidIdNumber(ValueError):
    """Why a text is not a valid ID number: ``reason`` is an English message marked for translation by callers."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class IdNumber:
    number: str  # normalised: 18 characters, upper-case X
    born: date
    sex: str  # "m" or "f"

    @property
    def region(self) -> str:
        return self.number[:6]


def normalise(text: str) -> str:
    """Spaces and dashes dropped, full-width digits made ASCII, x made X."""
    cleaned = text.translate(_FULL_WIDTH).replace(" ", "").replace("-", "").replace("\u3000", "")
    return cleaned.upper()


def check_character(first17: str) -> str:
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise InvalidIdNumber(gettext_noop("an ID number starts with 17 digits"))
    total = sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARACTERS[total % 11]


def parse(text: str, *, today: date) -> IdNumber:
    """The ID number in ``text``, validated: length, digits, a real date of birth not after ``today``, checksum."""
    number = normalise(text)
    if len(number) != 18:
        raise InvalidIdNumber(gettext_noop("an ID number has 18 characters"))
    first17, last = number[:17], number[17]
    if not (first17.isascii() and first17.isdigit()) or not (last.isdigit() or last == "X"):
        raise InvalidIdNumber(gettext_noop("an ID number is 17 digits and a digit or X"))
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidIdNumber(gettext_noop("the date of birth in the ID number is not a real date")) from None
    if born.year < EARLIEST_YEAR or born > today:
        raise InvalidIdNumber(gettext_noop("the date of birth in the ID number is not possible"))
    if check_character(first17) != last:
        raise InvalidIdNumber(gettext_noop("the ID number's check character is wrong (a digit mistyped?)"))
    return IdNumber(number=number, born=born, sex="m" if int(number[16]) % 2 else "f")


def make(region: str, born: date, sequence: int) -> str:
    """An ID number with a valid check character (for tests and the demo, whose region 99xxxx does not exist)."""
    first17 = f"{region}{born:%Y%m%d}{sequence % 1000:03d}"
    return first17 + check_character(first17)


def age_on(born: date, day: date) -> int:
    """Full years of age on ``day``."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def mask(number: str) -> str:
    """110101********123X: the region and the last four, never the date of birth."""
    if len(number) < 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]
