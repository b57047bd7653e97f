"""Walk 15c (the hundred best, the town's and the city's parts, walked as strangers):
the nominate list reads as the town's ranking (best first, each with village group, rank
and score, the suggested marked and the best of them chosen), not every eligible name in
the order of their ids; during the public notice the city's page says until when the
notice runs instead of offering a "next stage" button that can only be refused; the
nominate page says when nominations are closed (another stage, or the town already
submitted) instead of offering a form that can only be refused."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from linli.honours import services

from .conftest import YEAR
from .test_pages import on_notice

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def _options(body: str) -> list[tuple[str, bool, str]]:
    select = re.search(r'<select name="representative"[^>]*>(.*?)</select>', body, re.S)
    assert select
    return [
        (value, "selected" in attrs, label.strip())
        for value, attrs, label in re.findall(
            r'<option value="([^"]*)"([^>]*)>([^<]*)</option>', select.group(1)
        )
    ]


def test_the_nominate_list_follows_the_ranking_and_chooses_the_best(client, actors, county, scored):
    sel = services.selection_open(actor=actors.city, year=YEAR, seats=10)
    services.quota_set(actor=actors.city, selection=sel, town=county.town_a, seats=2)
    client.force_login(actors.town)
    body = client.get(reverse("honours:nominate", args=[YEAR]), **ZH).content.decode()
    options = [o for o in _options(body) if o[0]]
    ids = [int(v) for v, _s, _l in options]
    assert ids[: len(scored)] == [rep.pk for rep in scored]
    first = options[0]
    assert first[1], "the best suggested is chosen"
    assert first[2].startswith(f"{scored[0].name}（建议） · ")
    assert "第 1 名" in first[2] and "分" in first[2]
    assert "（建议）" in options[1][2]
    assert "（建议）" not in options[2][2]
    assert sum(1 for o in options if o[1]) == 1


def test_during_the_notice_the_city_is_told_when_the_list_can_be_final(
    client, actors, county, scored
):
    on_notice(actors, county, scored)
    client.force_login(actors.city)
    body = client.get(reverse("honours:selection"), {"year": YEAR}, **ZH).content.decode()
    assert 'id="notice-running"' in body and "公示期至" in body
    assert 'value="advance"' not in body


def test_the_nominate_page_says_when_nominations_are_closed(client, actors, county, scored):
    sel = services.selection_open(actor=actors.city, year=YEAR, seats=10)
    services.quota_set(actor=actors.city, selection=sel, town=county.town_a, seats=2)
    client.force_login(actors.town)
    page = reverse("honours:nominate", args=[YEAR])
    body = client.get(page, **ZH).content.decode()
    assert 'id="nominate-form"' in body and 'id="nominate-closed"' not in body
    services.town_submit(actor=actors.town, selection=sel, town=county.town_a)
    body = client.get(page, **ZH).content.decode()
    assert "已报送市级，不能再推荐" in body and 'name="representative"' not in body
    services.stage_advance(actor=actors.city, selection=sel)
    body = client.get(page, **ZH).content.decode()
    assert "推荐已截止" in body and 'name="representative"' not in body


def test_the_towns_review_waits_for_the_quotas(actors, county, scored):
    from linli.core.errors import Conflict

    sel = services.selection_open(actor=actors.city, year=YEAR)
    with pytest.raises(Conflict) as refused:
        services.stage_advance(actor=actors.city, selection=sel)
    assert refused.value.code == "no_quotas"
    services.quota_set(actor=actors.city, selection=sel, town=county.town_a, seats=2)
    assert services.stage_advance(actor=actors.city, selection=sel).stage == "town_review"
