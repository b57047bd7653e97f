"""The training API under /api/v1/training/: plans, sessions (with the enrolled and
their attendance), enrolment and withdrawal, attendance (corrections kept as
history), cancelling, a representative's record of a year, and a unit's hours table.
Minutes are integers.

Thin: ids are fetched through scoped selectors (404 for "not yours"), writes go
through `services`.
"""

import math
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.pagination import paginate
from ninja.responses import Status

from linli.accounts.access import holds_any
from linli.core.api_schemas import MAX_PAGE_SIZE, WRITE_ERRORS, Paged, errors
from linli.core.errors import Forbidden, NotFound
from linli.core.inputs import Id
from linli.core.timeutil import today

from . import policy, selectors, services
from .schemas import (
    AttendanceOut,
    EnrolIn,
    EnrolOut,
    HoursOut,
    HoursQueryPaged,
    PlanFilters,
    PlanIn,
    PlanOut,
    RecordOut,
    RecordQuery,
    SessionDetailOut,
    SessionFilters,
    SessionIn,
    SessionOut,
    TrainingAttendanceIn,
    TrainingCancelIn,
    TrainingWithdrawIn,
)

router = Router(tags=["training"])


def _detail(request: Any, session_id: int) -> Any:
    session: Any = selectors.session_get(request.user, session_id)
    session.enrolled = selectors.enrolled_of(request.user, session)
    return session


@router.get(
    "/training/plans",
    response={200: list[PlanOut], **errors(400, 401)},
    summary="List training plans",
    description="The plans of your units, and of the units above them.",
)
@paginate(Paged)
def plan_list(request, filters: Query[PlanFilters]):
    qs = selectors.plans_visible_to(request.user)
    if filters.year is not None:
        qs = qs.filter(year=filters.year)
    if filters.unit is not None:
        qs = qs.filter(unit_id=filters.unit)
    return qs.order_by("-year", "unit__path", "id")


@router.post(
    "/training/plans",
    response={201: PlanOut, **WRITE_ERRORS},
    summary="Make a cadre-training plan",
    description="By the city, town or village cadre, for their unit and a year.",
)
def plan_create(request, payload: PlanIn):
    unit = selectors.organiser_unit_get(request.user, payload.unit_id)
    plan = services.plan_create(
        actor=request.user, unit=unit, year=payload.year, title=payload.title
    )
    return Status(201, selectors.plan_get(request.user, plan.pk))


@router.get(
    "/training/sessions",
    response={200: list[SessionOut], **errors(400, 401, 404)},
    summary="List training sessions",
)
@paginate(Paged)
def session_list(request, filters: Query[SessionFilters]):
    plan = selectors.plan_get(request.user, filters.plan) if filters.plan is not None else None
    return selectors.sessions_filtered(
        request.user, plan=plan, year=filters.year, status=filters.status or ""
    )


@router.post(
    "/training/sessions",
    response={201: SessionOut, **WRITE_ERRORS},
    summary="Add a session to a plan",
    description="On a day of the plan's year; it credits each present representative "
    "`credit_minutes` (no more than `duration_minutes`).",
)
def session_create(request, payload: SessionIn):
    plan = selectors.plan_get(request.user, payload.plan_id)
    session = services.session_create(
        actor=request.user,
        plan=plan,
        title=payload.title,
        topic=payload.topic,
        held_on=payload.held_on,
        starts_at=payload.starts_at,
        duration_minutes=payload.duration_minutes,
        credit_minutes=payload.credit_minutes,
        place=payload.place,
        capacity=payload.capacity,
    )
    return Status(201, selectors.session_get(request.user, session.pk))


@router.get(
    "/training/sessions/{session_id}",
    response={200: SessionDetailOut, **errors(400, 401, 404)},
    summary="A training session, with the enrolled you see and their attendance",
)
def session_detail(request, session_id: Id):
    return _detail(request, session_id)


@router.post(
    "/training/sessions/{session_id}/enrolments",
    response={200: EnrolOut, **WRITE_ERRORS},
    summary="Enrol representatives in a planned session",
    description="Serving representatives of the organiser's subtree that you manage. "
    "409 `session_full` past the capacity (nothing is enrolled).",
)
def session_enrol(request, session_id: Id, payload: EnrolIn):
    session = selectors.session_get(request.user, session_id)
    n = services.enrol(
        actor=request.user, session=session, representatives=payload.representative_ids
    )
    return {"enrolled": n, "total": selectors.enrolled_count(session)}


@router.post(
    "/training/sessions/{session_id}/withdrawals",
    response={200: EnrolOut, **WRITE_ERRORS},
    summary="Withdraw an enrolment",
)
def session_withdraw(request, session_id: Id, payload: TrainingWithdrawIn):
    session = selectors.session_get(request.user, session_id)
    services.withdraw(actor=request.user, session=session, representative=payload.representative_id)
    return {"enrolled": 0, "total": selectors.enrolled_count(session)}


@router.post(
    "/training/sessions/{session_id}/attendance",
    response={200: AttendanceOut, **WRITE_ERRORS},
    summary="Record or correct attendance",
    description="By the organiser, for enrolled representatives, once the session is "
    "held (409 `session_in_future`, `session_cancelled`, `not_enrolled`). A change of "
    "what was recorded is a correction: it needs `reason` and is kept in the history.",
)
def session_attendance(request, session_id: Id, payload: TrainingAttendanceIn):
    session = selectors.session_get(request.user, session_id)
    result = services.attendance_record(
        actor=request.user,
        session=session,
        marks=[services.Mark(m.representative_id, m.status, m.minutes) for m in payload.records],
        reason=payload.reason,
    )
    return result


@router.post(
    "/training/sessions/{session_id}/cancel",
    response={200: SessionOut, **WRITE_ERRORS},
    summary="Cancel a planned session",
)
def session_cancel(request, session_id: Id, payload: TrainingCancelIn):
    session = selectors.session_get(request.user, session_id)
    services.session_cancel(actor=request.user, session=session, reason=payload.reason)
    return selectors.session_get(request.user, session_id)


@router.get(
    "/training/representatives/{representative_id}",
    response={200: RecordOut, **errors(400, 401, 404)},
    summary="A representative's training record of a year",
    description="Your own as a representative; your units' representatives' as a leader or cadre.",
)
def representative_record(request, representative_id: Id, query: Query[RecordQuery]):
    rep = selectors.representative_get(request.user, representative_id)
    return selectors.training_record(rep, query.year or today().year)


@router.get(
    "/training/hours",
    response={200: HoursOut, **errors(400, 401, 403, 404)},
    summary="A unit's training hours per representative for a year",
    description="Every representative of the unit's subtree serving in the year, "
    "with the sessions attended and the minutes credited; paged.",
)
def hours(request, query: Query[HoursQueryPaged]):
    if not holds_any(request.user, policy.SEE_ROLES):
        raise Forbidden(_("The hours table is for leaders and cadres."), code="forbidden")
    if query.unit is not None:
        unit = selectors.hours_units(request.user).filter(pk=query.unit).first()
    else:
        unit = selectors.hours_default_unit(request.user)
    if unit is None:
        raise NotFound(_("No such unit."))
    year = query.year or today().year
    reps = selectors.representatives_of_year(request.user, unit, year)
    size = min(query.page_size or settings.LINLI["PAGE_SIZE"], MAX_PAGE_SIZE)
    count = reps.count()
    offset = (query.page - 1) * size
    return {
        "unit_id": unit.pk,
        "year": year,
        "total_minutes": selectors.unit_total_minutes(request.user, unit, year),
        "items": selectors.hours_rows(reps[offset : offset + size], year),
        "count": count,
        "page": query.page,
        "pages": math.ceil(count / size),
        "page_size": size,
    }
