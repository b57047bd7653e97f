"""Response figures: per representative and per unit, medians and the 90th percentile of
the time to acknowledge, the median time to arrive, the primary's share, escalations."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from linli.doorbell import selectors
from linli.doorbell.models import Alarm

from .alarm_kit import AlarmWorld

pytestmark = pytest.mark.django_db


def _answered(world, *, ack_s: int, arrive_s: int | None, by, step: int = 0, days_ago: int = 1):
    t0 = timezone.now() - dt.timedelta(days=days_ago)
    alarm = world.press(at=t0)
    Alarm.objects.filter(pk=alarm.pk).update(
        acknowledged_at=t0 + dt.timedelta(seconds=ack_s),
        acknowledged_by=by,
        arrived_at=t0 + dt.timedelta(seconds=arrive_s) if arrive_s is not None else None,
        step=step,
        status="closed",
        next_step_at=None,
    )
    return alarm


def test_the_figures_of_a_representative_and_a_unit(county):
    world = AlarmWorld(county)
    for ack in (30, 60, 90, 120, 600):
        _answered(world, ack_s=ack, arrive_s=ack + 300, by=world.rep)
    _answered(world, ack_s=400, arrive_s=None, by=world.neighbour, step=1)
    _answered(world, ack_s=5, arrive_s=10, by=world.rep, days_ago=45)  # out of the period
    # Never answered (last: a press while it is open would join it).
    world.press(at=timezone.now() - dt.timedelta(days=2))
    start, end = selectors.default_period()

    [figures] = selectors.representative_response([county.rep_a.pk], start, end).values()
    assert figures.alarms == 7 and figures.acknowledged == 6
    assert figures.ack_median == 90  # 30 60 90 | 120 400 600: the nearest rank below
    assert figures.ack_p90 == 600
    assert figures.arrive_median == 390  # 330 360 390 420 900
    assert figures.by_primary == 5 and figures.primary_share == pytest.approx(5 / 6)
    assert figures.escalated == 1

    seen = selectors.response_figures(world.town, None, start, end)
    assert seen["total"] == figures
    assert [r.label for r in seen["units"]] == [county.village_a.name]
    assert [r.figures.alarms for r in seen["representatives"]] == [7]
    # Below a village: per group.
    seen = selectors.response_figures(world.town, county.village_a, start, end)
    assert [r.label for r in seen["units"]] == [county.group_a.name]
    # Another town sees nothing of it.
    assert selectors.response_figures(world.town_b, None, start, end)["total"].alarms == 0


def test_no_alarms_no_figures(county):
    start, end = selectors.default_period()
    figures = selectors.representative_response([county.rep_a.pk], start, end)[county.rep_a.pk]
    assert figures.alarms == 0 and figures.ack_median is None and figures.primary_share is None
