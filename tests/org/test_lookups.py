"""The named org lookups views and other apps use instead of rebuilding them: unit paths
by level, household links in force now or on a day (a filter and an object check that
agree), who serves a page of households now, who sees a representative."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser

from linli.accounts.models import Role, RoleAssignment, User
from linli.org import selectors, services
from linli.org.models import (
    STEPLEN,
    TOWN_DEPTH,
    VILLAGE_DEPTH,
    HouseholdLink,
    Representative,
    Unit,
    ancestor_paths_of,
    path_at,
)
from tests.conftest import ROLE_UNITS, make_user, valid_id_number

pytestmark = pytest.mark.django_db
D = dt.date


def test_paths_by_level(county):
    c = county
    assert STEPLEN * VILLAGE_DEPTH == len(c.village_a.path)
    assert c.group_a.village_path() == c.village_a.path
    assert c.group_a.town_path() == c.town_a.path == c.village_a.town_path()
    # Above the level asked for: the unit's own path.
    assert c.city.town_path() == c.city.path and c.town_b.village_path() == c.town_b.path
    assert path_at(c.group_a.path, TOWN_DEPTH) == c.town_a.path
    assert ancestor_paths_of(c.group_a.path) == c.group_a.ancestor_paths()
    assert ancestor_paths_of(c.group_a.path) == [
        c.city.path,
        c.town_a.path,
        c.village_a.path,
        c.group_a.path,
    ]


@pytest.fixture
def history(county, superuser):
    """households_a[0] moves from rep_a to a new representative on 2025-06-15."""
    member = services.member_create(
        actor=superuser,
        household=county.households_a[6],
        name="李接任",
        relation="other",
        id_number=valid_id_number(7),
    )
    other = services.representative_appoint(
        actor=superuser, member=member, unit=county.group_a, term_start=D(2025, 1, 1)
    )
    services.link_assign(
        actor=superuser,
        household=county.households_a[0],
        representative=other,
        on_date=D(2025, 6, 15),
        reason="调整",
    )
    return other


def test_link_filters_and_object_checks_agree(county, history):
    links = list(HouseholdLink.objects.all())
    now = set(selectors.current_links().values_list("pk", flat=True))
    assert now == {link.pk for link in links if link.is_current}
    assert HouseholdLink.objects.filter(selectors.current_link_q()).count() == len(now)
    for day in (D(2024, 12, 31), D(2025, 1, 1), D(2025, 6, 14), D(2025, 6, 15), D(2026, 1, 1)):
        on = set(
            HouseholdLink.objects.filter(selectors.link_on_q(day)).values_list("pk", flat=True)
        )
        assert on == {link.pk for link in links if link.in_force_on(day)}, day
        # Through a relation, as the duty selectors use it.
        h = county.households_a[0]
        served = Representative.objects.filter(
            selectors.link_on_q(day, "links__"), links__household=h
        )
        expected = selectors.representative_on(h, day)
        assert list(served) == ([expected] if expected else []), day
    assert selectors.representative_on(county.households_a[0], D(2025, 6, 14)) == county.rep_a
    assert selectors.representative_on(county.households_a[0], D(2025, 6, 15)) == history


def test_current_representatives_of_a_page_of_households(county, history):
    hs = county.households_a
    got = selectors.current_representatives(hs)
    assert got[hs[0].pk] == history
    assert all(got[h.pk] == county.rep_a for h in hs[1:6])
    assert hs[6].pk not in got  # nobody serves it
    assert selectors.current_representatives([h.pk for h in hs[:2]]).keys() == {
        hs[0].pk,
        hs[1].pk,
    }


def _roles(county):
    users = {"anonymous": AnonymousUser()}
    for n, (role, (unit_a, _unit_b)) in enumerate(ROLE_UNITS.items()):
        users[role] = make_user(f"1370000050{n}", str(role), role, getattr(county, unit_a))
    users[Role.CITY] = make_user("13700000520", "city", Role.CITY, county.city)
    rep_user = make_user("13700000521", "rep", Role.REPRESENTATIVE, county.group_a)
    county.rep_a.user = rep_user
    county.rep_a.save(update_fields=["user"])
    users[Role.REPRESENTATIVE] = rep_user
    # A superuser who is also a representative sees everything, not only their own.
    su_rep = User.objects.create_superuser(phone="13700000522", password="pw-x-123", name="su")
    RoleAssignment.objects.create(user=su_rep, role=Role.REPRESENTATIVE, unit=county.group_b)
    county.rep_b.user = su_rep
    county.rep_b.save(update_fields=["user"])
    users["superuser-representative"] = su_rep
    return users


def test_who_sees_a_representative_filter_and_check_agree(county):
    reps = Representative.objects.select_related("unit")
    for name, user in _roles(county).items():
        if isinstance(user, User):
            user = User.objects.get(pk=user.pk)
        seen = set(reps.filter(selectors.representatives_q(user)).values_list("pk", flat=True))
        for rep in reps:
            assert selectors.can_see_representative(user, rep) == (rep.pk in seen), (name, rep)
        assert seen == set(selectors.representatives_visible_to(user).values_list("pk", flat=True))
        if name == "superuser-representative":
            assert seen == set(reps.values_list("pk", flat=True))
        if name in (Role.DEPARTMENT, "anonymous"):
            assert not seen


def test_parent_visible(county):
    c = county
    village = make_user("13700000530", "v", Role.VILLAGE, c.village_a)
    assert selectors.parent_visible(village, c.group_a)
    assert not selectors.parent_visible(village, c.village_a)  # its top: no "up"
    town = make_user("13700000531", "t", Role.TOWN, c.town_a)
    assert selectors.parent_visible(town, c.village_a)
    assert not selectors.parent_visible(town, Unit.objects.get(pk=c.town_a.pk))
