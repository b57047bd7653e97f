"""Who sees an alarm, and for how long (policy.alarm_q and can_view_alarm, one rule):
a person only told of it (not a carer, no household role over the unit) sees it while
it is open and for TOLD_VIEW_HOURS after it closed, never after; the carers and the
village see it for good. The query filter and the object check agree."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from linli.doorbell import policy, selectors, services
from linli.doorbell.models import Alarm, CarePairing
from tests.support.api import ApiClient

from .alarm_kit import AlarmWorld

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(county):
    return AlarmWorld(county)


def _sees(user, alarm) -> bool:
    """Both forms of the rule, which must agree."""
    listed = Alarm.objects.filter(policy.alarm_q(user), pk=alarm.pk).exists()
    fresh = Alarm.objects.select_related("unit").get(pk=alarm.pk)
    assert listed == policy.can_view_alarm(user, fresh), user
    return listed


def _told_neighbour_no_longer_a_carer(world) -> Alarm:
    """The neighbour backup told at step 1, then the pairing ended: told, not a carer."""
    alarm = world.press()
    services.escalate_tick(now=timezone.now() + dt.timedelta(minutes=4))
    CarePairing.objects.filter(pk=world.pairing.pk).update(ended_on=timezone.localdate())
    return alarm


def _closed_ago(alarm, hours: float) -> None:
    Alarm.objects.filter(pk=alarm.pk).update(closed_at=timezone.now() - dt.timedelta(hours=hours))


def test_told_only_sees_it_open_and_for_a_day_after_closing(world):
    assert policy.TOLD_VIEW_HOURS == 24
    alarm = _told_neighbour_no_longer_a_carer(world)
    assert not policy.is_carer(world.neighbour, world.recipient)
    assert _sees(world.neighbour, alarm)  # open
    services.alarm_close(actor=world.cadre, alarm=alarm, outcome="company", note="聊天")
    assert _sees(world.neighbour, alarm)  # just closed
    _closed_ago(alarm, 23.5)
    assert _sees(world.neighbour, alarm)
    _closed_ago(alarm, 24.5)
    assert not _sees(world.neighbour, alarm)
    # The primary (told at step 0, no longer a carer either) too.
    assert not _sees(world.rep, alarm)
    # The village and the town over the unit keep seeing it.
    for user in (world.cadre, world.town):
        assert _sees(user, alarm)
    assert not _sees(world.town_b, alarm)


def test_a_carer_keeps_seeing_it(world):
    alarm = world.press()
    services.escalate_tick(now=timezone.now() + dt.timedelta(minutes=4))
    services.alarm_close(actor=world.cadre, alarm=alarm, outcome="company")
    _closed_ago(alarm, 24 * 30)
    # The neighbour is still a backup with an account of the current pairing: a carer.
    assert policy.is_carer(world.neighbour, world.recipient)
    assert _sees(world.neighbour, alarm) and _sees(world.rep, alarm)


def test_page_panel_and_api_follow_the_rule(client, world):
    alarm = _told_neighbour_no_longer_a_carer(world)
    services.alarm_close(actor=world.cadre, alarm=alarm, outcome="company")
    client.force_login(world.neighbour)
    detail = reverse("doorbell:alarm_detail", args=[alarm.pk])
    api = ApiClient(world.neighbour)
    assert client.get(detail).status_code == 200
    assert api.get(f"/doorbell/alarms/{alarm.pk}").status_code == 200
    assert alarm.pk in selectors.alarms_visible(world.neighbour).values_list("pk", flat=True)
    _closed_ago(alarm, 25)
    assert client.get(detail).status_code == 404
    assert api.get(f"/doorbell/alarms/{alarm.pk}").status_code == 404
    listed = api.get("/doorbell/alarms")
    assert listed.status_code == 200 and alarm.pk not in {a["id"] for a in listed.json()["items"]}
    assert alarm.pk not in selectors.alarms_visible(world.neighbour).values_list("pk", flat=True)
    # Nor may they act on it any more (closed anyway) or call the contacts.
    assert not policy.can_call_contacts(world.neighbour, alarm)
