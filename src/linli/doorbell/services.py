"""Every write of the love doorbell: the care register and pairing, devices and the
messages they send, alarms and their escalation. Each write is audited."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from asgiref.sync import async_to_sync
from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.models import AuditAction, Role, RoleAssignment
from linli.accounts.services import audit_record
from linli.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from linli.core.inputs import check_text, clean_coordinate
from linli.notify.services import notify_phone, notify_user, user_group
from linli.org.models import VILLAGE_DEPTH, path_at

from . import policy, workflow
from .models import (
    Alarm,
    AlarmEvent,
    AlarmEventKind,
    AlarmNotice,
    AlarmOutcome,
    AlarmStatus,
    CarePairing,
    CareRecipient,
    DeviceMessage,
    NoticeRole,
)
from .selectors import alarm_groups, settings_for

if TYPE_CHECKING:
    from linli.accounts.models import User

logger = logging.getLogger("linli.doorbell")

# --- care register and pairing ------------------------------------------------------------


# --- devices, messages and maintenance ----------------------------------------------------


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


def _send(groups: list[str], message: dict[str, Any]) -> None:
    """Send one message to Channels groups; a channel-layer outage is logged, never raised
    (the SMS in the outbox and the panel's next load still tell)."""
    try:
        from channels.layers import get_channel_layer

        layer = get_channel_layer()
        if layer is None:
            return
        for group in groups:
            async_to_sync(layer.group_send)(group, message)
    except Exception:
        logger.warning("doorbell: live push to %s failed", groups, exc_info=True)


def _push_on_commit(alarm: Alarm, user_ids: list[int], change: str) -> None:
    """After commit: the alarm push (banner and sound) to the pages of the users told, and
    the change to the live panels of the alarm's unit and every unit above it."""
    payload = alarm_payload(alarm)
    title = _("Doorbell alarm")
    body = _("%(address)s pressed the love doorbell.") % {"address": alarm.household.address}
    url = alarm_url(alarm)
    groups = alarm_groups(alarm)
    told = sorted(set(user_ids))

    def run() -> None:
        if told:
            push = {
                "type": "notify.push",
                "title": title,
                "body": body,
                "url": url,
                "sound": True,
                "alarm": payload,
            }
            _send([user_group(uid) for uid in told], push)
        _send(groups, {"type": "alarm.change", "change": change, "alarm": payload})

    transaction.on_commit(run)


def _sms_text(alarm: Alarm) -> str:
    link = settings.LINLI["PUBLIC_URL"] + alarm_url(alarm)
    return _(
        "Love doorbell: %(head)s at %(address)s pressed the doorbell at %(time)s. "
        "Please go now and tap 'on my way': %(link)s"
    ) % {
        "head": alarm.household.head_name,
        "address": alarm.household.address,
        "time": timezone.localtime(alarm.raised_at).strftime("%H:%M"),
        "link": link,
    }


# --- who is told at each step ---


class Person:
    """Someone the escalation tells: an account (live push and SMS) or a mobile (SMS)."""

    def __init__(self, role: str, name: str, user: User | None = None, phone: str = "") -> None:
        self.role, self.name, self.user, self.phone = role, name, user, phone


def cadres_for(alarm: Alarm) -> list[Person]:
    """The village cadre on duty (the unit's settings), else every holder of the village
    role at the alarm's village."""
    from linli.accounts.models import User

    duty = settings_for(alarm.unit).duty_cadre_id
    if duty is not None:
        users = list(User.objects.filter(pk=duty, is_active=True))
    else:
        village = path_at(alarm.unit.path, VILLAGE_DEPTH)
        ids = RoleAssignment.objects.filter(role=Role.VILLAGE, unit__path=village).values_list(
            "user_id", flat=True
        )
        users = list(User.objects.filter(pk__in=ids, is_active=True).order_by("id"))
    return [Person(NoticeRole.CADRE, u.name, user=u) for u in users]


def ladder(alarm: Alarm) -> list[list[Person]]:
    """The steps of the alarm's escalation: the primary, the backups in order (one a step),
    then the village cadre; no pairing: the cadre at once."""
    steps: list[list[Person]] = []
    pairing = alarm.pairing
    if pairing is not None:
        rep = pairing.primary
        steps.append([Person(NoticeRole.PRIMARY, rep.member.name, user=rep.user)])
        for b in pairing.backups.select_related("user").order_by("order", "id"):
            steps.append([Person(NoticeRole.BACKUP, b.name, user=b.user, phone=b.phone)])
    steps.append(cadres_for(alarm))
    return steps


def _tell(alarm: Alarm, people: list[Person], *, step: int, now: dt.datetime) -> list[int]:
    """Record and send the notices of one step (inside the caller's transaction); the
    user ids to push to after commit. The unique (alarm, step, position) row refuses a
    second notice of the same step, whatever two ticks do."""
    pushed: list[int] = []
    text = _sms_text(alarm)
    title = _("Doorbell alarm")
    for position, person in enumerate(people):
        user = person.user if person.user is not None and person.user.is_active else None
        phone = user.phone if user is not None else person.phone
        with transaction.atomic():
            notice = AlarmNotice.objects.create(
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
        if user is not None:
            pushed.append(user.pk)
            if phone:
                notify_user(
                    user=user,
                    kind=NOTIFY_KIND,
                    title=title,
                    body=text,
                    url=alarm_url(alarm),
                    data={"alarm": alarm.pk},
                    channels=("sms",),
                )
        elif phone:
            try:
                notify_phone(phone=phone, kind=NOTIFY_KIND, body=text, data={"alarm": alarm.pk})
            except InvalidInput:
                notice.sms = False
                notice.save(update_fields=["sms"])
                logger.warning(
                    "doorbell: alarm %s: backup %s has a bad mobile", alarm.pk, notice.pk
                )
    return pushed


def _who(people: list[Person]) -> str:
    return "、".join(p.name for p in people)[:500]


def _notify_step(alarm: Alarm, step: int, *, now: dt.datetime, change: str) -> None:
    """Tell the people of `step` (skipping steps with nobody to tell) and set the timer."""
    steps = ladder(alarm)
    kind = AlarmEventKind.NOTIFIED if change == "notified" else AlarmEventKind.ESCALATED
    while step < len(steps) and not any(p.user or p.phone for p in steps[step]):
        step += 1
    if step >= len(steps):
        alarm.step = len(steps) - 1
        alarm.next_step_at = None
        alarm.status = AlarmStatus.NOTIFIED
        AlarmEvent.objects.create(
            alarm=alarm,
            kind=kind,
            at=now,
            note=_("Nobody left to tell: the alarm waits on the panel."),
        )
        _bump(alarm, ["step", "next_step_at", "status"])
        _push_on_commit(alarm, [], change)
        return
    people = steps[step]
    pushed = _tell(alarm, people, step=step, now=now)
    alarm.step = step
    alarm.status = AlarmStatus.NOTIFIED
    last = step == len(steps) - 1
    alarm.next_step_at = (
        None if last else now + dt.timedelta(minutes=settings_for(alarm.unit).ack_minutes)
    )
    AlarmEvent.objects.create(alarm=alarm, kind=kind, at=now, note=_who(people))
    _bump(alarm, ["step", "next_step_at", "status"])
    _push_on_commit(alarm, pushed, change)


def _bump(alarm: Alarm, fields: list[str]) -> None:
    alarm.version += 1
    alarm.save(update_fields=sorted({*fields, "version"}))


@transaction.atomic
def alarm_raise(*, message: DeviceMessage) -> Alarm:
    """Raise the alarm of an accepted press (called once per message, inside the
    transaction that accepted it) and tell the primary representative at once (live push
    after commit, SMS through the outbox); no pairing: the village cadre. The recipient
    and pairing are the household's active ones, when there are."""
    device = message.device
    household = device.household
    if household is None:
        raise ValueError("a doorbell that is not bound to a household cannot raise an alarm")
    recipient = (
        CareRecipient.objects.filter(household=household, active=True).order_by("id").first()
    )
    pairing = (
        CarePairing.objects.filter(recipient=recipient, ended_on__isnull=True)
        .select_related("primary__member", "primary__user")
        .first()
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
    _notify_step(alarm, 0, now=message.received_at, change="notified")
    return alarm


# --- the escalation tick ---


def escalate_tick(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Tell the next person of every alarm still unanswered whose timer is due. Each
    alarm in its own transaction, locked with SKIP LOCKED and re-checked, so two ticks
    at once never tell anyone twice (and the notice's unique row is the last guard)."""
    now = now or timezone.now()
    due = list(
        Alarm.objects.filter(next_step_at__lte=now, status__in=workflow.WAITING)
        .order_by("next_step_at", "id")
        .values_list("pk", flat=True)[:TICK_BATCH]
    )
    escalated = 0
    for pk in due:
        try:
            with transaction.atomic():
                alarm = (
                    Alarm.objects.select_for_update(skip_locked=True, of=("self",))
                    .filter(pk=pk, next_step_at__lte=now, status__in=workflow.WAITING)
                    .select_related("unit", "household", "device", "message", "pairing")
                    .first()
                )
                if alarm is None:
                    continue  # answered meanwhile, or another tick has it
                _notify_step(alarm, alarm.step + 1, now=now, change="escalated")
                escalated += 1
        except IntegrityError:
            logger.warning("doorbell: alarm %s was escalated by another tick", pk)
    return {"escalated": escalated}


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
    """ "On my way" (我马上到): one tap; stops the escalation."""
    alarm = _lock(alarm, version)
    _check(actor, alarm, workflow.Action.ACKNOWLEDGE)
    alarm.status = AlarmStatus.ACKNOWLEDGED
    alarm.acknowledged_at = timezone.now()
    alarm.acknowledged_by = actor
    alarm.next_step_at = None
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


ACTIONS: dict[str, Callable[..., Alarm]] = {
    workflow.Action.ACKNOWLEDGE: alarm_acknowledge,
    workflow.Action.ARRIVE: alarm_arrive,
    workflow.Action.CLOSE: alarm_close,
}
