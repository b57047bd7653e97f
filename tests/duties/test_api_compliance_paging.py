"""The compliance API pages its representatives and filters them by status; the
unit's rollup always counts everyone."""

from __future__ import annotations

import pytest

from linli.duties import services

from .test_api import Api, _week, actors, more_representatives  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def test_compliance_pages_and_filters_representatives(actors):  # noqa: F811
    county = actors.county
    more_representatives(county, 2)  # group A: rep_a and two more
    for h in county.households_a[:6]:
        services.contact_log(actor=actors.rep, representative=county.rep_a, household=h)
    start, end = _week()
    town = Api(actors.town)

    def get(**kw):
        r = town.get("/duties/compliance", unit=county.town_a.pk, start=start, end=end, **kw)
        assert r.status_code == 200, r.content
        return r.json()

    everyone = get()
    assert (everyone["count"], everyone["page"], everyone["pages"]) == (3, 1, 1)
    first = get(page_size=2)
    second = get(page_size=2, page=2)
    assert (first["pages"], len(first["representatives"]), len(second["representatives"])) == (
        2,
        2,
        1,
    )
    ids = [r["representative_id"] for r in first["representatives"] + second["representatives"]]
    assert ids == [r["representative_id"] for r in everyone["representatives"]]
    assert get(page=9)["representatives"] == []

    # rep_a contacted all six households: on track; the two new ones are behind.
    on_track = get(status="on_track")
    assert [r["representative_id"] for r in on_track["representatives"]] == [county.rep_a.pk]
    behind = get(status="not_on_track")
    assert behind["count"] == 2 and get(status="behind")["count"] == 2
    assert get(status="missed")["count"] == 0
    # The rollup is the unit's, whatever the filter or page.
    assert behind["total"]["representatives"] == 3 == first["total"]["representatives"]

    for bad in ({"status": "x"}, {"page_size": 0}, {"page": 0}):
        r = town.get("/duties/compliance", unit=county.town_a.pk, start=start, end=end, **bad)
        assert r.status_code == 400 and r.json()["code"] == "invalid", bad
