"""Every read of representative training, scoped by `policy` (leaders and cadres see
their subtrees and the plans above them, a representative their own record), except
`minutes_by_representative` and `attended_sessions`, the contract other apps read
(see there). "Not yours" and "not there" are the same `NotFound`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from linli.core.errors import NotFound
from linli.org.models import Representative, Unit

from . import policy
from .models import (
    Attendance,
    AttendanceRecord,
    AttendanceStatus,
    Enrolment,
    SessionStatus,
    TrainingPlan,
    TrainingSession,
)

# Above this many ids the filter is left out of the SQL (SQLite's bound on query
# parameters; PostgreSQL plans a long IN list badly) and applied to the result.
IN_LIST_MAX = 2000


def _year_range(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def _credited(year: int) -> QuerySet[Attendance]:
    """Attendance that credits minutes in `year`: present, at a held session of it."""
    first, last = _year_range(year)
    return Attendance.objects.filter(
        status=AttendanceStatus.PRESENT,
        session__status=SessionStatus.HELD,
        session__held_on__gte=first,
        session__held_on__lte=last,
    )


# --- the contract other apps read -------------------------------------------------------------


def minutes_by_representative(
    year: int, representative_ids: Iterable[int] | None = None
) -> dict[int, int]:
    """The minutes of training credited in `year` (attendance present, at sessions held
    that calendar year), per representative id; representatives without any are left
    out (read `.get(pk, 0)`).

    Not scoped, like `conduct.selectors.severe_confirmed`: the yearly evaluation reads
    it for every representative of the city at once, whoever runs it; the pages that
    show it scope the representatives first. One grouped query whatever the number of
    representatives (no query per representative)."""
    qs = _credited(year)
    wanted: set[int] | None = None
    if representative_ids is not None:
        wanted = {int(i) for i in representative_ids}
        if not wanted:
            return {}
        if len(wanted) <= IN_LIST_MAX:
            qs = qs.filter(representative_id__in=wanted)
    rows = qs.order_by().values_list("representative_id").annotate(total=Sum("minutes"))
    return {
        rep: int(total or 0) for rep, total in rows if (wanted is None or rep in wanted) and total
    }


def any_attended(year: int) -> bool:
    """Was any training minute credited in `year`? (Whether the source is in use at all:
    the evaluation shows "no data" for a year without training, not everyone's zero.)"""
    return _credited(year).exists()


@dataclass(frozen=True)
class AttendedSession:
    """A session a representative attended, and the minutes it credited them."""

    session: TrainingSession
    minutes: int

    @property
    def title(self) -> str:
        return self.session.title

    @property
    def held_on(self) -> dt.date:
        return self.session.held_on

    @property
    def organiser(self) -> str:
        return str(self.session.plan.unit.name)


def attended_sessions(representative: Representative | int, year: int) -> list[AttendedSession]:
    """The sessions of `year` the representative attended (present, at a held session)
    with the minutes credited, by date. Not scoped (the annual report reads it for the
    representative it is about; its page is scoped)."""
    pk = representative if isinstance(representative, int) else int(representative.pk)
    rows = (
        _credited(year)
        .filter(representative_id=pk)
        .select_related("session__plan__unit")
        .order_by("session__held_on", "session__starts_at", "session_id")
    )
    return [AttendedSession(a.session, a.minutes) for a in rows]


# --- plans and sessions -----------------------------------------------------------------------


def plans_visible_to(user: Any) -> QuerySet[TrainingPlan]:
    return TrainingPlan.objects.filter(policy.plan_visible_q(user)).select_related("unit")


def plans_filtered(
    user: Any, *, year: int | None = None, unit: Unit | None = None
) -> QuerySet[TrainingPlan]:
    qs = plans_visible_to(user).annotate(
        session_n=Count("sessions", distinct=True),
        held_n=Count("sessions", filter=Q(sessions__status=SessionStatus.HELD), distinct=True),
    )
    if year is not None:
        qs = qs.filter(year=year)
    if unit is not None:
        qs = qs.filter(unit=unit)
    return qs.order_by("-year", "unit__path", "id")


def plan_get(user: Any, pk: int) -> TrainingPlan:
    plan = plans_visible_to(user).filter(pk=pk).first()
    if plan is None:
        raise NotFound(_("No such training plan."))
    return plan


def organiser_units(user: Any) -> QuerySet[Unit]:
    return Unit.objects.filter(policy.organiser_units_q(user)).order_by("path")


def organiser_unit_get(user: Any, pk: int) -> Unit:
    unit = organiser_units(user).filter(pk=pk).first()
    if unit is None:
        raise NotFound(_("No such unit."))
    return unit


def sessions_visible_to(user: Any) -> QuerySet[TrainingSession]:
    return TrainingSession.objects.filter(policy.plan_visible_q(user, "plan__")).select_related(
        "plan", "plan__unit"
    )


def sessions_filtered(
    user: Any,
    *,
    plan: TrainingPlan | None = None,
    year: int | None = None,
    unit: Unit | None = None,
    status: str = "",
) -> QuerySet[TrainingSession]:
    qs = sessions_visible_to(user).annotate(
        enrolled_n=Count("enrolments", filter=Q(enrolments__withdrawn_at__isnull=True))
    )
    if plan is not None:
        qs = qs.filter(plan=plan)
    if year is not None:
        qs = qs.filter(plan__year=year)
    if unit is not None:
        qs = qs.filter(plan__unit=unit)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("held_on", "starts_at", "id")


def session_get(user: Any, pk: int) -> TrainingSession:
    session = sessions_visible_to(user).filter(pk=pk).first()
    if session is None:
        raise NotFound(_("No such training session."))
    return session


def enrolled_count(session: TrainingSession) -> int:
    return Enrolment.objects.filter(session=session, withdrawn_at__isnull=True).count()


@dataclass
class EnrolledRow:
    enrolment: Enrolment
    attendance: Attendance | None

    @property
    def representative(self) -> Representative:
        return self.enrolment.representative


def enrolled_of(user: Any, session: TrainingSession) -> list[EnrolledRow]:
    """The session's enrolled representatives that the user sees (withdrawn left out),
    each with their attendance in force, in two queries."""
    enrolments = list(
        Enrolment.objects.filter(session=session, withdrawn_at__isnull=True)
        .filter(policy.representative_visible_q(user, "representative__"))
        .select_related("representative", "representative__unit")
        .order_by("representative__unit__path", "representative__name", "representative_id")
    )
    attendance = {
        a.representative_id: a
        for a in Attendance.objects.filter(
            session=session, representative_id__in=[e.representative_id for e in enrolments]
        )
    }
    return [EnrolledRow(e, attendance.get(e.representative_id)) for e in enrolments]


def enrollable(user: Any, session: TrainingSession) -> QuerySet[Representative]:
    """Whom the user may still enrol in the session."""
    taken = Enrolment.objects.filter(session=session, withdrawn_at__isnull=True).values(
        "representative_id"
    )
    return (
        Representative.objects.filter(policy.enrollable_q(user, session.plan))
        .exclude(pk__in=taken)
        .select_related("unit")
        .order_by("unit__path", "name", "pk")
    )


def history_of(user: Any, session: TrainingSession) -> list[AttendanceRecord]:
    """Every recording and correction of the session's attendance the user sees, newest
    first."""
    return list(
        AttendanceRecord.objects.filter(attendance__session=session)
        .filter(policy.representative_visible_q(user, "attendance__representative__"))
        .select_related("attendance__representative", "recorded_by")
        .order_by("-recorded_at", "-id")
    )


# --- representatives ------------------------------------------------------------------------


def representatives_visible_to(user: Any) -> QuerySet[Representative]:
    return Representative.objects.filter(policy.representative_visible_q(user)).select_related(
        "unit"
    )


def representative_get(user: Any, pk: int) -> Representative:
    rep = representatives_visible_to(user).filter(pk=pk).first()
    if rep is None:
        raise NotFound(_("No such representative."))
    return rep


@dataclass
class TrainingRecord:
    """A representative's training of a year: what they attended and the minutes
    credited, and their enrolments (upcoming, and those not attended)."""

    representative: Representative
    year: int
    attended: list[AttendedSession]
    enrolments: list[Enrolment]
    attendance: dict[int, Attendance]

    @property
    def total_minutes(self) -> int:
        return sum(a.minutes for a in self.attended)


def training_record(representative: Representative, year: int) -> TrainingRecord:
    """The record of a representative the caller has fetched through a scoped read."""
    first, last = _year_range(year)
    enrolments = list(
        Enrolment.objects.filter(
            representative=representative,
            withdrawn_at__isnull=True,
            session__held_on__gte=first,
            session__held_on__lte=last,
        )
        .select_related("session__plan__unit")
        .order_by("session__held_on", "session_id")
    )
    attendance = {
        a.session_id: a
        for a in Attendance.objects.filter(
            representative=representative, session__in=[e.session_id for e in enrolments]
        )
    }
    return TrainingRecord(
        representative, year, attended_sessions(representative, year), enrolments, attendance
    )


# --- the hours table ------------------------------------------------------------------------


def hours_units(user: Any) -> QuerySet[Unit]:
    """The units whose hours table the user sees: cities, towns and villages."""
    return (
        Unit.objects.filter(policy.units_q(user), kind__in=policy.ORGANISER_KINDS)
        .select_related("parent")
        .order_by("path")
    )


def hours_default_unit(user: Any) -> Unit | None:
    return hours_units(user).order_by("depth", "path").first()


def representatives_of_year(user: Any, unit: Unit, year: int) -> QuerySet[Representative]:
    """The representatives of `unit`'s subtree serving at some time in `year`, as far as
    the user sees them."""
    first, last = _year_range(year)
    return (
        representatives_visible_to(user)
        .filter(unit__path__startswith=unit.path, term_start__lte=last)
        .filter(Q(term_end__isnull=True) | Q(term_end__gte=first))
        .order_by("unit__path", "name", "pk")
    )


@dataclass
class HoursRow:
    representative: Representative
    minutes: int
    sessions: int


def hours_rows(representatives: Iterable[Representative], year: int) -> list[HoursRow]:
    """Rows of the hours table for these representatives (a page of them): one grouped
    query for all."""
    reps = list(representatives)
    ids = [r.pk for r in reps]
    grouped = {
        rep: (int(total or 0), n)
        for rep, total, n in _credited(year)
        .filter(representative_id__in=ids)
        .order_by()
        .values_list("representative_id")
        .annotate(total=Sum("minutes"), n=Count("id"))
    }
    return [HoursRow(r, *grouped.get(r.pk, (0, 0))) for r in reps]


def unit_total_minutes(user: Any, unit: Unit, year: int) -> int:
    reps = representatives_of_year(user, unit, year).values("pk")
    total = _credited(year).filter(representative_id__in=reps).aggregate(t=Sum("minutes"))["t"]
    return int(total or 0)
