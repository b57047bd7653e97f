"""Two receivers at once (two bridges, a redelivery racing the first delivery, the HTTP
endpoint and the bridge): one message row, one alarm; two health ticks at once: one task
(PostgreSQL: row locks and ON CONFLICT)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from linli.doorbell import services
from linli.doorbell.models import Alarm, DeviceMessage, DeviceRejection, MaintenanceTask
from tests.doorbell.devices_support import device, message

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def pg(county):
    if connection.vendor != "postgresql":
        pytest.skip("the race runs in the PostgreSQL pass")
    return county


def _together(n, work):
    barrier = threading.Barrier(n)
    results: list = []

    def run():
        try:
            barrier.wait()
            results.append(work())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_the_same_press_received_four_times_at_once_makes_one_alarm(pg):
    device(pg.village_a, household=pg.households_a[0])
    topic, payload = message(seq=77)
    outcomes = _together(
        4, lambda: services.message_receive(payload=payload, topic=topic, channel="mqtt")
    )
    assert sorted(o.status for o in outcomes) == ["accepted", "duplicate", "duplicate", "duplicate"]
    assert Alarm.objects.count() == 1 and DeviceMessage.objects.count() == 1
    assert DeviceRejection.objects.filter(reason="replay").count() == 3


def test_different_presses_at_once_make_one_alarm_pressed_again(pg):
    d = device(pg.village_a, household=pg.households_a[0])
    payloads = iter([message(seq=n)[1] for n in range(1, 5)])
    lock = threading.Lock()

    def work():
        with lock:
            payload = next(payloads)
        return services.message_receive(payload=payload, topic=None, channel="http")

    outcomes = _together(4, work)
    assert all(o.accepted for o in outcomes)
    # One household: one alarm, the three other presses on its timeline.
    [alarm] = Alarm.objects.all()
    assert {o.alarm_id for o in outcomes} == {alarm.pk}
    assert alarm.events.filter(kind="pressed_again").count() == 3
    d.refresh_from_db()
    assert d.last_seq == 4


def test_two_health_ticks_at_once_open_each_task_once(pg):
    for n in range(30):
        device(
            pg.village_a,
            device_id=f"DB-OFF-{n}",
            last_seen_at=timezone.now() - dt.timedelta(days=2),
        )
    _together(2, services.health_tick)
    assert MaintenanceTask.objects.filter(resolved_at__isnull=True).count() == 30
