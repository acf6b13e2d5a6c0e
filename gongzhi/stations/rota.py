"""Opening hours and the duty rota: is a station open now, who is on duty now. Pure: no Django import.

A span (an opening span or a duty shift) belongs to a weekday and runs from ``start`` to ``end`` local time; when
``end`` is not after ``start`` it runs past midnight into the next day (a night shift 20:00–08:00 on Friday covers
Saturday 07:00). Which weekday's spans a calendar day follows comes from the working calendar
(``core.workcalendar``, official holidays and 调休):

- an ordinary day follows its own weekday;
- a public holiday (a Monday–Friday the calendar makes a day off) follows the Sunday spans, and has none at all
  where the place is closed on public holidays (``closed_on_holidays``);
- a make-up working day (调休上班: a Saturday or Sunday the calendar makes a working day) follows ``makeup_weekday``
  (Monday by default: the working-day rota).

A span that began the day before belongs to the day it began, so a Friday night shift runs into a holiday Saturday
as planned, and a shift beginning on a closed holiday does not run into the next morning.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from gongzhi.core.workcalendar import WorkCalendar

SUNDAY = 6
MONDAY = 0


@dataclass(frozen=True)
class Span:
    """An opening span or a duty shift; ``key`` names what it is for (a post, or nothing for opening hours)."""

    weekday: int
    start: time
    end: time
    key: Hashable = None

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError("weekday runs from 0 (Monday) to 6 (Sunday)")
        if self.start == self.end:
            raise ValueError("a span must not be empty")

    @property
    def overnight(self) -> bool:
        return self.end <= self.start


def followed_weekday(
    day: date, calendar: WorkCalendar, *, closed_on_holidays: bool = False, makeup_weekday: int = MONDAY
) -> int | None:
    """The weekday whose spans ``day`` follows, or None when the place is closed all day (a public holiday)."""
    weekday = day.weekday()
    workday = calendar.is_workday(day)
    if weekday < 5 and not workday:  # a public holiday
        return None if closed_on_holidays else SUNDAY
    if weekday >= 5 and workday:  # 调休: a weekend day worked in exchange
        return makeup_weekday
    return weekday


def _covers(span: Span, moment: time, *, same_day: bool) -> bool:
    if same_day:
        return span.start <= moment < span.end if not span.overnight else moment >= span.start
    return span.overnight and moment < span.end


def active(
    spans: Iterable[Span],
    at: datetime,
    calendar: WorkCalendar,
    *,
    closed_on_holidays: bool = False,
    makeup_weekday: int = MONDAY,
) -> list[Span]:
    """The spans running at ``at`` (a local, naive or aware, date and time), in the order given."""
    today = at.date()
    moment = at.time().replace(tzinfo=None)
    follows_today = followed_weekday(
        today, calendar, closed_on_holidays=closed_on_holidays, makeup_weekday=makeup_weekday
    )
    follows_yesterday = followed_weekday(
        today - timedelta(days=1), calendar, closed_on_holidays=closed_on_holidays, makeup_weekday=makeup_weekday
    )
    found = []
    for span in spans:
        if (span.weekday == follows_today and _covers(span, moment, same_day=True)) or (
            span.weekday == follows_yesterday and _covers(span, moment, same_day=False)
        ):
            found.append(span)
    return found


def on_duty(
    spans: Iterable[Span],
    at: datetime,
    calendar: WorkCalendar,
    *,
    closed_on_holidays: bool = False,
    makeup_weekday: int = MONDAY,
) -> list[Hashable]:
    """The keys (posts) whose shifts run at ``at``, each once, in the order of their first shift."""
    running = active(spans, at, calendar, closed_on_holidays=closed_on_holidays, makeup_weekday=makeup_weekday)
    return list(dict.fromkeys(span.key for span in running))


def is_open(
    spans: Iterable[Span],
    at: datetime,
    calendar: WorkCalendar,
    *,
    closed_on_holidays: bool = False,
    makeup_weekday: int = MONDAY,
) -> bool:
    """Whether any opening span runs at ``at``."""
    return bool(active(spans, at, calendar, closed_on_holidays=closed_on_holidays, makeup_weekday=makeup_weekday))
