"""For random link histories, terms, rules and records, the compliance engine's
numbers equal those of a plain reference computation written from the rules.

The reference below walks the requested range day by day and applies the
ownership rules of docs/duties.md literally; it shares no code with
`linli.duties.compliance`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from linli.duties import compliance, services
from linli.duties.models import (
    AnnualReport,
    ContactLog,
    Deliberation,
    DutyRule,
    HomeVisit,
    ReportKind,
    month_middle,
    month_of,
    week_of,
)
from linli.org.models import HouseholdLink, Representative

from .conftest import appoint

pytestmark = pytest.mark.django_db

D = dt.date
DUTIES = ("contacts", "visits", "deliberations", "reports")
KINDS = (ReportKind.RESIDENTS.value, ReportKind.COMMITTEES.value)
N_HOUSEHOLDS = 4
N_REPS = 3
SPAN = 120
# A summer in a leap year, one holding a year's middle day, one across New Year.
BASES = (D(2024, 6, 3), D(2025, 5, 1), D(2025, 11, 17))


# --- the scenario, as plain data ------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    household: int
    rep: int
    valid_from: dt.date
    valid_to: dt.date | None


@dataclass(frozen=True)
class Rule:
    effective_from: dt.date
    contacts_per_week: int
    visits_per_month: int
    deliberations_per_quarter: int
    reports_per_year: int
    visit_counts_as_contact: bool


DEFAULT = Rule(D(1900, 1, 1), 1, 1, 1, 1, True)


@dataclass(frozen=True)
class Record:
    """A contact or home visit; `fate` is current, void (withdrawn) or corrected."""

    kind: str
    household: int
    rep: int
    day: dt.date
    fate: str = "current"
    fix: Record | None = None  # the correction, when corrected


@dataclass(frozen=True)
class Event:
    day: dt.date
    organisers: frozenset[int]
    fate: str = "current"
    fix: Event | None = None


@dataclass(frozen=True)
class Report:
    rep: int
    kind: str
    day: dt.date
    fate: str = "current"
    fix: Report | None = None


@dataclass(frozen=True)
class Scenario:
    links: tuple[Link, ...]
    terms: tuple[tuple[dt.date, dt.date | None], ...]
    rules: tuple[Rule, ...]
    records: tuple[Record, ...]
    events: tuple[Event, ...]
    reports: tuple[Report, ...]
    start: dt.date
    end: dt.date


def serving(links, household: int, day: dt.date) -> set[int]:
    return {
        link.rep
        for link in links
        if link.household == household
        and link.valid_from <= day
        and (link.valid_to is None or day < link.valid_to)
    }


def current(items) -> list:
    """The rows that count: originals not withdrawn or corrected, and corrections."""
    out = []
    for item in items:
        if item.fate == "current":
            out.append(item)
        elif item.fate == "corrected":
            out.append(item.fix)
    return out


# --- the reference computation ----------------------------------------------------------------


def middle(first: dt.date, after_last: dt.date) -> dt.date:
    """The middle day of [first, after_last): the earlier of two for an even length."""
    return first + dt.timedelta(days=((after_last - first).days - 1) // 2)


def add_months(first: dt.date, n: int) -> dt.date:
    m = first.month - 1 + n
    return D(first.year + m // 12, m % 12 + 1, 1)


def rule_on(rules, day: dt.date) -> Rule:
    in_force = [r for r in rules if r.effective_from <= day]
    return max(in_force, key=lambda r: r.effective_from) if in_force else DEFAULT


def in_term(term, day: dt.date) -> bool:
    start, end = term
    return start <= day and (end is None or day < end)


def reference(sc: Scenario) -> dict[int, dict[str, tuple[int, int]]]:
    out = {r: {d: [0, 0] for d in DUTIES} for r in range(N_REPS)}
    records = current(sc.records)
    events = current(sc.events)
    reports = current(sc.reports)

    def owe(rep: int, duty: str, done: bool) -> None:
        out[rep][duty][0] += 1
        out[rep][duty][1] += int(done)

    day = sc.start
    while day <= sc.end:
        if day.isoweekday() == 4:  # the Thursday of an ISO week
            rule = rule_on(sc.rules, day - dt.timedelta(days=3))
            kinds = {"contact", "visit"} if rule.visit_counts_as_contact else {"contact"}
            for h in range(N_HOUSEHOLDS):
                for r in serving(sc.links, h, day):
                    n = sum(
                        1
                        for rec in records
                        if rec.kind in kinds
                        and (rec.household, rec.rep) == (h, r)
                        and rec.day.isocalendar()[:2] == day.isocalendar()[:2]
                    )
                    owe(r, "contacts", n >= rule.contacts_per_week)

        month = day.replace(day=1)
        if day == middle(month, add_months(month, 1)):
            rule = rule_on(sc.rules, month)
            for h in range(N_HOUSEHOLDS):
                for r in serving(sc.links, h, day):
                    n = sum(
                        1
                        for rec in records
                        if rec.kind == "visit"
                        and (rec.household, rec.rep) == (h, r)
                        and (rec.day.year, rec.day.month) == (day.year, day.month)
                    )
                    owe(r, "visits", n >= rule.visits_per_month)

        quarter = D(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        if day == middle(quarter, add_months(quarter, 3)):
            rule = rule_on(sc.rules, quarter)
            for r in range(N_REPS):
                if in_term(sc.terms[r], day):
                    n = sum(
                        1
                        for e in events
                        if r in e.organisers and quarter <= e.day < add_months(quarter, 3)
                    )
                    owe(r, "deliberations", n >= rule.deliberations_per_quarter)

        year = D(day.year, 1, 1)
        if day == middle(year, D(day.year + 1, 1, 1)):
            rule = rule_on(sc.rules, year)
            for r in range(N_REPS):
                if in_term(sc.terms[r], day):
                    done = all(
                        sum(1 for x in reports if (x.rep, x.kind, x.day.year) == (r, k, day.year))
                        >= rule.reports_per_year
                        for k in KINDS
                    )
                    owe(r, "reports", done)
        day += dt.timedelta(days=1)
    return {r: {d: tuple(v) for d, v in duties.items()} for r, duties in out.items()}


def test_reference_agrees_with_hand_counted_periods():
    """The reference itself, on periods counted by hand."""
    assert middle(D(2025, 3, 1), D(2025, 4, 1)) == D(2025, 3, 16)
    assert middle(D(2025, 2, 1), D(2025, 3, 1)) == D(2025, 2, 14)
    assert middle(D(2025, 7, 1), D(2025, 10, 1)) == D(2025, 8, 15)
    assert middle(D(2025, 1, 1), D(2026, 1, 1)) == D(2025, 7, 2)
    for first in (D(2024, 2, 1), D(2025, 2, 1), D(2025, 4, 1), D(2025, 12, 1)):
        assert month_middle(first) == middle(first, add_months(first, 1))
    sc = Scenario(
        links=(Link(0, 0, D(2025, 1, 1), None),),
        terms=((D(2025, 1, 1), None), (D(2025, 8, 16), None), (D(2024, 1, 1), D(2025, 7, 2))),
        rules=(),
        records=(Record("visit", 0, 0, D(2025, 9, 29)),),
        events=(Event(D(2025, 9, 30), frozenset({0, 1})),),
        reports=(Report(0, "residents", D(2025, 1, 5)), Report(0, "committees", D(2025, 12, 5))),
        start=D(2025, 7, 1),
        end=D(2025, 9, 30),
    )
    # Thursdays 3 July..25 September: 13 weeks; the visit's week is October's
    assert reference(sc)[0] == {
        "contacts": (13, 0),
        "visits": (3, 1),
        "deliberations": (1, 1),
        "reports": (1, 1),
    }
    assert reference(sc)[1]["deliberations"] == (0, 0)
    assert reference(sc)[2]["reports"] == (0, 0)


# --- random scenarios -----------------------------------------------------------------------

FATES = st.sampled_from(("current", "current", "current", "void", "corrected"))


def edges(lo: dt.date, hi: dt.date, weekdays: tuple[int, ...] = ()) -> list[dt.date]:
    """Days in [lo, hi] where off-by-one mistakes show: the given ISO weekdays, and
    the first days and the middle days (and either side) of months, quarters and years."""
    out = set()
    day = lo
    while day <= hi:
        month, quarter, year = (
            day.replace(day=1),
            D(day.year, 3 * ((day.month - 1) // 3) + 1, 1),
            D(day.year, 1, 1),
        )
        middles = (
            middle(month, add_months(month, 1)),
            middle(quarter, add_months(quarter, 3)),
            middle(year, add_months(year, 12)),
        )
        if (
            day.isoweekday() in weekdays
            or day.day == 1
            or any(abs((day - m).days) <= 1 for m in middles)
        ):
            out.add(day)
        day += dt.timedelta(days=1)
    return sorted(out)


@st.composite
def scenarios(draw) -> Scenario:
    base = draw(st.sampled_from(BASES))

    def between(lo: dt.date, hi: dt.date):
        return st.integers(0, (hi - lo).days).map(lambda n: lo + dt.timedelta(days=n))

    def near_edges(lo: dt.date, hi: dt.date, weekdays: tuple[int, ...] = ()):
        near = edges(lo, hi, weekdays)
        return (st.sampled_from(near) if near else st.nothing()) | between(lo, hi)

    # The range often starts or ends next to a Thursday or a middle day.
    start = draw(near_edges(base - dt.timedelta(days=15), base + dt.timedelta(SPAN // 2), (3, 4)))
    end = draw(near_edges(start, start + dt.timedelta(days=SPAN + 15), (3, 4)))

    lo, hi = start - dt.timedelta(days=10), end + dt.timedelta(days=10)
    edge = near_edges(lo, hi)
    # Records fall mostly on a few days, so that a week or a month often holds several,
    # and often at the ends of ISO weeks.
    pool = draw(st.lists(near_edges(lo, hi, (1, 7)), min_size=1, max_size=8))
    record_day = st.sampled_from(pool) | edge
    reps = st.integers(0, N_REPS - 1)

    # Each household: stretches between changes served by one representative or
    # by nobody; only the last may stay open.
    links: list[Link] = []
    change = near_edges(lo, hi, (3, 4, 5))
    for h in range(N_HOUSEHOLDS):
        first = draw(change | between(lo - dt.timedelta(days=40), lo))
        changes = sorted({first, *draw(st.lists(change, max_size=4))})
        changes = [c for c in changes if c >= first]
        servers = draw(
            st.lists(st.sampled_from((None, 0, 1, 2)), min_size=len(changes), max_size=len(changes))
        )
        open_end = draw(st.booleans())
        for i, (since, rep) in enumerate(zip(changes, servers, strict=True)):
            until = changes[i + 1] if i + 1 < len(changes) else None
            if rep is not None and (until is not None or open_end):
                links.append(Link(h, rep, since, until))

    @st.composite
    def record(draw, kind: str, with_fix: bool = True) -> Record:
        link = draw(st.sampled_from(links)) if links and draw(st.integers(0, 3)) else None
        if link is not None:
            # Mostly by the representative serving the household that day, as
            # the services require
            h, rep = link.household, link.rep
            last = (link.valid_to or hi) - dt.timedelta(days=1)
            inside = [d for d in pool if link.valid_from <= d <= last]
            day = draw(
                (st.sampled_from(inside) if inside else st.nothing())
                | between(link.valid_from, max(last, link.valid_from))
            )
        else:
            # sometimes by anyone, whom the engine must credit only where they serve
            h, rep, day = draw(st.integers(0, N_HOUSEHOLDS - 1)), draw(reps), draw(record_day)
        fate = draw(FATES) if with_fix else "current"
        fix = draw(record(kind, with_fix=False)) if fate == "corrected" else None
        return Record(kind, h, rep, day, fate, fix)

    @st.composite
    def deliberation(draw, with_fix: bool = True) -> Event:
        organisers = draw(st.frozensets(reps, min_size=1))
        fate = draw(FATES) if with_fix else "current"
        fix = draw(deliberation(with_fix=False)) if fate == "corrected" else None
        return Event(draw(record_day), organisers, fate, fix)

    @st.composite
    def report(draw, with_fix: bool = True) -> Report:
        rep, kind = draw(st.sampled_from((0, 0, 1, 2))), draw(st.sampled_from(KINDS))
        fate = draw(FATES) if with_fix else "current"
        fix = draw(report(with_fix=False)) if fate == "corrected" else None
        return Report(rep, kind, draw(record_day), fate, fix)

    terms = []
    for _ in range(N_REPS):
        term_start = draw(edge | between(lo - dt.timedelta(days=200), lo))
        after = term_start + dt.timedelta(days=1)
        term_end = draw(st.none() | near_edges(after, max(after, hi)))
        terms.append((term_start, term_end))
    rules = draw(
        st.lists(
            st.builds(
                Rule,
                effective_from=near_edges(lo, hi, (1, 2, 4)),
                contacts_per_week=st.sampled_from((1, 1, 2, 3)),
                visits_per_month=st.integers(1, 2),
                deliberations_per_quarter=st.integers(1, 2),
                reports_per_year=st.integers(1, 2),
                visit_counts_as_contact=st.booleans(),
            ),
            max_size=2,
            unique_by=lambda r: r.effective_from,
        )
    )
    return Scenario(
        links=tuple(links),
        terms=tuple(terms),
        rules=tuple(rules),
        records=tuple(
            draw(st.lists(record("contact"), min_size=5, max_size=30))
            + draw(st.lists(record("visit"), min_size=2, max_size=12))
        ),
        events=tuple(draw(st.lists(deliberation(), min_size=1, max_size=6))),
        reports=tuple(draw(st.lists(report(), min_size=2, max_size=8))),
        start=start,
        end=end,
    )


# --- building the scenario in the database ----------------------------------------------------


class _Rollback(Exception):
    """Raised to undo one example's rows."""


def build(sc: Scenario, county, superuser, reps: list[Representative]) -> list[Representative]:
    households = county.households_a[:N_HOUSEHOLDS]
    HouseholdLink.objects.filter(representative__in=reps).delete()
    HouseholdLink.objects.bulk_create(
        HouseholdLink(
            household=households[link.household],
            representative=reps[link.rep],
            valid_from=link.valid_from,
            valid_to=link.valid_to,
        )
        for link in sc.links
    )
    for rep, (start, end) in zip(reps, sc.terms, strict=True):
        Representative.objects.filter(pk=rep.pk).update(term_start=start, term_end=end)
    reps = [Representative.objects.select_related("unit").get(pk=r.pk) for r in reps]
    for rule in sc.rules:
        DutyRule.objects.create(**rule.__dict__)

    def create(item):
        if isinstance(item, Record):
            model = ContactLog if item.kind == "contact" else HomeVisit
            extra = (
                {"method": "phone"}
                if model is ContactLog
                else {"month": month_middle(month_of(item.day))}
            )
            return model.objects.create(
                representative=reps[item.rep],
                household=households[item.household],
                day=item.day,
                week=week_of(item.day),
                role="liaison",
                **extra,
            )
        if isinstance(item, Event):
            event = Deliberation.objects.create(
                unit=county.group_a, day=item.day, place="村部", topic="议事", attendee_count=9
            )
            event.organisers.set([reps[r] for r in item.organisers])
            return event
        return AnnualReport.objects.create(
            representative=reps[item.rep], kind=item.kind, day=item.day, text="述职"
        )

    for item in (*sc.records, *sc.events, *sc.reports):
        row = create(item)
        if item.fate == "void":
            services.record_withdraw(actor=superuser, record=row, reason="录错了")
        elif item.fate == "corrected":
            fix = create(item.fix)
            type(row).objects.filter(pk=row.pk).update(superseded_by=fix)
    return reps


def as_figures(per_rep, reps) -> dict[int, dict[str, tuple[int, int]]]:
    return {
        i: {d: (rc.duties[d].required, rc.duties[d].fulfilled) for d in DUTIES}
        for i, rc in ((i, per_rep[rep.pk]) for i, rep in enumerate(reps))
    }


@pytest.fixture
def village_reps(county, superuser, rep_c):
    return [county.rep_a, rep_c, appoint(county, superuser, 6, "李第三", D(2025, 1, 1))]


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sc=scenarios())
def test_engine_equals_the_reference_for_random_histories(county, superuser, village_reps, sc):
    try:
        with transaction.atomic():
            reps = build(sc, county, superuser, village_reps)
            expected = reference(sc)

            by_list = compliance.compute(reps, sc.start, sc.end)
            by_unit = compliance.compute(None, sc.start, sc.end, unit=county.village_a)

            assert as_figures(by_list, reps) == expected
            assert set(by_unit) == {rep.pk for rep in reps}
            assert as_figures(by_unit, reps) == expected
            for duty in DUTIES:
                if any(expected[r][duty][1] for r in expected):
                    event(f"some {duty} fulfilled")
            raise _Rollback
    except _Rollback:
        pass
