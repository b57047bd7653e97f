"""The appeals API contract: filing, acting, 409/403/404, timeline, numbers, public endpoints."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from linli.accounts.services import token_create
from linli.appeals.models import Appeal
from linli.core.crypto import blind_index
from linli.notify.models import Outbox
from tests.support.factories import RESIDENT_PHONE

pytestmark = pytest.mark.django_db


class Api:
    def __init__(self, user):
        self.client = Client()
        _, key = token_create(actor=user, name="test")
        self.headers = {"Authorization": f"Bearer {key}"}

    def get(self, path, **params):
        return self.client.get(f"/api/v1{path}", params, headers=self.headers)

    def post(self, path, data=None):
        return self.client.post(
            f"/api/v1{path}", data or {}, content_type="application/json", headers=self.headers
        )


@pytest.fixture
def api(actors):
    return lambda user: Api(user)


def test_file_list_act_and_timeline(api, actors):
    county = actors.county
    hotline = Api(actors.town)
    r = hotline.post(
        "/appeals",
        {
            "category": "facilities",
            "description": "井盖松动",
            "household_id": county.households_a[1].pk,
            "reporter_phone": RESIDENT_PHONE,
            "channel": "hotline",
        },
    )
    assert r.status_code == 201, r.content
    code = r.json()["code"]
    assert r.json()["level"] == "group"

    rep = Api(actors.rep)
    listing = rep.get("/appeals", mine=True)
    assert listing.status_code == 200
    assert [a["code"] for a in listing.json()["items"]] == [code]
    item = listing.json()["items"][0]
    assert item["reporter_phone_masked"] == "139****5678"
    assert RESIDENT_PHONE not in listing.content.decode()

    detail = rep.get(f"/appeals/{code}").json()
    assert "claim" in detail["actions"]
    r = rep.post(f"/appeals/{code}/actions/claim", {"version": detail["version"]})
    assert r.status_code == 200 and r.json()["status"] == "claimed"

    # The same claim again: 409 with who has it.
    r = Api(actors.group_leader).post(f"/appeals/{code}/actions/claim", {})
    assert r.status_code == 409 and r.json()["code"] == "already_claimed"
    # A stale version: 409.
    r = rep.post(f"/appeals/{code}/actions/start", {"version": detail["version"]})
    assert r.status_code == 409 and r.json()["code"] == "stale"
    # A superior may not resolve: 403; a resolve without a result: 400.
    r = Api(actors.village).post(f"/appeals/{code}/actions/resolve", {"note": "x"})
    assert r.status_code == 403 and r.json()["code"] == "not_allowed"
    r = rep.post(f"/appeals/{code}/actions/resolve", {"note": ""})
    assert r.status_code == 400
    # Not in scope: 404, never a hint that it exists.
    assert Api(actors.town_b).get(f"/appeals/{code}").status_code == 404
    assert (
        Api(actors.town_b).post(f"/appeals/{code}/actions/supervise", {"note": "x"}).status_code
        == 404
    )

    r = rep.post(f"/appeals/{code}/actions/escalate", {"note": "需村里协调"})
    assert r.json()["level"] == "village"
    r = Api(actors.village).post(f"/appeals/{code}/actions/claim", {})
    assert r.status_code == 200
    events = rep.get(f"/appeals/{code}/events").json()
    assert [e["action"] for e in events] == ["file", "claim", "escalate", "claim"]
    assert events[0]["by"] == actors.town.name


def test_refer_to_a_department_and_answer(api, actors, file_appeal):
    from linli.org.models import Department

    appeal = file_appeal()
    rep = Api(actors.rep)
    rep.post(f"/appeals/{appeal.code}/actions/claim", {})
    dept = Department.objects.get(name="住建局")
    r = rep.post(
        f"/appeals/{appeal.code}/actions/refer", {"note": "请更换", "department_id": dept.pk}
    )
    assert r.status_code == 200 and r.json()["department"] == "住建局"
    queue = Api(actors.dept).get("/appeals/queue").json()
    assert [a["code"] for a in queue["items"]] == [appeal.code]
    assert Api(actors.other_dept).get(f"/appeals/{appeal.code}").status_code == 404
    r = Api(actors.dept).post(f"/appeals/{appeal.code}/actions/answer", {"note": "已更换"})
    assert r.status_code == 200 and r.json()["status"] == "in_progress"
    # The answer is shown under the department; the town's referral under the town.
    events = {e["action"]: e for e in Api(actors.rep).get(f"/appeals/{appeal.code}/events").json()}
    assert events["answer"]["department_name"] == "住建局"
    assert events["refer"]["department_name"] is None


def test_stats_endpoint(api, actors, file_appeal):
    file_appeal()
    r = Api(actors.city).get(
        "/appeals/stats", unit=actors.county.city.pk, start="2020-01-01", end="2099-12-31"
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["total"]["filed"] == 1 and body["total"]["open"] == 1
    assert body["children"][0]["unit_name"] == actors.county.town_a.name
    bad = Api(actors.city).get(
        "/appeals/stats", unit=actors.county.city.pk, start="2026-02-01", end="2026-01-01"
    )
    assert bad.status_code == 400


def test_categories_and_departments(api, actors):
    cats = Api(actors.rep).get("/appeal-categories").json()
    kinds = {c["kind"] for c in cats}
    assert {"appeal", "dispute", "hazard", "consult", "suggestion"} <= kinds
    livelihood = next(c for c in cats if c["code"] == "livelihood")
    assert {"roads", "water", "power", "sanitation", "housing", "assistance"} <= {
        c["code"] for c in livelihood["children"]
    }
    assert Api(actors.rep).get("/departments").status_code == 200


def test_public_endpoints_without_an_account(actors, manhole_category):
    c = Client()
    r = c.post("/api/v1/public/codes", {"phone": RESIDENT_PHONE}, content_type="application/json")
    assert r.status_code == 202
    again = c.post(
        "/api/v1/public/codes", {"phone": RESIDENT_PHONE}, content_type="application/json"
    )
    assert again.status_code == 409 and again.json()["code"] == "code_too_soon"
    body = (
        Outbox.objects.filter(address_hash=blind_index(RESIDENT_PHONE), kind="appeal.code")
        .get()
        .body
    )
    code = re.search(r"\d{6}", body).group(0)
    payload = {
        "category": "facilities",
        "description": "井盖坏了",
        "unit_id": actors.county.group_a.pk,
        "phone": RESIDENT_PHONE,
        "code": "999999" if code != "999999" else "111111",
    }
    r = c.post("/api/v1/public/appeals", payload, content_type="application/json")
    assert r.status_code == 400 and r.json()["code"] == "code_wrong"
    payload["code"] = code
    r = c.post("/api/v1/public/appeals", payload, content_type="application/json")
    assert r.status_code == 201
    case = r.json()["code"]
    r = c.post(
        "/api/v1/public/track",
        {"code": case, "phone": RESIDENT_PHONE},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["events"][0]["action"] == "file"
    r = c.post(
        "/api/v1/public/track",
        {"code": case, "phone": "13900000000"},
        content_type="application/json",
    )
    assert r.status_code == 404
    # The code is used up.
    r = c.post("/api/v1/public/appeals", payload, content_type="application/json")
    assert r.status_code == 400
    assert Appeal.objects.count() == 1
    # Anonymous callers cannot reach staff endpoints.
    assert c.get("/api/v1/appeals").status_code == 401
