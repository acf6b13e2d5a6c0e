"""Recurring market days and the time slots of an offering. Pure: no Django import.

A series runs "on chosen weekdays" (Monday = 0) or "every working day" by the working calendar (``core.workcalendar``:
public holidays are skipped, the weekend days worked in exchange for them, 调休, are included). Chosen weekdays may skip
public holidays too; single days can be left out (``skip``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from datetime import date, datetime, time, timedelta
from typing import Protocol

MAX_DAYS = 400  # one series spans at most this many days: a year and a bit


class Calendar(Protocol):
    def is_workday(self, day: date) -> bool: ...


def _span(first: date, last: date) -> Iterator[date]:
    if last < first:
        return
    if (last - first).days > MAX_DAYS:
        raise ValueError(f"a series spans at most {MAX_DAYS} days")
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def days(
    *,
    first: date,
    last: date,
    repeat: str,
    weekdays: Collection[int] = (),
    skip_holidays: bool = True,
    skip: Collection[date] = (),
    calendar: Calendar,
) -> list[date]:
    """The days of a series from ``first`` to ``last`` inclusive."""
    found = []
    for day in _span(first, last):
        if day in skip:
            continue
        if repeat == "workdays":
            if calendar.is_workday(day):
                found.append(day)
        elif repeat == "weekly":
            holiday = day.weekday() < 5 and not calendar.is_workday(day)
            if day.weekday() in weekdays and not (skip_holidays and holiday):
                found.append(day)
        else:
            raise ValueError(f"unknown repeat: {repeat}")
    return found


def slot_times(day: date, starts: time, ends: time, minutes: int) -> list[tuple[datetime, datetime]]:
    """Consecutive slots of ``minutes`` from ``starts`` to ``ends`` on ``day`` (naive local times); the last slot
    ends at or before ``ends``."""
    if minutes <= 0:
        raise ValueError("a slot lasts at least one minute")
    begin, end = datetime.combine(day, starts), datetime.combine(day, ends)
    slots = []
    step = timedelta(minutes=minutes)
    while begin + step <= end:
        slots.append((begin, begin + step))
        begin += step
    return slots
