"""Walk 15 (the hundred best as a stranger reads them): each nominee on the public
notice says plainly that it opens the objection form (not only a name to guess at); the
chosen year of the year tabs (the selection, the benefits) is marked active, not a white
button on the white tabs where it could not be read."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from .conftest import YEAR
from .test_pages import on_notice

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def test_each_nominee_on_the_notice_offers_the_objection_form(client, actors, county, scored):
    n = on_notice(actors, county, scored)
    body = client.get(reverse("honours:public_notice"), **ZH).content.decode()
    target = reverse("honours:public_nominee", args=[n.pk]) + "#objection"
    link = re.search(rf'<a class="btn secondary" href="{re.escape(target)}">([^<]+)</a>', body)
    assert link and "提出异议" in link.group(1)


@pytest.mark.parametrize("name", ["honours:selection", "honours:benefits"])
def test_the_chosen_year_tab_is_marked_active(client, actors, county, scored, name):
    on_notice(actors, county, scored)
    client.force_login(actors.city)
    body = client.get(reverse(name), {"year": YEAR}, **ZH).content.decode()
    tabs = re.search(r'<nav class="tabs[^"]*" aria-label="年度">(.*?)</nav>', body, re.S)
    assert tabs, name
    current = re.search(r'<a([^>]*)aria-current="page"', tabs.group(1))
    assert current and 'class="active"' in current.group(1), name
    assert 'class="btn' not in tabs.group(1), name
