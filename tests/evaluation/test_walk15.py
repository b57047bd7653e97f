"""Walk 15 (the evaluation, the fund and training as a stranger reads them): the
chosen year of the year tabs (the ranking, the weights, the fund's pages, the training
plans) is marked active, not a white button on the white tabs where it could not be
read."""

from __future__ import annotations

import re

import pytest

from linli.core.timeutil import today

YEAR = today().year


def _get(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params, HTTP_ACCEPT_LANGUAGE="zh-hans")


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
