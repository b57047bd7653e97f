"""A stranger's walk of the command centre (issue 14): what it found, kept fixed.

Refused input on the centre's pages says what was wrong, in Chinese, beside the period
form (not the bare 400 page); the reports list refuses another's unit with a 404 and a
malformed one with a 400; a month outside 2000..2100 is a 400, never a 500; the charts'
series names and the unit labels come translated from the page.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from linli.core.timeutil import today
from linli.dashboard.models import UnitReport
from tests.support.roles import Actors

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def actors(county, reference_data):
    return Actors(county)


def html(response) -> str:
    return response.content.decode()


# --- the centre's pages: a refused period says why, with the form to put it right -------

REFUSED = [
    ({"period": "custom", "start": "2026-11-30", "end": "2026-06-01"}, "结束日期早于开始日期"),
    ({"period": "custom", "start": "2000-01-01", "end": "2099-12-31"}, "统计期间最长"),
    ({"period": "custom", "start": "2026-02-30", "end": "2026-03-31"}, "年-月-日"),
    ({"period": "custom", "start": "0000-01-01", "end": "2026-03-31"}, "年-月-日"),
    ({"period": "custom", "start": "2026-01-01", "end": "9999-12-31"}, "年-月-日"),
    ({"period": "custom", "start": "99999999999999999999", "end": "2026-03-31"}, "年-月-日"),
    ({"period": "century"}, "统计期间无效"),
    ({"unit": "99999999999999999999"}, "单位无效"),
    ({"unit": "-1"}, "单位无效"),
    ({"unit": "\x1b[31m"}, ""),  # the site's input guard: the plain 400 page
]


@pytest.mark.parametrize("params,message", REFUSED)
def test_a_refused_request_says_what_was_wrong_in_chinese(actors, client, params, message):
    client.force_login(actors.city)
    for name, args in (("centre", []), ("centre_screen", []), ("centre_export", ["all"])):
        response = client.get(reverse(name, args=args), params, **ZH)
        assert response.status_code == 400, (name, params, response.status_code)
        body = html(response)
        assert message in body, (name, params)
        if message:
            # The period form again, the dates as given when they look like dates.
            assert 'name="period"' in body and 'name="start"' in body
            assert 'value="99999999999999999999"' not in body


def test_the_refused_form_keeps_the_unit_and_the_dates(actors, client):
    client.force_login(actors.city)
    unit = actors.county.town_a.pk
    params = {"unit": unit, "period": "custom", "start": "2026-11-30", "end": "2026-06-01"}
    body = html(client.get(reverse("centre"), params, **ZH))
    assert f'name="unit" value="{unit}"' in body
    assert 'value="2026-11-30"' in body and 'value="2026-06-01"' in body
    assert '<option value="custom" selected>' in body


def test_the_data_endpoint_answers_json_with_a_code(actors, client):
    client.force_login(actors.town)
    other = actors.county.town_b.pk
    response = client.get(reverse("centre_data"), {"unit": other}, **ZH)
    assert response.status_code == 404
    assert response.json() == {"error": "未找到该单位。", "code": "not_found"}
    response = client.get(
        reverse("centre_data"), {"start": "2026-11-30", "end": "2026-06-01"}, **ZH
    )
    assert response.status_code == 400
    assert response.json()["error"] == "结束日期早于开始日期。"


def test_a_town_cadre_gets_404_for_another_towns_units_everywhere(actors, client):
    client.force_login(actors.town)
    county = actors.county
    for unit in (county.town_b.pk, county.city.pk):
        for name, args in (
            ("centre", []),
            ("centre_data", []),
            ("centre_screen", []),
            ("centre_export", ["children"]),
            ("dashboard_map", []),
            ("dashboard_map_data", []),
            ("dashboard_reports", []),
        ):
            response = client.get(reverse(name, args=args), {"unit": unit}, **ZH)
            assert response.status_code == 404, (name, unit, response.status_code)
            assert county.town_b.name not in html(response), (name, unit)


# --- reports -------------------------------------------------------------------------


def test_the_reports_list_refuses_a_malformed_unit_with_a_message(actors, client):
    client.force_login(actors.town)
    for bad in ("abc", "-1", "99999999999999999999", "1.5"):
        response = client.get(reverse("dashboard_reports"), {"unit": bad}, **ZH)
        assert response.status_code == 400, bad
        assert "单位无效。" in html(response)


@pytest.mark.parametrize("month", ["9999-12", "0001-01", "1999-12", "2101-01"])
def test_a_month_outside_the_years_is_a_400_not_a_500(actors, client, month):
    client.force_login(actors.town)
    body = {"unit": actors.county.town_a.pk, "kind": "month", "month": month}
    response = client.post(reverse("dashboard_report_make"), body, **ZH)
    assert response.status_code == 400
    assert "年份在 2000 至 2100 之间" in html(response)
    assert not UnitReport.objects.exists()


def test_the_units_to_report_on_are_named_with_their_parents(actors, client):
    client.force_login(actors.town)
    body = html(client.get(reverse("dashboard_reports"), **ZH))
    county = actors.county
    village = f"{county.village_a.name}</option>"
    assert village in body
    group = f"{county.village_a.name} / "
    assert group in body  # an area or group under the village, named with it


def test_making_a_report_still_works(actors, client):
    client.force_login(actors.town)
    body = {"unit": actors.county.town_a.pk, "kind": "month", "month": today().strftime("%Y-%m")}
    response = client.post(reverse("dashboard_report_make"), body, **ZH)
    assert response.status_code == 302
    assert UnitReport.objects.filter(unit=actors.county.town_a).count() == 1


# --- translated names for the charts --------------------------------------------------


@pytest.mark.parametrize(
    "headers,names",
    [
        (ZH, ("受理", "结案", "受理诉求数", "未办结诉求")),
        (EN, ("Filed (appeals)", "Closed (appeals)", "Appeals filed", "Open appeals")),
    ],
)
def test_the_chart_series_names_come_from_the_page(actors, client, headers, names):
    client.force_login(actors.city)
    body = html(client.get(reverse("centre"), **headers))
    for key, name in zip(("filed", "closed", "categories", "hotspots"), names, strict=True):
        assert f'data-series-{key}="{name}"' in body, (key, name)
    # The script has no Chinese of its own left.
    from django.contrib.staticfiles import finders

    for script in ("dashboard/centre.js", "dashboard/screen.js", "dashboard/map.js"):
        with open(finders.find(script), encoding="utf-8") as f:
            code = "\n".join(
                line for line in f.read().splitlines() if not line.lstrip().startswith("//")
            )
        assert not any("\u4e00" <= ch <= "\u9fff" for ch in code), script


def test_the_rates_note_names_no_file_of_the_source(actors, client):
    client.force_login(actors.city)
    body = html(client.get(reverse("centre"), **ZH))
    assert "docs/appeals.md" not in body
    assert "诉求统计页口径相同" in body


# --- the map page ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "params,message",
    [
        ({"unit": "abc"}, "单位须以其编号给出。"),
        ({"unit": "99999999999999999999"}, "单位须以其编号给出。"),
        ({"unit": "-1"}, "单位须以其编号给出。"),
        ({"category": "nope"}, "未知的诉求类别。"),
    ],
)
def test_the_map_page_says_which_parameter_was_wrong(actors, client, params, message):
    client.force_login(actors.town)
    response = client.get(reverse("dashboard_map"), params, **ZH)
    assert response.status_code == 400
    assert message in html(response)
