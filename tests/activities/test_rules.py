"""The service day's dates as pure functions: property-style cases over many months."""

from __future__ import annotations

import calendar
import datetime as dt

import pytest

from linli.activities.models import LAST, RuleKind
from linli.activities.rules import Spec, date_in_month, in_force, is_service_day, service_days

D = dt.date
START = D(2000, 1, 1)
MONTHS = [(y, m) for y in (2024, 2025, 2100) for m in range(1, 13)]


def month_day(n, since=START):
    return Spec(RuleKind.MONTH_DAY, since, month_day=n)


def weekday(nth, wd, since=START):
    return Spec(RuleKind.WEEKDAY, since, nth=nth, weekday=wd)


@pytest.mark.parametrize(("year", "month"), MONTHS)
def test_the_last_day_is_the_months_last_including_february(year, month):
    day = date_in_month(month_day(LAST), year, month)
    assert day.month == month and (day + dt.timedelta(days=1)).month != month
    if month == 2:
        assert day.day == (29 if calendar.isleap(year) else 28)


@pytest.mark.parametrize(("year", "month"), MONTHS)
@pytest.mark.parametrize("n", [1, 10, 28])
def test_a_day_of_the_month_exists_in_every_month(year, month, n):
    assert date_in_month(month_day(n), year, month) == D(year, month, n)


@pytest.mark.parametrize(("year", "month"), MONTHS)
@pytest.mark.parametrize("wd", range(7))
@pytest.mark.parametrize("nth", [1, 2, 3, 4])
def test_the_nth_weekday_is_that_weekday_in_that_week_of_the_month(year, month, wd, nth):
    day = date_in_month(weekday(nth, wd), year, month)
    assert day.month == month and day.weekday() == wd
    assert (day.day - 1) // 7 == nth - 1


@pytest.mark.parametrize(("year", "month"), MONTHS)
@pytest.mark.parametrize("wd", range(7))
def test_the_last_weekday_is_within_the_last_seven_days(year, month, wd):
    day = date_in_month(weekday(LAST, wd), year, month)
    assert day.month == month and day.weekday() == wd
    assert (day + dt.timedelta(days=7)).month != month


def test_a_fifth_saturday_is_the_last_saturday_only_when_there_is_one():
    # November 2025 has five Saturdays (1, 8, 15, 22, 29); February 2025 four.
    assert date_in_month(weekday(LAST, 5), 2025, 11) == D(2025, 11, 29)
    assert date_in_month(weekday(4, 5), 2025, 11) == D(2025, 11, 22)
    assert date_in_month(weekday(LAST, 5), 2025, 2) == D(2025, 2, 22)
    assert date_in_month(weekday(4, 5), 2025, 2) == D(2025, 2, 22)


def test_coming_dates_start_on_or_after_the_day_and_are_one_a_month():
    days = service_days([], [month_day(10)], D(2025, 1, 10), 6)
    assert days == [D(2025, m, 10) for m in range(1, 7)]
    days = service_days([], [month_day(10)], D(2025, 1, 11), 3)
    assert days == [D(2025, 2, 10), D(2025, 3, 10), D(2025, 4, 10)]


def test_the_second_saturday_across_a_year_end():
    days = service_days([], [weekday(2, 5)], D(2025, 12, 1), 3)
    assert days == [D(2025, 12, 13), D(2026, 1, 10), D(2026, 2, 14)]


def test_a_village_follows_its_town_until_it_sets_its_own_and_back():
    town = [month_day(10)]
    own = [
        weekday(2, 5, since=D(2025, 3, 1)),
        Spec(RuleKind.FOLLOW, D(2025, 5, 1)),
    ]
    days = service_days(own, town, D(2025, 1, 1), 6)
    assert days == [
        D(2025, 1, 10),
        D(2025, 2, 10),
        D(2025, 3, 8),  # its own second Saturday from March
        D(2025, 4, 12),
        D(2025, 5, 10),  # the town's again from May
        D(2025, 6, 10),
    ]


def test_a_rule_changed_mid_month_gives_the_day_of_the_rule_in_force_on_it():
    old, new = month_day(5), month_day(20, since=D(2025, 3, 10))
    # March: the 5th falls under the old rule, the 20th under the new one: both count.
    assert service_days([], [old, new], D(2025, 3, 1), 3) == [
        D(2025, 3, 5),
        D(2025, 3, 20),
        D(2025, 4, 20),
    ]
    assert in_force([old, new], D(2025, 3, 9)) == old
    assert in_force([old, new], D(2025, 3, 10)) == new


def test_no_rule_no_days():
    assert service_days([], [], D(2025, 1, 1), 5) == []
    assert service_days([Spec(RuleKind.FOLLOW, START)], [], D(2025, 1, 1), 5) == []
    assert not is_service_day([], [], D(2025, 1, 10))


def test_is_service_day_agrees_with_the_coming_dates():
    town = [weekday(LAST, 6)]
    days = set(service_days([], town, D(2025, 1, 1), 12))
    day = D(2025, 1, 1)
    while day < D(2026, 1, 1):
        assert is_service_day([], town, day) == (day in days), day
        day += dt.timedelta(days=1)


@pytest.mark.parametrize(("year", "month"), MONTHS)
def test_the_month_grid_holds_every_day_once_in_weeks_from_monday(year, month):
    from linli.activities.selectors import month_weeks

    weeks = month_weeks([], year, month)
    days = [c.day for week in weeks for c in week if c is not None]
    assert all(len(week) == 7 for week in weeks)
    assert days == [D(year, month, n) for n in range(1, calendar.monthrange(year, month)[1] + 1)]
    for week in weeks:
        for i, cell in enumerate(week):
            assert cell is None or cell.day.weekday() == i
