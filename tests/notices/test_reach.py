"""The issue's test: a policy notice to a town; the reached-households count per village
rises as deliveries are recorded, equals a hand count, and the phone and in-person
deliveries show as contacts (role policy publicist) in the compliance table."""

from __future__ import annotations

import datetime as dt

import pytest

from linli.core.timeutil import today
from linli.duties import compliance
from linli.duties.models import ContactLog, FiveRole
from linli.notices import selectors, services
from linli.notices.models import Delivery
from linli.org.models import Household

pytestmark = pytest.mark.django_db


def per_village(town, notice) -> dict[str, tuple[int, int]]:
    reach = selectors.reach(town.cadre, notice, town.town)
    return {row.label: (row.reached, row.households) for row in reach.children}


def hand_count(notice, village) -> int:
    """Count by hand: households of the village's subtree with a delivery of the notice."""
    return sum(
        1
        for h in Household.objects.all()
        if h.unit.path.startswith(village.path)
        and Delivery.objects.filter(notice=notice, household=h).exists()
    )


def week_contacts(unit) -> dict[int, int]:
    day = today()
    monday = day - dt.timedelta(days=day.weekday())
    table = compliance.compute(None, monday, monday + dt.timedelta(days=6), unit=unit)
    return {pk: rc.duties["contacts"].fulfilled for pk, rc in table.items()}


def test_town_notice_reach_rises_per_village_equals_a_hand_count_and_counts_as_contacts(
    town, publish
):
    notice = publish()
    county = town.county
    # Both villages of the town, each with all its households and none reached.
    assert per_village(town, notice) == {"李畋村": (0, 7), "白沙村": (0, 5)}
    before_a = week_contacts(town.village_a)[town.rep_a.pk]
    before_c = week_contacts(town.village_c)[town.rep_c.pk]

    steps = [
        (town.user_a, county.households_a[0], "in_person"),
        (town.user_a, county.households_a[1], "phone"),
        (town.user_a, county.households_a[2], "online"),
        (town.user_c, town.households_c[0], "phone"),
        (town.user_c, town.households_c[1], "online"),
        (town.user_c, town.households_c[2], "in_person"),
    ]
    previous = {"李畋村": 0, "白沙村": 0}
    for user, household, method in steps:
        services.delivery_record(actor=user, notice=notice, household=household, method=method)
        counts = per_village(town, notice)
        for village in (town.village_a, town.village_c):
            reached = counts[village.name][0]
            assert reached == hand_count(notice, village)
            assert reached >= previous[village.name]
            previous[village.name] = reached
    assert per_village(town, notice) == {"李畋村": (3, 7), "白沙村": (3, 5)}
    total = selectors.reach(town.cadre, notice, town.town).total
    assert (total.reached, total.households, total.percent) == (6, 12, 50.0)

    # Phone and in person are the week's contacts, in the role of policy publicist; online not.
    contacts = ContactLog.objects.filter(role=FiveRole.PUBLICIST)
    assert contacts.count() == 4
    assert set(Delivery.objects.filter(contact__isnull=False).values_list("method", flat=True)) == {
        "phone",
        "in_person",
    }
    assert not Delivery.objects.filter(method="online", contact__isnull=False).exists()
    assert week_contacts(town.village_a)[town.rep_a.pk] == before_a + 2
    assert week_contacts(town.village_c)[town.rep_c.pk] == before_c + 2


def test_a_second_tap_on_the_same_household_records_nothing(town, publish):
    notice = publish()
    household = town.county.households_a[0]
    first = services.delivery_record(
        actor=town.user_a, notice=notice, household=household, method="phone"
    )
    again = services.delivery_record(
        actor=town.user_a, notice=notice, household=household, method="in_person"
    )
    assert first.created and not again.created
    assert again.delivery.pk == first.delivery.pk
    assert Delivery.objects.count() == 1
    assert ContactLog.objects.filter(role=FiveRole.PUBLICIST).count() == 1


def test_two_notices_delivered_on_one_visit_are_one_contact(town, publish):
    household = town.county.households_a[0]
    for title in ("疫苗接种通知", "防汛预警"):
        services.delivery_record(
            actor=town.user_a, notice=publish(title=title), household=household, method="in_person"
        )
    assert Delivery.objects.count() == 2
    assert ContactLog.objects.filter(role=FiveRole.PUBLICIST).count() == 1


def test_reach_per_representative_below_a_village(town, publish):
    notice = publish()
    services.delivery_record(
        actor=town.user_a, notice=notice, household=town.county.households_a[0], method="phone"
    )
    reach = selectors.reach(town.cadre, notice, town.village_a)
    assert [(r.label, r.reached, r.households) for r in reach.children] == [("一组", 1, 7)]
    assert [(r.representative_id, r.reached, r.households) for r in reach.representatives] == [
        (town.rep_a.pk, 1, 6)
    ]
    assert reach.by_method == {"phone": 1}


def test_the_reach_table_is_a_fixed_number_of_queries(town, publish, django_assert_max_num_queries):
    notice = publish()
    for h in town.households_c:
        services.delivery_record(actor=town.user_c, notice=notice, household=h, method="online")
    with django_assert_max_num_queries(6):
        selectors.reach(town.cadre, notice, town.town)
