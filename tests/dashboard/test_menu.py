"""The navigation follows the role (issue 10, defect 9).

The menu is one table (`linli.dashboard.menu.MENU`); each role sees the pages that serve
it, and the pages it does not see refuse it (403) rather than showing zeros. An empty
scope says so instead of claiming full coverage.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from linli.accounts.models import Role, RoleAssignment
from linli.dashboard.menu import MENU, menu_for
from linli.org.models import Department, Household
from tests.support import factories
from tests.support.roles import ROLES, make_user

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
FULLY_COVERED = '<span class="badge ok">全覆盖</span>'

CADRE = [
    "home",
    "centre",
    "dashboard_map",
    "dashboard_reports",
    "appeals:queue",
    "duties:mine",
    "charter:mine",
    "charter:versions",
    "conduct:entries",
    "conduct:breaches",
    "activities:calendar",
    "notices:list",
    "deliberation:list",
    "doorbell:care_list",
    "doorbell:devices",
    "doorbell:alarms",
    "funds:totals",
    "evaluation:ranking",
    "training:plans",
    "evaluation:annual_team",
    "honours:selection",
    "honours:benefits",
    "honours:reserve",
    "org:unit_tree",
    "org:household_list",
    "org:representative_list",
    "org:coverage",
    "org:import",
    "accounts:me",
]
# The audit log is no role's: audit administrators hold a permission (see below).
# A representative's own breach records come after the cadres' breach records.
_MINE = CADRE.index("conduct:breaches") + 1
# A representative's own care pairings come after the cadres' care register.
_PAIRINGS = CADRE.index("doorbell:care_list") + 1
# A representative's own service fund comes after the cadres' fund totals.
_FUND = CADRE.index("funds:totals") + 1
# A representative's own scores come after the cadres' rankings.
_EVAL = CADRE.index("evaluation:ranking") + 1
# A representative's own training record comes after the cadres' training plans.
_TRAINING = CADRE.index("training:plans") + 1
# A representative's own annual report comes after the cadres' list of reports.
_ANNUAL = CADRE.index("evaluation:annual_team") + 1
ALL = [
    *CADRE[:_MINE],
    "conduct:mine",
    *CADRE[_MINE:_PAIRINGS],
    "doorbell:mine",
    *CADRE[_PAIRINGS:_FUND],
    "funds:mine",
    *CADRE[_FUND:_EVAL],
    "evaluation:mine",
    *CADRE[_EVAL:_TRAINING],
    "training:mine",
    *CADRE[_TRAINING:_ANNUAL],
    "evaluation:annual_mine",
    *CADRE[_ANNUAL:-1],
    "accounts:audit_log",
    "accounts:me",
]
# Area and group leaders have no command centre (dashboard.centre.CENTRE_ROLES, the
# same people as dashboard/maps.MAP_ROLES), and no part in the hundred best.
LEADER = [
    e
    for e in CADRE
    if e
    not in (
        "org:import",
        "charter:versions",
        "centre",
        "dashboard_map",
        "dashboard_reports",
        "honours:selection",
        "honours:benefits",
        "honours:reserve",
    )
]
# What each role's menu holds, in order.
EXPECTED = {
    Role.ADMIN: CADRE,
    Role.CITY: CADRE,
    Role.TOWN: CADRE,
    Role.VILLAGE: CADRE,
    Role.AREA_LEADER: LEADER,
    Role.GROUP_LEADER: LEADER,
    Role.REPRESENTATIVE: [
        "home",
        "appeals:queue",
        "duties:mine",
        "charter:mine",
        "conduct:entries",
        "conduct:mine",
        "activities:calendar",
        "notices:list",
        "deliberation:list",
        "doorbell:mine",
        "doorbell:alarms",
        "funds:mine",
        "evaluation:mine",
        "training:mine",
        "evaluation:annual_mine",
        "org:household_list",
        "accounts:me",
    ],
    Role.DEPARTMENT: ["home", "appeals:queue", "charter:mine", "conduct:entries", "accounts:me"],
}


def department_handler(county):
    user = make_user("13711112222", "住建局办事员")
    RoleAssignment.objects.create(
        user=user,
        role=Role.DEPARTMENT,
        unit=county.town_a,
        department=Department.objects.get(name="住建局"),
    )
    return user


def user_with(role, county, user_in_town_a):
    return department_handler(county) if role == Role.DEPARTMENT else user_in_town_a(role)


def test_the_table_covers_every_role():
    assert set(EXPECTED) == set(ROLES) == set(Role)
    assert [e.url_name for e in MENU] == ALL


@pytest.mark.parametrize("role", ROLES, ids=str)
def test_each_role_sees_its_entries(role, county, user_in_town_a, client):
    user = user_with(role, county, user_in_town_a)
    assert [link.url_name for link in menu_for(user)] == EXPECTED[role]
    # The page's navigation is built from the same table.
    client.force_login(user)
    body = client.get(reverse("home"), **ZH).content.decode()
    nav = body[body.index('class="mainnav"') : body.index("</nav>")]
    assert [e for e in ALL if f'href="{reverse(e)}"' in nav] == EXPECTED[role]


@pytest.mark.parametrize("role", ROLES, ids=str)
def test_the_pages_left_out_of_a_menu_refuse_the_role(role, county, user_in_town_a, client):
    client.force_login(user_with(role, county, user_in_town_a))
    for name in ALL:
        response = client.get(reverse(name), follow=True, **ZH)
        where = f"{name} as {role}: {response.status_code}"
        if name in EXPECTED[role]:
            assert response.status_code == 200, where
        else:
            assert response.status_code == 403, where
            assert "您无权打开此页面" in response.content.decode(), where


def test_a_superuser_sees_everything_and_a_user_without_a_role_only_home(superuser):
    assert [link.url_name for link in menu_for(superuser)] == ALL
    nobody = make_user("13711113333", "无角色")
    assert [link.url_name for link in menu_for(nobody)] == ["home", "accounts:me"]


def test_the_current_page_is_marked(county, user_in_town_a):
    user = user_in_town_a(Role.TOWN)
    current = [link.url_name for link in menu_for(user, "/org/households/12/") if link.current]
    assert current == ["org:household_list"]
    assert [link.url_name for link in menu_for(user, "/") if link.current] == ["home"]


def test_a_group_leader_is_refused_the_import_page(county, user_in_town_a, client):
    client.force_login(user_in_town_a(Role.GROUP_LEADER))
    assert client.get(reverse("org:import"), **ZH).status_code == 403
    data = f"所属单位,户主姓名,住址\n{county.group_a.path},组长导入,1号\n".encode()
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        reverse("org:import"),
        {"kind": "households", "file": SimpleUploadedFile("h.csv", data)},
    )
    assert response.status_code == 403
    assert not Household.objects.filter(head_name="组长导入").exists()


def test_a_department_handler_is_not_shown_zeros_or_full_coverage(county, client):
    client.force_login(department_handler(county))
    home = client.get(reverse("home"), **ZH).content.decode()
    for claim in ("全覆盖", "所有户都有代表联系", "无代表联系的户", 'href="/org/coverage/"'):
        assert claim not in home, claim
    coverage = client.get(reverse("org:coverage"), **ZH)
    assert coverage.status_code == 403
    assert "全覆盖" not in coverage.content.decode()


def test_coverage_over_an_empty_scope_says_so(county, client):
    village = factories.add_unit(county, county.town_a, name="新建村")
    factories.add_unit(county, village, kind="group", name="空组")
    cadre = make_user("13711114444", "新村干部", Role.VILLAGE, village)
    client.force_login(cadre)
    body = client.get(reverse("org:coverage"), **ZH).content.decode()
    assert "新建村范围内没有住户" in body
    assert "暂无住户" in body  # the empty group in the table below
    for claim in (FULLY_COVERED, "所有户都有代表联系", "所有代表联户数都在5-15户之间"):
        assert claim not in body, claim
    home = client.get(reverse("home"), **ZH).content.decode()
    assert FULLY_COVERED not in home and "暂无住户" in home


def test_an_empty_unit_is_not_complete(county):
    from linli.org.selectors import coverage_for

    village = factories.add_unit(county, county.town_a, name="新建村")
    empty = coverage_for(county.superuser, village).total
    assert empty.empty and not empty.complete
    covered = coverage_for(county.superuser, county.group_a).total
    assert not covered.empty


def test_the_auditor_sees_home_and_the_audit_log_only(county, client):
    from linli.accounts.services import auditors_group

    user = make_user("13711113333", "审计员")
    user.groups.add(auditors_group())
    assert [link.url_name for link in menu_for(user)] == [
        "home",
        "accounts:audit_log",
        "accounts:me",
    ]
    client.force_login(user)
    assert client.get(reverse("accounts:audit_log"), **ZH).status_code == 200
    for name in [e for e in CADRE if e.startswith("org:")]:
        assert client.get(reverse(name), **ZH).status_code == 403, name
