"""The appeals API under /api/v1/: file, list, queue, act, timeline, numbers,
and the public endpoints a resident's app uses without an account.

Handlers are thin: ids are fetched through scoped selectors (404 for "not
yours"), writes go through `services.appeal_file` / `services.appeal_act`.
"""

import datetime as dt

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router
from ninja.files import UploadedFile
from ninja.pagination import paginate
from ninja.responses import Status as HttpStatus

from linli.core.api_schemas import WRITE_ERRORS, Paged, errors
from linli.core.errors import InvalidInput, NotFound
from linli.core.idempotency import idempotent
from linli.core.inputs import Count, Id
from linli.org import selectors as org_selectors
from linli.org.models import Department, Unit

from . import policy, selectors, services, throttle
from .models import Appeal, Category, Level
from .schemas import (
    ActionIn,
    AppealDetailOut,
    AppealFilters,
    AppealIn,
    AppealOut,
    CaseCode,
    CategoryOut,
    CodeSentOut,
    DepartmentOut,
    EventOut,
    FiledOut,
    Note,
    PublicAppealIn,
    PublicAppealOut,
    PublicCodeIn,
    PublicUnitOut,
    StatsOut,
    StatsQuery,
    TrackIn,
)
from .workflow import Action, actions_for

router = Router(tags=["appeals"])
public = Router(tags=["public"], auth=None)


def _category(code: str) -> Category:
    cat = Category.objects.filter(code=(code or "").strip(), active=True).first()
    if cat is None:
        raise InvalidInput(_("Unknown category."), code="category")
    return cat


def _categories() -> list[dict]:
    out = []
    for top, children in selectors.categories_tree():
        out.append(
            {
                "code": top.code,
                "name": top.name,
                "kind": top.kind,
                "default_department": None,
                "children": [
                    {
                        "code": c.code,
                        "name": c.name,
                        "kind": c.kind,
                        "default_department": c.default_department.name
                        if c.default_department_id
                        else None,
                        "children": [],
                    }
                    for c in children
                ],
            }
        )
    return out


@router.get(
    "/appeal-categories",
    response={200: list[CategoryOut], **errors(401)},
    summary="The category tree",
)
def category_list(request):
    return _categories()


@router.get(
    "/departments",
    response={200: list[DepartmentOut], **errors(401)},
    summary="Departments to refer to",
)
def department_list(request):
    return Department.objects.filter(active=True).order_by("name")


@router.post("/appeals", response={201: FiledOut, **WRITE_ERRORS}, summary="File an appeal")
@idempotent("appeals.create")
def appeal_create(request, payload: AppealIn):
    household = (
        org_selectors.household_get(request.user, payload.household_id)
        if payload.household_id
        else None
    )
    unit = org_selectors.unit_get(request.user, payload.unit_id) if payload.unit_id else None
    appeal = services.appeal_file(
        actor=request.user,
        category=_category(payload.category),
        description=payload.description,
        title=payload.title,
        urgency=payload.urgency,
        channel=payload.channel,
        household=household,
        unit=unit,
        address=payload.address,
        latitude=payload.latitude,
        longitude=payload.longitude,
        reporter_name=payload.reporter_name,
        reporter_phone=payload.reporter_phone,
    )
    return HttpStatus(201, appeal)


@router.get(
    "/appeals", response={200: list[AppealOut], **errors(400, 401, 404)}, summary="List appeals"
)
@paginate(Paged)
def appeal_list(request, filters: Query[AppealFilters]):
    unit = org_selectors.unit_get(request.user, filters.unit) if filters.unit else None
    return selectors.appeals_filtered(
        request.user,
        status=filters.status or "",
        level=filters.level or "",
        kind=filters.kind or "",
        category=filters.category or "",
        q=filters.q or "",
        overdue=filters.overdue,
        unit=unit,
        mine=filters.mine,
    ).select_related("merged_into")


@router.get(
    "/appeals/queue", response={200: list[AppealOut], **errors(400, 401)}, summary="My to-do queue"
)
@paginate(Paged)
def appeal_queue(request, level: Level | None = None):
    return selectors.queue_for(request.user, level).select_related("merged_into")


@router.get(
    "/appeals/stats",
    response={200: StatsOut, **errors(400, 401, 404)},
    summary="Response, on-time, resolution and satisfaction rates",
    description="Appeals filed between `start` and `end` (inclusive, local dates) from the "
    "unit's subtree, in total and per child unit; and where they were resolved.",
)
def appeal_stats(request, query: Query[StatsQuery]):
    unit = org_selectors.unit_get(request.user, query.unit)
    if query.end < query.start:
        raise InvalidInput(_("The end date is before the start date."), code="period")
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(query.start, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(query.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    total, children = selectors.appeal_rates(request.user, unit, start, end)
    return {"total": total.as_dict(), "children": [c.as_dict() for c in children]}


def _detail(request, appeal: Appeal) -> Appeal:
    caps = policy.capacities(request.user, appeal)
    appeal.actions = [str(a) for a in actions_for(appeal.status, caps, appeal.kind, appeal.level)]
    appeal.photo_urls = [f"/appeals/photos/{p.pk}/" for p in appeal.photos.all()]
    return appeal


@router.get(
    "/appeals/{code}",
    response={200: AppealDetailOut, **errors(400, 401, 404)},
    summary="Get an appeal",
)
def appeal_detail(request, code: CaseCode):
    return _detail(request, selectors.appeal_get(request.user, code))


@router.get(
    "/appeals/{code}/events",
    response={200: list[EventOut], **errors(400, 401, 404)},
    summary="The appeal's timeline",
)
def appeal_events(request, code: CaseCode):
    return selectors.timeline(selectors.appeal_get(request.user, code))


@router.post(
    "/appeals/{code}/actions/{action}",
    response={200: AppealOut, **WRITE_ERRORS},
    summary="Take an action",
    description="`action` is one of the workflow's actions (`expire_visit` is the system's "
    "only). A refused action changes nothing: 409 `invalid_transition` for the wrong status, "
    "`already_claimed`, `stale`; 403 `not_allowed` for the wrong role or level; 400 `invalid` "
    "for an action that does not exist.",
)
def appeal_action(request, code: CaseCode, action: Action, payload: ActionIn):
    appeal = selectors.appeal_get(request.user, code)
    department = (
        get_object_or_404(Department, pk=payload.department_id, active=True)
        if payload.department_id
        else None
    )
    merge_into = (
        selectors.appeal_get(request.user, payload.merge_into) if payload.merge_into else None
    )
    unit = org_selectors.unit_get(request.user, payload.unit_id) if payload.unit_id else None
    assignee = (
        selectors.assignable_handler(appeal, payload.assignee_id)
        if action == Action.REASSIGN and payload.assignee_id
        else None
    )
    party = (
        {"name": payload.party_name, "phone": payload.party_phone, "role": payload.party_side}
        if action == Action.PARTY_ADD
        else None
    )
    return services.appeal_act(
        actor=request.user,
        appeal=appeal,
        action=action,
        note=payload.note,
        version=payload.version,
        department=department,
        merge_into=merge_into,
        unit=unit,
        rating=payload.rating,
        party=party,
        held_at=payload.held_at,
        assignee=assignee,
        internal=payload.internal,
    )


@router.post(
    "/appeals/{code}/photos",
    response={200: AppealOut, **WRITE_ERRORS},
    summary="Add photos with a note (multipart)",
)
@idempotent("appeals.photos")
def appeal_photos(
    request,
    code: CaseCode,
    note: Form[Note],
    files: File[list[UploadedFile]],
    version: Form[Count | None] = None,
):
    appeal = selectors.appeal_get(request.user, code)
    return services.appeal_act(
        actor=request.user,
        appeal=appeal,
        action=Action.NOTE,
        note=note,
        photos=files,
        version=version,
    )


# --- public (no account) ----------------------------------------------------------------


@public.get("/appeal-categories", response=list[CategoryOut], summary="The category tree")
def public_categories(request):
    return _categories()


@public.get(
    "/units", response={200: list[PublicUnitOut], **errors(400)}, summary="Units to report from"
)
def public_units(request, parent: Id | None = None):
    """Towns at the top (`parent` omitted), then villages and groups below a unit."""
    qs = Unit.objects.all()
    if parent is None:
        roots = Unit.objects.filter(parent__isnull=True)
        qs = qs.filter(parent__in=roots)
    else:
        qs = qs.filter(parent_id=parent)
    return qs.order_by("path")[:500]


@public.post(
    "/codes",
    response={202: CodeSentOut, **errors(400, 409, 429)},
    summary="Send a one-time code",
    description="Limited per client address and per mobile (429 with `Retry-After`).",
)
def public_code(request, payload: PublicCodeIn):
    throttle.code_request(request)
    services.phone_code_request(phone=payload.phone)
    return HttpStatus(202, {"sent": True})


@public.post(
    "/appeals",
    response={201: FiledOut, **errors(400, 404, 409, 429)},
    summary="Report an appeal",
    description="Wrong codes are limited per mobile (429 with `Retry-After`).",
)
@idempotent("appeals.public_file")
def public_file(request, payload: PublicAppealIn):
    phone = services.phone_code_verify(phone=payload.phone, code=payload.code)
    unit = get_object_or_404(Unit, pk=payload.unit_id) if payload.unit_id else None
    appeal = services.appeal_file(
        actor=None,
        category=_category(payload.category),
        description=payload.description,
        title=payload.title,
        urgency=payload.urgency,
        unit=unit,
        address=payload.address,
        latitude=payload.latitude,
        longitude=payload.longitude,
        reporter_name=payload.reporter_name,
        reporter_phone=phone,
    )
    return HttpStatus(201, appeal)


@public.post(
    "/track",
    response={200: PublicAppealOut, **errors(400, 404, 429)},
    summary="Follow an appeal",
    description="Limited per client address and, for wrong mobiles, per case code "
    "(429 with `Retry-After`).",
)
def public_track(request, payload: TrackIn):
    from linli.core.validators import normalize_mobile

    throttle.track_attempt(request, payload.code)
    try:
        phone = normalize_mobile(payload.phone)
        appeal = selectors.appeal_for_resident(payload.code, phone)
    except (InvalidInput, NotFound):
        throttle.track_failed(payload.code)
        raise NotFound(_("No appeal matches this case code and mobile number.")) from None
    appeal.public_events = list(selectors.timeline(appeal, public=True))
    return appeal


__all__ = ["router", "public"]
