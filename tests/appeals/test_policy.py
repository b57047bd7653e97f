"""The appeals policy: each rule's query form and object form agree, for every role,
against appeals at every level and in every kind of status; the reverse lookup
(`handlers_of`) names exactly the users the check says handle it."""

from __future__ import annotations

import pytest

from linli.appeals import policy, selectors
from linli.appeals.models import Appeal, Level, Status
from linli.appeals.workflow import Cap
from linli.org.models import Department

pytestmark = pytest.mark.django_db

ROLES = ["rep", "rep_b", "group_leader", "village", "town", "town_b", "city", "dept", "other_dept"]


def _place(appeal: Appeal, *, level: str, unit, status: str, assignee=None, rep="keep") -> Appeal:
    fields = {"level": level, "unit": unit, "status": status, "assignee": assignee}
    if rep != "keep":
        fields["representative"] = rep
    if status == Status.REFERRED:
        fields["department"] = Department.objects.get(name="住建局")
    Appeal.objects.filter(pk=appeal.pk).update(**fields)
    return Appeal.objects.select_related("unit", "department").get(pk=appeal.pk)


@pytest.fixture
def spread(actors, file_appeal):
    """Appeals at each level, assigned and not, open and finished, in both towns."""
    c = actors.county
    made = []
    for status in (Status.PENDING, Status.CLAIMED, Status.REFERRED, Status.CLOSED):
        assignee = actors.rep if status != Status.PENDING else None
        # neighbourhood level, routed to rep_a
        made.append(
            _place(
                file_appeal(), level=Level.GROUP, unit=c.group_a, status=status, assignee=assignee
            )
        )
        # neighbourhood level, nobody assigned yet (any representative of the group)
        made.append(
            _place(
                file_appeal(),
                level=Level.GROUP,
                unit=c.group_a,
                status=status,
                assignee=None,
                rep=None,
            )
        )
        # the other town's group
        made.append(
            _place(
                file_appeal(household=c.households_b[0]),
                level=Level.GROUP,
                unit=c.group_b,
                status=status,
                assignee=None,
            )
        )
        made.append(_place(file_appeal(), level=Level.VILLAGE, unit=c.village_a, status=status))
        made.append(_place(file_appeal(), level=Level.TOWN, unit=c.town_a, status=status))
        made.append(
            _place(
                file_appeal(household=c.households_b[0]),
                level=Level.TOWN,
                unit=c.town_b,
                status=status,
            )
        )
        made.append(_place(file_appeal(), level=Level.CITY, unit=c.city, status=status))
    return made


def test_visible_q_and_can_view_agree(actors, spread):
    for name in ROLES:
        user = actors.fresh(getattr(actors, name))
        by_query = set(selectors.appeals_visible_to(user).values_list("pk", flat=True))
        by_check = {a.pk for a in spread if policy.can_view(user, a)}
        assert by_query == by_check, name
    # not vacuous: some see a lot, some see little, and town B sees none of town A
    town_b = actors.fresh(actors.town_b)
    assert all(
        not policy.can_view(town_b, a)
        for a in spread
        if a.origin_path.startswith(actors.county.town_a.path)
    )


def test_handling_q_and_in_queue_agree(actors, spread):
    sizes = {}
    for name in ROLES:
        user = actors.fresh(getattr(actors, name))
        by_query = set(Appeal.objects.filter(policy.handling_q(user)).values_list("pk", flat=True))
        by_check = {a.pk for a in spread if policy.in_queue(user, a)}
        assert by_query == by_check, name
        sizes[name] = len(by_query)
    assert sizes["rep"] > 0 and sizes["village"] > 0 and sizes["dept"] > 0
    assert sizes["other_dept"] == 0


def test_queue_of_a_level_is_the_handler_capacity_at_that_level(actors, spread):
    for name in ROLES:
        user = actors.fresh(getattr(actors, name))
        for level in Level.values:
            by_query = set(
                Appeal.objects.filter(policy.handling_q(user, level)).values_list("pk", flat=True)
            )
            by_check = {
                a.pk
                for a in spread
                if a.level == level and a.is_open and Cap.HANDLER in policy.capacities(user, a)
            }
            assert by_query == by_check, (name, level)


def test_handlers_of_names_exactly_who_may_claim(actors, spread):
    users = [getattr(actors, n) for n in ROLES]
    checked = 0
    for appeal in spread:
        if appeal.status == Status.PENDING:
            expected = {
                u.pk for u in users if Cap.HANDLER in policy.capacities(actors.fresh(u), appeal)
            }
        elif appeal.status == Status.REFERRED:
            expected = {
                u.pk for u in users if Cap.DEPARTMENT in policy.capacities(actors.fresh(u), appeal)
            }
        else:
            continue
        assert {u.pk for u in policy.handlers_of(appeal)} == expected, appeal.level
        checked += 1
    assert checked >= 14


def test_area_leader_above_the_group_handles_and_is_told(actors, file_appeal, superuser):
    """An area leader's role is held at the area above the group: routing keeps the
    appeal at the group, the check and the reverse lookup both climb the tree."""
    from linli.accounts.models import Role
    from linli.org import services as org
    from tests.conftest import make_user

    c = actors.county
    area = org.unit_create(actor=superuser, parent=c.village_a, kind="area", name="一片")
    group = org.unit_create(actor=superuser, parent=area, kind="group", name="三组")
    leader = make_user("13700000020", "片长", Role.AREA_LEADER, area)
    appeal = file_appeal(household=None, unit=group, reporter_phone="13912340000")
    assert (appeal.level, appeal.unit_id) == (Level.GROUP, group.pk)
    assert Cap.HANDLER in policy.capacities(actors.fresh(leader), appeal)
    assert leader in policy.handlers_of(appeal)
    assert appeal in selectors.queue_for(actors.fresh(leader))


def test_a_group_nobody_handles_sends_the_appeal_to_the_village(actors, file_appeal, superuser):
    from linli.org import services as org

    c = actors.county
    group = org.unit_create(actor=superuser, parent=c.village_a, kind="group", name="四组")
    appeal = file_appeal(household=None, unit=group, reporter_phone="13912340001")
    assert (appeal.level, appeal.unit_id) == (Level.VILLAGE, c.village_a.pk)
    assert policy.handlers_of(appeal) == [actors.village]
