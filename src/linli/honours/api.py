"""The hundred best's API under /api/v1/honours/: a selection, nominations (nominate,
the town's and the city's decisions), benefits, the reserve pool; and the public list of
a year under /api/v1/public/honours/ (the notice or the final list, no account).

Thin: ids are fetched through scoped selectors (404 for "not yours"), writes go
through `services`.
"""

from typing import Any

from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.pagination import paginate
from ninja.responses import Status

from linli.core.api_schemas import WRITE_ERRORS, Paged, errors
from linli.core.errors import NotFound
from linli.core.inputs import Id
from linli.core.timeutil import today
from linli.org.models import Representative

from . import selectors, services
from .models import BenefitKind
from .schemas import (
    BenefitFilters,
    BenefitIssueIn,
    BenefitIssueOut,
    HonoursSelectionOut,
    NominateIn,
    NominationAction,
    NominationDecisionIn,
    NominationDetailOut,
    NominationFilters,
    NominationOut,
    PublicHonoursOut,
    ReserveCandidateOut,
    ReserveDecisionIn,
    ReserveFilters,
)
from .schemas import Year as YearParam

router = Router(tags=["honours"])
public = Router(tags=["public"], auth=None)


@router.get(
    "/honours/selections/{year}",
    response={200: HonoursSelectionOut, **errors(400, 401, 404)},
    summary="The hundred-best selection of a year",
    description="Its stage, notice dates and the towns' quotas.",
)
def selection_detail(request, year: YearParam):
    return selectors.selection_get(year)


@router.get(
    "/honours/nominations",
    response={200: list[NominationOut], **errors(400, 401, 404)},
    summary="List nominations",
    description="The nominations of your units' subtrees (town and village cadres, the city).",
)
@paginate(Paged)
def nomination_list(request, filters: Query[NominationFilters]):
    years = selectors.selection_years()
    sel = selectors.selection_get(filters.year or max(years))
    town = None
    if filters.town is not None:
        town = selectors.towns().filter(pk=filters.town).first()
        if town is None:
            raise NotFound(_("No such town."))
    return selectors.nominations_of(request.user, sel, status=filters.status or "", town=town)


@router.get(
    "/honours/nominations/{nomination_id}",
    response={200: NominationDetailOut, **errors(400, 401, 404)},
    summary="A nomination with its history",
)
def nomination_detail(request, nomination_id: Id):
    return selectors.nomination_get(request.user, nomination_id)


def _representative(pk: int) -> Representative:
    rep = Representative.objects.select_related("unit").filter(pk=pk).first()
    if rep is None:
        raise NotFound(_("No such representative."))
    return rep


@router.post(
    "/honours/nominations",
    response={201: NominationOut, **WRITE_ERRORS},
    summary="Nominate a representative",
    description="By the town, from its ranking of the year, within its quota. 400 "
    "`excluded` for a representative with a confirmed severe breach; 409 `quota_full`.",
)
def nominate(request, payload: NominateIn):
    sel = selectors.selection_get(payload.year)
    n = services.nominate(
        actor=request.user,
        selection=sel,
        representative=_representative(payload.representative_id),
        citation=payload.citation,
    )
    return Status(201, selectors.nomination_get(request.user, n.pk))


@router.post(
    "/honours/nominations/{nomination_id}/decision",
    response={200: NominationOut, **WRITE_ERRORS},
    summary="Decide on a nomination",
    description="`town_approve`/`town_reject` by the town in its review; "
    "`city_approve`/`city_reject` by the city; `withdraw` by the city. A severe breach "
    "confirmed since the nomination blocks an approval (409 `breach`).",
)
def nomination_decide(request, nomination_id: Id, payload: NominationDecisionIn):
    n = selectors.nomination_get(request.user, nomination_id)
    action = payload.action
    if action in (NominationAction.TOWN_APPROVE, NominationAction.TOWN_REJECT):
        services.town_decide(
            actor=request.user,
            nomination=n,
            approve=action == NominationAction.TOWN_APPROVE,
            note=payload.note,
        )
    elif action in (NominationAction.CITY_APPROVE, NominationAction.CITY_REJECT):
        services.city_decide(
            actor=request.user,
            nomination=n,
            approve=action == NominationAction.CITY_APPROVE,
            note=payload.note,
        )
    else:
        services.nomination_withdraw(actor=request.user, nomination=n, note=payload.note)
    return selectors.nomination_get(request.user, nomination_id)


@router.get(
    "/honours/benefits",
    response={200: list[BenefitIssueOut], **errors(400, 401)},
    summary="List benefits given to the hundred best",
)
@paginate(Paged)
def benefit_list(request, filters: Query[BenefitFilters]):
    return selectors.issues_of(request.user, filters.year or today().year - 1)


@router.post(
    "/honours/benefits",
    response={201: BenefitIssueOut, **WRITE_ERRORS},
    summary="Record a benefit given",
    description="To one of the year's final list, by their town or the city; one of a "
    "kind a person a year (409 `already_issued`).",
)
def benefit_issue(request, payload: BenefitIssueIn):
    final = (
        selectors.final_list(request.user, payload.year)
        .filter(representative_id=payload.representative_id)
        .select_related("representative__unit")
        .first()
    )
    kind = BenefitKind.objects.filter(pk=payload.kind_id).first()
    if kind is None:
        raise NotFound(_("No such benefit."))
    if final is None:
        raise NotFound(_("No such representative on the final list."))
    issue = services.benefit_issue(
        actor=request.user,
        kind=kind,
        representative=final.representative,
        year=payload.year,
        issued_on=payload.issued_on,
        reference=payload.reference,
    )
    return Status(201, selectors.issue_get(request.user, issue.pk))


@router.get(
    "/honours/reserve",
    response={200: list[ReserveCandidateOut], **errors(400, 401)},
    summary="List reserve cadre candidates",
)
@paginate(Paged)
def reserve_list(request, filters: Query[ReserveFilters]):
    return selectors.candidates_of(
        request.user, year=filters.year or today().year, status=filters.status or ""
    )


@router.post(
    "/honours/reserve/{candidate_id}/decision",
    response={200: ReserveCandidateOut, **WRITE_ERRORS},
    summary="Confirm or decline a reserve candidate",
    description="By the candidate's town; a decline needs a note.",
)
def reserve_decide(request, candidate_id: Id, payload: ReserveDecisionIn):
    c = selectors.candidate_get(request.user, candidate_id)
    services.reserve_decide(
        actor=request.user, candidate=c, confirm=payload.confirm, note=payload.note
    )
    return selectors.candidate_get(request.user, candidate_id)


@public.get(
    "/honours/{year}",
    response={200: PublicHonoursOut, **errors(400, 404)},
    summary="The hundred best of a year: the public notice or the final list",
    description="Names, villages, scores and citations only.",
)
def public_list(request, year: YearParam) -> Any:
    sel = selectors.public_selection(year)
    return {
        "year": sel.year,
        "stage": sel.stage,
        "notice_starts": sel.notice_starts,
        "notice_ends": sel.notice_ends,
        "nominees": list(selectors.public_nominees(sel)),
    }
