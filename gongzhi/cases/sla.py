"""SLA clocks: deadlines for a case from its policy and the working calendar. Pure: no Django import.

Two clocks (DESIGN.md §5):

- wall-clock: all time counts;
- working time: only time on working days counts, each working day whole, from local midnight to the next local
  midnight in the zone given (Asia/Shanghai in practice). Public holidays do not count and 调休 working weekends do.
  "3 working days" from Friday 15:00 before an ordinary weekend ends on Wednesday 15:00.

Both clocks measure real elapsed time, so a local day that a zone's offset change makes 23 or 25 hours long counts
as 23 or 25 hours (China has no such days; the code does not assume it). Datetimes must be aware; results are in the
zone given. Work is done per day, never per minute, so a 30-working-day target costs a few dozen calendar look-ups.

A deadline is the last on-time instant: finishing exactly at ``due`` is on time, one microsecond later is a breach.
``add_duration`` gives the earliest instant at which the clock has run the given time, so a working-time target that
runs out at the end of a Friday falls due on Saturday 00:00, not on Monday morning.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Final, Literal

from gongzhi.core.workcalendar import WorkCalendar

SlaState = Literal["on_track", "warning", "breached", "paused"]

ON_TRACK: Final = "on_track"
WARNING: Final = "warning"
BREACHED: Final = "breached"
PAUSED: Final = "paused"

# No official arrangement has more than 9 consecutive days off; a calendar without a working day in a year is broken.
MAX_DAYS_OFF_IN_A_ROW: Final = 366

_ZERO = timedelta(0)
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Policy:
    """Targets of one category × urgency. Minutes are on the working-time clock when ``working_time`` is set.

    ``warn_ratio`` is the share of the start→due span after which a case shows a warning; ``grace_minutes`` the
    wall-clock time after a breach before automatic escalation.
    """

    response_minutes: int
    resolve_minutes: int
    working_time: bool = False
    warn_ratio: float = 0.8
    grace_minutes: int = 1440

    def __post_init__(self) -> None:
        if not self.response_minutes > 0:
            raise ValueError(f"response_minutes must be positive, got {self.response_minutes!r}")
        if not self.resolve_minutes > 0:
            raise ValueError(f"resolve_minutes must be positive, got {self.resolve_minutes!r}")
        if not 0 < self.warn_ratio < 1:
            raise ValueError(f"warn_ratio must lie strictly between 0 and 1, got {self.warn_ratio!r}")
        if not self.grace_minutes >= 0:
            raise ValueError(f"grace_minutes must not be negative, got {self.grace_minutes!r}")


def add_duration(start: datetime, minutes: float, *, working: bool, calendar: WorkCalendar, tz: tzinfo) -> datetime:
    """The earliest instant at which ``minutes`` have run on the clock since ``start``.

    On the working-time clock a start inside a day off counts from the next working day's 00:00.
    """
    return _add(start, _minutes_to_timedelta(minutes), working=working, calendar=calendar, tz=tz)


def elapsed_minutes(start: datetime, end: datetime, *, working: bool, calendar: WorkCalendar, tz: tzinfo) -> float:
    """Minutes run on the clock from ``start`` to ``end``; negative when ``end`` comes first."""
    return _elapsed(start, end, working=working, calendar=calendar, tz=tz) / timedelta(minutes=1)


def deadlines(start: datetime, policy: Policy, calendar: WorkCalendar, tz: tzinfo) -> tuple[datetime, datetime]:
    """(response due, resolve due) for a case received at ``start``."""
    response_due = add_duration(start, policy.response_minutes, working=policy.working_time, calendar=calendar, tz=tz)
    resolve_due = add_duration(start, policy.resolve_minutes, working=policy.working_time, calendar=calendar, tz=tz)
    return response_due, resolve_due


def extend_for_pause(
    due: datetime,
    paused_from: datetime,
    paused_to: datetime,
    *,
    working: bool,
    calendar: WorkCalendar,
    tz: tzinfo,
) -> datetime:
    """``due`` moved later by the time the case spent on hold, measured on the same clock as the deadline.

    A pause that lies wholly in days off moves a working-time deadline by nothing. A pause that ends before it
    starts is an error.
    """
    if _to_utc(paused_to, "paused_to") < _to_utc(paused_from, "paused_from"):
        raise ValueError("a pause cannot end before it starts")
    held = _elapsed(paused_from, paused_to, working=working, calendar=calendar, tz=tz)
    if held == _ZERO:
        return _to_utc(due, "due").astimezone(tz)
    return _add(due, held, working=working, calendar=calendar, tz=tz)


def state(
    now: datetime,
    start: datetime,
    due: datetime,
    *,
    warn_ratio: float,
    working: bool,
    calendar: WorkCalendar,
    tz: tzinfo,
    paused: bool = False,
) -> SlaState:
    """Where a deadline stands at ``now``.

    ``paused`` wins: the clock is stopped while a case is on hold. Then ``breached`` once ``now`` is past ``due``,
    ``warning`` once the clock has run at least ``warn_ratio`` of the start→due span, ``on_track`` before that.
    """
    if not 0 < warn_ratio < 1:
        raise ValueError(f"warn_ratio must lie strictly between 0 and 1, got {warn_ratio!r}")
    if paused:
        return PAUSED
    if _to_utc(now, "now") > _to_utc(due, "due"):
        return BREACHED
    span = _elapsed(start, due, working=working, calendar=calendar, tz=tz)
    run = _elapsed(start, now, working=working, calendar=calendar, tz=tz)
    # Compare whole microseconds: 0.8 of 100 minutes must be reached at 80:00.000000 exactly, whatever float
    # rounding does to 0.8 × 6e9.
    threshold = timedelta(microseconds=round(warn_ratio * (span // timedelta(microseconds=1))))
    return WARNING if run >= threshold else ON_TRACK


def escalation_due(due: datetime, policy: Policy) -> datetime:
    """When a breached deadline escalates automatically: ``due`` plus the policy's grace, on the wall clock."""
    zone = due.tzinfo
    begin = _to_utc(due, "due")
    assert zone is not None  # _to_utc rejects naive datetimes
    return (begin + timedelta(minutes=policy.grace_minutes)).astimezone(zone)


# -- internals: all arithmetic on UTC instants; local days only decide which stretches count --------------------------


def _to_utc(moment: datetime, what: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be an aware datetime, got {moment!r}")
    return moment.astimezone(UTC)


def _minutes_to_timedelta(minutes: float) -> timedelta:
    if not math.isfinite(minutes) or minutes < 0:
        raise ValueError(f"minutes must be a finite number ≥ 0, got {minutes!r}")
    return timedelta(minutes=minutes)


def _day_start(day: date, tz: tzinfo) -> datetime:
    """The UTC instant at which local ``day`` begins. Where a zone skips local midnight, fold=0 reads it with the
    offset before the change, which is the instant the day really begins."""
    return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)


def _local_day(moment: datetime, tz: tzinfo) -> date:
    return moment.astimezone(tz).date()


def _add(start: datetime, amount: timedelta, *, working: bool, calendar: WorkCalendar, tz: tzinfo) -> datetime:
    begin = _to_utc(start, "start")
    if not working:
        return (begin + amount).astimezone(tz)
    return _add_working(begin, amount, calendar, tz).astimezone(tz)


def _add_working(begin: datetime, amount: timedelta, calendar: WorkCalendar, tz: tzinfo) -> datetime:
    if amount == _ZERO:
        return begin
    day = _local_day(begin, tz)
    cursor = begin
    remaining = amount
    days_off = 0
    while True:
        next_start = _day_start(day + _ONE_DAY, tz)
        if calendar.is_workday(day):
            days_off = 0
            available = next_start - cursor
            if remaining <= available:
                return cursor + remaining
            remaining -= available
        else:
            days_off += 1
            if days_off > MAX_DAYS_OFF_IN_A_ROW:
                raise ValueError(f"the calendar has no working day in the {MAX_DAYS_OFF_IN_A_ROW} days before {day}")
        day += _ONE_DAY
        cursor = next_start


def _elapsed(start: datetime, end: datetime, *, working: bool, calendar: WorkCalendar, tz: tzinfo) -> timedelta:
    begin = _to_utc(start, "start")
    finish = _to_utc(end, "end")
    if finish < begin:
        return -_elapsed(finish, begin, working=working, calendar=calendar, tz=tz)
    if not working:
        return finish - begin
    total = _ZERO
    day = _local_day(begin, tz)
    last = _local_day(finish, tz)
    cursor = begin
    while day <= last:
        next_start = _day_start(day + _ONE_DAY, tz)
        if calendar.is_workday(day):
            total += min(finish, next_start) - cursor
        day += _ONE_DAY
        cursor = next_start
    return total
