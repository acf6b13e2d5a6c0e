"""Which days are working days in China. Pure: no Django import.

The official holidays and the weekends worked in exchange for them (调休) come from the ``chinesecalendar`` package,
which ships one year at a time, after the State Council publishes that year's arrangement (usually in November or
December of the year before). Administrators add or correct days with overrides (``core.CalendarDay`` in the
database, see ``core.calendar_days``); an override always wins. For a year the package does not cover yet, only
Monday to Friday count, plus the overrides; ``covered(year)`` tells the admin to warn about it.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import date
from types import MappingProxyType
from typing import Protocol, runtime_checkable

import chinese_calendar  # type: ignore[import-untyped]  # the package ships no type hints

_NO_DAYS: Mapping[date, bool] = MappingProxyType({})
_NO_NAMES: Mapping[date, str] = MappingProxyType({})


@runtime_checkable
class WorkCalendar(Protocol):
    """Anything that can say whether a (local) calendar day is a working day."""

    def is_workday(self, day: date) -> bool: ...


@functools.cache
def _package_years() -> tuple[int, int]:
    years = [day.year for day in chinese_calendar.holidays]
    return min(years), max(years)


@functools.lru_cache(maxsize=8192)
def _package_detail(day: date) -> tuple[bool, str | None] | None:
    """(is_workday, holiday name) from the package, or None when it does not cover the year.

    Cached: the package re-computes its year range on every call, and SLA sweeps ask about the same few hundred days
    again and again.
    """
    first, last = _package_years()
    if not first <= day.year <= last:
        return None
    try:
        workday = bool(chinese_calendar.is_workday(day))
        _, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return None
    return workday, (str(name) if name else None)


class ChineseWorkCalendar:
    """Working days of the mainland China official calendar, with overrides.

    ``overrides`` maps a day to True (a working day) or False (a day off) and beats the package. ``names`` optionally
    names overridden days (春节, 调休上班 …) for ``holiday_name``. Both mappings are copied: later changes to them do
    not reach the calendar.
    """

    def __init__(self, overrides: Mapping[date, bool] = _NO_DAYS, *, names: Mapping[date, str] = _NO_NAMES) -> None:
        self._overrides: dict[date, bool] = {_as_date(day): bool(workday) for day, workday in overrides.items()}
        self._names: dict[date, str] = {_as_date(day): name for day, name in names.items() if name}

    def __repr__(self) -> str:
        return f"ChineseWorkCalendar({len(self._overrides)} overrides)"

    @property
    def overrides(self) -> Mapping[date, bool]:
        return MappingProxyType(self._overrides)

    def is_workday(self, day: date) -> bool:
        day = _as_date(day)
        override = self._overrides.get(day)
        if override is not None:
            return override
        detail = _package_detail(day)
        if detail is not None:
            return detail[0]
        return day.weekday() < 5

    def covered(self, year: int) -> bool:
        """True when the package holds the official arrangement for ``year``; otherwise only Monday–Friday and the
        overrides count, and the admin should add that year's holidays."""
        first, last = _package_years()
        return first <= year <= last

    def holiday_name(self, day: date) -> str | None:
        """The holiday a day belongs to — a day off or a 调休 working day — or None for an ordinary day.

        The name given with an override comes first; otherwise the package's English name ("Spring Festival",
        "National Day" …), unless an override turned the day into the opposite of what the package says.
        """
        day = _as_date(day)
        if day in self._names:
            return self._names[day]
        detail = _package_detail(day)
        if detail is None:
            return None
        workday, name = detail
        override = self._overrides.get(day)
        if override is not None and override != workday:
            return None
        return name


def _as_date(day: date) -> date:
    # A datetime is a date too (and never equal to one); lookups want the plain day.
    return day if type(day) is date else date(day.year, day.month, day.day)
