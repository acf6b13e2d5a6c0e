"""The working calendar: official holidays and 调休, overrides, years the package does not cover, the DB adapter."""

from __future__ import annotations

from datetime import date, datetime

import chinese_calendar
import pytest
from django.urls import reverse

from gongzhi.core import calendar_days, timeutil
from gongzhi.core.models import CalendarDay
from gongzhi.core.workcalendar import ChineseWorkCalendar, WorkCalendar

# Source: the State Council General Office notices on the holiday arrangements (国务院办公厅关于2024年 / 2025年 /
# 2026年部分节假日安排的通知), as encoded in chinesecalendar 1.11.0; every row is checked against the package too.
KNOWN_DAYS = [
    # 2024 Spring Festival: off 02-10..02-17, worked Sunday 02-04 and Sunday 02-18.
    ("2024-02-04", True, "Spring Festival"),
    ("2024-02-09", True, None),
    ("2024-02-10", False, "Spring Festival"),
    ("2024-02-17", False, "Spring Festival"),
    ("2024-02-18", True, "Spring Festival"),
    # 2024 National Day: off 10-01..10-07, worked Sunday 09-29 and Saturday 10-12.
    ("2024-09-29", True, "National Day"),
    ("2024-10-01", False, "National Day"),
    ("2024-10-07", False, "National Day"),
    ("2024-10-12", True, "National Day"),
    # 2025 Spring Festival: off 01-28..02-04, worked Sunday 01-26 and Saturday 02-08.
    ("2025-01-26", True, "Spring Festival"),
    ("2025-01-27", True, None),
    ("2025-01-28", False, "Spring Festival"),
    ("2025-02-04", False, "Spring Festival"),
    ("2025-02-05", True, None),
    ("2025-02-08", True, "Spring Festival"),
    # 2025 National Day with Mid-Autumn (10-06): off 10-01..10-08, worked Sunday 09-28 and Saturday 10-11.
    ("2025-09-27", False, None),
    ("2025-09-28", True, "National Day"),
    ("2025-09-30", True, None),
    ("2025-10-01", False, "National Day"),
    ("2025-10-06", False, "Mid-autumn Festival"),
    ("2025-10-08", False, "National Day"),
    ("2025-10-09", True, None),
    ("2025-10-11", True, "National Day"),
    ("2025-10-12", False, None),
    # 2026: New Year off 01-01..01-03 and worked Sunday 01-04; Spring Festival off 02-15..02-23, worked Saturdays
    # 02-14 and 02-28; National Day off 10-01..10-07, worked Sunday 09-20 and Saturday 10-10.
    ("2026-01-02", False, "New Year's Day"),
    ("2026-01-04", True, "New Year's Day"),
    ("2026-02-14", True, "Spring Festival"),
    ("2026-02-15", False, "Spring Festival"),
    ("2026-02-23", False, "Spring Festival"),
    ("2026-02-28", True, "Spring Festival"),
    ("2026-09-20", True, "National Day"),
    ("2026-10-07", False, "National Day"),
    ("2026-10-10", True, "National Day"),
]


@pytest.mark.parametrize(("day", "workday", "name"), KNOWN_DAYS)
def test_known_days_follow_the_official_arrangement(day, workday, name):
    the_day = date.fromisoformat(day)
    assert chinese_calendar.is_workday(the_day) is workday, "the fixture disagrees with the package"
    calendar = ChineseWorkCalendar()
    assert calendar.is_workday(the_day) is workday
    assert calendar.holiday_name(the_day) == name


def test_the_calendar_is_a_work_calendar_and_accepts_datetimes():
    calendar = ChineseWorkCalendar()
    assert isinstance(calendar, WorkCalendar)
    assert calendar.is_workday(datetime(2025, 10, 11, 23, 59)) is True  # noqa: DTZ001 - only the day matters
    assert calendar.holiday_name(datetime(2025, 10, 1, 9, 0)) == "National Day"  # noqa: DTZ001


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_covered_years(year):
    assert ChineseWorkCalendar().covered(year)


def test_overrides_win_both_ways_and_name_the_day():
    overrides = {date(2025, 10, 8): True, date(2025, 10, 9): False, date(2025, 10, 11): False}
    calendar = ChineseWorkCalendar(overrides, names={date(2025, 10, 9): "Typhoon day off"})
    assert calendar.is_workday(date(2025, 10, 8)) is True
    assert calendar.is_workday(date(2025, 10, 9)) is False
    assert calendar.is_workday(date(2025, 10, 11)) is False
    assert calendar.is_workday(date(2025, 10, 10)) is True  # untouched days still follow the package
    assert calendar.holiday_name(date(2025, 10, 9)) == "Typhoon day off"
    # An override that contradicts the package drops the package's name; one that agrees keeps it.
    assert calendar.holiday_name(date(2025, 10, 8)) is None
    assert ChineseWorkCalendar({date(2025, 10, 1): False}).holiday_name(date(2025, 10, 1)) == "National Day"


def test_overrides_are_copied():
    overrides = {date(2025, 10, 8): True}
    calendar = ChineseWorkCalendar(overrides)
    overrides[date(2025, 10, 8)] = False
    assert calendar.is_workday(date(2025, 10, 8)) is True
    assert dict(calendar.overrides) == {date(2025, 10, 8): True}


def test_an_uncovered_year_falls_back_to_weekdays_plus_overrides():
    plain = ChineseWorkCalendar()
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2035, 1, 1))
    assert not plain.covered(2035)
    assert plain.is_workday(date(2035, 1, 1)) is True  # a Monday: New Year's Day is unknown without an override
    assert plain.is_workday(date(2035, 1, 5)) is True  # Friday
    assert plain.is_workday(date(2035, 1, 6)) is False  # Saturday
    assert plain.holiday_name(date(2035, 1, 1)) is None

    corrected = ChineseWorkCalendar({date(2035, 1, 1): False, date(2035, 1, 6): True}, names={date(2035, 1, 1): "元旦"})
    assert corrected.is_workday(date(2035, 1, 1)) is False
    assert corrected.is_workday(date(2035, 1, 6)) is True
    assert corrected.is_workday(date(2035, 1, 7)) is False
    assert corrected.holiday_name(date(2035, 1, 1)) == "元旦"
    assert not corrected.covered(2035)


# -- the database adapter ---------------------------------------------------------------------------------------------


@pytest.fixture
def fresh_cache():
    calendar_days.invalidate()
    yield
    calendar_days.invalidate()


@pytest.fixture
def clock(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(calendar_days, "_clock", lambda: now[0])
    return now


@pytest.mark.usefixtures("fresh_cache")
class TestCurrentCalendar:
    pytestmark = pytest.mark.django_db

    def test_sees_a_new_calendar_day_after_it_is_saved(self):
        assert calendar_days.current_calendar().is_workday(date(2035, 2, 8)) is True
        CalendarDay.objects.create(date=date(2035, 2, 8), is_workday=False, name="春节")
        calendar_days.invalidate()
        calendar = calendar_days.current_calendar()
        assert calendar.is_workday(date(2035, 2, 8)) is False
        assert calendar.holiday_name(date(2035, 2, 8)) == "春节"

    def test_other_processes_notice_a_change_within_the_ttl(self, clock, monkeypatch, django_assert_num_queries):
        monkeypatch.setattr(calendar_days, "CACHE_TTL_SECONDS", 5.0)
        first = calendar_days.current_calendar()
        # Saved without invalidate(), as another process would: unseen until the TTL runs out, with no query.
        row = CalendarDay.objects.create(date=date(2035, 2, 10), is_workday=True, name="调休上班")
        clock[0] += 4.9
        with django_assert_num_queries(0):
            assert calendar_days.current_calendar() is first
        clock[0] += 0.2
        assert calendar_days.current_calendar().is_workday(date(2035, 2, 10)) is True
        # An unchanged version keeps the built calendar: one cheap query, no rebuild.
        clock[0] += 10
        with django_assert_num_queries(1):
            second = calendar_days.current_calendar()
        # An edit and a delete are noticed too.
        row.is_workday = False
        row.save()
        clock[0] += 10
        assert calendar_days.current_calendar() is not second
        assert calendar_days.current_calendar().is_workday(date(2035, 2, 10)) is False
        row.delete()
        clock[0] += 10
        assert calendar_days.current_calendar().overrides == {}

    def test_admin_save_and_delete_refresh_this_process_at_once(self, admin_client, django_capture_on_commit_callbacks):
        client = admin_client
        assert calendar_days.current_calendar().is_workday(date(2025, 10, 10)) is True
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("admin:core_calendarday_add"),
                {"date": "2025-10-10", "is_workday": "", "name": "Typhoon", "note": "District notice No. 7"},
            )
        assert response.status_code == 302
        assert calendar_days.current_calendar().is_workday(date(2025, 10, 10)) is False
        day = CalendarDay.objects.get()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("admin:core_calendarday_delete", args=[day.pk]), {"post": "yes"})
        assert response.status_code == 302
        assert calendar_days.current_calendar().is_workday(date(2025, 10, 10)) is True

    def test_admin_lists_by_year_and_warns_about_an_uncovered_year(self, admin_client, monkeypatch):
        client = admin_client
        CalendarDay.objects.create(date=date(2025, 10, 10), is_workday=False, name="Typhoon")
        CalendarDay.objects.create(date=date(2035, 1, 1), is_workday=False, name="元旦")
        monkeypatch.setattr(timeutil, "local_today", lambda: date(2034, 12, 1))
        url = reverse("admin:core_calendarday_changelist")
        page = client.get(url, {"year": "2035"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "Typhoon" not in page
        assert "元旦" in page
        # 2034 has no override at all: warned. 2035 has one, so the admin has started on it: not warned.
        assert "no official holidays for 2034" in page
        assert "no official holidays for 2035" not in page

        monkeypatch.setattr(timeutil, "local_today", lambda: date(2025, 6, 1))
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "no official holidays" not in page
        assert "Typhoon" in page
