"""Any sequence of spendings, decisions and reversals keeps the ledger's one
invariant: balance = allocation - spent, where spent is the counted spendings less
their reversals, and neither the balance nor what may still be spent goes below
zero. The stored totals are checked against the entries summed from nothing."""

from __future__ import annotations

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linli.core.errors import Conflict
from linli.core.timeutil import today
from linli.funds import services
from linli.funds.models import FundAllocation, FundEntry

pytestmark = pytest.mark.django_db

ALLOCATION = 30000
THRESHOLD = 8000

step = st.one_of(
    st.tuples(st.just("spend"), st.integers(min_value=1, max_value=40000)),
    st.tuples(st.just("approve"), st.integers(min_value=0, max_value=30)),
    st.tuples(st.just("refuse"), st.integers(min_value=0, max_value=30)),
    st.tuples(st.just("reverse"), st.integers(min_value=0, max_value=30)),
)


class _Rollback(Exception):
    pass


def _summed(allocation: FundAllocation) -> tuple[int, int]:
    """spent and pending from the entries alone."""
    spent = pending = 0
    for e in FundEntry.objects.filter(allocation=allocation):
        if e.kind == "reversal":
            spent -= e.amount_fen
        elif e.status == "approved":
            spent += e.amount_fen
        elif e.status == "pending":
            pending += e.amount_fen
    return spent, pending


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(step, min_size=1, max_size=25))
def test_any_sequence_keeps_balance_equal_to_allocation_less_spent(
    county, rep_user, village_cadre, town_cadre, steps
):
    try:
        with transaction.atomic():
            services.fund_rule_set(
                actor=town_cadre,
                unit=county.village_a,
                year=today().year,
                allocation_fen=ALLOCATION,
                approval_fen=THRESHOLD,
            )
            services.allocations_open(actor=town_cadre, unit=county.village_a, year=today().year)
            model_spent = model_pending = 0
            entries: list[FundEntry] = []
            for action, n in steps:
                if action == "spend":
                    left = ALLOCATION - model_spent - model_pending
                    try:
                        e = services.fund_spend(
                            actor=rep_user,
                            representative=county.rep_a,
                            amount_fen=n,
                            day=today(),
                            purpose="支出",
                        )
                    except Conflict as exc:
                        assert exc.code == "fund_overspent" and n > left
                    else:
                        assert n <= left
                        entries.append(e)
                        if n > THRESHOLD:
                            assert e.status == "pending"
                            model_pending += n
                        else:
                            assert e.status == "approved"
                            model_spent += n
                elif entries:
                    e = entries[n % len(entries)]
                    e.refresh_from_db()
                    reversed_ = FundEntry.objects.filter(reverses=e).exists()
                    try:
                        if action == "reverse":
                            r = services.fund_reverse(actor=village_cadre, entry=e, reason="冲正")
                        else:
                            services.fund_decide(
                                actor=village_cadre,
                                entry=e,
                                approve=action == "approve",
                                note="意见",
                            )
                    except Conflict:
                        if action == "reverse":
                            assert e.kind == "reversal" or e.status != "approved" or reversed_
                        else:
                            assert e.status != "pending" or e.kind != "spend"
                    else:
                        if action == "reverse":
                            assert e.status == "approved" and not reversed_
                            model_spent -= e.amount_fen
                            entries.append(r)
                        else:
                            assert e.status == "pending"
                            model_pending -= e.amount_fen
                            if action == "approve":
                                model_spent += e.amount_fen
                a = FundAllocation.objects.get(representative=county.rep_a, year=today().year)
                assert (a.spent_fen, a.pending_fen) == _summed(a) == (model_spent, model_pending)
                assert a.balance_fen == ALLOCATION - model_spent
                assert a.balance_fen >= 0 and a.available_fen >= 0
            raise _Rollback
    except _Rollback:
        pass
