import pytest
from django.urls import reverse

from linli.accounts.models import AuditLog, Role, RoleAssignment, User, phone_index
from linli.org.models import Department
from tests.conftest import make_user


def test_audit_log_and_link_history_are_read_only_in_admin(county, superuser, client):
    client.force_login(superuser)
    assert client.get(reverse("admin:accounts_auditlog_changelist")).status_code == 200
    assert client.get(reverse("admin:org_householdlink_changelist")).status_code == 200
    assert client.get(reverse("admin:accounts_auditlog_add")).status_code == 403
    assert client.get(reverse("admin:org_householdlink_add")).status_code == 403


# --- roles are granted and revoked through the audited services ------------------------


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def test_a_role_added_in_the_admin_is_audited(county, admin_client):
    user = make_user("13733330001", "新村干部")
    r = admin_client.post(
        reverse("admin:accounts_roleassignment_add"),
        {"user": user.pk, "role": Role.VILLAGE, "unit": county.village_a.pk, "department": ""},
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    assert RoleAssignment.objects.filter(user=user, role=Role.VILLAGE).exists()
    entry = AuditLog.objects.get(action="role.assign", target_id=str(user.pk))
    assert entry.detail["unit"] == county.village_a.pk


def test_a_department_handler_needs_a_department_in_the_admin_too(
    county, admin_client, reference_data
):
    user = make_user("13733330002", "住建局办事员")
    url = reverse("admin:accounts_roleassignment_add")
    data = {"user": user.pk, "role": Role.DEPARTMENT, "unit": county.city.pk, "department": ""}
    r = admin_client.post(url, data)
    assert r.status_code == 200
    assert not RoleAssignment.objects.filter(user=user).exists()
    data["department"] = Department.objects.get(name="住建局").pk
    assert admin_client.post(url, data).status_code == 302
    assert RoleAssignment.objects.get(user=user).department.name == "住建局"


def test_role_assignments_are_not_edited_in_place(county, admin_client):
    user = make_user("13733330003", "组长", Role.GROUP_LEADER, county.group_a)
    ra = RoleAssignment.objects.get(user=user)
    url = reverse("admin:accounts_roleassignment_change", args=[ra.pk])
    r = admin_client.post(url, {"user": user.pk, "role": Role.TOWN, "unit": county.town_a.pk})
    assert r.status_code == 403
    assert RoleAssignment.objects.get(pk=ra.pk).role == Role.GROUP_LEADER


def test_deleting_roles_in_the_admin_revokes_them_with_an_audit_row(county, admin_client):
    a = make_user("13733330004", "组长甲", Role.GROUP_LEADER, county.group_a)
    b = make_user("13733330005", "组长乙", Role.GROUP_LEADER, county.group_b)
    ra = RoleAssignment.objects.get(user=a)
    r = admin_client.post(
        reverse("admin:accounts_roleassignment_delete", args=[ra.pk]), {"post": "yes"}
    )
    assert r.status_code == 302
    rb = RoleAssignment.objects.get(user=b)
    r = admin_client.post(
        reverse("admin:accounts_roleassignment_changelist"),
        {"action": "delete_selected", "_selected_action": [rb.pk], "post": "yes"},
    )
    assert r.status_code == 302
    assert not RoleAssignment.objects.filter(user__in=[a, b]).exists()
    revoked = set(AuditLog.objects.filter(action="role.revoke").values_list("target_id", flat=True))
    assert revoked == {str(a.pk), str(b.pk)}


def test_the_user_page_grants_and_revokes_roles_through_the_services(county, admin_client):
    user = make_user("13733330006", "镇干部", Role.TOWN, county.town_a)
    held = RoleAssignment.objects.get(user=user)
    data = {
        "phone": user.phone,
        "name": user.name,
        "is_active": "on",
        "date_joined_0": "2025-01-01",
        "date_joined_1": "08:00:00",
        "role_assignments-TOTAL_FORMS": "2",
        "role_assignments-INITIAL_FORMS": "1",
        "role_assignments-0-id": held.pk,
        "role_assignments-0-user": user.pk,
        "role_assignments-0-DELETE": "on",
        "role_assignments-1-role": Role.VILLAGE,
        "role_assignments-1-unit": county.village_a.pk,
        "role_assignments-1-department": "",
    }
    r = admin_client.post(reverse("admin:accounts_user_change", args=[user.pk]), data)
    assert r.status_code == 302, r.content.decode()[:3000]
    assert list(RoleAssignment.objects.filter(user=user).values_list("role", flat=True)) == [
        Role.VILLAGE
    ]
    actions = AuditLog.objects.filter(target_type="accounts.user", target_id=str(user.pk))
    assert sorted(actions.values_list("action", flat=True)) == ["role.assign", "role.revoke"]


def test_deleting_an_account_revokes_its_roles_first(county, admin_client):
    user = make_user("13733330007", "村干部", Role.VILLAGE, county.village_a)
    r = admin_client.post(reverse("admin:accounts_user_delete", args=[user.pk]), {"post": "yes"})
    assert r.status_code == 302
    assert not User.objects.filter(pk=user.pk).exists()
    assert AuditLog.objects.filter(action="role.revoke", target_id=str(user.pk)).exists()


def test_accounts_added_and_changed_in_the_admin_are_audited(county, admin_client):
    r = admin_client.post(
        reverse("admin:accounts_user_add"),
        {
            "phone": "13733330008",
            "name": "新账号",
            "password1": "pw-new-account-1",
            "password2": "pw-new-account-1",
            "role_assignments-TOTAL_FORMS": "0",
            "role_assignments-INITIAL_FORMS": "0",
        },
    )
    assert r.status_code == 302, r.content.decode()[:3000]
    user = User.objects.get(phone_hash=phone_index("13733330008"))
    assert user.check_password("pw-new-account-1")
    assert AuditLog.objects.filter(action="user.create", target_id=str(user.pk)).exists()
    data = {
        "phone": user.phone,
        "name": "新账号",
        "is_active": "on",
        "is_staff": "on",
        "date_joined_0": "2025-01-01",
        "date_joined_1": "08:00:00",
        "role_assignments-TOTAL_FORMS": "0",
        "role_assignments-INITIAL_FORMS": "0",
    }
    r = admin_client.post(reverse("admin:accounts_user_change", args=[user.pk]), data)
    assert r.status_code == 302, r.content.decode()[:3000]
    assert User.objects.get(pk=user.pk).is_staff
    entry = AuditLog.objects.get(action="user.update", target_id=str(user.pk))
    assert entry.detail["fields"] == ["is_staff"]
    assert entry.detail["before"] == {"is_staff": False}


def test_only_a_superuser_changes_admin_site_privileges(county):
    from linli.accounts import services
    from linli.core.errors import Forbidden

    town_admin = make_user("13733330009", "镇管理员", Role.ADMIN, county.town_a)
    cadre = make_user("13733330010", "村干部", Role.VILLAGE, county.village_a)
    services.account_update(actor=town_admin, user=cadre, name="村干部甲")
    with pytest.raises(Forbidden):
        services.account_update(actor=town_admin, user=cadre, is_superuser=True)
    other = make_user("13733330011", "永和村干部", Role.VILLAGE, county.village_b)
    with pytest.raises(Forbidden):
        services.account_update(actor=town_admin, user=other, name="改名")
    assert not User.objects.get(pk=cadre.pk).is_superuser
    assert User.objects.get(pk=other.pk).name == "永和村干部"


def test_the_user_list_shows_mobiles_masked(county, admin_client):
    from linli.accounts.models import User

    User.objects.create_user(phone="13912345678", password="x", name="王建国")
    body = admin_client.get("/admin/accounts/user/").content.decode()
    assert "139****5678" in body and "13912345678" not in body
    # An administrator still finds the account by its whole number.
    found = admin_client.get("/admin/accounts/user/", {"q": "13912345678"}).content.decode()
    assert "王建国" in found
