"""Every write of the love doorbell: the care register and pairing, devices and the
messages they send, alarms and their escalation. Each write is audited."""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import logging
import re
import secrets
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from asgiref.sync import async_to_sync
from django.conf import settings
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Exists, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.models import AuditAction, Role, RoleAssignment, User
from linli.accounts.services import audit_record
from linli.core import serverloop
from linli.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from linli.core.inputs import check_text, clean_coordinate, clean_text
from linli.core.timeutil import today
from linli.core.validators import normalize_mobile
from linli.notify.services import (
    notify_phone,
    notify_pushes_message,
    notify_user,
    notify_users,
    outbox_collected,
    user_group,
)
from linli.org import services as org_services
from linli.org.models import (
    VILLAGE_DEPTH,
    Household,
    HouseholdTag,
    Member,
    Representative,
    Unit,
    ancestor_paths_of,
    path_at,
)

from . import policy, protocol, workflow
from .models import (
    DEFAULT_OFFLINE_MINUTES,
    Alarm,
    AlarmEvent,
    AlarmEventKind,
    AlarmNotice,
    AlarmOutcome,
    AlarmStatus,
    BackupKind,
    CareBackup,
    CareKind,
    CareLevel,
    CarePairing,
    CareRecipient,
    Device,
    DeviceMessage,
    DeviceRejection,
    DeviceStatus,
    DoorbellSettings,
    EmergencyContact,
    MaintenanceTask,
    MessageKind,
    NoticeRole,
    RejectReason,
    TaskKind,
)
from .selectors import alarm_groups, settings_cached, settings_for, settings_forget

if TYPE_CHECKING:
    from linli.accounts.models import User

logger = logging.getLogger("linli.doorbell")

# --- care register and pairing ------------------------------------------------------------

HEALTH_NOTES_MAX = 2000
MAX_CONTACTS = 5
MAX_BACKUPS = 5
VISIT_DAYS = (1, 90)
ACK_MINUTES = (1, 60)
ARRIVE_MINUTES = (5, 240)
OFFLINE_MINUTES = (10, 10080)
BATTERY_LOW = (5, 90)


def _require_manage(actor: User, unit: Unit) -> None:
    if not policy.can_manage(actor, unit):
        raise Forbidden(
            _("You may not manage the care register of %(unit)s.") % {"unit": unit.name},
            code="care_forbidden",
        )


def _choice(value: Any, choices: Any, message: str) -> str:
    if value not in choices.values:
        raise InvalidInput(message, code="choice")
    return str(value)


def _notes(value: str | None) -> str:
    return clean_text(value, _("Health notes"), HEALTH_NOTES_MAX)


def _in_range(value: Any, bounds: tuple[int, int], label: str) -> int:
    lo, hi = bounds
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise InvalidInput(
            _("%(label)s must be a whole number from %(lo)d to %(hi)d.")
            % {"label": label, "lo": lo, "hi": hi},
            code="out_of_range",
        )
    return value


def _ensure_elderly_tag(actor: User, recipient: CareRecipient) -> bool:
    """An elderly person living alone: the household carries the `elderly_alone` tag
    (through `org.services.household_update`, audited there). True if it was added."""
    if recipient.kind != CareKind.ELDERLY_ALONE:
        return False
    household = recipient.household
    if HouseholdTag.ELDERLY_ALONE in (household.tags or []):
        return False
    org_services.household_update(
        actor=actor, household=household, tags=[*household.tags, HouseholdTag.ELDERLY_ALONE]
    )
    return True


def _locked_recipient(recipient: CareRecipient) -> CareRecipient:
    return (
        CareRecipient.objects.select_for_update()
        .select_related("unit", "household", "member")
        .get(pk=recipient.pk)
    )


def _require_active(recipient: CareRecipient) -> None:
    if not recipient.active:
        raise InvalidInput(
            _("%(name)s has left care.") % {"name": recipient.member.name}, code="care_ended"
        )


ELDERLY_AGE = 60


def _check_elderly(member: Member, kind: str, confirm_alone: bool, *, alone: bool = True) -> None:
    """The plausibility of 独居老人/空巢老人 for `member`: refused when known to be under
    ELDERLY_AGE (`too_young`); with `alone`, 独居老人 in a household listing other members
    unless confirmed (`not_alone`)."""
    if kind not in (CareKind.ELDERLY_ALONE, CareKind.EMPTY_NEST):
        return
    age = member.age
    if age is not None and age < ELDERLY_AGE:
        raise InvalidInput(
            _("%(name)s is %(age)d: %(kind)s is for residents aged %(min)d or over.")
            % {
                "name": member.name,
                "age": age,
                "kind": CareKind(kind).label,
                "min": ELDERLY_AGE,
            },
            code="too_young",
        )
    if alone and kind == CareKind.ELDERLY_ALONE and not confirm_alone:
        others = Member.objects.filter(household_id=member.household_id).exclude(pk=member.pk)
        count = others.count()
        if count:
            raise InvalidInput(
                _(
                    "The household of %(name)s has %(n)d other member(s): confirm that "
                    "%(name)s lives alone."
                )
                % {"name": member.name, "n": count},
                code="not_alone",
            )


@transaction.atomic
def recipient_register(
    *,
    actor: User,
    member: Member,
    kind: str,
    level: str = CareLevel.ROUTINE,
    health_notes: str = "",
    confirm_alone: bool = False,
) -> CareRecipient:
    """Register a resident who needs care (关爱对象); a member already in care is refused.
    An elderly person living alone gets the household's `elderly_alone` tag.

    Plausibility: 独居老人 and 空巢老人 are refused for a member known to be under
    ELDERLY_AGE; 独居老人 in a household with other members is refused unless the cadre
    confirms (`confirm_alone`: they may know the others live elsewhere)."""
    member = Member.objects.select_related("household__unit").get(pk=member.pk)
    household = member.household
    _require_manage(actor, household.unit)
    kind = _choice(kind, CareKind, _("Choose the kind of need."))
    level = _choice(level, CareLevel, _("Choose the care level."))
    _check_elderly(member, kind, confirm_alone)
    notes = _notes(health_notes)
    if CareRecipient.objects.filter(member=member, active=True).exists():
        raise InvalidInput(
            _("%(name)s is already in the care register.") % {"name": member.name},
            code="already_in_care",
        )
    now = timezone.now()
    try:
        with transaction.atomic():
            recipient = CareRecipient.objects.create(
                household=household,
                member=member,
                unit=household.unit,
                kind=kind,
                level=level,
                health_notes=notes,
                created_by=actor,
                created_at=now,
                updated_at=now,
            )
    except IntegrityError:
        raise InvalidInput(
            _("%(name)s is already in the care register.") % {"name": member.name},
            code="already_in_care",
        ) from None
    tagged = _ensure_elderly_tag(actor, recipient)
    audit_record(
        actor=actor,
        action=AuditAction.DOORBELL_CARE_REGISTER,
        target=recipient,
        detail={"member": member.pk, "kind": kind, "level": level, "tagged": tagged},
    )
    return recipient


def _stale() -> Conflict:
    return Conflict(
        _("The care record was changed meanwhile; reload the page and try again."),
        code="stale",
    )


@transaction.atomic
def recipient_update(
    *,
    actor: User,
    recipient: CareRecipient,
    version: int,
    kind: str,
    level: str,
    health_notes: str | None = None,
    confirm_alone: bool = False,
) -> CareRecipient:
    """Change kind, level and (for those who may see them) the health notes; `version`
    is the one the editor saw: a stale one is refused (409).

    The registration's plausibility checks hold for the edited record too: 独居老人 and
    空巢老人 for a member known to be under ELDERLY_AGE are refused on every edit (the
    record must not stay implausible: change the kind); changing the kind to 独居老人
    for a member whose household lists other members needs `confirm_alone`, as at
    registration (an unchanged kind keeps the registration's confirmation)."""
    _require_manage(actor, recipient.unit)
    locked = _locked_recipient(recipient)
    _require_active(locked)
    if locked.version != version:
        raise _stale()
    kind = _choice(kind, CareKind, _("Choose the kind of need."))
    level = _choice(level, CareLevel, _("Choose the care level."))
    member = Member.objects.get(pk=locked.member_id)
    _check_elderly(member, kind, confirm_alone, alone=kind != locked.kind)
    changed = []
    if health_notes is not None:
        # Refused whatever the text: answering by whether it equals the stored notes would
        # let someone who may not read them find them out (or find out there are any).
        if not policy.can_see_health(actor, locked):
            raise Forbidden(
                _("Only the carers and the village cadre may change the health notes."),
                code="health_forbidden",
            )
        notes = _notes(health_notes)
        if notes != locked.health_notes:
            locked.health_notes = notes
            changed.append("health_notes")
    for field, value in (("kind", kind), ("level", level)):
        if getattr(locked, field) != value:
            setattr(locked, field, value)
            changed.append(field)
    if changed:
        locked.version += 1
        locked.updated_at = timezone.now()
        locked.save(update_fields=[*changed, "version", "updated_at"])
        tagged = _ensure_elderly_tag(actor, locked)
        audit_record(
            actor=actor,
            action=AuditAction.DOORBELL_CARE_UPDATE,
            target=locked,
            detail={"fields": sorted(changed), "tagged": tagged},
        )
    return locked


@transaction.atomic
def recipient_end(*, actor: User, recipient: CareRecipient, reason: str) -> CareRecipient:
    """Take a resident out of care (moved away, died, no longer needed); the current
    pairing ends the same day."""
    _require_manage(actor, recipient.unit)
    locked = _locked_recipient(recipient)
    _require_active(locked)
    reason = clean_text(reason, _("Reason"), 200, required=True, multiline=False)
    locked.active = False
    locked.ended_at = timezone.now()
    locked.end_reason = reason
    locked.version += 1
    locked.updated_at = locked.ended_at
    locked.save(update_fields=["active", "ended_at", "end_reason", "version", "updated_at"])
    ended = CarePairing.objects.filter(recipient=locked, ended_on__isnull=True).update(
        ended_on=today()
    )
    audit_record(
        actor=actor,
        action=AuditAction.DOORBELL_CARE_END,
        target=locked,
        detail={"reason": reason, "pairing_ended": bool(ended)},
    )
    return locked


@dataclass(frozen=True)
class ContactSpec:
    name: str
    relation: str
    phone: str


@transaction.atomic
def contacts_set(
    *, actor: User, recipient: CareRecipient, contacts: list[ContactSpec]
) -> list[EmergencyContact]:
    """Replace the recipient's emergency contacts (应急联系人), in the order given."""
    _require_manage(actor, recipient.unit)
    locked = _locked_recipient(recipient)
    _require_active(locked)
    if len(contacts) > MAX_CONTACTS:
        raise InvalidInput(
            _("At most %(n)d emergency contacts.") % {"n": MAX_CONTACTS}, code="too_many"
        )
    cleaned = []
    seen: set[str] = set()
    # A contact given without a mobile keeps the number stored for that place (the pages
    # never show the number, so a cadre changing a name does not retype it).
    stored = dict(EmergencyContact.objects.filter(recipient=locked).values_list("order", "phone"))
    for n, c in enumerate(contacts, start=1):
        name = clean_text(c.name, _("Person's name"), 50, required=True, multiline=False)
        relation = clean_text(c.relation, _("Relation"), 50, multiline=False)
        typed = (c.phone or "").strip()
        if not typed and stored.get(n):
            typed = stored[n]
        if not typed:
            raise InvalidInput(
                _("Emergency contact %(n)d (%(name)s): please enter a mobile number.")
                % {"n": n, "name": name},
                code="mobile_required",
            )
        try:
            phone = normalize_mobile(typed)
        except InvalidInput as exc:
            raise InvalidInput(
                _(
                    "Emergency contact %(n)d (%(name)s): %(error)s A mainland mobile number "
                    "has 11 digits and starts with 1."
                )
                % {"n": n, "name": name, "error": exc.message},
                code=exc.code,
            ) from None
        if phone in seen:
            raise InvalidInput(
                _("The mobile number of emergency contact %(n)d is given twice.") % {"n": n},
                code="duplicate",
            )
        seen.add(phone)
        cleaned.append((name, relation, phone))
    EmergencyContact.objects.filter(recipient=locked).delete()
    rows = [
        EmergencyContact.objects.create(
            recipient=locked, order=n, name=name, relation=relation, phone=phone
        )
        for n, (name, relation, phone) in enumerate(cleaned, start=1)
    ]
    audit_record(
        actor=actor,
        action=AuditAction.DOORBELL_CONTACTS_SET,
        target=locked,
        detail={"count": len(rows)},
    )
    return rows


@dataclass(frozen=True)
class BackupSpec:
    """A backup: an account (`user`), or a person known by `name` and `phone`."""

    kind: str
    user: User | None = None
    name: str = ""
    phone: str = ""


def backup_user_allowed(user: User, unit: Unit) -> bool:
    """A backup with an account: an active user holding a role at a unit inside the
    recipient's village (its cadres, leaders and representatives), or a serving
    representative of that village."""
    if not user.is_active:
        return False
    village = path_at(unit.path, VILLAGE_DEPTH)
    if RoleAssignment.objects.filter(user=user, unit__path__startswith=village).exists():
        return True
    return Representative.objects.filter(
        user=user, term_end__isnull=True, unit__path__startswith=village
    ).exists()


def _clean_backups(specs: list[BackupSpec], recipient: CareRecipient, primary: Representative):
    if len(specs) > MAX_BACKUPS:
        raise InvalidInput(_("At most %(n)d backups.") % {"n": MAX_BACKUPS}, code="too_many")
    out: list[tuple[str, User | None, str, str]] = []
    users: set[int] = set()
    phones: set[str] = set()
    for n, b in enumerate(specs, start=1):
        kind = _choice(b.kind, BackupKind, _("Backup %(n)d: choose who it is.") % {"n": n})
        if b.user is not None:
            user = b.user
            if not backup_user_allowed(user, recipient.unit):
                raise InvalidInput(
                    _("Backup %(n)d: %(name)s holds no role in the village.")
                    % {"n": n, "name": user.name},
                    code="backup_not_in_village",
                )
            if user.pk in users or (primary.user_id is not None and user.pk == primary.user_id):
                raise InvalidInput(
                    _("Backup %(n)d: %(name)s is already told before.")
                    % {"n": n, "name": user.name},
                    code="duplicate",
                )
            if kind == BackupKind.CADRE and not policy.is_village_cadre(user, recipient.unit):
                raise InvalidInput(
                    _("Backup %(n)d: %(name)s is not a cadre of the village.")
                    % {"n": n, "name": user.name},
                    code="backup_not_cadre",
                )
            users.add(user.pk)
            out.append((kind, user, user.name, ""))
            continue
        name = clean_text(b.name, _("Person's name"), 50, required=True, multiline=False)
        try:
            phone = normalize_mobile(b.phone)
        except InvalidInput as exc:
            raise InvalidInput(
                _("Backup %(n)d: %(error)s") % {"n": n, "error": exc.message}, code=exc.code
            ) from None
        if phone in phones:
            raise InvalidInput(
                _("Backup %(n)d: the mobile number is given twice.") % {"n": n},
                code="duplicate",
            )
        phones.add(phone)
        out.append((kind, None, name, phone))
    return out


def primary_allowed(primary: Representative, unit: Unit) -> bool:
    """A primary serves now (term running) in the recipient's village."""
    return (
        primary.term_end is None
        and primary.term_start <= today()
        and path_at(primary.unit.path, VILLAGE_DEPTH) == path_at(unit.path, VILLAGE_DEPTH)
    )


@transaction.atomic
def pair(
    *,
    actor: User,
    recipient: CareRecipient,
    primary: Representative,
    visit_every_days: int,
    backups: list[BackupSpec] = (),  # type: ignore[assignment]
) -> CarePairing:
    """Pair the recipient (一对一帮扶) with a primary representative and ordered backups.
    The current pairing, if any, ends today and the new one starts: history is kept."""
    _require_manage(actor, recipient.unit)
    locked = _locked_recipient(recipient)
    _require_active(locked)
    primary = Representative.objects.select_related("unit").get(pk=primary.pk)
    if not primary_allowed(primary, locked.unit):
        raise InvalidInput(
            _("%(name)s is not a serving representative of the village.") % {"name": primary.name},
            code="primary_not_in_village",
        )
    every = _in_range(visit_every_days, VISIT_DAYS, _("Visit every (days)"))
    cleaned = _clean_backups(list(backups), locked, primary)
    day = today()
    previous = CarePairing.objects.select_for_update().filter(
        recipient=locked, ended_on__isnull=True
    )
    previous_ids = list(previous.values_list("pk", flat=True))
    previous.update(ended_on=day)
    pairing = CarePairing.objects.create(
        recipient=locked,
        primary=primary,
        visit_every_days=every,
        started_on=day,
        created_by=actor,
    )
    for n, (kind, user, name, phone) in enumerate(cleaned, start=1):
        CareBackup.objects.create(
            pairing=pairing, order=n, kind=kind, user=user, name=name, phone=phone
        )
    audit_record(
        actor=actor,
        action=AuditAction.DOORBELL_PAIR,
        target=pairing,
        detail={
            "recipient": locked.pk,
            "primary": primary.pk,
            "visit_every_days": every,
            "backups": len(cleaned),
            "replaces": previous_ids,
        },
    )
    return pairing


@transaction.atomic
def pair_end(*, actor: User, recipient: CareRecipient, reason: str = "") -> CarePairing:
    """End the recipient's current pairing (the history keeps it)."""
    _require_manage(actor, recipient.unit)
    locked = _locked_recipient(recipient)
    reason = clean_text(reason, _("Reason"), 200, multiline=False)
    pairing = (
        CarePairing.objects.select_for_update()
        .filter(recipient=locked, ended_on__isnull=True)
        .first()
    )
    if pairing is None:
        raise InvalidInput(
            _("%(name)s has no current pairing.") % {"name": locked.member.name},
            code="not_paired",
        )
    pairing.ended_on = today()
    pairing.save(update_fields=["ended_on"])
    audit_record(
        actor=actor,
        action=AuditAction.DOORBELL_PAIR_END,
        target=pairing,
        detail={"recipient": locked.pk, "reason": reason},
    )
    return pairing


def duty_cadre_allowed(user: User, unit: Unit) -> bool:
    """The cadre on duty holds the village role at the unit's village."""
    if unit.depth < VILLAGE_DEPTH or not user.is_active:
        return False
    village = path_at(unit.path, VILLAGE_DEPTH)
    return RoleAssignment.objects.filter(user=user, role=Role.VILLAGE, unit__path=village).exists()


@transaction.atomic
def settings_set(
    *,
    actor: User,
    unit: Unit,
    ack_minutes: int,
    offline_minutes: int,
    battery_low: int,
    duty_cadre: User | None = None,
    arrive_minutes: int | None = None,
) -> DoorbellSettings:
    """A unit's own doorbell settings (its villages and groups follow them unless they
    have their own). `arrive_minutes` None: the value in force now (inherited or the
    default) is kept."""
    _require_manage(actor, unit)
    ack = _in_range(ack_minutes, ACK_MINUTES, _("Minutes to acknowledge"))
    if arrive_minutes is None:
        arrive_minutes = settings_for(unit).arrive_minutes
    arrive = _in_range(arrive_minutes, ARRIVE_MINUTES, _("Minutes to arrive"))
    offline = _in_range(offline_minutes, OFFLINE_MINUTES, _("Minutes offline"))
    battery = _in_range(battery_low, BATTERY_LOW, _("Low battery (%)"))
    if duty_cadre is not None and not duty_cadre_allowed(duty_cadre, unit):
        raise InvalidInput(
            _("%(name)s does not hold the village role at this village.")
            % {"name": duty_cadre.name},
            code="duty_cadre_invalid",
        )
    settings_forget()
    transaction.on_commit(settings_forget)
    row, created = DoorbellSettings.objects.select_for_update().get_or_create(unit=unit)
    row.ack_minutes = ack
    row.arrive_minutes = arrive
    row.offline_minutes = offline
    row.battery_low = battery
    row.duty_cadre = duty_cadre
    row.updated_at = timezone.now()
    row.updated_by = actor
    row.save()
    audit_record(
        actor=actor,
        action=AuditAction.DOORBELL_SETTINGS,
        target=row,
        detail={
            "unit": unit.pk,
            "ack_minutes": ack,
            "arrive_minutes": arrive,
            "offline_minutes": offline,
            "battery_low": battery,
            "duty_cadre": duty_cadre.pk if duty_cadre else None,
            "created": created,
        },
    )
    return row


def health_viewed(*, actor: User, recipient: CareRecipient, via: str) -> None:
    """Record that `actor` was shown the recipient's health notes (page or API)."""
    audit_record(
        actor=actor,
        action=AuditAction.DOORBELL_HEALTH_VIEW,
        target=recipient,
        detail={"via": via},
    )


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


def _device_time(ts: int) -> dt.datetime | None:
    """The device's clock as a time, or None when it gave none or one out of range
    (informative only: an alarm is timed from when its message arrived)."""
    if not ts:
        return None
    try:
        return dt.datetime.fromtimestamp(ts, tz=dt.UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _message_row(
    device: Device, msg: protocol.Message, channel: str, now: dt.datetime
) -> DeviceMessage:
    """The accepted message's row, not saved yet (one at a time and in a batch)."""
    return DeviceMessage(
        device=device,
        epoch=device.seq_epoch,
        seq=msg.seq,
        kind=msg.kind,
        channel=channel,
        sent_at=_device_time(msg.ts),
        received_at=now,
        battery=msg.battery,
    )


def message_receive(
    *,
    payload: bytes | str,
    topic: str | None,
    channel: str,
    remote: str = "",
    in_batch: bool = False,
    redelivered: bool = False,
) -> Outcome:
    """Take in one message from a device (the MQTT bridge or the HTTP endpoint).

    Refused (a `DeviceRejection` row and a WARNING on the `linli.doorbell` log, never an
    alarm): malformed, unknown device, bad signature, retired device, a (device, seq)
    already accepted (a replay: `Intake.DUPLICATE`), a sequence number more than
    `SEQ_WINDOW` below the highest accepted. Accepted: the message row, the device's
    health (last seen, battery; its maintenance tasks opened or resolved) and, for a press
    of a doorbell bound to a household, the alarm, all in one transaction: when this
    returns, it is committed.

    `in_batch` (the bridge): the caller's transaction holds several messages and commits
    them together; no savepoint is made, so any error spoils the whole batch (the
    caller then takes its messages one at a time).

    `redelivered` (the bridge, from MQTT's DUP flag, which the broker sets itself): a
    message the broker sends again because the bridge's acknowledgement was lost. Found
    already accepted, it is an ordinary duplicate, not an attack: answered `DUPLICATE`
    without a `DeviceRejection` row (still no second alarm).
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
        if redelivered and reason == RejectReason.REPLAY:
            log.info("doorbell %s: message %s delivered again, already taken in", claimed, seq)
            return Outcome(status=Intake.DUPLICATE, reason=reason.value, device_id=claimed)
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
        with transaction.atomic(savepoint=not in_batch):
            known = Device.objects.filter(device_id=claimed).first() if claimed else None
            return refuse(RejectReason.MALFORMED, claimed, device=known, detail=str(exc))
    try:
        return _take_in(msg, channel, refuse, careful=False, savepoint=not in_batch)
    except _SeqTaken:
        if in_batch:
            raise IntegrityError("(device, seq) taken: the batch is spoilt") from None
        # A seq above the highest accepted that is in the table all the same (a row
        # written by other means): again, looked up first this time.
        return _take_in(msg, channel, refuse, careful=True)


class _SeqTaken(Exception):
    """The (device, seq) row exists although seq is above the device's highest."""


def _take_in(
    msg: protocol.Message, channel: str, refuse, *, careful: bool, savepoint: bool = True
) -> Outcome:
    """The transaction of an accepted (or refused) parsed message. The device's row is
    locked first, so the device's messages go one at a time: a seq above the highest
    accepted cannot be a replay and is inserted without a look (nor a savepoint); one at
    or below it is looked up (a replay, or stale when too far back)."""
    with transaction.atomic(savepoint=savepoint):
        device = (
            Device.objects.select_for_update(of=("self",))
            .select_related("unit", "household__unit")
            .annotate(**_OPEN_TASKS)
            .filter(device_id=msg.device_id)
            .first()
        )
        if device is None:
            return refuse(RejectReason.UNKNOWN_DEVICE, msg.device_id, seq=msg.seq)
        if not protocol.signature_ok(device.secret, msg):
            return refuse(RejectReason.BAD_SIGNATURE, msg.device_id, device=device, seq=msg.seq)
        if device.status != DeviceStatus.ACTIVE:
            return refuse(RejectReason.RETIRED_DEVICE, msg.device_id, device=device, seq=msg.seq)
        if (careful or msg.seq <= device.last_seq) and DeviceMessage.objects.filter(
            device=device, epoch=device.seq_epoch, seq=msg.seq
        ).exists():
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
            message = _message_row(device, msg, channel, now)
            message.save(force_insert=True)
        except IntegrityError:
            raise _SeqTaken from None  # the transaction is spoilt: out, and again
        # An older message (out of order, or delivered again) still shows the device is
        # alive, but its battery reading is older than the one kept: it changes nothing.
        battery = msg.battery if msg.seq > device.last_seq else None
        device.last_seq = max(device.last_seq, msg.seq)
        device.last_seen_at = now
        fields = ["last_seq", "last_seen_at"]
        if battery is not None:
            device.battery = battery
            fields.append("battery")
        device.save(update_fields=fields)
        _health_after_message(device, battery, now)
        alarm_id = None
        if msg.kind == MessageKind.PRESS:
            if device.household_id is None:
                log.warning(
                    "doorbell %s pressed (seq %s) but bound to no household: no alarm",
                    device.device_id,
                    msg.seq,
                )
            else:
                alarm_id = _raise(message).pk
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


# Whether the device has an open task of each kind, read with the device's row.
_OPEN_TASKS = {
    f"open_{kind}": Exists(
        MaintenanceTask.objects.filter(device=OuterRef("pk"), kind=kind, resolved_at__isnull=True)
    )
    for kind in (TaskKind.OFFLINE, TaskKind.LOW_BATTERY)
}


def _health_after_message(device: Device, battery: int | None, now) -> None:
    """A message from the device: it is online again; its battery opens or closes the
    low-battery task. Only the open tasks (usually none: `_OPEN_TASKS`, read with the
    device) are closed."""
    open_kinds = {
        kind
        for kind in (TaskKind.OFFLINE, TaskKind.LOW_BATTERY)
        if getattr(device, f"open_{kind}", True)
    }
    if TaskKind.OFFLINE in open_kinds:
        _close_tasks(device, TaskKind.OFFLINE, "heard from again", now)
    if battery is None:
        return
    if battery <= settings_for(device.unit).battery_low:
        if TaskKind.LOW_BATTERY not in open_kinds:
            task_open_once(device, TaskKind.LOW_BATTERY, f"battery {battery}%", now)
    elif TaskKind.LOW_BATTERY in open_kinds:
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
            # No OFFLINE task open now (one Exists: a filter across the relation would
            # also skip a device with a resolved OFFLINE task and another kind open).
            .exclude(
                Exists(
                    MaintenanceTask.objects.filter(
                        device=OuterRef("pk"), kind=TaskKind.OFFLINE, resolved_at__isnull=True
                    )
                )
            )
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
    # Ids differing only in case are the same printed label: refuse the look-alike.
    twin = Device.objects.filter(device_id__iexact=device_id).first()
    if twin is not None:
        raise Conflict(
            _("Doorbell %(id)s is already registered; ids differing only in case are the same.")
            % {"id": twin.device_id}
        )
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
def device_bind(
    *, actor, device: Device, household: Household | None, move: bool = False
) -> Device:
    """Bind the doorbell to a household of its village (None: unbind; it stays with the
    village). A household has at most one active doorbell (a second is refused), and
    taking a bound doorbell to another household needs `move` (a confirmation): a press
    must never silently ring for the wrong home. The audit keeps from and to."""
    device = _locked(device)
    _check_manage(actor, device.unit)
    if device.status != DeviceStatus.ACTIVE:
        raise Conflict(_("A retired doorbell cannot be bound."))
    before = device.household_id
    if household is not None and household.pk != before:
        other = (
            Device.objects.filter(household=household, status=DeviceStatus.ACTIVE)
            .exclude(pk=device.pk)
            .first()
        )
        if other is not None:
            raise Conflict(
                _(
                    "The household already has doorbell %(id)s: unbind or retire it first, "
                    "a household has one doorbell."
                )
                % {"id": other.device_id},
                code="household_has_doorbell",
            )
        if before is not None and not move:
            raise Conflict(
                _(
                    "The doorbell is bound to another household (%(address)s): confirm the "
                    "move to bind it here."
                )
                % {"address": device.household.address if device.household else ""},
                code="move_unconfirmed",
            )
    before_address = device.household.address if device.household else ""
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
        detail={
            "household": household and household.pk,
            "before": before,
            "from_address": before_address,
            "to_address": household.address if household else "",
        },
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


NOTIFY_KIND = "doorbell.alarm"
# Many presses at once must not starve a tick: it takes this many due alarms per run.
TICK_BATCH = 500


def alarm_url(alarm: Alarm) -> str:
    return reverse("doorbell:alarm_detail", args=[alarm.pk])


def alarm_payload(alarm: Alarm) -> dict[str, Any]:
    """The alarm as the live push and the panel carry it (the push contract:
    `id`, `device`, `seq` are what the benchmark matches; docs/doorbell.md)."""
    return {
        "id": alarm.pk,
        "status": alarm.status,
        "device": alarm.device.device_id if alarm.device else "",
        "seq": alarm.message.seq if alarm.message else None,
        "household": alarm.household.address,
        "unit": alarm.unit_id,
        "step": alarm.step,
        "raised_at": alarm.raised_at.isoformat(),
    }


_push_loop: asyncio.AbstractEventLoop | None = None
_push_lock = threading.Lock()

# A push never holds up the intake: it is handed to an event loop and not waited for. At
# most this many may be on their way at once; beyond that (the channel layer is away
# and pushes pile up) a push is dropped and logged, so an outage cannot fill the memory.
PUSH_IN_FLIGHT = 200
# A push still on its way after this long is given up (logged), freeing its place. Long:
# a Redis that is down fails a push within a second (the connect timeout), so what
# waits this long is a backlog of a burst, and an alarm late is better than none.
PUSH_TIMEOUT = 30.0
_in_flight = 0
_in_flight_lock = threading.Lock()
_settled = threading.Condition(_in_flight_lock)


def _loop_for_pushes(layer: Any = None) -> asyncio.AbstractEventLoop | None:
    """The loop a push runs on. The in-memory layer's groups are asyncio queues of the
    server's loop (`serve` records it in `core.serverloop`): a push from another thread
    goes there. Otherwise (a Redis layer) the process's own loop for pushes, started on
    first use in a daemon thread: async_to_sync from a thread without a loop makes a new
    loop per call, and channels_redis then opens new connections each time. None: the
    in-memory layer without a server loop (tests, a command of its own), sent in place."""
    from channels.layers import InMemoryChannelLayer

    if isinstance(layer, InMemoryChannelLayer):
        return serverloop.loop_for(layer)
    global _push_loop
    with _push_lock:
        if _push_loop is None:
            _push_loop = asyncio.new_event_loop()
            threading.Thread(target=_push_loop.run_forever, name="linli-push", daemon=True).start()
        return _push_loop


PUSH_CONNECTIONS = 8
_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


def _gate() -> asyncio.Semaphore:
    """The running loop's limit on group sends at once (PUSH_CONNECTIONS)."""
    loop = asyncio.get_running_loop()
    gate = _gates.get(loop)
    if gate is None:
        gate = _gates[loop] = asyncio.Semaphore(PUSH_CONNECTIONS)
    return gate


def _shown(groups: list[str]) -> str:
    """The groups of a push for the log: a batch's push names a hundred."""
    unique = list(dict.fromkeys(groups))
    more = f" and {len(unique) - 3} more" if len(unique) > 3 else ""
    return ", ".join(unique[:3]) + more


def _push_done(groups: list[str], future: concurrent.futures.Future[None]) -> None:
    """A push's outcome, logged (its done-callback, on the loop's thread; never raises).
    One line a failed push, no traceback: an outage fails every push alike."""
    global _in_flight
    try:
        if future.cancelled():
            logger.warning("doorbell: live push to %s was cancelled", _shown(groups))
        elif isinstance(future.exception(), TimeoutError):
            logger.warning(
                "doorbell: live push to %s gave up after %s s", _shown(groups), PUSH_TIMEOUT
            )
        elif (error := future.exception()) is not None:
            logger.warning(
                "doorbell: live push to %s failed: %s: %s", _shown(groups), type(error).__name__, error
            )  # fmt: skip
    finally:
        with _settled:
            _in_flight -= 1
            _settled.notify_all()


def pushes_settled(timeout: float = 5.0) -> bool:
    """Wait until no push is on its way (tests, a bridge stopping); False on timeout."""
    with _settled:
        return _settled.wait_for(lambda: _in_flight == 0, timeout=timeout)


def _send(*sends: tuple[list[str], dict[str, Any]]) -> None:
    """Send each message to its Channels groups, all at once (one trip to the event
    loop), without waiting: the push is handed to the loop and its outcome logged when
    it is done. A channel-layer outage is logged, never raised, and never holds up the
    caller (the intake); at most PUSH_IN_FLIGHT pushes wait at once."""
    global _in_flight
    groups = [g for groups, _m in sends for g in groups]
    try:
        from channels.layers import get_channel_layer

        layer = get_channel_layer()
        if layer is None:
            return

        async def send_all() -> None:
            # Every group is tried; the first failure is the push's outcome. At most
            # PUSH_CONNECTIONS group sends at once on the loop: a burst of alarms would
            # otherwise ask channels_redis's pool for more connections than it allows
            # ("Too many connections", each push lost).
            gate = _gate()

            async def one(group: str, message: dict[str, Any]) -> None:
                async with gate:
                    await layer.group_send(group, message)

            outcomes = await asyncio.wait_for(
                asyncio.gather(
                    *(one(g, message) for groups, message in sends for g in groups),
                    return_exceptions=True,
                ),
                PUSH_TIMEOUT,
            )
            for outcome in outcomes:
                if isinstance(outcome, BaseException):
                    raise outcome

        loop = _loop_for_pushes(layer)
        if loop is None:
            # The in-memory layer with no server loop: the consumers (if any) wait on
            # the loop async_to_sync finds (a test's), and the send takes no I/O.
            async_to_sync(send_all)()
            return
        with _settled:
            if _in_flight >= PUSH_IN_FLIGHT:
                logger.warning(
                    "doorbell: live push to %s dropped: %s pushes still on their way",
                    _shown(groups), _in_flight,
                )  # fmt: skip
                return
            _in_flight += 1
        try:
            future = asyncio.run_coroutine_threadsafe(send_all(), loop)
        except BaseException:
            with _settled:
                _in_flight -= 1
                _settled.notify_all()
            raise
        future.add_done_callback(lambda f: _push_done(groups, f))
    except Exception:
        logger.warning("doorbell: live push to %s failed", _shown(groups), exc_info=True)


def _push_sends(
    alarm: Alarm, user_ids: list[int], change: str, *, first: bool = False
) -> list[tuple[list[str], dict[str, Any]]]:
    """The alarm's pushes: the alarm (banner and sound) to the pages of the users told,
    and the change to the live panels of the alarm's unit and every unit above it.
    `first`: the alarm's first notices, so `user_ids` are all the users told of it yet."""
    payload = alarm_payload(alarm)
    title = _("Doorbell alarm")
    if change == "pressed_again":
        body = _("%(address)s pressed the love doorbell again.")
    else:
        body = _("%(address)s pressed the love doorbell.")
    body %= {"address": alarm.household.address}
    groups = alarm_groups(alarm, told=user_ids if first else None)
    told = sorted(set(user_ids))
    sends: list[tuple[list[str], dict[str, Any]]] = []
    if told:
        push = {
            "type": "notify.push",
            "title": title,
            "body": body,
            "url": alarm_url(alarm),
            "sound": True,
            "alarm": payload,
        }
        sends.append(([user_group(uid) for uid in told], push))
    sends.append((groups, {"type": "alarm.change", "change": change, "alarm": payload}))
    return sends


def _push_on_commit(alarm: Alarm, user_ids: list[int], change: str, *, first: bool = False) -> None:
    """After commit: the alarm's pushes (`_push_sends`)."""
    _sends_on_commit(_push_sends(alarm, user_ids, change, first=first))


def _sends_on_commit(sends: list[tuple[list[str], dict[str, Any]]]) -> None:
    """After commit, `_send` them all at once (one trip to the event loop, however many
    alarms a batch of the bridge raised)."""

    def run() -> None:
        _send(*sends)

    # The pushes run first of the commit hooks, in their order, before the others
    # registered earlier in the transaction (the outbox's kick): the alarm's latency is
    # the push's.
    run.linli_push = True  # type: ignore[attr-defined]
    transaction.on_commit(run)
    hooks = connection.run_on_commit
    if connection.in_atomic_block and hooks:
        at = 0
        while at < len(hooks) - 1 and getattr(hooks[at][1], "linli_push", False):
            at += 1
        hooks.insert(at, hooks.pop())


def _sms_text(alarm: Alarm) -> str:
    """The SMS to an account holder: sent with the title "爱心门铃告警" in front (the
    outbox joins title and body), so the body does not name the doorbell again; the
    link opens the alarm's page (after signing in) with "我马上到"."""
    link = settings.LINLI["PUBLIC_URL"] + alarm_url(alarm)
    return _(
        "%(head)s at %(address)s pressed the doorbell at %(time)s. "
        "Please go now and tap 'on my way': %(link)s"
    ) % {
        "head": alarm.household.head_name,
        "address": alarm.household.address,
        "time": timezone.localtime(alarm.raised_at).strftime("%H:%M"),
        "link": link,
    }


def _inapp_rows(alarm: Alarm, users: list[User | None]) -> None:
    """Leave the alarm in the in-app inbox of each account told (inside the caller's
    transaction, beside the notice): the live push reaches only the pages open at that
    moment, the inbox keeps it. Quiet: its delivery updates the badge only, with no toast
    (the alarm push already showed the banner and beeped)."""
    told = [u for u in users if u is not None and u.is_active]
    if not told:
        return
    text = _("%(head)s at %(address)s pressed the doorbell at %(time)s.") % {
        "head": alarm.household.head_name,
        "address": alarm.household.address,
        "time": timezone.localtime(alarm.raised_at).strftime("%H:%M"),
    }
    notify_users(
        users=told,
        kind=NOTIFY_KIND,
        title=_("Doorbell alarm"),
        body=text,
        url=alarm_url(alarm),
        data={"alarm": alarm.pk},
        channels=("inapp",),
        quiet=True,
    )


def _primary_name(alarm: Alarm) -> str:
    """The pairing's primary representative's name ("" when none)."""
    pairing = alarm.pairing
    return pairing.primary.member.name if pairing is not None else ""


def _sms_text_no_account(alarm: Alarm) -> str:
    """The SMS to a backup known only by a mobile: no link (the page needs an account);
    the address and the primary representative's **name only**, to agree who goes (a
    neighbour of the same village knows them or finds them). No third party's mobile:
    the SMS body is stored in plain text in the outbox (only the address is encrypted)
    and kept, and passes through the SMS gateway; the primary's mobile would sit there
    in clear for good."""
    args = {
        "head": alarm.household.head_name,
        "address": alarm.household.address,
        "time": timezone.localtime(alarm.raised_at).strftime("%H:%M"),
    }
    name = _primary_name(alarm)
    if name:
        return _(
            "Love doorbell: %(head)s at %(address)s pressed the doorbell at %(time)s. "
            "Please go and see now; the paired representative is %(rep)s."
        ) % {**args, "rep": name}
    return (
        _(
            "Love doorbell: %(head)s at %(address)s pressed the doorbell at %(time)s. "
            "Please go and see now."
        )
        % args
    )


# --- who is told at each step ---


class Person:
    """Someone the escalation tells: an account (live push and SMS) or a mobile (SMS)."""

    def __init__(self, role: str, name: str, user: User | None = None, phone: str = "") -> None:
        self.role, self.name, self.user, self.phone = role, name, user, phone


def cadres_for(alarm: Alarm) -> list[Person]:
    """The village cadre on duty (the unit's settings), else every holder of the village
    role at the alarm's village."""
    from linli.accounts.models import User

    village = path_at(alarm.unit.path, VILLAGE_DEPTH)
    cadre_ids = set(
        RoleAssignment.objects.filter(role=Role.VILLAGE, unit__path=village).values_list(
            "user_id", flat=True
        )
    )
    active = User.objects.filter(is_active=True).order_by("id")
    duty = settings_for(alarm.unit).duty_cadre_id
    users: list[User] = []
    # The cadre on duty only while they still hold the village role and their account is
    # on; otherwise (left the post, account switched off) every village cadre is told.
    if duty is not None and duty in cadre_ids:
        users = list(active.filter(pk=duty))
    if not users:
        users = list(active.filter(pk__in=cadre_ids))
    return [Person(NoticeRole.CADRE, u.name, user=u) for u in users]


class Ladder:
    """The steps of the alarm's escalation: the primary, the backups in order (one a step),
    then the village cadre; no pairing: the cadre at once. Each step's people are looked
    up when first asked for (raising an alarm needs only the primary)."""

    def __init__(self, alarm: Alarm) -> None:
        self.alarm = alarm
        self.pairing = alarm.pairing
        self._backups: list[list[Person]] | None = None
        self._cadres: list[Person] | None = None

    def backups(self) -> list[list[Person]]:
        if self._backups is None:
            self._backups = (
                [
                    [Person(NoticeRole.BACKUP, b.name, user=b.user, phone=b.phone)]
                    for b in self.pairing.backups.select_related("user").order_by("order", "id")
                ]
                if self.pairing is not None
                else []
            )
        return self._backups

    def __len__(self) -> int:
        return 1 + len(self.backups()) + 1 if self.pairing is not None else 1

    def last(self, step: int) -> bool:
        """Whether `step` is the cadre's (the last), without looking up the backups when
        `step` is the primary's."""
        if self.pairing is None:
            return step >= 0
        return step >= 1 and step >= len(self) - 1

    def __getitem__(self, step: int) -> list[Person]:
        if self.pairing is not None and step == 0:
            rep = self.pairing.primary
            # Without an account (or with one switched off) the primary is still told,
            # by SMS to the mobile on their resident record.
            return [
                Person(NoticeRole.PRIMARY, rep.member.name, user=rep.user, phone=rep.member.phone)
            ]
        if self.last(step):
            if self._cadres is None:
                self._cadres = cadres_for(self.alarm)
            return self._cadres
        return self.backups()[step - 1]


def _tell(alarm: Alarm, people: list[Person], *, step: int, now: dt.datetime) -> list[int]:
    """Record and send the notices of one step (inside the caller's transaction); the
    user ids to push to after commit. The unique (alarm, step, position) row refuses a
    second notice of the same step, whatever two ticks do: IntegrityError, and the
    caller's transaction (escalate_tick's, per alarm) is rolled back whole."""
    notices, pushed = _tell_rows(alarm, people, step=step, now=now)
    AlarmNotice.objects.bulk_create(notices)
    return pushed


def _tell_rows(
    alarm: Alarm, people: list[Person], *, step: int, now: dt.datetime
) -> tuple[list[AlarmNotice], list[int]]:
    """The notices of one step, not saved yet, with their SMS queued in the outbox (the
    alarm is saved): the notices and the user ids to push to after commit."""
    pushed: list[int] = []
    notices: list[AlarmNotice] = []
    text = _sms_text(alarm)
    url = alarm_url(alarm)
    title = _("Doorbell alarm")
    for position, person in enumerate(people):
        user = person.user if person.user is not None and person.user.is_active else None
        phone = user.phone if user is not None else person.phone
        notice = AlarmNotice(
            alarm=alarm,
            step=step,
            position=position,
            role=person.role,
            user=user,
            name=person.name[:50],
            phone=phone or "",
            told_at=now,
            live=user is not None,
            sms=bool(phone),
        )
        notices.append(notice)
        if user is not None:
            pushed.append(user.pk)
            if phone:
                notify_user(
                    user=user,
                    kind=NOTIFY_KIND,
                    title=title,
                    body=text,
                    url=url,
                    data={"alarm": alarm.pk},
                    channels=("sms",),
                )
        elif phone:
            try:
                notify_phone(
                    phone=phone,
                    kind=NOTIFY_KIND,
                    body=_sms_text_no_account(alarm),
                    data={"alarm": alarm.pk},
                )
            except InvalidInput:
                notice.sms = False
                logger.warning(
                    "doorbell: alarm %s: the %s at step %s has a bad mobile",
                    alarm.pk,
                    person.role,
                    step,
                )
    _inapp_rows(alarm, [p.user for p in people])
    return notices, pushed


def _who(people: list[Person]) -> str:
    return "、".join(p.name for p in people)[:500]


def _mobile_key(phone: str) -> str:
    """A mobile as digits only, without +86 (cheap: the press's path calls it)."""
    digits = re.sub(r"\D", "", phone or "")
    return digits[2:] if len(digits) == 13 and digits.startswith("86") else digits


def _told_keys(alarm: Alarm) -> tuple[set[int], set[str]]:
    """The accounts and mobiles already told of the alarm."""
    users: set[int] = set()
    phones: set[str] = set()
    for user_id, phone in AlarmNotice.objects.filter(alarm=alarm).values_list("user_id", "phone"):
        if user_id:
            users.add(user_id)
        if phone:
            phones.add(_mobile_key(phone))
    return users, phones


def _new_people(people: list[Person], told: tuple[set[int], set[str]]) -> list[Person]:
    """The people of a step not told yet (same account or same mobile as someone told
    before, or earlier in the step: skipped) and reachable (an active account or a
    mobile); `told` is updated with them."""
    users, phones = told
    out: list[Person] = []
    for person in people:
        user = person.user if person.user is not None and person.user.is_active else None
        phone = _mobile_key(user.phone if user is not None else person.phone)
        if user is None and not phone:
            continue
        if (user is not None and user.pk in users) or (phone and phone in phones):
            continue
        out.append(person)
        if user is not None:
            users.add(user.pk)
        if phone:
            phones.add(phone)
    return out


@dataclass
class _Step:
    """A step of an alarm's ladder, planned: who is told (nobody: the alarm waits on the
    panel), the event's kind and note; `fresh`: the alarm's raise (not saved yet)."""

    people: list[Person]
    kind: str
    note: str
    fresh: bool

    def events(self, alarm: Alarm, now: dt.datetime) -> list[AlarmEvent]:
        """The step's events (a raise's RAISED first), not saved yet."""
        events = [AlarmEvent(alarm=alarm, kind=self.kind, at=now, note=self.note)]
        if self.fresh:
            events.insert(
                0, AlarmEvent(alarm=alarm, kind=AlarmEventKind.RAISED, at=alarm.raised_at)
            )
        return events


def _plan_step(alarm: Alarm, step: int, *, now: dt.datetime, change: str) -> _Step:
    """Who of `step` is told: the people not told before (a step with nobody new is
    skipped at once); sets the alarm's step, status and timer (not saved). No timer when
    no later step has anyone new (the alarm is at the top: red on the panel now, not a
    timeout later). A raise (an alarm not saved yet) looks up only the primary's step."""
    steps = Ladder(alarm)
    kind = AlarmEventKind.NOTIFIED if change == "notified" else AlarmEventKind.ESCALATED
    fresh = alarm.pk is None
    told = (set(), set()) if fresh else _told_keys(alarm)

    def exists(i: int) -> bool:  # the primary's step without counting the backups
        return i == 0 or i < len(steps)

    people: list[Person] = []
    while exists(step):
        people = _new_people(steps[step], told)
        if people:
            break
        step += 1
    alarm.status = AlarmStatus.NOTIFIED
    if not people:
        alarm.step = max(len(steps) - 1, 0)
        alarm.next_step_at = None
        note = _("Nobody left to tell: the alarm waits on the panel.")
    else:
        alarm.step = step
        if fresh:
            # The raise: only the primary's step is known; a later step with nobody new
            # is found (and skipped at once) when the escalation reaches it.
            last = steps.last(step)
        else:
            after = (set(told[0]), set(told[1]))
            last = not any(_new_people(steps[i], after) for i in range(step + 1, len(steps)))
        alarm.next_step_at = (
            None if last else now + dt.timedelta(minutes=settings_for(alarm.unit).ack_minutes)
        )
        note = _who(people)
    return _Step(people=people, kind=kind, note=note, fresh=fresh)


def _notify_step(alarm: Alarm, step: int, *, now: dt.datetime, change: str) -> None:
    """Tell the people of `step` who were not told before (`_plan_step`) and record it.
    An alarm not yet saved (its raise) is inserted here with its step, timer and status,
    and its RAISED event goes in with the first NOTIFIED one."""
    plan = _plan_step(alarm, step, now=now, change=change)
    if plan.fresh:
        alarm.save(force_insert=True)
    else:
        # Not a new version: the escalation changes who is told, not what a responder
        # answers, so a "我马上到" tapped on a page opened before it still goes through.
        alarm.save(update_fields=["step", "next_step_at", "status"])
    pushed = _tell(alarm, plan.people, step=alarm.step, now=now) if plan.people else []
    AlarmEvent.objects.bulk_create(plan.events(alarm, now))
    _push_on_commit(alarm, pushed, change, first=plan.fresh)


def _bump(alarm: Alarm, fields: list[str]) -> None:
    alarm.version += 1
    alarm.save(update_fields=sorted({*fields, "version"}))


@transaction.atomic
def alarm_raise(*, message: DeviceMessage) -> Alarm:
    """Raise the alarm of an accepted press (called once per message, inside the
    transaction that accepted it) and tell the primary representative at once (live push
    after commit, SMS through the outbox); no pairing: the village cadre. The recipient
    and pairing are the household's active ones, when there are."""
    return _raise(message)


def _raise(message: DeviceMessage) -> Alarm:
    """alarm_raise inside the caller's transaction (message_receive's: no savepoint)."""
    device = message.device
    household = device.household
    if household is None:
        raise ValueError("a doorbell that is not bound to a household cannot raise an alarm")
    again = _open_alarm(household.pk, message.received_at)
    if again is not None:
        return _pressed_again(again, message)
    # The household's first active recipient's pairing, with the recipient and the
    # primary, in one query; a recipient without a pairing takes a second.
    recipients = CareRecipient.objects.filter(household=household, active=True).order_by("id")
    pairing = (
        CarePairing.objects.filter(
            recipient_id=Subquery(recipients.values("pk")[:1]), ended_on__isnull=True
        )
        .select_related("recipient", "primary__member", "primary__user")
        .first()
    )
    recipient = pairing.recipient if pairing is not None else recipients.first()
    alarm = Alarm(
        device=device,
        message=message,
        household=household,
        recipient=recipient,
        pairing=pairing,
        unit=household.unit,
        raised_at=message.received_at,
    )
    # Saved by _notify_step with the primary's step. No audit row: the audit log records
    # people's actions and views of personal data; a device's alarm is recorded by its
    # message, the alarm and its RAISED event.
    _notify_step(alarm, 0, now=message.received_at, change="notified")
    return alarm


# A press joins the household's open alarm only when that alarm was raised this recently;
# an older one (answered and never closed, or unanswered at the top of its ladder hours
# ago) does not swallow a new press: the new press raises a new alarm and a new ladder.
JOIN_MINUTES = 30


def _open_alarm(household_id: int, now: dt.datetime) -> Alarm | None:
    """The household's latest alarm not closed yet and raised within JOIN_MINUTES of
    `now` (locked), if there is one."""
    return (
        Alarm.objects.select_for_update(of=("self",))
        .filter(household_id=household_id, raised_at__gte=now - dt.timedelta(minutes=JOIN_MINUTES))
        .exclude(status=AlarmStatus.CLOSED)
        .select_related("unit", "household", "device", "message")
        .order_by("-raised_at", "-id")
        .first()
    )


def _pressed_again(alarm: Alarm, message: DeviceMessage) -> Alarm:
    """Another press while the household's alarm is open: no new alarm and no new
    escalation or SMS; a line on the open alarm's timeline, and the people already told
    (by account) get the live push again, with sound, as a reminder. The alarm's version
    is left alone, so a form someone has open still answers it.

    The reminder is pushed at most once every `policy.REMIND_SECONDS` an alarm (and not
    within that time of the press that raised it): a doorbell whose button sticks, or a
    firmware that loops, sends press after press, each signed and new, and each would
    ring every told page again. Every press is still
    a line on the timeline (it is evidence: how often they pressed)."""
    # Windows of REMIND_SECONDS from the press that raised the alarm (its own push is the
    # first window's): the first further press of each later window reminds.
    window = dt.timedelta(seconds=policy.REMIND_SECONDS)
    since = message.received_at - alarm.raised_at
    remind = since >= window and not (
        AlarmEvent.objects.filter(
            alarm=alarm,
            kind=AlarmEventKind.PRESSED_AGAIN,
            at__gte=alarm.raised_at + window * (since // window),
            at__lte=message.received_at,
        ).exists()
    )
    AlarmEvent.objects.create(
        alarm=alarm,
        kind=AlarmEventKind.PRESSED_AGAIN,
        at=message.received_at,
        note=_("%(device)s, message %(seq)s")
        % {"device": message.device.device_id, "seq": message.seq},
    )
    told = list(
        AlarmNotice.objects.filter(alarm=alarm, user__isnull=False).values_list(
            "user_id", flat=True
        )
    )
    if remind:
        _push_on_commit(alarm, told, "pressed_again")
    else:
        log.info(
            "doorbell %s: pressed again within %s s, no reminder", alarm.pk, policy.REMIND_SECONDS
        )
    return alarm


# --- a batch of messages at once (the bridge) ---


def messages_receive(
    items: list[tuple[bytes | str, str | None, bool]], *, channel: str, remote: str = ""
) -> list[Outcome]:
    """Take in a batch of messages, each (payload, topic, redelivered), inside the
    caller's transaction (the bridge's: one commit for the batch), with the outcome of
    each: the same rows `message_receive` one at a time would write, in about ten
    statements for the whole batch instead of about ten a message, so that a burst of
    presses costs the bridge and the database less the bigger it is.

    Taken together: the common case, a signed message of an active doorbell newer than
    its last, the doorbell's only one in the batch, with no maintenance task open and a
    battery above the unit's threshold (its health then changes nothing but last seen),
    and no other press of its household in the batch. Every other message (malformed,
    refused, older, with a task to open or close, ...) is then taken by `message_receive`
    in the batch's order: a doorbell's messages are either all taken together (its only
    one) or all one at a time, so each doorbell's order holds. Any error spoils the
    batch (the caller then takes its messages one at a time). The units' settings are
    read from the process's cache (`settings_cached`, at most ten seconds old)."""
    with settings_cached():
        return _messages_receive(items, channel=channel, remote=remote)


def _messages_receive(
    items: list[tuple[bytes | str, str | None, bool]], *, channel: str, remote: str
) -> list[Outcome]:
    prefix = settings.LINLI["DOORBELL_MQTT_PREFIX"]
    parsed: dict[int, protocol.Message] = {}
    for i, (payload, topic, _again) in enumerate(items):
        try:
            parsed[i] = protocol.parse(payload, topic=topic, prefix=prefix)
        except protocol.ProtocolError:
            continue  # refused one at a time, below
    per_device: dict[str, list[int]] = {}
    for i, msg in parsed.items():
        per_device.setdefault(msg.device_id, []).append(i)
    alone = {device_id: at[0] for device_id, at in per_device.items() if len(at) == 1}
    devices = (
        Device.objects.select_for_update(of=("self",))
        .select_related("unit", "household__unit")
        .annotate(**_OPEN_TASKS)
        .filter(device_id__in=alone)
        .order_by("pk")
    )
    common: list[tuple[int, protocol.Message, Device]] = []
    for device in devices:
        i = alone[device.device_id]
        msg = parsed[i]
        if (
            device.status == DeviceStatus.ACTIVE
            and msg.seq > device.last_seq
            and not any(
                getattr(device, f"open_{k}") for k in (TaskKind.OFFLINE, TaskKind.LOW_BATTERY)
            )
            and (msg.battery is None or msg.battery > settings_for(device.unit).battery_low)
            and protocol.signature_ok(device.secret, msg)
        ):
            common.append((i, msg, device))
    # Two presses of one household in the batch: the second joins the first's alarm,
    # which one at a time does.
    homes: dict[int, int] = {}
    for _i, msg, device in common:
        if msg.kind == MessageKind.PRESS and device.household_id is not None:
            homes[device.household_id] = homes.get(device.household_id, 0) + 1
    common = [
        (i, msg, device)
        for i, msg, device in common
        if msg.kind != MessageKind.PRESS or homes.get(device.household_id, 0) <= 1  # type: ignore[arg-type]
    ]
    common.sort()
    outcomes: dict[int, Outcome] = {}
    if common:
        outcomes.update(_take_in_together(common, channel))
    for i, (payload, topic, again) in enumerate(items):
        if i not in outcomes:
            outcomes[i] = message_receive(
                payload=payload,
                topic=topic,
                channel=channel,
                remote=remote,
                in_batch=True,
                redelivered=again,
            )
    return [outcomes[i] for i in range(len(items))]


def _take_in_together(
    common: list[tuple[int, protocol.Message, Device]], channel: str
) -> dict[int, Outcome]:
    """The common messages of a batch (`messages_receive`), set-wise; their devices are
    locked. Mirrors `_take_in` and `_raise` one at a time."""
    now = timezone.now()
    messages = [_message_row(device, msg, channel, now) for _i, msg, device in common]
    try:
        DeviceMessage.objects.bulk_create(messages)
    except IntegrityError:
        raise _SeqTaken from None  # a (device, seq) written by other means: one at a time
    for (_i, msg, device), _m in zip(common, messages, strict=True):
        device.last_seq = msg.seq
        device.last_seen_at = now
        if msg.battery is not None:
            device.battery = msg.battery
    Device.objects.bulk_update([d for _i, _m, d in common], ["last_seq", "last_seen_at", "battery"])
    presses = []
    for (i, msg, device), message in zip(common, messages, strict=True):
        if msg.kind != MessageKind.PRESS:
            continue
        if device.household_id is None:
            log.warning(
                "doorbell %s pressed (seq %s) but bound to no household: no alarm",
                device.device_id,
                msg.seq,
            )
            continue
        presses.append((i, device, message))
    alarms = _raise_together(presses, now) if presses else {}
    return {
        i: Outcome(
            status=Intake.ACCEPTED,
            alarm_id=alarms.get(i),
            message_id=message.pk,
            device_id=msg.device_id,
        )
        for (i, msg, _device), message in zip(common, messages, strict=True)
    }


def _raise_together(
    presses: list[tuple[int, Device, DeviceMessage]], now: dt.datetime
) -> dict[int, int]:
    """The alarms of a batch's presses (each of a household of its own), set-wise: a
    press of a household whose alarm is open joins it (`_pressed_again`, one at a time:
    rare); the others raise a new alarm each, its first step told (`_plan_step`, as
    `_raise` does one at a time). Their alarm ids, by the press's place in the batch."""
    households = [device.household_id for _i, device, _m in presses]
    open_alarms: dict[int, Alarm] = {}
    for alarm in (
        Alarm.objects.select_for_update(of=("self",))
        .filter(
            household_id__in=households, raised_at__gte=now - dt.timedelta(minutes=JOIN_MINUTES)
        )
        .exclude(status=AlarmStatus.CLOSED)
        .select_related("unit", "household", "device", "message")
        .order_by("-raised_at", "-id")
    ):
        open_alarms.setdefault(alarm.household_id, alarm)
    out: dict[int, int] = {}
    fresh = []
    for i, device, message in presses:
        again = open_alarms.get(device.household_id)  # type: ignore[arg-type]
        if again is not None:
            out[i] = _pressed_again(again, message).pk
        else:
            fresh.append((i, device, message))
    if not fresh:
        return out
    first_recipient: dict[int, int] = {}
    for recipient_id, household_id in (
        CareRecipient.objects.filter(
            household_id__in=[d.household_id for _i, d, _m in fresh], active=True
        )
        .order_by("household_id", "id")
        .values_list("id", "household_id")
    ):
        first_recipient.setdefault(household_id, recipient_id)
    pairings: dict[int, CarePairing] = {}
    for pairing in (
        CarePairing.objects.filter(recipient_id__in=first_recipient.values(), ended_on__isnull=True)
        .select_related("recipient", "primary__member", "primary__user")
        .order_by("-started_on", "-id")  # as the model's ordering, within a recipient
    ):
        pairings.setdefault(pairing.recipient_id, pairing)
    planned = []
    for i, device, message in fresh:
        household = device.household
        first_id = first_recipient.get(household.pk)  # type: ignore[union-attr]
        paired = pairings.get(first_id) if first_id is not None else None
        alarm = Alarm(
            device=device,
            message=message,
            household=household,
            recipient_id=first_id,
            pairing=paired,
            unit=household.unit,  # type: ignore[union-attr]
            raised_at=message.received_at,
        )
        planned.append((i, alarm, _plan_step(alarm, 0, now=now, change="notified")))
    Alarm.objects.bulk_create([alarm for _i, alarm, _p in planned])
    notices: list[AlarmNotice] = []
    events: list[AlarmEvent] = []
    sends: list[tuple[list[str], dict[str, Any]]] = []
    with outbox_collected():
        for i, alarm, plan in planned:
            out[i] = alarm.pk
            pushed: list[int] = []
            if plan.people:
                rows, pushed = _tell_rows(alarm, plan.people, step=alarm.step, now=now)
                notices.extend(rows)
            events.extend(plan.events(alarm, now))
            sends.extend(_push_sends(alarm, pushed, "notified", first=True))
    AlarmNotice.objects.bulk_create(notices)
    AlarmEvent.objects.bulk_create(events)
    _sends_on_commit(_gathered(sends))
    return out


def _gathered(
    sends: list[tuple[list[str], dict[str, Any]]],
) -> list[tuple[list[str], dict[str, Any]]]:
    """A batch's pushes gathered by group: one "alarm.changes" message a panel group
    (the consumer forwards each change as it would one "alarm.change"), instead of one a
    group and alarm: twenty alarms of one village would be a hundred sends through the
    channel layer, now five. Likewise the banners: one "notify.pushes" message a user
    told of several alarms of the batch (notify's consumer forwards each). A group send
    costs the same whatever it carries, and it was the live push that fell behind a
    burst (docs/performance.md)."""
    out: list[tuple[list[str], dict[str, Any]]] = []
    per_group: dict[str, list[dict[str, Any]]] = {}
    per_user: dict[str, list[dict[str, Any]]] = {}
    for groups, message in sends:
        kind = message.get("type")
        if kind == "alarm.change":
            change = {"change": message["change"], "alarm": message["alarm"]}
            for group in groups:
                per_group.setdefault(group, []).append(change)
        elif kind == "notify.push":
            for group in groups:
                per_user.setdefault(group, []).append(message)
        else:
            out.append((groups, message))
    # The banners first, in the batch's order: they are what someone waits for.
    for group, pushes in per_user.items():
        if len(pushes) == 1:
            out.append(([group], pushes[0]))
        else:
            out.append(([group], notify_pushes_message(pushes)))
    for group, changes in per_group.items():
        out.append(([group], {"type": "alarm.changes", "changes": changes}))
    return out


# --- the escalation tick ---


def escalate_tick(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Tell the next person of every alarm still unanswered whose timer is due, and of
    every acknowledged alarm whose arrival timeout ran out (`_arrival_missed`: nobody at
    the door within `arrive_minutes` of "我马上到"). Each alarm in its own transaction,
    locked with SKIP LOCKED and re-checked, so two ticks at once never tell anyone twice
    (and the notice's unique row is the last guard)."""
    now = now or timezone.now()
    due = list(
        Alarm.objects.filter(next_step_at__lte=now, status__in=workflow.TIMED)
        .order_by("next_step_at", "id")
        .values_list("pk", flat=True)[:TICK_BATCH]
    )
    escalated = missed = 0
    for pk in due:
        try:
            with transaction.atomic():
                alarm = (
                    Alarm.objects.select_for_update(skip_locked=True, of=("self",))
                    .filter(pk=pk, next_step_at__lte=now, status__in=workflow.TIMED)
                    .select_related("unit", "household", "device", "message", "pairing")
                    .first()
                )
                if alarm is None:
                    continue  # answered meanwhile, or another tick has it
                if alarm.status == AlarmStatus.ACKNOWLEDGED:
                    _arrival_missed(alarm, now=now)
                    missed += 1
                _notify_step(alarm, alarm.step + 1, now=now, change="escalated")
                escalated += 1
        except IntegrityError:
            logger.warning("doorbell: alarm %s was escalated by another tick", pk)
        except Exception:
            # One alarm that fails (a lock timeout, a row that cannot be read) must not
            # stop the escalation of every alarm due after it; it is tried again next tick.
            logger.exception("doorbell: escalating alarm %s failed", pk)
    done = {"escalated": escalated}
    if missed:
        done["arrival_missed"] = missed  # of the escalated: an acknowledger never arrived
    return done


def _arrival_missed(alarm: Alarm, *, now: dt.datetime) -> None:
    """An acknowledged alarm whose arrival timeout ran out (inside escalate_tick's
    transaction, the alarm locked): the acknowledgement lapses, so the alarm is waiting
    again (the next person told may tap "我马上到"), an ARRIVAL_MISSED event names who
    said they were coming, and `arrival_missed_at` shows it on the panel. The
    acknowledgement that counts in the figures is the one that is not lapsed: a
    representative who said "on my way" and never came is not counted as answering.
    The version is kept, as for any escalation (the late acknowledger's "我已到门口"
    still goes through)."""
    who = alarm.acknowledged_by
    minutes = settings_for(alarm.unit).arrive_minutes
    AlarmEvent.objects.create(
        alarm=alarm,
        kind=AlarmEventKind.ARRIVAL_MISSED,
        at=now,
        actor=who,
        note=_("%(name)s said they were on the way and did not arrive within %(n)d minutes.")
        % {"name": who.name if who is not None else "", "n": minutes},
    )
    alarm.arrival_missed_at = now
    alarm.acknowledged_at = None
    alarm.acknowledged_by = None
    alarm.save(update_fields=["arrival_missed_at", "acknowledged_at", "acknowledged_by"])


# --- acknowledge, arrive, close ---


def _lock(alarm: Alarm, version: int | None) -> Alarm:
    try:
        locked = (
            Alarm.objects.select_for_update(of=("self",))
            .select_related("unit", "household", "device", "message")
            .get(pk=alarm.pk)
        )
    except Alarm.DoesNotExist:
        raise NotFound(_("Alarm not found.")) from None
    if version is not None and int(version) != locked.version:
        raise Conflict(
            _("The alarm was changed meanwhile; reload the page and try again."), code="stale"
        )
    return locked


def _check(actor: User, alarm: Alarm, action: str) -> None:
    if action != workflow.Action.CLOSE and not policy.can_attend(actor, alarm):
        raise Forbidden(
            _(
                "Only the people told of this alarm, the carers and the village's cadres "
                "may say they are going."
            ),
            code="doorbell_not_attending",
        )
    if not policy.can_respond(actor, alarm):
        raise Forbidden(
            _("Only the people told of this alarm and the village may answer it."),
            code="doorbell_not_yours",
        )
    if not workflow.allowed(action, alarm.status):
        raise Conflict(
            _("This cannot be done to an alarm that is %(status)s.")
            % {"status": alarm.get_status_display()},
            code="wrong_status",
        )


def _record(alarm: Alarm, actor: User, kind: str, action: AuditAction, note: str = "", **detail):
    now = timezone.now()
    AlarmEvent.objects.create(alarm=alarm, kind=kind, at=now, actor=actor, note=note[:500])
    audit_record(actor=actor, action=action, target=alarm, detail=detail or None)


@transaction.atomic
def alarm_acknowledge(*, actor: User, alarm: Alarm, version: int | None = None) -> Alarm:
    """ "On my way" (我马上到): one tap; stops the escalation until the arrival timeout
    (the unit's `arrive_minutes`): not at the door by then, the next person is told."""
    alarm = _lock(alarm, version)
    _check(actor, alarm, workflow.Action.ACKNOWLEDGE)
    now = timezone.now()
    alarm.status = AlarmStatus.ACKNOWLEDGED
    alarm.acknowledged_at = now
    alarm.acknowledged_by = actor
    # The arrival timeout: nobody at the door within the unit's arrive_minutes and the
    # escalation tick tells the next person (escalate_tick, _arrival_missed).
    alarm.next_step_at = now + dt.timedelta(minutes=settings_for(alarm.unit).arrive_minutes)
    _bump(alarm, ["status", "acknowledged_at", "acknowledged_by", "next_step_at"])
    _record(alarm, actor, AlarmEventKind.ACKNOWLEDGED, AuditAction.DOORBELL_ALARM_ACK)
    _push_on_commit(alarm, [], "acknowledged")
    return alarm


@transaction.atomic
def alarm_arrive(
    *,
    actor: User,
    alarm: Alarm,
    latitude: Any = None,
    longitude: Any = None,
    version: int | None = None,
) -> Alarm:
    """Checked in at the door, with the phone's location when it gave one."""
    lat = clean_coordinate(latitude, -90, 90, _("Latitude"))
    lng = clean_coordinate(longitude, -180, 180, _("Longitude"))
    if (lat is None) != (lng is None):
        raise InvalidInput(_("Give both latitude and longitude, or neither."), code="location")
    alarm = _lock(alarm, version)
    _check(actor, alarm, workflow.Action.ARRIVE)
    now = timezone.now()
    fields = ["status", "arrived_at", "arrived_by", "next_step_at", "latitude", "longitude"]
    if alarm.acknowledged_at is None:
        alarm.acknowledged_at, alarm.acknowledged_by = now, actor
        fields += ["acknowledged_at", "acknowledged_by"]
    alarm.status = AlarmStatus.ARRIVED
    alarm.arrived_at, alarm.arrived_by = now, actor
    alarm.next_step_at = None
    alarm.latitude, alarm.longitude = lat, lng
    _bump(alarm, fields)
    _record(
        alarm,
        actor,
        AlarmEventKind.ARRIVED,
        AuditAction.DOORBELL_ALARM_ARRIVE,
        located=lat is not None,
    )
    _push_on_commit(alarm, [], "arrived")
    return alarm


# The appeal category an outcome files under (codes of appeals' seeded categories).
OUTCOME_CATEGORY: dict[str, str] = {
    AlarmOutcome.HEALTH: "medical",
    AlarmOutcome.EMERGENCY: "medical",
    AlarmOutcome.MEDICINE: "medical",
    AlarmOutcome.REPAIR: "housing",
}
DEFAULT_CATEGORY = "elderly"


def _appeal_category(outcome: str):
    from linli.appeals.models import Category

    codes = [OUTCOME_CATEGORY.get(outcome, DEFAULT_CATEGORY), DEFAULT_CATEGORY, "livelihood_other"]
    for code in codes:
        found = Category.objects.filter(code=code, active=True, parent__isnull=False).first()
        if found is not None:
            return found
    raise InvalidInput(_("No appeal category is set up for this outcome."), code="no_category")


@transaction.atomic
def alarm_close(
    *,
    actor: User,
    alarm: Alarm,
    outcome: str,
    note: str = "",
    raise_appeal: bool = False,
    version: int | None = None,
) -> Alarm:
    """Closed with what happened; `raise_appeal` files an appeal for the household in the
    same step (the outcome's category, the note as its description) and links it."""
    if outcome not in AlarmOutcome.values:
        raise InvalidInput(_("Choose what happened."), code="outcome")
    note = check_text((note or "").strip(), _("What happened"))
    if len(note) > 500:
        raise InvalidInput(_("The note is too long (500 characters at most)."), code="note")
    if raise_appeal and outcome == AlarmOutcome.FALSE_PRESS:
        raise InvalidInput(
            _("A false press files no appeal: untick the appeal box or choose what happened."),
            code="appeal_false_press",
        )
    if raise_appeal and not note:
        raise InvalidInput(
            _("Say what the household needs: the appeal is filed with your note."),
            code="appeal_note",
        )
    alarm = _lock(alarm, version)
    _check(actor, alarm, workflow.Action.CLOSE)
    now = timezone.now()
    alarm.status = AlarmStatus.CLOSED
    alarm.closed_at, alarm.closed_by = now, actor
    alarm.outcome, alarm.outcome_note = outcome, note
    alarm.next_step_at = None
    fields = ["status", "closed_at", "closed_by", "outcome", "outcome_note", "next_step_at"]
    _record(
        alarm, actor, AlarmEventKind.CLOSED, AuditAction.DOORBELL_ALARM_CLOSE, note, outcome=outcome
    )
    if raise_appeal:
        from linli.appeals.models import Channel as AppealChannel
        from linli.appeals.services import appeal_file

        appeal = appeal_file(
            actor=actor,
            category=_appeal_category(outcome),
            description=note,
            title=_("Doorbell: %(outcome)s") % {"outcome": AlarmOutcome(outcome).label},
            channel=AppealChannel.REPRESENTATIVE,
            household=alarm.household,
            address=alarm.household.address,
            reporter_name=alarm.recipient.member.name if alarm.recipient else "",
        )
        alarm.appeal = appeal
        fields.append("appeal")
        _record(
            alarm,
            actor,
            AlarmEventKind.APPEAL,
            AuditAction.DOORBELL_ALARM_APPEAL,
            appeal.code,
            appeal=appeal.code,
        )
    _bump(alarm, fields)
    _push_on_commit(alarm, [], "closed")
    return alarm


def contact_call(*, actor: User, alarm: Alarm, contact_id: int) -> str:
    """The mobile of one of the alarm's recipient's emergency contacts, to call from the
    alarm's page (the carers and the village cadre); audited."""
    if not policy.can_call_contacts(actor, alarm):
        raise Forbidden(_("Only the carers and the village cadre may call the contacts."))
    assert alarm.recipient is not None  # (can_call_contacts)
    return _contact_phone(
        actor, alarm.recipient, contact_id, AuditAction.DOORBELL_CONTACT_CALL, target=alarm
    )


def care_contact_call(*, actor: User, recipient: CareRecipient, contact_id: int) -> str:
    """The same from the care record's page (a representative on a visit calling the
    family): the carers and the village cadre, as for the health notes; audited."""
    if not policy.can_see_health(actor, recipient):
        raise Forbidden(_("Only the carers and the village cadre may call the contacts."))
    return _contact_phone(
        actor, recipient, contact_id, AuditAction.DOORBELL_CARE_CONTACT_CALL, target=recipient
    )


def _contact_phone(
    actor: User, recipient: CareRecipient, contact_id: int, action: AuditAction, *, target: Any
) -> str:
    contact = EmergencyContact.objects.filter(pk=contact_id, recipient=recipient).first()
    if contact is None or not contact.phone:
        raise NotFound(_("Contact not found."))
    audit_record(
        actor=actor,
        action=action,
        target=target,
        detail={"contact": contact.pk, "recipient": recipient.pk},
    )
    return contact.phone


ACTIONS: dict[str, Callable[..., Alarm]] = {
    workflow.Action.ACKNOWLEDGE: alarm_acknowledge,
    workflow.Action.ARRIVE: alarm_arrive,
    workflow.Action.CLOSE: alarm_close,
}


# --- device hygiene: pruning the refused-message log ---------------------------------------

PRUNE_BATCH = 5000


def rejections_prune(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Delete the refused-message rows (`DeviceRejection`) older than
    settings.LINLI["DOORBELL_REJECTION_DAYS"] (90 by default): the tick
    `doorbell.prune_rejections`. A batch at a time, so a flood's rows are removed
    in bounded statements that never hold the table for long."""
    now = now or timezone.now()
    days = max(1, int(settings.LINLI.get("DOORBELL_REJECTION_DAYS", 90)))
    cutoff = now - dt.timedelta(days=days)
    deleted = 0
    while True:
        ids = list(
            DeviceRejection.objects.filter(received_at__lt=cutoff).values_list("pk", flat=True)[
                :PRUNE_BATCH
            ]
        )
        if not ids:
            break
        deleted += DeviceRejection.objects.filter(pk__in=ids).delete()[0]
    if deleted:
        log.info("doorbell: %d refused-message rows older than %d days deleted", deleted, days)
    return {"deleted": deleted}


# --- device hygiene: the audited sequence reset -------------------------------------------


@transaction.atomic
def device_seq_reset(
    *, actor, device: Device, to: Any = 0, reason: str = "", confirm: bool = False
) -> Device:
    """Reset the doorbell's sequence guard after its counter restarted (a firmware reset):
    `last_seq` becomes `to` (0 by default, lower than now) and the guard starts a new
    epoch (`seq_epoch`), so the numbers the doorbell used before are accepted again.
    Who may register doorbells may reset them (`policy.can_manage`); a reason and an
    explicit confirmation are required; the audit row says from → to.

    A signed message captured before the reset with a number above `to` could be
    replayed once after it: when the doorbell can be given one, issue a new secret too."""
    device = _locked(device)
    _check_manage(actor, device.unit)
    if device.status != DeviceStatus.ACTIVE:
        raise Conflict(_("A retired doorbell's sequence cannot be reset."))
    if not confirm:
        raise InvalidInput(
            _("Confirm the reset: the doorbell's earlier numbers will be accepted again."),
            code="confirm",
        )
    reason = clean_text(reason, _("Reason"), 200, required=True, multiline=False)
    if isinstance(to, bool):
        to = None
    try:
        to = int(to) if not isinstance(to, int) else to
    except (TypeError, ValueError):
        to = None
    if to is None or to < 0:
        raise InvalidInput(_("The new sequence number must be a whole number, 0 or more."))
    before = device.last_seq
    if to >= before:
        raise InvalidInput(
            _("The new sequence number must be lower than the current one (%(n)d).")
            % {"n": before},
            code="seq_not_lower",
        )
    device.last_seq = to
    device.seq_epoch += 1
    device.save(update_fields=["last_seq", "seq_epoch"])
    audit_record(
        actor=actor,
        action=AuditAction.DOORBELL_DEVICE_SEQ_RESET,
        target=device,
        detail={"from": before, "to": to, "epoch": device.seq_epoch, "reason": reason},
    )
    log.info("doorbell %s: sequence reset %d → %d by %s", device.device_id, before, to, actor.pk)
    return device
