"""Role grants and revocations go through the services and are always audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from linli.accounts import services
from linli.accounts.models import AuditAction, AuditLog, Role, RoleAssignment
from linli.appeals.policy import departments_of
from linli.core.errors import Forbidden, InvalidInput
from linli.org import services as org_services
from linli.org.models import Department
from tests.conftest import make_user, valid_id_number


@pytest.fixture
def town_a_admin(county):
    return make_user("13722220001", "大瑶镇管理员", Role.ADMIN, county.town_a)


def test_an_administrator_grants_a_role_in_their_units_and_it_is_audited(county, town_a_admin):
    user = make_user("13722220002", "新组长")
    ra = services.role_assign(
        actor=town_a_admin, user=user, role=Role.GROUP_LEADER, unit=county.group_a
    )
    entry = AuditLog.objects.get(action="role.assign")
    assert entry.actor == town_a_admin and entry.target_id == str(user.pk)
    assert entry.detail == {
        "user": user.pk,
        "role": "group_leader",
        "unit": county.group_a.pk,
        "department": None,
    }
    # Granting it again changes nothing and writes nothing.
    again = services.role_assign(
        actor=town_a_admin, user=user, role=Role.GROUP_LEADER, unit=county.group_a
    )
    assert again.pk == ra.pk
    assert AuditLog.objects.filter(action="role.assign").count() == 1


def test_no_grant_or_revocation_outside_the_administrators_units(county, town_a_admin):
    user = make_user("13722220003", "永和镇组长")
    with pytest.raises(Forbidden):
        services.role_assign(
            actor=town_a_admin, user=user, role=Role.GROUP_LEADER, unit=county.group_b
        )
    ra = RoleAssignment.objects.create(user=user, role=Role.GROUP_LEADER, unit=county.group_b)
    with pytest.raises(Forbidden):
        services.role_revoke(actor=town_a_admin, assignment=ra)
    assert RoleAssignment.objects.filter(pk=ra.pk).exists()
    assert not AuditLog.objects.filter(action__startswith="role.").exists()


def test_a_revocation_is_audited(county, town_a_admin):
    user = make_user("13722220004", "村干部", Role.VILLAGE, county.village_a)
    ra = RoleAssignment.objects.get(user=user)
    services.role_revoke(actor=town_a_admin, assignment=ra)
    assert not RoleAssignment.objects.filter(user=user).exists()
    entry = AuditLog.objects.get(action="role.revoke")
    assert entry.target_type == "accounts.user" and entry.target_id == str(user.pk)
    assert entry.detail["role"] == "village" and entry.detail["unit"] == county.village_a.pk


def test_only_a_department_handler_names_a_department(county, superuser, reference_data):
    user = make_user("13722220005", "住建局办事员")
    housing = Department.objects.get(name="住建局")
    with pytest.raises(InvalidInput) as exc:
        services.role_assign(actor=superuser, user=user, role=Role.DEPARTMENT, unit=county.city)
    assert exc.value.code == "role_department"
    with pytest.raises(InvalidInput):
        services.role_assign(
            actor=superuser, user=user, role=Role.TOWN, unit=county.town_a, department=housing
        )
    retired = Department.objects.create(name="已撤销局", active=False)
    with pytest.raises(InvalidInput):
        services.role_assign(
            actor=superuser, user=user, role=Role.DEPARTMENT, unit=county.city, department=retired
        )
    services.role_assign(
        actor=superuser, user=user, role=Role.DEPARTMENT, unit=county.city, department=housing
    )
    assert AuditLog.objects.get(action="role.assign").detail["department"] == housing.pk
    # The database holds the same rule.
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(
            user=user, role=Role.TOWN, unit=county.town_a, department=housing
        )


def test_a_renamed_department_keeps_its_handlers(county, superuser, reference_data):
    user = make_user("13722220006", "水务局办事员")
    water = Department.objects.get(name="水务局")
    services.role_assign(
        actor=superuser, user=user, role=Role.DEPARTMENT, unit=county.city, department=water
    )
    water.name = "水利局"
    water.save()
    assert departments_of(type(user).objects.get(pk=user.pk)) == [water.pk]


def test_appointing_a_representative_with_an_account_audits_the_role_grant(county, superuser):
    account = make_user("13722220007", "李小明")
    member = org_services.member_create(
        actor=superuser,
        household=county.households_a[2],
        name="李小明",
        id_number=valid_id_number(7),
    )
    rep = org_services.representative_appoint(
        actor=superuser,
        member=member,
        unit=county.group_a,
        term_start=dt.date(2025, 3, 1),
        user=account,
    )
    entry = AuditLog.objects.get(action="role.assign", target_id=str(account.pk))
    assert entry.detail["role"] == "representative" and entry.detail["unit"] == rep.unit_id


def test_user_create_audits_the_account_and_its_role(county, town_a_admin):
    user = services.user_create(
        actor=town_a_admin,
        phone="13722220008",
        name="新干部",
        password="pw-new-12345",
        role=Role.VILLAGE,
        unit=county.village_a,
    )
    actions = list(
        AuditLog.objects.filter(target_type="accounts.user", target_id=str(user.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["user.create", "role.assign"]


def test_the_audit_log_takes_only_declared_actions(superuser):
    with pytest.raises(TypeError):
        services.audit_record(actor=superuser, action="unit.create")
    services.audit_record(actor=superuser, action=AuditAction.UNIT_CREATE)
    assert AuditLog.objects.filter(action="unit.create").count() == 1


def test_every_action_built_from_a_name_is_declared():
    """Exports, imports, corrections and appeal actions build their audit action from a
    name; each such name must have its AuditAction, or the write would fail."""
    from linli.appeals.workflow import Action
    from linli.duties.models import AnnualReport, ContactLog, Deliberation, HomeVisit
    from linli.org.exports import EXPORT_KINDS
    from linli.org.imports import _HANDLERS

    names = [f"export.{k}" for k in EXPORT_KINDS]
    names += [f"import.{k}" for k in _HANDLERS]
    names += [
        f"duties.{m.__name__.lower()}.correct"
        for m in (ContactLog, HomeVisit, Deliberation, AnnualReport)
    ]
    names += [f"appeal.{a}" for a in (Action.SUSPEND, Action.RESUME, Action.REOPEN, Action.MERGE)]
    names += ["demo_data.small", "demo_data.county"]
    for name in names:
        assert AuditAction(name).value == name
