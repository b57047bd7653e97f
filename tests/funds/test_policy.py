"""Each rule of `funds.policy` in its two forms, the filter and the object check, agrees
for every role over the funds and entries of both towns; the services refuse what the
policy refuses."""

from __future__ import annotations

import pytest

from linli.core.errors import Forbidden
from linli.core.timeutil import today
from linli.funds import policy, services
from linli.funds.models import FundAllocation, FundEntry

from .conftest import fresh

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(
    county, superuser, rep_user, rep_b_user, village_cadre, town_cadre, town_b_cadre, group_leader
):
    for who in (town_cadre, town_b_cadre):
        unit = county.village_a if who is town_cadre else county.village_b
        services.fund_rule_set(
            actor=who, unit=unit, year=today().year, allocation_fen=20000, approval_fen=100
        )
    for user, rep in ((rep_user, county.rep_a), (rep_b_user, county.rep_b)):
        services.fund_spend(
            actor=user, representative=rep, amount_fen=50, day=today(), purpose="小额"
        )
        services.fund_spend(
            actor=user, representative=rep, amount_fen=500, day=today(), purpose="待审批"
        )
    return {
        "superuser": superuser,
        "rep_a": rep_user,
        "rep_b": rep_b_user,
        "village_a": village_cadre,
        "town_a": town_cadre,
        "town_b": town_b_cadre,
        "group_leader_a": group_leader,
    }


EXPECTED_VIEW = {
    "superuser": {"a", "b"},
    "rep_a": {"a"},
    "rep_b": {"b"},
    "village_a": {"a"},
    "town_a": {"a"},
    "town_b": {"b"},
    "group_leader_a": {"a"},
}
EXPECTED_APPROVE = {
    "superuser": {"a", "b"},
    "rep_a": set(),
    "rep_b": set(),
    "village_a": {"a"},
    "town_a": {"a"},
    "town_b": {"b"},
    "group_leader_a": set(),
}


def _town(allocation, county) -> str:
    return "a" if allocation.representative_id == county.rep_a.pk else "b"


@pytest.mark.parametrize("who", sorted(EXPECTED_VIEW))
def test_see_filter_and_check_agree(world, county, who):
    user = fresh(world[who])
    visible = set(FundAllocation.objects.filter(policy.visible_q(user)))
    for a in FundAllocation.objects.select_related("representative__unit"):
        assert (a in visible) == policy.can_view(user, a), (who, a)
    assert {_town(a, county) for a in visible} == EXPECTED_VIEW[who]


@pytest.mark.parametrize("who", sorted(EXPECTED_APPROVE))
def test_approve_filter_and_check_agree_and_the_service_follows(world, county, who):
    user = fresh(world[who])
    pending = FundEntry.objects.filter(status="pending").select_related(
        "allocation__representative__unit"
    )
    allowed = set(pending.filter(policy.approve_q(user)))
    assert {_town(e.allocation, county) for e in allowed} == EXPECTED_APPROVE[who]
    for e in pending:
        assert (e in allowed) == policy.can_approve(user, e), (who, e)
        if e not in allowed:
            with pytest.raises(Forbidden):
                services.fund_decide(actor=user, entry=e, approve=True)
    for e in allowed:
        services.fund_decide(actor=user, entry=e, approve=True)
