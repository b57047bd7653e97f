"""The alarm's rules: who is told at the press, the escalation ladder and its timing,
the steps (acknowledge, arrive, close) and what each refuses."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from linli.accounts.models import AuditAction, AuditLog, Role
from linli.core.errors import Conflict, Forbidden, InvalidInput
from linli.doorbell import services, workflow
from linli.doorbell.models import (
    AlarmEvent,
    AlarmEventKind,
    AlarmNotice,
    AlarmStatus,
    DoorbellSettings,
    NoticeRole,
)
from linli.notify.models import Outbox
from tests.support.roles import make_user

from .alarm_kit import BACKUP_PHONE, AlarmWorld, device_for, press

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(county):
    return AlarmWorld(county)


def _sms(to: str) -> list[Outbox]:
    return [
        o
        for o in Outbox.objects.filter(channel="sms", kind=services.NOTIFY_KIND)
        if o.address == to
    ]


def test_the_table():
    assert workflow.allowed("acknowledge", AlarmStatus.NOTIFIED)
    assert not workflow.allowed("acknowledge", AlarmStatus.ARRIVED)
    assert workflow.actions_from(AlarmStatus.CLOSED) == []
    assert workflow.escalates(AlarmStatus.RAISED) and not workflow.escalates("acknowledged")
    assert AlarmStatus.ACKNOWLEDGED in workflow.TIMED and AlarmStatus.ARRIVED not in workflow.TIMED


def test_a_press_tells_the_primary_at_once(world):
    alarm = world.press()
    assert alarm.status == AlarmStatus.NOTIFIED
    assert alarm.step == 0
    assert alarm.next_step_at == alarm.raised_at + dt.timedelta(minutes=3)
    notice = AlarmNotice.objects.get(alarm=alarm)
    assert (notice.step, notice.role, notice.user_id) == (0, NoticeRole.PRIMARY, world.rep.pk)
    assert notice.live and notice.sms
    [sms] = _sms("13955550001")
    assert world.household.address in sms.body and f"/doorbell/alarms/{alarm.pk}/" in sms.body
    kinds = list(alarm.events.values_list("kind", flat=True))
    assert kinds == [AlarmEventKind.RAISED, AlarmEventKind.NOTIFIED]
    # A device's alarm is no person's action: its record is the message, the alarm and
    # its RAISED event (docs/doorbell.md), not an audit row.
    raised = alarm.events.get(kind=AlarmEventKind.RAISED)
    assert raised.at == alarm.raised_at == alarm.message.received_at and raised.actor is None
    assert not AuditLog.objects.filter(action=AuditAction.DOORBELL_ALARM_RAISE).exists()


def test_the_unit_settings_set_the_timeout(world):
    DoorbellSettings.objects.create(unit=world.county.town_a, ack_minutes=5)
    alarm = world.press()
    assert alarm.next_step_at == alarm.raised_at + dt.timedelta(minutes=5)


def test_no_pairing_tells_the_village_cadre_straight_away(county):
    world = AlarmWorld(county)
    other = county.households_a[2]
    alarm = press(device_for(other))
    [notice] = AlarmNotice.objects.filter(alarm=alarm)
    assert (notice.role, notice.user_id) == (NoticeRole.CADRE, world.cadre.pk)
    assert alarm.next_step_at is None  # the top of the ladder: it waits on the panel
    assert alarm.status == AlarmStatus.NOTIFIED


def test_the_cadre_on_duty_is_told_instead_of_every_cadre(county):
    world = AlarmWorld(county)
    duty = make_user("13955550010", "值班干部", Role.VILLAGE, county.village_a)
    DoorbellSettings.objects.create(unit=county.village_a, duty_cadre=duty)
    alarm = press(device_for(county.households_a[2]))
    assert list(AlarmNotice.objects.filter(alarm=alarm).values_list("user_id", flat=True)) == [
        duty.pk
    ]
    assert world.cadre.pk != duty.pk


def test_primary_silent_backups_in_order_each_after_its_timeout_then_the_cadre(world):
    t0 = timezone.now().replace(microsecond=0)
    alarm = world.press(at=t0)
    n = dt.timedelta(minutes=3)
    assert services.escalate_tick(now=t0 + n - dt.timedelta(seconds=1)) == {"escalated": 0}

    assert services.escalate_tick(now=t0 + n) == {"escalated": 1}
    alarm.refresh_from_db()
    b1 = AlarmNotice.objects.get(alarm=alarm, step=1)
    assert (b1.role, b1.user_id, b1.told_at) == (NoticeRole.BACKUP, world.neighbour.pk, t0 + n)
    assert b1.live and b1.sms and len(_sms("13955550006")) == 1
    assert alarm.next_step_at == t0 + 2 * n

    assert services.escalate_tick(now=t0 + n + dt.timedelta(minutes=2)) == {"escalated": 0}
    assert services.escalate_tick(now=t0 + 2 * n) == {"escalated": 1}
    b2 = AlarmNotice.objects.get(alarm=alarm, step=2)
    assert (b2.name, b2.user_id, b2.live, b2.sms) == ("女儿李梅", None, False, True)
    [sms] = _sms(BACKUP_PHONE)
    assert sms.user_id is None and world.household.address in sms.body

    assert services.escalate_tick(now=t0 + 3 * n) == {"escalated": 1}
    alarm.refresh_from_db()
    cadre = AlarmNotice.objects.get(alarm=alarm, step=3)
    assert (cadre.role, cadre.user_id) == (NoticeRole.CADRE, world.cadre.pk)
    assert alarm.next_step_at is None and alarm.step == 3

    assert services.escalate_tick(now=t0 + 30 * n) == {"escalated": 0}
    escalations = AlarmEvent.objects.filter(alarm=alarm, kind=AlarmEventKind.ESCALATED)
    assert [e.at for e in escalations.order_by("at")] == [t0 + n, t0 + 2 * n, t0 + 3 * n]
    # Each person told once.
    assert AlarmNotice.objects.filter(alarm=alarm).count() == 4


def test_a_late_tick_gives_each_person_their_own_timeout(world):
    t0 = timezone.now().replace(microsecond=0)
    alarm = world.press(at=t0)
    late = t0 + dt.timedelta(minutes=20)  # the tick was down
    assert services.escalate_tick(now=late) == {"escalated": 1}
    alarm.refresh_from_db()
    assert alarm.step == 1 and alarm.next_step_at == late + dt.timedelta(minutes=3)


def test_acknowledging_stops_the_escalation_until_the_arrival_timeout(world):
    t0 = timezone.now()
    alarm = world.press(at=t0)
    alarm = services.alarm_acknowledge(actor=world.rep, alarm=alarm, version=alarm.version)
    assert alarm.status == AlarmStatus.ACKNOWLEDGED
    # No acknowledgement timeout any more: the arrival timeout (20 minutes by default).
    assert alarm.next_step_at == alarm.acknowledged_at + dt.timedelta(minutes=20)
    assert services.escalate_tick(now=t0 + dt.timedelta(minutes=10)) == {"escalated": 0}
    assert AuditLog.objects.filter(action=AuditAction.DOORBELL_ALARM_ACK).count() == 1


def test_arriving_or_closing_stops_the_arrival_timeout(world):
    t0 = timezone.now()
    alarm = world.press(at=t0)
    alarm = services.alarm_acknowledge(actor=world.rep, alarm=alarm)
    alarm = services.alarm_arrive(actor=world.rep, alarm=alarm)
    assert alarm.next_step_at is None
    assert services.escalate_tick(now=t0 + dt.timedelta(hours=1)) == {"escalated": 0}
    other = press(device_for(world.county.households_a[2]), at=t0)
    other = services.alarm_acknowledge(actor=world.cadre, alarm=other)
    other = services.alarm_close(actor=world.cadre, alarm=other, outcome="false_press")
    assert other.next_step_at is None
    assert services.escalate_tick(now=t0 + dt.timedelta(hours=1)) == {"escalated": 0}


def test_the_whole_life(world):
    alarm = world.press()
    alarm = services.alarm_acknowledge(actor=world.rep, alarm=alarm)
    alarm = services.alarm_arrive(
        actor=world.rep, alarm=alarm, latitude="28.1512346", longitude="113.6312345"
    )
    assert alarm.status == AlarmStatus.ARRIVED and str(alarm.latitude) == "28.151235"
    alarm = services.alarm_close(actor=world.rep, alarm=alarm, outcome="company", note="聊天")
    assert alarm.status == AlarmStatus.CLOSED and alarm.outcome == "company"
    kinds = list(alarm.events.order_by("at", "id").values_list("kind", flat=True))
    assert kinds == ["raised", "notified", "acknowledged", "arrived", "closed"]
    actions = set(AuditLog.objects.values_list("action", flat=True))
    assert {
        AuditAction.DOORBELL_ALARM_ACK,
        AuditAction.DOORBELL_ALARM_ARRIVE,
        AuditAction.DOORBELL_ALARM_CLOSE,
    } <= actions


def test_arriving_without_acknowledging_acknowledges(world):
    alarm = world.press()
    alarm = services.alarm_arrive(actor=world.cadre, alarm=alarm)
    assert alarm.acknowledged_by_id == world.cadre.pk and alarm.acknowledged_at == alarm.arrived_at
    assert alarm.latitude is None


def test_refusals(world):
    alarm = world.press()
    with pytest.raises(Forbidden):
        services.alarm_acknowledge(actor=world.stranger_rep, alarm=alarm)
    with pytest.raises(Forbidden):
        services.alarm_acknowledge(actor=world.town_b, alarm=alarm)
    with pytest.raises(Conflict) as stale:
        services.alarm_acknowledge(actor=world.rep, alarm=alarm, version=alarm.version + 1)
    assert stale.value.code == "stale"
    alarm = services.alarm_acknowledge(actor=world.rep, alarm=alarm)
    with pytest.raises(Conflict) as twice:
        services.alarm_acknowledge(actor=world.rep, alarm=alarm)
    assert twice.value.code == "wrong_status"
    with pytest.raises(InvalidInput):
        services.alarm_close(actor=world.rep, alarm=alarm, outcome="nonsense")
    with pytest.raises(InvalidInput):
        services.alarm_arrive(actor=world.rep, alarm=alarm, latitude="91", longitude="1")
    with pytest.raises(InvalidInput):
        services.alarm_arrive(actor=world.rep, alarm=alarm, latitude="28.1")
    with pytest.raises(InvalidInput):
        services.alarm_close(actor=world.rep, alarm=alarm, outcome="company", note="坏\x00字")
    with pytest.raises(InvalidInput) as no_note:
        services.alarm_close(actor=world.rep, alarm=alarm, outcome="repair", raise_appeal=True)
    assert no_note.value.code == "appeal_note"
    alarm = services.alarm_close(actor=world.rep, alarm=alarm, outcome="false_press")
    with pytest.raises(Conflict):
        services.alarm_arrive(actor=world.rep, alarm=alarm)


def test_a_backup_with_an_account_may_answer_and_a_passer_by_may_not(world):
    t0 = timezone.now()
    alarm = world.press(at=t0)
    passer_by = make_user("13955550011", "路人")
    with pytest.raises(Forbidden):
        services.alarm_acknowledge(actor=passer_by, alarm=alarm)
    services.escalate_tick(now=t0 + dt.timedelta(minutes=3))
    alarm.refresh_from_db()
    # The neighbour is a backup with an account (a carer), told at step 1.
    alarm = services.alarm_acknowledge(actor=world.neighbour, alarm=alarm)
    assert alarm.acknowledged_by_id == world.neighbour.pk


def test_closing_can_raise_an_appeal_in_one_step(world):
    from tests.support.factories import seed_reference_data

    seed_reference_data()
    alarm = services.alarm_arrive(actor=world.rep, alarm=world.press())
    alarm = services.alarm_close(
        actor=world.rep,
        alarm=alarm,
        outcome="repair",
        note="厨房水管漏水，需要维修",
        raise_appeal=True,
    )
    appeal = alarm.appeal
    assert appeal is not None and appeal.household_id == world.household.pk
    assert appeal.category.code == "housing" and "水管" in appeal.description
    assert alarm.events.filter(kind=AlarmEventKind.APPEAL, note=appeal.code).exists()
    assert AuditLog.objects.filter(action=AuditAction.DOORBELL_ALARM_APPEAL).count() == 1
    health = services.alarm_close(
        actor=world.rep,
        alarm=services.alarm_acknowledge(actor=world.rep, alarm=world.press()),
        outcome="health",
        note="头晕，需要上门随访",
        raise_appeal=True,
    )
    assert health.appeal.category.code == "medical"
