"""The doorbell API: the care register, devices, alarms (signed-in), and the devices'
own HTTP endpoint (`public`, authenticated by the message's signature)."""

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.pagination import paginate
from ninja.responses import Status

from linli.core import ratelimit
from linli.core.api_schemas import WRITE_ERRORS, Paged, errors
from linli.core.errors import InvalidInput, NotFound
from linli.core.inputs import Day, Id
from linli.core.masking import mask_phone
from linli.org.models import Household, Member, Representative, Unit

from . import policy, selectors, services
from .models import Alarm, CarePairing, CareRecipient, RejectReason
from .schemas import (
    AlarmArriveIn,
    AlarmCloseIn,
    AlarmDetailOut,
    AlarmFiltersIn,
    AlarmOut,
    AlarmVersionIn,
    CareContactsIn,
    CareEndIn,
    CareFilters,
    CarePairEndIn,
    CarePairIn,
    CareRecipientDetailOut,
    CareRecipientOut,
    CareRegisterIn,
    CareUpdateIn,
    DeviceCreatedOut,
    DeviceFilters,
    DeviceIn,
    DeviceOut,
    DoorbellSettingsIn,
    DoorbellSettingsOut,
    FiguresQuery,
    MessageAcceptedOut,
    MyCarePairingOut,
    ResponseFiguresOut,
    SeqResetIn,
    TaskFilters,
    TaskOut,
    TaskResolveIn,
)

router = Router(tags=["doorbell"])
public = Router(tags=["doorbell"])

# --- care register and pairing ------------------------------------------------------------


def _pairing_out(p: CarePairing) -> dict[str, Any]:
    return {
        "id": p.pk,
        "primary_id": p.primary_id,
        "primary_name": p.primary.name,
        "visit_every_days": p.visit_every_days,
        "started_on": p.started_on,
        "ended_on": p.ended_on,
        "backups": [
            {
                "order": b.order,
                "kind": b.kind,
                "name": b.name,
                "user_id": b.user_id,
                "phone_masked": b.phone_masked if b.phone else "",
            }
            for b in p.backups.all()
        ],
    }


def _detail(request: Any, recipient: CareRecipient) -> dict[str, Any]:
    """The recipient as the caller may see it: health notes only for the carers and the
    village cadre (the answer carrying them is audited), null for everyone else."""
    health = policy.can_see_health(request.user, recipient)
    if health and recipient.health_notes:
        services.health_viewed(actor=request.user, recipient=recipient, via="api")
    pairing = selectors.current_pairing(recipient)
    visit = None
    if pairing is not None:
        pairing.recipient = recipient
        s = selectors.visit_statuses([pairing])[0]
        visit = {
            "last_visit": s.last_visit,
            "due_on": s.due_on,
            "overdue_days": s.overdue_days,
            "linked": s.linked,
        }
    return {
        "id": recipient.pk,
        "member_id": recipient.member_id,
        "member_name": recipient.member.name,
        "household_id": recipient.household_id,
        "address": recipient.household.address,
        "unit_id": recipient.unit_id,
        "unit_name": recipient.unit.name,
        "kind": recipient.kind,
        "level": recipient.level,
        "active": recipient.active,
        "version": recipient.version,
        "end_reason": recipient.end_reason,
        "health_visible": health,
        "health_notes": recipient.health_notes if health else None,
        "contacts": [
            {
                "order": c.order,
                "name": c.name,
                "relation": c.relation,
                "phone_masked": c.phone_masked,
            }
            for c in selectors.contacts_of(recipient)
        ],
        "pairing": _pairing_out(pairing) if pairing else None,
        "visit": visit,
        "history": [_pairing_out(p) for p in selectors.pairing_history(recipient)],
    }


@router.get(
    "/doorbell/recipients",
    response={200: list[CareRecipientOut], **errors(400, 401, 404)},
    summary="The care register",
)
@paginate(Paged)
def care_list(request, filters: Query[CareFilters]):
    unit = None
    if filters.unit is not None:
        unit = selectors.view_units(request.user).filter(pk=filters.unit).first()
        if unit is None:
            raise NotFound(_("No such unit."))
    return selectors.recipients_filtered(
        request.user,
        unit=unit,
        kind=filters.kind or "",
        level=filters.level or "",
        overdue=filters.overdue,
        ended=filters.ended,
    )


@router.post(
    "/doorbell/recipients",
    response={201: CareRecipientDetailOut, **WRITE_ERRORS},
    summary="Register a resident for care",
    description="By the cadres who manage the resident's unit. An elderly person living "
    "alone gets the household's `elderly_alone` tag.",
)
def care_register(request, payload: CareRegisterIn):
    member = (
        Member.objects.filter(policy.manage_units_q(request.user, "household__unit__path"))
        .filter(pk=payload.member_id)
        .first()
    )
    if member is None:
        raise NotFound(_("Resident not found."))
    recipient = services.recipient_register(
        actor=request.user,
        member=member,
        kind=payload.kind,
        level=payload.level,
        health_notes=payload.health_notes,
        confirm_alone=payload.confirm_alone,
    )
    return Status(201, _detail(request, selectors.recipient_get(request.user, recipient.pk)))


@router.get(
    "/doorbell/recipients/{recipient_id}",
    response={200: CareRecipientDetailOut, **errors(400, 401, 404)},
    summary="A care recipient",
    description="Health notes are null unless the caller is a carer or the village cadre.",
)
def care_detail(request, recipient_id: Id):
    return _detail(request, selectors.recipient_get(request.user, recipient_id))


@router.put(
    "/doorbell/recipients/{recipient_id}",
    response={200: CareRecipientDetailOut, **WRITE_ERRORS},
    summary="Change a care recipient's kind, level or health notes",
)
def care_update(request, recipient_id: Id, payload: CareUpdateIn):
    recipient = selectors.recipient_get(request.user, recipient_id)
    services.recipient_update(
        actor=request.user,
        recipient=recipient,
        version=payload.version,
        kind=payload.kind,
        level=payload.level,
        health_notes=payload.health_notes,
        confirm_alone=payload.confirm_alone,
    )
    return _detail(request, selectors.recipient_get(request.user, recipient_id))


@router.post(
    "/doorbell/recipients/{recipient_id}/end",
    response={200: CareRecipientDetailOut, **WRITE_ERRORS},
    summary="Take a resident out of care (the current pairing ends)",
)
def care_end(request, recipient_id: Id, payload: CareEndIn):
    recipient = selectors.recipient_get(request.user, recipient_id)
    services.recipient_end(actor=request.user, recipient=recipient, reason=payload.reason)
    return _detail(request, selectors.recipient_get(request.user, recipient_id))


@router.put(
    "/doorbell/recipients/{recipient_id}/contacts",
    response={200: CareRecipientDetailOut, **WRITE_ERRORS},
    summary="Replace the emergency contacts (in order)",
)
def care_contacts(request, recipient_id: Id, payload: CareContactsIn):
    recipient = selectors.recipient_get(request.user, recipient_id)
    services.contacts_set(
        actor=request.user,
        recipient=recipient,
        contacts=[services.ContactSpec(c.name, c.relation, c.phone) for c in payload.contacts],
    )
    return _detail(request, selectors.recipient_get(request.user, recipient_id))


@router.put(
    "/doorbell/recipients/{recipient_id}/pairing",
    response={200: CareRecipientDetailOut, **WRITE_ERRORS},
    summary="Pair a recipient (the current pairing ends, the history keeps it)",
)
def care_pair(request, recipient_id: Id, payload: CarePairIn):
    recipient = selectors.recipient_get(request.user, recipient_id)
    primary = Representative.objects.filter(pk=payload.primary_id).first()
    if primary is None or not selectors.primary_choices(recipient).filter(pk=primary.pk).exists():
        raise NotFound(_("No such representative in the village."))
    backups = []
    for b in payload.backups:
        user = None
        if b.user_id is not None:
            user = selectors.backup_user_choices(recipient).filter(pk=b.user_id).first()
            if user is None:
                raise NotFound(_("No such account in the village."))
        backups.append(services.BackupSpec(kind=b.kind, user=user, name=b.name, phone=b.phone))
    services.pair(
        actor=request.user,
        recipient=recipient,
        primary=primary,
        visit_every_days=payload.visit_every_days,
        backups=backups,
    )
    return _detail(request, selectors.recipient_get(request.user, recipient_id))


@router.post(
    "/doorbell/recipients/{recipient_id}/pairing/end",
    response={200: CareRecipientDetailOut, **WRITE_ERRORS},
    summary="End the current pairing",
)
def care_pair_end(request, recipient_id: Id, payload: CarePairEndIn):
    recipient = selectors.recipient_get(request.user, recipient_id)
    services.pair_end(actor=request.user, recipient=recipient, reason=payload.reason)
    return _detail(request, selectors.recipient_get(request.user, recipient_id))


@router.get(
    "/doorbell/pairings/mine",
    response={200: list[MyCarePairingOut], **errors(400, 401)},
    summary="My care pairings as the primary, with the visit due",
    description="`on`: the day the visits are counted to (default today).",
)
def care_mine(request, on: Day | None = None):
    return [
        {
            "recipient_id": s.recipient.pk,
            "member_name": s.recipient.member.name,
            "kind": s.recipient.kind,
            "level": s.recipient.level,
            "address": s.recipient.household.address,
            "visit_every_days": s.pairing.visit_every_days,
            "last_visit": s.last_visit,
            "due_on": s.due_on,
            "overdue_days": s.overdue_days,
        }
        for s in selectors.my_pairings(request.user, on)
    ]


def _settings_unit(request, unit_id: int) -> Unit:
    unit = selectors.manage_units(request.user).filter(pk=unit_id).first()
    if unit is None:
        raise NotFound(_("No such unit."))
    return unit


def _settings_out(unit: Unit) -> dict[str, Any]:
    s = selectors.settings_for(unit)
    return {
        "unit_id": unit.pk,
        "own": s.source_unit_id == unit.pk,
        "source_unit_id": s.source_unit_id,
        "ack_minutes": s.ack_minutes,
        "arrive_minutes": s.arrive_minutes,
        "offline_minutes": s.offline_minutes,
        "battery_low": s.battery_low,
        "duty_cadre_id": s.duty_cadre_id,
    }


@router.get(
    "/doorbell/settings/{unit_id}",
    response={200: DoorbellSettingsOut, **errors(400, 401, 404)},
    summary="A unit's doorbell settings in force (its own, inherited or the defaults)",
)
def settings_get(request, unit_id: Id):
    return _settings_out(_settings_unit(request, unit_id))


@router.put(
    "/doorbell/settings/{unit_id}",
    response={200: DoorbellSettingsOut, **WRITE_ERRORS},
    summary="Set a unit's own doorbell settings",
)
def settings_put(request, unit_id: Id, payload: DoorbellSettingsIn):
    unit = _settings_unit(request, unit_id)
    cadre = None
    if payload.duty_cadre_id is not None:
        cadre = selectors.duty_cadre_choices(unit).filter(pk=payload.duty_cadre_id).first()
        if cadre is None:
            raise NotFound(_("No such cadre of the village."))
    services.settings_set(
        actor=request.user,
        unit=unit,
        ack_minutes=payload.ack_minutes,
        arrive_minutes=payload.arrive_minutes,
        offline_minutes=payload.offline_minutes,
        battery_low=payload.battery_low,
        duty_cadre=cadre,
    )
    return _settings_out(unit)


# --- devices, messages and maintenance ----------------------------------------------------


def _device_unit(request, unit_id: int) -> Unit:
    unit = Unit.objects.filter(pk=unit_id).first()
    if unit is None or not policy.can_view_device(request.user, unit):
        raise NotFound(_("No such unit."))
    return unit


@router.get(
    "/doorbell/devices",
    response={200: list[DeviceOut], **errors(400, 401, 404)},
    summary="List doorbells",
)
@paginate(Paged)
def device_list(request, filters: Query[DeviceFilters]):
    unit = _device_unit(request, filters.unit) if filters.unit is not None else None
    return selectors.devices_filtered(
        request.user, unit=unit, status=filters.status or "", health=filters.health or ""
    )


@router.post(
    "/doorbell/devices",
    response={201: DeviceCreatedOut, **WRITE_ERRORS},
    summary="Register a doorbell",
    description="Answers the device's secret once; it is stored encrypted and never shown again "
    "(issue a new one if it is lost).",
)
def device_register(request, payload: DeviceIn):
    unit = _device_unit(request, payload.unit_id)
    household = None
    if payload.household_id is not None:
        household = Household.objects.select_related("unit").filter(pk=payload.household_id).first()
        if household is None:
            raise NotFound(_("No such household."))
    device, secret = services.device_register(
        actor=request.user,
        device_id=payload.device_id,
        unit=unit,
        model_name=payload.model_name,
        household=household,
    )
    return Status(201, {"device": device, "secret": secret})


@router.get(
    "/doorbell/devices/{device_pk}",
    response={200: DeviceOut, **errors(400, 401, 404)},
    summary="A doorbell",
)
def device_detail(request, device_pk: Id):
    return selectors.device_get(request.user, device_pk)


@router.post(
    "/doorbell/devices/{device_pk}/seq-reset",
    response={200: DeviceOut, **WRITE_ERRORS},
    summary="Reset a doorbell's sequence (after a firmware reset)",
    description="Sets the highest accepted sequence number to `to` (lower than now) and "
    "starts a new epoch of the replay guard, so a doorbell whose counter restarted is "
    "accepted again. Who may register doorbells may reset them; `reason` and "
    "`confirm: true` are required; the audit log keeps from → to.",
)
def device_seq_reset(request, device_pk: Id, payload: SeqResetIn):
    device = selectors.device_get(request.user, device_pk)
    return services.device_seq_reset(
        actor=request.user,
        device=device,
        to=payload.to,
        reason=payload.reason,
        confirm=payload.confirm,
    )


@router.get(
    "/doorbell/maintenance-tasks",
    response={200: list[TaskOut], **errors(400, 401, 404)},
    summary="Maintenance tasks (offline, low battery)",
)
@paginate(Paged)
def task_list(request, filters: Query[TaskFilters]):
    unit = _device_unit(request, filters.unit) if filters.unit is not None else None
    return selectors.tasks_filtered(
        request.user, unit=unit, state=filters.state, kind=filters.kind or ""
    )


@router.post(
    "/doorbell/maintenance-tasks/{task_id}/resolve",
    response={200: TaskOut, **WRITE_ERRORS},
    summary="Resolve a maintenance task",
)
def task_resolve(request, task_id: Id, payload: TaskResolveIn):
    task = selectors.task_get(request.user, task_id)
    return services.task_resolve(actor=request.user, task=task, note=payload.note)


# The devices' own door: no account, no CSRF; the message's signature is the credential.
DEVICE_REFUSED = {
    RejectReason.UNKNOWN_DEVICE.value,
    RejectReason.BAD_SIGNATURE.value,
    RejectReason.RETIRED_DEVICE.value,
}


def _throttle_refused(request, payload: bytes) -> None:
    """429 for a message from an address whose REFUSED messages are over their limit,
    unless this one is genuine (well formed, a known active device, correctly signed).

    Only refused messages (malformed, unknown device, bad signature, retired, replayed or
    stale) count against the address (`_count_refused`): many Wi-Fi doorbells behind
    one village NAT share it, and their genuine messages never spend it, so a genuine
    press is never refused because of others' forgeries, while a flood of forgeries from
    one address gets 429 (and, once over the limit, writes no more refused-message rows).

    There is deliberately no bucket keyed on the device id the body CLAIMS: the id is
    printed on the doorbell, so forged messages claiming it would fill that bucket and
    silence the genuine press. A signed message cannot be replayed (the sequence
    guard)."""
    key = ratelimit.client_key(request)
    wait = ratelimit.exceeded("doorbell-address", key)
    if wait and not selectors.message_signed_by_device(payload):
        raise ratelimit.throttled(wait)


def _count_refused(request, outcome) -> None:
    if not outcome.accepted:
        ratelimit.hit("doorbell-address", ratelimit.client_key(request))


@public.post(
    "/doorbell/messages",
    auth=None,
    response={202: MessageAcceptedOut, **errors(400, 401, 409, 429)},
    summary="A doorbell's message (Wi-Fi doorbells)",
    description="The body is the protocol's signed JSON message, as published over MQTT "
    '(docs/doorbell.md, "The wire protocol"). 202: accepted (with the alarm a press raised); '
    "400: malformed; 401: not accepted from this device (unknown device, bad signature or "
    "retired: the answer does not say which); 409: a sequence number already accepted (a "
    "replay) or too old; 429: too many refused messages from this address (a correctly "
    "signed message from a known device is never refused 429).",
    openapi_extra={
        "requestBody": {
            "content": {"application/json": {"schema": {"type": "object"}}},
            "required": True,
        }
    },
)
def device_message(request):
    payload = request.body
    _throttle_refused(request, payload)
    outcome = services.message_receive(
        payload=payload, topic=None, channel="http", remote=ratelimit.client_key(request)
    )
    _count_refused(request, outcome)
    if outcome.accepted:
        return Status(202, {"status": "accepted", "alarm": outcome.alarm_id})
    if outcome.reason == RejectReason.MALFORMED:
        # `message` in the reader's language; the protocol's technical reason stays in
        # English for the device's makers (docs/doorbell.md).
        return Status(
            400,
            {
                "code": "invalid",
                "message": _("The message is malformed (see details.reason)."),
                "details": {"reason": outcome.detail},
            },
        )
    if outcome.reason in DEVICE_REFUSED:
        return Status(
            401, {"code": "refused", "message": _("The message was not accepted from this device.")}
        )
    return Status(
        409,
        {
            "code": outcome.status,
            "message": _("This sequence number was already used or is too old."),
        },
    )


# --- alarms -------------------------------------------------------------------------------


def _name(user: Any) -> str:
    return user.name if user is not None else ""


def _alarm_out(a: Alarm, note: Callable[[Alarm], bool]) -> dict[str, Any]:
    """The alarm as the API answers it; `note` (`policy.outcome_note_reader`) says
    whether the caller may read the outcome note (null otherwise)."""
    visible = note(a)
    return {
        "id": a.pk,
        "status": a.status,
        "unit_id": a.unit_id,
        "unit_name": a.unit.name,
        "household_id": a.household_id,
        "address": a.household.address,
        "head_name": a.household.head_name,
        "device": a.device.device_id if a.device else "",
        "seq": a.message.seq if a.message else None,
        "raised_at": a.raised_at,
        "step": a.step,
        "next_step_at": a.next_step_at,
        "acknowledged_at": a.acknowledged_at,
        "acknowledged_by": _name(a.acknowledged_by),
        "arrived_at": a.arrived_at,
        "arrived_by": _name(a.arrived_by),
        "closed_at": a.closed_at,
        "outcome": a.outcome,
        "outcome_note": a.outcome_note if visible else None,
        "outcome_note_visible": visible,
        "arrival_missed_at": a.arrival_missed_at,
        "appeal": a.appeal.code if a.appeal else None,
        "version": a.version,
    }


def _alarm_detail(user, pk: int) -> dict[str, Any]:
    alarm = selectors.alarm_get(user, pk)
    note = policy.outcome_note_reader(user)
    timeline = selectors.alarm_timeline(alarm, outcome_note=note(alarm))
    out = _alarm_out(alarm, note)
    out["events"] = [
        {"kind": e.kind, "at": e.at, "actor": _name(e.actor), "note": e.note}
        for e in timeline["events"]
    ]
    out["notices"] = [
        {
            "step": n.step,
            "position": n.position,
            "role": n.role,
            "name": n.name,
            "phone": mask_phone(n.phone),
            "told_at": n.told_at,
            "live": n.live,
            "sms": n.sms,
        }
        for n in timeline["notices"]
    ]
    return out


@router.get(
    "/doorbell/alarms",
    response={200: list[AlarmOut], **errors(400, 401, 404)},
    summary="Doorbell alarms",
    description="The alarms the user sees (the village, town and city panels; a "
    "representative: those they were told of), newest press first.",
)
@paginate(Paged)
def alarm_list(request, filters: Query[AlarmFiltersIn]):
    unit = (
        selectors.alarm_unit_get(request.user, filters.unit) if filters.unit is not None else None
    )
    f = selectors.AlarmFilters(
        unit=unit,
        status=filters.status or "",
        outcome=filters.outcome or "",
        start=filters.start,
        end=filters.end,
    )
    note = policy.outcome_note_reader(request.user)
    return [_alarm_out(a, note) for a in selectors.alarms_filtered(request.user, f)]


@router.get(
    "/doorbell/alarms/figures",
    response={200: ResponseFiguresOut, **errors(400, 401, 404)},
    summary="Response figures",
    description="Per unit and per primary representative for a period (default the last "
    "30 days): alarms, acknowledged, median and 90th percentile seconds to acknowledge, "
    "median seconds to arrive, acknowledged by the primary, escalated.",
)
def alarm_figures(request, query: Query[FiguresQuery]):
    unit = selectors.alarm_unit_get(request.user, query.unit) if query.unit is not None else None
    start, end = selectors.default_period(query.end)
    start = query.start or start
    if start > end:
        raise InvalidInput(_("The end is before the start."), code="period")
    figs = selectors.response_figures(request.user, unit, start, end)

    def row(label: str, f: selectors.Figures) -> dict[str, Any]:
        return {
            "label": label,
            "alarms": f.alarms,
            "acknowledged": f.acknowledged,
            "ack_median_seconds": f.ack_median,
            "ack_p90_seconds": f.ack_p90,
            "arrive_median_seconds": f.arrive_median,
            "acknowledged_by_primary": f.by_primary,
            "primary_share": f.primary_share,
            "escalated": f.escalated,
        }

    return {
        "start": start,
        "end": end,
        "total": row("total", figs["total"]),
        "units": [row(r.label, r.figures) for r in figs["units"]],
        "representatives": [row(r.label, r.figures) for r in figs["representatives"]],
    }


@router.get(
    "/doorbell/alarms/{alarm_id}",
    response={200: AlarmDetailOut, **errors(400, 401, 404)},
    summary="One alarm, with its timeline and who was told (mobiles masked)",
)
def alarm_detail(request, alarm_id: Id):
    return _alarm_detail(request.user, alarm_id)


@router.post(
    "/doorbell/alarms/{alarm_id}/acknowledge",
    response={200: AlarmDetailOut, **WRITE_ERRORS},
    summary="On my way (我马上到): stops the escalation",
    description="409 `wrong_status` when the alarm is past it, `stale` on an old version.",
)
def alarm_acknowledge(request, alarm_id: Id, payload: AlarmVersionIn):
    alarm = selectors.alarm_get(request.user, alarm_id)
    services.alarm_acknowledge(actor=request.user, alarm=alarm, version=payload.version)
    return _alarm_detail(request.user, alarm_id)


@router.post(
    "/doorbell/alarms/{alarm_id}/arrive",
    response={200: AlarmDetailOut, **WRITE_ERRORS},
    summary="Arrived at the door, with the phone's location when it gives one",
)
def alarm_arrive(request, alarm_id: Id, payload: AlarmArriveIn):
    alarm = selectors.alarm_get(request.user, alarm_id)
    services.alarm_arrive(
        actor=request.user,
        alarm=alarm,
        latitude=payload.latitude,
        longitude=payload.longitude,
        version=payload.version,
    )
    return _alarm_detail(request.user, alarm_id)


@router.post(
    "/doorbell/alarms/{alarm_id}/close",
    response={200: AlarmDetailOut, **WRITE_ERRORS},
    summary="Close with the outcome; optionally raise an appeal in the same step",
)
def alarm_close(request, alarm_id: Id, payload: AlarmCloseIn):
    alarm = selectors.alarm_get(request.user, alarm_id)
    services.alarm_close(
        actor=request.user,
        alarm=alarm,
        outcome=payload.outcome,
        note=payload.note,
        raise_appeal=payload.raise_appeal,
        version=payload.version,
    )
    return _alarm_detail(request.user, alarm_id)
