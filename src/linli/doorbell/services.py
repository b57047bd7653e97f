"""Every write of the love doorbell: the care register and pairing, devices and the
messages they send, alarms and their escalation. Each write is audited."""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.models import AuditAction
from linli.accounts.services import audit_record
from linli.core.errors import Conflict, Forbidden, InvalidInput
from linli.org.models import Household, Unit, ancestor_paths_of

from . import policy, protocol
from .models import (
    DEFAULT_OFFLINE_MINUTES,
    Alarm,
    AlarmEvent,
    AlarmEventKind,
    CarePairing,
    CareRecipient,
    Device,
    DeviceMessage,
    DeviceRejection,
    DeviceStatus,
    DoorbellSettings,
    MaintenanceTask,
    MessageKind,
    RejectReason,
    TaskKind,
)
from .selectors import settings_for

# --- care register and pairing ------------------------------------------------------------


# --- devices, messages and maintenance ----------------------------------------------------


log = logging.getLogger("linli.doorbell")

# A sequence number this far below the highest accepted is refused as stale (a device
# may send a few messages out of order, never a thousand).
SEQ_WINDOW = 1000
EXCERPT_CHARS = 200
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


class Intake(models.TextChoices):
    ACCEPTED = "accepted", "accepted"
    DUPLICATE = "duplicate", "duplicate"  # a (device, seq) already accepted: a replay
    REFUSED = "refused", "refused"


@dataclass(frozen=True)
class Outcome:
    """What became of one message: accepted (with its alarm when it raised one), a
    duplicate (refused as a replay) or refused, with the reason (`RejectReason`)."""

    status: str
    reason: str = ""
    alarm_id: int | None = None
    message_id: int | None = None
    device_id: str = ""
    detail: str = ""

    @property
    def accepted(self) -> bool:
        return self.status == Intake.ACCEPTED


def _clean(value: str, limit: int) -> str:
    return _CONTROL.sub("", value)[:limit]


def excerpt_of(payload: bytes | str) -> str:
    """The first characters of a payload, control characters stripped (for the log)."""
    if isinstance(payload, bytes):
        payload = payload[: EXCERPT_CHARS * 4].decode("utf-8", "replace")
    return _clean(payload, EXCERPT_CHARS)


def _claimed_from_topic(topic: str | None) -> str:
    parts = (topic or "").rsplit("/", 2)
    if len(parts) == 3 and protocol.DEVICE_ID_RE.match(parts[1]):
        return parts[1]
    return ""


def _refuse(
    reason: RejectReason,
    *,
    channel: str,
    payload: bytes | str,
    remote: str,
    claimed: str = "",
    device: Device | None = None,
    seq: int | None = None,
    detail: str = "",
) -> Outcome:
    DeviceRejection.objects.create(
        claimed_id=_clean(claimed, 40),
        device=device,
        reason=reason,
        channel=_clean(channel, 10),
        seq=seq,
        excerpt=excerpt_of(payload),
        remote=_clean(remote, 100),
    )
    log.warning(
        "doorbell message refused (%s): device %r seq %s via %s from %s%s",
        reason.value,
        _clean(claimed, 40),
        seq,
        channel,
        _clean(remote, 100) or "-",
        f": {detail}" if detail else "",
    )
    status = Intake.DUPLICATE if reason == RejectReason.REPLAY else Intake.REFUSED
    return Outcome(status=status, reason=reason.value, device_id=claimed, detail=detail)


def message_receive(
    *, payload: bytes | str, topic: str | None, channel: str, remote: str = ""
) -> Outcome:
    """Take in one message from a device (the MQTT bridge or the HTTP endpoint).

    Refused (a `DeviceRejection` row and a WARNING on the `linli.doorbell` log, never an
    alarm): malformed, unknown device, bad signature, retired device, a (device, seq)
    already accepted (a replay: `Intake.DUPLICATE`), a sequence number more than
    `SEQ_WINDOW` below the highest accepted. Accepted: the message row, the device's
    health (last seen, battery; its maintenance tasks opened or resolved) and, for a press
    of a doorbell bound to a household, the alarm, all in one transaction: when this
    returns, it is committed.
    """
    prefix = settings.LINLI["DOORBELL_MQTT_PREFIX"]

    def refuse(
        reason: RejectReason,
        claimed: str,
        *,
        device: Device | None = None,
        seq: int | None = None,
        detail: str = "",
    ) -> Outcome:
        return _refuse(
            reason,
            channel=channel,
            payload=payload,
            remote=remote,
            claimed=claimed,
            device=device,
            seq=seq,
            detail=detail,
        )

    try:
        msg = protocol.parse(payload, topic=topic, prefix=prefix)
    except protocol.ProtocolError as exc:
        claimed = exc.device_id or _claimed_from_topic(topic)
        with transaction.atomic():
            known = Device.objects.filter(device_id=claimed).first() if claimed else None
            return refuse(RejectReason.MALFORMED, claimed, device=known, detail=str(exc))
    with transaction.atomic():
        device = Device.objects.select_for_update().filter(device_id=msg.device_id).first()
        if device is None:
            return refuse(RejectReason.UNKNOWN_DEVICE, msg.device_id, seq=msg.seq)
        if not protocol.signature_ok(device.secret, msg):
            return refuse(RejectReason.BAD_SIGNATURE, msg.device_id, device=device, seq=msg.seq)
        if device.status != DeviceStatus.ACTIVE:
            return refuse(RejectReason.RETIRED_DEVICE, msg.device_id, device=device, seq=msg.seq)
        if DeviceMessage.objects.filter(device=device, seq=msg.seq).exists():
            return refuse(RejectReason.REPLAY, msg.device_id, device=device, seq=msg.seq)
        if msg.seq <= device.last_seq - SEQ_WINDOW:
            return refuse(
                RejectReason.STALE,
                msg.device_id,
                device=device,
                seq=msg.seq,
                detail=f"highest accepted {device.last_seq}",
            )
        now = timezone.now()
        try:
            with transaction.atomic():
                message = DeviceMessage.objects.create(
                    device=device,
                    seq=msg.seq,
                    kind=msg.kind,
                    channel=channel,
                    sent_at=dt.datetime.fromtimestamp(msg.ts, tz=dt.UTC) if msg.ts else None,
                    received_at=now,
                    battery=msg.battery,
                )
        except IntegrityError:  # another process took it between the check and here
            return refuse(RejectReason.REPLAY, msg.device_id, device=device, seq=msg.seq)
        device.last_seq = max(device.last_seq, msg.seq)
        device.last_seen_at = now
        fields = ["last_seq", "last_seen_at"]
        if msg.battery is not None:
            device.battery = msg.battery
            fields.append("battery")
        device.save(update_fields=fields)
        _health_after_message(device, msg.battery, now)
        alarm_id = None
        if msg.kind == MessageKind.PRESS:
            if device.household_id is None:
                log.warning(
                    "doorbell %s pressed (seq %s) but bound to no household: no alarm",
                    device.device_id,
                    msg.seq,
                )
            else:
                alarm_id = alarm_raise(message=message).pk
        return Outcome(
            status=Intake.ACCEPTED,
            alarm_id=alarm_id,
            message_id=message.pk,
            device_id=msg.device_id,
        )


def task_open_once(device: Device, kind: TaskKind, detail: str, now) -> bool:
    """Open `kind` for the device unless one is open (the partial unique constraint
    decides between two processes); True when this call opened it."""
    if MaintenanceTask.objects.filter(device=device, kind=kind, resolved_at__isnull=True).exists():
        return False
    try:
        with transaction.atomic():
            MaintenanceTask.objects.create(
                device=device, unit_id=device.unit_id, kind=kind, detail=detail, opened_at=now
            )
    except IntegrityError:
        return False
    return True


def _close_tasks(device: Device, kind: TaskKind, note: str, now) -> int:
    return MaintenanceTask.objects.filter(
        device=device, kind=kind, resolved_at__isnull=True
    ).update(resolved_at=now, resolved_automatically=True, note=note)


def _health_after_message(device: Device, battery: int | None, now) -> None:
    """A message from the device: it is online again; its battery opens or closes the
    low-battery task."""
    _close_tasks(device, TaskKind.OFFLINE, "heard from again", now)
    if battery is None:
        return
    if battery <= settings_for(device.unit).battery_low:
        task_open_once(device, TaskKind.LOW_BATTERY, f"battery {battery}%", now)
    else:
        _close_tasks(device, TaskKind.LOW_BATTERY, f"battery back to {battery}%", now)


def health_tick() -> dict[str, int]:
    """Open an OFFLINE task for each doorbell in service not heard from for its unit's
    `offline_minutes` (or never heard from and registered longer ago than that).

    Devices are grouped by their effective offline time (one query per distinct value,
    not per unit); the tasks are inserted with ON CONFLICT DO NOTHING, so two ticks at
    once open each task once.
    """
    now = timezone.now()
    rows = {s.unit.path: s.offline_minutes for s in DoorbellSettings.objects.select_related("unit")}
    by_minutes: dict[int, list[int]] = {}
    units = Unit.objects.filter(
        pk__in=Device.objects.filter(status=DeviceStatus.ACTIVE).values("unit_id")
    ).only("pk", "path")
    for unit in units:
        minutes = DEFAULT_OFFLINE_MINUTES
        for path in reversed(ancestor_paths_of(unit.path)):
            if path in rows:
                minutes = rows[path]
                break
        by_minutes.setdefault(minutes, []).append(unit.pk)
    opened = 0
    for minutes, unit_ids in by_minutes.items():
        cutoff = now - dt.timedelta(minutes=minutes)
        stale = (
            Device.objects.filter(status=DeviceStatus.ACTIVE, unit_id__in=unit_ids)
            .filter(
                Q(last_seen_at__lt=cutoff) | Q(last_seen_at__isnull=True, created_at__lt=cutoff)
            )
            .exclude(tasks__kind=TaskKind.OFFLINE, tasks__resolved_at__isnull=True)
            .values_list("pk", "unit_id", "last_seen_at")
        )
        batch = [
            MaintenanceTask(
                device_id=pk,
                unit_id=unit_id,
                kind=TaskKind.OFFLINE,
                opened_at=now,
                detail=(
                    f"last heard from {timezone.localtime(seen):%Y-%m-%d %H:%M}"
                    if seen
                    else "never heard from"
                ),
            )
            for pk, unit_id, seen in stale.iterator(chunk_size=2000)
        ]
        for start in range(0, len(batch), 1000):
            MaintenanceTask.objects.bulk_create(batch[start : start + 1000], ignore_conflicts=True)
        opened += len(batch)
    if opened:
        log.info("doorbell health: %d doorbells found offline", opened)
    return {"offline": opened}


# -- the registry (cadres' writes) --


def _check_manage(actor, unit: Unit) -> None:
    if not policy.can_manage(actor, unit):
        raise Forbidden(_("You may not manage doorbells here."))


def _check_household(actor, device_unit: Unit, household: Household) -> None:
    if not policy.can_manage(actor, household.unit):
        raise Forbidden(_("You may not manage doorbells here."))
    if household.unit.village_path() != device_unit.village_path():
        raise InvalidInput(_("The household is not in the doorbell's village."))


def new_device_secret() -> str:
    return secrets.token_hex(16)


@transaction.atomic
def device_register(
    *,
    actor,
    device_id: str,
    unit: Unit,
    model_name: str = "",
    household: Household | None = None,
) -> tuple[Device, str]:
    """Register a doorbell; return it and its secret (shown once, stored encrypted)."""
    _check_manage(actor, unit)
    device_id = device_id.strip()
    if not protocol.DEVICE_ID_RE.match(device_id):
        raise InvalidInput(
            _("A device id is 1 to 40 letters, digits, '.', '_' or '-', starting with one.")
        )
    if Device.objects.filter(device_id=device_id).exists():
        raise Conflict(_("A doorbell with this device id is already registered."))
    if household is not None:
        _check_household(actor, unit, household)
        unit = household.unit
    secret = new_device_secret()
    try:
        with transaction.atomic():
            device = Device.objects.create(
                device_id=device_id,
                secret=secret,
                unit=unit,
                household=household,
                model_name=model_name,
                created_by=actor,
            )
    except IntegrityError:
        raise Conflict(_("A doorbell with this device id is already registered.")) from None
    audit_record(
        actor=actor,
        action=AuditAction.DOORBELL_DEVICE_REGISTER,
        target=device,
        detail={"device_id": device_id, "unit": unit.pk, "household": household and household.pk},
    )
    return device, secret


def _locked(device: Device) -> Device:
    return Device.objects.select_for_update().select_related("unit").get(pk=device.pk)


@transaction.atomic
def device_bind(*, actor, device: Device, household: Household | None) -> Device:
    """Bind the doorbell to a household of its village (None: unbind; it stays with the
    village)."""
    device = _locked(device)
    _check_manage(actor, device.unit)
    if device.status != DeviceStatus.ACTIVE:
        raise Conflict(_("A retired doorbell cannot be bound."))
    before = device.household_id
    if household is None:
        village = Unit.objects.filter(path=device.unit.village_path()).first()
        device.household = None
        device.unit = village or device.unit
    else:
        _check_household(actor, device.unit, household)
        device.household = household
        device.unit = household.unit
    device.save(update_fields=["household", "unit"])
    MaintenanceTask.objects.filter(device=device, resolved_at__isnull=True).update(unit=device.unit)
    audit_record(
        actor=actor,
        action=AuditAction.DOORBELL_DEVICE_BIND,
        target=device,
        detail={"household": household and household.pk, "before": before},
    )
    return device


@transaction.atomic
def device_retire(*, actor, device: Device, reason: str = "") -> Device:
    device = _locked(device)
    _check_manage(actor, device.unit)
    if device.status == DeviceStatus.RETIRED:
        raise Conflict(_("The doorbell is already retired."))
    device.status = DeviceStatus.RETIRED
    device.save(update_fields=["status"])
    now = timezone.now()
    MaintenanceTask.objects.filter(device=device, resolved_at__isnull=True).update(
        resolved_at=now, resolved_by=actor, note=_clean(f"retired {reason}".strip(), 500)
    )
    audit_record(
        actor=actor,
        action=AuditAction.DOORBELL_DEVICE_RETIRE,
        target=device,
        detail={"reason": reason},
    )
    return device


@transaction.atomic
def device_new_secret(*, actor, device: Device) -> tuple[Device, str]:
    """A new secret for the doorbell (the old one stops working at once); shown once."""
    device = _locked(device)
    _check_manage(actor, device.unit)
    if device.status != DeviceStatus.ACTIVE:
        raise Conflict(_("A retired doorbell gets no new secret."))
    secret = new_device_secret()
    device.secret = secret
    device.save(update_fields=["secret"])
    audit_record(actor=actor, action=AuditAction.DOORBELL_DEVICE_SECRET, target=device)
    return device, secret


@transaction.atomic
def task_resolve(*, actor, task: MaintenanceTask, note: str = "") -> MaintenanceTask:
    task = MaintenanceTask.objects.select_for_update().select_related("unit").get(pk=task.pk)
    _check_manage(actor, task.unit)
    if task.resolved_at is not None:
        raise Conflict(_("The task is already resolved."))
    task.resolved_at = timezone.now()
    task.resolved_by = actor
    task.note = note
    task.save(update_fields=["resolved_at", "resolved_by", "note"])
    audit_record(
        actor=actor,
        action=AuditAction.DOORBELL_TASK_RESOLVE,
        target=task,
        detail={"device": task.device_id, "kind": task.kind},
    )
    return task


# --- alarms -------------------------------------------------------------------------------


@transaction.atomic
def alarm_raise(*, message: DeviceMessage) -> Alarm:
    """Raise the alarm of an accepted press (called once per message, inside the
    transaction that accepted it). The recipient and pairing are the household's
    active ones, when there are."""
    device = message.device
    household = device.household
    if household is None:
        raise ValueError("a doorbell that is not bound to a household cannot raise an alarm")
    recipient = (
        CareRecipient.objects.filter(household=household, active=True).order_by("id").first()
    )
    pairing = (
        CarePairing.objects.filter(recipient=recipient, ended_on__isnull=True).first()
        if recipient
        else None
    )
    alarm = Alarm.objects.create(
        device=device,
        message=message,
        household=household,
        recipient=recipient,
        pairing=pairing,
        unit=household.unit,
        raised_at=message.received_at,
    )
    AlarmEvent.objects.create(alarm=alarm, kind=AlarmEventKind.RAISED, at=message.received_at)
    audit_record(actor=None, action=AuditAction.DOORBELL_ALARM_RAISE, target=alarm)
    return alarm
