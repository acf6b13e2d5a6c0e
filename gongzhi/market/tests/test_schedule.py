"""Recurring market days by the working calendar, and the slots of a service."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gongzhi.core.workcalendar import ChineseWorkCalendar
from gongzhi.market import schedule

CAL = ChineseWorkCalendar()


def test_every_working_day_skips_national_day_and_includes_the_worked_saturday():
    # 2025: 1–8 October off, Sunday 28 September and Saturday 11 October worked (调休).
    found = schedule.days(first=date(2025, 9, 27), last=date(2025, 10, 12), repeat="workdays", calendar=CAL)
    assert date(2025, 9, 28) in found and date(2025, 10, 11) in found
    assert not any(date(2025, 10, 1) <= d <= date(2025, 10, 8) for d in found)
    assert date(2025, 9, 27) not in found and date(2025, 10, 12) not in found


def test_chosen_weekdays_skip_holidays_when_asked():
    kw = {
        "first": date(2025, 9, 29),
        "last": date(2025, 10, 13),
        "repeat": "weekly",
        "weekdays": [0, 2],
        "calendar": CAL,
    }
    with_holidays = schedule.days(skip_holidays=False, **kw)
    without = schedule.days(skip_holidays=True, **kw)
    assert with_holidays == [
        date(2025, 9, 29),
        date(2025, 10, 1),
        date(2025, 10, 6),
        date(2025, 10, 8),
        date(2025, 10, 13),
    ]
    assert without == [date(2025, 9, 29), date(2025, 10, 13)]


def test_days_left_out():
    found = schedule.days(
        first=date(2025, 3, 3), last=date(2025, 3, 7), repeat="workdays", skip={date(2025, 3, 5)}, calendar=CAL
    )
    assert found == [date(2025, 3, 3), date(2025, 3, 4), date(2025, 3, 6), date(2025, 3, 7)]


def test_a_series_is_bounded_and_the_repeat_known():
    with pytest.raises(ValueError, match="at most"):
        schedule.days(first=date(2025, 1, 1), last=date(2027, 1, 1), repeat="workdays", calendar=CAL)
    with pytest.raises(ValueError, match="unknown repeat"):
        schedule.days(first=date(2025, 1, 1), last=date(2025, 1, 2), repeat="monthly", calendar=CAL)
    assert schedule.days(first=date(2025, 1, 2), last=date(2025, 1, 1), repeat="workdays", calendar=CAL) == []


def test_slot_times():
    slots = schedule.slot_times(date(2026, 12, 7), time(9, 0), time(10, 40), 30)
    assert [(a.time(), b.time()) for a, b in slots] == [
        (time(9, 0), time(9, 30)),
        (time(9, 30), time(10, 0)),
        (time(10, 0), time(10, 30)),
    ]
    with pytest.raises(ValueError, match="at least one minute"):
        schedule.slot_times(date(2026, 12, 7), time(9), time(10), 0)


@given(st.integers(0, 23), st.integers(1, 240), st.integers(5, 120))
def test_slots_are_consecutive_and_inside(start_hour, length, minutes):
    day = date(2026, 12, 7)
    starts = time(start_hour)
    ends = min(datetime.combine(day, starts) + timedelta(minutes=length), datetime.combine(day, time(23, 59))).time()
    slots = schedule.slot_times(day, starts, ends, minutes)
    for a, b in slots:
        assert (b - a).total_seconds() == minutes * 60
        assert b.time() <= ends
    for (_a, b), (c, _d) in itertools.pairwise(slots):
        assert c == b
