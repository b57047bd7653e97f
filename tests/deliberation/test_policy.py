"""The deliberation policy's two forms agree, role by role: what the filter returns
passes the check, what it leaves out fails it; and the services refuse what the
policy refuses."""

from __future__ import annotations

import pytest

from linli.accounts.models import Role
from linli.core.errors import Forbidden
from linli.deliberation import policy, services
from linli.deliberation.models import Item, Matter
from linli.org.models import Unit
from tests.support.roles import ROLES

from . import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ROLES, ids=str)
def test_filter_and_check_agree(role, county, user_in_town_a, village_cadre, town_b_cadre):
    user = user_in_town_a(role)
    items = [
        factories.item(county, village_cadre),
        services.item_propose(actor=town_b_cadre, unit=county.village_b, title="佳成村事项"),
    ]
    visible = set(Item.objects.filter(policy.view_q(user)))
    managed = set(Unit.objects.filter(policy.manage_q(user, "path")))
    supervised = set(Unit.objects.filter(policy.supervise_q(user, "path")))
    for item in items:
        assert (item in visible) == policy.can_view(user, item)
    for unit in Unit.objects.all():
        assert (unit in managed) == policy.can_manage(user, unit), unit
        assert (unit in supervised) == policy.can_supervise(user, unit), unit
        assert (unit in set(Unit.objects.filter(policy.units_q(user)))) == policy.can_view_unit(
            user, unit
        )
    # Nobody of town A sees or manages town B's item
    assert items[1] not in visible
    # The services refuse what the policy refuses
    if not policy.can_manage(user, county.village_a):
        with pytest.raises(Forbidden):
            services.matter_create(actor=user, unit=county.village_a, code="X", title="x")
        assert not Matter.objects.exists()
    if not policy.can_propose(user, county.village_a):
        with pytest.raises(Forbidden):
            services.item_propose(actor=user, unit=county.village_a, title="x")


def test_who_sees_village_a(county, user_in_town_a, village_cadre):
    item = factories.item(county, village_cadre)
    sees = {role for role in ROLES if policy.can_view(user_in_town_a(role), item)}
    assert Role.DEPARTMENT not in sees
    assert {Role.TOWN, Role.VILLAGE, Role.REPRESENTATIVE} <= sees
