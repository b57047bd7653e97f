"""Chinese working days and deadlines.

The State Council publishes each year's holiday schedule (statutory holidays
and the weekend days worked in exchange, 调休) late in the year before. The
platform keeps its own table (`CalendarDay`, `CalendarYear`), seeded from the
chinese-calendar package and editable by administrators, so a schedule the
package does not know yet can still be entered by hand.

Rules, in order, for one local date (Asia/Shanghai, settings.TIME_ZONE):

1. a `CalendarDay` row decides: `is_workday=False` is a holiday, `True` a
   make-up working day;
2. otherwise Monday to Friday are working days, Saturday and Sunday are not.

A year without a `CalendarYear` row has no official schedule: rule 2 alone
(plus any rows an administrator has already typed in) applies, a warning is
logged once per process and year, and administrators see
`calendar_warnings()` in the admin. Nothing here raises because a year is
missing.

The table is cached in process memory per year. Saving or deleting a row
drops the cache at once in this process (signals in `models.py`); other
processes (workers, the other web workers) pick the change up within
`CACHE_TTL` seconds.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Iterable
from typing import TypedDict

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger("linli.calendar")

# Seconds a process keeps its copy of the table before reading it again.
CACHE_TTL = 60.0

# The end of a working day, local time.
END_OF_DAY = dt.time(23, 59, 59)

# The package's holiday names (chinese_calendar.constants.Holiday) in Chinese.
HOLIDAY_NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


class DeadlineUnit(models.TextChoices):
    HOURS = "hours", _("hours")  # start + N hours
    DAYS = "days", _("calendar days")  # start + N days, same clock time
    WORKING_DAYS = "working_days", _("working days")  # end of the Nth working day


# --- cache ------------------------------------------------------------------

_lock = threading.Lock()
_version = 0


class _Cache(TypedDict):
    version: int
    loaded: float
    known: frozenset[int] | None  # years with an official schedule
    years: dict[int, dict[dt.date, bool]]  # year -> the days decided for it


_cache: _Cache = {"version": -1, "loaded": 0.0, "known": None, "years": {}}
_warned_years: set[int] = set()


def invalidate() -> None:
    """Drop this process's copy of the calendar table (called on every change)."""
    global _version
    with _lock:
        _version += 1


def _snapshot() -> _Cache:
    """Return the current cache, emptied first if it is stale."""
    global _cache
    now = time.monotonic()
    with _lock:
        if _cache["version"] != _version or now - _cache["loaded"] > CACHE_TTL:
            _cache = {"version": _version, "loaded": now, "known": None, "years": {}}
        return _cache


def _known_years(cache: _Cache) -> frozenset[int]:
    known = cache["known"]
    if known is None:
        from .models import CalendarYear

        known = frozenset(CalendarYear.objects.values_list("year", flat=True))
        cache["known"] = known
    return known


def _year_table(cache: _Cache, year: int) -> dict[dt.date, bool]:
    table = cache["years"].get(year)
    if table is None:
        from .models import CalendarDay

        table = dict(
            CalendarDay.objects.filter(
                date__gte=dt.date(year, 1, 1), date__lte=dt.date(year, 12, 31)
            ).values_list("date", "is_workday")
        )
        cache["years"][year] = table
    return table


def _warn_missing(year: int) -> None:
    if year in _warned_years:
        return
    _warned_years.add(year)
    logger.warning(
        "No official holiday schedule for %s in the working-day calendar: "
        "counting Saturdays and Sundays as the only rest days. Enter the year in the admin "
        "(Holidays and make-up working days, Years with a holiday schedule) or run "
        "`calendar_seed` after upgrading chinese-calendar.",
        year,
    )


def _is_workday(cache: _Cache, day: dt.date) -> bool:
    if day.year not in _known_years(cache):
        _warn_missing(day.year)
    decided = _year_table(cache, day.year).get(day)
    if decided is not None:
        return decided
    return day.weekday() < 5


# --- public -------------------------------------------------------------------


def _local_tz() -> dt.tzinfo:
    # The platform's zone, not the request's activated one: a deadline must not
    # depend on who looks at it.
    return timezone.get_default_timezone()


def _aware(value: dt.datetime) -> dt.datetime:
    if timezone.is_naive(value):
        return timezone.make_aware(value, _local_tz())
    return value


def _local_date(value: dt.date | dt.datetime) -> dt.date:
    if isinstance(value, dt.datetime):
        return _aware(value).astimezone(_local_tz()).date()
    return value


def end_of_day(day: dt.date) -> dt.datetime:
    """Return 23:59:59 local time on `day`, as an aware datetime."""
    return dt.datetime.combine(day, END_OF_DAY, tzinfo=_local_tz())


def is_workday(day: dt.date) -> bool:
    """Tell whether `day` is a working day in China.

    A `CalendarDay` row decides when there is one (holiday or make-up working
    day); otherwise Monday to Friday work and weekends rest. For a year with no
    official schedule (no `CalendarYear` row) log a warning once per process and
    count weekends only; never raise. A datetime is read as its local date.
    """
    return _is_workday(_snapshot(), _local_date(day))


def add_working_days(start: dt.datetime, days: int) -> dt.datetime:
    """Return the end of the `days`-th working day after `start`'s local date.

    Take the local date of `start` (Asia/Shanghai; a naive value is read as
    local time), step forward one calendar day at a time counting only working
    days (see `is_workday`) until `days` of them are counted, and return the
    END of that last working day: 23:59:59 local time, as an aware datetime.
    The start date itself never counts when `days` >= 1: filed Wednesday
    2026-09-30, 3 working days skip the National Day holidays (Oct 1-7) and
    end at 2026-10-10 23:59:59+08:00, a make-up working Saturday.

    `days=0` means the end of the start date if it is a working day, else the
    end of the next working day. Raise ValueError for a negative count. The
    table is read once per year touched, never per day stepped.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    cache = _snapshot()
    day = _local_date(start)
    if days == 0:
        while not _is_workday(cache, day):
            day += dt.timedelta(days=1)
        return end_of_day(day)
    counted = 0
    while counted < days:
        day += dt.timedelta(days=1)
        if _is_workday(cache, day):
            counted += 1
    return end_of_day(day)


def deadline_after(start: dt.datetime, *, amount: int, unit: str) -> dt.datetime:
    """Return the deadline `amount` `unit`s after `start`, as an aware datetime.

    `unit` is a `DeadlineUnit` value:

    - "hours": `start` + `amount` hours;
    - "days": `amount` calendar days later at the same local clock time;
    - "working_days": `add_working_days(start, amount)`, the end (23:59:59
      local) of the `amount`-th working day after the start date.

    A naive `start` is read as local time. Raise ValueError for an unknown unit
    or a negative amount.
    """
    if amount < 0:
        raise ValueError("amount must not be negative")
    start = _aware(start)
    if unit == DeadlineUnit.HOURS:
        return start + dt.timedelta(hours=amount)
    if unit == DeadlineUnit.DAYS:
        # Wall-clock arithmetic in the local zone (same clock time N days on).
        return start.astimezone(_local_tz()) + dt.timedelta(days=amount)
    if unit == DeadlineUnit.WORKING_DAYS:
        return add_working_days(start, amount)
    raise ValueError(f"unknown deadline unit {unit!r}")


def years_without_schedule(years: Iterable[int]) -> list[int]:
    """Return, sorted and without repeats, the `years` with no official schedule."""
    known = _known_years(_snapshot())
    return sorted({int(y) for y in years} - known)


def calendar_warnings(today: dt.date | None = None) -> list[str]:
    """Return translated warnings for administrators about missing schedules.

    Warn when the current year has no official schedule, and from November on
    when next year has none yet (the State Council usually publishes it in
    November or December). An empty list means nothing to do.
    """
    if today is None:
        today = timezone.localdate(timezone=_local_tz())
    years = [today.year]
    if today.month >= 11:
        years.append(today.year + 1)
    messages = []
    for year in years_without_schedule(years):
        if year == today.year:
            text = gettext(
                "The working-day calendar has no official holiday schedule for %(year)s: "
                "deadlines in working days now skip weekends only. Enter the year's statutory "
                'holidays and make-up working days under "Holidays and make-up working days", '
                'then add %(year)s under "Years with a holiday schedule".'
            )
        else:
            text = gettext(
                "The holiday schedule for %(year)s is not in the working-day calendar yet. "
                "Once the State Council publishes it, enter the statutory holidays and make-up "
                'working days under "Holidays and make-up working days" and add %(year)s under '
                '"Years with a holiday schedule" (or run calendar_seed after upgrading '
                "chinese-calendar)."
            )
        messages.append(text % {"year": year})
    return messages


# --- seeding ------------------------------------------------------------------


def package_schedule() -> dict[int, dict[dt.date, tuple[bool, str]]]:
    """Return the chinese-calendar package's schedule: year -> date -> (is_workday, name)."""
    from chinese_calendar import constants

    schedule: dict[int, dict[dt.date, tuple[bool, str]]] = {}
    for source, is_work in ((constants.holidays, False), (constants.workdays, True)):
        for day, name in source.items():
            label = HOLIDAY_NAMES_ZH.get(str(name), str(name))[:50]
            schedule.setdefault(day.year, {})[day] = (is_work, label)
    return schedule


class SeedReport(TypedDict):
    changed: dict[int, int]  # year -> rows changed
    unknown: list[int]  # years the package does not know


def seed_from_package(years: Iterable[int] | None = None) -> SeedReport:
    """Load the package's official schedule into the table; report what changed.

    For each requested year the package knows (all of them by default), make
    that year's `CalendarDay` rows equal to the package's (adding, updating and
    deleting rows; an administrator's edits within that year are replaced) and
    mark the year as known with source "chinese-calendar". Running it twice
    changes nothing the second time. Return {"changed": {year: rows changed},
    "unknown": [years the package does not know]}.
    """
    from .models import CalendarDay, CalendarSource, CalendarYear

    schedule = package_schedule()
    wanted = sorted(schedule) if years is None else sorted({int(y) for y in years})
    changed: dict[int, int] = {}
    unknown: list[int] = []
    for year in wanted:
        desired = schedule.get(year)
        if desired is None:
            unknown.append(year)
            continue
        with transaction.atomic():
            rows = {
                row.date: row
                for row in CalendarDay.objects.select_for_update().filter(
                    date__gte=dt.date(year, 1, 1), date__lte=dt.date(year, 12, 31)
                )
            }
            stale = [d for d in rows if d not in desired]
            new = [
                CalendarDay(date=d, is_workday=w, name=n)
                for d, (w, n) in sorted(desired.items())
                if d not in rows
            ]
            updated = []
            for d, (w, n) in desired.items():
                row = rows.get(d)
                if row is not None and (row.is_workday, row.name) != (w, n):
                    row.is_workday, row.name = w, n
                    updated.append(row)
            if stale:
                CalendarDay.objects.filter(date__in=stale).delete()
            if new:
                CalendarDay.objects.bulk_create(new)
            if updated:
                for row in updated:
                    row.save(update_fields=["is_workday", "name", "updated_at"])
            count = len(stale) + len(new) + len(updated)
            marker = CalendarYear.objects.filter(year=year).first()
            if marker is None:
                CalendarYear.objects.create(year=year, source=CalendarSource.PACKAGE)
            elif count or marker.source != CalendarSource.PACKAGE:
                marker.source = CalendarSource.PACKAGE
                marker.loaded_at = timezone.now()
                marker.save(update_fields=["source", "loaded_at"])
            changed[year] = count
    # bulk_create sends no signals.
    invalidate()
    transaction.on_commit(invalidate)
    return {"changed": changed, "unknown": unknown}
