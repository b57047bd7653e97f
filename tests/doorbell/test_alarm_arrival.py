"""The arrival timeout: "我马上到" stops the escalation for the unit's `arrive_minutes`
only; nobody at the door by then, the acknowledgement lapses and the tick tells the
next person (docs/doorbell.md, "The escalation")."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from linli.doorbell import selectors, services
from linli.doorbell.models import (
    DEFAULT_ARRIVE_MINUTES,
    AlarmEvent,
    AlarmEventKind,
    AlarmNotice,
    AlarmStatus,
    DoorbellSettings,
    NoticeRole,
)

from .alarm_kit import AlarmWorld

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(county):
    return AlarmWorld(county)


def _ack_at(world, alarm, at):
    with mock.patch("django.utils.timezone.now", return_value=at):
        return services.alarm_acknowledge(actor=world.rep, alarm=alarm)


def test_the_default_is_twenty_minutes_inherited_down_the_tree(world):
    c = world.county
    assert DEFAULT_ARRIVE_MINUTES == 20
    assert selectors.settings_for(c.group_a).arrive_minutes == 20
    DoorbellSettings.objects.create(unit=c.town_a, arrive_minutes=45)
    assert selectors.settings_for(c.group_a).arrive_minutes == 45
    DoorbellSettings.objects.create(unit=c.village_a, arrive_minutes=10)
    assert selectors.settings_for(c.group_a).arrive_minutes == 10


def test_no_arrival_within_the_timeout_tells_the_next_step(world):
    t0 = timezone.now().replace(microsecond=0)
    alarm = world.press(at=t0)
    acked = t0 + dt.timedelta(minutes=1)
    alarm = _ack_at(world, alarm, acked)
    limit = acked + dt.timedelta(minutes=20)
    assert alarm.next_step_at == limit
    assert services.escalate_tick(now=limit - dt.timedelta(seconds=1)) == {"escalated": 0}

    assert services.escalate_tick(now=limit) == {"escalated": 1, "arrival_missed": 1}
    alarm.refresh_from_db()
    # Waiting again: the next person (backup 1) is told and may tap "我马上到".
    assert alarm.status == AlarmStatus.NOTIFIED and alarm.step == 1
    assert alarm.arrival_missed_at == limit
    assert alarm.acknowledged_at is None and alarm.acknowledged_by is None
    assert alarm.next_step_at == limit + dt.timedelta(minutes=3)
    notice = AlarmNotice.objects.get(alarm=alarm, step=1)
    assert (notice.role, notice.user_id) == (NoticeRole.BACKUP, world.neighbour.pk)
    missed = AlarmEvent.objects.get(alarm=alarm, kind=AlarmEventKind.ARRIVAL_MISSED)
    assert missed.at == limit and missed.actor_id == world.rep.pk
    assert "20" in missed.note and world.rep.name in missed.note
    kinds = list(alarm.events.order_by("at", "id").values_list("kind", flat=True))
    assert kinds[-3:] == ["acknowledged", "arrival_missed", "escalated"]
    # The version is kept (an escalation): the late acknowledger's page still answers.
    late = services.alarm_arrive(actor=world.rep, alarm=alarm, version=alarm.version)
    assert late.status == AlarmStatus.ARRIVED and late.acknowledged_by_id == world.rep.pk


def test_the_next_person_acknowledges_and_gets_their_own_timeout(world):
    t0 = timezone.now().replace(microsecond=0)
    DoorbellSettings.objects.create(unit=world.county.village_a, arrive_minutes=5)
    alarm = _ack_at(world, world.press(at=t0), t0)
    services.escalate_tick(now=t0 + dt.timedelta(minutes=5))
    alarm.refresh_from_db()
    again = t0 + dt.timedelta(minutes=6)
    with mock.patch("django.utils.timezone.now", return_value=again):
        alarm = services.alarm_acknowledge(actor=world.neighbour, alarm=alarm)
    assert alarm.acknowledged_by_id == world.neighbour.pk and alarm.acknowledged_at == again
    assert alarm.next_step_at == again + dt.timedelta(minutes=5)
    # The neighbour does not come either: backup 2 (a mobile) is told.
    assert services.escalate_tick(now=again + dt.timedelta(minutes=5))["arrival_missed"] == 1
    assert AlarmNotice.objects.get(alarm=alarm, step=2).name == "女儿李梅"


def test_at_the_top_of_the_ladder_the_alarm_goes_red(world):
    """The cadre (the last step) acknowledged and did not come: nobody new to tell, so
    the alarm waits on the panel as unanswered, marked "nobody arrived in time"."""
    t0 = timezone.now().replace(microsecond=0)
    alarm = world.press(at=t0)
    for minutes in (3, 6, 9):
        services.escalate_tick(now=t0 + dt.timedelta(minutes=minutes))
    alarm.refresh_from_db()
    assert alarm.step == 3 and alarm.next_step_at is None
    with mock.patch("django.utils.timezone.now", return_value=t0 + dt.timedelta(minutes=10)):
        alarm = services.alarm_acknowledge(actor=world.cadre, alarm=alarm)
    done = services.escalate_tick(now=t0 + dt.timedelta(minutes=30))
    assert done == {"escalated": 1, "arrival_missed": 1}
    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.NOTIFIED and alarm.next_step_at is None
    assert AlarmNotice.objects.filter(alarm=alarm).count() == 4  # nobody told twice
    [row] = [a for a in selectors.alarms_open(world.cadre) if a.pk == alarm.pk]
    assert row.unanswered
    # Nothing more happens on later ticks.
    assert services.escalate_tick(now=t0 + dt.timedelta(hours=3)) == {"escalated": 0}


def test_the_panel_and_the_page_show_it(client, world):
    t0 = timezone.now() - dt.timedelta(minutes=30)
    alarm = _ack_at(world, world.press(at=t0), t0)
    services.escalate_tick(now=timezone.now())
    client.force_login(world.cadre)
    page = client.get(reverse("doorbell:alarm_detail", args=[alarm.pk])).content.decode()
    assert 'id="alarm-arrival-missed"' in page
    assert "前往者未按时到达" in page or "Nobody arrived in time" in page
    panel = client.get(reverse("doorbell:alarms") + "?part=open").content.decode()
    assert "arrival-missed" in panel
    api = client.get(f"/api/v1/doorbell/alarms/{alarm.pk}").json()
    assert api["arrival_missed_at"] is not None and api["status"] == "notified"
    assert any(e["kind"] == "arrival_missed" for e in api["events"])


def test_the_setting_on_the_page_and_the_api(client, world):
    c = world.county
    client.force_login(world.town)
    url = reverse("doorbell:settings", args=[c.town_a.pk])
    assert client.get(url).status_code == 200
    form = {"ack_minutes": 3, "arrive_minutes": 30, "offline_minutes": 1440, "battery_low": 20}
    assert client.post(url, form).status_code == 302
    assert selectors.settings_for(c.group_a).arrive_minutes == 30
    too_long = client.post(url, {**form, "arrive_minutes": 241})
    assert too_long.status_code == 400 or "240" in too_long.content.decode()
    api = f"/api/v1/doorbell/settings/{c.town_a.pk}"
    body = {"ack_minutes": 3, "offline_minutes": 1440, "battery_low": 20}
    # Left out, the value in force is kept.
    r = client.put(api, body, content_type="application/json")
    assert r.status_code == 200 and r.json()["arrive_minutes"] == 30
    r = client.put(api, {**body, "arrive_minutes": 15}, content_type="application/json")
    assert r.status_code == 200 and r.json()["arrive_minutes"] == 15
    r = client.put(api, {**body, "arrive_minutes": 4}, content_type="application/json")
    assert r.status_code in (400, 422)
    assert DoorbellSettings.objects.get(unit=c.town_a).arrive_minutes == 15


def test_the_service_refuses_out_of_range(world):
    from linli.core.errors import InvalidInput

    with pytest.raises(InvalidInput):
        services.settings_set(
            actor=world.town,
            unit=world.county.town_a,
            ack_minutes=3,
            arrive_minutes=300,
            offline_minutes=1440,
            battery_low=20,
        )
