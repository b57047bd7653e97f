"""Every write of the evaluation: a year's weights (a new version each time) and the
computation of a year's scores."""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.models import AuditAction, User
from linli.accounts.services import audit_record
from linli.core.errors import Forbidden, InvalidInput
from linli.core.inputs import EVENT_YEARS
from linli.core.timeutil import today
from linli.org.models import TOWN_DEPTH, VILLAGE_DEPTH, path_at

from . import facts, policy, scoring
from .models import (
    DEFAULT_TARGETS,
    DEFAULT_WEIGHTS,
    MAX_WEIGHT,
    PART_LABELS,
    PARTS,
    TARGET_LIMITS,
    TARGETS,
    RunReason,
    Score,
    ScoreRun,
    ScoringModel,
)

log = logging.getLogger(__name__)

NOTE_MAX = 200
BATCH = 2000
# The scheduled recomputation of the current year, at most this often.
TICK_EVERY = dt.timedelta(hours=6)


def check_year(year: Any) -> int:
    """A year that has begun: scores of a future year would be empty."""
    if isinstance(year, bool) or not isinstance(year, int):
        raise InvalidInput(_("The year is not valid."), code="year")
    if not EVENT_YEARS[0] <= year <= today().year:
        raise InvalidInput(
            _("The year must be from %(first)s to %(last)s.")
            % {"first": EVENT_YEARS[0], "last": today().year},
            code="year",
        )
    return int(year)


def _check_weights(weights: Any) -> dict[str, int]:
    if not isinstance(weights, dict):
        raise InvalidInput(_("The weights are not valid."), code="weights")
    unknown = set(weights) - set(PARTS)
    if unknown:
        raise InvalidInput(
            _("Unknown part: %(name)s.") % {"name": ", ".join(sorted(map(str, unknown)))},
            code="weights",
        )
    out = {}
    for part in PARTS:
        value = weights.get(part, 0)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_WEIGHT:
            raise InvalidInput(
                _("The weight of %(part)s must be a whole number from 0 to %(max)s.")
                % {"part": PART_LABELS[part], "max": MAX_WEIGHT},
                code="weights",
            )
        out[part] = int(value)
    if sum(out.values()) == 0:
        raise InvalidInput(_("At least one part must have a weight."), code="weights")
    return out


def _check_targets(targets: Any) -> dict[str, int]:
    if not isinstance(targets, dict) or set(targets) - set(TARGETS):
        raise InvalidInput(_("The targets are not valid."), code="targets")
    out = {}
    labels = {
        "activities": _("Activities a year"),
        "training_minutes": _("Training minutes a year"),
    }
    for name in TARGETS:
        value = targets.get(name, DEFAULT_TARGETS[name])
        lo, hi = TARGET_LIMITS[name]
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise InvalidInput(
                _("%(label)s must be a whole number from %(lo)s to %(hi)s.")
                % {"label": labels[name], "lo": lo, "hi": hi},
                code="targets",
            )
        out[name] = int(value)
    return out


def model_for(year: int) -> ScoringModel:
    """The year's current version; the first use of a year starts it from the previous
    year's weights (or the defaults), recorded as version 1 set by no one."""
    current = ScoringModel.objects.filter(year=year).order_by("-version").first()
    if current is not None:
        return current
    before = ScoringModel.objects.filter(year__lt=year).order_by("-year", "-version").first()
    with transaction.atomic():
        model, _created = ScoringModel.objects.get_or_create(
            year=year,
            version=1,
            defaults={
                "weights": dict(before.weights) if before else dict(DEFAULT_WEIGHTS),
                "targets": dict(before.targets) if before else dict(DEFAULT_TARGETS),
                "note": "",
            },
        )
    return model


def weights_set(
    *, actor: User, year: Any, weights: Any, targets: Any, note: str = ""
) -> ScoringModel:
    """A new version of the year's weights and targets. The year's scores are computed
    again with it (by the tick, or at once by `scores_compute`); other years' scores
    keep the version they were computed with."""
    if not policy.can_set_weights(actor):
        raise Forbidden(_("Only the city may set the weights."))
    year = check_year(year)
    weights = _check_weights(weights)
    targets = _check_targets(targets)
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise InvalidInput(
            _("The reason may be at most %(max)s characters.") % {"max": NOTE_MAX}, code="note"
        )
    with transaction.atomic():
        model_for(year)
        last = (
            ScoringModel.objects.select_for_update().filter(year=year).order_by("-version").first()
        )
        assert last is not None
        if last.weights == weights and last.targets == targets:
            raise InvalidInput(_("The weights and targets are unchanged."), code="unchanged")
        model = ScoringModel.objects.create(
            year=year,
            version=last.version + 1,
            weights=weights,
            targets=targets,
            note=note,
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action=AuditAction.EVALUATION_WEIGHTS_SET,
            target=model,
            detail={
                "year": year,
                "version": model.version,
                "weights": weights,
                "targets": targets,
                "previous": last.version,
            },
        )
    return model


def scores_compute(
    year: Any, *, reason: str = RunReason.COMMAND, actor: User | None = None
) -> ScoreRun:
    """Compute every representative's score of the year with its current version and
    replace the year's scores in one transaction (readers see the old set or the new,
    never half of each). Two computations of a year at once take turns on the
    version's row."""
    if actor is not None and reason == RunReason.REQUEST and not policy.can_recompute(actor):
        raise Forbidden(_("Only the city may recompute the scores."))
    year = check_year(year)
    began = time.monotonic()
    model = model_for(year)
    reps, per_rep = facts.gather(year)
    src = facts.sources(year)
    now = timezone.now()
    rows: list[Score] = []
    for rep in reps:
        f = per_rep[rep.id]
        total, parts = scoring.score(f, model.weights, model.targets, src)
        rows.append(
            Score(
                year=year,
                representative_id=rep.id,
                model=model,
                unit_id=rep.unit_id,
                unit_path=rep.unit_path,
                village_path=path_at(rep.unit_path, VILLAGE_DEPTH),
                town_path=path_at(rep.unit_path, TOWN_DEPTH),
                total=total,
                parts={p.name: p.as_json() for p in parts},
                excluded=bool(f.breach_ids),
                breach_ids=list(f.breach_ids),
                computed_at=now,
            )
        )
    _rank(rows)
    with transaction.atomic():
        ScoringModel.objects.select_for_update().filter(pk=model.pk).first()
        run = ScoreRun.objects.create(
            year=year,
            model=model,
            reason=reason,
            requested_by=actor,
            started_at=now,
        )
        for row in rows:
            row.run = run
        Score.objects.filter(year=year).delete()
        Score.objects.bulk_create(rows, batch_size=BATCH)
        run.finished_at = timezone.now()
        run.representatives = len(rows)
        run.milliseconds = int((time.monotonic() - began) * 1000)
        run.save(update_fields=["finished_at", "representatives", "milliseconds"])
        if actor is not None:
            audit_record(
                actor=actor,
                action=AuditAction.EVALUATION_RECOMPUTE,
                target=run,
                detail={"year": year, "version": model.version, "scores": len(rows)},
            )
    log.info("evaluation: %s scores of %s in %s ms", len(rows), year, run.milliseconds)
    return run


def _rank(rows: list[Score]) -> None:
    """Competition ranks in the village, the town and the city; the excluded unranked."""
    ranked = [r for r in rows if not r.excluded]
    city = scoring.competition_ranks([(i, r.total) for i, r in enumerate(ranked)])
    by_town: dict[str, list[tuple[int, int]]] = {}
    by_village: dict[str, list[tuple[int, int]]] = {}
    for i, r in enumerate(ranked):
        r.rank_city = city[i]
        by_town.setdefault(r.town_path, []).append((i, r.total))
        by_village.setdefault(r.village_path, []).append((i, r.total))
    for group in by_town.values():
        for i, rank in scoring.competition_ranks(group).items():
            ranked[i].rank_town = rank
    for group in by_village.values():
        for i, rank in scoring.competition_ranks(group).items():
            ranked[i].rank_village = rank


def stale_years() -> list[int]:
    """Years whose scores are behind: computed with an older version than the year's
    current one, or (the current year) not computed in the last `TICK_EVERY`."""
    out = []
    latest = dict(
        ScoringModel.objects.values("year").annotate(v=Max("version")).values_list("year", "v")
    )
    computed = {
        run.year: run
        for run in ScoreRun.objects.filter(finished_at__isnull=False)
        .select_related("model")
        .order_by("year", "started_at", "id")
    }
    for year, version in latest.items():
        run = computed.get(year)
        if run is not None and run.model.version < version:
            out.append(year)
    this_year = today().year
    run = computed.get(this_year)
    if this_year not in out and (run is None or run.started_at < timezone.now() - TICK_EVERY):
        out.append(this_year)
    return sorted(out)


def scores_tick() -> int:
    """The tick: compute the years that are behind (see `stale_years`)."""
    done = 0
    for year in stale_years():
        reason = RunReason.TICK
        scores_compute(year, reason=reason)
        done += 1
    return done
