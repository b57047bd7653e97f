"""Pages of the evaluation: a unit's ranking of a year (with its child units and the
Excel export), one score and why ("why this score": each part with its figures and
the records behind it), a representative's own scores, and the city's weights (the
versions of a year, a new version, a recomputation).

Thin: reads through selectors, writes through services.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import BadRequest
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from linli.accounts.access import roles_required
from linli.accounts.models import Role
from linli.core.errors import DomainError
from linli.core.inputs import EVENT_YEARS, is_id
from linli.core.paging import paginate
from linli.core.timeutil import today

from . import exports, policy, selectors, services
from .forms import RankingFilterForm, WeightsForm
from .models import DEFAULT_TARGETS, DEFAULT_WEIGHTS, PARTS, RunReason, points_text

if TYPE_CHECKING:
    from linli.accounts.models import User

SEE_ROLES = policy.SEE_ROLES
OWN_ROLES = frozenset({Role.REPRESENTATIVE})
WEIGHT_ROLES = policy.WEIGHT_ROLES


def _actor(request: HttpRequest) -> User:
    return cast("User", request.user)


def _year(request: HttpRequest) -> int:
    """The year asked for (default: this one); a year not begun or out of range is a 400."""
    value = request.GET.get("year", "")
    if not value:
        return today().year
    if not value.isdigit() or not EVENT_YEARS[0] <= int(value) <= today().year:
        raise BadRequest(_("The year is not valid."))
    return int(value)


def _years(year: int) -> list[int]:
    return sorted(set(selectors.years()) | {year}, reverse=True)[:6]


def _unit(request: HttpRequest) -> Any:
    value = request.GET.get("unit", "")
    if not value:
        return selectors.default_unit(request.user)
    if not is_id(value):
        raise BadRequest(_("The unit is not valid."))
    unit = selectors.units_visible(request.user).filter(pk=value).select_related("parent").first()
    if unit is None:
        raise Http404
    return unit


def _status(year: int) -> dict[str, Any]:
    """When the year's scores were computed, with which version, and whether a newer
    version waits for the next computation."""
    run = selectors.last_run(year)
    model = selectors.current_model(year)
    return {
        "run": run,
        "model": model,
        "behind": run is not None and model is not None and run.model_id != model.pk,
    }


@roles_required(SEE_ROLES)
def ranking(request: HttpRequest) -> HttpResponse:
    year = _year(request)
    unit = _unit(request)
    form = RankingFilterForm(request.GET or None)
    q = form.cleaned_data.get("q", "") if form.is_bound and form.is_valid() else ""
    page = None
    children: list[Any] = []
    up = None
    if unit is not None:
        page = paginate(selectors.ranking(request.user, unit, year, q=q), request.GET.get("page"))
        children = selectors.children_summary(request.user, unit, year)
        if unit.parent_id:
            up = selectors.units_visible(request.user).filter(pk=unit.parent_id).first()
    query = urlencode({k: v for k, v in request.GET.items() if k != "page" and v})
    return render(
        request,
        "evaluation/ranking.html",
        {
            "year": year,
            "years": _years(year),
            "unit": unit,
            "up": up,
            "form": form,
            "page": page,
            "children": children,
            "rank_field": selectors.rank_field(unit) if unit is not None else "rank_city",
            "level": selectors.level_of(unit) if unit is not None else "city",
            "query": query,
            "may_set_weights": policy.can_set_weights(request.user),
            **_status(year),
        },
        status=400 if form.errors else 200,
    )


@roles_required(SEE_ROLES)
def export(request: HttpRequest) -> FileResponse:
    year = _year(request)
    unit = _unit(request)
    if unit is None:
        raise Http404
    form = RankingFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        raise BadRequest(_("Some filters are not valid."))
    q = form.cleaned_data.get("q", "") if form.is_bound else ""
    result = exports.ranking_xlsx(
        user=_actor(request),
        unit=unit,
        year=year,
        scores=selectors.ranking(request.user, unit, year, q=q),
        rank_field=selectors.rank_field(unit),
    )
    return FileResponse(
        result.file,
        as_attachment=True,
        filename=result.filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def score(request: HttpRequest, year: int, rep_id: int) -> HttpResponse:
    """One score and why: a representative's own, or one of the cadre's subtree (404
    to anyone else, and to visitors)."""
    if not request.user.is_authenticated:
        raise Http404
    if not EVENT_YEARS[0] <= year <= today().year:
        raise Http404
    found = selectors.score_get(request.user, rep_id, year)
    parts = selectors.breakdown(found)
    return render(
        request,
        "evaluation/score.html",
        {
            "score": found,
            "parts": parts,
            "parts_sum": points_text(sum(p.points_raw for p in parts)),
            "records": selectors.records_of(found),
            "own": found.representative_id in policy.own_ids(request.user),
            "sees_rankings": policy.sees_rankings(request.user),
            "last_year": year - 1,
            **_status(year),
        },
    )


@roles_required(OWN_ROLES)
def mine(request: HttpRequest) -> HttpResponse:
    scores = list(selectors.own_scores(request.user))
    return render(
        request,
        "evaluation/mine.html",
        {"scores": scores, "this_year": today().year},
    )


@roles_required(WEIGHT_ROLES)
def weights(request: HttpRequest) -> HttpResponse:
    if not policy.can_set_weights(request.user):
        raise Http404
    year = _year(request)
    current = selectors.current_model(year)
    base_w = current.weights if current else DEFAULT_WEIGHTS
    base_t = current.targets if current else DEFAULT_TARGETS
    initial = {f"w_{p}": int(base_w.get(p, 0)) for p in PARTS}
    initial.update({f"t_{n}": int(v) for n, v in base_t.items()})
    action = request.POST.get("action", "") if request.method == "POST" else ""
    form = WeightsForm(request.POST if action == "weights" else None, initial=initial)
    status = 200
    if action == "weights":
        if form.is_valid():
            try:
                model = services.weights_set(
                    actor=_actor(request),
                    year=year,
                    weights=form.weights(),
                    targets=form.targets(),
                    note=form.cleaned_data["note"],
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                messages.success(
                    request,
                    _(
                        "Version %(v)s of %(year)s was saved; the scores are computed again "
                        "with it within a few minutes."
                    )
                    % {"v": model.version, "year": year},
                )
                return redirect(f"{reverse('evaluation:weights')}?year={year}")
        else:
            status = 400
    elif action == "recompute":
        try:
            run = services.scores_compute(year, reason=RunReason.REQUEST, actor=_actor(request))
        except DomainError as exc:
            messages.error(request, exc.message)
            status = exc.status
        else:
            messages.success(
                request,
                _("%(n)d scores of %(year)s were computed.")
                % {"n": run.representatives, "year": year},
            )
            return redirect(f"{reverse('evaluation:weights')}?year={year}")
    elif action:
        raise Http404
    return render(
        request,
        "evaluation/weights.html",
        {
            "year": year,
            "years": _years(year),
            "form": form,
            "versions": selectors.models_of(year),
            "runs": selectors.runs_of(year),
            "weight_sum": sum(int(base_w.get(p, 0)) for p in PARTS),
            **_status(year),
        },
        status=status,
    )
