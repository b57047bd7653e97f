"""Issue 11's findings: malformed input answers 400 `{code, message}`, never a 500, and
nothing is written (`core.inputs`, the one input layer)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from linli.appeals.models import Appeal, Category
from linli.core.inputs import MAX_ID
from linli.core.timeutil import today
from linli.duties.models import Deliberation
from linli.org.models import Household
from tests.support.api import ApiClient as Api
from tests.support.api import url
from tests.support.roles import Actors

pytestmark = pytest.mark.django_db

BIG = 2**63  # one past the largest id
INT32 = 2**31  # one past an IntegerField


@pytest.fixture
def actors(reference_data, county):
    return Actors(county)


@pytest.fixture
def manhole_category(reference_data):
    return Category.objects.get(code="facilities")


def raw_post(client: Client, path: str, body: str, headers: dict | None = None):
    """A JSON body as written, so lone surrogates and NaN reach the server."""
    return client.post(url(path), body, content_type="application/json", headers=headers or {})


def assert_refused(r, status: int = 400) -> dict:
    assert r.status_code == status, (r.status_code, r.content[:300])
    body = r.json()
    assert body["code"] and body["message"], body
    return body


# --- text ---------------------------------------------------------------------------------


def test_track_with_a_lone_surrogate_is_400():
    r = raw_post(Client(), "/public/track", '{"code": "\\ud800", "phone": "13800138000"}')
    assert_refused(r)


def test_token_with_a_lone_surrogate_or_nul_is_400(county):
    for body in (
        '{"phone": "\\ud800", "password": "x"}',
        '{"phone": "13800138000", "password": "\\ud800"}',
        '{"phone": "13800138000\\u0000", "password": "x"}',
    ):
        assert_refused(raw_post(Client(), "/auth/token", body))


def test_control_characters_in_a_household_name_are_refused_and_nothing_is_written(actors):
    county = actors.county
    api = Api(county.superuser)
    before = Household.objects.count()
    for name in ("王\x07大", "王\x00大", "王\n大", "王\ud800大"):
        payload = {"unit_id": county.group_a.pk, "head_name": name, "address": "一组1号"}
        r = raw_post(api.client, "/households", json.dumps(payload), api.headers)
        assert_refused(r)
    assert Household.objects.count() == before


def test_control_characters_in_a_public_appeal_description_are_refused(actors, manhole_category):
    before = Appeal.objects.count()
    payload = {
        "category": manhole_category.code,
        "description": "井盖坏了\x1b[31m",
        "unit_id": actors.county.group_a.pk,
        "phone": "13800138000",
        "code": "123456",
    }
    assert_refused(raw_post(Client(), "/public/appeals", json.dumps(payload)))
    assert Appeal.objects.count() == before


def test_multi_line_text_keeps_newlines_and_tabs(actors, manhole_category):
    api = Api(actors.rep)
    payload = {
        "category": manhole_category.code,
        "description": "第一行\n第二行\r\n\t第三行",
        "household_id": actors.county.households_a[1].pk,
        "reporter_phone": "13800138000",
    }
    r = api.post("/appeals", payload)
    assert r.status_code == 201, r.content
    assert Appeal.objects.get(code=r.json()["code"]).description == payload["description"]


def test_nul_in_a_query_string_or_path_is_400(actors):
    api = Api(actors.town)
    assert_refused(api.get("/appeals", q="井\x00盖"))
    assert_refused(api.get("/households", q="王\x00"))
    r = api.client.get(url("/appeals/AB%00CD"), headers=api.headers)
    assert_refused(r)


# --- integers -----------------------------------------------------------------------------


def test_page_beyond_any_offset_is_400_or_empty(actors):
    api = Api(actors.town)
    for path in ("/appeals", "/households", "/notifications"):
        r = api.get(path, page=str(2**63 - 1))
        assert r.status_code in (200, 400), (path, r.status_code)
        if r.status_code == 200:
            assert r.json()["items"] == []
    assert_refused(api.get("/appeals", page_size=str(BIG)))


@pytest.mark.parametrize(
    "path",
    [
        "/units/{}",
        "/households/{}",
        "/members/{}",
        "/representatives/{}",
        "/notifications/{}/read",
    ],
)
def test_ids_beyond_the_column_are_400(actors, path):
    api = Api(actors.county.superuser)
    method = "post" if path.endswith("/read") else "get"
    r = getattr(api.client, method)(url(path.format(BIG)), headers=api.headers)
    assert_refused(r)
    r = getattr(api.client, method)(url(path.format(MAX_ID)), headers=api.headers)
    assert r.status_code == 404, r.content


def test_ids_beyond_the_column_in_bodies_and_queries_are_400(actors, manhole_category):
    api = Api(actors.rep)
    assert_refused(api.get("/households", unit=str(BIG)))
    assert_refused(api.get("/appeals", unit=str(BIG)))
    payload = {"category": manhole_category.code, "description": "x", "household_id": BIG}
    assert_refused(api.post("/appeals", payload))
    assert_refused(Api(actors.town).get("/duties/owed", representative=str(BIG)))


def test_attendee_count_beyond_an_integer_column_is_400(actors):
    county = actors.county
    api = Api(actors.rep)
    payload = {
        "unit_id": county.village_a.pk,
        "organiser_ids": [county.rep_a.pk],
        "day": today().isoformat(),
        "place": "村部",
        "topic": "议事",
        "attendee_count": INT32,
    }
    assert_refused(api.post("/duties/deliberations", payload))
    assert_refused(api.post("/duties/deliberations", payload | {"organiser_ids": [BIG]}))
    assert not Deliberation.objects.exists()


def test_queue_with_an_unknown_level_is_400(actors):
    assert_refused(Api(actors.town).get("/appeals/queue", level="bogus"))
    assert_refused(Api(actors.town).get("/appeals/queue", level="\x01"))


# --- coordinates --------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e400", "91"])
def test_non_finite_or_out_of_range_coordinates_are_400(actors, value):
    county = actors.county
    api = Api(county.superuser)
    before = Household.objects.count()
    body = json.dumps({"unit_id": county.group_a.pk, "head_name": "王五", "address": "一组9号"})
    body = body[:-1] + f', "latitude": {value}}}'
    assert_refused(raw_post(api.client, "/households", body, api.headers))
    assert Household.objects.count() == before


# --- dates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end"),
    [("0001-01-01", "2025-01-31"), ("2025-01-01", "9999-12-31"), ("1999-12-31", "2025-01-01")],
)
def test_statistics_and_compliance_outside_the_date_window_are_400(actors, start, end):
    county = actors.county
    api = Api(actors.town)
    assert_refused(api.get("/appeals/stats", unit=county.town_a.pk, start=start, end=end))
    assert_refused(api.get("/duties/compliance", unit=county.town_a.pk, start=start, end=end))
    assert_refused(api.get("/duties/contacts", start=start, end=end))


def test_birth_date_in_year_one_is_400(actors):
    county = actors.county
    api = Api(county.superuser)
    payload = {
        "household_id": county.households_a[0].pk,
        "name": "李四",
        "birth_date": "0001-01-01",
    }
    assert_refused(api.post("/members", payload))
