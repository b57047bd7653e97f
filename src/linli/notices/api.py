"""The notices API under /api/v1/notices: list, detail, publish, withdraw, the reach per
child unit, a representative's households still to reach, deliveries (one or several).

Thin: every id is fetched through a scoped selector (404 for "not yours"), every write
goes through a service (403 `not_your_unit`, `not_your_record`; 400 `not_in_notice`,
`not_linked`; 409 `notice_withdrawn`, `already_withdrawn`).
"""

from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.pagination import paginate
from ninja.responses import Status

from linli.core.api_schemas import WRITE_ERRORS, Paged, errors
from linli.core.errors import InvalidInput, NotFound
from linli.core.idempotency import idempotent
from linli.core.inputs import Id
from linli.org import selectors as org_selectors

from . import selectors, services
from .schemas import (
    DeliveryBulkIn,
    DeliveryBulkOut,
    DeliveryIn,
    DeliveryOut,
    MyHouseholdsOut,
    NoticeFilters,
    NoticeIn,
    NoticeOut,
    NoticeWithdrawIn,
    ReachOut,
    my_out,
    reach_out,
)

router = Router(tags=["notices"])


@router.get(
    "/notices",
    response={200: list[NoticeOut], **errors(400, 401, 404)},
    summary="List policy notices",
    description="The notices published in your scope, above it (reaching it) or, for a "
    "representative, to the units they serve in; newest first.",
)
@paginate(Paged)
def notice_list(request, filters: Query[NoticeFilters]):
    unit = org_selectors.unit_get(request.user, filters.unit) if filters.unit else None
    return selectors.notices_filtered(
        request.user,
        kind=filters.kind or "",
        status=filters.status or "",
        q=filters.q,
        unit=unit,
        urgent=filters.urgent,
    )


@router.post(
    "/notices",
    response={201: NoticeOut, **WRITE_ERRORS},
    summary="Publish a policy notice",
    description="To the households of the unit's subtree. The representatives there are "
    "told in-app shortly after (by the `notices.announce` tick). Urgent notices need "
    "`remind_after` (1 to 168 hours).",
)
@idempotent("notices.publish")
def notice_create(request, payload: NoticeIn):
    unit = org_selectors.unit_get(request.user, payload.unit_id)
    notice = services.notice_publish(
        actor=request.user,
        unit=unit,
        kind=payload.kind,
        title=payload.title,
        body=payload.body,
        urgent=payload.urgent,
        remind_after=payload.remind_after,
    )
    return Status(201, notice)


@router.get(
    "/notices/{notice_id}",
    response={200: NoticeOut, **errors(400, 401, 404)},
    summary="One policy notice",
)
def notice_detail(request, notice_id: Id):
    return selectors.notice_get(request.user, notice_id)


@router.post(
    "/notices/{notice_id}/withdraw",
    response={200: NoticeOut, **WRITE_ERRORS},
    summary="Withdraw a notice, with the reason",
)
def notice_withdraw(request, notice_id: Id, payload: NoticeWithdrawIn):
    notice = selectors.notice_get(request.user, notice_id)
    return services.notice_withdraw(actor=request.user, notice=notice, reason=payload.reason)


@router.get(
    "/notices/{notice_id}/reach",
    response={200: ReachOut, **errors(400, 401, 404)},
    summary="Households reached, per child unit",
    description="Reached / total households of `unit` (default: the notice's unit, or the "
    "top of your scope inside it) and of each child unit; from a village down, also per "
    "representative.",
)
def notice_reach(request, notice_id: Id, unit: Id | None = None):
    notice = selectors.notice_get(request.user, notice_id)
    where = selectors.reach_unit(request.user, notice, unit)
    if where is None:
        raise NotFound(_("Unit not found."))
    return reach_out(selectors.reach(request.user, notice, where))


def _rep(request, pk):
    if pk is not None:
        return org_selectors.representative_get(request.user, pk)
    rep = selectors.my_representative(request.user)
    if rep is None:
        raise InvalidInput(
            _("Name the representative: you are not a serving representative."),
            code="representative",
        )
    return rep


@router.get(
    "/notices/{notice_id}/households",
    response={200: MyHouseholdsOut, **errors(400, 401, 404)},
    summary="A representative's households still to reach",
    description="Your own (as a representative), or those of `representative` in your scope.",
)
def notice_households(request, notice_id: Id, representative: Id | None = None):
    notice = selectors.notice_get(request.user, notice_id)
    rep = _rep(request, representative)
    progress = selectors.my_progress([notice], rep)[notice.pk]
    return my_out(notice, rep.pk, progress, selectors.households_to_reach(notice, rep))


@router.get(
    "/notices/{notice_id}/deliveries",
    response={200: list[DeliveryOut], **errors(400, 401, 404)},
    summary="Deliveries of a notice",
    description="In your scope: the subtrees of your household roles, or your own households.",
)
@paginate(Paged)
def delivery_list(request, notice_id: Id):
    notice = selectors.notice_get(request.user, notice_id)
    return selectors.deliveries_visible_to(request.user, notice)


@router.post(
    "/notices/{notice_id}/deliveries",
    response={201: DeliveryOut, 200: DeliveryOut, **WRITE_ERRORS},
    summary="Record that a household was reached",
    description="Phone or in person also records the week's contact (role policy "
    "publicist); online does not. Recorded once per household: a repeat answers 200 with "
    "the delivery already recorded.",
)
def delivery_create(request, notice_id: Id, payload: DeliveryIn):
    notice = selectors.notice_get(request.user, notice_id)
    # A household the caller sees (theirs, or in their scope); 404 otherwise.
    household = org_selectors.household_get(request.user, payload.household_id)
    rep = (
        org_selectors.representative_get(request.user, payload.representative_id)
        if payload.representative_id is not None
        else None
    )
    result = services.delivery_record(
        actor=request.user,
        notice=notice,
        household=household,
        method=payload.method,
        representative=rep,
    )
    return Status(201 if result.created else 200, result.delivery)


@router.post(
    "/notices/{notice_id}/deliveries/bulk",
    response={200: DeliveryBulkOut, **WRITE_ERRORS},
    summary="Record several households as reached",
    description="All or none (at most 500); typically `online` for a WeChat group.",
)
def delivery_bulk(request, notice_id: Id, payload: DeliveryBulkIn):
    notice = selectors.notice_get(request.user, notice_id)
    ids = list(dict.fromkeys(payload.household_ids))
    households = list(org_selectors.households_visible_to(request.user).filter(pk__in=ids))
    if len(households) != len(ids):
        raise NotFound(_("Household not found."))
    results = services.deliveries_record(
        actor=request.user, notice=notice, households=households, method=payload.method
    )
    return {
        "recorded": sum(r.created for r in results),
        "already": sum(not r.created for r in results),
        "deliveries": [r.delivery for r in results],
    }


__all__ = ["router"]
