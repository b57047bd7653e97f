"""Who may keep duty records, raising an appeal from a contact, what is still owed,
and the end-of-period reminders."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from linli.accounts.models import Role
from linli.appeals.models import Appeal
from linli.core.errors import Forbidden, InvalidInput
from linli.duties import compliance, selectors, services
from linli.duties.models import ContactLog, DutyRule, ReportKind
from linli.duties.reminders import send_reminders
from linli.notify.models import Outbox
from linli.org import services as org_services
from tests.support.roles import make_user

pytestmark = pytest.mark.django_db

D = dt.date
SHANGHAI = ZoneInfo("Asia/Shanghai")
WEDNESDAY = D(2025, 11, 19)


def log(actor, rep, household, **kw):
    return services.contact_log(actor=actor, representative=rep, household=household, **kw)


def owed(rep, day=None) -> tuple[list[int], list[int]]:
    """Households still to contact this week and to visit this month (by index in group A)."""
    o = selectors.households_owed(rep, day)
    return [h.pk for h in o["contacts"]], [h.pk for h in o["visits"]]


def pks(households) -> list[int]:
    return [h.pk for h in households]


# --- who may write -------------------------------------------------------------------------


def test_representative_logs_a_contact_with_a_household_they_serve(county, accounts, clock):
    clock.set(WEDNESDAY)

    record = log(accounts.rep_a, county.rep_a, county.households_a[0])

    assert record.day == WEDNESDAY and record.week == D(2025, 11, 20)
    assert record.created_by == accounts.rep_a and record.is_current


def test_representative_may_not_log_for_a_household_they_do_not_serve(county, accounts, clock):
    clock.set(WEDNESDAY)
    with pytest.raises(InvalidInput) as err:
        log(accounts.rep_a, county.rep_a, county.households_a[6])
    assert err.value.code == "not_linked"


def test_representative_may_log_for_a_moved_household_only_for_days_they_served_it(
    county, superuser, accounts, clock, rep_c
):
    # Given household 0 moved to rep_c on Monday 17 November
    org_services.link_assign(
        actor=superuser,
        household=county.households_a[0],
        representative=rep_c,
        on_date=D(2025, 11, 17),
        reason="test",
    )
    clock.set(WEDNESDAY)

    # Then rep_a may still enter the Sunday before, but not the Monday of the move
    log(accounts.rep_a, county.rep_a, county.households_a[0], day=D(2025, 11, 16))
    with pytest.raises(InvalidInput) as err:
        log(accounts.rep_a, county.rep_a, county.households_a[0], day=D(2025, 11, 17))
    assert err.value.code == "not_linked"


def test_another_representative_may_not_log_in_a_representatives_name(county, accounts, clock):
    clock.set(WEDNESDAY)
    with pytest.raises(Forbidden) as err:
        log(accounts.rep_b, county.rep_a, county.households_a[0])
    assert err.value.code == "not_your_record"
    with pytest.raises(Forbidden) as err:
        services.visit_log(
            actor=accounts.rep_b, representative=county.rep_a, household=county.households_a[0]
        )
    assert err.value.code == "not_your_record"
    with pytest.raises(Forbidden) as err:
        services.report_log(
            actor=accounts.rep_b,
            representative=county.rep_a,
            kind=ReportKind.RESIDENTS,
            day=WEDNESDAY,
            text="述职",
        )
    assert err.value.code == "not_your_record"
    assert not ContactLog.objects.exists()


def test_representative_may_not_log_for_another_representatives_household(county, accounts, clock):
    clock.set(WEDNESDAY)
    with pytest.raises(InvalidInput) as err:
        log(accounts.rep_b, county.rep_b, county.households_a[0])
    assert err.value.code == "not_linked"


def test_village_cadre_may_log_for_a_representative_of_their_village(county, accounts, clock):
    clock.set(WEDNESDAY)

    record = log(accounts.village_a, county.rep_a, county.households_a[0], day=D(2025, 11, 10))
    visit = services.visit_log(
        actor=accounts.village_a,
        representative=county.rep_a,
        household=county.households_a[1],
        met="李奶奶",
    )

    assert record.representative == county.rep_a and record.created_by == accounts.village_a
    assert visit.representative == county.rep_a and visit.month == D(2025, 11, 15)


def test_cadre_of_another_village_may_not_log_for_them(county, accounts, clock):
    clock.set(WEDNESDAY)
    with pytest.raises(Forbidden) as err:
        log(accounts.village_b, county.rep_a, county.households_a[0])
    assert err.value.code == "not_your_record"


def test_representative_may_not_withdraw_another_representatives_record(county, accounts, clock):
    clock.set(WEDNESDAY)
    record = log(accounts.rep_a, county.rep_a, county.households_a[0])

    with pytest.raises(Forbidden) as err:
        services.record_withdraw(actor=accounts.rep_b, record=record, reason="不是我的")

    assert err.value.code == "not_your_record"
    record.refresh_from_db()
    assert record.is_current


def test_representative_may_not_correct_another_representatives_record(county, accounts, clock):
    # Given rep_a's contact with one of their households
    clock.set(WEDNESDAY)
    theirs = log(accounts.rep_a, county.rep_a, county.households_a[0])

    # When rep_b logs a contact of their own naming rep_a's record as the one it corrects
    with pytest.raises(Forbidden) as err:
        log(accounts.rep_b, county.rep_b, county.households_b[0], supersedes=theirs)

    # Then it is refused and rep_a's record still counts
    assert err.value.code == "not_your_record"
    theirs.refresh_from_db()
    assert theirs.is_current


def test_correction_for_another_representative_is_refused(
    county, superuser, accounts, clock, rep_c
):
    org_services.link_assign(
        actor=superuser,
        household=county.households_a[6],
        representative=rep_c,
        on_date=D(2025, 1, 1),
        reason="test",
    )
    clock.set(WEDNESDAY)
    original = log(accounts.village_a, county.rep_a, county.households_a[0])

    with pytest.raises(InvalidInput) as err:
        log(accounts.village_a, rep_c, county.households_a[6], supersedes=original)

    assert err.value.code == "supersede"
    original.refresh_from_db()
    assert original.is_current
    assert ContactLog.objects.count() == 1


def test_representative_may_not_log_a_deliberation_they_did_not_organise(county, accounts, clock):
    clock.set(WEDNESDAY)
    with pytest.raises(Forbidden) as err:
        services.deliberation_log(
            actor=accounts.rep_b,
            unit=county.group_a,
            organisers=[county.rep_a],
            day=WEDNESDAY,
            place="村部",
            topic="修路",
            attendee_count=9,
        )
    assert err.value.code == "not_your_record"


def test_organiser_logs_their_deliberation(county, accounts, clock):
    clock.set(WEDNESDAY)
    event = services.deliberation_log(
        actor=accounts.rep_a,
        unit=county.group_a,
        organisers=[county.rep_a],
        day=WEDNESDAY,
        place="李畋村一组禾场",
        topic="村头事村头述",
        attendee_count=23,
    )
    assert list(event.organisers.all()) == [county.rep_a]


def test_any_organiser_may_withdraw_their_deliberation(county, accounts, clock, rep_c):
    # Given an event organised by rep_a and rep_c, entered by rep_a
    rep_c.user = make_user("13700000105", "李新代表", Role.REPRESENTATIVE, county.group_a)
    rep_c.save(update_fields=["user"])
    clock.set(WEDNESDAY)
    event = services.deliberation_log(
        actor=accounts.rep_a,
        unit=county.group_a,
        organisers=[county.rep_a, rep_c],
        day=WEDNESDAY,
        place="村部",
        topic="修路",
        attendee_count=9,
    )

    # When rep_c, who may enter it as an organiser, withdraws it
    copy = services.record_withdraw(actor=rep_c.user, record=event, reason="重复录入")

    # Then it no longer counts
    assert copy.void
    event.refresh_from_db()
    assert event.superseded_by == copy


# --- raising an appeal from a contact ------------------------------------------------------


def test_raising_an_appeal_from_a_contact_creates_a_linked_appeal_in_one_step(
    reference_data, county, accounts, clock
):
    clock.set(WEDNESDAY)

    record = log(
        accounts.rep_a,
        county.rep_a,
        county.households_a[0],
        method="in_person",
        raise_appeal={"category": "roads", "description": "门前村道塌方，雨天无法通行"},
    )

    appeal = Appeal.objects.get()
    assert record.appeal == appeal
    assert appeal.category.code == "roads"
    assert appeal.household == county.households_a[0]
    assert appeal.representative == county.rep_a
    assert appeal.channel == "representative"


def test_raising_an_appeal_from_a_visit_links_it_to_the_visit(
    reference_data, county, accounts, clock
):
    clock.set(WEDNESDAY)

    record = services.visit_log(
        actor=accounts.rep_a,
        representative=county.rep_a,
        household=county.households_a[1],
        met="户主",
        risks="老房子墙体开裂",
        raise_appeal={"category": "building", "description": "老房子墙体开裂"},
    )

    assert record.appeal == Appeal.objects.get()
    assert record.appeal.household == county.households_a[1]


def test_contact_is_not_saved_when_its_appeal_is_refused(reference_data, county, accounts, clock):
    clock.set(WEDNESDAY)

    with pytest.raises(InvalidInput) as err:
        log(
            accounts.rep_a,
            county.rep_a,
            county.households_a[0],
            raise_appeal={"category": "no-such-category", "description": "路灯坏了"},
        )

    assert err.value.code == "category"
    assert not ContactLog.objects.exists() and not Appeal.objects.exists()


# --- what is still owed ---------------------------------------------------------------------


def test_households_owed_fall_as_contacts_and_visits_are_logged(county, accounts, clock):
    clock.set(WEDNESDAY)
    rep, hs = county.rep_a, county.households_a
    assert owed(rep) == (pks(hs[:6]), pks(hs[:6]))

    contact = log(accounts.rep_a, rep, hs[0], day=D(2025, 11, 17))
    assert owed(rep) == (pks(hs[1:6]), pks(hs[:6]))

    # A home visit is also this week's contact
    services.visit_log(actor=accounts.rep_a, representative=rep, household=hs[1], met="户主")
    assert owed(rep) == (pks(hs[2:6]), pks([hs[0], *hs[2:6]]))

    # A withdrawn contact no longer counts
    services.record_withdraw(actor=accounts.rep_a, record=contact, reason="录错了")
    assert owed(rep) == (pks([hs[0], *hs[2:6]]), pks([hs[0], *hs[2:6]]))

    # A contact last week does not count for this week
    log(accounts.rep_a, rep, hs[2], day=D(2025, 11, 14))
    assert owed(rep)[0] == pks([hs[0], *hs[2:6]])


def test_households_owed_follow_the_household_to_its_new_representative(
    county, superuser, clock, rep_c
):
    # Household 0 moves on Tuesday 18 November: the week (Thursday 20th) is rep_c's,
    # the month (middle day the 15th) still rep_a's.
    hs = county.households_a
    org_services.link_assign(
        actor=superuser,
        household=hs[0],
        representative=rep_c,
        on_date=D(2025, 11, 18),
        reason="test",
    )
    clock.set(WEDNESDAY)

    assert owed(county.rep_a) == (pks(hs[1:6]), pks(hs[:6]))
    assert owed(rep_c) == (pks([hs[0]]), [])


def test_households_owed_keep_a_household_until_the_rule_number_of_contacts_is_reached(
    county, accounts, clock
):
    # Given two contacts a week are required
    DutyRule.objects.create(effective_from=D(2025, 1, 1), contacts_per_week=2)
    clock.set(WEDNESDAY)
    rep, h0 = county.rep_a, county.households_a[0]

    # When one contact is logged, the household is still owed; after the second it is not
    log(accounts.rep_a, rep, h0, day=D(2025, 11, 17))
    assert h0.pk in owed(rep)[0]
    log(accounts.rep_a, rep, h0, day=D(2025, 11, 18))
    assert h0.pk not in owed(rep)[0]


def test_households_owed_ignore_a_visit_when_the_rule_does_not_count_it_as_a_contact(
    county, accounts, clock
):
    DutyRule.objects.create(effective_from=D(2025, 1, 1), visit_counts_as_contact=False)
    clock.set(WEDNESDAY)
    rep, h0 = county.rep_a, county.households_a[0]

    services.visit_log(actor=accounts.rep_a, representative=rep, household=h0, met="户主")

    contacts, visits = owed(rep)
    assert h0.pk in contacts and h0.pk not in visits


@pytest.mark.parametrize(
    "rule",
    [
        {},
        {"contacts_per_week": 2, "visits_per_month": 2},
        {"visit_counts_as_contact": False},
        {"contacts_per_week": 0, "visits_per_month": 0},
    ],
    ids=["defaults", "two_each", "visits_not_contacts", "none_required"],
)
def test_households_owed_agree_with_what_compliance_counts_as_owed(county, accounts, clock, rule):
    # Given a rule in force, and this week some contacts and a visit
    DutyRule.objects.create(effective_from=D(2025, 1, 1), **rule)
    clock.set(WEDNESDAY)
    rep, hs = county.rep_a, county.households_a
    log(accounts.rep_a, rep, hs[0])
    log(accounts.rep_a, rep, hs[1])
    log(accounts.rep_a, rep, hs[1], day=D(2025, 11, 18))
    services.visit_log(actor=accounts.rep_a, representative=rep, household=hs[2], met="户主")

    # Then the page's lists are as long as what the engine (and the reminders) count
    to_contact, to_visit = owed(rep)
    week = compliance.compute([rep], D(2025, 11, 17), D(2025, 11, 23))[rep.pk]
    month = compliance.compute([rep], D(2025, 11, 1), D(2025, 11, 30))[rep.pk]
    assert len(to_contact) == week.duties["contacts"].owed
    assert len(to_visit) == month.duties["visits"].owed


# --- reminders ------------------------------------------------------------------------------


def duty_outbox(**filters):
    return Outbox.objects.filter(channel="inapp", kind__startswith="duties.", **filters)


def test_friday_afternoon_reminds_each_representative_behind_once_and_their_village_cadre(
    county, accounts, clock, rep_c
):
    # Given in the week of Thursday 13 November 2025 rep_a contacted five of six
    # households, rep_b all six; rep_c (no account, no households) owes nothing
    clock.set(D(2025, 11, 14))
    for h in county.households_a[:5]:
        log(accounts.rep_a, county.rep_a, h)
    for h in county.households_b[:6]:
        log(accounts.rep_b, county.rep_b, h)
    friday = dt.datetime(2025, 11, 14, 15, 0, tzinfo=SHANGHAI)

    # When the reminders run on Friday afternoon
    sent = send_reminders(now=friday)

    # Then rep_a gets one reminder and 李畋村's cadre one summary naming them
    assert sent == {"representatives": 1, "leaders": 1}
    reminder = duty_outbox(user=accounts.rep_a).get()
    assert reminder.kind == "duties.week" and "1" in reminder.title
    summary = duty_outbox(user=accounts.village_a).get()
    assert summary.kind == "duties.week.summary" and county.rep_a.name in summary.title
    assert not duty_outbox(user=accounts.rep_b).exists()
    assert not duty_outbox(user=accounts.village_b).exists()

    # And a second run (or a later one the same week) sends nothing more
    assert send_reminders(now=friday) == {"representatives": 0, "leaders": 0}
    assert send_reminders(now=friday + dt.timedelta(days=1)) == {
        "representatives": 0,
        "leaders": 0,
    }
    assert duty_outbox().count() == 2


def test_no_weekly_reminder_before_friday_noon(county, accounts):
    sent = send_reminders(now=dt.datetime(2025, 11, 14, 11, 59, tzinfo=SHANGHAI))

    assert sent == {"representatives": 0, "leaders": 0}
    assert not duty_outbox().exists()


def test_three_days_before_month_end_reminds_of_visits_still_owed(county, accounts, clock):
    clock.set(D(2025, 11, 28))
    for h in county.households_b[:6]:
        services.visit_log(
            actor=accounts.rep_b, representative=county.rep_b, household=h, met="户主"
        )

    # Friday 28 November, before noon: the month is due, the week not yet
    sent = send_reminders(now=dt.datetime(2025, 11, 28, 9, 0, tzinfo=SHANGHAI))

    assert sent == {"representatives": 1, "leaders": 1}
    reminder = duty_outbox(user=accounts.rep_a).get()
    assert reminder.kind == "duties.month" and "6" in reminder.title
    assert not duty_outbox(user=accounts.rep_b).exists()
    assert send_reminders(now=dt.datetime(2025, 11, 28, 10, 0, tzinfo=SHANGHAI)) == {
        "representatives": 0,
        "leaders": 0,
    }
