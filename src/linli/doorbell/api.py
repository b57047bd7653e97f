"""The doorbell API: the care register, devices, alarms (signed-in), and the devices'
own HTTP endpoint (`public`, authenticated by the message's signature)."""

from typing import Any

from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.pagination import paginate

from linli.core.api_schemas import WRITE_ERRORS, Paged, errors
from linli.core.errors import InvalidInput
from linli.core.inputs import Id
from linli.core.masking import mask_phone

from . import selectors, services
from .models import Alarm
from .schemas import (
    AlarmArriveIn,
    AlarmCloseIn,
    AlarmDetailOut,
    AlarmFiltersIn,
    AlarmOut,
    AlarmVersionIn,
    FiguresQuery,
    ResponseFiguresOut,
)

router = Router(tags=["doorbell"])
public = Router(tags=["doorbell"])

# --- care register and pairing ------------------------------------------------------------


# --- devices, messages and maintenance ----------------------------------------------------


# --- alarms -------------------------------------------------------------------------------


def _name(user: Any) -> str:
    return user.name if user is not None else ""


def _alarm_out(a: Alarm) -> dict[str, Any]:
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
        "outcome_note": a.outcome_note,
        "appeal": a.appeal.code if a.appeal else None,
        "version": a.version,
    }


def _alarm_detail(user, pk: int) -> dict[str, Any]:
    alarm = selectors.alarm_get(user, pk)
    timeline = selectors.alarm_timeline(alarm)
    out = _alarm_out(alarm)
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
    return [_alarm_out(a) for a in selectors.alarms_filtered(request.user, f)]


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
