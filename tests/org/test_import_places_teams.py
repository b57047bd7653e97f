"""Import and export of places and guard teams: all rows or none, in scope, phones masked."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from linli.accounts.models import AuditLog, Role
from linli.org import imports, services
from linli.org.imports import (
    H_ADDRESS,
    H_MEMBER_KIND,
    H_PERSON,
    H_PHONE,
    H_PLACE_KIND,
    H_PLACE_NAME,
    H_SERVING,
    H_SERVING_PHONE,
    H_TEAM,
    H_UNIT,
    KINDS,
)
from linli.org.models import GuardTeam, GuardTeamMember, MemberKind, Place, PlaceKind
from tests.support.factories import valid_id_number
from tests.support.files import xlsx
from tests.support.queries import assert_queries_flat
from tests.support.roles import make_user

GROUP_A = "浏阳市/大瑶镇/李畋村/一组"
GROUP_B = "浏阳市/永和镇/佳成村/大屋组"
PLACES = KINDS["places"].headers
TEAMS = KINDS["teams"].headers


def errors_of(result) -> dict[tuple[int | None, str], str]:
    return {(e.row, e.column): e.message for e in result.errors}


def upload(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def download(client, kind: str, query: str = ""):
    response = client.get(reverse("org:export", args=[kind]) + query)
    assert response.status_code == 200, response.status_code
    data = b"".join(response.streaming_content)
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    return rows[0], rows[1:]


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def town_a_user(county):
    return make_user("13700000301", "大瑶镇干部", Role.TOWN, county.town_a)


# --- places ----------------------------------------------------------------------------------


def test_places_import_names_the_representative_by_name_or_mobile(county, town_a_user):
    # Given places of 李畋村, served by 李大祥 named by name, by mobile, by both, or by no one
    assert PLACES == [H_UNIT, H_PLACE_KIND, H_PLACE_NAME, H_ADDRESS, H_SERVING, H_SERVING_PHONE]
    rows = [
        [GROUP_A, "学校", "李畋村小学", "李畋村一组1号", "李大祥", ""],
        [GROUP_A, "医院", "李畋村卫生室", "", "", "138 0013 8001"],
        ["李畋村/一组", "企业", "李畋花炮厂", "2号", "李大祥", "13800138001"],
        ["浏阳市/大瑶镇/李畋村", "building", "村部大楼", "", "", ""],
    ]
    # When the town cadre imports them
    result = imports.import_file(actor=town_a_user, kind="places", data=xlsx(PLACES, rows))
    # Then every place is written, with its kind and representative
    assert result.ok, result.errors
    assert result.created == 4
    places = {p.name: p for p in Place.objects.all()}
    assert places["李畋村小学"].kind == PlaceKind.SCHOOL
    assert places["李畋村小学"].representative == county.rep_a
    assert places["李畋村卫生室"].representative == county.rep_a
    assert places["李畋花炮厂"].representative == county.rep_a
    assert places["村部大楼"].representative is None
    assert places["村部大楼"].unit == county.village_a
    # And the import is audited once
    audit = AuditLog.objects.get(action="import.places")
    assert audit.actor == town_a_user and audit.detail["created"] == 4


def test_a_bad_places_file_writes_nothing_and_reports_every_row(county, town_a_user):
    before = set(Place.objects.values_list("name", flat=True))
    Place.objects.create(unit=county.group_a, kind=PlaceKind.SCHOOL, name="老学校")
    rows = [
        [GROUP_A, "学校", "新学校", "", "", ""],  # 2 good
        [GROUP_A, "寺庙", "观音庙", "", "", ""],  # 3 unknown kind
        [GROUP_A, "企业", "", "", "", ""],  # 4 no name
        [GROUP_B, "学校", "佳成小学", "", "", ""],  # 5 town B: out of scope
        [GROUP_A, "学校", "甲", "", "刘生辉", ""],  # 6 serves another village
        [GROUP_A, "学校", "乙", "", "王五", ""],  # 7 no such representative
        [GROUP_A, "学校", "丙", "", "", "12345"],  # 8 not a mobile number
        [GROUP_A, "学校", "老学校", "", "", ""],  # 9 exists already
        [GROUP_A, "医院", "新学校", "", "", ""],  # 10 same as row 2
        [GROUP_A, "学校", "丁", "地" * 201, "", ""],  # 11 address too long
        [GROUP_A, "学校", "戊", "", "李大祥", "13800138002"],  # 12 name and mobile disagree
    ]
    result = imports.import_file(actor=town_a_user, kind="places", data=xlsx(PLACES, rows))
    errors = errors_of(result)
    assert set(errors) == {
        (3, H_PLACE_KIND),
        (4, H_PLACE_NAME),
        (5, H_UNIT),
        (6, H_SERVING),
        (7, H_SERVING),
        (8, H_SERVING_PHONE),
        (9, H_PLACE_NAME),
        (10, H_PLACE_NAME),
        (11, H_ADDRESS),
        (12, H_SERVING),
    }
    assert "Unknown unit" in errors[(5, H_UNIT)]  # town B is not even visible
    assert "row 2" in errors[(10, H_PLACE_NAME)]
    assert "already has a place named 老学校" in errors[(9, H_PLACE_NAME)]
    assert set(Place.objects.values_list("name", flat=True)) == before | {"老学校"}
    assert not AuditLog.objects.filter(action="import.places").exists()


def test_two_representatives_of_one_name_are_told_apart_by_mobile(county, superuser):
    # Given a second serving 李大祥 in 李畋村
    twin = services.member_create(
        actor=superuser,
        household=county.households_a[1],
        name="李大祥",
        relation="head",
        id_number=valid_id_number(7),
        phone="13900139007",
    )
    rep = services.representative_appoint(actor=superuser, member=twin, unit=county.group_a)
    # When a place names 李大祥 alone, then with the mobile
    rows = [[GROUP_A, "学校", "小学", "", "李大祥", ""]]
    result = imports.import_file(actor=superuser, kind="places", data=xlsx(PLACES, rows))
    # Then the name alone is refused, and the mobile settles it
    assert "give the mobile number" in errors_of(result)[(2, H_SERVING)]
    rows[0][5] = "13900139007"
    assert imports.import_file(actor=superuser, kind="places", data=xlsx(PLACES, rows)).ok
    assert Place.objects.get(name="小学").representative == rep


# --- guard teams -----------------------------------------------------------------------------


def test_teams_import_creates_each_team_once_with_its_members(county, town_a_user):
    existing = GuardTeam.objects.create(unit=county.village_a, name="老守心团")
    GuardTeamMember.objects.create(team=existing, kind=MemberKind.VOLUNTEER, name="老王")
    assert TEAMS == [H_UNIT, H_TEAM, H_MEMBER_KIND, H_PERSON, H_PHONE]
    rows = [
        [GROUP_A, "一组守心团", "志愿者", "张一", "13800138011"],
        [GROUP_A, "一组守心团", "党代表", "张二", ""],
        ["李畋村/一组", "一组守心团", "人大代表", "张三", "13800138013"],
        ["浏阳市/大瑶镇/李畋村", "老守心团", "妇女代表", "张四", ""],
        ["浏阳市/大瑶镇/李畋村", "空守心团", "", "", ""],
    ]
    result = imports.import_file(actor=town_a_user, kind="teams", data=xlsx(TEAMS, rows))
    assert result.ok, result.errors
    # Two new teams (the third name exists), four members
    assert (result.teams, result.created) == (2, 4)
    team = GuardTeam.objects.get(name="一组守心团")
    assert team.unit == county.group_a
    assert list(team.members.values_list("kind", "name", "phone")) == [
        (MemberKind.VOLUNTEER, "张一", "13800138011"),
        (MemberKind.PARTY_REP, "张二", ""),
        (MemberKind.NPC_DEPUTY, "张三", "13800138013"),
    ]
    assert sorted(existing.members.values_list("name", flat=True)) == ["张四", "老王"]
    assert not GuardTeam.objects.get(name="空守心团").members.exists()
    audit = AuditLog.objects.get(action="import.teams")
    assert audit.detail["teams"] == 2 and audit.detail["created"] == 4


def test_a_bad_teams_file_writes_nothing_and_reports_every_row(county, town_a_user):
    existing = GuardTeam.objects.create(unit=county.group_a, name="老守心团")
    GuardTeamMember.objects.create(
        team=existing, kind=MemberKind.VOLUNTEER, name="老王", phone="13800138021"
    )
    teams, members = GuardTeam.objects.count(), GuardTeamMember.objects.count()
    rows = [
        [GROUP_A, "新守心团", "志愿者", "张一", ""],  # 2 good
        [GROUP_A, "新守心团", "居委会", "张二", ""],  # 3 unknown member kind
        [GROUP_A, "新守心团", "志愿者", "张三", "1380013"],  # 4 not a mobile number
        [GROUP_A, "", "志愿者", "张四", ""],  # 5 no team name
        [GROUP_B, "佳成守心团", "志愿者", "刘一", ""],  # 6 town B: out of scope
        [GROUP_A, "新守心团", "", "", "13800138022"],  # 7 a phone without kind or name
        [GROUP_A, "老守心团", "志愿者", "老王", "138-0013-8021"],  # 8 already a member
        [GROUP_A, "新守心团", "党代表", "张一", ""],  # 9 same as row 2
        [GROUP_A, "新守心团", "志愿者", "名" * 51, ""],  # 10 name too long
    ]
    result = imports.import_file(actor=town_a_user, kind="teams", data=xlsx(TEAMS, rows))
    errors = errors_of(result)
    assert set(errors) == {
        (3, H_MEMBER_KIND),
        (4, H_PHONE),
        (5, H_TEAM),
        (6, H_UNIT),
        (7, H_MEMBER_KIND),
        (7, H_PERSON),
        (8, H_PERSON),
        (9, H_PERSON),
        (10, H_PERSON),
    }
    assert "already a member" in errors[(8, H_PERSON)]
    assert "row 2" in errors[(9, H_PERSON)]
    assert (GuardTeam.objects.count(), GuardTeamMember.objects.count()) == (teams, members)
    assert not AuditLog.objects.filter(action="import.teams").exists()


# --- templates and the page ------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["places", "teams"])
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_the_template_imports_unchanged(client, county, town_a_user, kind, fmt):
    client.force_login(town_a_user)
    template = client.get(reverse("org:import_template", args=[kind, fmt]))
    assert template.status_code == 200
    response = client.post(
        reverse("org:import"), {"kind": kind, "file": upload(f"{kind}.{fmt}", template.content)}
    )
    result = response.context["result"]
    assert response.status_code == 200, result and result.errors
    assert result.created == 1
    # On the cadre's own first group (the county's place and team are in the village)
    if kind == "places":
        assert Place.objects.get(unit=county.group_a).name == "李畋村小学"
    else:
        team = GuardTeam.objects.get(unit=county.group_a)
        assert team.name == "李畋村邻里守心团" and team.members.count() == 1


def test_the_place_template_picks_a_name_not_taken(client, county, town_a_user):
    Place.objects.create(unit=county.group_a, kind=PlaceKind.SCHOOL, name="李畋村小学")
    client.force_login(town_a_user)
    template = client.get(reverse("org:import_template", args=["places", "csv"]))
    assert "李畋村小学2" in template.content.decode("utf-8-sig")
    result = imports.import_file(actor=town_a_user, kind="places", data=template.content)
    assert result.ok, result.errors


def test_the_import_page_offers_places_and_teams_in_chinese(client, county, town_a_user):
    client.force_login(town_a_user)
    response = client.get(reverse("org:import"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    body = response.content.decode()
    for kind in ("places", "teams"):
        assert reverse("org:import_template", args=[kind, "xlsx"]) in body
        assert reverse("org:import_template", args=[kind, "csv"]) in body
        assert reverse("org:export", args=[kind]) in body
    assert "负责该场所的本村在任代表姓名" in body and "每个成员一行" in body
    assert "Name of the serving representative" not in body
    # The result of a teams import says how many teams and members
    data = xlsx(TEAMS, [[GROUP_A, "页面守心团", "志愿者", "张一", ""]])
    response = client.post(
        reverse("org:import"),
        {"kind": "teams", "file": upload("t.xlsx", data)},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 200
    assert "新建守心团" in response.content.decode()


# --- exports ---------------------------------------------------------------------------------


@pytest.fixture
def both_towns(county):
    Place.objects.create(
        unit=county.group_a, kind=PlaceKind.SCHOOL, name="李畋村小学", representative=county.rep_a
    )
    Place.objects.create(unit=county.group_b, kind=PlaceKind.HOSPITAL, name="佳成卫生室")
    team_a = GuardTeam.objects.create(unit=county.village_a, name="李畋守心团")
    team_a.representatives.add(county.rep_a)
    GuardTeamMember.objects.create(
        team=team_a, kind=MemberKind.VOLUNTEER, name="张一", phone="13800138031"
    )
    GuardTeamMember.objects.create(team=team_a, kind=MemberKind.PARTY_REP, name="张二")
    GuardTeam.objects.create(unit=county.group_a, name="空守心团")
    team_b = GuardTeam.objects.create(unit=county.village_b, name="佳成守心团")
    GuardTeamMember.objects.create(
        team=team_b, kind=MemberKind.VOLUNTEER, name="刘一", phone="13800138032"
    )


def test_the_places_export_is_scoped_masked_and_audited(client, county, town_a_user, both_towns):
    client.force_login(town_a_user)
    header, rows = download(client, "places")
    assert header == PLACES
    assert rows == [
        ["浏阳市/大瑶镇/李畋村", "学校", "李畋小学", None, None, None],
        [GROUP_A, "学校", "李畋村小学", None, "李大祥", "138****8001"],
    ]
    audit = AuditLog.objects.get(action="export.places")
    assert audit.actor == town_a_user and audit.detail["rows"] == 2
    # The unit filter of another town is refused
    url = reverse("org:export", args=["places"])
    assert client.get(f"{url}?unit={county.town_b.pk}").status_code == 404


def test_the_teams_export_lists_members_scoped_and_masked(client, county, town_a_user, both_towns):
    client.force_login(town_a_user)
    header, rows = download(client, "teams")
    assert header == [*TEAMS, "联户代表"]
    village = "浏阳市/大瑶镇/李畋村"
    assert rows == [
        [village, "李畋守心团", "志愿者", "张一", "138****8031", "李大祥"],
        [village, "李畋守心团", "党代表", "张二", None, "李大祥"],
        [village, "李畋村邻里守心团", "志愿者", "张志愿", "138****8011", "李大祥"],
        [GROUP_A, "空守心团", None, None, None, None],
    ]
    assert AuditLog.objects.get(action="export.teams").detail["rows"] == 4
    text = str(rows)
    assert "佳成" not in text and "13800138031" not in text and "13800138011" not in text


def test_an_exported_places_file_imports_elsewhere(client, county, superuser, both_towns):
    # The export's columns are the import's: with the masked mobile cleared, it re-imports
    client.force_login(superuser)
    header, rows = download(client, "places")
    Place.objects.all().delete()
    rows = [[*r[:5], ""] for r in rows]
    result = imports.import_file(actor=superuser, kind="places", data=xlsx(header, rows))
    assert result.ok, result.errors
    assert Place.objects.count() == 4
    assert Place.objects.get(name="李畋村小学").representative == county.rep_a


@pytest.mark.parametrize("kind", ["places", "teams"])
def test_export_query_count_is_flat(client, county, superuser, kind):
    client.force_login(superuser)
    made = [0]

    def build(n):
        for _ in range(n):
            made[0] += 1
            i = made[0]
            if kind == "places":
                Place.objects.create(
                    unit=county.group_a,
                    kind=PlaceKind.OTHER,
                    name=f"场所{i}",
                    representative=county.rep_a,
                )
            else:
                team = GuardTeam.objects.create(unit=county.group_a, name=f"团{i}")
                team.representatives.add(county.rep_a)
                GuardTeamMember.objects.create(
                    team=team, kind=MemberKind.VOLUNTEER, name=f"员{i}", phone="13800138041"
                )

    assert_queries_flat(build, lambda: download(client, kind))


def test_errors_of_a_row_follow_the_columns_of_its_own_kind(county, town_a_user):
    # 所属单位 is a column of several kinds; in a places file it comes first in each row
    rows = [["浏阳市/大瑶镇/无此村", "寺庙", "", "", "", "12"]]
    result = imports.import_file(actor=town_a_user, kind="places", data=xlsx(PLACES, rows))
    assert [e.column for e in result.errors] == [
        H_UNIT,
        H_PLACE_KIND,
        H_PLACE_NAME,
        H_SERVING_PHONE,
    ]
    # and in a households file, before the head of household
    data = xlsx([H_UNIT, "户主姓名", H_ADDRESS], [["无此组", "", ""]])
    result = imports.import_file(actor=town_a_user, kind="households", data=data)
    assert [e.column for e in result.errors][:2] == [H_UNIT, "户主姓名"]


@pytest.mark.parametrize("kind", ["places", "teams"])
def test_import_query_count_does_not_grow_with_the_rows(county, town_a_user, kind):
    from tests.support.queries import count_queries

    def rows(n: int, tag: str):
        if kind == "places":
            return [[GROUP_A, "企业", f"厂{tag}{i}", "", "李大祥", "13800138001"] for i in range(n)]
        return [[GROUP_A, f"团{tag}{i % 2}", "志愿者", f"员{tag}{i}", ""] for i in range(n)]

    def run(n: int, tag: str):
        data = xlsx(KINDS[kind].headers, rows(n, tag))
        return imports.import_file(actor=town_a_user, kind=kind, data=data)

    assert run(1, "w").ok  # one-off work (the user's roles) is not counted
    small, result, _sql = count_queries(lambda: run(3, "a"))
    assert result.ok, result.errors
    large, result, sql = count_queries(lambda: run(30, "b"))
    assert result.ok, result.errors
    assert small == large, "\n".join(sql)
