"""Time helpers: UTC in the database, the configured zone (Asia/Shanghai) for display."""

from __future__ import annotations

import re
from datetime import date, datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()


def local(moment: datetime) -> datetime:
    return timezone.localtime(moment)


def local_today() -> date:
    return timezone.localdate()


# The days a person may ask about (a daily list, a month's figures): wide enough for any record, narrow enough that
# the day before and the month after still exist (Python's calendar ends in 9999; a 9999-12-31 link made the next
# day's link fail).
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_day(text: str) -> date:
    """'2025-03-01' → that day, between FIRST_DAY and LAST_DAY; ValueError for anything else (2026-02-30 too)."""
    if not _ISO_DAY.fullmatch(text):
        raise ValueError(text)
    day = date.fromisoformat(text)
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(text)
    return day
