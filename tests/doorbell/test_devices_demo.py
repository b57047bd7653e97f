"""The demo's doorbells (demo.seed_devices): one per elderly household, deterministic ids and
secrets, so the simulator works out of the box; the maintenance list is not empty."""

from __future__ import annotations

import pytest

from linli.doorbell import demo, protocol, services, simulator
from linli.doorbell.models import Alarm, Device, MaintenanceTask, TaskKind

pytestmark = pytest.mark.django_db


def test_seed_devices_binds_the_elderly_households_and_is_idempotent(county):
    made = demo.seed_devices()
    assert made == 1  # the county's one household of an elderly person living alone
    device = Device.objects.get()
    assert device.household == county.households_a[0]
    assert device.device_id == f"DB-{county.village_a.pk}-001"  # the village has no code
    assert device.secret == demo.demo_secret(device.device_id)
    assert demo.seed_devices() == 0
    assert Device.objects.count() == 1


def test_a_demo_doorbell_can_be_pressed_with_its_derived_secret(county):
    demo.seed_devices()
    device = Device.objects.get()
    topic, payload = protocol.build(
        device_id=device.device_id,
        secret=demo.demo_secret(device.device_id),
        seq=simulator.next_seq(),  # what `doorbell_press` sends by default: the clock
    )
    outcome = services.message_receive(payload=payload, topic=topic, channel="mqtt")
    assert outcome.accepted and Alarm.objects.get().pk == outcome.alarm_id


def test_the_demo_has_a_low_battery_task(county, superuser):
    from linli.org import services as org

    for n in range(2):
        org.household_create(
            actor=superuser,
            unit=county.group_a,
            head_name=f"独居{n}",
            address=f"李畋村一组独居{n}号",
            tags=["elderly_alone"],
        )
    assert demo.seed_devices() == 3
    kinds = set(MaintenanceTask.objects.values_list("kind", flat=True))
    assert kinds == {TaskKind.LOW_BATTERY, TaskKind.OFFLINE}
    never = Device.objects.get(last_seen_at__isnull=True)
    assert MaintenanceTask.objects.get(kind=TaskKind.OFFLINE).device == never
