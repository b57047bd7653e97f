"""A unit's monthly and quarterly report: the same numbers as the domains', read back
from the generated Excel and PDF; written once by the tick; scoped to the viewer."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from linli.accounts.models import AuditLog
from linli.core.timeutil import today
from linli.dashboard import reports, services
from linli.dashboard.models import UnitReport
from tests.support import factories
from tests.support.roles import Actors

pytestmark = pytest.mark.django_db


@pytest.fixture
def actors(county, reference_data):
    return Actors(county)


def _pdf_text(data: bytes) -> str:
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def test_the_periods():
    assert reports.period_of("month", dt.date(2026, 11, 30)) == (
        dt.date(2026, 11, 1), dt.date(2026, 11, 30)
    )  # fmt: skip
    assert reports.period_of("month", dt.date(2026, 12, 5)) == (
        dt.date(2026, 12, 1), dt.date(2026, 12, 31)
    )  # fmt: skip
    assert reports.period_of("quarter", dt.date(2026, 11, 30)) == (
        dt.date(2026, 10, 1), dt.date(2026, 12, 31)
    )  # fmt: skip
    assert reports.previous_period("quarter", dt.date(2026, 1, 1)) == (
        dt.date(2025, 10, 1), dt.date(2025, 12, 31)
    )  # fmt: skip


def test_a_towns_report_holds_its_numbers_in_excel_and_pdf(actors, county):
    factories.appeal(county.households_a[1], description="井盖坏了，请尽快处理。")
    factories.appeal(county.households_a[2], description="路灯不亮，晚上很黑。")
    factories.appeal(county.households_b[0], description="另一个镇的诉求，不应计入。")
    report = services.report_generate(unit=county.town_a, kind="month", day=today())
    assert report.numbers["rates"]["filed"] == 2
    assert report.numbers["unit"]["name"] == county.town_a.name

    wb = load_workbook(io.BytesIO(bytes(report.xlsx)))
    rates = list(wb.worksheets[0].iter_rows(values_only=True))
    assert rates[1][0].startswith(county.town_a.name) and rates[1][1] == 2
    text = _pdf_text(bytes(report.pdf))
    assert county.town_a.name in text and county.town_b.name not in text

    again = services.report_generate(
        unit=county.town_a, kind="month", day=today(), actor=actors.town
    )
    assert again.pk == report.pk and UnitReport.objects.count() == 1  # made again, replaced
    assert AuditLog.objects.filter(action="dashboard.report").count() == 1


def test_the_tick_writes_last_months_and_quarters_reports_once(actors, county):
    first_of_next = reports.period_of("month", today())[1] + dt.timedelta(days=1)
    written = services.reports_tick(day=first_of_next)["written"]
    tick_units = {county.city.pk, county.town_a.pk, county.town_b.pk}
    monthly = UnitReport.objects.filter(kind="month")
    assert {r.unit_id for r in monthly} >= tick_units
    assert all(r.period_start == reports.period_of("month", today())[0] for r in monthly)
    assert written == UnitReport.objects.count()
    assert services.reports_tick(day=first_of_next)["written"] == 0


def test_reports_are_scoped_and_bad_input_is_a_clear_400(client, actors, county):
    report = services.report_generate(unit=county.town_a, kind="month", day=today())
    client.force_login(actors.town_b)
    assert client.get(f"/dashboard/reports/{report.pk}/pdf/").status_code == 404
    assert client.get(f"/dashboard/reports/{report.pk}/xlsx/").status_code == 404
    listing = client.get("/dashboard/reports/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert f"/dashboard/reports/{report.pk}/pdf/" not in listing
    made = client.post(
        "/dashboard/reports/make/", {"unit": county.town_a.pk, "kind": "month", "month": "2026-11"}
    )
    assert made.status_code == 404  # not their town

    client.force_login(actors.town)
    listing = client.get("/dashboard/reports/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert f"/dashboard/reports/{report.pk}/pdf/" in listing
    pdf = client.get(f"/dashboard/reports/{report.pk}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert county.town_a.name in _pdf_text(b"".join(pdf.streaming_content))
    for bad in ({"month": "9999-99"}, {"month": "\x00"}, {"kind": "year"}, {"month": ""}):
        body = {"unit": county.town_a.pk, "kind": "month", "month": "2026-11", **bad}
        r = client.post("/dashboard/reports/make/", body, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert r.status_code == 400, bad
    future = (today() + dt.timedelta(days=70)).strftime("%Y-%m")
    r = client.post(
        "/dashboard/reports/make/", {"unit": county.town_a.pk, "kind": "month", "month": future}
    )
    assert r.status_code == 400
    ok = client.post(
        "/dashboard/reports/make/",
        {"unit": county.village_a.pk, "kind": "quarter", "month": today().strftime("%Y-%m")},
    )
    assert ok.status_code == 302
    assert UnitReport.objects.filter(unit=county.village_a, kind="quarter").exists()
