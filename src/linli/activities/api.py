"""The activities API under /api/v1/activities/ (and the public sign-up under
/api/v1/public/activities/): list, detail, create, update, cancel, sign up, attendance,
photos, held; the service day of a unit (its rule, history and coming dates).

Thin: ids are fetched through scoped selectors (404 for "not yours"), writes go through
`services`. Residents sign up without an account: they ask for a one-time code at
`POST /api/v1/public/codes` and send it with their mobile and name.
"""

from typing import Annotated, Any

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import File, Query, Router
from ninja.files import UploadedFile
from ninja.pagination import paginate
from ninja.responses import Status

from linli.core.api_schemas import WRITE_ERRORS, Paged, errors
from linli.core.errors import NotFound
from linli.core.inputs import Id, bounded
from linli.org.models import Unit

from . import policy, selectors, services
from .schemas import (
    ActivityDetailOut,
    ActivityFilters,
    ActivityIn,
    ActivityOut,
    ActivityUpdateIn,
    AttendanceIn,
    CancelIn,
    HeldIn,
    MySignupOut,
    PublicActivityOut,
    PublicCancelIn,
    PublicSignupIn,
    PublicSignupOut,
    ServiceDayRuleIn,
    ServiceDayRuleOut,
    ServiceDaysOut,
)

router = Router(tags=["activities"])
public = Router(tags=["public"], auth=None)

DateCount = Annotated[int, bounded(1, 36)]


def _detail(request: Any, activity: Any) -> Any:
    manage = policy.can_manage(request.user, activity)
    activity.signups_out = list(selectors.signups_of(activity)) if manage else None
    activity.appeals_out = list(activity.appeal_links.select_related("appeal")) if manage else None
    return activity


@router.get(
    "/activities",
    response={200: list[ActivityOut], **errors(400, 401, 404)},
    summary="List activities",
)
@paginate(Paged)
def activity_list(request, filters: Query[ActivityFilters]):
    unit = None
    if filters.unit is not None:
        unit = Unit.objects.filter(pk=filters.unit).first()
        if unit is None:
            raise NotFound(_("No such unit."))
    return selectors.activities_filtered(
        request.user,
        unit=unit,
        kind=filters.kind or "",
        status=filters.status or "",
        start=filters.start,
        end=filters.end,
    )


def _create_unit(request, unit_id: int) -> Unit:
    unit = selectors.create_units(request.user).filter(pk=unit_id).first()
    if unit is None:
        raise NotFound(_("No such unit."))
    return unit


@router.post(
    "/activities",
    response={201: ActivityDetailOut, **WRITE_ERRORS},
    summary="Plan an activity",
    description="By a cadre or leader of the unit, or a representative of its line naming "
    "themself among the organisers.",
)
def activity_create(request, payload: ActivityIn):
    unit = _create_unit(request, payload.unit_id)
    activity = services.activity_create(
        actor=request.user,
        unit=unit,
        kind=payload.kind,
        title=payload.title,
        place=payload.place,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        capacity=payload.capacity,
        description=payload.description,
        organisers=selectors.organisers_by_ids(unit, payload.organiser_ids),
        guard_teams=selectors.teams_by_ids(unit, payload.guard_team_ids),
        appeals=selectors.appeals_by_codes(request.user, payload.appeal_codes),
        on_service_day=payload.on_service_day,
    )
    return Status(201, _detail(request, selectors.activity_get(request.user, activity.pk)))


@router.get(
    "/activities/{activity_id}",
    response={200: ActivityDetailOut, **errors(400, 401, 404)},
    summary="An activity",
)
def activity_detail(request, activity_id: Id):
    return _detail(request, selectors.activity_get(request.user, activity_id))


@router.put(
    "/activities/{activity_id}",
    response={200: ActivityDetailOut, **WRITE_ERRORS},
    summary="Change a planned activity",
)
def activity_update(request, activity_id: Id, payload: ActivityUpdateIn):
    activity = selectors.activity_manage_get(request.user, activity_id)
    services.activity_update(
        actor=request.user,
        activity=activity,
        kind=payload.kind,
        title=payload.title,
        place=payload.place,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        capacity=payload.capacity,
        description=payload.description,
        organisers=selectors.organisers_by_ids(activity.unit, payload.organiser_ids),
        guard_teams=selectors.teams_by_ids(activity.unit, payload.guard_team_ids),
        appeals=selectors.appeals_by_codes(request.user, payload.appeal_codes),
        on_service_day=payload.on_service_day,
    )
    return _detail(request, selectors.activity_get(request.user, activity_id))


@router.post(
    "/activities/{activity_id}/cancel",
    response={200: ActivityDetailOut, **WRITE_ERRORS},
    summary="Cancel a planned activity",
)
def activity_cancel(request, activity_id: Id, payload: CancelIn):
    activity = selectors.activity_manage_get(request.user, activity_id)
    services.activity_cancel(actor=request.user, activity=activity, reason=payload.reason)
    return _detail(request, selectors.activity_get(request.user, activity_id))


@router.post(
    "/activities/{activity_id}/signups",
    response={201: MySignupOut, **WRITE_ERRORS},
    summary="Sign up with one's account",
    description="409 `full`, `already_signed_up`, `signup_closed`.",
)
def signup_create(request, activity_id: Id):
    activity = selectors.activity_get(request.user, activity_id)
    return Status(201, services.signup_by_account(actor=request.user, activity=activity))


@router.delete(
    "/activities/{activity_id}/signups/mine",
    response={200: MySignupOut, **WRITE_ERRORS},
    summary="Cancel one's own sign-up",
)
def signup_cancel(request, activity_id: Id):
    activity = selectors.activity_get(request.user, activity_id)
    return services.signup_cancel(actor=request.user, activity=activity)


@router.post(
    "/activities/{activity_id}/attendance",
    response={200: ActivityDetailOut, **WRITE_ERRORS},
    summary="Take attendance",
    description="The sign-ups who came and the walk-ins, on the day or after.",
)
def attendance(request, activity_id: Id, payload: AttendanceIn):
    activity = selectors.activity_manage_get(request.user, activity_id)
    services.attendance_record(
        actor=request.user, activity=activity, attended=payload.attended, walk_ins=payload.walk_ins
    )
    return _detail(request, selectors.activity_get(request.user, activity_id))


@router.post(
    "/activities/{activity_id}/photos",
    response={200: ActivityDetailOut, **WRITE_ERRORS},
    summary="Add photos of the day (multipart)",
)
def photos(request, activity_id: Id, files: File[list[UploadedFile]]):
    activity = selectors.activity_manage_get(request.user, activity_id)
    services.activity_photos_add(actor=request.user, activity=activity, photos=files)
    return _detail(request, selectors.activity_get(request.user, activity_id))


@router.post(
    "/activities/{activity_id}/held",
    response={200: ActivityDetailOut, **WRITE_ERRORS},
    summary="Mark held, with the outcome",
    description="A deliberation meeting is recorded as its organisers' deliberation event "
    "(400 `organisers` or `attendee_count` without an organiser or an attendee); the appeals "
    "it took up are resolved where the caller may resolve them, else given a note.",
)
def held(request, activity_id: Id, payload: HeldIn):
    activity = selectors.activity_manage_get(request.user, activity_id)
    services.activity_hold(
        actor=request.user,
        activity=activity,
        outcome=payload.outcome,
        attended=payload.attended,
        walk_ins=payload.walk_ins,
    )
    return _detail(request, selectors.activity_get(request.user, activity_id))


# --- the service day ---------------------------------------------------------------------------


def _service_days(unit: Unit, count: int) -> dict[str, Any]:
    spec, own = selectors.rule_in_force(unit)
    return {
        "unit_id": unit.pk,
        "unit_name": unit.name,
        "own": own,
        "rule": None
        if spec is None
        else {
            "kind": spec.kind,
            "month_day": spec.month_day,
            "nth": spec.nth,
            "weekday": spec.weekday,
            "effective_from": spec.effective_from,
        },
        "history": list(selectors.rules_of(unit)),
        "coming": selectors.coming_service_days(unit, count=count),
    }


@router.get(
    "/activities/service-days/{unit_id}",
    response={200: ServiceDaysOut, **errors(400, 401, 404)},
    summary="A unit's service day: the rule, its history, the coming dates",
)
def service_days(request, unit_id: Id, count: DateCount = 6):
    unit = selectors.calendar_units(request.user).filter(pk=unit_id).first()
    if unit is None:
        raise NotFound(_("No such unit."))
    return _service_days(unit, count)


@router.put(
    "/activities/service-days/{unit_id}",
    response={200: ServiceDayRuleOut, **WRITE_ERRORS},
    summary="Set a unit's service day",
    description="By the unit's staff. A new rule from `effective_from`; the old stays in the "
    "history. `follow`: a village or community goes back to its town's day.",
)
def service_day_set(request, unit_id: Id, payload: ServiceDayRuleIn):
    unit = selectors.calendar_units(request.user).filter(pk=unit_id).first()
    if unit is None:
        raise NotFound(_("No such unit."))
    return services.service_day_set(
        actor=request.user,
        unit=unit,
        kind=payload.kind,
        month_day=payload.month_day,
        nth=payload.nth,
        weekday=payload.weekday,
        effective_from=payload.effective_from,
    )


# --- public (no account) --------------------------------------------------------------------


@public.get(
    "/activities/{activity_id}",
    response={200: PublicActivityOut, **errors(400, 404)},
    summary="An activity's public page",
)
def public_activity(request, activity_id: Id):
    return selectors.activity_public(activity_id)


@public.post(
    "/activities/{activity_id}/signups",
    response={201: PublicSignupOut, **errors(400, 404, 409, 429)},
    summary="Sign up by mobile",
    description="With the one-time code sent by `POST /api/v1/public/codes`. Wrong codes are "
    "limited per mobile (429 with `Retry-After`).",
)
def public_signup(request, activity_id: Id, payload: PublicSignupIn):
    activity = get_object_or_404(selectors.activity_public_qs(), pk=activity_id)
    signup = services.signup_by_phone(
        activity=activity, name=payload.name, phone=payload.phone, code=payload.code
    )
    return Status(201, signup)


@public.post(
    "/activities/{activity_id}/signups/cancel",
    response={200: PublicSignupOut, **errors(400, 404, 409, 429)},
    summary="Cancel a sign-up by mobile",
    description="With a new one-time code sent to the same mobile.",
)
def public_signup_cancel(request, activity_id: Id, payload: PublicCancelIn):
    activity = get_object_or_404(selectors.activity_public_qs(), pk=activity_id)
    return services.signup_cancel_by_phone(
        activity=activity, phone=payload.phone, code=payload.code
    )


__all__ = ["router", "public"]
