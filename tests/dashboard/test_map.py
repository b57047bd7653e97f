"""The command centre's map (issue 14): its data endpoint on a small hand-made set, the
viewer's scope and drill-down, hostile query strings, and the demo's boundaries."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from django.utils import timezone

from linli.accounts.models import Role
from linli.appeals.models import Appeal, Category
from linli.dashboard import maps
from linli.doorbell.models import Alarm
from linli.org.demo import draw_boundaries, rectangle
from linli.org.models import Household, Unit
from tests.support import factories
from tests.support.roles import make_user

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
DATA = reverse("dashboard_map_data")
PAGE = reverse("dashboard_map")


class Mapped:
    """Town A: an appeal placed by its household, one with its own place (a dispute), a
    closed one, an open alarm and a closed one; town B: one appeal. Boundaries drawn."""

    def __init__(self, county):
        self.county = county
        for i, h in enumerate(county.households_a):
            Household.objects.filter(pk=h.pk).update(
                latitude=f"28.10{i}000", longitude=f"113.60{i}000"
            )
        for i, h in enumerate(county.households_b):
            Household.objects.filter(pk=h.pk).update(
                latitude=f"28.30{i}000", longitude=f"113.90{i}000"
            )
        self.by_household = factories.appeal(county.households_a[0], title="井盖缺失")
        self.own_place = factories.appeal(
            county.households_a[1],
            title="邻里纠纷",
            category=Category.objects.get(code="neighbour"),
            latitude="28.120000",
            longitude="113.620000",
        )
        self.closed = factories.appeal(county.households_a[2], title="已办结")
        Appeal.objects.filter(pk=self.closed.pk).update(status="closed")
        self.town_b_appeal = factories.appeal(county.households_b[0], title="永和路灯")
        ha = county.households_a[3]
        self.alarm = Alarm.objects.create(household=ha, unit=ha.unit, status="notified")
        Alarm.objects.create(household=ha, unit=ha.unit, status="closed")
        self.units = draw_boundaries()


@pytest.fixture
def mapped(county):
    return Mapped(county)


def town_leader(county, town="a"):
    unit = county.town_a if town == "a" else county.town_b
    return make_user(f"1371000{'1' if town == 'a' else '2'}999", f"镇长{town}", Role.TOWN, unit)


def get_data(client, user, **query):
    client.force_login(user)
    return client.get(DATA, query, **ZH)


def points(data, kind):
    return [f["properties"] for f in data["features"] if f["properties"]["kind"] == kind]


def test_a_city_leader_sees_the_open_points_of_both_towns_with_their_colours(client, mapped):
    c = mapped.county
    city = make_user("13710003999", "市长", Role.CITY, c.city)
    response = get_data(client, city)
    assert response.status_code == 200
    data = response.json()
    assert data["type"] == "FeatureCollection"
    appeals = {p["code"]: p for p in points(data, "appeal")}
    assert set(appeals) == {
        mapped.by_household.code,
        mapped.own_place.code,
        mapped.town_b_appeal.code,
    }
    p = appeals[mapped.by_household.code]
    assert p["status"] == "pending"
    assert p["colour"] == maps.STATUS_COLOURS["pending"]
    assert p["level"] == mapped.by_household.level
    assert p["level_label"] and p["level_mark"]
    assert p["overdue"] is False
    assert p["category"] == "livelihood"
    assert p["url"] == reverse("appeals:detail", args=[mapped.by_household.code])
    features = {f["properties"].get("code"): f for f in data["features"]}
    # Without a place of its own an appeal stands at its household's ...
    assert features[mapped.by_household.code]["geometry"] == {
        "type": "Point",
        "coordinates": [113.6, 28.1],
    }
    # ... with one, at its own.
    assert features[mapped.own_place.code]["geometry"]["coordinates"] == [113.62, 28.12]
    alarms = points(data, "alarm")
    assert [a["id"] for a in alarms] == [mapped.alarm.pk]
    assert alarms[0]["colour"] == maps.ALARM_COLOUR
    assert alarms[0]["url"] == reverse("doorbell:alarm_detail", args=[mapped.alarm.pk])
    # The city's outline and its two towns'.
    bounds = {b["name"]: b["role"] for b in points(data, "boundary")}
    assert bounds == {c.city.name: "self", c.town_a.name: "child", c.town_b.name: "child"}
    assert data["counts"] == {"appeals": 3, "alarms": 1}
    assert data["omitted"] == {"appeals": 0, "alarms": 0}


def test_a_town_leader_sees_nothing_of_the_other_town(client, mapped):
    c = mapped.county
    leader = town_leader(c, "a")
    response = get_data(client, leader)
    body = response.content.decode()
    data = response.json()
    assert data["unit"]["id"] == c.town_a.pk
    assert {p["code"] for p in points(data, "appeal")} == {
        mapped.by_household.code,
        mapped.own_place.code,
    }
    for secret in (mapped.town_b_appeal.code, c.town_b.name, c.village_b.name, "永和路灯"):
        assert secret not in body
    # Drilling to town B, or to the city above, is refused like a unit that is not there.
    for unit in (c.town_b, c.village_b, c.city):
        response = client.get(DATA, {"unit": unit.pk}, **ZH)
        assert response.status_code == 404, unit
        assert c.town_b.name not in response.content.decode()
        assert client.get(PAGE, {"unit": unit.pk}, **ZH).status_code == 404


def test_drilling_down_shows_only_the_chosen_unit(client, mapped):
    c = mapped.county
    village = make_user("13710004999", "村书记", Role.VILLAGE, c.village_a)
    leader = town_leader(c, "a")
    data = get_data(client, leader, unit=str(c.village_a.pk)).json()
    assert data["unit"]["name"] == c.village_a.name
    assert [(b["name"], b["role"]) for b in points(data, "boundary")] == [
        (c.village_a.name, "self")
    ]
    assert len(points(data, "appeal")) == 2
    # A village cadre's map opens on the village, and cannot climb to the town.
    data = get_data(client, village).json()
    assert data["unit"]["id"] == c.village_a.pk
    assert client.get(DATA, {"unit": c.town_a.pk}, **ZH).status_code == 404


def test_the_category_narrows_the_points_and_the_heat(client, mapped):
    data = get_data(client, town_leader(mapped.county), category="dispute").json()
    assert [p["code"] for p in points(data, "appeal")] == [mapped.own_place.code]
    assert data["category"] == "dispute"
    # Alarms are not appeals: they stay whatever the category.
    assert len(points(data, "alarm")) == 1


def test_the_answer_is_bounded_and_says_what_it_left_out(mapped):
    c = mapped.county
    leader = town_leader(c, "a")
    data = maps.map_data(leader, c.town_a, limit=2)
    assert data["counts"] == {"appeals": 1, "alarms": 1}
    assert data["omitted"] == {"appeals": 1, "alarms": 0}
    data = maps.map_data(leader, c.town_a, limit=1)
    assert data["counts"] == {"appeals": 0, "alarms": 1}
    assert data["omitted"] == {"appeals": 2, "alarms": 0}


def test_the_number_of_queries_does_not_grow_with_the_points(
    client, mapped, django_assert_max_num_queries
):
    c = mapped.county
    for h in c.households_a[:5]:
        factories.appeal(h, title="更多")
    leader = town_leader(c, "a")
    client.force_login(leader)
    with django_assert_max_num_queries(16):
        response = client.get(DATA, **ZH)
    assert len(points(response.json(), "appeal")) == 7


@pytest.mark.parametrize(
    "query",
    [
        {"unit": "abc"},
        {"unit": "-1"},
        {"unit": "1e5"},
        {"unit": "１２"},  # full-width digits
        {"unit": "9" * 40},
        {"unit": "<script>"},
        {"unit": "1\x00"},
        {"category": "nonsense"},
        {"category": "x" * 5000},
        {"category": "facilities"},  # a sub-category: the filter takes the top ones
        {"bbox": "1,2,3,4"},
        {"unit": ["1", "2"]},
    ],
    ids=repr,
)
def test_hostile_query_strings_get_a_400_in_chinese(client, mapped, query):
    response = get_data(client, town_leader(mapped.county), **query)
    assert response.status_code == 400, response.content
    if response["Content-Type"].startswith("application/json"):
        body = response.json()
        assert body["code"] == "invalid"
        message = body["message"]
    else:  # control characters: refused before the view by core.inputs
        message = response.content.decode()
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message), message


def test_an_unknown_unit_is_a_404_and_a_representative_is_refused(client, mapped):
    response = get_data(client, town_leader(mapped.county), unit="99999999")
    assert response.status_code == 404
    rep = make_user("13710005999", "代表", Role.REPRESENTATIVE, mapped.county.group_a)
    client.force_login(rep)
    assert client.get(DATA, **ZH).status_code == 403
    assert client.get(PAGE, **ZH).status_code == 403


def test_the_page_offers_the_children_and_the_categories(client, mapped):
    c = mapped.county
    client.force_login(town_leader(c, "a"))
    response = client.get(PAGE, **ZH)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<option value="{c.village_a.pk}">{c.village_a.name}</option>' in html
    assert c.town_b.name not in html
    assert "dashboard/map.js" in html
    assert 'data-tiles=""' in html
    assert f"{DATA}?unit={c.town_a.pk}" in html
    assert "<script>" not in html  # no inline script (CSP)
    # Drilled down to the village: the way back up to the town.
    html = client.get(PAGE, {"unit": c.village_a.pk}, **ZH).content.decode()
    assert f'href="?unit={c.town_a.pk}"' in html
    assert client.get(PAGE, {"category": "nonsense"}, **ZH).status_code == 400


def test_the_menu_has_the_map_for_leaders_and_cadres(client, county):
    from linli.dashboard.menu import menu_for

    leader = town_leader(county, "a")
    assert "dashboard_map" in [m.url_name for m in menu_for(leader)]
    rep = make_user("13710006999", "代表乙", Role.REPRESENTATIVE, county.group_a)
    assert "dashboard_map" not in [m.url_name for m in menu_for(rep)]


def test_demo_boundaries_are_boxes_around_the_households(mapped):
    c = mapped.county
    # The city, both towns and both villages: groups are left to the households.
    assert mapped.units == 5
    village = Unit.objects.get(pk=c.village_a.pk)
    ring = village.boundary["coordinates"][0]
    assert village.boundary["type"] == "Polygon" and ring[0] == ring[-1] and len(ring) == 5
    lngs = [p[0] for p in ring]
    lats = [p[1] for p in ring]
    for h in Household.objects.filter(unit__path__startswith=c.village_a.path):
        assert min(lngs) < float(h.longitude) < max(lngs)
        assert min(lats) < float(h.latitude) < max(lats)
    assert Unit.objects.get(pk=c.group_a.pk).boundary is None
    assert rectangle(1, 2, 3, 4) == {
        "type": "Polygon",
        "coordinates": [[[2.0, 1.0], [4.0, 1.0], [4.0, 3.0], [2.0, 3.0], [2.0, 1.0]]],
    }
    json.dumps(village.boundary)  # plain JSON


def test_an_overdue_appeal_says_so(client, mapped):
    Appeal.objects.filter(pk=mapped.own_place.pk).update(
        status="in_progress", due_at=timezone.now() - timezone.timedelta(hours=1)
    )
    data = get_data(client, town_leader(mapped.county)).json()
    p = next(p for p in points(data, "appeal") if p["code"] == mapped.own_place.code)
    assert p["overdue"] is True and p["status"] == "in_progress"
    assert p["colour"] == maps.STATUS_COLOURS["in_progress"]


def test_a_tile_url_reaches_the_page_only_when_set(client, county, settings):
    """The tiles are `LINLI["MAP_TILE_URL"]`; the CSP side (img-src gains that host only)
    is `core.hardening.tile_source`, tested in tests/core/test_hardening.py."""
    url = "https://tiles.example.cn/{z}/{x}/{y}.png"
    settings.LINLI = {**settings.LINLI, "MAP_TILE_URL": url}
    client.force_login(town_leader(county))
    assert f'data-tiles="{url}"' in client.get(PAGE, **ZH).content.decode()
