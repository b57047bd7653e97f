"""Every read of the love doorbell, scoped (policy.py says who sees what)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.scope import scope_for
from linli.core.errors import NotFound
from linli.org.models import VILLAGE_DEPTH, Household, Unit

from . import policy
from .models import (
    DEFAULT_ACK_MINUTES,
    DEFAULT_BATTERY_LOW,
    DEFAULT_OFFLINE_MINUTES,
    Device,
    DeviceMessage,
    DeviceRejection,
    DeviceStatus,
    DoorbellSettings,
    MaintenanceTask,
    RejectReason,
    TaskKind,
)


@dataclass(frozen=True)
class EffectiveSettings:
    """A unit's timeouts: its own row, else the nearest ancestor's, else the defaults."""

    ack_minutes: int
    offline_minutes: int
    battery_low: int
    duty_cadre_id: int | None
    source_unit_id: int | None  # whose row applies; None: the defaults


def settings_for(unit: Unit) -> EffectiveSettings:
    rows = {
        s.unit.path: s
        for s in DoorbellSettings.objects.select_related("unit").filter(
            unit__path__in=unit.ancestor_paths()
        )
    }
    for path in reversed(unit.ancestor_paths()):
        row = rows.get(path)
        if row is not None:
            return EffectiveSettings(
                ack_minutes=row.ack_minutes,
                offline_minutes=row.offline_minutes,
                battery_low=row.battery_low,
                duty_cadre_id=row.duty_cadre_id,
                source_unit_id=row.unit_id,
            )
    return EffectiveSettings(
        ack_minutes=DEFAULT_ACK_MINUTES,
        offline_minutes=DEFAULT_OFFLINE_MINUTES,
        battery_low=DEFAULT_BATTERY_LOW,
        duty_cadre_id=None,
        source_unit_id=None,
    )


# --- care register and pairing ------------------------------------------------------------


# --- devices, messages and maintenance ----------------------------------------------------

DEVICE_STATUSES = ("active", "retired")
HEALTH_FILTERS = ("offline", "low_battery")
TASK_STATES = ("open", "resolved")


def device_units(user) -> QuerySet[Unit]:
    """The units (down to villages) whose doorbells the user sees: the unit filter."""
    scope = scope_for(user)
    q = scope.path_q("path", scope.paths_for(set(policy.VIEW_ROLES)))
    return Unit.objects.filter(q, depth__lte=VILLAGE_DEPTH).order_by("path")


def register_units(user) -> QuerySet[Unit]:
    """The villages (and units above) where the user may register doorbells."""
    return Unit.objects.filter(policy.manage_units_q(user), depth__lte=VILLAGE_DEPTH).order_by(
        "path"
    )


def devices_filtered(
    user,
    *,
    unit: Unit | None = None,
    status: str = "",
    health: str = "",
    q: str = "",
) -> QuerySet[Device]:
    qs = Device.objects.filter(policy.device_q(user)).select_related("unit", "household")
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    if status in DEVICE_STATUSES:
        qs = qs.filter(status=status)
    if health in HEALTH_FILTERS:
        qs = qs.filter(
            tasks__kind=health, tasks__resolved_at__isnull=True, status=DeviceStatus.ACTIVE
        )
    if q:
        qs = qs.filter(Q(device_id__icontains=q) | Q(household__head_name__icontains=q))
    return qs.order_by("unit__path", "device_id")


def open_task_kinds(devices) -> dict[int, list[str]]:
    """The open maintenance task kinds of each device (one query)."""
    out: dict[int, list[str]] = {}
    for device_id, kind in MaintenanceTask.objects.filter(
        device__in=[d.pk for d in devices], resolved_at__isnull=True
    ).values_list("device_id", "kind"):
        out.setdefault(device_id, []).append(kind)
    return out


def device_get(user, pk: int) -> Device:
    device = (
        Device.objects.filter(policy.device_q(user))
        .select_related("unit", "household", "household__unit")
        .filter(pk=pk)
        .first()
    )
    if device is None:
        raise NotFound(_("No such doorbell."))
    return device


@dataclass(frozen=True)
class DeviceHealth:
    state: str  # "ok", "offline", "never", "retired"
    offline_minutes: int
    battery_low: int
    battery_is_low: bool


def device_health(device: Device, now=None) -> DeviceHealth:
    s = settings_for(device.unit)
    now = now or timezone.now()
    if device.status != DeviceStatus.ACTIVE:
        state = "retired"
    elif device.last_seen_at is None:
        state = "never"
    elif device.last_seen_at < now - dt.timedelta(minutes=s.offline_minutes):
        state = "offline"
    else:
        state = "ok"
    return DeviceHealth(
        state=state,
        offline_minutes=s.offline_minutes,
        battery_low=s.battery_low,
        battery_is_low=device.battery is not None and device.battery <= s.battery_low,
    )


def device_messages(device: Device, limit: int = 20) -> list[DeviceMessage]:
    return list(DeviceMessage.objects.filter(device=device).order_by("-received_at", "-id")[:limit])


def device_rejections(device: Device, limit: int = 20) -> list[DeviceRejection]:
    return list(
        DeviceRejection.objects.filter(Q(device=device) | Q(claimed_id=device.device_id)).order_by(
            "-received_at", "-id"
        )[:limit]
    )


def device_tasks(device: Device, limit: int = 20) -> list[MaintenanceTask]:
    return list(
        MaintenanceTask.objects.filter(device=device)
        .select_related("resolved_by")
        .order_by("-opened_at", "-id")[:limit]
    )


def bind_households(user, device: Device) -> QuerySet[Household]:
    """Households the device may be bound to: its village's, in the user's manage scope."""
    village = device.unit.village_path()
    return (
        Household.objects.filter(policy.manage_units_q(user, "unit__path"))
        .filter(unit__path__startswith=village)
        .select_related("unit")
        .order_by("unit__path", "head_name", "id")
    )


def tasks_filtered(
    user, *, unit: Unit | None = None, state: str = "open", kind: str = ""
) -> QuerySet[MaintenanceTask]:
    qs = MaintenanceTask.objects.filter(policy.device_q(user)).select_related(
        "device", "device__household", "unit", "resolved_by"
    )
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    if state == "open":
        qs = qs.filter(resolved_at__isnull=True)
    elif state == "resolved":
        qs = qs.filter(resolved_at__isnull=False)
    if kind in TaskKind.values:
        qs = qs.filter(kind=kind)
    return qs.order_by("-opened_at", "-id")


def task_get(user, pk: int) -> MaintenanceTask:
    task = (
        MaintenanceTask.objects.filter(policy.device_q(user))
        .select_related("device", "unit")
        .filter(pk=pk)
        .first()
    )
    if task is None:
        raise NotFound(_("No such task."))
    return task


def rejections_filtered(
    user, *, unit: Unit | None = None, reason: str = ""
) -> QuerySet[DeviceRejection]:
    """Refused messages of the doorbells in the user's scope. A message claiming an
    unknown device belongs to no unit: only a superuser sees those."""
    scope = scope_for(user)
    if scope.is_superuser:
        qs = DeviceRejection.objects.all()
    else:
        qs = DeviceRejection.objects.filter(policy.device_q(user, prefix="device__"))
    if unit is not None:
        qs = qs.filter(device__unit__path__startswith=unit.path)
    if reason in RejectReason.values:
        qs = qs.filter(reason=reason)
    return qs.select_related("device").order_by("-received_at", "-id")


# --- alarms and response figures ----------------------------------------------------------
