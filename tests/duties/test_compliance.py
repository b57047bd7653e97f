"""The compliance engine across its edges: moves, ISO weeks, terms, late entries,
corrections, and rules that change on a date."""

from __future__ import annotations

import datetime as dt

import pytest

from linli.core.errors import InvalidInput
from linli.duties import compliance, selectors, services
from linli.duties.models import ContactLog, DutyRule, ReportKind, week_of
from linli.org import services as org_services

from .conftest import appoint

pytestmark = pytest.mark.django_db

D = dt.date


def figures(per_rep, rep, duty: str) -> tuple[int, int]:
    d = per_rep[rep.pk].duties[duty]
    return d.required, d.fulfilled


def contact(clock, superuser, rep, household, day, **kw):
    """Log a contact on its own day (no late entry unless the test says so)."""
    clock.set(day)
    return services.contact_log(
        actor=superuser, representative=rep, household=household, day=day, **kw
    )


def visit(clock, superuser, rep, household, day, **kw):
    clock.set(day)
    kw.setdefault("met", "户主")
    return services.visit_log(
        actor=superuser, representative=rep, household=household, day=day, **kw
    )


def move(superuser, household, rep, on: dt.date):
    org_services.link_assign(
        actor=superuser, household=household, representative=rep, on_date=on, reason="test"
    )


def deliberate(clock, superuser, unit, organisers, day):
    clock.set(day)
    return services.deliberation_log(
        actor=superuser,
        unit=unit,
        organisers=organisers,
        day=day,
        place="村部",
        topic="修路",
        attendee_count=12,
    )


def report(clock, superuser, rep, kind, day):
    clock.set(day)
    return services.report_log(
        actor=superuser, representative=rep, kind=kind, day=day, text="一年来的履职情况"
    )


# --- a household moved to another representative ---------------------------------------


def test_weeks_before_a_move_are_owed_by_the_old_representative_and_after_by_the_new(
    county, superuser, clock, rep_c
):
    # Given household 0 moves from rep_a to rep_c on Wednesday 12 March 2025,
    # and rep_a contacted it in the week before and on the Monday of the move week
    h0 = county.households_a[0]
    move(superuser, h0, rep_c, D(2025, 3, 12))
    contact(clock, superuser, county.rep_a, h0, D(2025, 3, 4))
    contact(clock, superuser, county.rep_a, h0, D(2025, 3, 10))

    # Then the week of the move (Thursday 13th) is owed by rep_c, whom rep_a's
    # Monday contact does not help
    week = compliance.compute([county.rep_a, rep_c], D(2025, 3, 10), D(2025, 3, 16))
    assert figures(week, county.rep_a, "contacts") == (5, 0)
    assert figures(week, rep_c, "contacts") == (1, 0)

    # When rep_c contacts it on the Thursday
    contact(clock, superuser, rep_c, h0, D(2025, 3, 13))

    # Then over March: rep_a owed 6 households in the week of the 6th and 5 after
    march = compliance.compute([county.rep_a, rep_c], D(2025, 3, 1), D(2025, 3, 31))
    assert figures(march, county.rep_a, "contacts") == (6 + 5 * 3, 1)
    assert figures(march, rep_c, "contacts") == (3, 1)


def test_month_is_owed_by_whoever_served_on_its_middle_day(county, superuser, clock, rep_c):
    # March 2025's middle day is Sunday the 16th.
    h0, h1 = county.households_a[0], county.households_a[1]
    # Given h0 moves before the middle day and h1 after it,
    move(superuser, h0, rep_c, D(2025, 3, 12))
    move(superuser, h1, rep_c, D(2025, 3, 17))
    # and each household got a home visit from each representative while serving it
    visit(clock, superuser, county.rep_a, h0, D(2025, 3, 3))
    visit(clock, superuser, county.rep_a, h1, D(2025, 3, 3))
    visit(clock, superuser, rep_c, h0, D(2025, 3, 20))
    visit(clock, superuser, rep_c, h1, D(2025, 3, 20))

    march = compliance.compute([county.rep_a, rep_c], D(2025, 3, 1), D(2025, 3, 31))

    # Then rep_a owed h1..h5 (h1 was still theirs on the 16th) and visited h1;
    # rep_c owed only h0, and their visit to h1 counts for nobody.
    assert figures(march, county.rep_a, "visits") == (5, 1)
    assert figures(march, rep_c, "visits") == (1, 1)


def test_records_by_a_representative_who_no_longer_serves_on_the_reference_day_do_not_count(
    county, superuser, clock, rep_c
):
    h0 = county.households_a[0]
    move(superuser, h0, rep_c, D(2025, 3, 12))
    # rep_a's visit on the 10th is in March, but March (16th) is rep_c's
    visit(clock, superuser, county.rep_a, h0, D(2025, 3, 10))

    march = compliance.compute([county.rep_a, rep_c], D(2025, 3, 1), D(2025, 3, 31))

    assert figures(march, county.rep_a, "visits") == (5, 0)
    assert figures(march, rep_c, "visits") == (1, 0)


# --- ISO weeks across months and years ----------------------------------------------------


def test_week_of_a_record_is_the_thursday_of_its_iso_week():
    assert week_of(D(2025, 12, 29)) == D(2026, 1, 1)
    assert week_of(D(2026, 1, 4)) == D(2026, 1, 1)
    assert week_of(D(2027, 1, 2)) == D(2026, 12, 31)
    assert week_of(D(2025, 9, 30)) == D(2025, 10, 2)


def test_week_spanning_new_year_counts_in_the_month_of_its_thursday(county, superuser, clock):
    # Given contacts in the week 2025-12-29..2026-01-04 (Thursday 1 January 2026)
    rep = county.rep_a
    first = contact(clock, superuser, rep, county.households_a[0], D(2025, 12, 29))
    contact(clock, superuser, rep, county.households_a[1], D(2026, 1, 3))
    assert first.week == D(2026, 1, 1)

    # Then December 2025 has four weeks (Thursdays 4..25) and none is fulfilled
    december = compliance.compute([rep], D(2025, 12, 1), D(2025, 12, 31))
    assert figures(december, rep, "contacts") == (4 * 6, 0)
    # and January 2026 has five (Thursdays 1..29), the first with both contacts
    january = compliance.compute([rep], D(2026, 1, 1), D(2026, 1, 31))
    assert figures(january, rep, "contacts") == (5 * 6, 2)
    # and a query of 2025 leaves the week out, one of 2026 takes it in
    assert (
        figures(compliance.compute([rep], D(2025, 1, 1), D(2025, 12, 31)), rep, "contacts")[1] == 0
    )
    assert figures(compliance.compute([rep], D(2026, 1, 1), D(2026, 1, 7)), rep, "contacts") == (
        6,
        2,
    )


def test_january_days_of_a_week_whose_thursday_is_in_december_count_in_december(
    county, superuser, clock
):
    # The week 2026-12-28..2027-01-03 has its Thursday on 31 December 2026.
    rep = county.rep_a
    contact(clock, superuser, rep, county.households_a[0], D(2027, 1, 2))

    december = compliance.compute([rep], D(2026, 12, 1), D(2026, 12, 31))
    january = compliance.compute([rep], D(2027, 1, 1), D(2027, 1, 31))

    assert figures(december, rep, "contacts") == (5 * 6, 1)
    assert figures(january, rep, "contacts") == (4 * 6, 0)


def test_week_spanning_two_months_counts_in_the_month_of_its_thursday(county, superuser, clock):
    # 30 September 2025 is in the week whose Thursday is 2 October.
    rep = county.rep_a
    contact(clock, superuser, rep, county.households_a[0], D(2025, 9, 30))

    september = compliance.compute([rep], D(2025, 9, 1), D(2025, 9, 30))
    october = compliance.compute([rep], D(2025, 10, 1), D(2025, 10, 31))

    assert figures(september, rep, "contacts") == (4 * 6, 0)
    assert figures(october, rep, "contacts") == (5 * 6, 1)


def test_visit_counts_in_its_calendar_month_and_as_the_contact_of_its_iso_week(
    county, superuser, clock
):
    rep = county.rep_a
    visit(clock, superuser, rep, county.households_a[0], D(2025, 12, 30))

    december = compliance.compute([rep], D(2025, 12, 1), D(2025, 12, 31))
    january = compliance.compute([rep], D(2026, 1, 1), D(2026, 1, 31))

    assert figures(december, rep, "visits") == (6, 1)
    assert figures(december, rep, "contacts") == (4 * 6, 0)
    assert figures(january, rep, "visits") == (6, 0)
    assert figures(january, rep, "contacts") == (5 * 6, 1)


def test_period_belongs_to_a_range_when_its_middle_day_does(county):
    rep = county.rep_a
    # 1..15 March 2025 holds Thursdays 6 and 13 but not March's middle day (16th)
    before = compliance.compute([rep], D(2025, 3, 1), D(2025, 3, 15))
    assert figures(before, rep, "contacts") == (2 * 6, 0)
    assert figures(before, rep, "visits") == (0, 0)
    # 16 March alone holds the middle day and no Thursday
    middle = compliance.compute([rep], D(2025, 3, 16), D(2025, 3, 16))
    assert figures(middle, rep, "contacts") == (0, 0)
    assert figures(middle, rep, "visits") == (6, 0)
    # Q1 2025's middle day is 14 February; 2025's is 2 July
    assert (
        figures(compliance.compute([rep], D(2025, 2, 14), D(2025, 2, 14)), rep, "deliberations")[0]
        == 1
    )
    assert figures(compliance.compute([rep], D(2025, 2, 15), D(2025, 7, 1)), rep, "reports")[0] == 0
    assert figures(compliance.compute([rep], D(2025, 7, 2), D(2025, 7, 2)), rep, "reports")[0] == 1


# --- terms that start or end inside a quarter ----------------------------------------------


def test_term_starting_after_the_quarter_middle_day_owes_no_deliberation_that_quarter(
    county, superuser, clock
):
    # Q3 2025 runs 1 July..30 September; its middle day is 15 August.
    late = appoint(county, superuser, 4, "李后来", D(2025, 8, 20))
    early = appoint(county, superuser, 5, "李先来", D(2025, 8, 10))
    deliberate(clock, superuser, county.group_a, [late, early], D(2025, 9, 5))

    q3 = compliance.compute([late, early], D(2025, 7, 1), D(2025, 9, 30))
    q4 = compliance.compute([late, early], D(2025, 10, 1), D(2025, 12, 31))

    assert figures(q3, late, "deliberations") == (0, 0)
    assert figures(q3, early, "deliberations") == (1, 1)
    assert figures(q4, late, "deliberations") == (1, 0)
    assert figures(q4, early, "deliberations") == (1, 0)


def test_term_ended_before_the_quarter_middle_day_owes_no_deliberation_that_quarter(
    county, superuser
):
    org_services.representative_end_term(
        actor=superuser, representative=county.rep_b, term_end=D(2025, 8, 15), reason="迁出"
    )
    county.rep_b.refresh_from_db()

    q3 = compliance.compute([county.rep_a, county.rep_b], D(2025, 7, 1), D(2025, 9, 30))

    assert figures(q3, county.rep_a, "deliberations") == (1, 0)
    assert figures(q3, county.rep_b, "deliberations") == (0, 0)


def test_deliberation_counts_for_each_organiser_within_its_quarter_only(
    county, superuser, clock, rep_c
):
    deliberate(clock, superuser, county.group_a, [county.rep_a, rep_c], D(2025, 9, 30))

    q3 = compliance.compute([county.rep_a, rep_c, county.rep_b], D(2025, 7, 1), D(2025, 9, 30))
    q4 = compliance.compute([county.rep_a, rep_c], D(2025, 10, 1), D(2025, 12, 31))

    assert figures(q3, county.rep_a, "deliberations") == (1, 1)
    assert figures(q3, rep_c, "deliberations") == (1, 1)
    assert figures(q3, county.rep_b, "deliberations") == (1, 0)
    assert figures(q4, county.rep_a, "deliberations") == (1, 0)


def test_year_is_fulfilled_only_with_a_report_of_each_kind(county, superuser, clock):
    rep_a, rep_b = county.rep_a, county.rep_b
    report(clock, superuser, rep_a, ReportKind.RESIDENTS, D(2025, 12, 20))
    report(clock, superuser, rep_b, ReportKind.RESIDENTS, D(2025, 3, 1))
    report(clock, superuser, rep_b, ReportKind.COMMITTEES, D(2025, 12, 31))
    # A report dated in the next year counts for that year
    report(clock, superuser, rep_a, ReportKind.COMMITTEES, D(2026, 1, 5))

    y2025 = compliance.compute([rep_a, rep_b], D(2025, 1, 1), D(2025, 12, 31))

    assert figures(y2025, rep_a, "reports") == (1, 0)
    assert figures(y2025, rep_b, "reports") == (1, 1)


# --- late entries ----------------------------------------------------------------------------


def test_late_entry_within_the_window_counts_in_its_own_week(county, superuser, clock):
    # Given today is Wednesday 19 November 2025 and a contact is entered for
    # Friday 7 November (12 days back)
    clock.set(D(2025, 11, 19))
    record = services.contact_log(
        actor=superuser,
        representative=county.rep_a,
        household=county.households_a[0],
        day=D(2025, 11, 7),
    )

    # Then it belongs to the week of Thursday 6 November, not to this week
    assert record.week == D(2025, 11, 6)
    then = compliance.compute([county.rep_a], D(2025, 11, 3), D(2025, 11, 9))
    now = compliance.compute([county.rep_a], D(2025, 11, 17), D(2025, 11, 23))
    assert figures(then, county.rep_a, "contacts") == (6, 1)
    assert figures(now, county.rep_a, "contacts") == (6, 0)


def test_entry_exactly_at_the_end_of_the_window_is_accepted(county, superuser, clock):
    clock.set(D(2025, 11, 19))
    record = services.contact_log(
        actor=superuser,
        representative=county.rep_a,
        household=county.households_a[0],
        day=D(2025, 11, 5),  # 14 days back
    )
    assert record.pk


def test_entry_beyond_the_window_is_refused(county, superuser, clock):
    clock.set(D(2025, 11, 19))
    with pytest.raises(InvalidInput) as err:
        services.contact_log(
            actor=superuser,
            representative=county.rep_a,
            household=county.households_a[0],
            day=D(2025, 11, 4),  # 15 days back
        )
    assert err.value.code == "date_too_late"


@pytest.mark.parametrize("log", ["contact", "visit", "report", "deliberation"])
def test_record_dated_in_the_future_is_refused(county, superuser, clock, log):
    clock.set(D(2025, 11, 19))
    tomorrow = D(2025, 11, 20)
    calls = {
        "contact": lambda: services.contact_log(
            actor=superuser,
            representative=county.rep_a,
            household=county.households_a[0],
            day=tomorrow,
        ),
        "visit": lambda: services.visit_log(
            actor=superuser,
            representative=county.rep_a,
            household=county.households_a[0],
            day=tomorrow,
        ),
        "report": lambda: services.report_log(
            actor=superuser,
            representative=county.rep_a,
            kind=ReportKind.RESIDENTS,
            day=tomorrow,
            text="述职",
        ),
        "deliberation": lambda: services.deliberation_log(
            actor=superuser,
            unit=county.group_a,
            organisers=[county.rep_a],
            day=tomorrow,
            place="村部",
            topic="修路",
            attendee_count=5,
        ),
    }
    with pytest.raises(InvalidInput) as err:
        calls[log]()
    assert err.value.code == "date_future"


def test_late_entry_window_is_the_one_of_the_rule_in_force_today(county, superuser, clock):
    DutyRule.objects.create(effective_from=D(2025, 11, 1), late_entry_days=30)
    clock.set(D(2025, 11, 19))
    services.contact_log(
        actor=superuser,
        representative=county.rep_a,
        household=county.households_a[0],
        day=D(2025, 10, 25),  # 25 days back, before the rule took effect
    )
    with pytest.raises(InvalidInput) as err:
        services.contact_log(
            actor=superuser,
            representative=county.rep_a,
            household=county.households_a[0],
            day=D(2025, 10, 19),
        )
    assert err.value.code == "date_too_late"


# --- corrections and withdrawals --------------------------------------------------------------


def test_correction_counts_and_the_corrected_record_does_not(county, superuser, clock):
    # Given a contact entered for the wrong household in one week
    rep = county.rep_a
    wrong = contact(clock, superuser, rep, county.households_a[0], D(2025, 11, 4))

    # When it is corrected to another household and another day (the next week)
    fixed = contact(
        clock, superuser, rep, county.households_a[1], D(2025, 11, 11), supersedes=wrong
    )

    # Then the old row points at its correction, and only the correction counts
    wrong.refresh_from_db()
    assert wrong.superseded_by == fixed and not wrong.is_current and fixed.is_current
    first = compliance.compute([rep], D(2025, 11, 3), D(2025, 11, 9))
    second = compliance.compute([rep], D(2025, 11, 10), D(2025, 11, 16))
    assert figures(first, rep, "contacts") == (6, 0)
    assert figures(second, rep, "contacts") == (6, 1)


def test_withdrawn_record_counts_for_nothing(county, superuser, clock):
    rep = county.rep_a
    c = contact(clock, superuser, rep, county.households_a[0], D(2025, 11, 4))
    v = visit(clock, superuser, rep, county.households_a[1], D(2025, 11, 4))
    assert figures(compliance.compute([rep], D(2025, 11, 3), D(2025, 11, 9)), rep, "contacts") == (
        6,
        2,
    )

    void_c = services.record_withdraw(actor=superuser, record=c, reason="录错了")
    services.record_withdraw(actor=superuser, record=v, reason="录错了")

    assert void_c.void and void_c.household == c.household and void_c.week == c.week
    week = compliance.compute([rep], D(2025, 11, 3), D(2025, 11, 9))
    month = compliance.compute([rep], D(2025, 11, 1), D(2025, 11, 30))
    assert figures(week, rep, "contacts") == (6, 0)
    assert figures(month, rep, "visits") == (6, 0)


def test_withdrawn_deliberation_and_report_count_for_nothing(county, superuser, clock):
    rep = county.rep_a
    event = deliberate(clock, superuser, county.group_a, [rep], D(2025, 11, 4))
    r1 = report(clock, superuser, rep, ReportKind.RESIDENTS, D(2025, 11, 4))
    report(clock, superuser, rep, ReportKind.COMMITTEES, D(2025, 11, 4))
    before = compliance.compute([rep], D(2025, 1, 1), D(2025, 12, 31))
    assert figures(before, rep, "deliberations") == (4, 1)
    assert figures(before, rep, "reports") == (1, 1)

    services.record_withdraw(actor=superuser, record=event, reason="重复录入")
    services.record_withdraw(actor=superuser, record=r1, reason="重复录入")

    after = compliance.compute([rep], D(2025, 1, 1), D(2025, 12, 31))
    assert figures(after, rep, "deliberations") == (4, 0)
    assert figures(after, rep, "reports") == (1, 0)


def test_correcting_a_record_twice_is_refused(county, superuser, clock):
    rep, h0 = county.rep_a, county.households_a[0]
    old = contact(clock, superuser, rep, h0, D(2025, 11, 4))
    contact(clock, superuser, rep, h0, D(2025, 11, 5), supersedes=old)

    with pytest.raises(InvalidInput) as err:
        contact(clock, superuser, rep, h0, D(2025, 11, 6), supersedes=old)

    assert err.value.code == "already_corrected"
    # The refused correction left no record behind
    assert figures(compliance.compute([rep], D(2025, 11, 3), D(2025, 11, 9)), rep, "contacts") == (
        6,
        1,
    )
    assert ContactLog.objects.filter(representative=rep).count() == 2


def test_correcting_the_correction_leaves_only_the_latest_counting(county, superuser, clock):
    rep, hs = county.rep_a, county.households_a
    first = contact(clock, superuser, rep, hs[0], D(2025, 11, 4))
    second = contact(clock, superuser, rep, hs[1], D(2025, 11, 4), supersedes=first)
    third = contact(clock, superuser, rep, hs[2], D(2025, 11, 4), supersedes=second)

    second.refresh_from_db()
    assert second.superseded_by == third
    week = compliance.compute([rep], D(2025, 11, 3), D(2025, 11, 9))
    assert figures(week, rep, "contacts") == (6, 1)
    assert [h.pk for h in selectors.households_owed(rep, D(2025, 11, 4))["contacts"]] == [
        h.pk for h in (hs[0], hs[1], *hs[3:6])
    ]


def test_withdrawing_a_corrected_record_is_refused(county, superuser, clock):
    rep, h0 = county.rep_a, county.households_a[0]
    old = contact(clock, superuser, rep, h0, D(2025, 11, 4))
    contact(clock, superuser, rep, h0, D(2025, 11, 5), supersedes=old)

    with pytest.raises(InvalidInput) as err:
        services.record_withdraw(actor=superuser, record=old, reason="录错了")

    assert err.value.code == "already_corrected"


def test_record_can_only_be_corrected_by_one_of_its_kind(county, superuser, clock):
    rep, h0 = county.rep_a, county.households_a[0]
    c = contact(clock, superuser, rep, h0, D(2025, 11, 4))
    with pytest.raises(InvalidInput) as err:
        visit(clock, superuser, rep, h0, D(2025, 11, 4), supersedes=c)
    assert err.value.code == "supersede"


# --- rules with an effective date ----------------------------------------------------------


def test_rule_change_from_a_monday_judges_later_weeks_only(county, superuser, clock):
    # Given from Monday 10 March 2025 two contacts a week are required
    DutyRule.objects.create(effective_from=D(2025, 3, 10), contacts_per_week=2)
    rep, h0, h1 = county.rep_a, county.households_a[0], county.households_a[1]
    # and h0 got one contact in each of two weeks, h1 two in the second week
    contact(clock, superuser, rep, h0, D(2025, 3, 4))
    contact(clock, superuser, rep, h0, D(2025, 3, 11))
    contact(clock, superuser, rep, h1, D(2025, 3, 11))
    contact(clock, superuser, rep, h1, D(2025, 3, 14))

    before = compliance.compute([rep], D(2025, 3, 3), D(2025, 3, 9))
    after = compliance.compute([rep], D(2025, 3, 10), D(2025, 3, 16))
    both = compliance.compute([rep], D(2025, 3, 3), D(2025, 3, 16))

    # Then the earlier week is still judged with one contact, the later with two
    assert figures(before, rep, "contacts") == (6, 1)
    assert figures(after, rep, "contacts") == (6, 1)
    assert figures(both, rep, "contacts") == (12, 2)


def test_rule_taking_effect_mid_week_applies_from_the_next_week(county, superuser, clock):
    # The week of Thursday 13 March starts on Monday the 10th, before the rule.
    DutyRule.objects.create(effective_from=D(2025, 3, 11), contacts_per_week=2)
    rep = county.rep_a
    contact(clock, superuser, rep, county.households_a[0], D(2025, 3, 12))
    contact(clock, superuser, rep, county.households_a[0], D(2025, 3, 18))

    this_week = compliance.compute([rep], D(2025, 3, 10), D(2025, 3, 16))
    next_week = compliance.compute([rep], D(2025, 3, 17), D(2025, 3, 23))

    assert figures(this_week, rep, "contacts") == (6, 1)
    assert figures(next_week, rep, "contacts") == (6, 0)


def test_rule_change_mid_month_applies_from_the_next_month(county, superuser, clock):
    DutyRule.objects.create(effective_from=D(2025, 3, 10), visits_per_month=2)
    rep = county.rep_a
    visit(clock, superuser, rep, county.households_a[0], D(2025, 3, 20))
    visit(clock, superuser, rep, county.households_a[0], D(2025, 4, 2))

    march = compliance.compute([rep], D(2025, 3, 1), D(2025, 3, 31))
    april = compliance.compute([rep], D(2025, 4, 1), D(2025, 4, 30))

    assert figures(march, rep, "visits") == (6, 1)
    assert figures(april, rep, "visits") == (6, 0)


def test_rule_not_counting_visits_as_contacts_applies_from_its_date(county, superuser, clock):
    DutyRule.objects.create(effective_from=D(2025, 3, 10), visit_counts_as_contact=False)
    rep = county.rep_a
    visit(clock, superuser, rep, county.households_a[0], D(2025, 3, 4))
    visit(clock, superuser, rep, county.households_a[0], D(2025, 3, 11))

    before = compliance.compute([rep], D(2025, 3, 3), D(2025, 3, 9))
    after = compliance.compute([rep], D(2025, 3, 10), D(2025, 3, 16))

    assert figures(before, rep, "contacts") == (6, 1)
    assert figures(after, rep, "contacts") == (6, 0)


def test_quarter_and_year_are_judged_by_the_rule_in_force_on_their_first_day(
    county, superuser, clock
):
    # Two deliberations a quarter and two reports of each kind a year, from 1 October 2025
    DutyRule.objects.create(
        effective_from=D(2025, 10, 1), deliberations_per_quarter=2, reports_per_year=2
    )
    rep = county.rep_a
    deliberate(clock, superuser, county.group_a, [rep], D(2025, 9, 2))
    deliberate(clock, superuser, county.group_a, [rep], D(2025, 10, 2))
    report(clock, superuser, rep, ReportKind.RESIDENTS, D(2025, 12, 1))
    report(clock, superuser, rep, ReportKind.COMMITTEES, D(2025, 12, 1))

    y2025 = compliance.compute([rep], D(2025, 1, 1), D(2025, 12, 31))

    # Q3 (one held, one required) is met, Q4 (one held, two required) is not;
    # 2025 began under the old rule, so one report of each kind suffices
    assert figures(y2025, rep, "deliberations") == (4, 1)
    q3 = compliance.compute([rep], D(2025, 7, 1), D(2025, 9, 30))
    assert figures(q3, rep, "deliberations") == (1, 1)
    assert figures(y2025, rep, "reports") == (1, 1)


# --- selecting by unit and rolling up ------------------------------------------------------


def test_unit_query_and_rollup_sum_the_representatives_of_each_child(county, superuser, clock):
    contact(clock, superuser, county.rep_a, county.households_a[0], D(2025, 11, 4))
    contact(clock, superuser, county.rep_b, county.households_b[0], D(2025, 11, 4))
    contact(clock, superuser, county.rep_b, county.households_b[1], D(2025, 11, 4))

    per_rep = compliance.compute(None, D(2025, 11, 3), D(2025, 11, 9), unit=county.city)
    by_ids = compliance.compute([county.rep_a, county.rep_b], D(2025, 11, 3), D(2025, 11, 9))
    total, children = compliance.rollup(county.city, per_rep)

    assert set(per_rep) == {county.rep_a.pk, county.rep_b.pk}
    for pk, rc in per_rep.items():
        assert rc.duties == by_ids[pk].duties
    assert (total.duties["contacts"].required, total.duties["contacts"].fulfilled) == (12, 3)
    assert total.representatives == 2
    assert [(c.unit, c.duties["contacts"].fulfilled) for c in children] == [
        (county.town_a, 1),
        (county.town_b, 2),
    ]
    town_a_only = compliance.compute(None, D(2025, 11, 3), D(2025, 11, 9), unit=county.town_a)
    assert set(town_a_only) == {county.rep_a.pk}


def test_rollup_cells_follow_record_and_link_changes(county, superuser):
    """The per-(representative, period) rollup is dropped by the writes that
    change it, so a second read after a change gives the new answer."""
    from linli.core.timeutil import today
    from linli.duties import compliance as engine
    from linli.duties.models import DutyTally
    from linli.org import services as org_services

    day = today()
    week_start = day - dt.timedelta(days=day.weekday())
    first = engine.compute(None, week_start, week_start + dt.timedelta(days=6), unit=county.city)
    assert DutyTally.objects.filter(duty="contacts").exists()
    before = first[county.rep_a.pk].duties["contacts"].fulfilled
    services.contact_log(
        actor=superuser, representative=county.rep_a, household=county.households_a[0], day=day
    )
    second = engine.compute(None, week_start, week_start + dt.timedelta(days=6), unit=county.city)
    assert second[county.rep_a.pk].duties["contacts"].fulfilled == before + 1
    org_services.link_assign(
        actor=superuser,
        household=county.households_a[6],
        representative=county.rep_a,
        on_date=week_start,
        reason="rollup test",
    )
    third = engine.compute(None, week_start, week_start + dt.timedelta(days=6), unit=county.city)
    assert third[county.rep_a.pk].duties["contacts"].required == (
        second[county.rep_a.pk].duties["contacts"].required + 1
    )


# --- the rollup: warm-up and the one-statement read ----------------------------------------


def test_warm_read_is_one_statement_and_a_cold_read_fills_only_what_is_missing(
    county, superuser, clock, django_assert_num_queries
):
    from linli.duties.models import DutyTally

    clock.set(D(2025, 11, 12))
    contact(clock, superuser, county.rep_a, county.households_a[0], D(2025, 11, 4))
    week = (D(2025, 11, 3), D(2025, 11, 9))
    # Cold: the table, the fill (delete + insert), the table again (+ the rules).
    cold = compliance.compute(None, *week, unit=county.city)
    assert DutyTally.objects.filter(duty="contacts", ref=D(2025, 11, 6)).count() == 2
    # Warm: the rules and one statement for every duty of every representative, and
    # one query per duty added by the apps above (the love doorbell's care pairings;
    # its visits are not read when there are no pairings).
    from linli.duties import extra

    with django_assert_num_queries(2 + len(extra.compliance_duties())):
        warm = compliance.compute(None, *week, unit=county.city)
    assert {pk: rc.counts for pk, rc in warm.items()} == {pk: rc.counts for pk, rc in cold.items()}
    # A write drops the cells of one representative: only theirs are refilled.
    contact(clock, superuser, county.rep_b, county.households_b[0], D(2025, 11, 5))
    assert not DutyTally.objects.filter(representative=county.rep_b, ref__gte=D(2025, 11, 5))
    kept = DutyTally.objects.get(representative=county.rep_a, duty="contacts", ref=D(2025, 11, 6))
    again = compliance.compute(None, *week, unit=county.city)
    assert figures(again, county.rep_b, "contacts") == (6, 1)
    assert DutyTally.objects.filter(pk=kept.pk).exists()  # rep_a's cell was not recomputed


def test_warm_fills_last_month_to_the_end_of_this_month_for_every_representative(
    county, superuser, clock
):
    from linli.duties.models import DutyTally

    clock.set(D(2025, 11, 12))
    assert compliance.warm(day=D(2025, 11, 12)) == 2
    weeks = set(
        DutyTally.objects.filter(duty="contacts", representative=county.rep_a).values_list(
            "ref", flat=True
        )
    )
    months = set(
        DutyTally.objects.filter(duty="visits", representative=county.rep_b).values_list(
            "ref", flat=True
        )
    )
    # October's and November's Thursdays, and their middle days.
    assert min(weeks) == D(2025, 10, 2) and max(weeks) == D(2025, 11, 27)
    assert len(weeks) == 9
    assert months == {D(2025, 10, 16), D(2025, 11, 15)}
    # Warm again: nothing left to fill, nothing changes, and counting said so
    # (no compliance table was read).
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ids = set(DutyTally.objects.values_list("pk", flat=True))
    with CaptureQueriesContext(connection) as ctx:
        compliance.warm(day=D(2025, 11, 12))
    assert set(DutyTally.objects.values_list("pk", flat=True)) == ids
    assert not [q for q in ctx.captured_queries if "SELECT r.id, r.name" in q["sql"]]
    # A write drops one representative's cells: the next warm fills them again.
    contact(clock, superuser, county.rep_a, county.households_a[0], D(2025, 11, 12))
    assert DutyTally.objects.count() < len(ids)
    compliance.warm(day=D(2025, 11, 12))
    assert DutyTally.objects.count() == len(ids)


def test_warm_command_fills_from_the_date_given(county, clock):
    from io import StringIO

    from django.core.management import CommandError, call_command

    from linli.duties.models import DutyTally

    clock.set(D(2025, 11, 12))
    out = StringIO()
    call_command("duties_warm", since="2025-06-01", stdout=out)
    assert "2 representatives" in out.getvalue()
    assert DutyTally.objects.filter(duty="contacts", ref=D(2025, 6, 5)).count() == 2
    with pytest.raises(CommandError):
        call_command("duties_warm", since="1 June")


def test_figures_split_across_rule_segments_match_each_segment_read_alone(county, superuser, clock):
    # Given a rule from Monday 10 November asking for two contacts a week,
    DutyRule.objects.create(effective_from=D(2025, 11, 10), contacts_per_week=2)
    h0 = county.households_a[0]
    contact(clock, superuser, county.rep_a, h0, D(2025, 11, 4))
    contact(clock, superuser, county.rep_a, h0, D(2025, 11, 11))
    contact(clock, superuser, county.rep_a, h0, D(2025, 11, 12))
    contact(clock, superuser, county.rep_a, county.households_a[1], D(2025, 11, 12))
    # Then one read across both rules is the sum of the two reads apart,
    both = compliance.compute(None, D(2025, 11, 3), D(2025, 11, 16), unit=county.city)
    first = compliance.compute(None, D(2025, 11, 3), D(2025, 11, 9), unit=county.city)
    second = compliance.compute(None, D(2025, 11, 10), D(2025, 11, 16), unit=county.city)
    assert figures(first, county.rep_a, "contacts") == (6, 1)
    assert figures(second, county.rep_a, "contacts") == (6, 1)  # h1 had only one
    assert figures(both, county.rep_a, "contacts") == (12, 2)
