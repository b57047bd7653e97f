"""The service fund's rules: the 200-yuan floor, the approval threshold, the balance
that never goes below zero, the ledger that is never edited (reversals), and who may
do what."""

from __future__ import annotations

import datetime as dt

import pytest

from linli.accounts.models import AuditLog
from linli.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from linli.core.timeutil import today
from linli.funds import selectors, services
from linli.funds.models import (
    DEFAULT_ALLOCATION_FEN,
    DEFAULT_APPROVAL_FEN,
    FundAllocation,
    FundEntry,
    FundRule,
    yuan,
)
from tests.support.factories import upload

pytestmark = pytest.mark.django_db


def spend(rep_user, county, fen, **kw):
    kw.setdefault("day", today())
    kw.setdefault("purpose", "买药")
    return services.fund_spend(actor=rep_user, representative=county.rep_a, amount_fen=fen, **kw)


def allocation(county):
    return FundAllocation.objects.get(representative=county.rep_a, year=today().year)


def test_yuan_is_integer_arithmetic():
    assert yuan(0) == "0.00"
    assert yuan(5) == "0.05"
    assert yuan(20000) == "200.00"
    assert yuan(12345) == "123.45"
    assert yuan(-1050) == "-10.50"
    assert yuan(10**20 + 1) == "1000000000000000000.01"


# --- the allocation and its rule ----------------------------------------------------------


def test_the_default_allocation_is_200_yuan_opened_by_the_first_spending(county, rep_user):
    assert selectors.rule_for(county.group_a.path, 2026).allocation_fen == DEFAULT_ALLOCATION_FEN
    assert DEFAULT_ALLOCATION_FEN == 20000
    spend(rep_user, county, 1000)
    a = allocation(county)
    assert (a.amount_fen, a.spent_fen, a.balance_fen) == (20000, 1000, 19000)


def test_a_rule_below_200_yuan_is_refused_in_chinese(county, town_cadre, zh):
    year = today().year
    with pytest.raises(InvalidInput) as refused:
        services.fund_rule_set(
            actor=town_cadre,
            unit=county.town_a,
            year=year,
            allocation_fen=19999,
            approval_fen=5000,
        )
    assert refused.value.code == "allocation_below_floor"
    assert "不得少于" in refused.value.message and "200.00" in refused.value.message
    assert not FundRule.objects.exists()
    # 200 yuan exactly is allowed, and more.
    services.fund_rule_set(
        actor=town_cadre, unit=county.town_a, year=year, allocation_fen=20000, approval_fen=0
    )
    services.fund_rule_set(
        actor=town_cadre, unit=county.town_a, year=year, allocation_fen=50000, approval_fen=0
    )
    assert FundRule.objects.get().allocation_fen == 50000


def test_the_nearest_rule_up_the_tree_is_in_force(county, town_cadre, rep_user):
    year = today().year
    services.fund_rule_set(
        actor=town_cadre, unit=county.town_a, year=year, allocation_fen=30000, approval_fen=8000
    )
    assert selectors.rule_for(county.group_a.path, year).allocation_fen == 30000
    services.fund_rule_set(
        actor=town_cadre, unit=county.village_a, year=year, allocation_fen=40000, approval_fen=9000
    )
    rule = selectors.rule_for(county.group_a.path, year)
    assert (rule.allocation_fen, rule.approval_fen) == (40000, 9000)
    # Another year, and town B, keep the default.
    assert selectors.rule_for(county.group_a.path, year + 1).allocation_fen == 20000
    assert selectors.rule_for(county.group_b.path, year).allocation_fen == 20000
    spend(rep_user, county, 100)
    assert allocation(county).amount_fen == 40000


def test_a_rule_change_follows_into_opened_funds_but_never_below_what_is_used(
    county, town_cadre, rep_user, zh
):
    year = today().year
    services.fund_rule_set(
        actor=town_cadre, unit=county.town_a, year=year, allocation_fen=50000, approval_fen=50000
    )
    spend(rep_user, county, 30000)
    with pytest.raises(Conflict) as refused:
        services.fund_rule_set(
            actor=town_cadre, unit=county.town_a, year=year, allocation_fen=20000, approval_fen=0
        )
    assert refused.value.code == "allocation_below_spent"
    assert FundRule.objects.get().allocation_fen == 50000
    assert allocation(county).amount_fen == 50000
    services.fund_rule_set(
        actor=town_cadre, unit=county.town_a, year=year, allocation_fen=60000, approval_fen=0
    )
    assert allocation(county).amount_fen == 60000


def test_only_the_town_or_above_sets_a_rule(county, village_cadre, town_b_cadre, rep_user):
    for who in (village_cadre, town_b_cadre, rep_user):
        with pytest.raises(Forbidden):
            services.fund_rule_set(
                actor=who, unit=county.village_a, year=2026, allocation_fen=30000, approval_fen=0
            )
    assert not FundRule.objects.exists()


def test_opening_the_years_funds(county, town_cadre, superuser):
    year = today().year
    assert services.allocations_open(actor=town_cadre, unit=county.town_a, year=year) == 1
    assert services.allocations_open(actor=town_cadre, unit=county.town_a, year=year) == 0
    assert FundAllocation.objects.filter(year=year).count() == 1
    assert services.allocations_open(actor=superuser, unit=county.city, year=year) == 1
    assert AuditLog.objects.filter(action="funds.allocations.open").count() == 3


# --- spending and the approval threshold -------------------------------------------------------


def test_up_to_the_threshold_counts_at_once_above_it_waits(county, rep_user):
    at = spend(rep_user, county, 5000)
    assert at.status == "approved"
    above = spend(rep_user, county, DEFAULT_APPROVAL_FEN + 1)
    assert above.status == "pending"
    a = allocation(county)
    assert (a.spent_fen, a.pending_fen, a.available_fen) == (5000, 10001, 4999)
    exactly = spend(rep_user, county, 4999)
    assert exactly.status == "approved"
    assert allocation(county).available_fen == 0


def test_spending_above_a_configured_threshold_waits_for_the_village(
    county, rep_user, town_cadre, village_cadre, zh
):
    year = today().year
    services.fund_rule_set(
        actor=town_cadre, unit=county.village_a, year=year, allocation_fen=20000, approval_fen=3000
    )
    small = spend(rep_user, county, 3000)
    big = spend(rep_user, county, 12000)
    assert (small.status, big.status) == ("approved", "pending")
    a = allocation(county)
    assert (a.spent_fen, a.pending_fen, a.balance_fen, a.available_fen) == (
        3000,
        12000,
        17000,
        5000,
    )
    # What waits is held back: 6000 more is refused although the balance is 17000.
    with pytest.raises(Conflict) as refused:
        spend(rep_user, county, 6000)
    assert refused.value.code == "fund_overspent"
    # The village cadre approves: it counts.
    services.fund_decide(actor=village_cadre, entry=big, approve=True)
    a = allocation(county)
    assert (a.spent_fen, a.pending_fen) == (15000, 0)
    with pytest.raises(Conflict):
        services.fund_decide(actor=village_cadre, entry=big, approve=False, note="再议")


def test_a_refused_spending_never_counts(county, rep_user, town_cadre, village_cadre, zh):
    services.fund_rule_set(
        actor=town_cadre,
        unit=county.village_a,
        year=today().year,
        allocation_fen=20000,
        approval_fen=0,
    )
    entry = spend(rep_user, county, 15000)
    with pytest.raises(InvalidInput):  # a refusal needs its reason
        services.fund_decide(actor=village_cadre, entry=entry, approve=False, note="")
    services.fund_decide(actor=village_cadre, entry=entry, approve=False, note="无收据")
    a = allocation(county)
    assert (a.spent_fen, a.pending_fen, a.balance_fen) == (0, 0, 20000)
    entry.refresh_from_db()
    assert entry.status == "refused" and entry.decision_note == "无收据"
    with pytest.raises(Conflict):
        services.fund_reverse(actor=rep_user, entry=entry, reason="撤回")


def test_who_may_decide(county, rep_user, rep_b_user, town_b_cadre, group_leader, town_cadre):
    services.fund_rule_set(
        actor=town_cadre,
        unit=county.village_a,
        year=today().year,
        allocation_fen=20000,
        approval_fen=0,
    )
    entry = spend(rep_user, county, 100)
    for who in (rep_user, rep_b_user, town_b_cadre, group_leader):
        with pytest.raises(Forbidden):
            services.fund_decide(actor=who, entry=entry, approve=True)
    services.fund_decide(actor=town_cadre, entry=entry, approve=True)


def test_overspending_is_refused_and_nothing_is_written(county, rep_user, zh):
    spend(rep_user, county, 10000)
    spend(rep_user, county, 5000)
    audit = AuditLog.objects.count()
    with pytest.raises(Conflict) as refused:
        spend(rep_user, county, 5001, receipts=[upload()])
    assert refused.value.code == "fund_overspent" and refused.value.status == 409
    assert "余额不足" in refused.value.message and "50.00" in refused.value.message
    assert FundEntry.objects.count() == 2
    assert AuditLog.objects.count() == audit
    a = allocation(county)
    assert (a.spent_fen, a.balance_fen) == (15000, 5000)
    spend(rep_user, county, 5000)
    assert allocation(county).balance_fen == 0


@pytest.mark.parametrize(
    "fen, code",
    [(0, "amount"), (-100, "amount"), (10**20, "amount"), (12.5, "amount"), (True, "amount")],
)
def test_amounts_are_positive_integer_fen(county, rep_user, fen, code, zh):
    with pytest.raises(InvalidInput) as refused:
        spend(rep_user, county, fen)
    assert refused.value.code == code
    assert not FundEntry.objects.exists() and not FundAllocation.objects.exists()


def test_odd_dates_and_text_are_refused(county, rep_user, zh):
    for day in (today() + dt.timedelta(days=1), dt.date(1999, 12, 31), "2026-01-01"):
        with pytest.raises(InvalidInput):
            spend(rep_user, county, 100, day=day)
    for purpose in ("", "   ", "买药\x00", "a\x1b[31m", "x" * 501):
        with pytest.raises(InvalidInput):
            spend(rep_user, county, 100, purpose=purpose)
    assert not FundEntry.objects.exists()


def test_only_the_representative_spends_from_their_fund(
    county, rep_user, rep_b_user, village_cadre
):
    for who in (rep_b_user, village_cadre):
        with pytest.raises(Forbidden):
            spend(who, county, 100)
    assert not FundEntry.objects.exists()


def test_the_links_must_be_the_representatives(county, rep_user):
    e = spend(rep_user, county, 100, household=county.households_a[0].pk)
    assert e.household_id == county.households_a[0].pk
    with pytest.raises(NotFound):
        spend(rep_user, county, 100, household=county.households_b[0].pk)
    with pytest.raises(NotFound):
        spend(rep_user, county, 100, appeal="A2026999999")
    assert FundEntry.objects.count() == 1


def test_a_receipt_photo_is_kept_without_metadata(county, rep_user):
    e = spend(rep_user, county, 100, receipts=[upload(), upload("b.png")])
    assert e.receipts.count() == 2
    with pytest.raises(InvalidInput):
        spend(rep_user, county, 100, receipts=[upload("x.png", b"not an image")])
    assert FundEntry.objects.count() == 1


def test_last_years_spending_goes_to_last_years_fund(county, rep_user):
    last = today().replace(year=today().year - 1, month=12, day=31)
    spend(rep_user, county, 100, day=last)
    assert FundAllocation.objects.get(representative=county.rep_a).year == last.year


# --- reversals --------------------------------------------------------------------------------


def test_a_reversal_gives_the_amount_back_and_keeps_the_spending(
    county, rep_user, village_cadre, zh
):
    entry = spend(rep_user, county, 4000)
    reversal = services.fund_reverse(actor=rep_user, entry=entry, reason="金额记错")
    assert reversal.kind == "reversal" and reversal.reverses_id == entry.pk
    assert reversal.amount_fen == 4000 and reversal.purpose == "金额记错"
    entry.refresh_from_db()
    assert (entry.amount_fen, entry.status, entry.purpose) == (4000, "approved", "买药")
    assert allocation(county).spent_fen == 0
    with pytest.raises(Conflict) as again:
        services.fund_reverse(actor=village_cadre, entry=entry, reason="再冲")
    assert again.value.code == "entry_reversed"
    with pytest.raises(Conflict) as of_reversal:
        services.fund_reverse(actor=village_cadre, entry=reversal, reason="冲冲正")
    assert of_reversal.value.code == "entry_is_reversal"
    with pytest.raises(InvalidInput):
        services.fund_reverse(actor=village_cadre, entry=spend(rep_user, county, 5), reason=" ")
    actions = list(AuditLog.objects.filter(action="funds.reverse").values_list("detail", flat=True))
    assert actions == [
        {
            "allocation": entry.allocation_id,
            "reverses": entry.pk,
            "amount_fen": 4000,
            "reason": "金额记错",
        }
    ]


def test_who_may_reverse(county, rep_user, rep_b_user, town_b_cadre, group_leader, village_cadre):
    entry = spend(rep_user, county, 100)
    for who in (rep_b_user, town_b_cadre, group_leader):
        with pytest.raises(Forbidden):
            services.fund_reverse(actor=who, entry=entry, reason="x")
    services.fund_reverse(actor=village_cadre, entry=entry, reason="村里冲正")


def test_every_write_is_audited(county, rep_user, village_cadre, town_cadre):
    services.fund_rule_set(
        actor=town_cadre,
        unit=county.village_a,
        year=today().year,
        allocation_fen=20000,
        approval_fen=0,
    )
    e = spend(rep_user, county, 100)
    services.fund_decide(actor=village_cadre, entry=e, approve=True)
    services.fund_reverse(actor=village_cadre, entry=e, reason="冲正")
    assert list(AuditLog.objects.order_by("pk").values_list("action", flat=True))[-4:] == [
        "funds.rule.set",
        "funds.spend",
        "funds.approve",
        "funds.reverse",
    ]
