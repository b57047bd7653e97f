"""What the records say each representative did in a year: the figures a score and an
annual report are made of, gathered set-based from the apps below (one or two
aggregate queries a source, whatever the number of representatives).

Each source's read lives in its own app, unscoped, beside that app's other reads
(`appeals.selectors.representative_figures`, `activities.selectors.organised_counts`,
`doorbell.selectors.representative_alarm_figures`, `funds.selectors.use_by_representative`,
`conduct.selectors.severe_breaches`,
and the compliance engine `duties.compliance.compute`). The pages that show the
figures are scoped; this module is not, because a ranking compares everyone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils import timezone

from linli.activities import selectors as activities
from linli.appeals import selectors as appeals
from linli.conduct import selectors as conduct
from linli.core.timeutil import today
from linli.doorbell import selectors as doorbell
from linli.duties import compliance
from linli.funds import selectors as funds
from linli.org.models import Representative, Unit
from linli.training import selectors as training


@dataclass(slots=True)
class RepRow:
    """The fields of a representative a score needs (plain values: a county has 36,000)."""

    id: int
    name: str
    unit_id: int
    unit_path: str
    user_id: int | None


@dataclass(slots=True)
class Facts:
    """One representative's figures of a year. Counts are whole numbers; money in fen,
    training in minutes."""

    duty_required: int = 0
    duty_fulfilled: int = 0
    duties: dict[str, tuple[int, int]] = field(default_factory=dict)  # duty -> (req, ful)
    appeals_owned: int = 0
    appeals_resolved: int = 0
    appeals_rated: int = 0
    appeals_satisfied: int = 0
    activities: int = 0
    alarms_told: int = 0
    alarms_answered: int = 0
    alarms_acknowledged: int = 0
    ack_seconds: int = 0
    fund_amount: int | None = None  # None: no fund opened for them this year
    fund_spent: int = 0
    training_minutes: int = 0
    breach_ids: list[int] = field(default_factory=list)


@dataclass(slots=True)
class Sources:
    """Whether a source holds anything for the year at all: a source nobody used yet
    (no activity held, no training session attended) is shown as "no data", not as
    everyone's zero."""

    activities: bool = False
    training: bool = False


def year_bounds(year: int) -> tuple[dt.date, dt.date]:
    """The first day of the year and its last day counted: 31 December, or today in
    the current year (duties not yet due are not owed)."""
    first = dt.date(year, 1, 1)
    last = min(dt.date(year, 12, 31), today())
    return first, last


def moments(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(first, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start, end


def representatives_of(year: int, ids: list[int] | None = None) -> list[RepRow]:
    """The representatives who served some of the year (their term overlaps it)."""
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    qs = Representative.objects.filter(term_start__lte=last).filter(
        Q(term_end__isnull=True) | Q(term_end__gte=first)
    )
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return [
        RepRow(*row)
        for row in qs.order_by("pk").values_list("pk", "name", "unit_id", "unit__path", "user_id")
    ]


def gather(year: int, ids: list[int] | None = None) -> tuple[list[RepRow], dict[int, Facts]]:
    """The representatives of the year (all, or those of `ids`) and their figures."""
    reps = representatives_of(year, ids)
    if not reps:
        return [], {}
    wanted = None if ids is None else [r.id for r in reps]
    first, last = year_bounds(year)
    facts = {r.id: Facts() for r in reps}
    if last < first:  # a year not begun
        return reps, facts
    start, end = moments(first, last)

    _duties(facts, reps, wanted, first, last)
    for rep, f in appeals.representative_figures(start, end, wanted).items():
        if rep in facts:
            row = facts[rep]
            row.appeals_owned, row.appeals_resolved = f["owned"], f["resolved"]
            row.appeals_rated, row.appeals_satisfied = f["rated"], f["satisfied"]
    for rep, n in activities.organised_counts(start, end, wanted).items():
        if rep in facts:
            facts[rep].activities = n
    for rep, f in doorbell.representative_alarm_figures(start, end, wanted).items():
        if rep in facts:
            row = facts[rep]
            row.alarms_told, row.alarms_answered = f["told"], f["answered"]
            row.alarms_acknowledged, row.ack_seconds = f["acknowledged"], f["ack_seconds"]
    for rep, (amount, spent) in funds.use_by_representative(year, wanted).items():
        if rep in facts:
            facts[rep].fund_amount, facts[rep].fund_spent = amount, spent
    for rep, minutes in training.minutes_by_representative(year, wanted).items():
        if rep in facts:
            facts[rep].training_minutes = minutes
    for rep, breaches in conduct.severe_breaches(year, wanted).items():
        if rep in facts:
            facts[rep].breach_ids = breaches
    return reps, facts


def sources(year: int) -> Sources:
    """Which of the count-against-a-target sources anyone used in the year."""
    first, last = year_bounds(year)
    if last < first:
        return Sources()
    start, end = moments(first, last)
    return Sources(
        activities=activities.any_held(start, end),
        training=training.any_attended(year),
    )


def _duties(
    facts: dict[int, Facts],
    reps: list[RepRow],
    wanted: list[int] | None,
    first: dt.date,
    last: dt.date,
) -> None:
    """The compliance engine's figures over the year, all duties summed."""
    per_rep: dict[int, Any] = {}
    if wanted is None:
        for root in Unit.objects.filter(parent__isnull=True):
            per_rep.update(compliance.compute(None, first, last, unit=root))
    else:
        per_rep = compliance.compute(
            list(Representative.objects.filter(pk__in=wanted)), first, last
        )
    for rep_id, rc in per_rep.items():
        row = facts.get(rep_id)
        if row is None:
            continue
        for name, duty in rc.duties.items():
            row.duties[name] = (duty.required, duty.fulfilled)
            row.duty_required += duty.required
            row.duty_fulfilled += min(duty.fulfilled, duty.required)
