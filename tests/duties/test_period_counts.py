"""The team page says which weeks and months a period counts, and shows this
week's contacts from the month view when the week counts in the next month
(Monday 30 November 2026: its Thursday, 3 December, puts it in December)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import translation

from linli.duties import queries, services, views
from tests.support.roles import Actors

D = dt.date
MONDAY_30_NOV = D(2026, 11, 30)


def counts(kind: str, day: dt.date) -> queries.PeriodCounts:
    start, end = queries.period_range(kind, day)
    with translation.override("zh-hans"):
        return queries.period_counts(kind, start, end)


def test_november_counts_the_weeks_from_2_to_29_november():
    c = counts("month", MONDAY_30_NOV)
    assert c.weeks == "2026年11月：11/2–11/29，共4周"
    # November's middle day holds the fourth quarter's (15 November); no year's.
    assert c.others == "走访：2026年11月 · 议事：2026年第4季度 · 报告：本期不计"


def test_december_counts_the_week_of_30_november_and_the_one_into_january():
    c = counts("month", D(2026, 12, 1))
    assert c.weeks == "2026年12月：11/30–2027/1/3，共5周"
    assert "走访：2026年12月" in c.others and "议事：本期不计" in c.others


def test_a_quarter_and_a_year_name_their_weeks_months_quarters_and_years():
    q = counts("quarter", MONDAY_30_NOV)
    assert q.weeks == "2026年第4季度：9/28–2027/1/3，共14周"
    assert "走访：2026年10月至2026年12月，共3个月" in q.others
    y = counts("year", MONDAY_30_NOV)
    assert y.weeks == "2026年：2025/12/29–2027/1/3，共53周"
    assert y.others == (
        "走访：2026年1月至2026年12月，共12个月 · "
        "议事：2026年第1季度至2026年第4季度，共4个季度 · 报告：2026年"
    )


def test_a_custom_range_without_a_thursday_counts_no_week():
    with translation.override("zh-hans"):
        c = queries.period_counts("custom", D(2026, 3, 2), D(2026, 3, 4))
    assert c.weeks == "3/2–3/4：不含任何一周"


@pytest.mark.django_db
def test_month_view_on_30_november_shows_this_weeks_contacts_counted_in_december(
    client, county, clock, monkeypatch
):
    actors = Actors(county)
    clock.set(MONDAY_30_NOV)
    monkeypatch.setattr(views, "today", lambda: MONDAY_30_NOV)
    for h in county.households_a[:3]:
        services.contact_log(actor=actors.rep, representative=county.rep_a, household=h)
    client.force_login(actors.town)

    html = client.get(reverse("duties:team"), {"period": "month"}).content.decode()
    assert "2026年11月：11/2–11/29，共4周" in html
    block = html[html.index('id="this-week"') :]
    block = block[: block.index("</section>")]
    owed = (
        queries.team_compliance(
            actors.town, unit=county.town_a, start=MONDAY_30_NOV, end=D(2026, 12, 6)
        )
        .total.duties["contacts"]
        .required
    )
    assert owed > 3
    assert f"<b>3/{owed}</b>" in block
    assert "本周（11/30–12/6）已联系户数" in block
    assert "本周计入2026年12月，不计入本期。" in block

    # In December's view (1 December) the same week counts in the period.
    monkeypatch.setattr(views, "today", lambda: D(2026, 12, 1))
    clock.set(D(2026, 12, 1))
    html = client.get(reverse("duties:team"), {"period": "month"}).content.decode()
    assert "本周计入本期。" in html and "2026年12月：11/30–2027/1/3，共5周" in html
    # The week view itself needs no such figure.
    html = client.get(reverse("duties:team"), {"period": "week"}).content.decode()
    assert 'id="this-week"' not in html and "本周：11/30–12/6，共1周" in html
