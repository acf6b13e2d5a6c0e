"""The working calendar in force: the official one plus the administrators' ``CalendarDay`` overrides.

``current_calendar()`` is a per-process cache in the strict sense (DESIGN.md §8). Every process builds its own
calendar from the database and rebuilds it when the overrides change: a cheap version query (row count, highest id,
latest ``updated_at``) runs at most every ``CACHE_TTL_SECONDS`` seconds, so a change made elsewhere shows within
that time. The process that made the change calls ``invalidate()`` (the admin does, on commit) and sees it at once.

A calendar built inside a transaction that changed overrides may hold uncommitted rows; if that transaction rolls
back, the version query no longer matches and the next check drops the calendar.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from django.db.models import Count, Max

from gongzhi.core import caches
from gongzhi.core.workcalendar import ChineseWorkCalendar

CACHE_TTL_SECONDS = 5.0

_Version = tuple[int, int | None, object]


@dataclass(frozen=True)
class _Entry:
    version: _Version
    calendar: ChineseWorkCalendar
    checked_at: float


_entry: _Entry | None = None
_clock = time.monotonic
_lock = threading.Lock()


def _version() -> _Version:
    from gongzhi.core.models import CalendarDay

    row = CalendarDay.objects.aggregate(count=Count("pk"), last_id=Max("pk"), last_change=Max("updated_at"))
    return row["count"], row["last_id"], row["last_change"]


def _build() -> ChineseWorkCalendar:
    from gongzhi.core.models import CalendarDay

    rows = list(CalendarDay.objects.values_list("date", "is_workday", "name"))
    return ChineseWorkCalendar(
        {day: workday for day, workday, _ in rows},
        names={day: name for day, _, name in rows if name},
    )


def current_calendar() -> ChineseWorkCalendar:
    """The official calendar with the database's overrides, fresh to within the cache TTL."""
    global _entry
    now = _clock()
    entry = _entry
    if entry is not None and now - entry.checked_at < CACHE_TTL_SECONDS:
        return entry.calendar
    # The version is read before the rows: a change landing in between makes the next check rebuild again.
    version = _version()
    calendar = entry.calendar if entry is not None and entry.version == version else _build()
    with _lock:
        _entry = _Entry(version=version, calendar=calendar, checked_at=now)
    return calendar


def invalidate() -> None:
    """Forget the cached calendar; the next ``current_calendar()`` reads the database. Call it after changing
    ``CalendarDay`` rows (on commit)."""
    global _entry
    with _lock:
        _entry = None


caches.register(__name__, invalidate)
