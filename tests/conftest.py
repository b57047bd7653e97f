"""Shared fixtures: a small county built through the real services, users per role."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from linli.accounts.models import Role, RoleAssignment, User
from linli.org import services
from linli.org.models import UnitKind
from tests.api.contract import api_answers_are_documented  # noqa: F401 (autouse fixture)

REQUIRE_SERVICES = os.environ.get("LINLI_REQUIRE_SERVICES") == "1"


def require_service(name: str, available: bool, reason: str) -> None:
    """Skip (or, with LINLI_REQUIRE_SERVICES=1, fail) when a service is missing."""
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"{name} is required (LINLI_REQUIRE_SERVICES=1) but {reason}")
    pytest.skip(f"{name} not available: {reason}")


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser(
        phone="13900000000", password="pw-admin-123", name="系统管理员"
    )


def make_user(phone: str, name: str, role: Role | None = None, unit=None) -> User:
    user = User.objects.create_user(phone=phone, password="pw-test-123", name=name)
    if role is not None:
        RoleAssignment.objects.create(user=user, role=role, unit=unit)
    return user


def valid_id_number(seq: int, birth: str = "19800101", region: str = "430181") -> str:
    from stdnum.cn import ric

    body = f"{region}{birth}{seq % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


class County:
    """Two towns, each with one village, one group, one representative and households."""

    def __init__(self, su):
        s = services
        self.city = s.unit_create(
            actor=su, parent=None, kind=UnitKind.CITY, name="浏阳市", code="430181000000"
        )
        self.town_a = s.unit_create(
            actor=su, parent=self.city, kind=UnitKind.TOWN, name="大瑶镇", code="430181110000"
        )
        self.town_b = s.unit_create(
            actor=su, parent=self.city, kind=UnitKind.TOWN, name="永和镇", code="430181210000"
        )
        self.village_a = s.unit_create(
            actor=su, parent=self.town_a, kind=UnitKind.VILLAGE, name="李畋村"
        )
        self.village_b = s.unit_create(
            actor=su, parent=self.town_b, kind=UnitKind.VILLAGE, name="佳成村"
        )
        self.group_a = s.unit_create(
            actor=su, parent=self.village_a, kind=UnitKind.GROUP, name="一组"
        )
        self.group_b = s.unit_create(
            actor=su, parent=self.village_b, kind=UnitKind.GROUP, name="大屋组"
        )
        self.households_a = [
            s.household_create(
                actor=su,
                unit=self.group_a,
                head_name=f"李{n}",
                address=f"李畋村一组{n}号",
                tags=["elderly_alone"] if n == 0 else [],
            )
            for n in range(7)
        ]
        self.households_b = [
            s.household_create(
                actor=su, unit=self.group_b, head_name=f"刘{n}", address=f"佳成村大屋组{n}号"
            )
            for n in range(7)
        ]
        self.member_a = s.member_create(
            actor=su,
            household=self.households_a[0],
            name="李大祥",
            relation="head",
            id_number=valid_id_number(1),
            phone="13800138001",
        )
        self.member_b = s.member_create(
            actor=su,
            household=self.households_b[0],
            name="刘生辉",
            relation="head",
            id_number=valid_id_number(2),
            phone="13800138002",
        )
        start = dt.date(2025, 1, 1)
        self.rep_a = s.representative_appoint(
            actor=su, member=self.member_a, unit=self.group_a, term_start=start
        )
        self.rep_b = s.representative_appoint(
            actor=su, member=self.member_b, unit=self.group_b, term_start=start
        )
        # Six of seven households linked; the seventh stays uncovered.
        for h in self.households_a[:6]:
            s.link_assign(actor=su, household=h, representative=self.rep_a, on_date=start)
        for h in self.households_b[:6]:
            s.link_assign(actor=su, household=h, representative=self.rep_b, on_date=start)
        self.place_a = s.place_create(actor=su, unit=self.village_a, kind="school", name="李畋小学")
        self.place_b = s.place_create(
            actor=su, unit=self.village_b, kind="hospital", name="佳成村卫生室"
        )
        self.team_a = s.team_create(
            actor=su, unit=self.village_a, name="李畋村邻里守心团", representatives=[self.rep_a]
        )
        self.team_b = s.team_create(
            actor=su, unit=self.village_b, name="佳成村邻里守心团", representatives=[self.rep_b]
        )
        s.team_member_add(
            actor=su, team=self.team_a, kind="volunteer", name="张志愿", phone="13800138011"
        )
        s.team_member_add(
            actor=su, team=self.team_b, kind="npc_deputy", name="王代表", phone="13800138012"
        )


@pytest.fixture
def county(superuser):
    return County(superuser)


ROLE_UNITS = {
    # role: (unit attribute in town A, unit attribute in town B)
    Role.TOWN: ("town_a", "town_b"),
    Role.VILLAGE: ("village_a", "village_b"),
    Role.GROUP_LEADER: ("group_a", "group_b"),
    Role.AREA_LEADER: ("village_a", "village_b"),
    Role.ADMIN: ("town_a", "town_b"),
    Role.DEPARTMENT: ("town_a", "town_b"),
}


@pytest.fixture
def user_in_town_a(county):
    """Factory: a user with `role` somewhere in town A (a representative: rep_a's account)."""

    def make(role: Role) -> User:
        user = make_user(f"1370000{len(Role.values):01d}{list(Role).index(role):03d}", f"{role}-A")
        if role == Role.REPRESENTATIVE:
            county.rep_a.user = user
            county.rep_a.save(update_fields=["user"])
            RoleAssignment.objects.create(user=user, role=role, unit=county.group_a)
        elif role == Role.CITY:
            RoleAssignment.objects.create(user=user, role=role, unit=county.town_a)
        else:
            RoleAssignment.objects.create(
                user=user, role=role, unit=getattr(county, ROLE_UNITS[role][0])
            )
        return user

    return make


@pytest.fixture(autouse=True)
def _fresh_working_day_calendar():
    """Tests roll back calendar rows; the per-process calendar cache must not outlive them."""
    from linli.core import calendar

    calendar.invalidate()
    yield
    calendar.invalidate()


@pytest.fixture
def reference_data(db):
    """Re-run the seed migrations (idempotent) for transactional tests.

    A transactional test's teardown flushes every table, taking the data that
    migrations seeded (departments, appeal categories, deadline policies, the
    holiday calendar) with it; tests that run after one call this fixture.
    """
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    for module in (
        "linli.org.migrations.0003_seed_departments",
        "linli.appeals.migrations.0002_seed_categories_policies",
        "linli.core.migrations.0002_seed_calendar",
    ):
        from linli.core.models import CalendarYear

        if module.startswith("linli.core") and CalendarYear.objects.exists():
            continue
        importlib.import_module(module).seed(apps, SimpleNamespace(connection=connection))
