"""Two escalation ticks at once (PostgreSQL row locks, SKIP LOCKED): every due alarm
moves one step, and nobody is told twice."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from linli.doorbell import services
from linli.doorbell.models import AlarmEvent, AlarmEventKind, AlarmNotice
from linli.notify.models import Outbox

from .alarm_kit import AlarmWorld, device_for, press

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(fns):
    barrier = threading.Barrier(len(fns))
    outcomes: list = [None] * len(fns)

    def run(i, fn):
        try:
            barrier.wait()
            outcomes[i] = fn()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def test_two_ticks_at_once_tell_each_next_person_once(county):
    if connection.vendor != "postgresql":
        pytest.skip("row-lock race runs in the PostgreSQL pass")
    world = AlarmWorld(county)
    t0 = timezone.now()
    # Twelve presses from other cared-for households (one alarm each: a household's
    # further presses join its open alarm), all unanswered.
    from linli.doorbell.models import CarePairing, CareRecipient
    from tests.support.factories import add_households, add_member

    alarms = [world.press(at=t0)]
    for household in add_households(county, 12):
        recipient = CareRecipient.objects.create(
            household=household,
            member=add_member(county, household),
            unit=household.unit,
            kind="elderly_alone",
        )
        pairing = CarePairing.objects.create(recipient=recipient, primary=county.rep_a)
        pairing.backups.create(order=1, kind="neighbour", user=world.neighbour, name="邻居王")
        alarms.append(press(device_for(household), at=t0))
    assert len(alarms) == 13
    due = t0 + dt.timedelta(minutes=3)
    outcomes = _race([lambda: services.escalate_tick(now=due) for _ in range(3)])
    assert sum(o["escalated"] for o in outcomes) == 13
    for a in alarms:
        a.refresh_from_db()
        assert a.step == 1
        assert AlarmNotice.objects.filter(alarm=a, step=1).count() == 1
        assert AlarmEvent.objects.filter(alarm=a, kind=AlarmEventKind.ESCALATED).count() == 1
    # One SMS per alarm to the neighbour, never two.
    to_neighbour = [
        o for o in Outbox.objects.filter(kind=services.NOTIFY_KIND) if o.address == "13955550006"
    ]
    assert len(to_neighbour) == 13
    # And the next round, raced again, moves each exactly one more step.
    later = due + dt.timedelta(minutes=3)
    outcomes = _race([lambda: services.escalate_tick(now=later) for _ in range(3)])
    assert sum(o["escalated"] for o in outcomes) == 13
    assert AlarmNotice.objects.filter(step=2).values("alarm").distinct().count() == 13


def test_two_ticks_at_once_lapse_each_missed_arrival_once(county):
    """The arrival timeout goes through the same guards: three ticks over acknowledged
    alarms nobody arrived at tell each next person once and write one lapse each."""
    if connection.vendor != "postgresql":
        pytest.skip("row-lock race runs in the PostgreSQL pass")
    from linli.doorbell.models import AlarmStatus, CarePairing, CareRecipient
    from tests.support.factories import add_households, add_member

    world = AlarmWorld(county)
    t0 = timezone.now()
    alarms = [world.press(at=t0)]
    for household in add_households(county, 8):
        recipient = CareRecipient.objects.create(
            household=household,
            member=add_member(county, household),
            unit=household.unit,
            kind="elderly_alone",
        )
        pairing = CarePairing.objects.create(recipient=recipient, primary=county.rep_a)
        pairing.backups.create(order=1, kind="neighbour", user=world.neighbour, name="邻居王")
        alarms.append(press(device_for(household), at=t0))
    alarms = [services.alarm_acknowledge(actor=world.rep, alarm=a) for a in alarms]
    due = timezone.now() + dt.timedelta(minutes=21)
    outcomes = _race([lambda: services.escalate_tick(now=due) for _ in range(3)])
    assert sum(o.get("arrival_missed", 0) for o in outcomes) == 9
    assert sum(o["escalated"] for o in outcomes) == 9
    for a in alarms:
        a.refresh_from_db()
        assert a.status == AlarmStatus.NOTIFIED and a.step == 1
        assert AlarmNotice.objects.filter(alarm=a, step=1).count() == 1
        lapses = AlarmEvent.objects.filter(alarm=a, kind=AlarmEventKind.ARRIVAL_MISSED)
        assert lapses.count() == 1
