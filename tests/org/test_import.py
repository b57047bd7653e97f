"""Import of units, households, members, representatives and links: all rows or none."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from linli.accounts.models import AuditLog, Role
from linli.org import imports, services
from linli.org.imports import (
    H_ADDRESS,
    H_FROM,
    H_HEAD,
    H_ID_NUMBER,
    H_KIND,
    H_LAT,
    H_NAME,
    H_PARENT,
    H_PERSON,
    H_PHONE,
    H_REASON,
    H_REP_ID_NUMBER,
    H_REP_UNIT,
    H_TAGS,
    H_UNIT,
    KINDS,
)
from linli.org.models import Household, HouseholdLink, Member, Representative, Unit
from tests.support.factories import png_bytes, valid_id_number
from tests.support.files import xlsx
from tests.support.roles import make_user

GROUP_A = "浏阳市/大瑶镇/李畋村/一组"
GROUP_B = "浏阳市/永和镇/佳成村/大屋组"


def csv_bytes(headers, rows, encoding="utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def errors_of(result) -> set[tuple[int | None, str]]:
    return {(e.row, e.column) for e in result.errors}


@pytest.fixture(autouse=True)
def english():
    """Messages are checked in English; the page tests get their language per request."""
    with translation.override("en"):
        yield


@pytest.fixture
def town_a_user(county):
    return make_user("13700000101", "大瑶镇干部", Role.TOWN, county.town_a)


def bad_id(seq: int) -> str:
    good = valid_id_number(seq)
    return good[:-1] + ("0" if good[-1] != "0" else "1")


# --- all or nothing ----------------------------------------------------------------------


def test_member_file_with_bad_rows_changes_nothing_and_reports_every_row(county, town_a_user):
    # Given a member file where only the first data row is good
    headers = [H_UNIT, H_HEAD, H_ADDRESS, H_PERSON, H_ID_NUMBER, H_PHONE]
    rows = [
        [GROUP_A, "李1", "李畋村一组1号", "李小明", valid_id_number(11), "13800138021"],  # 2 good
        [GROUP_A, "李1", "李畋村一组1号", "李小红", bad_id(12), ""],  # 3 check digit
        [GROUP_A, "李2", "李畋村一组2号", "李小刚", "", "12345"],  # 4 bad mobile
        ["浏阳市/大瑶镇/不存在村", "李2", "李畋村一组2号", "李小华", "", ""],  # 5 unknown unit
        [GROUP_A, "李3", "李畋村一组3号", "", "", ""],  # 6 missing name
        [GROUP_B, "刘1", "佳成村大屋组1号", "刘小明", "", ""],  # 7 other town
        [GROUP_A, "李4", "李畋村一组4号", "李小军", bad_id(13), "1380013"],  # 8 two bad cells
    ]
    members_before, audit_before = Member.objects.count(), AuditLog.objects.count()
    # When town A's staff import it
    result = imports.import_file(
        actor=town_a_user, kind="members", data=xlsx(headers, rows), filename="m.xlsx"
    )
    # Then nothing is written and every bad cell is reported by row and column
    assert not result.ok
    assert Member.objects.count() == members_before
    assert AuditLog.objects.count() == audit_before
    assert errors_of(result) == {
        (3, H_ID_NUMBER),
        (4, H_PHONE),
        (5, H_UNIT),
        (6, H_PERSON),
        (7, H_UNIT),
        (8, H_ID_NUMBER),
        (8, H_PHONE),
    }
    by_row = {e.row: e.message for e in result.errors}
    assert "check digit" in by_row[3]
    assert "不存在村" in by_row[5]


def test_household_file_with_bad_cells_changes_nothing(county, superuser):
    headers = [H_UNIT, H_HEAD, H_ADDRESS, H_TAGS, H_LAT]
    rows = [
        [GROUP_A, "王五", "李畋村一组20号", "独居老人", "28.1"],  # 2 good
        [GROUP_A, "王六", "李畋村一组21号", "富豪", "95"],  # 3 tag and latitude
        [GROUP_A, "李0", "李畋村一组0号", "", ""],  # 4 already registered
        [GROUP_A, "王五", "李畋村一组20号", "", ""],  # 5 same as row 2
        ["", "王七", "", "", ""],  # 6 unit and address missing
        ["一组", "王八", "某地", "", ""],  # 7 ambiguous? (only one 一组: resolves)
    ]
    before = Household.objects.count()
    result = imports.import_file(actor=superuser, kind="households", data=xlsx(headers, rows))
    assert Household.objects.count() == before
    assert errors_of(result) == {
        (3, H_TAGS),
        (3, H_LAT),
        (4, H_ADDRESS),
        (5, H_ADDRESS),
        (6, H_UNIT),
        (6, H_ADDRESS),
    }


def test_good_household_file_imports_everything_with_one_audit_row(county, town_a_user):
    headers = [H_UNIT, H_HEAD, H_ADDRESS, H_TAGS, H_LAT, "经度"]
    rows = [
        [GROUP_A, "王建国", "李畋村一组30号", "独居老人、低保", 28.15, 113.82],
        ["李畋村/一组", "张三", "李畋村一组31号", "", "", ""],
        ["430181110000", "赵四", "大瑶镇街上1号", "残疾", "", ""],
    ]
    result = imports.import_file(
        actor=town_a_user, kind="households", data=xlsx(headers, rows), filename="户.xlsx"
    )
    assert result.ok, result.errors
    assert result.created == 3
    wang = Household.objects.get(head_name="王建国")
    assert wang.unit == county.group_a
    assert wang.tags == ["elderly_alone", "low_income"]
    assert wang.search_key.startswith("wjg")
    assert str(wang.latitude) == "28.150000"
    assert Household.objects.get(head_name="赵四").unit == county.town_a
    audit = AuditLog.objects.get(action="import.households")
    assert audit.actor == town_a_user
    assert audit.detail["file"] == "户.xlsx" and audit.detail["created"] == 3


def test_csv_in_gbk_imports(county, town_a_user):
    data = csv_bytes(
        [H_UNIT, H_HEAD, H_ADDRESS], [[GROUP_A, "欧阳娜", "李畋村一组40号"]], encoding="gbk"
    )
    result = imports.import_file(actor=town_a_user, kind="households", data=data)
    assert result.ok, result.errors
    assert Household.objects.filter(head_name="欧阳娜", unit=county.group_a).exists()


def test_csv_in_utf8_with_bom_imports(county, town_a_user):
    data = b"\xef\xbb\xbf" + csv_bytes([H_UNIT, H_HEAD, H_ADDRESS], [[GROUP_A, "周六", "x号"]])
    result = imports.import_file(actor=town_a_user, kind="households", data=data)
    assert result.ok, result.errors
    assert Household.objects.filter(head_name="周六").exists()


# --- scope -------------------------------------------------------------------------------


def test_user_of_town_a_cannot_import_into_town_b(county, town_a_user):
    rows = [[GROUP_B, "刘九", "佳成村大屋组9号"], ["430181210000", "刘十", "永和镇1号"]]
    result = imports.import_file(
        actor=town_a_user, kind="households", data=xlsx([H_UNIT, H_HEAD, H_ADDRESS], rows)
    )
    assert errors_of(result) == {(2, H_UNIT), (3, H_UNIT)}
    assert not Household.objects.filter(head_name__in=["刘九", "刘十"]).exists()


def test_user_without_a_write_role_cannot_import(county):
    leader = make_user("13700000102", "组长", Role.GROUP_LEADER, county.group_a)
    rows = [[GROUP_A, "王一", "李畋村一组50号"]]
    result = imports.import_file(
        actor=leader, kind="households", data=xlsx([H_UNIT, H_HEAD, H_ADDRESS], rows)
    )
    assert errors_of(result) == {(2, H_UNIT)}
    assert "may not change" in result.errors[0].message


# --- units ------------------------------------------------------------------------------


def test_units_import_builds_the_tree_in_file_order(county, town_a_user):
    rows = [
        ["浏阳市/大瑶镇", "村", "新华村", "430181110201"],
        ["浏阳市/大瑶镇/新华村", "组", "一组", ""],
        ["大瑶镇/新华村", "组", "二组", ""],
        ["李畋村", "片", "东片", ""],
    ]
    result = imports.import_file(
        actor=town_a_user, kind="units", data=xlsx([H_PARENT, H_KIND, H_NAME, "区划代码"], rows)
    )
    assert result.ok, result.errors
    village = Unit.objects.get(name="新华村")
    assert village.parent == county.town_a and village.path.startswith(county.town_a.path)
    assert village.depth == 3 and village.code == "430181110201"
    groups = list(Unit.objects.filter(parent=village).order_by("path"))
    assert [g.name for g in groups] == ["一组", "二组"]
    assert all(g.path.startswith(village.path) and g.depth == 4 for g in groups)
    assert len({u.path for u in Unit.objects.all()}) == Unit.objects.count()
    # The service still finds the next free path after a bulk import.
    extra = services.unit_create(actor=town_a_user, parent=village, kind="group", name="三组")
    assert extra.path > groups[-1].path


def test_units_import_reports_kind_order_duplicates_and_codes(county, town_a_user):
    rows = [
        [GROUP_A, "村", "错村", ""],  # 2 a village under a group
        ["浏阳市/大瑶镇", "村", "李畋村", ""],  # 3 exists
        ["浏阳市/大瑶镇", "庄园", "某庄", "12"],  # 4 kind and code
        ["", "市", "长沙市", ""],  # 5 top level, not a superuser
        ["浏阳市/大瑶镇", "村", "新村", ""],  # 6 good
        ["浏阳市/大瑶镇", "村", "新村", ""],  # 7 twice in file
    ]
    before = Unit.objects.count()
    result = imports.import_file(
        actor=town_a_user, kind="units", data=xlsx([H_PARENT, H_KIND, H_NAME, "区划代码"], rows)
    )
    assert Unit.objects.count() == before
    assert errors_of(result) == {
        (2, H_KIND),
        (3, H_NAME),
        (4, H_KIND),
        (4, "区划代码"),
        (5, H_PARENT),
        (7, H_NAME),
    }


# --- representatives and links -----------------------------------------------------------


def test_representatives_import(county, town_a_user, superuser):
    services.member_create(
        actor=superuser,
        household=county.households_a[1],
        name="李新代表",
        id_number=valid_id_number(21),
    )
    rows = [
        [valid_id_number(21), "李新代表", GROUP_A, "2025-03-01"],  # 2 good
        [valid_id_number(1), "", "浏阳市/大瑶镇/李畋村", ""],  # 3 serving elsewhere (rep_a)
        [valid_id_number(2), "", GROUP_A, ""],  # 4 resident of town B: not visible
        [valid_id_number(21), "别人", GROUP_A, ""],  # 5 name mismatch
    ]
    headers = [H_ID_NUMBER, H_PERSON, H_REP_UNIT, "任期开始"]
    result = imports.import_file(
        actor=town_a_user, kind="representatives", data=xlsx(headers, rows)
    )
    assert errors_of(result) == {(3, H_ID_NUMBER), (4, H_ID_NUMBER), (5, H_PERSON)}
    result = imports.import_file(
        actor=town_a_user, kind="representatives", data=xlsx(headers, rows[:1])
    )
    assert result.ok, result.errors
    rep = Representative.objects.get(name="李新代表")
    assert rep.unit == county.group_a and rep.term_start == dt.date(2025, 3, 1)


@pytest.fixture
def rep_c(county, superuser):
    member = services.member_create(
        actor=superuser,
        household=county.households_a[2],
        name="李丙",
        id_number=valid_id_number(31),
    )
    return services.representative_appoint(
        actor=superuser, member=member, unit=county.group_a, term_start=dt.date(2025, 1, 1)
    )


LINK_HEADERS = ["户编号", H_REP_ID_NUMBER, H_FROM, H_REASON]


def test_link_import_refuses_leaving_a_representative_outside_5_15_without_reason(
    county, town_a_user, rep_c
):
    # Moving 3 of rep_a's 6 households to rep_c leaves rep_a with 3.
    rows = [[h.pk, valid_id_number(31), "2025-06-01", ""] for h in county.households_a[:3]]
    links_before = HouseholdLink.objects.count()
    result = imports.import_file(actor=town_a_user, kind="links", data=xlsx(LINK_HEADERS, rows))
    assert errors_of(result) == {(2, H_REASON), (3, H_REASON), (4, H_REASON)}
    assert "李大祥" in result.errors[0].message
    assert HouseholdLink.objects.count() == links_before
    assert services.active_count(county.rep_a) == 6


def test_link_import_with_reason_flags_out_of_range(county, town_a_user, rep_c):
    rows = [[h.pk, valid_id_number(31), "2025-06-01", "重新划片"] for h in county.households_a[:3]]
    result = imports.import_file(actor=town_a_user, kind="links", data=xlsx(LINK_HEADERS, rows))
    assert result.ok, result.errors
    assert (result.created, result.ended, result.flagged) == (3, 3, 3)
    assert services.active_count(county.rep_a) == 3
    assert services.active_count(rep_c) == 3
    new = HouseholdLink.objects.filter(representative=rep_c)
    assert all(link.out_of_range and link.reason == "重新划片" for link in new)
    ended = HouseholdLink.objects.filter(representative=county.rep_a, valid_to=dt.date(2025, 6, 1))
    assert ended.count() == 3
    assert AuditLog.objects.filter(action="import.links").count() == 1


def test_link_import_within_range_needs_no_reason(county, town_a_user):
    h6, h0 = county.households_a[6], county.households_a[0]
    rows = [
        ["", valid_id_number(1), "2025-06-01", ""],  # by unit, head and address
        [h0.pk, valid_id_number(1), "", ""],  # already so
    ]
    headers = [H_UNIT, H_REP_ID_NUMBER, H_FROM, H_REASON, H_HEAD, H_ADDRESS, "户编号"]
    data = xlsx(
        headers,
        [
            [GROUP_A, *rows[0][1:], h6.head_name, h6.address, ""],
            ["", *rows[1][1:], "", "", h0.pk],
        ],
    )
    result = imports.import_file(actor=town_a_user, kind="links", data=data)
    assert result.ok, result.errors
    assert (result.created, result.unchanged, result.flagged) == (1, 1, 0)
    assert services.active_count(county.rep_a) == 7


def test_link_import_checks_village_date_and_representative(county, town_a_user, rep_c):
    rows = [
        [county.households_a[6].pk, valid_id_number(2), "", ""],  # rep of town B: not visible
        [county.households_a[6].pk, valid_id_number(31), "2024-01-01", ""],  # before term
        [county.households_b[6].pk, valid_id_number(31), "", ""],  # household not visible
        [county.households_a[0].pk, valid_id_number(31), "2024-12-31", "x"],  # before current
    ]
    result = imports.import_file(actor=town_a_user, kind="links", data=xlsx(LINK_HEADERS, rows))
    assert errors_of(result) == {
        (2, H_REP_ID_NUMBER),
        (3, H_FROM),
        (4, "户编号"),
        (5, H_FROM),
    }


# --- files ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n" + bytes(range(256)),
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100,
        b"PK\x03\x04" + b"\x00" * 100,
        bytes(range(256)) * 4,
        "随便写点什么\n没有表头".encode(),
        b"",
    ],
    ids=["png", "pdf", "xls", "zip", "binary", "text", "empty"],
)
def test_a_file_that_is_not_a_spreadsheet_is_refused(county, superuser, data):
    before = Household.objects.count()
    result = imports.import_file(actor=superuser, kind="households", data=data)
    assert not result.ok
    assert result.errors[0].row is None
    assert Household.objects.count() == before


def test_missing_required_column_is_reported(county, superuser):
    result = imports.import_file(
        actor=superuser, kind="households", data=xlsx([H_UNIT, H_HEAD], [[GROUP_A, "x"]])
    )
    assert not result.ok and H_ADDRESS in result.errors[0].message


@override_settings(LINLI={**__import__("django.conf").conf.settings.LINLI, "IMPORT_MAX_ROWS": 3})
def test_row_cap(county, superuser):
    rows = [[GROUP_A, f"王{n}", f"{n}号"] for n in range(4)]
    for data in (
        xlsx([H_UNIT, H_HEAD, H_ADDRESS], rows),
        csv_bytes([H_UNIT, H_HEAD, H_ADDRESS], rows),
    ):
        result = imports.import_file(actor=superuser, kind="households", data=data)
        assert not result.ok and "3" in result.errors[0].message
    assert not Household.objects.filter(head_name="王0").exists()


# --- templates ----------------------------------------------------------------------------


def test_templates_download_and_reimport_cleanly(client, county, superuser):
    # The example rows build on the user's own units, so the templates import in order unchanged.
    client.force_login(superuser)
    for kind, spec in KINDS.items():
        response = client.get(reverse("org:import_template", args=[kind, "xlsx"]))
        assert response.status_code == 200
        assert "filename*=utf-8''" in response["Content-Disposition"].lower()
        data = b"".join(response.streaming_content) if response.streaming else response.content
        wb = load_workbook(io.BytesIO(data))
        assert wb.sheetnames[1] == "说明"
        assert [c.value for c in wb.worksheets[0][1]] == spec.headers
        result = imports.import_file(actor=superuser, kind=kind, data=data)
        assert result.ok, (kind, result.errors)
        assert result.created == 1
        csv_response = client.get(reverse("org:import_template", args=[kind, "csv"]))
        rows = imports.read_table(csv_response.content, spec)
        assert len(rows) == 1 and set(rows[0][1]) == set(spec.headers)
    # The units example adds a group beside the user's first group; the others use that group.
    assert Unit.objects.filter(parent=county.village_a, name="二组").exists()
    assert Household.objects.filter(head_name="李建国", unit=county.group_a).exists()
    link = HouseholdLink.objects.get(household__head_name="李建国")
    # 0 -> 1 household moves towards 5-15, so it is not flagged (as in link_assign).
    assert not link.out_of_range and link.representative.name == "李建国" and link.reason


def test_unknown_template_is_404(client, superuser):
    client.force_login(superuser)
    assert client.get(reverse("org:import_template", args=["users", "xlsx"])).status_code == 404
    assert client.get(reverse("org:import_template", args=["units", "pdf"])).status_code == 404


# --- the page ---------------------------------------------------------------------------


def upload(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def test_import_page_shows_success_summary(client, county, town_a_user):
    client.force_login(town_a_user)
    assert client.get(reverse("org:import")).status_code == 200
    data = xlsx([H_UNIT, H_HEAD, H_ADDRESS], [[GROUP_A, "页面导入", "1号"]])
    response = client.post(
        reverse("org:import"), {"kind": "households", "file": upload("h.xlsx", data)}
    )
    assert response.status_code == 200
    assert response.context["result"].created == 1
    assert Household.objects.filter(head_name="页面导入").exists()


def test_import_page_shows_errors_and_offers_the_report(client, county, town_a_user):
    client.force_login(town_a_user)
    data = xlsx([H_UNIT, H_HEAD, H_ADDRESS], [[GROUP_B, "刘", "1号"], [GROUP_A, "", "2号"]])
    response = client.post(
        reverse("org:import"), {"kind": "households", "file": upload("h.xlsx", data)}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert H_UNIT in body and H_HEAD in body
    report = client.get(reverse("org:import") + "?report=errors")
    assert report.status_code == 200
    ws = load_workbook(io.BytesIO(report.content)).active
    assert [(r[0], r[1]) for r in ws.iter_rows(min_row=2, values_only=True)] == [
        (2, H_UNIT),
        (3, H_HEAD),
    ]


NOT_A_TABLE = "is not an Excel (.xlsx) or CSV file"


@pytest.mark.parametrize(
    "name, data",
    [
        ("photo.xlsx", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64),
        ("photo.png", png_bytes()),
        ("scan.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"),
        ("scan.xlsx", b"%PDF-1.7\n" + bytes(range(256)) * 8),
        ("notes.xlsx", "李畋村一组, 户主李建国\n地址: 李畋村一组8号\n".encode()),
        ("notes.txt", "随便写点什么\n没有表头\n".encode()),
        ("empty.xlsx", b""),
        ("blank.csv", b"  \r\n\r\n"),
    ],
    ids=[
        "png-named-xlsx",
        "png",
        "pdf",
        "binary-named-xlsx",
        "text-named-xlsx",
        "text",
        "empty",
        "blank",
    ],
)
def test_import_page_says_a_file_is_not_a_spreadsheet(client, county, superuser, name, data):
    # Given a file that is no spreadsheet at all
    client.force_login(superuser)
    before = Household.objects.count()
    # When it is uploaded (the page in Chinese)
    response = client.post(
        reverse("org:import"),
        {"kind": "households", "file": upload(name, data)},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    # Then the file field says so in Chinese, not that its headers are wrong
    assert response.status_code == 400
    assert response.context["result"] is None
    errors = response.context["form"].errors["file"]
    assert any("不是Excel（.xlsx）或CSV文件" in e for e in errors), errors
    assert "表头" not in response.content.decode()
    assert Household.objects.count() == before
    with translation.override("en"):
        result = imports.import_file(actor=superuser, kind="households", data=data, filename=name)
    assert NOT_A_TABLE in result.file_problem


def test_import_page_needs_login(client, db):
    response = client.get(reverse("org:import"))
    assert response.status_code == 302


# --- hostile cells -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_control_characters_and_huge_cells_are_row_errors(client, county, superuser, kind, fmt):
    # Given a file whose every cell holds a control character (row 2) or 100,000
    # characters (row 3); Excel writes a control character as _x0007_
    headers = KINDS[kind].headers
    if fmt == "xlsx":
        rows = [[f"值_x0007_{i}" for i in range(len(headers))], ["长" * 100_000] * len(headers)]
        data = xlsx(headers, rows)
    else:
        rows = [[f"值\x07{i}" for i in range(len(headers))], ["长" * 100_000] * len(headers)]
        data = csv_bytes(headers, rows)
    counts = (Unit.objects.count(), Household.objects.count(), Member.objects.count())
    # When it is imported
    result = imports.import_file(actor=superuser, kind=kind, data=data, filename=f"x.{fmt}")
    # Then each such cell is one row error with a short message, and nothing is written
    assert not result.file_problem
    assert errors_of(result) == {(r, h) for r in (2, 3) for h in headers}
    assert len(result.errors) == 2 * len(headers)
    assert all(len(e.message) < 200 for e in result.errors)
    assert (Unit.objects.count(), Household.objects.count(), Member.objects.count()) == counts
    # And the page answers 400 with the rows listed, never 500
    client.force_login(superuser)
    response = client.post(reverse("org:import"), {"kind": kind, "file": upload(f"x.{fmt}", data)})
    assert response.status_code == 400
    assert len(response.context["errors_shown"]) == 2 * len(headers)
