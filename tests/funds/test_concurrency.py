"""Two spendings at once on PostgreSQL that together exceed the balance: the
allocation's row lock serialises them, exactly one is refused and nothing of it is
written."""

from __future__ import annotations

import pytest
from django.db import connection

from linli.core.errors import DomainError
from linli.core.timeutil import today
from linli.funds import services
from linli.funds.models import FundAllocation, FundEntry
from tests.support.race import race

from .conftest import fresh

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


def _spend(user, rep, fen):
    return lambda: services.fund_spend(
        actor=fresh(user), representative=rep, amount_fen=fen, day=today(), purpose="并发支出"
    )


@pytest.mark.parametrize("opened", [True, False], ids=["opened", "first-spending"])
def test_two_spendings_at_once_beyond_the_balance_exactly_one_is_refused(
    county, rep_user, town_cadre, opened
):
    if connection.vendor != "postgresql":
        pytest.skip("row-lock race runs in the PostgreSQL pass")
    if opened:
        services.allocations_open(actor=town_cadre, unit=county.village_a, year=today().year)
    # 200 yuan; each spends 120, so the two together exceed the balance. Above the
    # 100-yuan threshold both would wait, and what waits is held back all the same.
    outcomes = race([_spend(rep_user, county.rep_a, 12000) for _ in range(2)])
    wins = [o for o in outcomes if isinstance(o, FundEntry)]
    losses = [o for o in outcomes if isinstance(o, DomainError)]
    assert len(wins) == 1 and len(losses) == 1, outcomes
    assert losses[0].code == "fund_overspent" and losses[0].status == 409
    a = FundAllocation.objects.get(representative=county.rep_a, year=today().year)
    assert FundEntry.objects.filter(allocation=a).count() == 1
    assert a.spent_fen + a.pending_fen == 12000 and a.available_fen == 8000


def test_many_small_spendings_at_once_never_overspend(county, rep_user):
    if connection.vendor != "postgresql":
        pytest.skip("row-lock race runs in the PostgreSQL pass")
    # Eight spendings of 30 yuan against 200: six fit, two are refused.
    outcomes = race([_spend(rep_user, county.rep_a, 3000) for _ in range(8)])
    wins = [o for o in outcomes if isinstance(o, FundEntry)]
    assert len(wins) == 6
    assert all(getattr(o, "code", "") == "fund_overspent" for o in outcomes if o not in wins)
    a = FundAllocation.objects.get(representative=county.rep_a, year=today().year)
    assert a.spent_fen == 18000 and a.balance_fen == 2000
    assert FundEntry.objects.filter(allocation=a).count() == 6
