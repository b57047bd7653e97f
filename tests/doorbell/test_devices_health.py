"""The health tick (`doorbell.health`): doorbells not heard from for their unit's offline
time get one OFFLINE task; a second tick (or two at once) opens nothing more."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from linli.core import ticks
from linli.doorbell import services
from linli.doorbell.models import DeviceStatus, DoorbellSettings, MaintenanceTask, TaskKind
from tests.doorbell.devices_support import device, message

pytestmark = pytest.mark.django_db

AGO = timezone.now


def _ago(**kw):
    return timezone.now() - dt.timedelta(**kw)


def test_the_tick_is_registered_every_minute():
    tick = ticks.registered()["doorbell.health"]
    assert tick.every == 60 and tick.func_path == "linli.doorbell.services.health_tick"


def test_silent_and_never_seen_doorbells_get_one_offline_task(county):
    silent = device(county.village_a, device_id="DB-A", last_seen_at=_ago(days=2))
    never = device(county.village_a, device_id="DB-B", created_at=_ago(days=2))
    device(county.village_a, device_id="DB-C", last_seen_at=_ago(minutes=5))  # fine
    device(county.village_a, device_id="DB-D", created_at=_ago(minutes=5))  # just put up
    device(
        county.village_a, device_id="DB-E", last_seen_at=_ago(days=9), status=DeviceStatus.RETIRED
    )
    assert services.health_tick() == {"offline": 2}
    tasks = MaintenanceTask.objects.filter(kind=TaskKind.OFFLINE, resolved_at__isnull=True)
    assert {t.device for t in tasks} == {silent, never}
    assert "never" in tasks.get(device=never).detail
    assert services.health_tick() == {"offline": 0}
    assert MaintenanceTask.objects.count() == 2


def test_the_offline_time_is_the_units_own(county):
    DoorbellSettings.objects.create(unit=county.village_a, offline_minutes=30)
    a = device(county.village_a, device_id="DB-A", last_seen_at=_ago(minutes=45))
    device(county.village_b, device_id="DB-B", last_seen_at=_ago(minutes=45))  # default: a day
    services.health_tick()
    assert list(MaintenanceTask.objects.values_list("device", flat=True)) == [a.pk]


def test_a_task_resolved_by_a_heartbeat_is_opened_again_when_silent_again(county):
    d = device(county.village_a, last_seen_at=_ago(days=2))
    services.health_tick()
    services.message_receive(
        payload=message(seq=1, kind="heartbeat")[1], topic=None, channel="http"
    )
    assert not MaintenanceTask.objects.filter(resolved_at__isnull=True).exists()
    type(d).objects.filter(pk=d.pk).update(last_seen_at=_ago(days=3))
    services.health_tick()
    assert MaintenanceTask.objects.filter(resolved_at__isnull=True).count() == 1
    assert MaintenanceTask.objects.count() == 2


def test_an_insert_racing_another_tick_is_ignored_not_doubled(county):
    """Two ticks at once: the second's insert meets the first's open task (the partial
    unique constraint, ON CONFLICT DO NOTHING), whatever its own read said."""
    d = device(county.village_a, last_seen_at=_ago(days=2))
    MaintenanceTask.objects.bulk_create(
        [MaintenanceTask(device=d, unit=d.unit, kind=TaskKind.OFFLINE)], ignore_conflicts=True
    )
    MaintenanceTask.objects.bulk_create(
        [MaintenanceTask(device=d, unit=d.unit, kind=TaskKind.OFFLINE)], ignore_conflicts=True
    )
    assert MaintenanceTask.objects.count() == 1
    services.health_tick()
    assert MaintenanceTask.objects.count() == 1


def test_a_resolved_offline_task_and_an_open_battery_task_do_not_hide_a_new_outage(county):
    """The exclusion is one Exists on an open OFFLINE task: a filter across the relation
    read as "some OFFLINE task and some open task", which skipped this doorbell."""
    bell = device(county.village_a, device_id="DB-F", last_seen_at=_ago(days=3))
    MaintenanceTask.objects.create(
        device=bell, unit=bell.unit, kind=TaskKind.OFFLINE, resolved_at=_ago(days=5)
    )
    MaintenanceTask.objects.create(device=bell, unit=bell.unit, kind=TaskKind.LOW_BATTERY)
    assert services.health_tick() == {"offline": 1}
    assert MaintenanceTask.objects.filter(
        device=bell, kind=TaskKind.OFFLINE, resolved_at__isnull=True
    ).exists()
