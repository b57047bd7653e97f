"""The appeals' rollup: per local day and village, what the rates count, so that a
town's or the city's figures over a year sum a few thousand rows instead of scanning
a year of appeals and their rating events.

Shape (the duties' `DutyTally` is the same idea):

* `AppealTally`: one row per (day, path): the appeals filed that day from one
  village's subtree (their origin path cut at `TALLY_DEPTH`; an appeal filed at a
  town or the city keeps its own path), counted with `measures` - the same
  expressions the raw rates use - plus the appeals closed that day; and one row per
  (month, path), the sum of the month's day rows, rebuilt with them, so that a range
  reads the rows of its whole months and the day rows of the rest (`_span_q`).
* `AppealCategoryTally`: per (day, town path, top-level category), appeals filed.
* `AppealTallyDay`: whether a day's rows are current. Every write that can change
  what a day counts goes through `events.record` (the one writer of the timeline),
  which marks the appeal's filing day and the event's day (`mark`); a reopening also
  marks the day it had been closed. The mark is made after the commit and raises the
  day's `dirty` counter; a rebuild reads the counter *before* reading the appeals and
  stores it as `built`, so a write committed during a rebuild leaves the day dirty
  and it is rebuilt again: never stale, at worst rebuilt twice.
* Reads call `ensure(first, last)`: the days of the range that are not current are
  rebuilt there and then (today, usually; a cold year takes a few seconds once). The
  tick (`appeals.tally`, every minute) rebuilds what writes marked, so the pages
  mostly find the days current; `python -m linli appeals_tally` builds history ahead.

Everything is plain ORM, on SQLite as on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Min, Q, Sum
from django.db.models.functions import Coalesce, Substr, TruncDate
from django.utils import timezone

from linli.org.models import STEPLEN, TOWN_DEPTH, VILLAGE_DEPTH

from . import measures
from .models import LEVEL_ORDER, Appeal, AppealCategoryTally, AppealTally, AppealTallyDay

TALLY_DEPTH = VILLAGE_DEPTH
CATEGORY_DEPTH = TOWN_DEPTH
# Summed columns of AppealTally, as the rates name them.
COUNT_COLUMNS = (
    "created",
    "closed",
    *measures.OUTCOME_KEYS,
    *measures.RATING_KEYS,
)


# --- marking ----------------------------------------------------------------------------


def _day(moment: dt.datetime | dt.date) -> dt.date:
    if isinstance(moment, dt.datetime):
        return timezone.localdate(moment) if timezone.is_aware(moment) else moment.date()
    return moment


def mark(*moments: dt.datetime | dt.date | None) -> None:
    """After the current transaction commits, mark the days of these moments as
    needing a rebuild. Days never built need no mark (they are built when read)."""
    days = sorted({_day(m) for m in moments if m is not None})
    if days:
        transaction.on_commit(lambda: _bump(days))


def _bump(days: list[dt.date]) -> None:
    AppealTallyDay.objects.filter(day__in=days).update(dirty=F("dirty") + 1)


def mark_all() -> None:
    """Every built day, after the commit (a unit moved: origin paths changed)."""
    transaction.on_commit(lambda: AppealTallyDay.objects.update(dirty=F("dirty") + 1))


# --- building ---------------------------------------------------------------------------


def _runs(days: list[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Sorted days as runs of consecutive days, (first, last) inclusive."""
    runs: list[tuple[dt.date, dt.date]] = []
    for d in days:
        if runs and d == runs[-1][1] + dt.timedelta(days=1):
            runs[-1] = (runs[-1][0], d)
        else:
            runs.append((d, d))
    return runs


def _bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    return (
        dt.datetime.combine(first, dt.time.min, tzinfo=tz),
        dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
    )


def _as_day(value: Any) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _compute(first: dt.date, last: dt.date, wanted: set[dt.date]):
    """The rows of the days `wanted` within [first, last]: a few grouped queries."""
    start, end = _bounds(first, last)
    vpath = Substr("origin_path", 1, TALLY_DEPTH * STEPLEN)
    filed = Appeal.objects.filter(created_at__gte=start, created_at__lt=end).order_by()
    cells: dict[tuple[dt.date, str], dict[str, Any]] = {}

    def cell(day: Any, path: str) -> dict[str, Any]:
        return cells.setdefault((_as_day(day), path), {})

    for r in (
        filed.annotate(d=TruncDate("created_at"), p=vpath)
        .values("d", "p")
        .annotate(created=Count("id"), **measures.outcome_aggregates())
    ):
        c = cell(r["d"], r["p"])
        c["created"] = r["created"]
        for k in measures.OUTCOME_KEYS:
            c[k] = r[k]
        spent = r["resolve_time"]
        c["resolve_us"] = (
            0
            if spent is None
            else (spent.days * 86_400 + spent.seconds) * 1_000_000 + spent.microseconds
        )
    for r in measures.rating_counts(
        filed,
        d=TruncDate("appeal__created_at"),
        p=Substr("appeal__origin_path", 1, TALLY_DEPTH * STEPLEN),
    ):
        c = cell(r["d"], r["p"])
        for k in measures.RATING_KEYS:
            c[k] = r[k]
    for r in (
        Appeal.objects.filter(closed_at__gte=start, closed_at__lt=end)
        .order_by()
        .annotate(d=TruncDate("closed_at"), p=vpath)
        .values("d", "p")
        .annotate(n=Count("id"))
    ):
        cell(r["d"], r["p"])["closed"] = r["n"]
    tallies = [
        AppealTally(day=day, path=path, **values)
        for (day, path), values in cells.items()
        if day in wanted
    ]
    categories = [
        AppealCategoryTally(day=_as_day(r["d"]), path=r["p"], category_id=r["top"], created=r["n"])
        for r in filed.annotate(
            d=TruncDate("created_at"),
            p=Substr("origin_path", 1, CATEGORY_DEPTH * STEPLEN),
            top=Coalesce(F("category__parent_id"), F("category_id")),
        )
        .values("d", "p", "top")
        .annotate(n=Count("id"))
        if _as_day(r["d"]) in wanted
    ]
    return tallies, categories


def _month_end(first: dt.date) -> dt.date:
    return (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def _rebuild_months(months: list[dt.date]) -> None:
    """Each month's rows again: the sums of its day rows, per path."""
    AppealTally.objects.filter(month=True, day__in=months).delete()
    aggs = {k: Sum(k) for k in (*COUNT_COLUMNS, "resolve_us")}
    rows = []
    for first in months:
        for r in (
            AppealTally.objects.filter(month=False, day__gte=first, day__lte=_month_end(first))
            .order_by()
            .values("path")
            .annotate(**aggs)
        ):
            rows.append(AppealTally(month=True, day=first, **r))
    AppealTally.objects.bulk_create(rows, batch_size=2000)


def rebuild(days: Iterable[dt.date]) -> int:
    """Rebuild the days among `days` that are not current, and their months' rows; how
    many days were rebuilt."""
    days = sorted(set(days))
    if not days:
        return 0
    months = sorted({d.replace(day=1) for d in days})
    locked = sorted({*days, *months})
    # Committed before anything is read, so that a write committing meanwhile finds
    # the day's row to mark (see the module's docstring). The first day of each month
    # is locked too: two rebuilds of days of the same month, which both rebuild the
    # month's rows, run one after the other.
    AppealTallyDay.objects.bulk_create(
        [AppealTallyDay(day=d) for d in locked], ignore_conflicts=True
    )
    with transaction.atomic():
        # Locked in day order, so that two rebuilds cannot wait for each other.
        markers = {
            m.day: m
            for m in AppealTallyDay.objects.select_for_update()
            .filter(day__in=locked)
            .order_by("day")
        }
        stale = [d for d in days if markers[d].built != markers[d].dirty]
        if not stale:
            return 0
        AppealTally.objects.filter(month=False, day__in=stale).delete()
        AppealCategoryTally.objects.filter(day__in=stale).delete()
        wanted = set(stale)
        for first, last in _runs(stale):
            tallies, categories = _compute(first, last, wanted)
            AppealTally.objects.bulk_create(tallies, batch_size=2000)
            AppealCategoryTally.objects.bulk_create(categories, batch_size=2000)
        _rebuild_months(sorted({d.replace(day=1) for d in stale}))
        now = timezone.now()
        for d in stale:
            markers[d].built = markers[d].dirty
            markers[d].built_at = now
        AppealTallyDay.objects.bulk_update([markers[d] for d in stale], ["built", "built_at"])
    return len(stale)


def _first_day() -> dt.date | None:
    first = Appeal.objects.aggregate(first=Min("created_at"))["first"]
    return timezone.localdate(first) if first else None


def forget(first: dt.date, last: dt.date) -> None:
    """Mark the days [first, last] as never built (rebuilt on the next read)."""
    AppealTallyDay.objects.filter(day__gte=first, day__lte=last).delete()


def ensure(first: dt.date, last: dt.date) -> int:
    """Make the days of [first, last] current (those that can hold appeals: from the
    first appeal's day up to today); how many days were rebuilt."""
    today = timezone.localdate()
    last = min(last, today)
    earliest = _first_day()
    if earliest is None:
        return 0
    first = max(first, earliest)
    if first > last:
        return 0
    current = set(
        AppealTallyDay.objects.filter(day__gte=first, day__lte=last, built=F("dirty")).values_list(
            "day", flat=True
        )
    )
    days = [
        first + dt.timedelta(days=i)
        for i in range((last - first).days + 1)
        if first + dt.timedelta(days=i) not in current
    ]
    return rebuild(days)


def rebuild_marked() -> int:
    """The tick: rebuild every built day that a write has marked since."""
    days = list(AppealTallyDay.objects.exclude(built=F("dirty")).values_list("day", flat=True))
    return rebuild(days)


# --- reading ----------------------------------------------------------------------------


def _span_q(first: dt.date, last: dt.date) -> Q:
    """The rows covering [first, last] once each: the month rows of the whole months
    inside it, the day rows of the rest."""
    months = []
    m = first if first.day == 1 else _month_end(first) + dt.timedelta(days=1)
    while _month_end(m) <= last:
        months.append(m)
        m = _month_end(m) + dt.timedelta(days=1)
    if not months:
        return Q(month=False, day__gte=first, day__lte=last)
    q = Q(month=True, day__in=months)
    if first < months[0]:
        q |= Q(month=False, day__gte=first, day__lt=months[0])
    after = _month_end(months[-1])
    if after < last:
        q |= Q(month=False, day__gt=after, day__lte=last)
    return q


def sums(path: str, first: dt.date, last: dt.date, *, child_len: int | None = None):
    """The summed columns over the days [first, last] for the subtree at `path`, in
    total (`child_len` None: one dict) or per child (the first `child_len` characters
    of the row's path: a dict by that prefix). Call `ensure` first."""
    qs = AppealTally.objects.filter(_span_q(first, last), path__startswith=path).order_by()
    aggs = {k: Coalesce(Sum(k), 0) for k in (*COUNT_COLUMNS, "resolve_us")}
    if child_len is None:
        return qs.aggregate(**aggs)
    return {
        r["child"]: r
        for r in qs.annotate(child=Substr("path", 1, child_len)).values("child").annotate(**aggs)
    }


def by_day(path: str, first: dt.date, last: dt.date) -> dict[dt.date, tuple[int, int]]:
    """Per day: (filed, closed) for the subtree at `path`. Call `ensure` first."""
    rows = (
        AppealTally.objects.filter(
            month=False, path__startswith=path, day__gte=first, day__lte=last
        )
        .order_by()
        .values("day")
        .annotate(c=Sum("created"), x=Sum("closed"))
    )
    return {r["day"]: (r["c"], r["x"]) for r in rows}


def by_category(path: str, first: dt.date, last: dt.date, limit: int) -> list[tuple[int, int]]:
    """(top category id, filed), most first, for a subtree at or above a town."""
    rows = (
        AppealCategoryTally.objects.filter(path__startswith=path, day__gte=first, day__lte=last)
        .order_by()
        .values("category_id")
        .annotate(n=Sum("created"))
        .order_by("-n", "category_id")[:limit]
    )
    return [(r["category_id"], r["n"]) for r in rows]


def levels_of(row: dict[str, Any]) -> dict[str, int]:
    return {lv: row.get(f"at_{lv}", 0) for lv in LEVEL_ORDER}
