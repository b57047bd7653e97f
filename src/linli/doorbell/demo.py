"""The love doorbell's part of the small demo (dashboard.demo runs `seed`)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from linli.accounts.models import User
from linli.accounts.selectors import phone_q
from linli.core.timeutil import today
from linli.org.models import (
    VILLAGE_DEPTH,
    Household,
    HouseholdLink,
    Member,
    Representative,
    Unit,
    path_at,
)
from linli.org.selectors import current_link_q

from . import services
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
    TaskKind,
)


def seed(progress: Callable[[str], object] = print) -> int:
    """Care register, pairings, doorbells and a few past alarms for the demo villages."""
    count = 0
    for part in (seed_care, seed_devices, seed_alarms):
        count += part() or 0
    progress(f"doorbell: {count} rows")
    return count


# --- care register and pairing ------------------------------------------------------------


DEMO_REP_PHONE = "13800000007"  # 辜大祥, the demo representative (org.demo.DEMO_ACCOUNTS)
DEMO_VILLAGE_PHONE = "13800000004"  # 李国平, the demo village cadre
DEMO_GROUP_LEADER_PHONE = "13800000006"  # 李德贵, the demo group leader
HEALTH = [
    "高血压，每日早晚服药；行动较慢。",
    "糖尿病，需按时注射胰岛素；视力较差。",
    "曾有轻度中风，左手不便；独自外出需人陪同。",
    "慢性支气管炎，冬季易发作。",
    "听力较弱，敲门需大声。",
]
KINDS = ["elderly_alone", "elderly_alone", "elderly_alone", "empty_nest", "elderly_alone"]
LEVELS = ["intensive", "close", "routine", "close", "routine"]
# How long ago each pairing started: the first is overdue for its weekly visit.
STARTED_DAYS_AGO = [12, 4, 2, 20, 6]
RELATIONS = ["儿子", "女儿", "侄子", "儿子", "女儿"]
GIVEN = ["建军", "秀英", "志强", "海波", "丽华"]


def _user(phone: str) -> User | None:
    return User.objects.filter(phone_q(phone)).first()


def _oldest(household_id: int) -> Member | None:
    """The household's oldest member (the one most likely to need care)."""
    members = list(
        Member.objects.filter(household_id=household_id)
        # Not a serving representative (who would be paired with themself).
        .exclude(pk__in=Representative.objects.filter(term_end__isnull=True).values("member_id"))
        .order_by("birth_date", "pk")
    )
    dated = [m for m in members if m.birth_date]
    found = dated or members
    return found[0] if found else None


def _candidates(village: Unit, demo_rep: Representative) -> list[tuple[int, Representative]]:
    """(household id, its representative) pairs: first the demo representative's
    households living alone (or, without any, their first households), then two such
    households of other representatives of the village."""
    links = list(
        HouseholdLink.objects.filter(
            current_link_q(),
            household__unit__path__startswith=village.path,
            representative__term_end__isnull=True,
        )
        .select_related("household", "representative")
        .order_by("household_id")
    )
    alone = [link for link in links if "elderly_alone" in (link.household.tags or [])]
    own = [link for link in alone if link.representative_id == demo_rep.pk]
    if not own:
        own = [link for link in links if link.representative_id == demo_rep.pk]
    others = [link for link in alone if link.representative_id != demo_rep.pk]
    chosen = own[:3] + others[:2]
    return [(link.household_id, link.representative) for link in chosen]


@transaction.atomic
def seed_care() -> int:
    """Care recipients in the demo representative's village, paired (the demo
    representative is the primary of up to three, so "my pairings" shows them), each
    with the group leader and a relative as backups and an emergency contact; the
    village's doorbell settings with the demo village cadre on duty. Safe to run again:
    a member already in care and a pairing already made are left alone. Deterministic:
    the households in id order, the pairings' starts relative to today (the first began
    twelve days ago: overdue for its weekly visit unless a demo visit reached it)."""
    actor = User.objects.filter(is_superuser=True).order_by("pk").first()
    demo_rep = (
        Representative.objects.filter(phone_q(DEMO_REP_PHONE, "user__"), term_end__isnull=True)
        .select_related("unit")
        .first()
    )
    if actor is None or demo_rep is None:
        return 0
    village = Unit.objects.filter(path=path_at(demo_rep.unit.path, VILLAGE_DEPTH)).first()
    if village is None:
        return 0
    leader = _user(DEMO_GROUP_LEADER_PHONE)
    cadre = _user(DEMO_VILLAGE_PHONE)
    made = 0
    chosen = [(_oldest(household_id), rep) for household_id, rep in _candidates(village, demo_rep)]
    for i, (member, rep) in enumerate((m, r) for m, r in chosen if m is not None):
        recipient = CareRecipient.objects.filter(member=member, active=True).first()
        if recipient is None:
            recipient = services.recipient_register(
                actor=actor, member=member, kind=KINDS[i], level=LEVELS[i], health_notes=HEALTH[i]
            )
            services.contacts_set(
                actor=actor,
                recipient=recipient,
                contacts=[
                    services.ContactSpec(
                        f"{member.name[0]}{GIVEN[i]}", RELATIONS[i], f"1390300{i + 1:04d}"
                    )
                ],
            )
            made += 1
        if CarePairing.objects.filter(recipient=recipient, ended_on__isnull=True).exists():
            continue
        backups = []
        if leader is not None and services.backup_user_allowed(leader, recipient.unit):
            if leader.pk != rep.user_id:
                backups.append(services.BackupSpec(kind="neighbour", user=leader))
        backups.append(
            services.BackupSpec(
                kind="family", name=f"{member.name[0]}{GIVEN[i]}", phone=f"1390300{i + 1:04d}"
            )
        )
        if cadre is not None and services.duty_cadre_allowed(cadre, recipient.unit):
            backups.append(services.BackupSpec(kind="cadre", user=cadre))
        pairing = services.pair(
            actor=actor, recipient=recipient, primary=rep, visit_every_days=7, backups=backups
        )
        # A demo has a past: the pairing began some days ago.
        CarePairing.objects.filter(pk=pairing.pk).update(
            started_on=today() - dt.timedelta(days=STARTED_DAYS_AGO[i])
        )
    if cadre is not None and services.duty_cadre_allowed(cadre, village):
        services.settings_set(
            actor=actor,
            unit=village,
            ack_minutes=3,
            offline_minutes=24 * 60,
            battery_low=20,
            duty_cadre=cadre,
        )
    return made


# --- devices, messages and maintenance ----------------------------------------------------


# Doorbells per village when no care register exists yet (the elderly living alone).
DEMO_DEVICES_PER_VILLAGE = 8


def demo_secret(device_id: str) -> str:
    """The demo's doorbell secret, derived from SECRET_KEY and the device id, so that
    `python -m linli doorbell_press DB-...` works out of the box (never for real devices:
    they get `secrets.token_hex(16)` when registered)."""
    return hmac.new(
        settings.SECRET_KEY.encode(), f"doorbell-demo:{device_id}".encode(), hashlib.sha256
    ).hexdigest()[:32]


def _demo_households() -> list[Household]:
    """The households of the care register (helper A's seed), else the elderly living
    alone of the demo villages (a few per village)."""
    ids = list(
        CareRecipient.objects.filter(active=True)
        .order_by("unit__path", "household_id")
        .values_list("household_id", flat=True)
        .distinct()
    )
    if ids:
        by_id = Household.objects.select_related("unit").in_bulk(ids)
        return [by_id[i] for i in dict.fromkeys(ids) if i in by_id]
    out: list[Household] = []
    per_village: dict[str, int] = {}
    for h in (
        Household.objects.filter(tags__icontains='"elderly_alone"')
        .select_related("unit")
        .order_by("unit__path", "id")
        .iterator()
    ):
        if "elderly_alone" not in h.tags:
            continue
        village = h.unit.village_path()
        if per_village.get(village, 0) >= DEMO_DEVICES_PER_VILLAGE:
            continue
        per_village[village] = per_village.get(village, 0) + 1
        out.append(h)
    return out


@transaction.atomic
def seed_devices() -> int:
    """A doorbell per care recipient's household, ids "DB-<village code>-NNN", with the
    demo secrets; recently heard from, except one with a low battery and one never heard
    from (so the maintenance list is not empty). Idempotent."""
    actor = User.objects.filter(is_superuser=True).order_by("pk").first()
    households = _demo_households()
    if actor is None or not households:
        return 0
    now = timezone.now()
    villages = {
        u.path: u for u in Unit.objects.filter(path__in={h.unit.village_path() for h in households})
    }
    numbers: dict[str, int] = {}
    made = 0
    for h in households:
        village = villages.get(h.unit.village_path())
        if village is None:
            continue
        numbers[village.path] = numbers.get(village.path, 0) + 1
        device_id = f"DB-{village.code or village.pk}-{numbers[village.path]:03d}"
        if Device.objects.filter(device_id=device_id).exists():
            continue
        device, _secret = services.device_register(
            actor=actor, device_id=device_id, unit=village, model_name="LD-100", household=h
        )
        device.secret = demo_secret(device_id)
        device.created_at = now - dt.timedelta(days=30)
        if made == 1:  # never heard from since it was put up
            device.created_at = now - dt.timedelta(days=2)
        else:
            device.last_seen_at = now - dt.timedelta(minutes=5 + made)
            device.battery = 12 if made == 0 else 70 + (made * 7) % 30
            # The demo doorbells number their messages by the clock in ms, as the
            # simulator does by default (`doorbell_press` then just works on them).
            device.last_seq = int(device.last_seen_at.timestamp() * 1000)
        device.save()
        made += 1
    if made:
        # The battery task of the low one, and the offline task of the silent one.
        low = Device.objects.filter(battery__lte=12, status=DeviceStatus.ACTIVE).first()
        if low is not None:
            services.task_open_once(low, TaskKind.LOW_BATTERY, f"battery {low.battery}%", now)
        services.health_tick()
    return made


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
