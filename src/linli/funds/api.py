"""The service fund API under /api/v1/funds/: funds (allocations) and their ledger
entries, spending, approval or refusal, reversal, the totals of a unit, and a unit's
rule. Amounts are integer fen.

Thin: ids are fetched through scoped selectors (404 for "not yours"), writes go
through `services`.
"""

from typing import Any

from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.pagination import paginate
from ninja.responses import Status

from linli.core.api_schemas import WRITE_ERRORS, Paged, errors
from linli.core.errors import InvalidInput, NotFound
from linli.core.idempotency import idempotent
from linli.core.inputs import Id
from linli.core.timeutil import today
from linli.org import selectors as org_selectors
from linli.org.models import Unit

from . import selectors, services
from .schemas import (
    FundAllocationFilters,
    FundAllocationOut,
    FundDecisionIn,
    FundEntryFilters,
    FundEntryOut,
    FundReversalIn,
    FundRuleIn,
    FundRuleOut,
    FundSpendIn,
    FundTotalsOut,
    FundTotalsQuery,
)

router = Router(tags=["funds"])


def _unit(request: Any, unit_id: int | None) -> Unit | None:
    if unit_id is None:
        return None
    unit = selectors.totals_units(request.user).filter(pk=unit_id).first()
    if unit is None:
        raise NotFound(_("No such unit."))
    return unit


@router.get(
    "/funds/allocations",
    response={200: list[FundAllocationOut], **errors(400, 401, 404)},
    summary="List service funds",
    description="Your own fund as a representative; your units' representatives' as a "
    "leader or cadre.",
)
@paginate(Paged)
def allocation_list(request, filters: Query[FundAllocationFilters]):
    return selectors.allocations_filtered(
        request.user, year=filters.year, unit=_unit(request, filters.unit)
    )


@router.get(
    "/funds/allocations/{allocation_id}",
    response={200: FundAllocationOut, **errors(400, 401, 404)},
    summary="A service fund",
)
def allocation_detail(request, allocation_id: Id):
    return selectors.allocation_get(request.user, allocation_id)


@router.get(
    "/funds/entries",
    response={200: list[FundEntryOut], **errors(400, 401, 404)},
    summary="List ledger entries",
)
@paginate(Paged)
def entry_list(request, filters: Query[FundEntryFilters]):
    allocation = None
    if filters.allocation is not None:
        allocation = selectors.allocation_get(request.user, filters.allocation)
    return selectors.entries_filtered(
        request.user,
        year=filters.year,
        unit=_unit(request, filters.unit),
        status=filters.status or "",
        kind=filters.kind or "",
        allocation=allocation,
        start=filters.start,
        end=filters.end,
    )


@router.post(
    "/funds/entries",
    response={201: FundEntryOut, **WRITE_ERRORS},
    summary="Record a spending from your service fund",
    description="By the representative, from their own fund of the day's year. 409 "
    "`fund_overspent` when it is more than what is left; above the approval threshold "
    "it waits (`pending`) for the village cadre.",
)
@idempotent("funds.spend")
def entry_create(request, payload: FundSpendIn):
    mine = org_selectors.own_representatives(request.user)
    if payload.representative_id is not None:
        mine = [r for r in mine if r.pk == payload.representative_id]
    if not mine:
        raise NotFound(_("No such fund."))
    if len(mine) > 1:
        raise InvalidInput(_("Name your representative record."), code="representative")
    entry = services.fund_spend(
        actor=request.user,
        representative=mine[0],
        amount_fen=payload.amount_fen,
        day=payload.day,
        purpose=payload.purpose,
        household=payload.household_id,
        appeal=payload.appeal_code or None,
        activity=payload.activity_id,
    )
    return Status(201, selectors.entry_get(request.user, entry.pk))


@router.post(
    "/funds/entries/{entry_id}/decision",
    response={200: FundEntryOut, **WRITE_ERRORS},
    summary="Approve or refuse a spending waiting for approval",
    description="By the village cadre above the representative (or the town). A refusal "
    "needs a note.",
)
def entry_decide(request, entry_id: Id, payload: FundDecisionIn):
    entry = selectors.entry_get(request.user, entry_id)
    services.fund_decide(
        actor=request.user, entry=entry, approve=payload.approve, note=payload.note
    )
    return selectors.entry_get(request.user, entry_id)


@router.post(
    "/funds/entries/{entry_id}/reversal",
    response={201: FundEntryOut, **WRITE_ERRORS},
    summary="Reverse a counted spending",
    description="By the representative or the cadre who may approve; the spending is "
    "kept, a reversal linked to it gives its amount back.",
)
def entry_reverse(request, entry_id: Id, payload: FundReversalIn):
    entry = selectors.entry_get(request.user, entry_id)
    reversal = services.fund_reverse(actor=request.user, entry=entry, reason=payload.reason)
    return Status(201, selectors.entry_get(request.user, reversal.pk))


@router.get(
    "/funds/totals",
    response={200: FundTotalsOut, **errors(400, 401, 404)},
    summary="A unit's service fund totals for a year",
    description="The unit's, each child unit's, and from a village down each representative's.",
)
def totals(request, query: Query[FundTotalsQuery]):
    unit = _unit(request, query.unit) or selectors.totals_default_unit(request.user)
    if unit is None:
        raise NotFound(_("No such unit."))
    return selectors.unit_totals(request.user, unit, query.year or today().year)


@router.put(
    "/funds/rules/{unit_id}",
    response={200: FundRuleOut, **WRITE_ERRORS},
    summary="Set a unit's service fund rule for a year",
    description="By the town (or the city): the allocation per representative (400 "
    "`allocation_below_floor` under 200 yuan) and the approval threshold. The year's "
    "allocations already opened below follow it.",
)
def rule_set(request, unit_id: Id, payload: FundRuleIn):
    unit = selectors.rule_unit_get(request.user, unit_id)
    return services.fund_rule_set(
        actor=request.user,
        unit=unit,
        year=payload.year,
        allocation_fen=payload.allocation_fen,
        approval_fen=payload.approval_fen,
    )
