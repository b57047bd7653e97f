"""Every read of the love doorbell, scoped (policy.py says who sees what)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.scope import scope_for
from linli.core.errors import NotFound
from linli.core.masking import mask_phone
from linli.org.models import VILLAGE_DEPTH, Unit, path_at

from . import policy
from .models import (
    DEFAULT_ACK_MINUTES,
    DEFAULT_BATTERY_LOW,
    DEFAULT_OFFLINE_MINUTES,
    OPEN_ALARM_STATUSES,
    Alarm,
    AlarmNotice,
    AlarmStatus,
    DoorbellSettings,
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


# --- alarms and response figures ----------------------------------------------------------


# Live panel groups (Channels): one per unit path (paths are [0-9A-Z], at most 64
# characters), one for superusers, one per user told or caring (a representative's panel).
ALL_ALARMS_GROUP = "doorbell.alarms.all"


def unit_alarm_group(path: str) -> str:
    return f"doorbell.alarms.u.{path}"


def user_alarm_group(user_id: int) -> str:
    return f"doorbell.alarms.p.{user_id}"


def alarm_groups(alarm: Alarm) -> list[str]:
    """The panels an alarm's change goes to: its unit's and every ancestor's, the
    superusers', and those of the people told and the carers."""
    groups = [unit_alarm_group(p) for p in alarm.unit.ancestor_paths()]
    groups.append(ALL_ALARMS_GROUP)
    told = AlarmNotice.objects.filter(alarm=alarm, user__isnull=False).values_list(
        "user_id", flat=True
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


def alarm_timeline(alarm: Alarm) -> dict[str, Any]:
    """The events and the notices (who was told, when, how) of one alarm."""
    notices = list(alarm.notices.select_related("user").order_by("step", "position"))
    for n in notices:
        n.phone_masked = mask_phone(n.phone)  # type: ignore[attr-defined]
    return {
        "events": list(alarm.events.select_related("actor").order_by("at", "id")),
        "notices": notices,
    }


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
    qs = _alarms(user)
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
