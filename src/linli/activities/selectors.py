"""Every read of service days and activities, scoped through `policy`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.appeals.models import OPEN_STATUSES, Appeal
from linli.appeals.selectors import appeals_visible_to
from linli.core.errors import InvalidInput, NotFound
from linli.core.timeutil import today
from linli.duties.policy import organisers_q
from linli.org.models import (
    STEPLEN,
    TOWN_DEPTH,
    VILLAGE_DEPTH,
    GuardTeam,
    Representative,
    Unit,
    UnitKind,
    path_at,
)

from . import policy, rules
from .models import Activity, ActivityKind, ActivityPhoto, ActivityStatus, ServiceDayRule, Signup


def _with_related(qs: QuerySet[Activity]) -> QuerySet[Activity]:
    return qs.select_related("unit").prefetch_related("organisers", "guard_teams")


def activities_visible_to(user: Any) -> QuerySet[Activity]:
    return _with_related(Activity.objects.filter(policy.visible_q(user)).distinct())


def activity_get(user: Any, pk: int) -> Activity:
    """An activity the user sees (404 otherwise, whether it exists or not)."""
    activity = activities_visible_to(user).filter(pk=pk).first()
    if activity is None:
        raise NotFound(_("No such activity."))
    return activity


def activity_manage_get(user: Any, pk: int) -> Activity:
    """An activity the user may manage (404 otherwise: not yours is not there)."""
    activity = _with_related(Activity.objects.filter(policy.manage_q(user), pk=pk)).first()
    if activity is None:
        raise NotFound(_("No such activity."))
    return activity


def activity_public_qs() -> QuerySet[Activity]:
    return Activity.objects.all()


def activity_public(pk: int) -> Activity:
    """The public page's activity: anyone may read its title, time, place, organisers."""
    activity = _with_related(Activity.objects.filter(pk=pk)).first()
    if activity is None:
        raise NotFound(_("No such activity."))
    return activity


def activities_filtered(
    user: Any,
    *,
    unit: Unit | None = None,
    kind: str = "",
    status: str = "",
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> QuerySet[Activity]:
    qs = activities_visible_to(user)
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    if start is not None:
        qs = qs.filter(starts_at__gte=_day_start(start))
    if end is not None:
        qs = qs.filter(starts_at__lt=_day_start(end + dt.timedelta(days=1)))
    return qs.annotate(
        signed_up=Count("signups", filter=Q(signups__cancelled_at__isnull=True), distinct=True),
        attended_n=Count(
            "signups",
            filter=Q(signups__cancelled_at__isnull=True, signups__attended=True),
            distinct=True,
        ),
    ).order_by("-starts_at", "-id")


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def deliberation_meetings(unit: Unit, *, held_only: bool = False) -> QuerySet[Activity]:
    """The deliberation meetings (睦邻议事会) held or planned in `unit` and below, not
    cancelled: the meetings the deliberation list puts its items on."""
    qs = Activity.objects.filter(
        unit__path__startswith=unit.path, kind=ActivityKind.DELIBERATION
    ).exclude(status=ActivityStatus.CANCELLED)
    if held_only:
        qs = qs.filter(status=ActivityStatus.HELD)
    return _with_related(qs).order_by("-starts_at", "-id")


def signups_of(activity: Activity) -> QuerySet[Signup]:
    """Who signed up and has not cancelled (for organisers and cadres only)."""
    return activity.signups.filter(cancelled_at__isnull=True).order_by("id")


def signed_up_count(activity: Activity) -> int:
    return signups_of(activity).count()


def attendance_count(activity: Activity) -> int:
    """Who came: the sign-ups ticked as attended, plus the walk-ins."""
    return signups_of(activity).filter(attended=True).count() + activity.walk_ins


def places_left(activity: Activity) -> int | None:
    """None when the activity has no limit."""
    if activity.capacity is None:
        return None
    return max(0, activity.capacity - signed_up_count(activity))


def signup_of_user(activity: Activity, user: Any) -> Signup | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return signups_of(activity).filter(user=user).first()


# --- the service day -----------------------------------------------------------------------


def rules_of(unit: Unit) -> QuerySet[ServiceDayRule]:
    """The unit's own rule history, newest first."""
    return ServiceDayRule.objects.filter(unit=unit).order_by("-effective_from", "-id")


def _specs(unit_path: str) -> list[rules.Spec]:
    return [
        rules.Spec(
            kind=r.kind,
            effective_from=r.effective_from,
            month_day=r.month_day,
            nth=r.nth,
            weekday=r.weekday,
        )
        for r in ServiceDayRule.objects.filter(unit__path=unit_path)
    ]


def specs_for(unit: Unit) -> tuple[list[rules.Spec], list[rules.Spec]]:
    """(the village's own specs, the town's): a town's own are the second; above a town
    there is no service day."""
    if unit.depth < TOWN_DEPTH:
        return [], []
    town = _specs(path_at(unit.path, TOWN_DEPTH))
    if unit.depth < VILLAGE_DEPTH:
        return [], town
    return _specs(path_at(unit.path, VILLAGE_DEPTH)), town


def coming_service_days(
    unit: Unit, *, start: dt.date | None = None, count: int = 6
) -> list[dt.date]:
    own, town = specs_for(unit)
    return rules.service_days(own, town, start or today(), count)


def is_service_day(unit: Unit, day: dt.date) -> bool:
    own, town = specs_for(unit)
    return rules.is_service_day(own, town, day)


def rule_in_force(unit: Unit, day: dt.date | None = None) -> tuple[rules.Spec | None, bool]:
    """(the spec in force, whether it is the unit's own) on `day`."""
    day = day or today()
    own, town = specs_for(unit)
    spec = rules.in_force(own, day)
    if spec is not None and spec.kind != "follow":
        return spec, True
    return rules.in_force(town, day), False


# --- the calendar ---------------------------------------------------------------------------


@dataclass
class CalendarDay:
    day: dt.date
    service_day: bool = False
    activities: list[Activity] = field(default_factory=list)


def month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    first = dt.date(year, month, 1)
    return first, dt.date(year, month, rules.last_day(year, month))


def calendar_month(user: Any, unit: Unit, year: int, month: int) -> list[CalendarDay]:
    """The days of the month that hold a service day or an activity of `unit` (its own,
    those of the units above it, and those below it the user sees), in order."""
    first, last = month_bounds(year, month)
    days: dict[dt.date, CalendarDay] = {}
    own, town = specs_for(unit)
    for d in rules.service_days(own, town, first, 2):
        if d <= last:
            days.setdefault(d, CalendarDay(d)).service_day = True
    qs = activities_for_unit(user, unit).filter(
        starts_at__gte=_day_start(first), starts_at__lt=_day_start(last + dt.timedelta(days=1))
    )
    for a in qs.order_by("starts_at", "id"):
        d = timezone.localtime(a.starts_at).date()
        days.setdefault(d, CalendarDay(d)).activities.append(a)
    return [days[d] for d in sorted(days)]


def month_weeks(days: list[CalendarDay], year: int, month: int) -> list[list[CalendarDay | None]]:
    """The month as weeks (Monday first) for a grid: each day of the month a
    `CalendarDay` (empty when nothing happens), None before the 1st and after the last."""
    first, last = month_bounds(year, month)
    by_day = {d.day: d for d in days}
    cells: list[CalendarDay | None] = [None] * first.weekday()
    day = first
    while day <= last:
        cells.append(by_day.get(day) or CalendarDay(day))
        day += dt.timedelta(days=1)
    cells += [None] * (-len(cells) % 7)
    return [cells[i : i + 7] for i in range(0, len(cells), 7)]


def activities_for_unit(user: Any, unit: Unit) -> QuerySet[Activity]:
    """The activities a unit's calendar shows to `user`: the unit's and its ancestors'
    (public), and those below it that the user sees."""
    above = Q(unit__path__in=unit.ancestor_paths())
    below = Q(unit__path__startswith=unit.path) & policy.visible_q(user)
    return _with_related(Activity.objects.filter(above | below).distinct())


def feed_activities(unit: Unit, *, since: dt.date) -> QuerySet[Activity]:
    """The public feed: the unit's and its ancestors' activities from `since` on."""
    return (
        Activity.objects.filter(
            unit__path__in=unit.ancestor_paths(), starts_at__gte=_day_start(since)
        )
        .select_related("unit")
        .order_by("starts_at", "id")
    )


def calendar_units(user: Any) -> QuerySet[Unit]:
    return (
        Unit.objects.filter(policy.calendar_units_q(user)).select_related("parent").order_by("path")
    )


def default_unit(user: Any) -> Unit | None:
    """The viewer's unit for the calendar: the village (or town) of their first unit."""
    from linli.accounts.scope import scope_for

    paths = scope_for(user).unit_paths
    for p in paths:
        target = path_at(p, VILLAGE_DEPTH)
        unit = Unit.objects.filter(path=target, kind__in=policy.CALENDAR_KINDS).first()
        if unit is not None:
            return unit
    return calendar_units(user).first()


def create_units(user: Any) -> QuerySet[Unit]:
    return (
        Unit.objects.filter(policy.create_units_q(user)).select_related("parent").order_by("path")
    )


def create_unit_choices(user: Any) -> QuerySet[Unit]:
    """The units a form offers: cadres of a town or above choose among towns, villages
    and areas (their groups would be thousands); the API takes any of `create_units`."""
    from linli.accounts.scope import scope_for

    scope = scope_for(user)
    qs = create_units(user)
    if scope.is_superuser or any(len(p) // STEPLEN <= TOWN_DEPTH for p in scope.unit_paths):
        qs = qs.exclude(kind=UnitKind.GROUP)
    return qs


def rule_units(user: Any) -> QuerySet[Unit]:
    return Unit.objects.filter(policy.rule_units_q(user)).order_by("path")


# --- what a form or a request names ----------------------------------------------------------


def organisers_for(unit: Unit | None) -> QuerySet[Representative]:
    """Serving representatives who may organise in `unit` (its line: below or above)."""
    if unit is None:
        return Representative.objects.none()
    return (
        Representative.objects.filter(organisers_q(unit), term_end__isnull=True)
        .select_related("unit")
        .order_by("unit__path", "name")
    )


def teams_for(unit: Unit | None) -> QuerySet[GuardTeam]:
    """Guard teams of `unit`'s line."""
    if unit is None:
        return GuardTeam.objects.none()
    return GuardTeam.objects.filter(
        Q(unit__path__startswith=unit.path) | Q(unit__path__in=unit.ancestor_paths())
    ).order_by("unit__path", "name")


def _by_ids(qs: QuerySet[Any], ids: list[int], label: str) -> list[Any]:
    ids = list(dict.fromkeys(ids))
    found = {o.pk: o for o in qs.filter(pk__in=ids)}
    if len(found) != len(ids):
        raise InvalidInput(_("Unknown %(label)s.") % {"label": label}, code="unknown")
    return [found[i] for i in ids]


def organisers_by_ids(unit: Unit, ids: list[int]) -> list[Representative]:
    return _by_ids(organisers_for(unit), ids, _("organiser"))


def teams_by_ids(unit: Unit, ids: list[int]) -> list[GuardTeam]:
    return _by_ids(teams_for(unit), ids, _("guard team"))


def appeals_by_codes(user: Any, codes: list[str]) -> list[Appeal]:
    """Open appeals in the user's scope, by case code (unknown or not theirs: 400)."""
    wanted = list(dict.fromkeys(c.strip().upper() for c in codes if c.strip()))
    found = {
        a.code: a
        for a in appeals_visible_to(user).filter(code__in=wanted, status__in=OPEN_STATUSES)
    }
    missing = [c for c in wanted if c not in found]
    if missing:
        raise InvalidInput(
            _("No open appeal in your scope has the code %(code)s.") % {"code": missing[0]},
            code="appeal",
        )
    return [found[c] for c in wanted]


def open_appeals_for(user: Any, unit: Unit | None) -> QuerySet[Appeal]:
    """Open appeals of `unit`'s subtree the user sees (the form's choices)."""
    if unit is None:
        return Appeal.objects.none()
    return (
        appeals_visible_to(user)
        .filter(status__in=OPEN_STATUSES, unit__path__startswith=unit.path)
        .order_by("-created_at")
    )


def appeals_visible_to_ids(user: Any, ids: list[int]) -> QuerySet[Appeal]:
    return appeals_visible_to(user).filter(pk__in=ids)


def photo_get(user: Any, pk: int) -> ActivityPhoto:
    """A photo of an activity the user sees (404 otherwise)."""
    photo = (
        ActivityPhoto.objects.filter(pk=pk)
        .filter(activity__in=Activity.objects.filter(policy.visible_q(user)).values("pk"))
        .first()
    )
    if photo is None:
        raise NotFound(_("No such photo."))
    return photo


# --- for the evaluation (代表考评) ---------------------------------------------------------


def organised_counts(
    start: dt.datetime, end: dt.datetime, representative_ids: list[int] | None = None
) -> dict[int, int]:
    """Per representative, the activities held in [start, end) that they organised
    (one aggregate query; every representative when `representative_ids` is None).
    Not scoped: the evaluation scores every representative of the city."""
    through = Activity.organisers.through.objects.filter(
        activity__starts_at__gte=start,
        activity__starts_at__lt=end,
        activity__status=ActivityStatus.HELD,
    )
    if representative_ids is not None:
        through = through.filter(representative_id__in=representative_ids)
    rows = through.values("representative_id").annotate(n=Count("activity_id")).order_by()
    return {r["representative_id"]: r["n"] for r in rows}


def any_held(start: dt.datetime, end: dt.datetime) -> bool:
    """Was any activity held in [start, end)? (Whether the source is in use at all.)"""
    return Activity.objects.filter(
        starts_at__gte=start, starts_at__lt=end, status=ActivityStatus.HELD
    ).exists()
