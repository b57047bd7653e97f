"""How an import names a unit: full path, path without the area, end of a path, or code.

The demo county's villages have areas (李畋村/一片/一组); cadres write 李畋村/一组.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from linli.accounts.models import Role
from linli.org import imports
from linli.org.imports import H_ADDRESS, H_HEAD, H_UNIT
from linli.org.models import Household, Representative, Unit, UnitKind
from tests.support.factories import add_unit
from tests.support.files import xlsx
from tests.support.roles import make_user

HEADERS = [H_UNIT, H_HEAD, H_ADDRESS]


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def areas(county):
    """杨花村 in town A as the demo builds villages: 一片 (一组, 二组), 二片 (三组);
    and 花园村, whose two areas each have a 一组."""
    village = add_unit(county, county.town_a, UnitKind.VILLAGE, "杨花村")
    village.code = "430181110202"
    village.save(update_fields=["code"])
    one = add_unit(county, village, UnitKind.AREA, "一片")
    two = add_unit(county, village, UnitKind.AREA, "二片")
    groups = {
        "一组": add_unit(county, one, UnitKind.GROUP, "一组"),
        "二组": add_unit(county, one, UnitKind.GROUP, "二组"),
        "三组": add_unit(county, two, UnitKind.GROUP, "三组"),
    }
    garden = add_unit(county, county.town_a, UnitKind.VILLAGE, "花园村")
    for area in ("东片", "西片"):
        add_unit(county, add_unit(county, garden, UnitKind.AREA, area), UnitKind.GROUP, "一组")
    return village, groups


@pytest.fixture
def town_a_user(county):
    return make_user("13700000101", "大瑶镇干部", Role.TOWN, county.town_a)


def test_a_unit_is_found_with_or_without_its_area_and_by_code(county, areas, town_a_user):
    village, groups = areas
    rows = [
        ["浏阳市/大瑶镇/杨花村/一片/一组", "杨1", "1号"],  # full path
        ["浏阳市/大瑶镇/杨花村/二组", "杨2", "2号"],  # the area left out
        ["杨花村/三组", "杨3", "3号"],  # an end of the path, the area left out
        ["大瑶镇 / 杨花村 / 一片", "杨4", "4号"],  # an end, spaces around the slashes
        ["430181110202", "杨5", "5号"],  # the village's 12-digit code
        ["430181110", "杨6", "6号"],  # a 9-digit code, stored as 12 digits
        ["浏阳市/大瑶镇/李畋村/一组", "杨7", "7号"],  # a village without areas
    ]
    result = imports.import_file(actor=town_a_user, kind="households", data=xlsx(HEADERS, rows))
    assert result.ok, result.errors
    unit_of = dict(
        Household.objects.filter(head_name__startswith="杨").values_list("head_name", "unit__name")
    )
    assert unit_of == {
        "杨1": "一组",
        "杨2": "二组",
        "杨3": "三组",
        "杨4": "一片",
        "杨5": "杨花村",
        "杨6": "大瑶镇",
        "杨7": "一组",
    }
    assert Household.objects.get(head_name="杨2").unit == groups["二组"]
    assert Household.objects.get(head_name="杨7").unit == county.group_a


def test_an_ambiguous_short_path_is_refused_naming_each_unit_it_could_be(
    county, areas, town_a_user
):
    rows = [["浏阳市/大瑶镇/花园村/一组", "花1", "1号"]]
    result = imports.import_file(actor=town_a_user, kind="households", data=xlsx(HEADERS, rows))
    assert not result.ok and not Household.objects.filter(head_name="花1").exists()
    (error,) = result.errors
    assert (error.row, error.column) == (2, H_UNIT)
    assert "浏阳市/大瑶镇/花园村/东片/一组" in error.message
    assert "浏阳市/大瑶镇/花园村/西片/一组" in error.message
    # The full path settles it.
    rows = [["浏阳市/大瑶镇/花园村/西片/一组", "花1", "1号"]]
    assert imports.import_file(actor=town_a_user, kind="households", data=xlsx(HEADERS, rows)).ok


def test_an_unknown_unit_names_the_units_it_almost_matches(county, areas, town_a_user):
    rows = [
        ["浏阳市/大瑶镇/杨花村/七组", "x1", "1号"],  # 2 no 七组: the village's groups
        ["浏阳市/大瑶镇/李畋村/三组", "x2", "2号"],  # 3 三组 is in 杨花村
        ["浏阳市/大瑶镇/杨花村/一片/三组", "x3", "3号"],  # 4 三组 is in 二片
        ["浏阳市/大瑶镇/杨花村/一片/大屋组", "x4", "4号"],  # 5 大屋组 is in town B: not shown
    ]
    result = imports.import_file(actor=town_a_user, kind="households", data=xlsx(HEADERS, rows))
    message = {e.row: e.message for e in result.errors}
    assert set(message) == {2, 3, 4, 5}
    assert all(m.startswith("Unknown unit") for m in message.values())
    assert "七组" in message[2] and "浏阳市/大瑶镇/杨花村/一片/一组" in message[2]
    assert "浏阳市/大瑶镇/李畋村/一组" in message[3]
    assert "浏阳市/大瑶镇/杨花村/二片/三组" in message[3]
    assert message[4].split("Close matches: ")[1].startswith("浏阳市/大瑶镇/杨花村/二片/三组")
    assert "佳成村" not in message[5] and "永和镇" not in message[5]


def test_each_template_imports_unchanged_for_a_village_with_areas(client, county, areas):
    # Given the cadre of 杨花村, whose groups lie in areas as in the demo county
    village, groups = areas
    cadre = make_user("13700000104", "杨花村干部", Role.VILLAGE, village)
    client.force_login(cadre)
    for kind in imports.KINDS:
        # When each template is downloaded from the page and uploaded unchanged, in order
        template = client.get(reverse("org:import_template", args=[kind, "xlsx"]))
        assert template.status_code == 200
        response = client.post(
            reverse("org:import"),
            {"kind": kind, "file": upload(f"{kind}.xlsx", template.content)},
        )
        # Then it imports (one row each), with no complaint about a unit
        result = response.context["result"]
        assert response.status_code == 200, (kind, result and result.errors)
        assert result.ok and result.created == 1, kind
    # The examples named the cadre's own first group, and a new group beside it.
    new = Unit.objects.get(parent__parent=village, kind=UnitKind.GROUP, name="四组")
    assert new.parent.name == "一片"
    household = Household.objects.get(head_name="李建国")
    assert household.unit == groups["一组"] and household.address == "杨花村一组8号"
    assert Representative.objects.get(name="李建国").unit == groups["一组"]


def test_the_csv_template_imports_unchanged(client, county, town_a_user):
    client.force_login(town_a_user)
    template = client.get(reverse("org:import_template", args=["households", "csv"]))
    response = client.post(
        reverse("org:import"), {"kind": "households", "file": upload("户.csv", template.content)}
    )
    assert response.status_code == 200 and response.context["result"].created == 1
    assert Household.objects.get(head_name="李建国").unit == county.group_a


def test_an_empty_installation_gets_a_top_level_units_example(client, superuser):
    client.force_login(superuser)
    template = client.get(reverse("org:import_template", args=["units", "csv"]))
    response = client.post(
        reverse("org:import"), {"kind": "units", "file": upload("单位.csv", template.content)}
    )
    assert response.status_code == 200 and response.context["result"].created == 1
    assert Unit.objects.get().parent is None


def test_the_import_page_explains_the_unit_forms_in_chinese(client, county, town_a_user):
    client.force_login(town_a_user)
    response = client.get(reverse("org:import"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    body = response.content.decode()
    assert "省略片区" in body and "浏阳市/大瑶镇/李畋村/一组" in body
    assert "12位区划代码" in body and "李畋村/一组" in body
    assert "A unit may be written" not in body and "example row" not in body
