"""The demo's care register: the demo representative is the primary of the village's
elderly people living alone, with backups; running the seed again changes nothing."""

from __future__ import annotations

import pytest

from linli.accounts.models import Role
from linli.doorbell import demo, selectors
from linli.doorbell.models import CareBackup, CarePairing, CareRecipient, EmergencyContact
from linli.org import services as org
from tests.support.roles import make_user

pytestmark = pytest.mark.django_db


def test_the_seed_pairs_the_demo_representative(county):
    su = county.superuser
    rep_user = make_user(demo.DEMO_REP_PHONE, "辜大祥", Role.REPRESENTATIVE, county.group_a)
    county.rep_a.user = rep_user
    county.rep_a.save(update_fields=["user"])
    leader = make_user(demo.DEMO_GROUP_LEADER_PHONE, "李德贵", Role.GROUP_LEADER, county.group_a)
    cadre = make_user(demo.DEMO_VILLAGE_PHONE, "李国平", Role.VILLAGE, county.village_a)
    # Household 1 (rep_a's) lives alone too, with an old resident; household 0 is the
    # representative's own, whose only member (rep_a) is left out.
    org.household_update(actor=su, household=county.households_a[1], tags=["elderly_alone"])
    elder = org.member_create(
        actor=su, household=county.households_a[1], name="王奶奶", relation="head"
    )
    assert demo.seed_care() == 1
    recipient = CareRecipient.objects.get()
    assert recipient.member == elder and recipient.kind == "elderly_alone"
    pairing = CarePairing.objects.get(recipient=recipient)
    assert pairing.primary == county.rep_a and pairing.ended_on is None
    backups = list(pairing.backups.order_by("order"))
    assert [b.user for b in backups] == [leader, None, cadre]
    assert EmergencyContact.objects.filter(recipient=recipient).count() == 1
    assert [s.recipient for s in selectors.my_pairings(rep_user)] == [recipient]
    assert [s.overdue for s in selectors.my_pairings(rep_user)] == [True]
    assert selectors.settings_for(county.group_a).duty_cadre_id == cadre.pk
    # Again: nothing new.
    assert demo.seed_care() == 0
    assert CareRecipient.objects.count() == 1 and CarePairing.objects.count() == 1
    assert CareBackup.objects.count() == 3


def test_the_seed_does_nothing_without_the_demo_accounts(county):
    assert demo.seed_care() == 0
    assert not CareRecipient.objects.exists()
