"""The admin writes the organisation through the services: same checks, same audit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib import admin
from django.urls import reverse

from linli.accounts.models import AuditLog, Role, RoleAssignment
from linli.core.admin import ReadOnlyAdminMixin, ServiceAdminMixin
from linli.org.models import (
    Department,
    GuardTeam,
    GuardTeamMember,
    Household,
    HouseholdLink,
    Member,
    Place,
    Representative,
    Unit,
)
from tests.conftest import valid_id_number

WRITE_PATH_MODELS = [
    Unit,
    Household,
    Member,
    Place,
    Representative,
    HouseholdLink,
    GuardTeam,
    GuardTeamMember,
    RoleAssignment,
    Department,
]


@pytest.mark.parametrize("model", WRITE_PATH_MODELS, ids=lambda m: m.__name__)
def test_every_admin_of_the_organisation_writes_through_services_or_not_at_all(model):
    """A new admin (or inline) for these models that saves forms directly fails here."""
    model_admin = admin.site._registry.get(model)
    if model_admin is not None:
        assert isinstance(model_admin, ServiceAdminMixin | ReadOnlyAdminMixin), model
    for registered in admin.site._registry.values():
        for inline in registered.inlines:
            if inline.model is model:
                # An inline saves through its parent's save_formset, which must be a service call.
                assert isinstance(registered, ServiceAdminMixin), (type(registered), model)
                assert "save_formset" in type(registered).__dict__, type(registered)


def unit_form(unit, **changes):
    data = {"parent": unit.parent_id or "", "name": unit.name, "code": unit.code}
    data.update(changes)
    return data


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def test_moving_a_village_in_the_admin_rewrites_the_subtree(county, admin_client):
    url = reverse("admin:org_unit_change", args=[county.village_a.pk])
    r = admin_client.post(url, unit_form(county.village_a, parent=county.town_b.pk))
    assert r.status_code == 302, r.content.decode()[:2000]
    group = Unit.objects.get(pk=county.group_a.pk)
    assert group.path.startswith(county.town_b.path)
    assert AuditLog.objects.filter(action="unit.move", target_id=str(county.village_a.pk)).exists()


def test_renaming_in_the_admin_is_audited(county, admin_client):
    url = reverse("admin:org_unit_change", args=[county.village_a.pk])
    r = admin_client.post(url, unit_form(county.village_a, name="新李畋村"))
    assert r.status_code == 302
    assert Unit.objects.get(pk=county.village_a.pk).name == "新李畋村"
    assert AuditLog.objects.filter(action="unit.update").exists()
    assert not AuditLog.objects.filter(action="unit.move").exists()


def test_a_refused_move_shows_the_service_error_and_changes_nothing(county, admin_client):
    paths = dict(Unit.objects.values_list("pk", "path"))
    url = reverse("admin:org_unit_change", args=[county.town_a.pk])
    r = admin_client.post(url, unit_form(county.town_a, parent=county.group_a.pk, name="改名"))
    assert r.status_code == 200
    assert r.context["adminform"].form.non_field_errors()
    assert dict(Unit.objects.values_list("pk", "path")) == paths
    # The rename in the same save was rolled back with the refused move.
    assert Unit.objects.get(pk=county.town_a.pk).name == county.town_a.name
    assert not AuditLog.objects.filter(action__in=["unit.update", "unit.move"]).exists()


def test_adding_a_unit_in_the_admin_computes_its_path(county, admin_client):
    r = admin_client.post(
        reverse("admin:org_unit_add"),
        {"parent": county.village_a.pk, "kind": "group", "name": "三组", "code": ""},
    )
    assert r.status_code == 302
    unit = Unit.objects.get(name="三组")
    assert unit.path.startswith(county.village_a.path) and unit.depth == 4
    assert AuditLog.objects.filter(action="unit.create", target_id=str(unit.pk)).exists()


def test_units_cannot_be_deleted_in_the_admin(county, admin_client):
    r = admin_client.post(
        reverse("admin:org_unit_delete", args=[county.group_a.pk]), {"post": "yes"}
    )
    assert r.status_code == 403


def test_households_and_members_are_created_through_the_services(county, admin_client):
    data = {
        "unit": county.group_a.pk,
        "head_name": "王建国",
        "address": "一组8号",
        "tags": '["elderly_alone"]',
        "latitude": "",
        "longitude": "",
        "members-TOTAL_FORMS": "1",
        "members-INITIAL_FORMS": "0",
        "members-0-name": "王小明",
        "members-0-relation": "child",
        "members-0-sex": "M",
        "members-0-birth_date": "",
    }
    r = admin_client.post(reverse("admin:org_household_add"), data)
    assert r.status_code == 302, r.content.decode()[:2000]
    household = Household.objects.get(head_name="王建国")
    assert household.search_key.startswith("wjg")
    assert household.members.get().name == "王小明"
    assert AuditLog.objects.filter(action="household.create", target_id=str(household.pk))
    assert AuditLog.objects.filter(action="member.create").count() == 3  # 2 in the county

    change = {k: v for k, v in data.items() if not k.startswith("members-")}
    change.update(
        {
            "address": "一组9号",
            "members-TOTAL_FORMS": "1",
            "members-INITIAL_FORMS": "1",
            "members-0-id": household.members.get().pk,
            "members-0-household": household.pk,
        }
    )
    del change["unit"]
    r = admin_client.post(reverse("admin:org_household_change", args=[household.pk]), change)
    assert r.status_code == 302, r.content.decode()[:2000]
    assert Household.objects.get(pk=household.pk).address == "一组9号"
    entry = AuditLog.objects.get(action="household.update")
    assert entry.detail == {"fields": ["address"]}


def test_members_are_read_only_once_created(county, admin_client):
    url = reverse("admin:org_member_change", args=[county.member_a.pk])
    assert admin_client.get(url).status_code == 200  # shown
    r = admin_client.post(url, {"name": "改名"})
    assert r.status_code == 403
    assert Member.objects.get(pk=county.member_a.pk).name == county.member_a.name


def test_representatives_are_appointed_and_ended_through_the_services(county, admin_client):
    member = Member.objects.create(
        household=county.households_a[3], name="李三", id_number=valid_id_number(9)
    )
    r = admin_client.post(
        reverse("admin:org_representative_add"),
        {"member": member.pk, "unit": county.group_a.pk, "user": "", "term_start": "2025-04-01"},
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    rep = Representative.objects.get(member=member)
    assert rep.name == "李三"
    assert AuditLog.objects.filter(action="representative.appoint", target_id=str(rep.pk))

    url = reverse("admin:org_representative_change", args=[county.rep_a.pk])
    # Ending a term needs a reason, as in the API.
    r = admin_client.post(url, {"term_end": "2025-06-30", "end_reason": ""})
    assert r.status_code == 200
    assert Representative.objects.get(pk=county.rep_a.pk).term_end is None
    r = admin_client.post(url, {"term_end": "2025-06-30", "end_reason": "迁出本村"})
    assert r.status_code == 302
    assert Representative.objects.get(pk=county.rep_a.pk).term_end == dt.date(2025, 6, 30)
    # Its households' links end with the term, as the service does.
    assert not HouseholdLink.objects.filter(
        representative=county.rep_a, valid_to__isnull=True
    ).exists()
    assert AuditLog.objects.filter(action="representative.end_term").exists()


def test_place_representative_is_assigned_through_the_service(county, admin_client):
    url = reverse("admin:org_place_change", args=[county.place_a.pk])
    r = admin_client.post(url, {"representative": county.rep_b.pk})
    assert r.status_code == 200  # rep_b serves another village: refused, shown on the form
    assert Place.objects.get(pk=county.place_a.pk).representative_id is None
    r = admin_client.post(url, {"representative": county.rep_a.pk})
    assert r.status_code == 302
    assert Place.objects.get(pk=county.place_a.pk).representative_id == county.rep_a.pk
    assert AuditLog.objects.filter(action="place.assign").exists()


def test_guard_team_members_are_added_through_the_service(county, admin_client):
    team = county.team_a
    existing = list(team.members.all())
    # Two inlines: the existing members, mobiles masked ("members"), and new rows only
    # ("members-2"), so that no existing mobile is ever rendered in clear.
    data = {
        "members-TOTAL_FORMS": str(len(existing)),
        "members-INITIAL_FORMS": str(len(existing)),
        "members-2-TOTAL_FORMS": "1",
        "members-2-INITIAL_FORMS": "0",
        "members-2-0-kind": "volunteer",
        "members-2-0-name": "赵志愿",
        "members-2-0-phone": "138 0013 8099",
    }
    for i, m in enumerate(existing):
        data[f"members-{i}-id"] = m.pk
        data[f"members-{i}-team"] = team.pk
    r = admin_client.post(reverse("admin:org_guardteam_change", args=[team.pk]), data)
    assert r.status_code == 302, r.content.decode()[:2000]
    added = GuardTeam.objects.get(pk=team.pk).members.get(name="赵志愿")
    assert added.phone == "13800138099"  # normalised by the service
    assert AuditLog.objects.filter(action="team.member_add", target_id=str(added.pk)).exists()


def test_departments_are_added_renamed_and_retired_through_audited_services(
    admin_client, reference_data
):
    add = admin_client.post(
        reverse("admin:org_department_add"), {"name": "  数据资源局 ", "active": "on"}
    )
    assert add.status_code == 302, add.content.decode()[:2000]
    dept = Department.objects.get(name="数据资源局")
    change = reverse("admin:org_department_change", args=[dept.pk])
    assert admin_client.post(change, {"name": "数据局"}).status_code == 302  # active unticked
    dept.refresh_from_db()
    assert (dept.name, dept.active) == ("数据局", False)
    actions = list(
        AuditLog.objects.filter(target_id=str(dept.pk), action__startswith="department.")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["department.create", "department.update"]
    # A name another department has is refused on the form, nothing changes.
    clash = admin_client.post(change, {"name": "住建局", "active": "on"})
    assert clash.status_code == 200 and "住建局" in clash.content.decode()
    dept.refresh_from_db()
    assert dept.name == "数据局"
    assert (
        not admin_client.post(reverse("admin:org_department_delete", args=[dept.pk])).status_code
        == 302
    )


def test_only_an_administrator_manages_departments(county, reference_data):
    from linli.core.errors import Forbidden
    from linli.org import services
    from tests.support.roles import make_user

    town = make_user("13744449999", "镇干部", Role.TOWN, county.town_a)
    with pytest.raises(Forbidden):
        services.department_create(actor=town, name="某局")
    assert not Department.objects.filter(name="某局").exists()
