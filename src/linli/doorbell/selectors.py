"""Every read of the love doorbell, scoped (policy.py says who sees what)."""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import math
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, DurationField, ExpressionWrapper, F, Max, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.models import Role, User
from linli.accounts.scope import scope_for
from linli.core.errors import NotFound
from linli.core.masking import mask_phone
from linli.core.timeutil import today
from linli.duties.extra import ExtraCounts
from linli.duties.models import HomeVisit
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

from . import policy
from .models import (
    DEFAULT_ACK_MINUTES,
    DEFAULT_ARRIVE_MINUTES,
    DEFAULT_BATTERY_LOW,
    DEFAULT_OFFLINE_MINUTES,
    OPEN_ALARM_STATUSES,
    Alarm,
    AlarmEventKind,
    AlarmNotice,
    AlarmStatus,
    CareBackup,
    CarePairing,
    CareRecipient,
    Device,
    DeviceMessage,
    DeviceRejection,
    DeviceStatus,
    DoorbellSettings,
    EmergencyContact,
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
    arrive_minutes: int = DEFAULT_ARRIVE_MINUTES


# Within `settings_cached()` (the MQTT bridge), a unit's effective settings are kept this
# many seconds in the process: a change made by another process shows within that time.
SETTINGS_CACHE_SECONDS = 10.0
_settings_cache: dict[str, tuple[float, EffectiveSettings]] = {}
_settings_cached = contextvars.ContextVar("linli_doorbell_settings_cached", default=False)


@contextlib.contextmanager
def settings_cached() -> Iterator[None]:
    """`settings_for` answers from the process's cache in this block (at most
    SETTINGS_CACHE_SECONDS old): for the bridge, which needs them on every message."""
    token = _settings_cached.set(True)
    try:
        yield
    finally:
        _settings_cached.reset(token)


def settings_forget() -> None:
    """Empty the cache of `settings_cached` (a change of settings in this process)."""
    _settings_cache.clear()


def settings_for(unit: Unit) -> EffectiveSettings:
    if not _settings_cached.get():
        return _settings_for(unit)
    now = time.monotonic()
    hit = _settings_cache.get(unit.path)
    if hit is not None and hit[0] > now:
        return hit[1]
    found = _settings_for(unit)
    _settings_cache[unit.path] = (now + SETTINGS_CACHE_SECONDS, found)
    return found


def _settings_for(unit: Unit) -> EffectiveSettings:
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
                arrive_minutes=row.arrive_minutes,
                offline_minutes=row.offline_minutes,
                battery_low=row.battery_low,
                duty_cadre_id=row.duty_cadre_id,
                source_unit_id=row.unit_id,
            )
    return EffectiveSettings(
        ack_minutes=DEFAULT_ACK_MINUTES,
        arrive_minutes=DEFAULT_ARRIVE_MINUTES,
        offline_minutes=DEFAULT_OFFLINE_MINUTES,
        battery_low=DEFAULT_BATTERY_LOW,
        duty_cadre_id=None,
        source_unit_id=None,
    )


# --- care register and pairing ------------------------------------------------------------


def recipients_visible(user) -> QuerySet[CareRecipient]:
    """The care recipients the user sees (policy.recipient_q)."""
    return CareRecipient.objects.filter(policy.recipient_q(user)).select_related(
        "member", "household", "unit"
    )


def recipient_get(user, pk: int) -> CareRecipient:
    """One recipient the user sees; NotFound for "no such" and "not yours" alike."""
    found = recipients_visible(user).filter(pk=pk).first()
    if found is None:
        raise NotFound(_("Care recipient not found."))
    return found


def manage_units(user) -> QuerySet[Unit]:
    """Units whose care register (and doorbell settings) the user manages."""
    return Unit.objects.filter(policy.manage_units_q(user)).order_by("path")


def view_units(user) -> QuerySet[Unit]:
    """Units the user may narrow the register to (their view scope, group and up)."""
    scope = scope_for(user)
    if scope.is_superuser:
        return Unit.objects.order_by("path")
    return Unit.objects.filter(scope.path_q("path", scope.paths_for(set(policy.VIEW_ROLES))))


def settings_units(user) -> QuerySet[Unit]:
    """Units whose doorbell settings the user sets: the managed city, towns and villages
    (groups and areas follow their village)."""
    return manage_units(user).filter(depth__lte=VILLAGE_DEPTH).order_by("depth", "path")


def members_for_register(user, unit: Unit | None = None) -> QuerySet[Member]:
    """Members of households the user manages, not already in care (the register form)."""
    q = policy.manage_units_q(user, "household__unit__path")
    qs = Member.objects.filter(q).exclude(
        pk__in=CareRecipient.objects.filter(active=True).values("member_id")
    )
    if unit is not None:
        qs = qs.filter(household__unit__path__startswith=unit.path)
    return qs.select_related("household", "household__unit").order_by("household_id", "id")


def current_pairing(recipient: CareRecipient) -> CarePairing | None:
    return (
        CarePairing.objects.filter(recipient=recipient, ended_on__isnull=True)
        .select_related("primary", "primary__unit")
        .prefetch_related("backups", "backups__user")
        .first()
    )


def pairing_history(recipient: CareRecipient) -> list[CarePairing]:
    return list(
        CarePairing.objects.filter(recipient=recipient, ended_on__isnull=False)
        .select_related("primary")
        .prefetch_related("backups")
        .order_by("-started_on", "-id")
    )


def contacts_of(recipient: CareRecipient) -> list[EmergencyContact]:
    return list(EmergencyContact.objects.filter(recipient=recipient).order_by("order", "id"))


def primary_choices(recipient: CareRecipient) -> QuerySet[Representative]:
    """Serving representatives of the recipient's village (the pairing form's choices)."""
    village = path_at(recipient.unit.path, VILLAGE_DEPTH)
    return (
        Representative.objects.filter(
            term_end__isnull=True, term_start__lte=today(), unit__path__startswith=village
        )
        .select_related("unit")
        .order_by("unit__path", "name", "id")
    )


def backup_user_choices(recipient: CareRecipient) -> QuerySet[User]:
    """Accounts that may back up a pairing: holding a role inside the recipient's
    village, or serving as one of its representatives."""
    village = path_at(recipient.unit.path, VILLAGE_DEPTH)
    return (
        User.objects.filter(is_active=True)
        .filter(
            Q(role_assignments__unit__path__startswith=village)
            | Q(
                representative__term_end__isnull=True,
                representative__unit__path__startswith=village,
            )
        )
        .distinct()
        .order_by("name", "id")
    )


def duty_cadre_choices(unit: Unit) -> QuerySet[User]:
    """Users holding the village role at the unit's village (none above a village)."""
    if unit.depth < VILLAGE_DEPTH:
        return User.objects.none()
    village = path_at(unit.path, VILLAGE_DEPTH)
    return (
        User.objects.filter(
            is_active=True,
            role_assignments__role=Role.VILLAGE,
            role_assignments__unit__path=village,
        )
        .distinct()
        .order_by("name", "id")
    )


# --- the visit duty (走访) of a pairing --------------------------------------------------------


@dataclass(frozen=True)
class VisitStatus:
    """A current pairing's visit duty: the primary owes a home visit every
    `visit_every_days`; the visits are duties.HomeVisit rows (not void, not superseded)
    by the primary to the recipient's household."""

    pairing: CarePairing
    recipient: CareRecipient
    last_visit: dt.date | None
    due_on: dt.date
    overdue_days: int
    linked: bool  # the household is linked to the primary now (a visit can be recorded)

    @property
    def overdue(self) -> bool:
        return self.overdue_days > 0


def due_on(started_on: dt.date, last_visit: dt.date | None, every: int) -> dt.date:
    """The day the next visit is due: `every` days after the last visit since the
    pairing started (or after the start, before any)."""
    base = started_on if last_visit is None else max(last_visit, started_on)
    return base + dt.timedelta(days=every)


def visit_statuses(pairings: list[CarePairing], on: dt.date | None = None) -> list[VisitStatus]:
    """The visit status of each pairing (two queries, whatever their number)."""
    on = on or today()
    if not pairings:
        return []
    rep_ids = {p.primary_id for p in pairings}
    household_ids = {p.recipient.household_id for p in pairings}
    last = {
        (row["representative_id"], row["household_id"]): row["last"]
        for row in HomeVisit.objects.filter(
            representative_id__in=rep_ids,
            household_id__in=household_ids,
            void=False,
            superseded_by__isnull=True,
            day__lte=on,
        )
        .values("representative_id", "household_id")
        .annotate(last=Max("day"))
    }
    linked = set(
        HouseholdLink.objects.filter(
            current_link_q(), representative_id__in=rep_ids, household_id__in=household_ids
        ).values_list("representative_id", "household_id")
    )
    out = []
    for p in pairings:
        key = (p.primary_id, p.recipient.household_id)
        last_visit = last.get(key)
        due = due_on(p.started_on, last_visit, p.visit_every_days)
        out.append(
            VisitStatus(
                pairing=p,
                recipient=p.recipient,
                last_visit=last_visit,
                due_on=due,
                overdue_days=max(0, (on - due).days),
                linked=key in linked,
            )
        )
    return out


def _current_pairings() -> QuerySet[CarePairing]:
    return CarePairing.objects.filter(ended_on__isnull=True, recipient__active=True).select_related(
        "recipient", "recipient__member", "recipient__household", "recipient__unit", "primary"
    )


def pairings_of_representative(rep: Representative, on: dt.date | None = None) -> list[VisitStatus]:
    """A representative's current pairings as the primary, with their visit status."""
    pairings = list(_current_pairings().filter(primary=rep).order_by("recipient__unit__path", "id"))
    return visit_statuses(pairings, on)


def my_pairings(user, on: dt.date | None = None) -> list[VisitStatus]:
    """The user's current pairings as a primary (through their serving representatives)."""
    rep_ids = scope_for(user).representative_ids
    if not rep_ids:
        return []
    pairings = list(
        _current_pairings().filter(primary_id__in=rep_ids).order_by("recipient__unit__path", "id")
    )
    return visit_statuses(pairings, on)


def my_backups(user) -> QuerySet[CareBackup]:
    """Pairings the user backs up now (with an account)."""
    return (
        CareBackup.objects.filter(
            user=user, pairing__ended_on__isnull=True, pairing__recipient__active=True
        )
        .select_related("pairing__recipient__member", "pairing__primary")
        .order_by("pairing__recipient_id")
    )


def visit_status_map(recipients: list[CareRecipient], on: dt.date | None = None) -> dict:
    """recipient id → VisitStatus of its current pairing (a page of the register)."""
    pairings = list(
        CarePairing.objects.filter(
            recipient_id__in=[r.pk for r in recipients], ended_on__isnull=True
        ).select_related("primary")
    )
    by_id = {r.pk: r for r in recipients}
    for p in pairings:
        p.recipient = by_id[p.recipient_id]
    return {s.recipient.pk: s for s in visit_statuses(pairings, on)}


def overdue_recipient_ids(user, on: dt.date | None = None) -> list[int]:
    """Ids of the visible recipients whose primary's visit is overdue."""
    pairings = list(
        _current_pairings().filter(recipient__in=recipients_visible(user).filter(active=True))
    )
    return [s.recipient.pk for s in visit_statuses(pairings, on) if s.overdue]


def recipients_filtered(
    user,
    *,
    unit: Unit | None = None,
    kind: str = "",
    level: str = "",
    overdue: bool = False,
    ended: bool = False,
) -> QuerySet[CareRecipient]:
    """The register as the user sees it, narrowed by unit, kind, level, overdue visits;
    in care (or, with `ended`, those who left)."""
    qs = recipients_visible(user).filter(active=not ended)
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    if kind:
        qs = qs.filter(kind=kind)
    if level:
        qs = qs.filter(level=level)
    if overdue:
        qs = qs.filter(pk__in=overdue_recipient_ids(user))
    return qs.order_by("unit__path", "id")


def care_visit_summary(rep: Representative, on: dt.date) -> dict | None:
    """The duties page's line for a representative's care pairings (registered in
    `duties.extra` by DoorbellConfig.ready): None when they have none."""
    statuses = pairings_of_representative(rep, on)
    if not statuses:
        return None
    overdue = sum(1 for s in statuses if s.overdue)
    return {
        "label": _("Care visits"),
        "text": _("%(n)d paired, %(late)d overdue") % {"n": len(statuses), "late": overdue},
        "url_name": "doorbell:mine",
        "warn": overdue > 0,
    }


def care_visit_counts(
    pairing_start: dt.date,
    pairing_end: dt.date | None,
    every: int,
    visits: list[dt.date],
    start: dt.date,
    end: dt.date,
    on: dt.date,
) -> tuple[int, int, int]:
    """(due, on time, overdue) of one pairing's visits whose due day falls in [start, end].

    The due days follow `due_on`: the first is `every` days after the pairing started,
    the next `every` days after the visit that answered it (on or before the due day:
    on time). A due day that passes without a visit is overdue, and the clock runs on:
    another is due `every` days later, until a (late) visit restarts it from its day.
    A due day after the pairing ended is not owed; one from `on` (today) on is still to
    come, and the chain stops there (what follows depends on visits not made yet)."""
    every = max(every, 1)
    step = dt.timedelta(days=every)
    last = end if pairing_end is None else min(end, pairing_end)
    days = sorted({v for v in visits if pairing_start <= v <= on})
    due = on_time = overdue = 0
    base, i = pairing_start, 0
    while (due_day := base + step) <= last:
        while i < len(days) and days[i] <= base:
            i += 1
        visit = days[i] if i < len(days) else None
        counted = due_day >= start
        due += counted
        if visit is not None and visit <= due_day:
            on_time += counted
            base = visit
            continue
        if due_day >= on:
            break
        overdue += counted
        # A late visit within the next stretch restarts the clock from its day; with
        # none, another stretch passes unvisited.
        base = visit if visit is not None and visit <= due_day + step else due_day
    return due, on_time, overdue


def care_visit_compliance(
    rep_ids: list[int], start: dt.date, end: dt.date, on: dt.date
) -> dict[int, ExtraCounts]:
    """The care visits as a compliance duty (registered in `duties.extra` by
    DoorbellConfig.ready): per primary representative, the pairings that ran in [start,
    end], the visits due in it, made on time, and overdue. Two queries."""
    wanted = set(rep_ids)
    pairings = CarePairing.objects.filter(started_on__lte=end).filter(
        Q(ended_on__isnull=True) | Q(ended_on__gte=start)
    )
    if len(wanted) <= 1000:
        pairings = pairings.filter(primary_id__in=wanted)
    rows = [
        p
        for p in pairings.values(
            "primary_id", "recipient__household_id", "started_on", "ended_on", "visit_every_days"
        )
        if p["primary_id"] in wanted
    ]
    if not rows:
        return {}
    visits: dict[tuple[int, int], list[dt.date]] = {}
    for rid, hid, day in HomeVisit.objects.filter(
        representative_id__in={p["primary_id"] for p in rows},
        household_id__in={p["recipient__household_id"] for p in rows},
        void=False,
        superseded_by__isnull=True,
        day__gte=min(p["started_on"] for p in rows),
        day__lte=min(end, on),
    ).values_list("representative_id", "household_id", "day"):
        visits.setdefault((rid, hid), []).append(day)
    totals: dict[int, list[int]] = {}
    for p in rows:
        counts = care_visit_counts(
            p["started_on"],
            p["ended_on"],
            p["visit_every_days"],
            visits.get((p["primary_id"], p["recipient__household_id"]), []),
            start,
            end,
            on,
        )
        t = totals.setdefault(p["primary_id"], [0, 0, 0, 0])
        t[0] += 1
        for k, v in enumerate(counts, 1):
            t[k] += v
    return {rid: ExtraCounts(*t) for rid, t in totals.items()}


def unit_settings_row(unit: Unit) -> DoorbellSettings | None:
    return DoorbellSettings.objects.filter(unit=unit).select_related("duty_cadre").first()


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


def bind_households(user, device: Device, q: str = "") -> QuerySet[Household]:
    """Households the device may be bound to: its village's, in the user's manage scope;
    `q` narrows them to an address or head of household containing it (the bind form's
    search: a village has hundreds of households)."""
    village = device.unit.village_path()
    qs = (
        Household.objects.filter(policy.manage_units_q(user, "unit__path"))
        .filter(unit__path__startswith=village)
        .select_related("unit")
        .order_by("unit__path", "address", "head_name", "id")
    )
    if q:
        qs = qs.filter(Q(address__icontains=q) | Q(head_name__icontains=q))
    return qs


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


# Live panel groups (Channels): one per unit path (paths are [0-9A-Z], at most 64
# characters), one for superusers, one per user told or caring (a representative's panel).
ALL_ALARMS_GROUP = "doorbell.alarms.all"


def unit_alarm_group(path: str) -> str:
    return f"doorbell.alarms.u.{path}"


def user_alarm_group(user_id: int) -> str:
    return f"doorbell.alarms.p.{user_id}"


def alarm_groups(alarm: Alarm, told: list[int] | None = None) -> list[str]:
    """The panels an alarm's change goes to: its unit's and every ancestor's, the
    superusers', and those of the people told and the carers. `told`: the users told of
    the alarm when the caller knows them all (its raise), else they are looked up."""
    groups = [unit_alarm_group(p) for p in alarm.unit.ancestor_paths()]
    groups.append(ALL_ALARMS_GROUP)
    if told is None:
        told = list(
            AlarmNotice.objects.filter(alarm=alarm, user__isnull=False).values_list(
                "user_id", flat=True
            )
        )
    ids = set(told)
    if alarm.pairing_id is not None:
        pairing = alarm.pairing
        if pairing is not None and pairing.primary.user_id:
            ids.add(pairing.primary.user_id)
    groups.extend(user_alarm_group(i) for i in sorted(ids))
    return groups


def panel_groups_for(user) -> list[str]:
    """The groups a user's open panel joins (the mirror of `alarm_groups`)."""
    scope = scope_for(user)
    if scope.is_superuser:
        return [ALL_ALARMS_GROUP]
    groups = [unit_alarm_group(p) for p in scope.paths_for(set(policy.VIEW_ROLES))]
    groups.append(user_alarm_group(user.pk))
    return groups


def _alarms(user) -> QuerySet[Alarm]:
    return Alarm.objects.filter(policy.alarm_q(user)).select_related(
        "unit",
        "household",
        "device",
        "message",
        "recipient__member",
        "pairing__primary__member",
        "acknowledged_by",
        "arrived_by",
        "closed_by",
        "appeal",
    )


def alarms_visible(user) -> QuerySet[Alarm]:
    return _alarms(user)


def alarm_get(user, pk: int) -> Alarm:
    alarm = _alarms(user).filter(pk=pk).first()
    if alarm is None:
        raise NotFound(_("Alarm not found."))
    return alarm


def alarms_open(user) -> list[Alarm]:
    """Open alarms, oldest press first, each with its notices (`told`) and whether it
    escalated to the top with nobody answering (`unanswered`)."""
    rows = list(
        _alarms(user)
        .filter(status__in=OPEN_ALARM_STATUSES)
        .prefetch_related("notices")
        .order_by("raised_at", "id")
    )
    for a in rows:
        a.told = list(a.notices.all())  # type: ignore[attr-defined]
        a.unanswered = a.status in (  # type: ignore[attr-defined]
            AlarmStatus.RAISED,
            AlarmStatus.NOTIFIED,
        ) and (a.next_step_at is None)
    return rows


@dataclass(frozen=True)
class AlarmFilters:
    unit: Unit | None = None
    status: str = ""
    outcome: str = ""
    start: dt.date | None = None
    end: dt.date | None = None


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def alarms_filtered(user, f: AlarmFilters) -> QuerySet[Alarm]:
    qs = _alarms(user)
    if f.unit is not None:
        qs = qs.filter(unit__path__startswith=f.unit.path)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.outcome:
        qs = qs.filter(outcome=f.outcome)
    if f.start:
        qs = qs.filter(raised_at__gte=_day_start(f.start))
    if f.end:
        qs = qs.filter(raised_at__lt=_day_start(f.end + dt.timedelta(days=1)))
    return qs.order_by("-raised_at", "-id")


def alarms_closed(user, f: AlarmFilters) -> QuerySet[Alarm]:
    qs = alarms_filtered(user, f)
    return qs if f.status else qs.filter(status=AlarmStatus.CLOSED)


def alarm_units(user) -> QuerySet[Unit]:
    """The units a panel may narrow to: those down to the villages in the user's scope."""
    scope = scope_for(user)
    paths = scope.paths_for(set(policy.VIEW_ROLES))
    if scope.is_superuser:
        return Unit.objects.filter(depth__lte=VILLAGE_DEPTH).order_by("path")
    if not paths:
        return Unit.objects.none()
    return Unit.objects.filter(scope.path_q("path", paths), depth__lte=VILLAGE_DEPTH).order_by(
        "path"
    )


def alarm_timeline(alarm: Alarm, *, outcome_note: bool = False) -> dict[str, Any]:
    """The events and the notices (who was told, when, how) of one alarm. The closing
    event carries the outcome note: it is blanked unless `outcome_note`
    (`policy.can_see_outcome_note`)."""
    notices = list(alarm.notices.select_related("user").order_by("step", "position"))
    for n in notices:
        n.phone_masked = mask_phone(n.phone)  # type: ignore[attr-defined]
    events = list(alarm.events.select_related("actor").order_by("at", "id"))
    if not outcome_note:
        for e in events:
            if e.kind == AlarmEventKind.CLOSED:
                e.note = ""
    return {"events": events, "notices": notices}


def minutes_since(moment: dt.datetime, now: dt.datetime | None = None) -> int:
    return int(((now or timezone.now()) - moment).total_seconds() // 60)


# --- response figures ---


def _seconds(a: dt.datetime | None, b: dt.datetime | None) -> float | None:
    return (b - a).total_seconds() if a and b else None


def _quantile(values: list[float], q: float) -> float | None:
    """The q-quantile (nearest rank) of the values, or None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Figures:
    """Response figures of a set of alarms: counts and seconds (None: nothing to measure)."""

    alarms: int
    acknowledged: int
    ack_median: float | None
    ack_p90: float | None
    arrive_median: float | None
    by_primary: int
    escalated: int

    @property
    def primary_share(self) -> float | None:
        return self.by_primary / self.acknowledged if self.acknowledged else None

    @property
    def ack_median_text(self) -> str:
        return duration_text(self.ack_median)

    @property
    def ack_p90_text(self) -> str:
        return duration_text(self.ack_p90)

    @property
    def arrive_median_text(self) -> str:
        return duration_text(self.arrive_median)


def duration_text(seconds: float | None) -> str:
    """Seconds as people read them: "7分35秒", "45秒", "1小时2分"; "—" for none."""
    if seconds is None:
        return "—"
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return _("%(h)dh %(m)dmin") % {"h": hours, "m": minutes}
    if minutes:
        return _("%(m)dmin %(s)ds") % {"m": minutes, "s": secs}
    return _("%(s)ds") % {"s": secs}


def figures_of(alarms: list[Alarm]) -> Figures:
    acks = [s for a in alarms if (s := _seconds(a.raised_at, a.acknowledged_at)) is not None]
    arrives = [s for a in alarms if (s := _seconds(a.raised_at, a.arrived_at)) is not None]
    by_primary = len(
        [
            a
            for a in alarms
            if a.acknowledged_by_id is not None
            and a.pairing is not None
            and a.acknowledged_by_id == a.pairing.primary.user_id
        ]
    )
    return Figures(
        alarms=len(alarms),
        acknowledged=len(acks),
        ack_median=_quantile(acks, 0.5),
        ack_p90=_quantile(acks, 0.9),
        arrive_median=_quantile(arrives, 0.5),
        by_primary=by_primary,
        escalated=sum(1 for a in alarms if a.step > 0 and a.pairing_id is not None),
    )


def _period_alarms(qs: QuerySet[Alarm], start: dt.date, end: dt.date) -> list[Alarm]:
    return list(
        qs.filter(
            raised_at__gte=_day_start(start), raised_at__lt=_day_start(end + dt.timedelta(days=1))
        ).select_related("pairing__primary__member", "unit")
    )


def default_period(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    end = today or timezone.localdate()
    return end - dt.timedelta(days=29), end


def representative_response(
    rep_ids: Iterable[int], start: dt.date, end: dt.date
) -> dict[int, Figures]:
    """Each representative's figures as the primary of the alarms raised in the period
    (unscoped: for the incentives work, which has scoped the ids already)."""
    ids = sorted(set(rep_ids))
    alarms = _period_alarms(Alarm.objects.filter(pairing__primary_id__in=ids), start, end)
    by_rep: dict[int, list[Alarm]] = {i: [] for i in ids}
    for a in alarms:
        if a.pairing is not None:
            by_rep[a.pairing.primary_id].append(a)
    return {i: figures_of(rows) for i, rows in by_rep.items()}


@dataclass
class FigureRow:
    label: str
    figures: Figures
    unit: Unit | None = None
    representative: Any = None


def response_figures(user, unit: Unit | None, start: dt.date, end: dt.date) -> dict[str, Any]:
    """The user's scoped alarms in the period (under `unit` when given): the total, one
    row per village (or per unit below a village when `unit` is a village or below),
    one row per primary representative."""
    return _figures_over(_alarms(user), unit, start, end)


def unit_response_figures(unit: Unit, start: dt.date, end: dt.date) -> dict[str, Any]:
    """`response_figures` over the unit's whole subtree, for no one user: the reports
    the command centre's tick writes for a unit (served only to those who see it)."""
    qs = Alarm.objects.select_related(
        "unit", "household", "pairing__primary__member", "acknowledged_by", "arrived_by"
    )
    return _figures_over(qs, unit, start, end)


def _figures_over(
    qs: QuerySet[Alarm], unit: Unit | None, start: dt.date, end: dt.date
) -> dict[str, Any]:
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    alarms = _period_alarms(qs, start, end)
    depth = VILLAGE_DEPTH if unit is None or unit.depth < VILLAGE_DEPTH else unit.depth + 1
    by_unit: dict[str, list[Alarm]] = {}
    for a in alarms:
        by_unit.setdefault(path_at(a.unit.path, depth), []).append(a)
    units = {u.path: u for u in Unit.objects.filter(path__in=list(by_unit))}
    unit_rows = [
        FigureRow(units[p].name if p in units else p, figures_of(rows), unit=units.get(p))
        for p, rows in sorted(by_unit.items())
    ]
    by_rep: dict[int, list[Alarm]] = {}
    reps: dict[int, Any] = {}
    for a in alarms:
        if a.pairing is not None:
            by_rep.setdefault(a.pairing.primary_id, []).append(a)
            reps[a.pairing.primary_id] = a.pairing.primary
    rep_rows = [
        FigureRow(reps[i].member.name, figures_of(rows), representative=reps[i])
        for i, rows in sorted(by_rep.items(), key=lambda kv: reps[kv[0]].member.name)
    ]
    return {
        "total": figures_of(alarms),
        "units": unit_rows,
        "representatives": rep_rows,
        "start": start,
        "end": end,
        "unit": unit,
    }


def alarm_unit_get(user, pk: int) -> Unit:
    unit = alarm_units(user).filter(pk=pk).first()
    if unit is None:
        raise NotFound(_("Unit not found."))
    return unit


# --- the HTTP endpoint's throttle: is a message genuine? (read only) ---------------------------


def message_signed_by_device(payload: bytes | str) -> bool:
    """Is this message well formed, from a known active device, and correctly signed by
    it? Read only (one query, no row written): the HTTP endpoint asks it of a message
    from an address whose refused messages are over their limit, so that a genuine
    doorbell behind the same village NAT is still heard while the forgeries get 429."""
    from django.conf import settings as django_settings

    from . import protocol

    try:
        msg = protocol.parse(
            payload, topic=None, prefix=django_settings.LINLI["DOORBELL_MQTT_PREFIX"]
        )
    except protocol.ProtocolError:
        return False
    device = (
        Device.objects.filter(device_id=msg.device_id, status=DeviceStatus.ACTIVE)
        .only("secret")
        .first()
    )
    return device is not None and protocol.signature_ok(device.secret, msg)


# --- for the evaluation (代表考评) ---------------------------------------------------------


def representative_alarm_figures(
    start: dt.datetime, end: dt.datetime, representative_ids: list[int] | None = None
) -> dict[int, dict[str, int]]:
    """Per representative (through their account), the alarms raised in [start, end)
    they were told of (`told`), those they acknowledged or arrived at themselves
    (`answered`), and of those they acknowledged, how many (`acknowledged`) and the
    seconds from the press to their acknowledgement in all (`ack_seconds`). Two
    aggregate queries. Not scoped: the evaluation scores every representative."""
    told = AlarmNotice.objects.filter(
        alarm__raised_at__gte=start,
        alarm__raised_at__lt=end,
        user__representative__isnull=False,
    )
    acked = Alarm.objects.filter(
        raised_at__gte=start,
        raised_at__lt=end,
        acknowledged_by__representative__isnull=False,
        acknowledged_at__isnull=False,
    )
    if representative_ids is not None:
        told = told.filter(user__representative__in=representative_ids)
        acked = acked.filter(acknowledged_by__representative__in=representative_ids)
    out: dict[int, dict[str, int]] = {}
    rows = (
        told.values("user__representative")
        .annotate(
            told=Count("alarm_id", distinct=True),
            answered=Count(
                "alarm_id",
                distinct=True,
                filter=Q(alarm__acknowledged_by=F("user_id")) | Q(alarm__arrived_by=F("user_id")),
            ),
        )
        .order_by()
    )
    for r in rows:
        out[r["user__representative"]] = {
            "told": r["told"],
            "answered": r["answered"],
            "acknowledged": 0,
            "ack_seconds": 0,
        }
    wait = ExpressionWrapper(F("acknowledged_at") - F("raised_at"), output_field=DurationField())
    for r in (
        acked.values("acknowledged_by__representative")
        .annotate(n=Count("id"), wait=Sum(wait))
        .order_by()
    ):
        row = out.setdefault(
            r["acknowledged_by__representative"],
            {"told": 0, "answered": 0, "acknowledged": 0, "ack_seconds": 0},
        )
        row["acknowledged"] = r["n"]
        row["ack_seconds"] = int(r["wait"].total_seconds()) if r["wait"] else 0
    return out
