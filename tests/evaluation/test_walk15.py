"""Walk 15 (the evaluation, the fund and training as a stranger reads them): "why this
score" shows the fund in yuan, not fen, and training in minutes; the chosen year of the year tabs (the ranking, the weights, the fund's pages, the training
plans) is marked active, not a white button on the white tabs where it could not be
read."""

from __future__ import annotations

import re

import pytest

from linli.core.timeutil import today
from linli.evaluation import selectors, services
from linli.funds import services as funds

YEAR = today().year


def _get(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params, HTTP_ACCEPT_LANGUAGE="zh-hans")


@pytest.fixture
def scored_with_fund(actors, county):
    funds.fund_spend(
        actor=actors.rep, representative=county.rep_a, amount_fen=1250, day=today(), purpose="买药"
    )
    services.scores_compute(YEAR)
    return county


def _get(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params, HTTP_ACCEPT_LANGUAGE="zh-hans")


def test_the_fund_part_is_in_yuan_and_training_in_minutes(client, actors, scored_with_fund, zh):
    score = selectors.score_get(actors.village, scored_with_fund.rep_a.pk, YEAR)
    rows = {p.name: p for p in selectors.breakdown(score)}
    assert rows["funds"].figures == "12.50 / 200.00 元"
    assert rows["activities"].figures == f"{rows['activities'].num} / {rows['activities'].den}"
    r = _get(client, actors.village, f"/evaluation/{YEAR}/{scored_with_fund.rep_a.pk}/")
    page = r.content.decode()
    funds_row = re.search(r'id="part-funds">(.*?)</tr>', page, re.S).group(1)
    assert "12.50 / 200.00 元" in funds_row and "1250 / 20000" not in funds_row


def test_training_minutes_say_minutes(zh):
    assert selectors._figures("training", 180, 960) == "180 / 960 分钟"


@pytest.mark.parametrize(
    "who, url",
    [
        ("city", "/evaluation/"),
        ("city", "/evaluation/weights/"),
        ("rep", "/funds/mine/"),
        ("town", "/funds/"),
        ("town", "/training/"),
        ("rep", "/training/mine/"),
    ],
)
@pytest.mark.django_db
def test_the_chosen_year_tab_is_marked_active(client, actors, county, who, url):
    body = _get(client, getattr(actors, who), url).content.decode()
    tabs = re.search(r'<nav class="tabs[^"]*" aria-label="年度">(.*?)</nav>', body, re.S)
    assert tabs, url
    current = re.search(r'<a([^>]*)aria-current="page"', tabs.group(1))
    assert current and 'class="active"' in current.group(1), url
    # No white button among the white tabs.
    assert 'class="btn' not in tabs.group(1), url
    assert f">{YEAR}</a>" in tabs.group(1)
