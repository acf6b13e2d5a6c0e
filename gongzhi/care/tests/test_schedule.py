"""Visit schedules: a due day is never before the level was set, never a day off (a calendar built here, and the real
one across National Day and Spring Festival with their 调休 weekend days), months clamp to the month's last day, and a
level changed to a shorter interval is due no earlier than the day of the change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gongzhi.care import schedule
from gongzhi.care.schedule import DAY, MONTH, WEEK, Interval
from gongzhi.core.workcalendar import ChineseWorkCalendar

FIRST, LAST = date(2024, 1, 1), date(2026, 12, 31)
days = st.dates(min_value=FIRST, max_value=LAST)
intervals = st.one_of(
    st.builds(Interval, st.integers(1, schedule.MAX_DAYS), st.just(DAY)),
    st.builds(Interval, st.integers(1, schedule.MAX_WEEKS), st.just(WEEK)),
    st.builds(Interval, st.integers(1, schedule.MAX_MONTHS), st.just(MONTH)),
)


@dataclass(frozen=True)
class Calendar:
    """Weekends off (unless a 调休 working day) and some holidays: at most 15 of them, so a run of days off is never
    longer than the 31 days a due day may move."""

    holidays: frozenset[date]
    worked_weekends: frozenset[date]

    def is_workday(self, day: date) -> bool:
        if day in self.worked_weekends:
            return True
        return day.weekday() < 5 and day not in self.holidays


calendars = st.builds(
    Calendar,
    st.frozensets(st.dates(min_value=FIRST, max_value=LAST + timedelta(days=400)), max_size=15),
    st.frozensets(st.dates(min_value=FIRST, max_value=LAST + timedelta(days=400)), max_size=5),
)
REAL = ChineseWorkCalendar()


@given(days, st.one_of(st.none(), days), intervals, calendars)
def test_due_is_a_working_day_never_before_the_level_was_set(
    level_since: date, last_visit: date | None, interval: Interval, calendar: Calendar
) -> None:
    due = schedule.next_due(last_visit=last_visit, level_since=level_since, interval=interval, calendar=calendar)
    assert due >= level_since
    assert calendar.is_workday(due)
    # It is the first working day on or after the day the rule gives.
    if last_visit is not None and last_visit >= level_since:
        rule = schedule.add(last_visit, interval)
    else:
        rule = max(schedule.add(last_visit or level_since, interval), level_since)
    assert due >= rule
    assert all(not calendar.is_workday(rule + timedelta(days=k)) for k in range((due - rule).days))


@given(days, st.integers(0, 400), intervals, calendars)
def test_a_level_changed_to_a_shorter_interval_is_due_no_earlier_than_the_change(
    last_visit: date, wait: int, after: Interval, calendar: Calendar
) -> None:
    changed = last_visit + timedelta(days=wait)
    due = schedule.next_due(last_visit=last_visit, level_since=changed, interval=after, calendar=calendar)
    assert due >= changed and calendar.is_workday(due)
    # Never later than the next working day after one new interval from the change or from the visit.
    latest = schedule.working_day_from(max(changed, schedule.add(last_visit, after)), calendar)
    assert due <= latest
    # A visit on the day of the change counts as the first visit at the new level.
    same_day = schedule.next_due(last_visit=changed, level_since=changed, interval=after, calendar=calendar)
    assert same_day == schedule.working_day_from(schedule.add(changed, after), calendar)


@given(days, st.integers(1, schedule.MAX_MONTHS))
def test_months_are_calendar_months_clamped_to_the_last_day(day: date, months: int) -> None:
    moved = schedule.add(day, Interval(months, MONTH))
    assert (moved.year * 12 + moved.month) - (day.year * 12 + day.month) == months
    last = (date(moved.year + moved.month // 12, moved.month % 12 + 1, 1) - timedelta(days=1)).day
    assert moved.day == min(day.day, last)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # a leap year
        (date(2025, 3, 31), 1, date(2025, 4, 30)),
        (date(2024, 8, 31), 6, date(2025, 2, 28)),
        (date(2025, 11, 30), 3, date(2026, 2, 28)),
        (date(2025, 12, 15), 12, date(2026, 12, 15)),
    ],
)
def test_month_examples(day: date, months: int, expected: date) -> None:
    assert schedule.add(day, Interval(months, MONTH)) == expected


@pytest.mark.parametrize(
    ("level_since", "interval", "expected"),
    [
        # National Day 2025 (with Mid-Autumn): 1–8 October off; Sunday 28 September and Saturday 11 October worked.
        (date(2025, 9, 24), Interval(1, WEEK), date(2025, 10, 9)),
        (date(2025, 9, 21), Interval(1, WEEK), date(2025, 9, 28)),  # a Sunday, but a 调休 working day
        (date(2025, 10, 4), Interval(1, WEEK), date(2025, 10, 11)),  # a Saturday, worked
        (date(2025, 9, 1), Interval(1, MONTH), date(2025, 10, 9)),
        # Spring Festival 2025: 28 January – 4 February off; Sunday 26 January and Saturday 8 February worked.
        (date(2025, 1, 18), Interval(1, WEEK), date(2025, 1, 26)),  # Saturday 25th off, Sunday 26th worked
        (date(2025, 1, 21), Interval(1, WEEK), date(2025, 2, 5)),
        (date(2024, 11, 1), Interval(3, MONTH), date(2025, 2, 5)),
        (date(2025, 2, 1), Interval(1, WEEK), date(2025, 2, 8)),  # a Saturday, worked
        # Spring Festival 2026: 15–23 February off; Saturdays 14 and 28 February worked.
        (date(2026, 2, 10), Interval(1, WEEK), date(2026, 2, 24)),
        (date(2026, 2, 7), Interval(1, WEEK), date(2026, 2, 14)),
        (date(2026, 1, 15), Interval(1, MONTH), date(2026, 2, 24)),
    ],
)
def test_the_real_calendar_across_the_long_holidays(level_since: date, interval: Interval, expected: date) -> None:
    assert schedule.next_due(last_visit=None, level_since=level_since, interval=interval, calendar=REAL) == expected


@given(days, st.one_of(st.none(), days), intervals)
def test_the_real_calendar_never_gives_a_day_off(
    level_since: date, last_visit: date | None, interval: Interval
) -> None:
    due = schedule.next_due(last_visit=last_visit, level_since=level_since, interval=interval, calendar=REAL)
    assert REAL.is_workday(due) and due >= level_since


def test_raised_to_red_is_due_from_the_day_of_the_change_not_weeks_ago() -> None:
    # Visited on 1 September at green (quarterly); raised to red (weekly) on Monday 20 October 2025.
    due = schedule.next_due(
        last_visit=date(2025, 9, 1), level_since=date(2025, 10, 20), interval=Interval(1, WEEK), calendar=REAL
    )
    assert due == date(2025, 10, 20)


@pytest.mark.parametrize(("every", "unit"), [(0, DAY), (367, DAY), (53, WEEK), (13, MONTH), (1, "year")])
def test_intervals_out_of_range_are_refused(every: int, unit: str) -> None:
    with pytest.raises(ValueError, match=r"unit|interval"):
        Interval(every, unit)
