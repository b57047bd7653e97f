"""The doorbell API: the care register, devices, alarms (signed-in), and the devices'
own HTTP endpoint (`public`, authenticated by the message's signature)."""

import re

from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.pagination import paginate
from ninja.responses import Status

from linli.core import ratelimit
from linli.core.api_schemas import WRITE_ERRORS, Paged, errors
from linli.core.errors import InvalidInput, NotFound
from linli.core.inputs import Id
from linli.org.models import Household, Unit

from . import policy, protocol, selectors, services
from .models import RejectReason
from .schemas import (
    DeviceCreatedOut,
    DeviceFilters,
    DeviceIn,
    DeviceOut,
    MessageAcceptedOut,
    TaskFilters,
    TaskOut,
    TaskResolveIn,
)

router = Router(tags=["doorbell"])
public = Router(tags=["doorbell"])

# --- care register and pairing ------------------------------------------------------------


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


CLAIMED_RE = re.compile(rb'"device"\s*:\s*"([A-Za-z0-9_.-]{1,40})"')


def _throttle(request, payload: bytes) -> None:
    """Count the message against its address and the device id it claims (read without
    parsing: the body is not trusted yet)."""
    ratelimit.check("doorbell-address", ratelimit.client_key(request))
    found = CLAIMED_RE.search(payload[: protocol.MAX_PAYLOAD])
    if found:
        ratelimit.check("doorbell-device", found.group(1).decode())


@public.post(
    "/doorbell/messages",
    auth=None,
    response={202: MessageAcceptedOut, **errors(400, 401, 409, 429)},
    summary="A doorbell's message (Wi-Fi doorbells)",
    description="The body is the protocol's signed JSON message, as published over MQTT "
    '(docs/doorbell.md, "The wire protocol"). 202: accepted (with the alarm a press raised); '
    "400: malformed; 401: not accepted from this device (unknown device, bad signature or "
    "retired: the answer does not say which); 409: a sequence number already accepted (a "
    "replay) or too old; 429: too many messages from this address or for this device.",
    openapi_extra={
        "requestBody": {
            "content": {"application/json": {"schema": {"type": "object"}}},
            "required": True,
        }
    },
)
def device_message(request):
    payload = request.body
    _throttle(request, payload)
    outcome = services.message_receive(
        payload=payload, topic=None, channel="http", remote=ratelimit.client_key(request)
    )
    if outcome.accepted:
        return Status(202, {"status": "accepted", "alarm": outcome.alarm_id})
    if outcome.reason == RejectReason.MALFORMED:
        raise InvalidInput(_("The message is malformed: %(reason)s") % {"reason": outcome.detail})
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
