"""Every write of representative training: plans, sessions (and their cancelling),
enrolment and withdrawal, and attendance.

Attendance is never silently edited: each recording and each correction appends an
`AttendanceRecord` (who, when, the status and minutes, and for a correction its
reason), and the `Attendance` row is moved to the new revision in the same
transaction. A correction needs a reason.

Enrolment takes the session row's lock first (`select_for_update`) and counts the
enrolled under it, so two cadres enrolling at once never together pass the
capacity; the second is refused whole, with nothing written.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.models import AuditAction
from linli.accounts.services import audit_record
from linli.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from linli.core.inputs import EVENT_YEARS, clean_text, in_window
from linli.core.timeutil import today
from linli.org.models import Representative, Unit

from . import policy
from .models import (
    MAX_CAPACITY,
    MAX_MINUTES,
    Attendance,
    AttendanceRecord,
    AttendanceStatus,
    Enrolment,
    SessionStatus,
    TrainingPlan,
    TrainingSession,
)

if TYPE_CHECKING:
    from linli.accounts.models import User

TITLE_MAX = 200
TOPIC_MAX = 500
PLACE_MAX = 200
REASON_MAX = 500


# --- checks on input -----------------------------------------------------------------------


def check_int(value: Any, label: str, lo: int, hi: int, code: str) -> int:
    """A whole number (never a float or a bool) from `lo` to `hi`."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(_("%(label)s must be a whole number.") % {"label": label}, code=code)
    if not lo <= value <= hi:
        raise InvalidInput(
            _("%(label)s must be from %(lo)d to %(hi)d.") % {"label": label, "lo": lo, "hi": hi},
            code=code,
        )
    return int(value)


def check_year(year: Any) -> int:
    if (
        isinstance(year, bool)
        or not isinstance(year, int)
        or not EVENT_YEARS[0] <= year <= EVENT_YEARS[1]
    ):
        raise InvalidInput(_("The year is not valid."), code="year")
    return int(year)


def _check_day(day: Any) -> dt.date:
    if not isinstance(day, dt.date) or isinstance(day, dt.datetime) or not in_window(day):
        raise InvalidInput(_("The date is not valid."), code="day")
    return day


_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)(?::[0-5]\d)?$")


def _check_time(value: Any) -> dt.time | None:
    """A time of day, or "HH:MM" text (the API's), or nothing."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        match = _CLOCK.match(value.strip())
        if match is None:
            raise InvalidInput(_("The start time is not valid."), code="starts_at")
        return dt.time(int(match.group(1)), int(match.group(2)))
    if not isinstance(value, dt.time):
        raise InvalidInput(_("The start time is not valid."), code="starts_at")
    return value.replace(second=0, microsecond=0, tzinfo=None)


# --- plans and sessions ---------------------------------------------------------------------


@transaction.atomic
def plan_create(*, actor: User, unit: Unit, year: int, title: str) -> TrainingPlan:
    """A city's, town's or village's cadre-training plan for a year."""
    if not policy.can_organise(actor, unit):
        raise Forbidden(_("You may not organise training for this unit."), code="forbidden")
    year = check_year(year)
    title = clean_text(title, _("The title"), TITLE_MAX, required=True, multiline=False)
    if TrainingPlan.objects.filter(unit=unit, year=year, title=title).exists():
        raise Conflict(
            _("This unit already has a training plan of that title for %(year)d.") % {"year": year},
            code="plan_exists",
        )
    plan = TrainingPlan.objects.create(unit=unit, year=year, title=title, created_by=actor)
    audit_record(
        actor=actor,
        action=AuditAction.TRAINING_PLAN_CREATE,
        target=plan,
        detail={"unit": unit.pk, "year": year, "title": title},
    )
    return plan


@transaction.atomic
def session_create(
    *,
    actor: User,
    plan: TrainingPlan,
    title: str,
    held_on: dt.date,
    duration_minutes: int,
    place: str,
    capacity: int,
    credit_minutes: int | None = None,
    topic: str = "",
    starts_at: dt.time | str | None = None,
) -> TrainingSession:
    """A session of the plan, on a day of the plan's year. It credits each
    representative present `credit_minutes` (default: its duration), no more than it
    lasts."""
    if not policy.can_manage(actor, plan):
        raise Forbidden(_("You may not organise training for this unit."), code="forbidden")
    title = clean_text(title, _("The title"), TITLE_MAX, required=True, multiline=False)
    topic = clean_text(topic, _("The topic"), TOPIC_MAX, multiline=False)
    place = clean_text(place, _("The place"), PLACE_MAX, required=True, multiline=False)
    held_on = _check_day(held_on)
    if held_on.year != plan.year:
        raise InvalidInput(
            _("The session's date must fall in the plan's year (%(year)d).") % {"year": plan.year},
            code="day_outside_plan",
        )
    starts_at = _check_time(starts_at)
    duration_minutes = check_int(
        duration_minutes, _("The duration (minutes)"), 1, MAX_MINUTES, "duration"
    )
    if credit_minutes is None:
        credit_minutes = duration_minutes
    credit_minutes = check_int(
        credit_minutes, _("The minutes credited"), 1, MAX_MINUTES, "credit_minutes"
    )
    if credit_minutes > duration_minutes:
        raise InvalidInput(
            _("A session may credit no more minutes than it lasts (%(n)d).")
            % {"n": duration_minutes},
            code="credit_above_duration",
        )
    capacity = check_int(capacity, _("The capacity"), 1, MAX_CAPACITY, "capacity")
    session = TrainingSession.objects.create(
        plan=plan,
        title=title,
        topic=topic,
        held_on=held_on,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        place=place,
        capacity=capacity,
        credit_minutes=credit_minutes,
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action=AuditAction.TRAINING_SESSION_CREATE,
        target=session,
        detail={
            "plan": plan.pk,
            "held_on": held_on.isoformat(),
            "capacity": capacity,
            "credit_minutes": credit_minutes,
        },
    )
    return session


def _lock(session: TrainingSession) -> TrainingSession:
    return (
        TrainingSession.objects.select_for_update().select_related("plan__unit").get(pk=session.pk)
    )


@transaction.atomic
def session_cancel(*, actor: User, session: TrainingSession, reason: str) -> TrainingSession:
    """Cancel a planned session (its enrolments stay, to show whom it concerned). A
    session whose attendance is recorded cannot be cancelled."""
    reason = clean_text(reason, _("The reason"), REASON_MAX, required=True, multiline=False)
    session = _lock(session)
    if not policy.can_manage(actor, session.plan):
        raise Forbidden(_("You may not organise training for this unit."), code="forbidden")
    if session.status == SessionStatus.CANCELLED:
        raise Conflict(_("This session is cancelled already."), code="session_cancelled")
    if session.status == SessionStatus.HELD:
        raise Conflict(
            _("This session was held (its attendance is recorded): it cannot be cancelled."),
            code="session_held",
        )
    session.status = SessionStatus.CANCELLED
    session.cancel_reason = reason
    session.save(update_fields=["status", "cancel_reason"])
    audit_record(
        actor=actor,
        action=AuditAction.TRAINING_SESSION_CANCEL,
        target=session,
        detail={"reason": reason},
    )
    return session


# --- enrolment ------------------------------------------------------------------------------


def _ids(values: Iterable[Any]) -> list[int]:
    out: list[int] = []
    for v in values:
        pk = getattr(v, "pk", v)
        if isinstance(pk, bool) or not isinstance(pk, int) or pk < 1:
            raise InvalidInput(_("The representative is not valid."), code="representative")
        if pk not in out:
            out.append(pk)
    return out


@transaction.atomic
def enrol(
    *, actor: User, session: TrainingSession, representatives: Iterable[Representative | int]
) -> int:
    """Enrol serving representatives of the organiser's subtree (as far as the actor
    manages it) in a planned session; answer how many were enrolled. Refused whole
    when it would pass the session's capacity."""
    ids = _ids(representatives)
    if not ids:
        raise InvalidInput(_("Choose at least one representative."), code="representative")
    session = _lock(session)
    if not policy.can_enrol(actor, session.plan):
        raise Forbidden(_("You may not enrol representatives in this session."), code="forbidden")
    if session.status != SessionStatus.PLANNED:
        raise Conflict(
            _("Only a planned session takes enrolments (this one is %(status)s).")
            % {"status": session.get_status_display()},
            code="session_not_planned",
        )
    allowed = set(
        Representative.objects.filter(
            policy.enrollable_q(actor, session.plan), pk__in=ids
        ).values_list("pk", flat=True)
    )
    if len(allowed) != len(ids):
        raise NotFound(_("No such representative."))
    existing = {e.representative_id: e for e in Enrolment.objects.filter(session=session)}
    new = [pk for pk in ids if pk not in existing or existing[pk].withdrawn]
    taken = sum(1 for e in existing.values() if not e.withdrawn)
    if taken + len(new) > session.capacity:
        raise Conflict(
            _(
                "The session takes %(capacity)d representatives: %(taken)d are enrolled, "
                "%(left)d places are left."
            )
            % {
                "capacity": session.capacity,
                "taken": taken,
                "left": max(session.capacity - taken, 0),
            },
            code="session_full",
            details={"left": max(session.capacity - taken, 0)},
        )
    now = timezone.now()
    for pk in new:
        if pk in existing:
            e = existing[pk]
            e.withdrawn_at, e.withdrawn_by = None, None
            e.enrolled_by, e.enrolled_at = actor, now
            e.save(update_fields=["withdrawn_at", "withdrawn_by", "enrolled_by", "enrolled_at"])
        else:
            Enrolment.objects.create(
                session=session, representative_id=pk, enrolled_by=actor, enrolled_at=now
            )
    audit_record(
        actor=actor,
        action=AuditAction.TRAINING_ENROL,
        target=session,
        detail={"representatives": new},
    )
    return len(new)


@transaction.atomic
def withdraw(
    *, actor: User, session: TrainingSession, representative: Representative | int
) -> Enrolment:
    """Withdraw an enrolment (marked, kept) before the session's attendance is recorded."""
    (pk,) = _ids([representative])
    session = _lock(session)
    if not policy.can_enrol(actor, session.plan):
        raise Forbidden(_("You may not enrol representatives in this session."), code="forbidden")
    enrolment = Enrolment.objects.filter(
        session=session, representative_id=pk, withdrawn_at__isnull=True
    ).first()
    # The organiser withdraws anyone; a cadre below, those they may enrol.
    if enrolment is None or not (
        policy.can_manage(actor, session.plan)
        or Representative.objects.filter(policy.enrollable_q(actor, session.plan), pk=pk).exists()
    ):
        raise NotFound(_("This representative is not enrolled in the session."))
    if session.status != SessionStatus.PLANNED:
        raise Conflict(
            _("Only a planned session's enrolments can be withdrawn."), code="session_not_planned"
        )
    enrolment.withdrawn_at, enrolment.withdrawn_by = timezone.now(), actor
    enrolment.save(update_fields=["withdrawn_at", "withdrawn_by"])
    audit_record(
        actor=actor,
        action=AuditAction.TRAINING_WITHDRAW,
        target=session,
        detail={"representative": pk},
    )
    return enrolment


# --- attendance -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Mark:
    """One representative's attendance as recorded: `minutes` None credits the
    session's minutes when present (and 0 otherwise)."""

    representative_id: int
    status: str
    minutes: int | None = None


@dataclass
class Recorded:
    recorded: int = 0
    corrected: int = 0
    unchanged: int = 0


def _minutes_of(mark: Mark, session: TrainingSession) -> int:
    if mark.status != AttendanceStatus.PRESENT:
        if mark.minutes not in (None, 0):
            raise InvalidInput(
                _("Only a representative present is credited minutes."), code="minutes"
            )
        return 0
    if mark.minutes is None:
        return session.credit_minutes
    return check_int(
        mark.minutes,
        _("The minutes credited"),
        0,
        session.credit_minutes,
        "minutes",
    )


@transaction.atomic
def attendance_record(
    *, actor: User, session: TrainingSession, marks: Sequence[Mark], reason: str = ""
) -> Recorded:
    """Record the attendance of enrolled representatives at a session held (today or
    before, not cancelled); the session is `held` from then on.

    Each representative must be enrolled (and not withdrawn). A present representative
    is credited the session's minutes, or fewer (came late, left early); absent and
    excused ones none. Changing an attendance already recorded is a correction: it
    needs `reason`, and the earlier record is kept in the history. Checked whole
    before anything is written."""
    reason = clean_text(reason, _("The reason"), REASON_MAX, multiline=False)
    if not marks:
        raise InvalidInput(_("Record the attendance of at least one representative."))
    session = _lock(session)
    if not policy.can_manage(actor, session.plan):
        raise Forbidden(_("You may not record this session's attendance."), code="forbidden")
    if session.status == SessionStatus.CANCELLED:
        raise Conflict(
            _("This session was cancelled: it has no attendance."), code="session_cancelled"
        )
    if session.held_on > today():
        raise Conflict(
            _("This session is on %(day)s: its attendance is recorded once it is held.")
            % {"day": session.held_on.isoformat()},
            code="session_in_future",
        )
    ids = [m.representative_id for m in marks]
    if len(set(ids)) != len(ids):
        raise InvalidInput(_("A representative is named twice."), code="representative")
    _ids(ids)
    for m in marks:
        if m.status not in AttendanceStatus.values:
            raise InvalidInput(_("The attendance is not valid."), code="status")
    enrolled = set(
        Enrolment.objects.filter(
            session=session, representative_id__in=ids, withdrawn_at__isnull=True
        ).values_list("representative_id", flat=True)
    )
    missing = [pk for pk in ids if pk not in enrolled]
    if missing:
        raise Conflict(
            _("Attendance is recorded only for representatives enrolled in the session."),
            code="not_enrolled",
            details={"representatives": missing},
        )
    wanted = [(m, _minutes_of(m, session)) for m in marks]
    current = {
        a.representative_id: a
        for a in Attendance.objects.select_for_update().filter(
            session=session, representative_id__in=ids
        )
    }
    changes = [
        (m, minutes)
        for m, minutes in wanted
        if (a := current.get(m.representative_id)) is None
        or (a.status, a.minutes) != (m.status, minutes)
    ]
    corrections = [m.representative_id for m, _m in changes if m.representative_id in current]
    if corrections and not reason:
        raise InvalidInput(
            _("Correcting attendance already recorded needs a reason."),
            code="reason_required",
        )
    now = timezone.now()
    result = Recorded(unchanged=len(wanted) - len(changes))
    detail: list[dict[str, Any]] = []
    for m, minutes in changes:
        a = current.get(m.representative_id)
        if a is None:
            a = Attendance.objects.create(
                session=session,
                representative_id=m.representative_id,
                status=m.status,
                minutes=minutes,
                recorded_by=actor,
                recorded_at=now,
                revision=1,
            )
            result.recorded += 1
            old = None
        else:
            old = [a.status, a.minutes]
            a.status, a.minutes = m.status, minutes
            a.recorded_by, a.recorded_at = actor, now
            a.revision += 1
            a.save(update_fields=["status", "minutes", "recorded_by", "recorded_at", "revision"])
            result.corrected += 1
        AttendanceRecord.objects.create(
            attendance=a,
            revision=a.revision,
            status=m.status,
            minutes=minutes,
            reason=reason if old is not None else "",
            recorded_by=actor,
            recorded_at=now,
        )
        detail.append(
            {"representative": m.representative_id, "old": old, "new": [m.status, minutes]}
        )
    if session.status != SessionStatus.HELD:
        session.status = SessionStatus.HELD
        session.save(update_fields=["status"])
    if changes:
        audit_record(
            actor=actor,
            action=AuditAction.TRAINING_ATTENDANCE,
            target=session,
            detail={"changes": detail, "reason": reason},
        )
    return result
