"""Excel exports: only in-scope rows, personal data masked, audited."""

from __future__ import annotations

import io
import itertools

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from linli.accounts.models import AuditLog, Role
from linli.org import imports, services
from linli.org.models import UnitKind
from tests.support import factories
from tests.support.factories import valid_id_number
from tests.support.queries import assert_queries_flat
from tests.support.roles import make_user

KINDS = ["units", "households", "members", "representatives", "links", "places", "teams"]


@pytest.fixture
def town_a_user(county):
    return make_user("13700000201", "大瑶镇干部", Role.TOWN, county.town_a)


def download(client, kind: str, query: str = ""):
    response = client.get(reverse("org:export", args=[kind]) + query)
    assert response.status_code == 200, response.status_code
    data = b"".join(response.streaming_content)
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    return response, rows[0], rows[1:]


def cells(rows) -> str:
    return "\n".join(" ".join("" if v is None else str(v) for v in row) for row in rows)


@pytest.mark.parametrize("kind", KINDS)
def test_export_holds_only_rows_in_scope(client, county, town_a_user, kind):
    client.force_login(town_a_user)
    response, header, rows = download(client, kind)
    text = cells(rows)
    assert rows
    assert "永和镇" not in text and "佳成村" not in text and "刘" not in text
    assert "filename*=utf-8''" in response["Content-Disposition"].lower()
    audit = AuditLog.objects.get(action=f"export.{kind}")
    assert audit.actor == town_a_user and audit.detail["rows"] == len(rows)


@pytest.mark.parametrize("kind", ["members", "representatives", "links"])
def test_export_masks_id_numbers_and_phones(client, county, superuser, kind):
    client.force_login(superuser)
    _response, header, rows = download(client, kind)
    text = cells(rows)
    for seq in (1, 2):
        assert valid_id_number(seq) not in text
        assert valid_id_number(seq)[:6] + "********" in text
    assert "13800138001" not in text and "13800138002" not in text
    if kind != "links":
        assert "138****8001" in text


def test_household_export_uses_the_list_filters(client, county, town_a_user):
    client.force_login(town_a_user)
    _r, header, rows = download(client, "households", "?tag=elderly_alone")
    assert header[:4] == [imports.H_HOUSEHOLD, imports.H_UNIT, imports.H_HEAD, imports.H_ADDRESS]
    assert [r[2] for r in rows] == ["李0"]
    assert rows[0][1] == "浏阳市/大瑶镇/李畋村/一组"
    assert rows[0][4] == "独居老人" and rows[0][7] == "李大祥"
    _r, _h, rows = download(client, "households", "?covered=no")
    assert [r[2] for r in rows] == ["李6"] and rows[0][7] is None


def test_representative_export_counts_active_households(client, county, superuser):
    client.force_login(superuser)
    _r, header, rows = download(client, "representatives")
    counts = {r[0]: r[header.index("当前联户数")] for r in rows}
    assert counts == {"李大祥": 6, "刘生辉": 6}


def test_representative_sees_only_their_households(client, county):
    user = make_user("13700000202", "李大祥", Role.REPRESENTATIVE, county.group_a)
    county.rep_a.user = user
    county.rep_a.save(update_fields=["user"])
    client.force_login(user)
    _r, _h, rows = download(client, "households")
    assert sorted(r[2] for r in rows) == [f"李{n}" for n in range(6)]


def test_household_export_reimports_as_member_references(client, county, superuser):
    # The household number of the export is what member and link imports take.
    client.force_login(superuser)
    _r, _h, rows = download(client, "households", "?q=李6")
    number = rows[0][0]
    data = f"户编号,姓名\n{number},李小六\n".encode()
    result = imports.import_file(actor=superuser, kind="members", data=data)
    assert result.ok, result.errors
    assert county.households_a[6].members.filter(name="李小六").exists()


def test_export_of_a_unit_out_of_scope_is_404(client, county, town_a_user):
    client.force_login(town_a_user)
    url = reverse("org:export", args=["households"])
    assert client.get(f"{url}?unit={county.town_b.pk}").status_code == 404
    assert client.get(reverse("org:export", args=["users"])).status_code == 404


def test_export_needs_login(client, county):
    assert client.get(reverse("org:export", args=["households"])).status_code == 302


@pytest.mark.parametrize("kind", KINDS)
def test_export_query_count_does_not_grow_with_rows(client, county, superuser, kind):
    units = ["浏阳市/大瑶镇/李畋村/一组", "浏阳市/永和镇/佳成村/大屋组", "浏阳市/大瑶镇"]
    seq = itertools.count()

    def build(n):
        # n households with a member each in several units, n representatives with
        # their links, n villages.
        batch = [next(seq) for _ in range(n)]
        homes = "\n".join(f"{units[i % 3]},户{i},{i}号" for i in batch)
        data = f"{imports.H_UNIT},{imports.H_HEAD},{imports.H_ADDRESS}\n{homes}\n".encode()
        assert imports.import_file(actor=superuser, kind="households", data=data).ok
        people = "\n".join(f"{units[i % 3]},户{i},{i}号,成员{i}" for i in batch)
        data = f"所属单位,户主姓名,地址,姓名\n{people}\n".encode()
        assert imports.import_file(actor=superuser, kind="members", data=data).ok
        factories.add_representatives(county, n)
        for i in batch:
            services.unit_create(
                actor=superuser, parent=county.town_a, kind=UnitKind.VILLAGE, name=f"新村{i}"
            )

    client.force_login(superuser)
    # Session, user, scope, unit names, rows, audit: the same for any number of rows.
    assert_queries_flat(build, lambda: download(client, kind))


def test_member_export_gives_age_not_birth_date(county, superuser, client):
    """The masked ID number hides exactly the birth date; exporting it would unmask."""
    import io

    import openpyxl

    client.force_login(superuser)
    response = client.get("/org/export/members.xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(
        io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content)
    ).active
    header = [c.value for c in sheet[1]]
    assert "出生日期" not in header and "年龄" in header
    assert "19800101" not in "".join(str(c.value) for row in sheet.iter_rows() for c in row)
