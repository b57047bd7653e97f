"""The command centre (issue 14): numbers on a hand-made set equal the hand-worked ones,
scope and drill-down, hostile input, the Excel tables and the number of queries."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from linli.accounts.models import Role
from linli.appeals.models import Appeal
from linli.dashboard import centre
from linli.doorbell.models import Alarm
from tests.support import factories
from tests.support.roles import make_user

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
MARCH = {"period": "custom", "start": "2026-03-01", "end": "2026-03-31"}
TZ = timezone.get_current_timezone()


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), tzinfo=TZ)


def made(household, unit, **fields) -> Appeal:
    """An appeal filed from `household`, then set by hand to the state the test needs."""
    appeal = factories.appeal(household)
    fields.setdefault("unit", unit)
    Appeal.objects.filter(pk=appeal.pk).update(**fields)
    return Appeal.objects.get(pk=appeal.pk)


def closed(created: str, claimed_h: int, resolved_h: int, level: str, on_time: bool, rating: int):
    c = at(created)
    return dict(
        created_at=c,
        first_claim_due_at=c + dt.timedelta(hours=24),
        first_claimed_at=c + dt.timedelta(hours=claimed_h),
        resolved_at=c + dt.timedelta(hours=resolved_h),
        resolved_level=level,
        reached_level=level,
        resolved_on_time=on_time,
        status="closed",
        level=level,
        closed_at=c + dt.timedelta(hours=resolved_h + 24),
        rating=rating,
    )


@pytest.fixture
def world(county):
    """March 2026: town A (village A) has a1 (claimed in time, resolved in 48 h at the
    group, on time), a2 (claimed late, resolved in 72 h at the village, late), a3 (still
    waiting, overdue), a4 (withdrawn: not counted); town B has b1 (claimed in time,
    resolved in 48 h at the town, on time). February: p1 in town A, claimed in time,
    still in progress and overdue. Now: n1 waiting at town A, due in 10 h, filed today;
    c1 filed last year, closed today."""
    now = timezone.now()
    ha, hb = county.households_a[0], county.households_b[0]
    ga, gb = county.group_a, county.group_b
    w = type("W", (), {})()
    w.county = county
    w.a1 = made(ha, ga, **closed("2026-03-02", 2, 48, "group", True, 5))
    w.a2 = made(ha, county.village_a, **closed("2026-03-05", 30, 72, "village", False, 4))
    w.a3 = made(
        ha,
        ga,
        created_at=at("2026-03-10"),
        first_claim_due_at=at("2026-03-11"),
        status="pending",
        level="group",
        due_at=at("2026-03-20"),
    )
    w.a4 = made(ha, ga, created_at=at("2026-03-12"), status="withdrawn", level="group")
    w.b1 = made(hb, county.town_b, **closed("2026-03-03", 1, 48, "town", True, 5))
    w.p1 = made(
        ha,
        county.village_a,
        created_at=at("2026-02-10"),
        first_claim_due_at=at("2026-02-11"),
        first_claimed_at=at("2026-02-10", 12),
        status="in_progress",
        level="village",
        due_at=at("2026-02-20"),
    )
    w.n1 = made(
        ha,
        county.town_a,
        created_at=now - dt.timedelta(minutes=5),
        status="pending",
        level="town",
        due_at=now + dt.timedelta(hours=10),
    )
    w.c1 = made(
        hb,
        gb,
        created_at=at("2025-06-01"),
        status="closed",
        level="group",
        closed_at=now - dt.timedelta(minutes=1),
    )
    w.alarm = Alarm.objects.create(
        household=ha, unit=ha.unit, status="raised", raised_at=now - dt.timedelta(minutes=15)
    )
    w.city = make_user("13622220001", "市指挥中心", Role.CITY, county.city)
    w.town_a = make_user("13622220002", "甲镇领导", Role.TOWN, county.town_a)
    w.town_b = make_user("13622220003", "乙镇领导", Role.TOWN, county.town_b)
    w.village_a = make_user("13622220004", "甲村干部", Role.VILLAGE, county.village_a)
    return w


def data(client, user, **params):
    client.force_login(user)
    response = client.get(reverse("centre_data"), params, **ZH)
    assert response.status_code == 200, response.content
    return response.json()


def by_key(rows, key="key"):
    return {r[key]: r for r in rows}


# --- the numbers ----------------------------------------------------------------------


def test_the_city_rates_equal_the_hand_worked_values(world, client):
    d = data(client, world.city, **MARCH)
    assert d["unit"]["name"] == "浏阳市"
    total = d["rates"]["total"]
    # Filed: a1, a2, a3, b1 (a4 withdrawn); claimed in time: a1, b1; resolved: a1, a2, b1.
    assert (total["filed"], total["resolved"]) == (4, 3)
    rates = by_key(d["rates"]["rates"])
    assert rates["response_rate"]["value"] == 50.0
    assert rates["resolution_rate"]["value"] == 75.0
    assert rates["on_time_rate"]["value"] == 66.7
    assert rates["mean_hours_to_resolve"]["value"] == 56.0  # (48 + 72 + 48) / 3
    # The previous 31 days (29 January to 28 February): p1 only, claimed in time.
    assert d["previous"]["start"] == "2026-01-29" and d["previous"]["end"] == "2026-02-28"
    assert rates["response_rate"]["previous"] == 100.0
    assert rates["response_rate"]["change"] == -50.0
    levels = by_key(d["rates"]["levels"])
    assert [levels[lv]["share"] for lv in ("group", "village", "town", "city")] == [
        33.3,
        33.3,
        33.3,
        0.0,
    ]
    assert levels["group"]["motto"] == "微事不出邻"
    # Every rate the appeals app computes is shown, whatever it holds.
    assert [r["key"] for r in d["rates"]["rates"]][:-1] == [k for k in total if k.endswith("_rate")]


def test_per_child_rates_rankings_and_units_falling_behind(world, client):
    d = data(client, world.city, **MARCH)
    a = next(c for c in d["children"] if c["unit_id"] == world.county.town_a.pk)
    b = next(c for c in d["children"] if c["unit_id"] == world.county.town_b.pk)
    assert (a["filed"], a["response_rate"], a["resolution_rate"], a["on_time_rate"]) == (
        3,
        33.3,
        66.7,
        50.0,
    )
    assert (b["filed"], b["response_rate"], b["resolution_rate"], b["on_time_rate"]) == (
        1,
        100.0,
        100.0,
        100.0,
    )
    ranking = by_key(d["rankings"])["response_rate"]
    assert [r["unit_id"] for r in ranking["rows"]] == [b["unit_id"], a["unit_id"]]
    assert ranking["parent"] == 50.0
    # Town A: response 33.3 vs 50 and on time 50 vs 66.7 are 10 points or more below;
    # resolution 66.7 vs 75 is not.
    [behind] = d["behind"]
    assert behind["unit_id"] == a["unit_id"]
    assert {g["key"] for g in behind["gaps"]} >= {"response_rate", "on_time_rate"}
    assert "resolution_rate" not in {g["key"] for g in behind["gaps"]}


def test_now_figures_trend_categories_hot_spots_and_alarms(world, client):
    d = data(client, world.town_a, unit=world.county.town_a.pk, **MARCH)
    now = d["now"]
    # Open in town A: a3 (pending, overdue), p1 (in progress, overdue), n1 (pending, due in 10 h).
    assert (now["open"], now["overdue"], now["due_soon"]) == (3, 2, 1)
    assert (now["new_today"], now["closed_today"], now["waiting_here"]) == (1, 0, 1)
    assert by_key(now["by_status"])["pending"]["count"] == 2
    assert by_key(now["by_level"])["village"]["count"] == 1
    assert by_key(now["by_level"])["town"]["count"] == 1
    # c1 closed today, in town B: the city sees it.
    assert data(client, world.city)["now"]["closed_today"] == 1
    # The doorbell: one alarm pressed 15 minutes ago.
    assert d["alarms"]["count"] == 1
    assert d["alarms"]["rows"][0]["minutes"] in (15, 16)
    trend = d["trend"]
    assert trend["step"] == "day" and len(trend["rows"]) == 31
    days = {r["day"]: r for r in trend["rows"]}
    assert (
        days["2026-03-02"]["filed"] == 1 and days["2026-03-05"]["closed"] == 1
    )  # a1 closed 72 h after filing
    assert sum(r["filed"] for r in trend["rows"]) == 4  # a1, a2, a3, a4 (withdrawn counts)
    assert [c["count"] for c in d["categories"]] == [4]
    # Village A holds all three open appeals (n1 comes from its group, sent up to the town).
    assert d["hotspots"] == [
        {"id": world.county.village_a.pk, "name": world.county.village_a.name, "count": 3}
    ]


def test_a_year_is_charted_per_week(world, client):
    d = data(client, world.city, period="custom", start="2026-01-01", end="2026-12-31")
    assert d["trend"]["step"] == "week"
    assert sum(r["filed"] for r in d["trend"]["rows"]) == 7  # every appeal filed in 2026


def test_the_default_period_is_this_month_up_to_today():
    today = dt.date(2026, 5, 17)
    p = centre.parse_period({}, today)
    assert (p.kind, p.start, p.end) == ("month", dt.date(2026, 5, 1), today)
    # Compared with as many days from the start of the period before.
    prev = p.previous()
    assert (prev.start, prev.end) == (dt.date(2026, 4, 1), dt.date(2026, 4, 17))
    q = centre.parse_period({"period": "quarter"}, today)
    assert (q.start, q.end) == (dt.date(2026, 4, 1), today)
    assert (q.previous().start, q.previous().end) == (dt.date(2026, 1, 1), dt.date(2026, 2, 16))
    y = centre.parse_period({"period": "year"}, today)
    assert y.start == dt.date(2026, 1, 1)
    assert (y.previous().start, y.previous().end) == (dt.date(2025, 1, 1), dt.date(2025, 5, 17))
    # A whole month against the whole month before, cut at its end.
    march = centre.parse_period({"period": "month"}, dt.date(2026, 3, 31))
    assert (march.previous().start, march.previous().end) == (
        dt.date(2026, 2, 1),
        dt.date(2026, 2, 28),
    )
    # A custom period: the same length just before.
    c = centre.parse_period({"start": "2026-03-10", "end": "2026-03-19"}, today)
    assert (c.previous().start, c.previous().end) == (dt.date(2026, 2, 28), dt.date(2026, 3, 9))


# --- scope and drill-down ------------------------------------------------------------------


def test_a_town_leader_sees_nothing_of_other_towns(world, client):
    d = data(client, world.town_b, **MARCH)
    assert d["unit"]["id"] == world.county.town_b.pk
    assert d["rates"]["total"]["filed"] == 1
    assert d["now"]["open"] == 0 and d["alarms"]["count"] == 0
    assert world.county.village_a.name not in str(d)
    for name in ("centre", "centre_data"):
        response = client.get(reverse(name), {"unit": world.county.town_a.pk}, **ZH)
        assert response.status_code == 404, name
    response = client.get(
        reverse("centre_export", args=["all"]), {"unit": world.county.village_a.pk}, **ZH
    )
    assert response.status_code == 404
    # Their page leads with their town and never names town A's village.
    body = client.get(reverse("centre"), **ZH).content.decode()
    assert world.county.town_b.name in body and world.county.village_a.name not in body


def test_drill_down_from_the_city_to_a_town_and_a_village(world, client):
    client.force_login(world.city)
    body = client.get(reverse("centre"), MARCH, **ZH).content.decode()
    link = f'href="?unit={world.county.town_a.pk}&amp;period=custom&amp;start=2026-03-01'
    assert link in body
    body = client.get(reverse("centre"), {"unit": world.county.town_a.pk, **MARCH}, **ZH)
    assert body.status_code == 200
    html = body.content.decode()
    assert f'href="?unit={world.county.village_a.pk}&amp;' in html
    assert "上一级" in html  # up to the city
    # A village cadre sees the village, not the town above it.
    d = data(client, world.village_a, **MARCH)
    assert d["unit"]["id"] == world.county.village_a.pk and d["unit"]["parent_id"] is None
    client.force_login(world.village_a)
    assert client.get(reverse("centre"), {"unit": world.county.town_a.pk}).status_code == 404


def test_representatives_are_refused(world, client, user_in_town_a):
    client.force_login(user_in_town_a(Role.REPRESENTATIVE))
    for name in ("centre", "centre_data"):
        assert client.get(reverse(name)).status_code == 403


def test_the_page_shows_every_part(world, client):
    client.force_login(world.city)
    response = client.get(reverse("centre"), MARCH, **ZH)
    html = response.content.decode()
    for text in (
        "指挥调度中心",
        "超期",
        "微事不出邻",
        "难事不出市",
        "履职达标率",
        "户覆盖率",
        "排名",
        "落后单位",
        'data-chart="trend"',
        "centre.js",
        "echarts.min.js",
    ):
        assert text in html, text
    assert "<script>" not in html  # the CSP forbids inline scripts


# --- hostile input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"unit": "abc"},
        {"unit": "1 OR 1=1"},
        {"unit": "-3"},
        {"unit": "1\x00"},
        {"period": "decade"},
        {"period": "custom", "start": "2026-13-01", "end": "2026-12-31"},
        {"period": "custom", "start": "2026-03-01"},
        {"start": "1900-01-01", "end": "2026-01-01"},
        {"start": "2026-03-31", "end": "2026-03-01"},
        {"start": "2020-01-01", "end": "2026-01-01"},
        {"start": "２０２６-01-01", "end": "2026-01-02"},
        {"start": "2026-01-01'--", "end": "2026-01-02"},
    ],
)
def test_hostile_parameters_get_a_clear_400(world, client, params):
    client.force_login(world.city)
    for name, args in (("centre", []), ("centre_data", []), ("centre_export", ["trend"])):
        response = client.get(reverse(name, args=args), params, **ZH)
        assert response.status_code == 400, (name, params, response.status_code)
    # Said in Chinese (a NUL is refused by the site's input guard before the view).
    response = client.get(reverse("centre_data"), params, **ZH)
    error = response.json()["error"] if response["Content-Type"] == "application/json" else ""
    error = error or response.content.decode()
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error), error


def test_an_unknown_unit_or_table_is_404(world, client):
    client.force_login(world.city)
    assert client.get(reverse("centre"), {"unit": 10**9}).status_code == 404
    assert client.get(reverse("centre_data"), {"unit": 10**9}).status_code == 404
    assert client.get(reverse("centre_export", args=["passwords"])).status_code == 404


# --- Excel -----------------------------------------------------------------------------------


def workbook(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def test_the_excel_tables_hold_the_numbers(world, client):
    client.force_login(world.city)
    wb = workbook(client.get(reverse("centre_export", args=["all"]), MARCH, **ZH))
    assert len(wb.sheetnames) == len(centre.TABLES)
    children = {row[0]: row for row in wb["按下级单位"].iter_rows(min_row=2, values_only=True)}
    town_a = children[world.county.town_a.name]
    assert town_a[1:5] == (3, 2, 3, 2)  # open now, overdue now, filed, resolved
    headers = next(wb["按下级单位"].iter_rows(max_row=1, values_only=True))
    assert town_a[headers.index("响应率")] == 33.3
    rates = {row[0]: row[1:] for row in wb["各项比率"].iter_rows(min_row=2, values_only=True)}
    assert rates["响应率"] == (50, 100)
    trend = list(wb["趋势"].iter_rows(min_row=2, values_only=True))
    assert len(trend) == 31 and sum(r[1] for r in trend) == 5  # a1-a4 and b1
    # One table alone, as the chart's link downloads it.
    wb = workbook(client.get(reverse("centre_export", args=["hotspots"]), MARCH, **ZH))
    assert list(wb.active.iter_rows(min_row=2, values_only=True)) == [
        (world.county.village_a.name, 3)
    ]


# --- aggregate queries -------------------------------------------------------------------------


def test_the_data_endpoint_runs_a_bounded_number_of_queries(
    world, client, django_assert_max_num_queries
):
    client.force_login(world.city)
    url = reverse("centre_data")
    params = {"period": "custom", "start": "2026-01-01", "end": "2026-12-31"}
    client.get(url, params)  # warm the duty rollup and the caches
    with CaptureQueriesContext(connection) as before:
        assert client.get(url, params).status_code == 200
    # Forty more appeals across the year: not one query more.
    for i in range(40):
        made(
            world.county.households_a[i % 6],
            world.county.group_a,
            created_at=at("2026-01-05") + dt.timedelta(days=7 * i),
            status="pending",
            level="group",
        )
    with django_assert_max_num_queries(len(before.captured_queries)):
        assert client.get(url, params).status_code == 200
    with django_assert_max_num_queries(60):
        assert client.get(url, params).status_code == 200


def test_each_child_unit_has_its_rates_of_the_previous_period(client, world):
    """March 1-28 against the 28 days before (February): town A's February holds p1,
    claimed in time and still in progress: response 100 %, resolution 0 %."""
    d = data(client, world.city, period="custom", start="2026-03-01", end="2026-03-28")
    town_a = next(c for c in d["children"] if c["unit_id"] == world.county.town_a.pk)
    assert d["previous"]["start"] == "2026-02-01"
    assert town_a["previous"]["response_rate"] == 100.0
    assert town_a["previous"]["resolution_rate"] == 0.0
    town_b = next(c for c in d["children"] if c["unit_id"] == world.county.town_b.pk)
    assert town_b["previous"]["response_rate"] is None  # nothing filed in February
