"""Moving a unit rewrites the paths of its whole subtree, so scope follows the new tree."""

from __future__ import annotations

import datetime as dt

import pytest

from linli.accounts.models import AuditLog, Role
from linli.core.errors import Conflict, Forbidden, InvalidInput
from linli.org import selectors, services
from linli.org.models import Unit, UnitKind
from tests.conftest import make_user


def test_moving_a_village_rewrites_the_subtree_and_scope_follows(county, superuser):
    town_a_user = make_user("13711110001", "大瑶镇干部", Role.TOWN, county.town_a)
    town_b_user = make_user("13711110002", "永和镇干部", Role.TOWN, county.town_b)
    before = set(
        Unit.objects.filter(path__startswith=county.town_b.path).values_list("pk", flat=True)
    )
    assert county.village_a.pk not in before

    moved = services.unit_move(actor=superuser, unit=county.village_a, parent=county.town_b)

    assert moved.parent_id == county.town_b.pk
    village, group = (Unit.objects.get(pk=u.pk) for u in (county.village_a, county.group_a))
    for u in (village, group):
        assert u.path.startswith(county.town_b.path)
    assert (village.depth, group.depth) == (3, 4)
    assert group.path.startswith(village.path)
    # Paths stay unique and the old town keeps nothing of the village.
    assert not Unit.objects.filter(path__startswith=county.village_a.path).exists()
    assert Unit.objects.filter(pk__in=[village.pk, group.pk]).count() == 2
    # Scope is read from the paths: the new town sees the households, the old one does not.
    fresh = type(town_a_user).objects.get
    hh = county.households_a[0].pk
    assert selectors.households_visible_to(fresh(pk=town_b_user.pk)).filter(pk=hh).exists()
    assert not selectors.households_visible_to(fresh(pk=town_a_user.pk)).filter(pk=hh).exists()
    entry = AuditLog.objects.get(action="unit.move")
    assert entry.target_id == str(village.pk)
    assert entry.detail["from_parent"] == county.town_a.pk
    assert entry.detail["to_parent"] == county.town_b.pk
    assert entry.detail["units"] == 2


def test_moving_to_the_same_parent_changes_nothing(county, superuser):
    services.unit_move(actor=superuser, unit=county.village_a, parent=county.town_a)
    assert Unit.objects.get(pk=county.village_a.pk).path == county.village_a.path
    assert not AuditLog.objects.filter(action="unit.move").exists()


@pytest.mark.parametrize(
    ("unit", "parent", "error", "code"),
    [
        ("town_a", "group_a", InvalidInput, "unit_move_cycle"),
        ("town_a", "town_a", InvalidInput, "unit_move_cycle"),
        ("group_a", "town_b", None, None),  # a group straight under a town is allowed
        ("village_b", "village_a", InvalidInput, "unit_kind_order"),
    ],
)
def test_the_tree_stays_a_tree(county, superuser, unit, parent, error, code):
    unit, parent = getattr(county, unit), getattr(county, parent)
    paths = dict(Unit.objects.values_list("pk", "path"))
    if error is None:
        # group_a moves with rep_a and all of rep_a's households; only village A's
        # guard team would lose its representative, so it is emptied first.
        county.team_a.representatives.clear()
        services.unit_move(actor=superuser, unit=unit, parent=parent)
        assert Unit.objects.get(pk=unit.pk).depth == parent.depth + 1
        return
    with pytest.raises(error) as exc:
        services.unit_move(actor=superuser, unit=unit, parent=parent)
    assert exc.value.code == code
    assert dict(Unit.objects.values_list("pk", "path")) == paths


def test_a_name_taken_under_the_new_parent_is_refused(county, superuser):
    services.unit_create(
        actor=superuser, parent=county.town_b, kind=UnitKind.VILLAGE, name=county.village_a.name
    )
    with pytest.raises(Conflict) as exc:
        services.unit_move(actor=superuser, unit=county.village_a, parent=county.town_b)
    assert exc.value.code == "unit_exists"


def test_the_actor_needs_a_write_role_over_both_places(county):
    town_a_admin = make_user("13711110003", "大瑶镇管理员", Role.ADMIN, county.town_a)
    with pytest.raises(Forbidden):
        services.unit_move(actor=town_a_admin, unit=county.village_a, parent=county.town_b)
    city_admin = make_user("13711110004", "市管理员", Role.ADMIN, county.city)
    services.unit_move(actor=city_admin, unit=county.village_a, parent=county.town_b)
    assert Unit.objects.get(pk=county.village_a.pk).parent_id == county.town_b.pk


def test_a_move_that_would_split_a_link_across_villages_is_refused(county, superuser):
    # A second group of village A whose household rep_a (of group 1) serves.
    group2 = services.unit_create(
        actor=superuser, parent=county.village_a, kind=UnitKind.GROUP, name="二组"
    )
    hh = services.household_create(
        actor=superuser, unit=group2, head_name="李二", address="二组1号"
    )
    services.link_assign(
        actor=superuser, household=hh, representative=county.rep_a, on_date=dt.date(2025, 2, 1)
    )
    with pytest.raises(Conflict) as exc:
        services.unit_move(actor=superuser, unit=group2, parent=county.village_b)
    assert exc.value.code == "unit_move_ties"
    assert exc.value.details == {"ties": ["links"]}
    # Within the same village the link stays valid, so the move is allowed.
    area = services.unit_create(
        actor=superuser, parent=county.village_a, kind=UnitKind.AREA, name="一片"
    )
    services.unit_move(actor=superuser, unit=group2, parent=area)


def test_a_move_that_would_take_a_team_representative_out_of_the_team_is_refused(county, superuser):
    # team_a sits at village A and includes rep_a of group A.
    with pytest.raises(Conflict) as exc:
        services.unit_move(actor=superuser, unit=county.group_a, parent=county.village_b)
    assert exc.value.details == {"ties": ["teams"]}


def test_a_move_that_would_leave_a_place_with_a_representative_of_another_village_is_refused(
    county, superuser
):
    services.place_assign(actor=superuser, place=county.place_a, representative=county.rep_a)
    county.team_a.representatives.clear()
    with pytest.raises(Conflict) as exc:
        services.unit_move(actor=superuser, unit=county.group_a, parent=county.village_b)
    assert exc.value.code == "unit_move_ties"
    assert exc.value.details == {"ties": ["places"]}
