"""The care register's API: the contract (shapes, paging, filters, 201/400/403/404/409),
the same rules as the services, hostile input answered 400 with nothing written."""

from __future__ import annotations

import pytest

from linli.accounts.models import AuditAction, AuditLog
from linli.doorbell.models import CarePairing, CareRecipient, DoorbellSettings
from tests.support.api import ApiClient, ids

from .care_support import People

pytestmark = pytest.mark.django_db


@pytest.fixture
def p(county):
    return People(county)


def _register(api, p, **kw):
    body = {"member_id": p.resident.pk, "kind": "elderly_alone", "level": "close", **kw}
    return api.post("/doorbell/recipients", body)


def test_register_list_detail_update(p, county):
    api = ApiClient(p.village)
    r = _register(api, p, health_notes="高血压")
    assert r.status_code == 201, r.content
    made = r.json()
    assert made["member_name"] == "王奶奶" and made["unit_id"] == county.group_a.pk
    assert made["address"] == county.households_a[1].address
    assert made["version"] == 1 and made["pairing"] is None and made["contacts"] == []
    assert made["health_notes"] == "高血压"  # the village cadre
    again = _register(api, p)
    assert again.status_code == 400 and again.json()["code"] == "already_in_care"
    listed = api.get("/doorbell/recipients", kind="elderly_alone", level="close")
    assert listed.status_code == 200 and ids(listed) == {made["id"]}
    assert listed.json()["count"] == 1 and "health_notes" not in listed.json()["items"][0]
    assert ids(api.get("/doorbell/recipients", kind="disabled")) == set()
    assert ids(api.get("/doorbell/recipients", unit=county.group_a.pk)) == {made["id"]}
    assert api.get("/doorbell/recipients", unit=county.group_b.pk).status_code == 404
    path = f"/doorbell/recipients/{made['id']}"
    changed = api.send("PUT", path, {"version": 1, "kind": "empty_nest", "level": "routine"})
    assert changed.status_code == 200 and changed.json()["version"] == 2
    assert changed.json()["health_notes"] == "高血压"  # null: unchanged
    stale = api.send("PUT", path, {"version": 1, "kind": "other", "level": "routine"})
    assert stale.status_code == 409 and stale.json()["code"] == "stale"
    assert CareRecipient.objects.get(pk=made["id"]).kind == "empty_nest"


def test_contacts_pairing_and_ending(p, county):
    api = ApiClient(p.village)
    rid = _register(api, p).json()["id"]
    path = f"/doorbell/recipients/{rid}"
    contacts = api.send(
        "PUT",
        f"{path}/contacts",
        {"contacts": [{"name": "王儿子", "relation": "儿子", "phone": "13912340002"}]},
    )
    assert contacts.status_code == 200
    (c,) = contacts.json()["contacts"]
    assert c["name"] == "王儿子" and c["phone_masked"] != "13912340002" and "phone" not in c
    body = {
        "primary_id": county.rep_a.pk,
        "visit_every_days": 10,
        "backups": [
            {"kind": "neighbour", "user_id": p.neighbour.pk},
            {"kind": "family", "name": "王女儿", "phone": "13912340003"},
        ],
    }
    paired = api.send("PUT", f"{path}/pairing", body)
    assert paired.status_code == 200, paired.content
    pairing = paired.json()["pairing"]
    assert pairing["primary_id"] == county.rep_a.pk and pairing["visit_every_days"] == 10
    assert [(b["order"], b["kind"], b["user_id"]) for b in pairing["backups"]] == [
        (1, "neighbour", p.neighbour.pk),
        (2, "family", None),
    ]
    assert paired.json()["visit"]["linked"] is True
    # The primary's own list.
    mine = ApiClient(p.rep).get("/doorbell/pairings/mine")
    assert mine.status_code == 200 and [m["recipient_id"] for m in mine.json()] == [rid]
    assert ApiClient(p.rep_c).get("/doorbell/pairings/mine").json() == []
    # Pair anew: the history keeps the first.
    again = api.send("PUT", f"{path}/pairing", {"primary_id": p.representative_c.pk})
    assert again.status_code == 200 and len(again.json()["history"]) == 1
    ended = api.post(f"{path}/pairing/end", {"reason": "调整"})
    assert ended.status_code == 200 and ended.json()["pairing"] is None
    assert api.post(f"{path}/pairing/end", {}).json()["code"] == "not_paired"
    out = api.post(f"{path}/end", {"reason": "迁居"})
    assert out.status_code == 200 and out.json()["active"] is False
    assert ids(api.get("/doorbell/recipients", ended=True)) == {rid}


def test_refusals_answer_the_documented_errors_and_write_nothing(p, county):
    api = ApiClient(p.village)
    rid = _register(api, p).json()["id"]
    path = f"/doorbell/recipients/{rid}"
    before = (AuditLog.objects.exclude(action="token.create").count(), CarePairing.objects.count())
    cases = [
        ("PUT", f"{path}/pairing", {"primary_id": county.rep_b.pk}, 404),  # another village
        ("PUT", f"{path}/pairing", {"primary_id": county.rep_a.pk, "visit_every_days": 0}, 400),
        ("PUT", f"{path}/pairing", {"primary_id": county.rep_a.pk, "visit_every_days": 91}, 400),
        ("PUT", f"{path}/pairing", {"primary_id": county.rep_a.pk, "backups": [
            {"kind": "cadre", "user_id": p.town.pk}]}, 404),  # no role in the village
        ("PUT", f"{path}/pairing", {"primary_id": county.rep_a.pk, "backups": [
            {"kind": "family", "name": "王", "phone": "12345"}]}, 400),
        ("PUT", f"{path}/pairing", {"primary_id": county.rep_a.pk, "backups": [
            {"kind": "family", "name": "a\u0000b", "phone": "13912340003"}]}, 400),
        ("PUT", f"{path}/contacts", {"contacts": [{"name": "甲", "phone": "1"}]}, 400),
        ("PUT", f"{path}/contacts", {"contacts": [{"name": "甲", "phone": "13912340002"}] * 6}, 400),
        ("PUT", path, {"version": 2**40, "kind": "other", "level": "routine"}, 400),
        ("PUT", path, {"version": 1, "kind": "vip", "level": "routine"}, 400),
        ("POST", f"{path}/end", {"reason": ""}, 400),
        ("POST", "/doorbell/recipients", {"member_id": county.member_b.pk, "kind": "other"}, 404),
        ("POST", "/doorbell/recipients", {"member_id": 2**63, "kind": "other"}, 400),
        ("POST", "/doorbell/recipients", {"member_id": True, "kind": "other"}, 400),
        ("PUT", f"{path}/pairing", {"primary_id": True}, 400),
        ("PUT", f"/doorbell/settings/{county.village_a.pk}", {
            "ack_minutes": 61, "offline_minutes": 60, "battery_low": 20}, 400),
        ("PUT", f"/doorbell/settings/{county.village_a.pk}", {
            "ack_minutes": 3, "offline_minutes": 60, "battery_low": 20,
            "duty_cadre_id": p.town.pk}, 404),
        ("PUT", f"/doorbell/settings/{county.village_b.pk}", {
            "ack_minutes": 3, "offline_minutes": 60, "battery_low": 20}, 404),
    ]  # fmt: skip
    for method, url, body, status in cases:
        answer = api.send(method, url, body)
        assert answer.status_code == status, (url, body, answer.content)
        assert set(answer.json()) >= {"code", "message"}
    # A leader sees the recipient but may not change it; a stranger gets 404.
    leader = ApiClient(p.neighbour)
    assert leader.get(path).status_code == 200
    assert leader.post(f"{path}/end", {"reason": "x"}).status_code == 403
    assert ApiClient(p.town_b).post(f"{path}/end", {"reason": "x"}).status_code == 404
    after = (AuditLog.objects.exclude(action="token.create").count(), CarePairing.objects.count())
    assert after == before


def test_settings_in_force_and_set(p, county):
    api = ApiClient(p.town)
    got = api.get(f"/doorbell/settings/{county.village_a.pk}")
    assert got.status_code == 200
    assert got.json() == {
        "unit_id": county.village_a.pk,
        "own": False,
        "source_unit_id": None,
        "ack_minutes": 3,
        "arrive_minutes": 20,
        "offline_minutes": 1440,
        "battery_low": 20,
        "duty_cadre_id": None,
    }
    body = {
        "ack_minutes": 5,
        "offline_minutes": 120,
        "battery_low": 25,
        "duty_cadre_id": p.village.pk,
    }
    put = api.send("PUT", f"/doorbell/settings/{county.village_a.pk}", body)
    assert put.status_code == 200 and put.json()["own"] is True
    assert put.json()["duty_cadre_id"] == p.village.pk
    inherited = api.get(f"/doorbell/settings/{county.group_a.pk}").json()
    assert inherited["source_unit_id"] == county.village_a.pk and inherited["ack_minutes"] == 5
    assert DoorbellSettings.objects.get().updated_by == p.town
    assert AuditLog.objects.filter(action=AuditAction.DOORBELL_SETTINGS).count() == 1
    # Representatives and other towns do not manage it.
    assert ApiClient(p.rep).get(f"/doorbell/settings/{county.village_a.pk}").status_code == 404
    assert ApiClient(p.town_b).get(f"/doorbell/settings/{county.village_a.pk}").status_code == 404
