import datetime as dt

import pytest

from linli.accounts.models import AuditLog, Role
from linli.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from linli.org import selectors, services
from linli.org.models import HouseholdLink, UnitKind
from linli.org.services import LinkOutOfRange
from tests.support.factories import valid_id_number
from tests.support.roles import make_user

D = dt.date


def test_unit_paths_nest_and_subtree_is_a_prefix(county):
    assert county.village_a.path.startswith(county.town_a.path)
    assert not county.village_b.path.startswith(county.town_a.path)
    assert county.group_a.depth == 4


def test_unit_kind_order_is_enforced(county, superuser):
    with pytest.raises(InvalidInput) as exc:
        services.unit_create(
            actor=superuser, parent=county.village_a, kind=UnitKind.TOWN, name="错镇"
        )
    assert exc.value.code == "unit_kind_order"


def test_town_cadre_cannot_create_units_in_another_town(county):
    cadre = make_user("13600000001", "镇干部", Role.TOWN, county.town_a)
    with pytest.raises(Forbidden):
        services.unit_create(actor=cadre, parent=county.town_b, kind=UnitKind.VILLAGE, name="外村")
    village = services.unit_create(
        actor=cadre, parent=county.town_a, kind=UnitKind.VILLAGE, name="新村"
    )
    assert village.parent == county.town_a


def test_adding_a_household_to_a_representative_below_five_needs_no_reason(county, superuser):
    # rep_a serves 6; the seventh household joins: 7, inside the range.
    link = services.link_assign(
        actor=superuser,
        household=county.households_a[6],
        representative=county.rep_a,
        on_date=D(2025, 3, 1),
    )
    assert not link.out_of_range


def test_moving_below_five_without_reason_is_refused_and_changes_nothing(county, superuser):
    # Given rep_a at 6 households, ending one is fine (5), a second would leave 4.
    services.link_end(
        actor=superuser, household=county.households_a[5], on_date=D(2025, 2, 1), reason="搬迁"
    )
    new_rep = services.representative_appoint(
        actor=superuser,
        member=services.member_create(
            actor=superuser, household=county.households_a[6], name="李新", relation="head"
        ),
        unit=county.group_a,
        term_start=D(2025, 1, 1),
    )
    before = HouseholdLink.objects.count()
    with pytest.raises(LinkOutOfRange) as exc:
        services.link_assign(
            actor=superuser,
            household=county.households_a[4],
            representative=new_rep,
            on_date=D(2025, 3, 1),
        )
    assert "5-15" in exc.value.message
    assert HouseholdLink.objects.count() == before
    assert selectors.representative_on(county.households_a[4], D(2025, 3, 2)) == county.rep_a


def test_moving_outside_range_with_reason_is_flagged_and_audited(county, superuser):
    services.link_end(
        actor=superuser, household=county.households_a[5], on_date=D(2025, 2, 1), reason="搬迁"
    )
    other = services.representative_appoint(
        actor=superuser,
        member=services.member_create(
            actor=superuser, household=county.households_a[6], name="李新", relation="head"
        ),
        unit=county.group_a,
        term_start=D(2025, 1, 1),
    )
    link = services.link_assign(
        actor=superuser,
        household=county.households_a[4],
        representative=other,
        on_date=D(2025, 3, 1),
        reason="原代表年老，临时调整",
    )
    assert link.out_of_range
    entry = AuditLog.objects.filter(action="link.move").latest("id")
    assert entry.detail["out_of_range"] is True and entry.detail["reason"]


def test_more_than_fifteen_needs_a_reason(county, superuser):
    extra = [
        services.household_create(
            actor=superuser, unit=county.group_a, head_name=f"新{n}", address=f"新址{n}"
        )
        for n in range(10)
    ]
    for h in extra[:9]:
        services.link_assign(
            actor=superuser, household=h, representative=county.rep_a, on_date=D(2025, 1, 1)
        )
    assert services.active_count(county.rep_a) == 15
    with pytest.raises(LinkOutOfRange):
        services.link_assign(actor=superuser, household=extra[9], representative=county.rep_a)


def test_link_history_answers_who_served_on_a_past_date(county, superuser):
    h = county.households_a[0]
    other = services.representative_appoint(
        actor=superuser,
        member=services.member_create(
            actor=superuser, household=county.households_a[6], name="李新", relation="head"
        ),
        unit=county.group_a,
        term_start=D(2025, 1, 1),
    )
    services.link_assign(
        actor=superuser, household=h, representative=other, on_date=D(2025, 6, 15), reason="调整"
    )
    assert selectors.representative_on(h, D(2024, 12, 31)) is None
    assert selectors.representative_on(h, D(2025, 6, 14)) == county.rep_a
    assert selectors.representative_on(h, D(2025, 6, 15)) == other
    assert HouseholdLink.objects.filter(household=h).count() == 2


def test_a_move_dated_before_the_current_link_is_refused(county, superuser):
    with pytest.raises(InvalidInput) as exc:
        services.link_assign(
            actor=superuser,
            household=county.households_a[0],
            representative=county.rep_b,
            on_date=D(2024, 1, 1),
            reason="x",
        )
    assert exc.value.code in {"link_dates", "rep_not_serving", "link_other_village"}


def test_representative_may_not_serve_another_village(county, superuser):
    with pytest.raises(InvalidInput) as exc:
        services.link_assign(
            actor=superuser,
            household=county.households_a[6],
            representative=county.rep_b,
            on_date=D(2025, 3, 1),
        )
    assert exc.value.code == "link_other_village"


def test_linking_twice_to_the_same_representative_is_a_conflict(county, superuser):
    with pytest.raises(Conflict):
        services.link_assign(
            actor=superuser, household=county.households_a[0], representative=county.rep_a
        )


def test_member_with_bad_id_number_is_refused(county, superuser):
    with pytest.raises(InvalidInput):
        services.member_create(
            actor=superuser,
            household=county.households_a[1],
            name="错号",
            id_number="430181198001010010",
        )


def test_member_birth_date_and_sex_come_from_id_number(county, superuser):
    m = services.member_create(
        actor=superuser,
        household=county.households_a[1],
        name="李某",
        id_number=valid_id_number(7, birth="19560315"),
    )
    assert m.birth_date == D(1956, 3, 15)
    assert m.sex == "M"  # the 17th digit (7) is odd


def test_duplicate_id_number_is_a_conflict(county, superuser):
    with pytest.raises(Conflict):
        services.member_create(
            actor=superuser,
            household=county.households_a[1],
            name="重复",
            id_number=valid_id_number(1),
        )


def test_reveal_is_audited(county, superuser):
    cadre = make_user("13600000002", "村干部", Role.VILLAGE, county.village_a)
    data = services.member_reveal(actor=cadre, member=county.member_a)
    assert data["phone"] == "13800138001"
    entry = AuditLog.objects.get(action="member.reveal")
    assert entry.actor == cadre and entry.target_id == str(county.member_a.pk)


def test_department_handler_may_not_reveal(county):
    handler = make_user("13600000003", "部门", Role.DEPARTMENT, county.town_a)
    with pytest.raises(Forbidden):
        services.member_reveal(actor=handler, member=county.member_a)


def test_end_term_uncovers_households(county, superuser):
    services.representative_end_term(
        actor=superuser, representative=county.rep_a, term_end=D(2025, 9, 1), reason="换届"
    )
    cov = selectors.coverage_for(superuser, county.village_a)
    assert cov.total.uncovered_households == 7


def test_an_account_already_serving_cannot_be_appointed_again(county, superuser):
    account = make_user("13600000021", "代表账号")
    county.rep_a.user = account
    county.rep_a.save(update_fields=["user"])
    member = services.member_create(
        actor=superuser, household=county.households_a[2], name="李二", relation="head"
    )
    with pytest.raises(Conflict) as exc:
        services.representative_appoint(
            actor=superuser, member=member, unit=county.group_a, user=account
        )
    assert exc.value.code == "rep_user_taken"


def test_cadre_cannot_appoint_an_account_holding_roles_in_another_town(county):
    cadre = make_user("13600000022", "镇干部", Role.TOWN, county.town_a)
    foreign = make_user("13600000023", "永和镇干部", Role.VILLAGE, county.village_b)
    member = services.member_create(
        actor=make_user("13600000024", "村干部", Role.VILLAGE, county.village_a),
        household=county.households_a[2],
        name="李二",
        relation="head",
    )
    with pytest.raises(NotFound) as exc:
        services.representative_appoint(
            actor=cadre, member=member, unit=county.group_a, user=foreign
        )
    assert exc.value.code == "not_found"


def test_household_page_shows_age_not_birth_date(county):
    assert county.member_a.age is not None and county.member_a.age >= 40
