"""The doorbell registry API: list (filters), register (the secret answered once), detail,
maintenance tasks and resolving one."""

from __future__ import annotations

import pytest

from linli.accounts.models import AuditLog, Role
from linli.doorbell.models import Device, MaintenanceTask, TaskKind
from tests.doorbell.devices_support import device
from tests.support.api import ApiClient, rows
from tests.support.roles import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def cadre_api(county):
    return ApiClient(make_user("13600009101", "村干部", Role.VILLAGE, county.village_a))


def test_register_answers_the_secret_once(cadre_api, county):
    response = cadre_api.post(
        "/doorbell/devices",
        {
            "device_id": "DB-API-1",
            "unit_id": county.village_a.pk,
            "household_id": county.households_a[0].pk,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    d = Device.objects.get(device_id="DB-API-1")
    assert body["secret"] == d.secret and len(body["secret"]) == 32
    assert body["device"]["household_id"] == county.households_a[0].pk
    assert body["device"]["unit_id"] == county.group_a.pk
    detail = cadre_api.get(f"/doorbell/devices/{d.pk}").json()
    assert "secret" not in detail and d.secret not in str(detail)
    assert AuditLog.objects.filter(action="doorbell.device.register").count() == 1


@pytest.mark.parametrize(
    "body,status",
    [
        ({"device_id": "bad id", "unit_id": 1}, 400),
        ({"device_id": "DB\u0000", "unit_id": 1}, 400),
        ({"device_id": "DB-1", "unit_id": 2**70}, 400),
        ({"device_id": "DB-1"}, 400),
    ],
    ids=range(4),
)
def test_register_refuses_bad_input(cadre_api, county, body, status):
    if body.get("unit_id") == 1:
        body = {**body, "unit_id": county.village_a.pk}
    assert cadre_api.post("/doorbell/devices", body).status_code == status
    assert not Device.objects.exists()


def test_register_twice_is_a_conflict(cadre_api, county):
    body = {"device_id": "DB-API-2", "unit_id": county.village_a.pk}
    assert cadre_api.post("/doorbell/devices", body).status_code == 201
    assert cadre_api.post("/doorbell/devices", body).status_code == 409


def test_an_id_differing_only_in_case_is_a_conflict(cadre_api, county):
    body = {"device_id": "DB-430181110201-001", "unit_id": county.village_a.pk}
    assert cadre_api.post("/doorbell/devices", body).status_code == 201
    twin = cadre_api.post("/doorbell/devices", {**body, "device_id": "db-430181110201-001"})
    assert twin.status_code == 409 and "DB-430181110201-001" in twin.json()["message"]
    assert Device.objects.count() == 1


def test_a_leader_may_not_register(county):
    leader = ApiClient(make_user("13600009102", "组长", Role.GROUP_LEADER, county.group_a))
    response = leader.post("/doorbell/devices", {"device_id": "DB-L", "unit_id": county.group_a.pk})
    assert response.status_code == 403


def test_list_filters_and_tasks(cadre_api, county):
    low = device(county.village_a, device_id="DB-LOW", battery=3)
    device(county.village_a, device_id="DB-FINE")
    task = MaintenanceTask.objects.create(device=low, unit=low.unit, kind=TaskKind.LOW_BATTERY)
    assert {r["device_id"] for r in rows(cadre_api.get("/doorbell/devices"))} == {
        "DB-LOW",
        "DB-FINE",
    }
    only = rows(cadre_api.get("/doorbell/devices", health="low_battery"))
    assert [r["device_id"] for r in only] == ["DB-LOW"]
    assert cadre_api.get("/doorbell/devices", health="nonsense").status_code == 400
    tasks = rows(cadre_api.get("/doorbell/maintenance-tasks"))
    assert [(t["device_id"], t["kind"]) for t in tasks] == [("DB-LOW", "low_battery")]
    done = cadre_api.post(f"/doorbell/maintenance-tasks/{task.pk}/resolve", {"note": "换电池"})
    assert done.status_code == 200 and done.json()["note"] == "换电池"
    assert cadre_api.post(f"/doorbell/maintenance-tasks/{task.pk}/resolve", {}).status_code == 409
    assert rows(cadre_api.get("/doorbell/maintenance-tasks")) == []
    assert len(rows(cadre_api.get("/doorbell/maintenance-tasks", state="resolved"))) == 1
