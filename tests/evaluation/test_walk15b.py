"""Walk 15b (the annual report as a stranger reads it): a report presented without a
draft (recorded on the duties page) shows its text on the page, as the downloads do,
instead of an empty box beside "已述职"; the chosen year of the year tabs is marked
active, not a white button on the white tabs where it could not be read."""

from __future__ import annotations

import re

import pytest

from linli.core.timeutil import today
from linli.duties import services as duties

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
YEAR = today().year


def test_a_report_presented_without_a_draft_shows_its_text(client, actors, county):
    duties.report_log(
        actor=actors.rep,
        representative=county.rep_a,
        kind="residents",
        day=today(),
        text="向群众述职ZW15B",
    )
    client.force_login(actors.rep)
    body = client.get("/evaluation/annual/", {"year": YEAR}, **ZH).content.decode()
    assert "已述职" in body
    box = re.search(r"<textarea[^>]*>(.*?)</textarea>", body, re.S)
    assert box and "向群众述职ZW15B" in box.group(1)


@pytest.mark.parametrize(
    ("who", "url"),
    [("rep", "/evaluation/annual/"), ("village", "/evaluation/annual/team/")],
)
def test_the_chosen_year_tab_is_marked_active(client, actors, county, who, url):
    client.force_login(getattr(actors, who))
    body = client.get(url, {"year": YEAR}, **ZH).content.decode()
    tabs = re.search(r'<nav class="tabs[^"]*" aria-label="年度">(.*?)</nav>', body, re.S)
    assert tabs, url
    current = re.search(r'<a([^>]*)aria-current="page"', tabs.group(1))
    assert current and 'class="active"' in current.group(1), url
    assert 'class="btn' not in tabs.group(1), url
