"""The duty rota and opening hours (pure): shifts past midnight, public holidays and 调休 make-up working days, with
a hand-built calendar."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gongzhi.stations import rota
from gongzhi.stations.rota import Span


@dataclass
class Calendar:
    """Monday–Friday, with the given days off and worked weekend days."""

    off: set[date] = field(default_factory=set)
    worked: set[date] = field(default_factory=set)

    def is_workday(self, day: date) -> bool:
        if day in self.off:
            return False
        if day in self.worked:
            return True
        return day.weekday() < 5


PLAIN = Calendar()
# 2026-12-04 is a Friday; 2026-12-07 a Monday.
FRI = date(2026, 12, 4)
SAT = date(2026, 12, 5)
SUN = date(2026, 12, 6)
MON = date(2026, 12, 7)
TUE = date(2026, 12, 8)


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm))


DAY = [Span(d, time(8, 30), time(17, 30), "day") for d in range(5)]
NIGHT_FRI = Span(4, time(20, 0), time(8, 0), "night")
SUNDAY = Span(6, time(9, 0), time(12, 0), "sunday")


def test_a_day_shift_covers_its_hours_only():
    assert rota.on_duty(DAY, at(MON, 8, 29), PLAIN) == []
    assert rota.on_duty(DAY, at(MON, 8, 30), PLAIN) == ["day"]
    assert rota.on_duty(DAY, at(MON, 17, 29), PLAIN) == ["day"]
    assert rota.on_duty(DAY, at(MON, 17, 30), PLAIN) == []  # the end is not part of the shift
    assert rota.on_duty(DAY, at(SAT, 10), PLAIN) == []


def test_a_night_shift_runs_past_midnight_into_the_next_day():
    spans = [NIGHT_FRI]
    assert rota.on_duty(spans, at(FRI, 19, 59), PLAIN) == []
    assert rota.on_duty(spans, at(FRI, 20), PLAIN) == ["night"]
    assert rota.on_duty(spans, at(FRI, 23, 59), PLAIN) == ["night"]
    assert rota.on_duty(spans, at(SAT, 0), PLAIN) == ["night"]
    assert rota.on_duty(spans, at(SAT, 7, 59), PLAIN) == ["night"]
    assert rota.on_duty(spans, at(SAT, 8), PLAIN) == []
    assert rota.on_duty(spans, at(THU := FRI - timedelta(days=1), 23), PLAIN) == []
    assert THU.weekday() == 3


def test_a_sunday_night_shift_wraps_into_monday():
    spans = [Span(6, time(22), time(6), "sun-night")]
    assert rota.on_duty(spans, at(MON, 5, 59), PLAIN) == ["sun-night"]
    assert rota.on_duty(spans, at(MON, 6), PLAIN) == []


def test_a_public_holiday_follows_the_sunday_rota_or_closes():
    holiday = Calendar(off={MON})
    spans = [*DAY, SUNDAY]
    assert rota.on_duty(spans, at(MON, 10), holiday) == ["sunday"]
    assert rota.on_duty(spans, at(MON, 14), holiday) == []
    assert rota.on_duty(spans, at(MON, 10), holiday, closed_on_holidays=True) == []
    assert not rota.is_open(spans, at(MON, 10), holiday, closed_on_holidays=True)
    assert rota.on_duty(spans, at(TUE, 10), holiday, closed_on_holidays=True) == ["day"]


def test_a_make_up_working_day_follows_the_working_day_rota():
    tiaoxiu = Calendar(worked={SAT})
    assert rota.on_duty(DAY, at(SAT, 10), tiaoxiu) == ["day"]
    assert rota.on_duty([*DAY, SUNDAY], at(SUN, 10), tiaoxiu) == ["sunday"]
    friday_rota = [Span(4, time(9), time(11), "fri")]
    assert rota.on_duty(friday_rota, at(SAT, 10), tiaoxiu, makeup_weekday=4) == ["fri"]
    assert rota.on_duty(friday_rota, at(SAT, 10), tiaoxiu) == []


def test_a_night_shift_begun_before_a_holiday_runs_into_it_but_not_one_begun_on_a_closed_holiday():
    holiday = Calendar(off={MON})
    night = [Span(d, time(20), time(8), f"night-{d}") for d in range(7)]
    # Sunday night runs into the holiday Monday as planned.
    assert rota.on_duty(night, at(MON, 7), holiday, closed_on_holidays=True) == ["night-6"]
    # The closed holiday Monday starts no night shift, so Tuesday 07:00 has nobody.
    assert rota.on_duty(night, at(TUE, 7), holiday, closed_on_holidays=True) == []
    # Open on holidays: Monday follows Sunday's rota, so Sunday's night shift starts again on Monday night.
    assert rota.on_duty(night, at(TUE, 7), holiday) == ["night-6"]


def test_a_post_on_two_shifts_at_once_is_named_once():
    spans = [Span(0, time(8), time(12), "a"), Span(0, time(10), time(14), "a"), Span(0, time(9), time(11), "b")]
    assert rota.on_duty(spans, at(MON, 10, 30), PLAIN) == ["a", "b"]


def test_spans_refuse_nonsense():
    with pytest.raises(ValueError, match="weekday"):
        Span(7, time(8), time(9))
    with pytest.raises(ValueError, match="empty"):
        Span(0, time(8), time(8))


times = st.times().map(lambda t: t.replace(second=0, microsecond=0))
spans = (
    st.tuples(st.integers(0, 6), times, times, st.integers(0, 5)).filter(lambda t: t[1] != t[2]).map(lambda t: Span(*t))
)
days = st.dates(date(2020, 1, 1), date(2030, 12, 31))


@given(span=spans, day=days, moment=times)
def test_an_ordinary_week_covers_exactly_the_span(span, day, moment):
    """Without holidays: a moment is covered when it lies in the span on its weekday, or in the overnight tail the
    day before — computed here by minutes of the week."""
    minute = day.weekday() * 1440 + moment.hour * 60 + moment.minute
    start = span.weekday * 1440 + span.start.hour * 60 + span.start.minute
    length = (span.end.hour * 60 + span.end.minute) - (span.start.hour * 60 + span.start.minute)
    length = length if length > 0 else length + 1440
    covered = (minute - start) % (7 * 1440) < length
    assert (rota.on_duty([span], datetime.combine(day, moment), PLAIN) == [span.key]) is covered


@given(shifts=st.lists(spans, max_size=6), day=days, moment=times, closed=st.booleans())
def test_a_closed_holiday_has_nobody_except_from_the_night_before(shifts, day, moment, closed):
    holiday = Calendar(off={day} if day.weekday() < 5 else set())
    keys = rota.on_duty(shifts, datetime.combine(day, moment), holiday, closed_on_holidays=True)
    if day.weekday() < 5:
        yesterday = (day - timedelta(days=1)).weekday()
        assert all(
            any(s.key == k and s.overnight and s.weekday == yesterday and moment < s.end for s in shifts) for k in keys
        )
    assert len(keys) == len(set(keys))
