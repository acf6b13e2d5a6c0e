"""SLA clocks: working time over Chinese holidays and 调休 days, wall-clock targets, pauses, states, properties.

Holiday facts come from chinesecalendar 1.11.0 (checked in core/tests/test_workcalendar.py): 2025 Spring Festival off
01-28..02-04 with Sunday 01-26 and Saturday 02-08 worked; National Day off 10-01..10-08 with Sunday 09-28 and
Saturday 10-11 worked.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gongzhi.cases.sla import (
    Policy,
    add_duration,
    deadlines,
    elapsed_minutes,
    escalation_due,
    extend_for_pause,
    state,
)
from gongzhi.core.workcalendar import ChineseWorkCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
CAL = ChineseWorkCalendar()
DAY = 24 * 60


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def working(start: datetime, minutes: float) -> datetime:
    return add_duration(start, minutes, working=True, calendar=CAL, tz=SHANGHAI)


def wall(start: datetime, minutes: float) -> datetime:
    return add_duration(start, minutes, working=False, calendar=CAL, tz=SHANGHAI)


class Weekdays:
    def is_workday(self, day: date) -> bool:
        return day.weekday() < 5


class EveryDay:
    def is_workday(self, day: date) -> bool:
        return True


class Counting:
    def __init__(self) -> None:
        self.calls = 0

    def is_workday(self, day: date) -> bool:
        self.calls += 1
        return CAL.is_workday(day)


# -- working time -----------------------------------------------------------------------------------------------------


def test_three_working_days_from_friday_afternoon_end_on_wednesday_afternoon():
    assert at(2025, 3, 7, 15).weekday() == 4
    assert working(at(2025, 3, 7, 15), 3 * DAY) == at(2025, 3, 12, 15)


def test_the_day_before_national_day_skips_the_holiday_and_counts_the_tiaoxiu_saturday():
    # Tue 09-30 15:00: 9 h that day, 10-01..10-08 off, Thu 10-09 and Fri 10-10 whole, Saturday 10-11 is worked.
    assert working(at(2025, 9, 30, 15), 3 * DAY) == at(2025, 10, 11, 15)
    assert working(at(2025, 9, 30, 15), 1 * DAY) == at(2025, 10, 9, 15)
    # Sunday 10-12 is an ordinary day off again.
    assert working(at(2025, 9, 30, 15), 4 * DAY) == at(2025, 10, 13, 15)


def test_spring_festival_skips_the_week_off_and_counts_both_tiaoxiu_days():
    # Friday 01-24 15:00, Saturday off, Sunday 01-26 worked.
    assert working(at(2025, 1, 24, 15), DAY) == at(2025, 1, 26, 15)
    # Monday 01-27 10:00: 14 h, then Wed 02-05, Thu, Fri, the worked Saturday 02-08, Sunday off, Monday 10:00.
    assert working(at(2025, 1, 27, 10), 5 * DAY) == at(2025, 2, 10, 10)


def test_a_start_on_a_day_off_counts_from_the_next_working_day_at_midnight():
    assert working(at(2025, 10, 3, 11), 60) == at(2025, 10, 9, 1)
    assert working(at(2025, 3, 8, 22), 30) == at(2025, 3, 10, 0, 30)  # a Saturday night
    # Nothing to run: the start itself, even on a day off.
    assert working(at(2025, 10, 3, 11), 0) == at(2025, 10, 3, 11)


def test_a_target_that_runs_out_at_the_end_of_a_working_day_falls_due_at_midnight():
    # Due "by the end of Friday" is Saturday 00:00, not Monday morning.
    assert working(at(2025, 3, 7), DAY) == at(2025, 3, 8)
    assert elapsed_minutes(at(2025, 3, 7), at(2025, 3, 10, 6), working=True, calendar=CAL, tz=SHANGHAI) == DAY + 360


def test_elapsed_working_minutes_across_a_holiday_and_backwards():
    minutes = elapsed_minutes(at(2025, 9, 30, 15), at(2025, 10, 11, 15), working=True, calendar=CAL, tz=SHANGHAI)
    assert minutes == 3 * DAY
    back = elapsed_minutes(at(2025, 10, 11, 15), at(2025, 9, 30, 15), working=True, calendar=CAL, tz=SHANGHAI)
    assert back == -3 * DAY
    assert elapsed_minutes(at(2025, 10, 2), at(2025, 10, 5), working=True, calendar=CAL, tz=SHANGHAI) == 0


def test_results_are_in_the_zone_given_whatever_the_input_zone():
    due = working(datetime(2025, 9, 30, 7, tzinfo=UTC), DAY)  # 15:00 in Shanghai
    assert due == at(2025, 10, 9, 15)
    assert due.tzinfo is SHANGHAI and due.hour == 15


def test_thirty_working_days_look_at_days_not_minutes():
    calendar = Counting()
    due = add_duration(at(2025, 9, 1, 9), 30 * DAY, working=True, calendar=calendar, tz=SHANGHAI)
    assert elapsed_minutes(at(2025, 9, 1, 9), due, working=True, calendar=CAL, tz=SHANGHAI) == 30 * DAY
    assert calendar.calls <= 60  # 30 working days + weekends + the National Day week


def test_a_calendar_without_working_days_is_refused():
    class Never:
        def is_workday(self, day: date) -> bool:
            return False

    with pytest.raises(ValueError, match="no working day"):
        add_duration(at(2025, 1, 1), 1, working=True, calendar=Never(), tz=SHANGHAI)


def test_days_that_an_offset_change_makes_shorter_count_their_real_length():
    berlin = ZoneInfo("Europe/Berlin")
    start = datetime(2025, 3, 29, 12, tzinfo=berlin)  # Sunday 03-30 has 23 hours
    due = add_duration(start, DAY, working=True, calendar=EveryDay(), tz=berlin)
    assert due.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=24)
    assert (due.day, due.hour) == (30, 13)
    # A working week across the change: Monday 03-31 10:00 after Friday 03-28 10:00 is one working day.
    friday = datetime(2025, 3, 28, 10, tzinfo=berlin)
    assert add_duration(friday, DAY, working=True, calendar=Weekdays(), tz=berlin) == datetime(
        2025, 3, 31, 10, tzinfo=berlin
    )


# -- wall-clock and deadlines -----------------------------------------------------------------------------------------


def test_wall_clock_24_hours_ignore_holidays():
    assert wall(at(2025, 9, 30, 15), DAY) == at(2025, 10, 1, 15)


def test_a_thirty_minute_emergency_target_runs_through_midnight_on_a_holiday():
    response, resolve = deadlines(at(2025, 10, 1, 23, 50), Policy(30, DAY), CAL, SHANGHAI)
    assert response == at(2025, 10, 2, 0, 20)
    assert resolve == at(2025, 10, 2, 23, 50)


def test_working_time_deadlines_for_a_case_received_before_national_day():
    policy = Policy(response_minutes=DAY, resolve_minutes=3 * DAY, working_time=True)
    assert deadlines(at(2025, 9, 30, 15), policy, CAL, SHANGHAI) == (at(2025, 10, 9, 15), at(2025, 10, 11, 15))


def test_escalation_comes_a_wall_clock_grace_after_the_deadline():
    policy = Policy(60, DAY, working_time=True, grace_minutes=DAY)
    assert escalation_due(at(2025, 9, 30, 15), policy) == at(2025, 10, 1, 15)  # a holiday, still wall-clock
    assert escalation_due(at(2025, 9, 30, 15), Policy(60, DAY, grace_minutes=0)) == at(2025, 9, 30, 15)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"response_minutes": 0, "resolve_minutes": 60}, "response_minutes"),
        ({"response_minutes": 30, "resolve_minutes": -1}, "resolve_minutes"),
        ({"response_minutes": 30, "resolve_minutes": 60, "warn_ratio": 0}, "warn_ratio"),
        ({"response_minutes": 30, "resolve_minutes": 60, "warn_ratio": 1}, "warn_ratio"),
        ({"response_minutes": 30, "resolve_minutes": 60, "warn_ratio": float("nan")}, "warn_ratio"),
        ({"response_minutes": 30, "resolve_minutes": 60, "grace_minutes": -1}, "grace_minutes"),
    ],
)
def test_policy_refuses_impossible_values(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Policy(**kwargs)


def test_naive_datetimes_and_negative_durations_are_refused():
    with pytest.raises(ValueError, match="aware"):
        add_duration(datetime(2025, 1, 1), 5, working=False, calendar=CAL, tz=SHANGHAI)  # noqa: DTZ001
    with pytest.raises(ValueError, match="minutes"):
        add_duration(at(2025, 1, 1), -5, working=False, calendar=CAL, tz=SHANGHAI)


# -- pauses -----------------------------------------------------------------------------------------------------------


def test_a_pause_over_national_day_extends_a_working_deadline_by_its_working_time_only():
    due = at(2025, 10, 10, 12)
    # Held from Tue 09-30 12:00 to Thu 10-09 12:00: 12 h on Tuesday + 12 h on Thursday = one working day.
    extended = extend_for_pause(due, at(2025, 9, 30, 12), at(2025, 10, 9, 12), working=True, calendar=CAL, tz=SHANGHAI)
    assert extended == at(2025, 10, 11, 12)  # the 调休 Saturday
    # On the wall clock the same pause moves the deadline by all nine days.
    assert extend_for_pause(
        due, at(2025, 9, 30, 12), at(2025, 10, 9, 12), working=False, calendar=CAL, tz=SHANGHAI
    ) == at(2025, 10, 19, 12)


def test_a_pause_wholly_inside_the_holiday_moves_a_working_deadline_by_nothing():
    due = at(2025, 10, 11)  # Saturday 00:00: "by the end of Friday"
    assert extend_for_pause(due, at(2025, 10, 2), at(2025, 10, 5), working=True, calendar=CAL, tz=SHANGHAI) == due


def test_a_pause_cannot_end_before_it_starts():
    with pytest.raises(ValueError, match="pause"):
        extend_for_pause(at(2025, 3, 7), at(2025, 3, 5), at(2025, 3, 4), working=False, calendar=CAL, tz=SHANGHAI)


# -- states -----------------------------------------------------------------------------------------------------------


def wall_state(now: datetime, start: datetime, due: datetime, **kwargs: bool) -> str:
    return state(now, start, due, warn_ratio=0.8, working=False, calendar=CAL, tz=SHANGHAI, **kwargs)


def test_states_at_the_exact_boundaries_on_the_wall_clock():
    start = at(2025, 3, 3, 10)
    due = start + timedelta(minutes=100)
    micro = timedelta(microseconds=1)
    assert wall_state(start, start, due) == "on_track"
    assert wall_state(start + timedelta(minutes=80) - micro, start, due) == "on_track"
    assert wall_state(start + timedelta(minutes=80), start, due) == "warning"
    assert wall_state(due, start, due) == "warning"  # finishing exactly at the deadline is on time
    assert wall_state(due + micro, start, due) == "breached"
    assert wall_state(due + micro, start, due, paused=True) == "paused"
    assert wall_state(start, start, due, paused=True) == "paused"


def test_states_on_the_working_clock_stand_still_over_the_weekend():
    # Fri 12:00 to Mon 12:00 is one working day; 0.75 of it is reached on Monday 06:00.
    start, due = at(2025, 3, 7, 12), at(2025, 3, 10, 12)
    assert working(start, DAY) == due

    def at_(now: datetime) -> str:
        return state(now, start, due, warn_ratio=0.75, working=True, calendar=CAL, tz=SHANGHAI)

    assert at_(at(2025, 3, 9, 23)) == "on_track"
    assert at_(at(2025, 3, 10, 5, 59, 59, 999999)) == "on_track"
    assert at_(at(2025, 3, 10, 6)) == "warning"
    assert at_(at(2025, 3, 10, 12)) == "warning"
    assert at_(at(2025, 3, 10, 12, 0, 0, 1)) == "breached"


def test_a_deadline_at_the_end_of_friday_is_breached_on_saturday():
    start, due = at(2025, 3, 7, 9), at(2025, 3, 8)
    now = at(2025, 3, 8, 10)
    assert state(now, start, due, warn_ratio=0.8, working=True, calendar=CAL, tz=SHANGHAI) == "breached"


# -- properties -------------------------------------------------------------------------------------------------------

starts = st.datetimes(
    min_value=datetime(2024, 1, 1),  # noqa: DTZ001 - hypothesis attaches the zone
    max_value=datetime(2026, 11, 30),  # noqa: DTZ001
    timezones=st.just(SHANGHAI),
)
minutes = st.floats(min_value=0, max_value=60 * DAY, allow_nan=False, allow_infinity=False)
clocks = st.booleans()


@given(start=starts, amount=minutes, on_working_time=clocks)
def test_add_then_elapsed_round_trips(start, amount, on_working_time):
    due = add_duration(start, amount, working=on_working_time, calendar=CAL, tz=SHANGHAI)
    assert due >= start
    assert elapsed_minutes(start, due, working=on_working_time, calendar=CAL, tz=SHANGHAI) == pytest.approx(
        amount, abs=1e-6
    )


@given(
    start=st.datetimes(
        min_value=datetime(2024, 1, 1),  # noqa: DTZ001
        max_value=datetime(2026, 11, 30),  # noqa: DTZ001
        timezones=st.just(ZoneInfo("Europe/Berlin")),
    ),
    amount=minutes,
    on_working_time=clocks,
)
def test_round_trip_holds_in_a_zone_with_offset_changes(start, amount, on_working_time):
    berlin = ZoneInfo("Europe/Berlin")
    due = add_duration(start, amount, working=on_working_time, calendar=Weekdays(), tz=berlin)
    assert elapsed_minutes(start, due, working=on_working_time, calendar=Weekdays(), tz=berlin) == pytest.approx(
        amount, abs=1e-6
    )


@given(
    start=starts,
    first=st.integers(min_value=1, max_value=40 * DAY),
    second=st.integers(min_value=1, max_value=40 * DAY),
    on_working_time=clocks,
)
def test_deadlines_are_monotonic_in_minutes(start, first, second, on_working_time):
    shorter, longer = sorted((first, second))
    response, resolve = deadlines(start, Policy(shorter, longer, working_time=on_working_time), CAL, SHANGHAI)
    assert start < response <= resolve


@given(start=starts, amount=minutes)
def test_wall_clock_equals_a_plain_timedelta(start, amount):
    assert wall(start, amount) == start + timedelta(minutes=amount)


@given(due=starts, paused_from=starts, held=minutes, on_working_time=clocks)
def test_a_pause_never_shortens_a_deadline(due, paused_from, held, on_working_time):
    paused_to = paused_from + timedelta(minutes=held)
    extended = extend_for_pause(due, paused_from, paused_to, working=on_working_time, calendar=CAL, tz=SHANGHAI)
    assert extended >= due
