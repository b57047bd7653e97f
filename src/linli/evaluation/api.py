"""The evaluation API under /api/v1/evaluation/: a unit's ranking of a year, one
representative's score with its parts, and the city's weights (read; a new version).

Thin: reads through scoped selectors (404 for "not yours"), writes through `services`.
"""

from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.pagination import paginate
from ninja.responses import Status

from linli.core.api_schemas import WRITE_ERRORS, Paged, errors
from linli.core.errors import NotFound
from linli.core.inputs import Id
from linli.core.timeutil import today

from . import policy, selectors, services
from .schemas import (
    ModelOut,
    ScoreDetailOut,
    ScoreFilters,
    ScoreOut,
    ScoreQuery,
    WeightsIn,
    Year,
)

router = Router(tags=["evaluation"])


@router.get(
    "/evaluation/scores",
    response={200: list[ScoreOut], **errors(400, 401, 404)},
    summary="A unit's ranking of a year",
    description="Leaders and cadres: the scores of the unit's subtree, best first by the "
    "rank of the unit's level (village, town or city); the excluded last. A "
    "representative: their own score of the year.",
)
@paginate(Paged)
def score_list(request, filters: Query[ScoreFilters]):
    year = filters.year or today().year
    if not policy.sees_rankings(request.user):
        return selectors.own_scores(request.user).filter(year=year)
    if filters.unit is None:
        unit = selectors.default_unit(request.user)
        if unit is None:
            raise NotFound(_("No such unit."))
    else:
        unit = selectors.unit_get(request.user, filters.unit)
    return selectors.ranking(request.user, unit, year, q=filters.q)


@router.get(
    "/evaluation/scores/{representative_id}",
    response={200: ScoreDetailOut, **errors(400, 401, 404)},
    summary="A representative's score of a year, with its parts",
    description="Your own as a representative; your units' representatives' as a leader "
    "or cadre. The parts' points add up to the total.",
)
def score_detail(request, representative_id: Id, query: Query[ScoreQuery]):
    return selectors.score_get(request.user, representative_id, query.year or today().year)


@router.get(
    "/evaluation/weights/{year}",
    response={200: list[ModelOut], **errors(400, 401, 404)},
    summary="The versions of a year's weights, newest first",
)
def weights_list(request, year: Year):
    return selectors.models_of(year)


@router.post(
    "/evaluation/weights/{year}",
    response={201: ModelOut, **WRITE_ERRORS},
    summary="A new version of a year's weights",
    description="By the city: the year's scores are computed again with it by the next "
    "tick; other years keep theirs. 400 `unchanged` when nothing changes.",
)
def weights_set(request, year: Year, payload: WeightsIn):
    model = services.weights_set(
        actor=request.user,
        year=year,
        weights=payload.weights,
        targets=payload.targets,
        note=payload.note,
    )
    return Status(201, model)
