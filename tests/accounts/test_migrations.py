"""The department of a handler's role, once free text, is carried over to the foreign key."""

from __future__ import annotations

import pytest

from tests.support.migrations import latest, migrate_to

BEFORE = [("accounts", "0002_initial"), ("org", "0004_member_phone_index")]
AFTER = [("accounts", "0003_roleassignment_department_fk")]


@pytest.mark.django_db(transaction=True)
def test_department_names_become_department_rows():
    old = migrate_to(BEFORE)
    try:
        Unit = old.get_model("org", "Unit")
        User = old.get_model("accounts", "User")
        RoleAssignment = old.get_model("accounts", "RoleAssignment")
        city = Unit.objects.create(path="0001", depth=1, kind="city", name="浏阳市")
        handler = User.objects.create(phone="13755550001", name="住建局办事员")
        newcomer = User.objects.create(phone="13755550002", name="新部门办事员")
        cadre = User.objects.create(phone="13755550003", name="村干部")
        RoleAssignment.objects.create(
            user=handler, role="department", unit=city, department="住建局"
        )
        RoleAssignment.objects.create(
            user=newcomer, role="department", unit=city, department="数据资源局"
        )
        RoleAssignment.objects.create(user=cadre, role="village", unit=city, department="")

        new = migrate_to(AFTER)
        RoleAssignment = new.get_model("accounts", "RoleAssignment")
        Department = new.get_model("org", "Department")
        by_user = {
            ra.user_id: ra.department for ra in RoleAssignment.objects.select_related("department")
        }
        assert by_user[handler.pk].name == "住建局"
        # A name with no department row gets one, so the handler keeps their queue.
        assert by_user[newcomer.pk] == Department.objects.get(name="数据资源局")
        assert by_user[cadre.pk] is None
    finally:
        migrate_to(latest())
