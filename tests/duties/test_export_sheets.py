"""The team export has three sheets: per representative (履职), the roll-up per child
unit with the unit's total (单位汇总), and one row per duty behind or missed
(未完成明细); `core.xlsx` writes several sheets and still writes one."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from linli.accounts.models import AuditLog
from linli.core.xlsx import Sheet, write_xlsx, write_xlsx_sheets
from linli.duties import services
from tests.support.roles import Actors

pytestmark = pytest.mark.django_db


@pytest.fixture
def actors(county):
    return Actors(county)


def export(client, user, **params):
    client.force_login(user)
    r = client.get(reverse("duties:export"), params)
    assert r.status_code == 200
    return load_workbook(io.BytesIO(b"".join(r.streaming_content)))


def rows(ws) -> list[tuple]:
    return list(ws.values)


def test_export_has_the_representatives_the_unit_rollup_and_what_is_behind(client, actors):
    county = actors.county
    for h in county.households_a[:2]:
        services.contact_log(actor=actors.rep, representative=county.rep_a, household=h)

    wb = export(client, actors.town, period="week")

    assert wb.sheetnames == ["履职", "单位汇总", "未完成明细"]
    reps = rows(wb["履职"])
    assert len(reps) == 2 and reps[1][0] == county.rep_a.name and reps[1][2:4] == (6, 2)

    units = rows(wb["单位汇总"])
    assert units[0][:6] == (
        "单位",
        "代表人数",
        "未达标人数",
        "每周联系应完成",
        "每周联系已完成",
        "每周联系完成率(%)",
    )
    # One row per child unit of the town (its village), then the town's total.
    assert [r[0] for r in units[1:]] == [county.village_a.name, f"{county.town_a.name}（合计）"]
    village, total = units[1], units[2]
    assert village[1:6] == (1, 1, 6, 2, 33.3)
    assert total[1:] == village[1:]  # the town has one village

    behind = rows(wb["未完成明细"])
    assert behind[0][:8] == (
        "代表",
        "所属单位",
        "履职事项",
        "应完成",
        "已完成",
        "未完成",
        "完成率(%)",
        "状态",
    )
    contacts = [r for r in behind[1:] if r[2] == "每周联系"]
    assert contacts == [
        (county.rep_a.name, county.group_a.name, "每周联系", 6, 2, 4, 33.3, "滞后", *reps[1][-2:])
    ]
    # Only duties that are behind or missed are listed, and only this town's.
    assert all(r[7] in ("滞后", "未完成") for r in behind[1:])
    assert all(r[0] != county.rep_b.name for r in behind[1:])
    log = AuditLog.objects.get(action="export.duties")
    assert log.detail["rows"] == 1 and log.detail["behind"] == len(behind) - 1


def test_city_rollup_has_a_row_per_town(client, actors):
    county = actors.county
    services.contact_log(
        actor=actors.rep, representative=county.rep_a, household=county.households_a[0]
    )
    wb = export(client, actors.city, period="week")
    units = rows(wb["单位汇总"])
    assert [r[0] for r in units[1:]] == [
        county.town_a.name,
        county.town_b.name,
        f"{county.city.name}（合计）",
    ]
    town_a, town_b, total = units[1:]
    assert (town_a[3:5], town_b[3:5], total[3:5]) == ((6, 1), (6, 0), (12, 1))
    names = {r[0] for r in rows(wb["未完成明细"])[1:]}
    assert names == {county.rep_a.name, county.rep_b.name}


def test_write_xlsx_sheets_writes_each_sheet_and_write_xlsx_still_writes_one():
    out, counts = write_xlsx_sheets(
        [
            Sheet("甲", ["名称", "数量"], iter([["a", 1], ["b", 2]]), ("名称",)),
            ("乙", ["备注"], [["x"]]),
            ("丙", ["空"], []),
        ]
    )
    wb = load_workbook(out)
    assert counts == [2, 1, 0] and wb.sheetnames == ["甲", "乙", "丙"]
    assert rows(wb["甲"]) == [("名称", "数量"), ("a", 1), ("b", 2)]
    assert wb["甲"].column_dimensions["A"].width == 28 and wb["甲"].freeze_panes == "A2"
    assert rows(wb["丙"]) == [("空",)]

    out, count = write_xlsx(["列"], [["v"]], sheet="单表")
    wb = load_workbook(out)
    assert count == 1 and wb.sheetnames == ["单表"] and rows(wb.active) == [("列",), ("v",)]
