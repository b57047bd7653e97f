"""The service fund API: spending from one's own fund in fen, approval, reversal,
totals and rules; hostile amounts and dates answer a clear 400 in Chinese, never 500;
a retried spending makes one entry."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest

from linli.core.timeutil import today
from linli.funds.models import FundAllocation, FundEntry, FundRule
from tests.support.api import ApiClient, rows

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def body(**kw):
    data = {"amount_fen": 1250, "day": str(today()), "purpose": "给李奶奶买药"}
    data.update(kw)
    return data


def raw_post(api: ApiClient, path: str, text: str, **headers):
    return api.client.post(
        f"/api/v1{path}",
        text,
        content_type="application/json",
        headers={**api.headers, "Accept-Language": "zh-hans", **headers},
    )


def test_a_representative_spends_in_fen_and_reads_their_fund(county, rep_user):
    api = ApiClient(rep_user)
    r = api.post("/funds/entries", body(household_id=county.households_a[1].pk))
    assert r.status_code == 201, r.content
    entry = r.json()
    assert entry["amount_fen"] == 1250 and entry["status"] == "approved"
    assert entry["household_id"] == county.households_a[1].pk
    funds = rows(api.get("/funds/allocations"))
    assert [(f["amount_fen"], f["spent_fen"], f["balance_fen"]) for f in funds] == [
        (20000, 1250, 18750)
    ]
    one = api.get(f"/funds/allocations/{funds[0]['id']}").json()
    assert one["available_fen"] == 18750
    assert [e["id"] for e in rows(api.get("/funds/entries"))] == [entry["id"]]


def test_a_retried_spending_makes_one_entry(county, rep_user):
    api = ApiClient(rep_user)
    key = str(uuid.uuid4())
    first = raw_post(api, "/funds/entries", json.dumps(body()), **{"Idempotency-Key": key})
    again = raw_post(api, "/funds/entries", json.dumps(body()), **{"Idempotency-Key": key})
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert FundEntry.objects.count() == 1


def test_overspending_is_a_409_in_chinese(county, rep_user):
    api = ApiClient(rep_user)
    assert api.post("/funds/entries", body(amount_fen=9000)).status_code == 201
    assert api.post("/funds/entries", body(amount_fen=9000)).status_code == 201
    r = raw_post(api, "/funds/entries", json.dumps(body(amount_fen=2001)))
    assert r.status_code == 409
    assert r.json()["code"] == "fund_overspent" and "余额不足" in r.json()["message"]
    assert r.json()["details"] == {"available_fen": 2000}
    assert FundEntry.objects.count() == 2


HOSTILE_BODIES = [
    # huge, negative, zero, fractional, textual, boolean amounts
    '{"amount_fen": 99999999999999999999, "day": "%(d)s", "purpose": "x"}',
    '{"amount_fen": -100, "day": "%(d)s", "purpose": "x"}',
    '{"amount_fen": 0, "day": "%(d)s", "purpose": "x"}',
    '{"amount_fen": 12.5, "day": "%(d)s", "purpose": "x"}',
    '{"amount_fen": "12.50", "day": "%(d)s", "purpose": "x"}',
    '{"amount_fen": true, "day": "%(d)s", "purpose": "x"}',
    '{"amount_fen": 1e400, "day": "%(d)s", "purpose": "x"}',
    '{"amount_fen": NaN, "day": "%(d)s", "purpose": "x"}',
    # odd dates
    '{"amount_fen": 100, "day": "0001-01-01", "purpose": "x"}',
    '{"amount_fen": 100, "day": "9999-12-31", "purpose": "x"}',
    '{"amount_fen": 100, "day": "2026-02-30", "purpose": "x"}',
    '{"amount_fen": 100, "day": "yesterday", "purpose": "x"}',
    '{"amount_fen": 100, "day": "%(tomorrow)s", "purpose": "x"}',
    # control characters, NUL, a lone surrogate, nothing, too long
    '{"amount_fen": 100, "day": "%(d)s", "purpose": "买药\\u0000"}',
    '{"amount_fen": 100, "day": "%(d)s", "purpose": "a\\u001b[31m"}',
    '{"amount_fen": 100, "day": "%(d)s", "purpose": "\\ud800"}',
    '{"amount_fen": 100, "day": "%(d)s", "purpose": "   "}',
    '{"amount_fen": 100, "day": "%(d)s", "purpose": "%(long)s"}',
    # links that are nobody's or not ids
    '{"amount_fen": 100, "day": "%(d)s", "purpose": "x", "household_id": 9223372036854775808}',
    '{"amount_fen": 100, "day": "%(d)s", "purpose": "x", "household_id": -1}',
    '{"amount_fen": 100, "day": "%(d)s", "purpose": "x", "appeal_code": "A\\u0007"}',
    "not json",
]


@pytest.mark.parametrize("text", HOSTILE_BODIES)
def test_hostile_spending_is_a_clear_400(county, rep_user, text):
    api = ApiClient(rep_user)
    values = {
        "d": today().isoformat(),
        "tomorrow": (today() + dt.timedelta(days=1)).isoformat(),
        "long": "x" * 501,
    }
    r = raw_post(api, "/funds/entries", text % values if "%(" in text else text)
    assert r.status_code == 400, r.content
    answer = r.json()
    assert answer["code"] and answer["message"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in answer["message"]), answer
    assert not FundEntry.objects.exists() and not FundAllocation.objects.exists()


def test_a_stranger_spends_nothing_from_anothers_fund(county, rep_user, rep_b_user, town_cadre):
    r = ApiClient(rep_b_user).post("/funds/entries", body(representative_id=county.rep_a.pk))
    assert r.status_code == 404
    assert ApiClient(town_cadre).post("/funds/entries", body()).status_code == 404
    r = ApiClient(rep_b_user).post("/funds/entries", body(household_id=county.households_a[0].pk))
    assert r.status_code == 404
    assert not FundEntry.objects.exists()


def test_approval_and_reversal(county, rep_user, village_cadre, town_cadre):
    cadre = ApiClient(town_cadre)
    r = cadre.send(
        "PUT",
        f"/funds/rules/{county.village_a.pk}",
        {"year": today().year, "allocation_fen": 30000, "approval_fen": 5000},
    )
    assert r.status_code == 200, r.content
    rep = ApiClient(rep_user)
    pending = rep.post("/funds/entries", body(amount_fen=8000)).json()
    assert pending["status"] == "pending"
    village = ApiClient(village_cadre)
    refused = village.post(f"/funds/entries/{pending['id']}/decision", {"approve": False})
    assert refused.status_code == 400  # a refusal needs its note
    r = village.post(f"/funds/entries/{pending['id']}/decision", {"approve": True, "note": "同意"})
    assert r.status_code == 200 and r.json()["status"] == "approved"
    assert (
        rep.post(f"/funds/entries/{pending['id']}/decision", {"approve": True}).status_code == 403
    )
    r = rep.post(f"/funds/entries/{pending['id']}/reversal", {"reason": "重复登记"})
    assert r.status_code == 201 and r.json()["reverses_id"] == pending["id"]
    again = village.post(f"/funds/entries/{pending['id']}/reversal", {"reason": "再冲"})
    assert again.status_code == 409 and again.json()["code"] == "entry_reversed"
    fund = rows(rep.get("/funds/allocations"))[0]
    assert (fund["amount_fen"], fund["spent_fen"], fund["balance_fen"]) == (30000, 0, 30000)


def test_a_rule_below_200_yuan_is_a_400_in_chinese(county, town_cadre):
    api = ApiClient(town_cadre)
    r = api.client.put(
        f"/api/v1/funds/rules/{county.town_a.pk}",
        json.dumps({"year": today().year, "allocation_fen": 10000, "approval_fen": 0}),
        content_type="application/json",
        headers={**api.headers, "Accept-Language": "zh-hans"},
    )
    assert r.status_code == 400
    assert r.json()["code"] == "allocation_below_floor"
    assert "不得少于 200.00 元" in r.json()["message"]
    assert not FundRule.objects.exists()


def test_totals_per_unit_with_drill_down(county, rep_user, rep_b_user, town_cadre, superuser):
    ApiClient(rep_user).post("/funds/entries", body(amount_fen=3000))
    ApiClient(rep_b_user).post("/funds/entries", body(amount_fen=500))
    city = ApiClient(superuser).get("/funds/totals", unit=county.city.pk).json()
    assert city["total"]["spent_fen"] == 3500 and city["total"]["allocated_fen"] == 40000
    assert {c["label"]: c["spent_fen"] for c in city["children"]} == {
        county.town_a.name: 3000,
        county.town_b.name: 500,
    }
    town = ApiClient(town_cadre)
    mine = town.get("/funds/totals").json()
    assert mine["unit_id"] == county.town_a.pk and mine["total"]["spent_fen"] == 3000
    village = town.get("/funds/totals", unit=county.village_a.pk).json()
    assert [(r["label"], r["balance_fen"]) for r in village["representatives"]] == [
        (county.rep_a.name, 17000)
    ]
    assert town.get("/funds/totals", unit=county.town_b.pk).status_code == 404
    assert ApiClient(rep_user).get("/funds/totals").status_code == 404
