"""The love doorbell's part of the small demo (dashboard.demo runs `seed`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.utils import timezone

from .models import (
    DEFAULT_ACK_MINUTES,
    Alarm,
    AlarmEvent,
    AlarmEventKind,
    AlarmNotice,
    AlarmStatus,
    CarePairing,
    CareRecipient,
    Device,
    DeviceStatus,
    NoticeRole,
)


def seed(progress: Callable[[str], object] = print) -> int:
    """Care register, pairings, doorbells and a few past alarms for the demo villages."""
    seed_care()
    seed_devices()
    made = seed_alarms()
    if made:
        progress(f"doorbell: {made} alarms")
    return made


# --- care register and pairing ------------------------------------------------------------


def seed_care() -> None:
    pass


# --- devices, messages and maintenance ----------------------------------------------------


def seed_devices() -> None:
    pass


# --- alarms -------------------------------------------------------------------------------


# (days ago, hour, minute, seconds to acknowledge, seconds more to arrive, outcome, note,
# escalated to the first backup)
ALARM_PLAN = [
    (26, 9, 12, 75, 420, "company", "老人想找人说说话，陪聊了半小时", False),
    (19, 20, 41, 240, 510, "medicine", "降压药吃完了，帮忙去卫生室取药", True),
    (12, 7, 5, 48, 300, "repair", "厨房水龙头漏水，已联系村里维修", False),
    (6, 15, 30, 95, 360, "false_press", "孙子玩门铃误按，老人身体无恙", False),
    (2, 22, 18, 130, 600, "health", "老人夜里头晕，陪同测血压后好转，明早再看望", False),
]


def _people(alarm, pairing):
    """Who answers a demo alarm: the primary's account, else a cadre of the village."""
    from linli.accounts.models import Role, RoleAssignment, User
    from linli.org.models import VILLAGE_DEPTH, path_at

    if pairing is not None and pairing.primary.user_id:
        return pairing.primary.user, NoticeRole.PRIMARY, pairing.primary.member.name
    village = path_at(alarm.unit.path, VILLAGE_DEPTH)
    ids = RoleAssignment.objects.filter(role=Role.VILLAGE, unit__path=village).values_list(
        "user_id", flat=True
    )
    cadre = User.objects.filter(pk__in=ids).order_by("id").first()
    return cadre, NoticeRole.CADRE, cadre.name if cadre else "村干部"


def _demo_alarm(device, raised_at, plan=None) -> Alarm:
    """One alarm of the demo's history (rows as the services leave them, without the
    SMS and pushes of a real press: the presses are past)."""
    household = device.household
    recipient = CareRecipient.objects.filter(household=household, active=True).first()
    pairing = (
        CarePairing.objects.filter(recipient=recipient, ended_on__isnull=True)
        .select_related("primary__member", "primary__user")
        .first()
        if recipient
        else None
    )
    alarm = Alarm.objects.create(
        device=device,
        household=household,
        recipient=recipient,
        pairing=pairing,
        unit=household.unit,
        raised_at=raised_at,
        status=AlarmStatus.NOTIFIED,
    )
    user, role, name = _people(alarm, pairing)
    AlarmEvent.objects.create(alarm=alarm, kind=AlarmEventKind.RAISED, at=raised_at)
    AlarmNotice.objects.create(
        alarm=alarm,
        step=0,
        role=role,
        user=user,
        name=name[:50],
        told_at=raised_at,
        live=user is not None,
        sms=user is not None,
    )
    AlarmEvent.objects.create(alarm=alarm, kind=AlarmEventKind.NOTIFIED, at=raised_at, note=name)
    if plan is None:  # the open one: waiting for an answer
        alarm.next_step_at = raised_at + dt.timedelta(minutes=DEFAULT_ACK_MINUTES)
        alarm.save(update_fields=["next_step_at"])
        return alarm
    ack_s, arrive_s, outcome, note, escalated = plan
    acked = raised_at + dt.timedelta(seconds=ack_s)
    answerer = user
    if escalated and pairing is not None:
        backup = pairing.backups.order_by("order", "id").first()
        if backup is not None:
            told = raised_at + dt.timedelta(minutes=DEFAULT_ACK_MINUTES)
            acked = told + dt.timedelta(seconds=60)
            AlarmNotice.objects.create(
                alarm=alarm,
                step=1,
                role=NoticeRole.BACKUP,
                user=backup.user,
                name=backup.name,
                phone=backup.phone,
                told_at=told,
                live=backup.user_id is not None,
                sms=bool(backup.phone or backup.user_id),
            )
            AlarmEvent.objects.create(
                alarm=alarm, kind=AlarmEventKind.ESCALATED, at=told, note=backup.name
            )
            alarm.step = 1
            answerer = backup.user or user
    arrived = acked + dt.timedelta(seconds=arrive_s)
    closed = arrived + dt.timedelta(minutes=25)
    alarm.status = AlarmStatus.CLOSED
    alarm.acknowledged_at, alarm.acknowledged_by = acked, answerer
    alarm.arrived_at, alarm.arrived_by = arrived, answerer
    alarm.closed_at, alarm.closed_by = closed, answerer
    alarm.outcome, alarm.outcome_note = outcome, note
    alarm.save()
    for kind, at, text in (
        (AlarmEventKind.ACKNOWLEDGED, acked, ""),
        (AlarmEventKind.ARRIVED, arrived, ""),
        (AlarmEventKind.CLOSED, closed, note),
    ):
        AlarmEvent.objects.create(alarm=alarm, kind=kind, at=at, actor=answerer, note=text)
    return alarm


def seed_alarms() -> int:
    """A few past alarms with realistic timings, and one open one, for the doorbells the
    demo bound to households (none bound yet: nothing). Run once."""
    if Alarm.objects.exists():
        return 0
    devices = list(
        Device.objects.filter(household__isnull=False, status=DeviceStatus.ACTIVE)
        .select_related("household__unit")
        .order_by("id")[:3]
    )
    if not devices:
        return 0
    now = timezone.now()
    made = 0
    for i, (days, hour, minute, ack_s, arrive_s, outcome, note, escalated) in enumerate(ALARM_PLAN):
        device = devices[i % len(devices)]
        day = timezone.localdate() - dt.timedelta(days=days)
        raised = timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))
        _demo_alarm(device, raised, (ack_s, arrive_s, outcome, note, escalated))
        made += 1
    _demo_alarm(devices[0], now - dt.timedelta(minutes=1))
    return made + 1
