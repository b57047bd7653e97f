"""The demo seed gives the service fund a rule, opened funds and a ledger."""

from __future__ import annotations

import pytest

from linli.dashboard.demo import DOMAIN_SEEDERS
from linli.funds import demo
from linli.funds.models import FundAllocation, FundEntry, FundRule
from tests.support.roles import make_user

pytestmark = pytest.mark.django_db


def test_the_seed_is_listed_after_the_activities():
    names = [s.__module__ for s in DOMAIN_SEEDERS]
    assert names.index("linli.funds.demo") > names.index("linli.activities.demo")


def test_the_seed_opens_funds_and_writes_a_ledger(county):
    from linli.accounts.models import Role

    user = make_user(demo.DEMO_REP_PHONE, "演示代表", Role.REPRESENTATIVE, county.group_a)
    county.rep_a.user = user
    county.rep_a.save(update_fields=["user"])
    make_user("13800000004", "演示村干部", Role.VILLAGE, county.village_a)
    assert demo.seed(progress=lambda _m: None) == 1
    rule = FundRule.objects.get()
    assert (rule.unit, rule.allocation_fen, rule.approval_fen) == (county.town_a, 30000, 10000)
    fund = FundAllocation.objects.get(representative=county.rep_a)
    entries = FundEntry.objects.filter(allocation=fund)
    assert entries.count() == 6
    assert sorted(entries.values_list("status", flat=True)) == [
        "approved",
        "approved",
        "approved",
        "approved",
        "pending",
        "refused",
    ]
    assert (fund.amount_fen, fund.spent_fen, fund.pending_fen) == (30000, 11350, 12000)
