"""Visit schedules (走访) of residents in care. Pure: no Django, strictly typed.

Each care level has a visit interval (red weekly, yellow monthly, green quarterly by default; a jurisdiction can set
its own). The next visit is due one interval after the last visit — or, before the first visit, after the day the
level was set. A level changed to a shorter interval never makes a visit due before the day of the change: a
resident raised to red today is due today, not three weeks ago. A due day that is not a working day moves to the next
working day (``core.workcalendar``: public holidays off, 调休 weekend days worked). Months are calendar months: one
month after 31 January is the last day of February.
"""

from __future__ import annotations

import calendar as _calendar
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final, Protocol

RED: Final = "red"
YELLOW: Final = "yellow"
GREEN: Final = "green"
LEVELS: Final = (RED, YELLOW, GREEN)

DAY: Final = "day"
WEEK: Final = "week"
MONTH: Final = "month"
UNITS: Final = (DAY, WEEK, MONTH)
# No interval is longer than a year or shorter than a day.
MAX_DAYS: Final = 366
MAX_WEEKS: Final = 52
MAX_MONTHS: Final = 12
# A due day never moves more than this many days to find a working day (the longest holiday is 8–9 days).
_MAX_ROLL: Final = 31


class Calendar(Protocol):
    def is_workday(self, day: date) -> bool: ...


@dataclass(frozen=True)
class Interval:
    every: int
    unit: str

    def __post_init__(self) -> None:
        limit = {DAY: MAX_DAYS, WEEK: MAX_WEEKS, MONTH: MAX_MONTHS}.get(self.unit)
        if limit is None:
            raise ValueError(f"unknown unit: {self.unit}")
        if not 1 <= self.every <= limit:
            raise ValueError(f"an interval is 1 to {limit} {self.unit}s")


DEFAULT_INTERVALS: Final = {
    RED: Interval(1, WEEK),
    YELLOW: Interval(1, MONTH),
    GREEN: Interval(3, MONTH),
}


def add(day: date, interval: Interval) -> date:
    if interval.unit == DAY:
        return day + timedelta(days=interval.every)
    if interval.unit == WEEK:
        return day + timedelta(weeks=interval.every)
    months = day.month - 1 + interval.every
    year, month = day.year + months // 12, months % 12 + 1
    return date(year, month, min(day.day, _calendar.monthrange(year, month)[1]))


def working_day_from(day: date, calendar: Calendar) -> date:
    """``day`` if it is a working day, else the next working day."""
    for offset in range(_MAX_ROLL + 1):
        candidate = day + timedelta(days=offset)
        if calendar.is_workday(candidate):
            return candidate
    return day


def next_due(*, last_visit: date | None, level_since: date, interval: Interval, calendar: Calendar) -> date:
    """When the next visit is due (see the module's docstring)."""
    base = last_visit if last_visit is not None and last_visit >= level_since else None
    if base is None:
        # Not visited since the level was set: due one interval after the earlier visit, but not before the change.
        start = last_visit if last_visit is not None else level_since
        due = max(add(start, interval), level_since)
    else:
        due = add(base, interval)
    return working_day_from(due, calendar)


def is_overdue(due: date | None, today: date) -> bool:
    return due is not None and today > due


def on_time(visited: date, due: date | None) -> bool:
    """A visit is on time when it happens on or before the day it was due (or nothing was due)."""
    return due is None or visited <= due


def days_overdue(due: date | None, today: date) -> int:
    return max((today - due).days, 0) if due is not None else 0
