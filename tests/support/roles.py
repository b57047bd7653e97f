"""The demo roles and their users.

`ROLES` is every role a staff account can hold (the tables of the scope tests run
over it); `ROLE_UNITS` says at which unit of each town a role sits; `user_in_town`
makes a user holding a role in town A or B of a `County` (see `factories`).
"""

from __future__ import annotations

from linli.accounts.models import Role, RoleAssignment, User
from linli.org.models import Department

PASSWORD = "pw-test-123"
SUPERUSER_PHONE = "13900000000"
SUPERUSER_PASSWORD = "pw-admin-123"

ROLES = [
    Role.TOWN,
    Role.VILLAGE,
    Role.AREA_LEADER,
    Role.GROUP_LEADER,
    Role.REPRESENTATIVE,
    Role.ADMIN,
    Role.CITY,
    Role.DEPARTMENT,
]

ROLE_UNITS = {
    # role: (unit attribute in town A, unit attribute in town B)
    Role.TOWN: ("town_a", "town_b"),
    Role.VILLAGE: ("village_a", "village_b"),
    Role.GROUP_LEADER: ("group_a", "group_b"),
    Role.AREA_LEADER: ("village_a", "village_b"),
    Role.ADMIN: ("town_a", "town_b"),
    Role.DEPARTMENT: ("town_a", "town_b"),
    # A city role held at a town: it must not see the other town either.
    Role.CITY: ("town_a", "town_b"),
    Role.REPRESENTATIVE: ("group_a", "group_b"),
}


def make_superuser() -> User:
    return User.objects.create_superuser(
        phone=SUPERUSER_PHONE, password=SUPERUSER_PASSWORD, name="系统管理员"
    )


def make_user(phone: str, name: str, role: Role | None = None, unit=None, **assignment) -> User:
    """A user (password `PASSWORD`), with one role at `unit` when a role is given."""
    user = User.objects.create_user(phone=phone, password=PASSWORD, name=name)
    if role is not None:
        RoleAssignment.objects.create(user=user, role=role, unit=unit, **assignment)
    return user


def user_in_town(county, role: Role, town: str = "a", phone: str | None = None) -> User:
    """A user holding `role` in town `a` or `b` of the county.

    A representative's account is the town's representative (`rep_a` or `rep_b`)."""
    side = 0 if town == "a" else 1
    index = list(Role).index(role)
    phone = phone or f"137{side}000{len(Role.values):01d}{index:03d}"
    user = make_user(phone, f"{role}-{town.upper()}")
    unit = getattr(county, ROLE_UNITS[role][side])
    if role == Role.REPRESENTATIVE:
        rep = county.rep_a if side == 0 else county.rep_b
        rep.user = user
        rep.save(update_fields=["user"])
    RoleAssignment.objects.create(user=user, role=role, unit=unit)
    return user


class Actors:
    """One account per handling role around town A (and a few of town B), as the appeals
    and duties tests use them: representatives, leaders, cadres, departments."""

    def __init__(self, county):
        self.county = county
        self.rep = make_user("13700000001", "辜大祥", Role.REPRESENTATIVE, county.group_a)
        county.rep_a.user = self.rep
        county.rep_a.save(update_fields=["user"])
        self.rep_b = make_user("13700000002", "刘代表", Role.REPRESENTATIVE, county.group_b)
        county.rep_b.user = self.rep_b
        county.rep_b.save(update_fields=["user"])
        self.group_leader = make_user("13700000003", "组长", Role.GROUP_LEADER, county.group_a)
        self.village = make_user("13700000004", "村干部", Role.VILLAGE, county.village_a)
        self.town = make_user("13700000005", "镇干部", Role.TOWN, county.town_a)
        self.town_b = make_user("13700000006", "永和镇干部", Role.TOWN, county.town_b)
        self.city = make_user("13700000007", "指挥中心", Role.CITY, county.city)
        self.dept = make_user("13700000008", "住建局办事员", None)
        RoleAssignment.objects.create(
            user=self.dept,
            role=Role.DEPARTMENT,
            unit=county.city,
            department=Department.objects.get(name="住建局"),
        )
        self.other_dept = make_user("13700000009", "水务局办事员", None)
        RoleAssignment.objects.create(
            user=self.other_dept,
            role=Role.DEPARTMENT,
            unit=county.city,
            department=Department.objects.get(name="水务局"),
        )

    def fresh(self, user):
        """The same user without the per-request caches (scope, departments)."""
        return type(user).objects.get(pk=user.pk)


class Accounts:
    """Accounts of the two representatives and of a cadre in each village (duties tests)."""

    def __init__(self, county):
        self.rep_a = make_user("13700000101", "李大祥", Role.REPRESENTATIVE, county.group_a)
        county.rep_a.user = self.rep_a
        county.rep_a.save(update_fields=["user"])
        self.rep_b = make_user("13700000102", "刘生辉", Role.REPRESENTATIVE, county.group_b)
        county.rep_b.user = self.rep_b
        county.rep_b.save(update_fields=["user"])
        self.village_a = make_user("13700000103", "李畋村干部", Role.VILLAGE, county.village_a)
        self.village_b = make_user("13700000104", "佳成村干部", Role.VILLAGE, county.village_b)
