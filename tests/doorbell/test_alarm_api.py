"""The alarms API: list (scoped, filtered), one alarm with its timeline and who was told
(mobiles masked), the three steps with their refusals, the response figures."""

from __future__ import annotations

import pytest

from linli.doorbell.models import AlarmStatus
from tests.support.api import ApiClient, rows

from .alarm_kit import AlarmWorld

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(county):
    return AlarmWorld(county)


def test_list_and_get_are_scoped(world):
    alarm = world.press()
    town = ApiClient(world.town)
    listed = rows(town.get("/doorbell/alarms"))
    assert [r["id"] for r in listed] == [alarm.pk]
    assert listed[0]["device"] == world.device.device_id
    assert rows(town.get("/doorbell/alarms", status="closed")) == []
    assert rows(ApiClient(world.town_b).get("/doorbell/alarms")) == []
    assert rows(ApiClient(world.stranger_rep).get("/doorbell/alarms")) == []
    assert [r["id"] for r in rows(ApiClient(world.rep).get("/doorbell/alarms"))] == [alarm.pk]
    assert ApiClient(world.town_b).get(f"/doorbell/alarms/{alarm.pk}").status_code == 404
    detail = town.get(f"/doorbell/alarms/{alarm.pk}").json()
    assert [e["kind"] for e in detail["events"]] == ["raised", "notified"]
    [notice] = detail["notices"]
    assert notice["name"] == world.county.rep_a.member.name
    assert notice["phone"] != "13955550001" and notice["phone"].startswith("139")


def test_the_steps(world):
    alarm = world.press()
    rep = ApiClient(world.rep)
    base = f"/doorbell/alarms/{alarm.pk}"
    stale = rep.post(f"{base}/acknowledge", {"version": alarm.version + 5})
    assert stale.status_code == 409 and stale.json()["code"] == "stale"
    acked = rep.post(f"{base}/acknowledge", {"version": alarm.version})
    assert acked.status_code == 200, acked.content
    assert acked.json()["status"] == AlarmStatus.ACKNOWLEDGED
    again = rep.post(f"{base}/acknowledge", {})
    assert again.status_code == 409 and again.json()["code"] == "wrong_status"
    bad = rep.post(f"{base}/arrive", {"latitude": 95, "longitude": 1})
    assert bad.status_code == 400
    arrived = rep.post(f"{base}/arrive", {"latitude": 28.15, "longitude": 113.63})
    assert arrived.status_code == 200 and arrived.json()["arrived_by"] == world.rep.name
    wrong = rep.post(f"{base}/close", {"outcome": "nonsense"})
    assert wrong.status_code == 400
    closed = rep.post(f"{base}/close", {"outcome": "medicine", "note": "送药"})
    assert closed.status_code == 200
    body = closed.json()
    assert body["status"] == "closed" and body["outcome"] == "medicine"
    assert [e["kind"] for e in body["events"]][-1] == "closed"
    assert ApiClient(world.town_b).post(f"{base}/close", {"outcome": "company"}).status_code == 404


def test_a_stranger_in_scope_of_nothing_gets_404_and_a_viewer_without_respond_403(world):
    alarm = world.press()
    # A group leader sees the village's alarms but may not answer for the village.
    from linli.accounts.models import Role
    from tests.support.roles import make_user

    leader = make_user("13955550020", "组长", Role.GROUP_LEADER, world.county.group_a)
    client = ApiClient(leader)
    assert client.get(f"/doorbell/alarms/{alarm.pk}").status_code == 200
    refused = client.post(f"/doorbell/alarms/{alarm.pk}/acknowledge", {})
    assert refused.status_code == 403


def test_figures(world):
    alarm = world.press()
    rep = ApiClient(world.rep)
    rep.post(f"/doorbell/alarms/{alarm.pk}/acknowledge", {})
    figures = ApiClient(world.town).get("/doorbell/alarms/figures").json()
    assert figures["total"]["alarms"] == 1 and figures["total"]["acknowledged"] == 1
    assert figures["total"]["acknowledged_by_primary"] == 1
    assert [r["label"] for r in figures["units"]] == [world.county.village_a.name]
    assert [r["label"] for r in figures["representatives"]] == [world.county.rep_a.member.name]
    bad = ApiClient(world.town).get(
        "/doorbell/alarms/figures", start="2026-05-01", end="2026-01-01"
    )
    assert bad.status_code == 400
