"""The Excel exports answer for what is already stored.

Rows written before the input checks (or by a path that skips them: the admin, a
migration, a raw import) may hold characters a workbook cannot: C0 controls, DEL
and C1 controls, lone surrogates. openpyxl refuses them, so each export used to
answer 500 for the whole unit. The values are stored here through the ORM, under
every check, and each export must still answer 200 with a workbook that opens.
"""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.urls import reverse
from openpyxl import load_workbook

from linli.accounts.models import Role
from linli.appeals.models import Appeal
from linli.core.xlsx import cell_value, clean_text, write_xlsx
from linli.org.models import Household, Member, Unit
from tests.support import factories
from tests.support.roles import make_user

# What a database can hold (no lone surrogate anywhere, no NUL in PostgreSQL).
_NUL = "\x00" if connection.vendor == "sqlite" else "\x02"
DIRTY = f"坏{_NUL}字\x01符\x08\x0b\x0c\x1b\x7f\x85\x9f尾"


def _workbook(response):
    assert response.status_code == 200, response.status_code
    data = b"".join(response.streaming_content)
    return load_workbook(io.BytesIO(data))


def _text(wb) -> str:
    return "\n".join(
        " ".join("" if v is None else str(v) for v in row)
        for ws in wb.worksheets
        for row in ws.iter_rows(values_only=True)
    )


@pytest.fixture
def cadre(client, county):
    user = make_user("13700000301", "大瑶镇干部", Role.TOWN, county.town_a)
    client.force_login(user)
    return user


def test_clean_text_keeps_what_a_cell_holds():
    assert clean_text("a\tb\nc\rd") == "a\tb\nc\rd"
    assert clean_text(DIRTY + "\ud800") == "坏\ufffd字\ufffd符" + "\ufffd" * 7 + "尾\ufffd"
    assert len(clean_text("x" * 40000)) == 32767


def test_a_formula_stays_text():
    out, count = write_xlsx(["h"], [['=HYPERLINK("http://x","y")'], ["=1+1"]], sheet="s")
    ws = load_workbook(out).worksheets[0]
    assert count == 2
    assert [c.data_type for c in ws["A"][1:]] == ["s", "s"]
    assert cell_value(None, 3) == 3


def test_appeals_export_with_control_characters_stored(client, county, cadre):
    appeal = factories.appeal(county.households_a[1])
    Appeal.objects.filter(pk=appeal.pk).update(description=DIRTY, address=DIRTY)
    wb = _workbook(client.get(reverse("appeals:export")))
    assert "坏\ufffd字" in _text(wb)


@pytest.mark.parametrize("kind", ["households", "members", "units", "places", "links"])
def test_org_exports_with_control_characters_stored(client, county, cadre, kind):
    Household.objects.filter(pk=county.households_a[0].pk).update(head_name=DIRTY, address=DIRTY)
    Member.objects.filter(pk=county.member_a.pk).update(name=DIRTY)
    Unit.objects.filter(pk=county.village_a.pk).update(name="李畋村" + DIRTY)
    wb = _workbook(client.get(reverse("org:export", args=[kind])))
    assert "\ufffd" in _text(wb)


def test_duties_export_with_control_characters_stored(client, county, cadre):
    Unit.objects.filter(pk=county.town_a.pk).update(name="Town\x01\n" + DIRTY)
    Member.objects.filter(pk=county.member_a.pk).update(name=DIRTY)
    response = client.get(reverse("duties:export"), {"unit": county.town_a.pk})
    wb = _workbook(response)
    assert "\ufffd" in _text(wb)


def test_the_import_error_report_holds_any_quoted_value():
    from linli.org import imports

    data = imports.errors_xlsx([{"row": 2, "column": "姓名", "message": "不认识：" + DIRTY}])
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    assert "\ufffd" in str(ws["C2"].value)


@pytest.mark.parametrize("kind", ["households", "members", "links"])
def test_the_import_template_names_units_whatever_they_hold(client, county, kind):
    from linli.accounts.models import Role

    user = make_user("13700000302", "一组干部", Role.VILLAGE, county.village_a)
    client.force_login(user)
    Unit.objects.filter(pk=county.group_a.pk).update(name="一组" + DIRTY)
    response = client.get(reverse("org:import_template", args=[kind, "xlsx"]))
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content))
    assert "\ufffd" in _text(wb)
