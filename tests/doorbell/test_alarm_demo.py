"""The demo's alarms: nothing without doorbells bound to households; with them, a past of
closed alarms with realistic timings and one open alarm, once."""

from __future__ import annotations

import pytest

from linli.doorbell import demo, selectors
from linli.doorbell.models import Alarm, AlarmStatus

from .alarm_kit import AlarmWorld

pytestmark = pytest.mark.django_db


def test_no_doorbells_no_alarms(county):
    assert demo.seed_alarms() == 0
    assert not Alarm.objects.exists()


def test_past_alarms_and_one_open(county):
    world = AlarmWorld(county)
    assert demo.seed_alarms() == 6
    assert Alarm.objects.filter(status=AlarmStatus.CLOSED).count() == 5
    [open_alarm] = selectors.alarms_open(world.town)
    assert open_alarm.next_step_at is not None and open_alarm.told
    start, end = selectors.default_period()
    figures = selectors.response_figures(world.town, None, start, end)["total"]
    assert figures.acknowledged == 5 and figures.escalated == 1
    assert 40 < figures.ack_median < 600
    assert demo.seed_alarms() == 0  # once
