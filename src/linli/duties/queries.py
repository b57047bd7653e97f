"""Reads the duty pages and API need beyond `selectors`, scoped the same way.

Kept apart from `selectors.py` (owned elsewhere) until merged into it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from linli.core.errors import InvalidInput, NotFound
from linli.org import selectors as org_selectors
from linli.org.models import Household, HouseholdLink, Representative, Unit

from . import policy, selectors
from .models import CURRENT, AnnualReport, Deliberation, ReportKind
from .rules import rule_on

PERIODS = ("week", "month", "quarter", "year")
# The longest period a compliance request may span (the engine is per week).
MAX_PERIOD_DAYS = 3 * 366


def period_range(kind: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day of the week, month, quarter or year holding `day`."""
    if kind == "week":
        first = day - dt.timedelta(days=day.weekday())
        return first, first + dt.timedelta(days=6)
    if kind == "quarter":
        first = day.replace(month=3 * ((day.month - 1) // 3) + 1, day=1)
        months = 3
    elif kind == "year":
        return day.replace(month=1, day=1), day.replace(month=12, day=31)
    else:
        first, months = day.replace(day=1), 1
    year, month = divmod(first.month - 1 + months, 12)
    return first, dt.date(first.year + year, month + 1, 1) - dt.timedelta(days=1)


def check_period(start: dt.date, end: dt.date) -> None:
    """Refuse a reversed or overlong period (a clear 400, never a slow query)."""
    if end < start:
        raise InvalidInput(_("The end date is before the start date."), code="period")
    if (end - start).days > MAX_PERIOD_DAYS:
        raise InvalidInput(
            _("Choose a period of at most %(n)d days.") % {"n": MAX_PERIOD_DAYS},
            code="period_too_long",
        )


def household_for_record(user, representative: Representative, pk) -> Household:
    """A household the user may see, or one the representative ever served.

    A late entry may name a household the representative served last week
    but no longer does; the service then checks the link on the record's day.
    """
    household = org_selectors.households_visible_to(user).filter(pk=pk).first()
    if household is None:
        household = (
            Household.objects.filter(
                pk=pk,
                pk__in=HouseholdLink.objects.filter(representative=representative).values(
                    "household_id"
                ),
            )
            .select_related("unit")
            .first()
        )
    if household is None:
        raise NotFound(_("Household not found."))
    return household


def serving_representatives(user) -> QuerySet[Representative]:
    """Representatives in the user's scope whose term is running, for choices."""
    return (
        org_selectors.representatives_visible_to(user)
        .filter(term_end__isnull=True)
        .order_by("unit__path", "name", "pk")
    )


def deliberation_units(user) -> QuerySet[Unit]:
    """Units the user may record a deliberation event in: villages, areas and
    groups of their scope, and the units above their own group as a
    representative (a group's representatives meet at village level): `policy`."""
    return (
        Unit.objects.filter(policy.deliberation_units_q(user))
        .select_related("parent")
        .order_by("path")
    )


def organisers_for(user, unit: Unit | None) -> QuerySet[Representative]:
    """Serving representatives in scope who may organise an event in `unit`: those
    serving in its subtree or in a unit above it (`policy.organisers_q`)."""
    reps = serving_representatives(user)
    if unit is None:
        return reps
    return reps.filter(policy.organisers_q(unit))


def deliberation_unit_get(user, pk) -> Unit:
    unit = deliberation_units(user).filter(pk=pk).first()
    if unit is None:
        raise NotFound(_("Unit not found."))
    return unit


def records_of(user, kind: str, representative: Representative | None = None) -> QuerySet:
    """A kind of record visible to the user, withdrawals left out (they show as a
    badge on the record they withdrew), newest first."""
    if kind == "contact":
        qs = selectors.contacts_visible_to(user).select_related("appeal")
    elif kind == "visit":
        qs = selectors.visits_visible_to(user).select_related("appeal")
    elif kind == "report":
        qs = selectors.reports_visible_to(user)
    elif kind == "deliberation":
        qs = selectors.deliberations_visible_to(user)
    else:
        raise NotFound(_("No such record."))
    if representative is not None:
        qs = (
            qs.filter(organisers=representative)
            if kind == "deliberation"
            else qs.filter(representative=representative)
        )
    return qs.filter(void=False).select_related("superseded_by").order_by("-day", "-id")


@dataclass
class PeriodDuties:
    """This quarter's deliberation events and this year's reports, for one representative."""

    quarter: tuple[dt.date, dt.date]
    year: int
    deliberations: list[Deliberation]
    deliberations_required: int
    reports: dict[str, list[AnnualReport]]
    reports_required: int

    @property
    def deliberation_done(self) -> bool:
        return len(self.deliberations) >= self.deliberations_required

    @property
    def reports_done(self) -> dict[str, bool]:
        return {k: len(v) >= self.reports_required for k, v in self.reports.items()}

    @property
    def report_rows(self) -> list[tuple[str, str, list[AnnualReport], bool]]:
        """(kind, label, this year's reports, done) per kind of report."""
        return [
            (kind, str(label), self.reports.get(kind, []), self.reports_done.get(kind, False))
            for kind, label in ReportKind.choices
        ]


def period_duties(representative: Representative, day: dt.date) -> PeriodDuties:
    quarter = period_range("quarter", day)
    year_first, year_last = period_range("year", day)
    events = list(
        Deliberation.objects.filter(
            CURRENT, organisers=representative, day__gte=quarter[0], day__lte=quarter[1]
        ).order_by("-day", "-id")
    )
    reports: dict[str, list[AnnualReport]] = {k: [] for k in ReportKind.values}
    for report in AnnualReport.objects.filter(
        CURRENT, representative=representative, day__gte=year_first, day__lte=year_last
    ).order_by("-day", "-id"):
        reports.setdefault(report.kind, []).append(report)
    # Judged like the compliance engine: by the rule in force on the period's first day.
    quarter_rule = rule_on(quarter[0])
    year_rule = quarter_rule if quarter[0] == year_first else rule_on(year_first)
    return PeriodDuties(
        quarter=quarter,
        year=day.year,
        deliberations=events,
        deliberations_required=quarter_rule.deliberations_per_quarter,
        reports=reports,
        reports_required=year_rule.reports_per_year,
    )


@dataclass
class TeamCompliance:
    start: dt.date
    end: dt.date
    rows: list  # RepCompliance, by unit then name
    total: object | None  # UnitCompliance of the unit asked for
    children: list  # UnitCompliance per child unit


def team_compliance(
    user,
    *,
    unit: Unit | None = None,
    representative: Representative | None = None,
    start: dt.date,
    end: dt.date,
) -> TeamCompliance:
    """Compliance of one representative or of a unit's representatives, with the
    unit's rollup; representatives whose term missed the period are left out."""
    from . import compliance

    check_period(start, end)
    per_rep = selectors.compliance_for(
        user, unit=unit, representative=representative, start=start, end=end
    )
    per_rep = {
        pk: rc
        for pk, rc in per_rep.items()
        if rc.representative.term_start <= end
        and (rc.representative.term_end is None or rc.representative.term_end > start)
    }
    rows = sorted(
        per_rep.values(),
        key=lambda rc: (rc.unit_path, rc.representative.name, rc.representative.pk),
    )
    total, children = (None, [])
    if representative is None and unit is not None:
        total, children = compliance.rollup(unit, per_rep)
    return TeamCompliance(start=start, end=end, rows=rows, total=total, children=children)


def households_of(representative: Representative, include: int | None = None) -> QuerySet:
    """Ids of the households the representative serves now (plus `include`, the
    household of a record being corrected), for a form's choices."""
    links = org_selectors.current_links().filter(representative=representative)
    ids = Q(pk__in=links.values("household_id"))
    if include is not None:
        ids |= Q(pk=include)
    return Household.objects.filter(ids).values("pk")


# --- what a period counts, in words --------------------------------------------------------


def _short(day: dt.date, year: int) -> str:
    """11/2, or 2027/1/3 outside `year`."""
    return f"{day.month}/{day.day}" if day.year == year else f"{day.year}/{day.month}/{day.day}"


def month_name(day: dt.date) -> str:
    return _("%(year)d-%(month)02d") % {"year": day.year, "month": day.month}


def _quarter_name(first: dt.date) -> str:
    return _("Q%(q)d %(year)d") % {"q": (first.month - 1) // 3 + 1, "year": first.year}


def _year_name(first: dt.date) -> str:
    return _("Year %(year)d") % {"year": first.year}


def _period_name(period: str, start: dt.date, end: dt.date) -> str:
    if period == "month":
        return month_name(start)
    if period == "quarter":
        return _quarter_name(start)
    if period == "year":
        return _year_name(start)
    if period == "week":
        return _("This week")
    return f"{_short(start, start.year)}–{_short(end, start.year)}"


def _names(names: list[str], unit: str) -> str:
    if not names:
        return _("none in this period")
    if len(names) <= 2:
        return _(", ").join(names)
    return _("%(first)s to %(last)s, %(n)d %(unit)s") % {
        "first": names[0],
        "last": names[-1],
        "n": len(names),
        "unit": unit,
    }


@dataclass(frozen=True)
class PeriodCounts:
    """Which weeks, months, quarters and years a period counts, in words: a week
    counts where its Thursday falls, a month, quarter or year where its middle day
    falls (`compliance`), so the month view of 30 November counts 2–29 November."""

    weeks: str
    others: str


def period_counts(period: str, start: dt.date, end: dt.date) -> PeriodCounts:
    from . import compliance

    name = _period_name(period, start, end)
    thursdays = compliance.weeks_in(start, end)
    if thursdays:
        weeks = _("%(period)s: %(first)s–%(last)s, %(n)d weeks") % {
            "period": name,
            "first": _short(thursdays[0] - dt.timedelta(days=3), start.year),
            "last": _short(thursdays[-1] + dt.timedelta(days=3), start.year),
            "n": len(thursdays),
        }
    else:
        weeks = _("%(period)s: no week counted") % {"period": name}
    months = [month_name(m) for m in compliance.months_in(start, end)]
    quarters = [_quarter_name(q[0]) for q in compliance.quarters_in(start, end)]
    years = [_year_name(y[0]) for y in compliance.years_in(start, end)]
    others = _("Home visits: %(months)s · Deliberations: %(quarters)s · Reports: %(years)s") % {
        "months": _names(months, _("months")),
        "quarters": _names(quarters, _("quarters")),
        "years": _names(years, _("years")),
    }
    return PeriodCounts(weeks=weeks, others=others)


@dataclass(frozen=True)
class WeekProgress:
    """This week's contacts, for a view of a longer period that holds today."""

    first: str
    last: str
    counted_in: str  # the month the week counts in (its Thursday's)
    in_period: bool
    done: int
    owed: int
    rate: float | None


def week_progress(
    user, unit: Unit, period: str, start: dt.date, end: dt.date, day: dt.date
) -> WeekProgress | None:
    """The current week's contacts over `unit`, shown beside a month, quarter or
    year view holding `day`; the week may count in the next month (its Thursday's)."""
    if period == "week" or not start <= day <= end:
        return None
    from . import compliance

    first, last = period_range("week", day)
    thursday = first + dt.timedelta(days=3)
    total = team_compliance(user, unit=unit, start=first, end=last).total
    if not isinstance(total, compliance.UnitCompliance):
        return None
    contacts = total.duties["contacts"]
    return WeekProgress(
        first=_short(first, day.year),
        last=_short(last, day.year),
        counted_in=month_name(thursday),
        in_period=start <= thursday <= end,
        done=contacts.fulfilled,
        owed=contacts.required,
        rate=contacts.rate,
    )
