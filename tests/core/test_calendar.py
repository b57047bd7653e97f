"""The working-day calendar: official schedules, make-up days, missing years, the cache."""

from __future__ import annotations

import datetime as dt
import logging
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from chinese_calendar import constants
from django.core.management import call_command
from django.urls import reverse

from linli.core import calendar
from linli.core.calendar import (
    DeadlineUnit,
    add_working_days,
    calendar_warnings,
    deadline_after,
    is_workday,
    years_without_schedule,
)
from linli.core.models import CalendarDay, CalendarSource, CalendarYear

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def end_of(y: int, m: int, d: int) -> dt.datetime:
    return local(y, m, d, 23, 59, 59)


@pytest.fixture(autouse=True)
def fresh_calendar_cache():
    # A test's rows are rolled back without a signal: drop the cache on both sides.
    calendar.invalidate()
    calendar._warned_years.clear()
    yield
    calendar.invalidate()
    calendar._warned_years.clear()


# --- the official schedule ------------------------------------------------------


def test_migration_seeds_every_year_the_package_knows():
    package_years = {d.year for d in constants.holidays} | {d.year for d in constants.workdays}
    assert set(CalendarYear.objects.values_list("year", flat=True)) == package_years
    assert CalendarDay.objects.count() == len(constants.holidays) + len(constants.workdays)
    national_day = CalendarDay.objects.get(date=dt.date(2026, 10, 1))
    assert (national_day.is_workday, national_day.name) == (False, "国庆节")
    assert CalendarYear.objects.get(year=2026).source == CalendarSource.PACKAGE


def test_national_day_2026_skips_the_holiday_week_and_counts_the_make_up_saturday():
    # Filed Wednesday 2026-09-30: Oct 1-7 are holidays, Oct 10 (Saturday) is worked.
    assert [is_workday(dt.date(2026, 10, d)) for d in range(1, 12)] == [
        *[False] * 7,  # 1-7 National Day
        True,  # 8 Thu
        True,  # 9 Fri
        True,  # 10 Sat, make-up working day
        False,  # 11 Sun
    ]
    due = add_working_days(local(2026, 9, 30, 16, 30), 3)
    assert due == end_of(2026, 10, 10)
    assert due.isoformat() == "2026-10-10T23:59:59+08:00"


def test_a_make_up_saturday_counts_as_a_working_day():
    assert dt.date(2026, 2, 14).weekday() == 5
    assert is_workday(dt.date(2026, 2, 14))
    # Filed Friday 2026-02-13: the next working day is that Saturday.
    assert add_working_days(local(2026, 2, 13, 9), 1) == end_of(2026, 2, 14)


def test_spring_festival_2026_is_skipped_whole():
    assert not any(is_workday(dt.date(2026, 2, d)) for d in range(15, 24))
    # Friday Feb 13 + 2: Saturday Feb 14 (make-up), then Tuesday Feb 24 after the holidays.
    assert add_working_days(local(2026, 2, 13, 9), 2) == end_of(2026, 2, 24)
    # 6 working days: Feb 14, 24, 25, 26, 27 and the make-up Saturday Feb 28.
    assert add_working_days(local(2026, 2, 13, 9), 6) == end_of(2026, 2, 28)


def test_zero_working_days_is_the_end_of_today_or_of_the_next_working_day():
    assert add_working_days(local(2026, 9, 30, 8), 0) == end_of(2026, 9, 30)
    assert add_working_days(local(2026, 10, 3, 8), 0) == end_of(2026, 10, 8)
    assert add_working_days(local(2026, 10, 10, 8), 0) == end_of(2026, 10, 10)
    # An ordinary Sunday.
    assert add_working_days(local(2026, 11, 29, 8), 0) == end_of(2026, 11, 30)


def test_the_start_date_is_the_local_date_not_the_utc_one():
    # 2026-09-29 17:00 UTC is already Wednesday 2026-09-30 01:00 in Shanghai.
    start = dt.datetime(2026, 9, 29, 17, 0, tzinfo=dt.UTC)
    assert add_working_days(start, 1) == end_of(2026, 10, 8)
    # A naive start is read as Shanghai time.
    assert add_working_days(dt.datetime(2026, 9, 29, 17, 0), 1) == end_of(2026, 9, 30)


def test_negative_working_days_are_refused():
    with pytest.raises(ValueError):
        add_working_days(local(2026, 9, 30), -1)


# --- a year without a schedule ------------------------------------------------------


def test_a_year_without_a_schedule_counts_weekends_only_and_warns_once(caplog):
    assert years_without_schedule([2025, 2026, 2031, 2031]) == [2031]
    caplog.set_level(logging.WARNING, logger="linli.calendar")
    # 2031-01-01 is a Wednesday: New Year's Day is unknown, so it is a working day.
    assert is_workday(dt.date(2031, 1, 1))
    assert not is_workday(dt.date(2031, 1, 4))  # Saturday
    # Friday Jan 3 + 1 working day: Monday Jan 6.
    assert add_working_days(local(2031, 1, 3, 10), 1) == end_of(2031, 1, 6)
    assert add_working_days(local(2031, 1, 3, 10), 6) == end_of(2031, 1, 13)
    warnings = [r for r in caplog.records if r.name == "linli.calendar"]
    assert len(warnings) == 1
    assert "2031" in warnings[0].getMessage()


def test_a_deadline_running_into_an_unknown_year_does_not_fail():
    # Thursday 2026-12-31 + 2: Friday 2027-01-01 (no 2027 schedule yet), Monday 2027-01-04.
    assert years_without_schedule([2027]) == [2027]
    assert add_working_days(local(2026, 12, 31, 10), 2) == end_of(2027, 1, 4)


def test_days_an_administrator_enters_count_before_the_year_is_marked_known():
    CalendarDay.objects.create(date=dt.date(2031, 1, 1), is_workday=False, name="元旦")
    assert not is_workday(dt.date(2031, 1, 1))
    assert years_without_schedule([2031]) == [2031]
    CalendarYear.objects.create(year=2031, source=CalendarSource.MANUAL)
    assert years_without_schedule([2031]) == []


def test_calendar_warnings_name_the_missing_current_and_next_year():
    assert calendar_warnings(today=dt.date(2026, 6, 1)) == []
    # From November on, next year's missing schedule is announced.
    (text,) = calendar_warnings(today=dt.date(2026, 11, 29))
    assert "2027" in text
    (text,) = calendar_warnings(today=dt.date(2027, 3, 1))
    assert "2027" in text
    assert len(calendar_warnings(today=dt.date(2027, 11, 1))) == 2
    CalendarYear.objects.create(year=2027)
    assert calendar_warnings(today=dt.date(2026, 11, 29)) == []


# --- the cache ----------------------------------------------------------------------


def test_an_added_day_changes_the_result_immediately():
    monday = dt.date(2026, 11, 30)
    assert is_workday(monday)
    assert add_working_days(local(2026, 11, 27, 9), 1) == end_of(2026, 11, 30)
    row = CalendarDay.objects.create(date=monday, is_workday=False, name="test")
    assert not is_workday(monday)
    assert add_working_days(local(2026, 11, 27, 9), 1) == end_of(2026, 12, 1)
    row.is_workday = True
    row.save()
    assert is_workday(monday)
    row.delete()
    assert is_workday(monday)
    CalendarYear.objects.filter(year=2026).delete()
    assert years_without_schedule([2026]) == [2026]


def test_the_table_is_read_once_per_year_not_per_day(django_assert_num_queries):
    with django_assert_num_queries(2):  # the known years, the 2026 table
        add_working_days(local(2026, 1, 1), 200)
    with django_assert_num_queries(0):
        add_working_days(local(2026, 2, 13), 30)
        is_workday(dt.date(2026, 10, 1))
    with django_assert_num_queries(1):  # the 2027 table
        add_working_days(local(2026, 12, 1), 40)


def test_the_cache_expires_after_its_ttl(monkeypatch, django_assert_num_queries):
    is_workday(dt.date(2026, 5, 1))
    monkeypatch.setattr(calendar, "CACHE_TTL", -1.0)
    with django_assert_num_queries(2):
        is_workday(dt.date(2026, 5, 1))


# --- deadline_after -------------------------------------------------------------------


def test_deadline_after_hours_days_and_working_days():
    start = local(2026, 9, 30, 16, 30)
    assert deadline_after(start, amount=48, unit="hours") == local(2026, 10, 2, 16, 30)
    assert deadline_after(start, amount=3, unit="days") == local(2026, 10, 3, 16, 30)
    assert deadline_after(start, amount=3, unit="working_days") == end_of(2026, 10, 10)
    assert deadline_after(start, amount=3, unit=DeadlineUnit.WORKING_DAYS) == end_of(2026, 10, 10)
    assert deadline_after(start, amount=0, unit="hours") == start


def test_deadline_after_keeps_the_local_clock_time_for_days():
    start = dt.datetime(2026, 9, 30, 20, 0, tzinfo=dt.UTC)  # Oct 1, 04:00 in Shanghai
    due = deadline_after(start, amount=1, unit="days")
    assert due == local(2026, 10, 2, 4, 0)
    assert due.utcoffset() == dt.timedelta(hours=8)


def test_deadline_after_refuses_unknown_units_and_negative_amounts():
    with pytest.raises(ValueError):
        deadline_after(local(2026, 9, 30), amount=1, unit="weeks")
    with pytest.raises(ValueError):
        deadline_after(local(2026, 9, 30), amount=-1, unit="days")


# --- calendar_seed ----------------------------------------------------------------------


def seed(*args) -> str:
    out = StringIO()
    call_command("calendar_seed", *args, stdout=out)
    return out.getvalue()


def test_calendar_seed_is_idempotent_and_restores_the_package_schedule():
    before = CalendarDay.objects.count()
    output = seed()
    assert "2026: up to date" in output
    assert "changed" not in output
    assert CalendarDay.objects.count() == before

    # An edited year is put back to the package's schedule, once.
    CalendarDay.objects.filter(date=dt.date(2026, 10, 1)).delete()
    CalendarDay.objects.filter(date=dt.date(2026, 10, 10)).update(name="x")
    CalendarDay.objects.create(date=dt.date(2026, 11, 30), is_workday=False)
    CalendarYear.objects.filter(year=2026).update(source=CalendarSource.MANUAL)
    assert "2026: 3 days changed" in seed("--year", "2026")
    assert not is_workday(dt.date(2026, 10, 1))
    assert is_workday(dt.date(2026, 11, 30))
    assert CalendarYear.objects.get(year=2026).source == CalendarSource.PACKAGE
    assert "2026: up to date" in seed("--year", "2026")
    assert CalendarDay.objects.count() == before


def test_calendar_seed_loads_a_missing_year_and_reports_unknown_ones():
    CalendarDay.objects.filter(date__year=2025).delete()
    CalendarYear.objects.filter(year=2025).delete()
    assert years_without_schedule([2025]) == [2025]
    output = seed("--year", "2025", "--year", "2031")
    assert "2025: " in output and "days changed" in output
    assert "2031: unknown to chinese-calendar" in output
    assert years_without_schedule([2025, 2031]) == [2031]
    assert not is_workday(dt.date(2025, 10, 1))
    assert not CalendarYear.objects.filter(year=2031).exists()


# --- admin ------------------------------------------------------------------------------


def test_a_day_added_in_the_admin_counts_at_once(client, superuser):
    client.force_login(superuser)
    tuesday = dt.date(2026, 12, 1)
    assert is_workday(tuesday)
    response = client.post(
        reverse("admin:core_calendarday_add"),
        {"date": "2026-12-01", "name": "临时休假"},  # is_workday unticked
    )
    assert response.status_code == 302
    assert not is_workday(tuesday)


def test_the_admin_lists_show_calendar_warnings(client, superuser, monkeypatch):
    from linli.core import admin as core_admin

    monkeypatch.setattr(
        core_admin, "calendar_warnings", lambda: calendar_warnings(today=dt.date(2027, 1, 5))
    )
    client.force_login(superuser)
    for url in (
        reverse("admin:core_calendarday_changelist"),
        reverse("admin:core_calendaryear_changelist"),
    ):
        response = client.get(url)
        assert response.status_code == 200
        shown = [str(m) for m in response.context["messages"]]
        assert len(shown) == 1 and "2027" in shown[0]
    response = client.get(reverse("admin:core_calendarday_changelist") + "?date__year=2026")
    assert response.status_code == 200
