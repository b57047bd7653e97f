"""The activities API: the contract (paged lists, filters, documented errors), the same
scope as the pages, the phone sign-up without an account, hostile input as 400."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from linli.activities.models import Activity, Signup
from linli.duties.models import Deliberation
from tests.support.api import ApiClient, ids, rows

from .conftest import RESIDENT, sent_code

pytestmark = pytest.mark.django_db


def _body(county, **kw):
    body = {
        "unit_id": county.village_a.pk,
        "kind": "lecture",
        "title": "防诈骗微宣讲",
        "place": "村部会议室",
        "starts_at": (timezone.now() + dt.timedelta(days=2)).isoformat(),
        "capacity": 2,
        "organiser_ids": [county.rep_a.pk],
        "guard_team_ids": [county.team_a.pk],
    }
    body.update(kw)
    return body


def test_create_list_detail_and_filters(county, village_cadre, town_b_cadre):
    api = ApiClient(village_cadre)
    r = api.post("/activities", _body(county))
    assert r.status_code == 201, r.content
    made = r.json()
    assert made["organisers"] == [{"id": county.rep_a.pk, "name": county.rep_a.name}]
    assert made["guard_teams"][0]["name"] == county.team_a.name
    assert made["places_left"] == 2 and made["signups"] == []
    listed = api.get("/activities", kind="lecture", status="planned", unit=county.town_a.pk)
    assert listed.status_code == 200 and ids(listed) == {made["id"]}
    body = listed.json()
    assert body["count"] == 1 and body["page"] == 1
    assert ids(api.get("/activities", kind="festival")) == set()
    day = timezone.localtime(timezone.now() + dt.timedelta(days=2)).date()
    assert ids(api.get("/activities", start=day.isoformat(), end=day.isoformat())) == {made["id"]}
    # The other town: not in its list, 404 on the detail, cannot change it.
    other = ApiClient(town_b_cadre)
    assert ids(other.get("/activities")) == set()
    assert other.get(f"/activities/{made['id']}").status_code == 404
    assert other.post(f"/activities/{made['id']}/cancel", {"reason": "x"}).status_code == 404


def test_a_representative_sees_the_detail_but_not_who_signed_up_unless_organising(
    county, village_cadre, rep_user
):
    api = ApiClient(village_cadre)
    made = api.post("/activities", _body(county, organiser_ids=[])).json()
    mine = ApiClient(rep_user)
    detail = mine.get(f"/activities/{made['id']}")
    assert detail.status_code == 200 and detail.json()["signups"] is None
    assert mine.post(f"/activities/{made['id']}/signups").status_code == 201
    assert mine.post(f"/activities/{made['id']}/signups").json()["code"] == "already_signed_up"
    signups = api.get(f"/activities/{made['id']}").json()["signups"]
    assert [s["name"] for s in signups] == [rep_user.name] and signups[0]["by_account"]
    assert mine.send("DELETE", f"/activities/{made['id']}/signups/mine").status_code == 200


def test_the_phone_sign_up_needs_no_account_and_respects_the_capacity(county, village_cadre):
    made = ApiClient(village_cadre).post("/activities", _body(county, capacity=1)).json()
    anon = ApiClient()
    page = anon.get(f"/public/activities/{made['id']}")
    assert page.status_code == 200
    assert page.json()["places_left"] == 1 and page.json()["organisers"] == [county.rep_a.name]
    assert "signups" not in page.json()
    assert anon.post("/public/codes", {"phone": RESIDENT}).status_code == 202
    r = anon.post(
        f"/public/activities/{made['id']}/signups",
        {"name": "王阿姨", "phone": RESIDENT, "code": sent_code(RESIDENT)},
    )
    assert r.status_code == 201, r.content
    assert r.json()["phone_masked"] != RESIDENT
    assert anon.get(f"/public/activities/{made['id']}").json()["places_left"] == 0
    full = ApiClient(village_cadre).post(f"/activities/{made['id']}/signups")
    assert full.status_code == 409 and full.json()["code"] == "full"


def test_a_wrong_code_is_a_400(county, village_cadre):
    made = ApiClient(village_cadre).post("/activities", _body(county)).json()
    anon = ApiClient()
    anon.post("/public/codes", {"phone": RESIDENT})
    r = anon.post(
        f"/public/activities/{made['id']}/signups",
        {"name": "王", "phone": RESIDENT, "code": "999999x"},
    )
    assert r.status_code == 400 and not Signup.objects.exists()


def test_held_deliberation_meeting_through_the_api(county, rep_user):
    api = ApiClient(rep_user)
    body = _body(
        county,
        kind="deliberation",
        starts_at=(timezone.now() + dt.timedelta(seconds=2)).isoformat(),
        guard_team_ids=[],
    )
    made = api.post("/activities", body).json()
    Activity.objects.filter(pk=made["id"]).update(starts_at=timezone.now() - dt.timedelta(hours=1))
    nobody = api.post(f"/activities/{made['id']}/held", {"outcome": "议定"})
    assert nobody.status_code == 400 and nobody.json()["code"] == "attendee_count"
    r = api.post(f"/activities/{made['id']}/attendance", {"attended": [], "walk_ins": 7})
    assert r.status_code == 200 and r.json()["attendance"] == 7
    r = api.post(f"/activities/{made['id']}/held", {"outcome": "议定修路"})
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "held"
    record = Deliberation.objects.get(pk=r.json()["deliberation_id"])
    assert record.attendee_count == 7


def test_service_days_get_and_set(county, village_cadre, town_cadre, rep_user, town_b_cadre):
    town = ApiClient(town_cadre)
    r = town.send(
        "PUT",
        f"/activities/service-days/{county.town_a.pk}",
        {"kind": "month_day", "month_day": 10},
    )
    assert r.status_code == 200, r.content
    got = ApiClient(rep_user).get(f"/activities/service-days/{county.village_a.pk}", count=3)
    assert got.status_code == 200
    body = got.json()
    assert body["own"] is False and body["rule"]["month_day"] == 10
    assert len(body["coming"]) == 3 and all(d.endswith("-10") for d in body["coming"])
    village = ApiClient(village_cadre)
    r = village.send(
        "PUT",
        f"/activities/service-days/{county.village_a.pk}",
        {"kind": "weekday", "nth": -1, "weekday": 5},
    )
    assert r.status_code == 200
    assert village.get(f"/activities/service-days/{county.village_a.pk}").json()["own"] is True
    # A representative reads but may not set; the other town gets 404.
    r = ApiClient(rep_user).send(
        "PUT", f"/activities/service-days/{county.village_a.pk}", {"kind": "follow"}
    )
    assert r.status_code == 403
    r = ApiClient(town_b_cadre).get(f"/activities/service-days/{county.village_a.pk}")
    assert r.status_code == 404


@pytest.mark.parametrize(
    "change",
    [
        {"title": "宣讲\u0007"},
        {"title": "x" * 201},
        {"capacity": 10**20},
        {"capacity": -1},
        {"starts_at": "0001-01-01T09:00:00+08:00"},
        {"starts_at": "9999-12-31T09:00:00+08:00"},
        {"unit_id": 10**30},
        {"organiser_ids": [2**63]},
        {"kind": "party"},
        {"organiser_ids": [999999]},
        {"appeal_codes": ["NOPE"]},
    ],
)
def test_hostile_input_is_a_400(county, village_cadre, change):
    r = ApiClient(village_cadre).post("/activities", _body(county, **change))
    assert r.status_code == 400, (change, r.status_code, r.content[:300])
    assert set(r.json()) >= {"code", "message"}
    assert not Activity.objects.exists()


@pytest.mark.parametrize(
    "query",
    [{"start": "0001-01-01"}, {"end": "9999-12-31"}, {"unit": str(10**30)}, {"page": "0"}],
)
def test_hostile_filters_are_a_400(village_cadre, query):
    assert ApiClient(village_cadre).get("/activities", **query).status_code == 400


def test_hostile_rules_are_a_400(county, village_cadre):
    api = ApiClient(village_cadre)
    for body in (
        {"kind": "month_day", "month_day": 29},
        {"kind": "weekday", "nth": 5, "weekday": 1},
        {"kind": "month_day", "month_day": 1, "effective_from": "9999-01-01"},
    ):
        r = api.send("PUT", f"/activities/service-days/{county.village_a.pk}", body)
        assert r.status_code == 400, body


def test_the_list_is_paged(county, village_cadre, make_activity):
    for n in range(3):
        make_activity(title=f"活动{n}")
    r = ApiClient(village_cadre).get("/activities", page_size=2, page=2)
    assert r.json()["count"] == 3 and r.json()["pages"] == 2 and len(rows(r)) == 1
