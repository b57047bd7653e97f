"""The service day's dates: pure functions of the rules, no database.

A rule (`Spec`) names one day of each month: a day of the month (1..28, or the last
day) or the nth weekday (1..4, or the last). A village keeps its own rule where one
is in force and is not `follow`, and its town's otherwise (`service_days`). Rules
change on their `effective_from` day: a month's date is the one the rule in force on
that date gives.

`selectors.coming_service_days(unit, ...)` reads the rule rows and calls these.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from .models import LAST, RuleKind

# How far ahead `service_days` looks for dates (a rule that yields none stops here).
HORIZON_MONTHS = 36


@dataclass(frozen=True)
class Spec:
    """One rule row as data: its kind, its day and when it starts."""

    kind: str
    effective_from: dt.date
    month_day: int | None = None
    nth: int | None = None
    weekday: int | None = None


def last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def date_in_month(spec: Spec, year: int, month: int) -> dt.date | None:
    """The day `spec` names in this month (None for `follow`)."""
    if spec.kind == RuleKind.MONTH_DAY:
        day = last_day(year, month) if spec.month_day == LAST else int(spec.month_day or 1)
        return dt.date(year, month, day)
    if spec.kind == RuleKind.WEEKDAY:
        weekday = int(spec.weekday or 0)
        if spec.nth == LAST:
            end = dt.date(year, month, last_day(year, month))
            return end - dt.timedelta(days=(end.weekday() - weekday) % 7)
        first = dt.date(year, month, 1)
        first_match = first + dt.timedelta(days=(weekday - first.weekday()) % 7)
        return first_match + dt.timedelta(weeks=int(spec.nth or 1) - 1)
    return None


def in_force(specs: Sequence[Spec], day: dt.date) -> Spec | None:
    """The spec in force on `day`: the latest that started on or before it."""
    best: Spec | None = None
    for s in specs:
        if s.effective_from <= day and (best is None or s.effective_from >= best.effective_from):
            best = s
    return best


def _own_or_town(own: Sequence[Spec], town: Sequence[Spec], day: dt.date) -> Spec | None:
    spec = in_force(own, day)
    if spec is None or spec.kind == RuleKind.FOLLOW:
        spec = in_force(town, day)
    if spec is None or spec.kind == RuleKind.FOLLOW:
        return None
    return spec


def _months(start: dt.date, count: int):
    year, month = start.year, start.month
    for _i in range(count):
        yield year, month
        month += 1
        if month > 12:
            year, month = year + 1, 1


def service_days(
    own: Sequence[Spec],
    town: Sequence[Spec],
    start: dt.date,
    count: int,
    *,
    horizon: int = HORIZON_MONTHS,
) -> list[dt.date]:
    """The first `count` service days on or after `start`: for each month, the day each
    rule that may be in force that month names, kept when that rule is the one in
    force on that day (a village's own, else its town's)."""
    out: list[dt.date] = []
    candidates = [*own, *town]
    for year, month in _months(start, horizon):
        if len(out) >= count:
            break
        days: set[dt.date] = set()
        for spec in candidates:
            day = date_in_month(spec, year, month)
            if day is None or day < start:
                continue
            if _own_or_town(own, town, day) == spec:
                days.add(day)
        out.extend(sorted(days))
    return out[:count]


def is_service_day(own: Sequence[Spec], town: Sequence[Spec], day: dt.date) -> bool:
    spec = _own_or_town(own, town, day)
    return spec is not None and date_in_month(spec, day.year, day.month) == day
