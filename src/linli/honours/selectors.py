"""Every read of the hundred best, their benefits and the reserve pool, scoped by
`policy` ("not yours" and "not there" are the same `NotFound`), and the public reads of
the notice and the final list (names, villages, citations and scores only)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Count, Q, QuerySet, Value, When
from django.utils.translation import gettext as _

from linli.conduct.selectors import severe_confirmed
from linli.core.errors import NotFound
from linli.core.inputs import is_id
from linli.core.timeutil import today
from linli.evaluation.models import Score
from linli.org.models import TOWN_DEPTH, Unit

from . import policy
from .models import (
    DEFAULT_MAX_AGE,
    DEFAULT_MIN_SCORE,
    HOLDING,
    BenefitIssue,
    BenefitKind,
    Nomination,
    NominationEvent,
    NominationStatus,
    Objection,
    ObjectionStatus,
    Quota,
    ReserveCandidate,
    ReserveRule,
    Selection,
    SelectionStage,
)

# --- breaches --------------------------------------------------------------------------------


def breached(representative_ids: list[int], year: int) -> set[int]:
    """Of these representatives, those with a confirmed severe breach in the selection's
    year or in the year it is decided in (a breach confirmed after the nomination, in
    the next year, excludes too)."""
    out = severe_confirmed(representative_ids, year)
    now = today().year
    if now != year:
        out |= severe_confirmed(representative_ids, now)
    return out


# --- selections and quotas -------------------------------------------------------------------


def selection_of(year: int) -> Selection | None:
    return Selection.objects.filter(year=year).first()


def selection_get(year: int) -> Selection:
    found = selection_of(year)
    if found is None:
        raise NotFound(_("No selection for this year."))
    return found


def selection_years() -> list[int]:
    have = set(Selection.objects.values_list("year", flat=True))
    have.add(today().year - 1)
    return sorted(have, reverse=True)


def quotas_of(selection: Selection) -> list[Quota]:
    return list(selection.quotas.select_related("town", "submitted_by").order_by("town__path"))


def quota_of(selection: Selection, town: Unit) -> Quota | None:
    return selection.quotas.filter(town=town).first()


def held_count(selection: Selection, town: Unit) -> int:
    return selection.nominations.filter(town=town, status__in=HOLDING).count()


def towns() -> QuerySet[Unit]:
    return Unit.objects.filter(depth=TOWN_DEPTH).order_by("path")


def towns_for(user: Any) -> QuerySet[Unit]:
    """The towns whose steps the user may take."""
    return towns().filter(policy.town_units_q(user))


def town_get(user: Any, pk: Any) -> Unit:
    if not is_id(pk):
        raise NotFound(_("No such town."))
    unit = towns_for(user).filter(pk=int(pk)).first()
    if unit is None:
        raise NotFound(_("No such town."))
    return unit


# --- nominations -----------------------------------------------------------------------------


def nominations_visible_to(user: Any) -> QuerySet[Nomination]:
    return Nomination.objects.filter(policy.visible_q(user)).select_related(
        "representative", "town", "village", "selection"
    )


def nominations_of(
    user: Any, selection: Selection, *, status: str = "", town: Unit | None = None
) -> QuerySet[Nomination]:
    qs = nominations_visible_to(user).filter(selection=selection)
    if status:
        qs = qs.filter(status=status)
    if town is not None:
        qs = qs.filter(town=town)
    return qs.annotate(
        open_objections=Count("objections", filter=Q(objections__status=ObjectionStatus.OPEN))
    ).order_by("town__path", "rank_town", "id")


def nomination_get(user: Any, pk: Any) -> Nomination:
    if not is_id(pk):
        raise NotFound(_("No such nomination."))
    found = nominations_visible_to(user).filter(pk=int(pk)).first()
    if found is None:
        raise NotFound(_("No such nomination."))
    return found


def events_of(nomination: Nomination) -> list[NominationEvent]:
    return list(nomination.events.select_related("actor").order_by("at", "id"))


def selection_events(selection: Selection) -> list[NominationEvent]:
    """The selection's own steps (stages, quotas, submissions), each with the label of
    the stage it moved to (`stage_label`)."""
    events = list(
        selection.events.filter(nomination__isnull=True)
        .select_related("actor")
        .order_by("at", "id")
    )
    labels = dict(SelectionStage.choices)
    for e in events:
        e.stage_label = labels.get(e.data.get("stage", ""), "")  # type: ignore[attr-defined]
    return events


def objections_of(nomination: Nomination) -> list[Objection]:
    return list(nomination.objections.select_related("decided_by").order_by("created_at", "id"))


@dataclass
class RankRow:
    score: Score
    nominated: bool
    breached: bool

    @property
    def eligible(self) -> bool:
        return not (self.score.excluded or self.breached or self.nominated)


def town_ranking(selection: Selection, town: Unit, limit: int = 200) -> list[RankRow]:
    """The town's scores of the selection's year, best first (the excluded last), with
    whether each is already nominated or barred by a severe breach."""
    scores = list(
        Score.objects.filter(year=selection.year, town_path=town.path)
        .select_related("representative", "unit", "model")
        .order_by("excluded", "rank_town", "-total", "pk")[:limit]
    )
    ids = [s.representative_id for s in scores]
    barred = breached(ids, selection.year)
    nominated = set(
        selection.nominations.filter(representative_id__in=ids).values_list(
            "representative_id", flat=True
        )
    )
    return [
        RankRow(s, s.representative_id in nominated, s.representative_id in barred) for s in scores
    ]


def in_order(queryset: Any, ids: list[int]) -> Any:
    """`queryset` narrowed to `ids`, in the order of `ids`."""
    if not ids:
        return queryset.none()
    order = Case(*(When(pk=pk, then=Value(i)) for i, pk in enumerate(ids)))
    return queryset.filter(pk__in=ids).order_by(order)


def notice_running(selection: Selection | None) -> bool:
    """Whether the selection is in its public notice and the notice has not ended: the
    list can be made final only from the day after `notice_ends`."""
    return (
        selection is not None
        and selection.stage == SelectionStage.NOTICE
        and selection.notice_ends is not None
        and today() <= selection.notice_ends
    )


def suggestions(selection: Selection, town: Unit) -> list[RankRow]:
    """The first `quota` eligible of the town's ranking, less the seats already held."""
    quota = quota_of(selection, town)
    free = (quota.seats if quota else 0) - held_count(selection, town)
    if free <= 0:
        return []
    return [r for r in town_ranking(selection, town) if r.eligible][:free]


# --- the public notice and the final list ----------------------------------------------------


def public_selection(year: int) -> Selection:
    found = Selection.objects.filter(
        year=year, stage__in=(SelectionStage.NOTICE, SelectionStage.FINAL)
    ).first()
    if found is None:
        raise NotFound(_("No public list for this year."))
    return found


def public_notices() -> list[Selection]:
    """The selections in their public notice now."""
    return list(Selection.objects.filter(stage=SelectionStage.NOTICE).order_by("-year"))


def public_years() -> list[int]:
    return list(
        Selection.objects.filter(stage=SelectionStage.FINAL)
        .order_by("-year")
        .values_list("year", flat=True)
    )


def public_nominees(selection: Selection) -> QuerySet[Nomination]:
    status = (
        NominationStatus.FINAL
        if selection.stage == SelectionStage.FINAL
        else NominationStatus.CITY_APPROVED
    )
    return (
        selection.nominations.filter(status=status)
        .select_related("representative", "village", "town")
        .order_by("town__path", "rank_town", "id")
    )


def public_nominee_get(pk: Any) -> Nomination:
    """A nominee on a notice open now (the objection form's nominee)."""
    if not is_id(pk):
        raise NotFound(_("No such nominee."))
    found = (
        Nomination.objects.filter(
            pk=int(pk),
            status=NominationStatus.CITY_APPROVED,
            selection__stage=SelectionStage.NOTICE,
        )
        .select_related("representative", "village", "town", "selection")
        .first()
    )
    if found is None:
        raise NotFound(_("No such nominee."))
    return found


# --- benefits --------------------------------------------------------------------------------


def benefit_kinds(active_only: bool = False) -> QuerySet[BenefitKind]:
    qs = BenefitKind.objects.all()
    return qs.filter(active=True) if active_only else qs


def final_list(user: Any, year: int) -> QuerySet[Nomination]:
    """The year's final list, the part the user sees."""
    return (
        nominations_visible_to(user)
        .filter(selection__year=year, status=NominationStatus.FINAL)
        .order_by("town__path", "rank_town", "id")
    )


def issues_visible_to(user: Any) -> QuerySet[BenefitIssue]:
    return BenefitIssue.objects.filter(policy.visible_q(user)).select_related(
        "kind", "representative", "issued_by", "revoked_by"
    )


def issues_of(user: Any, year: int, *, kind: BenefitKind | None = None) -> QuerySet[BenefitIssue]:
    qs = issues_visible_to(user).filter(year=year)
    if kind is not None:
        qs = qs.filter(kind=kind)
    return qs.order_by("unit_path", "representative__name", "kind__name", "id")


def issue_get(user: Any, pk: Any) -> BenefitIssue:
    if not is_id(pk):
        raise NotFound(_("No such benefit record."))
    found = issues_visible_to(user).filter(pk=int(pk)).first()
    if found is None:
        raise NotFound(_("No such benefit record."))
    return found


# --- the reserve pool ------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleInForce:
    year: int
    max_age: int
    min_score: int
    own: ReserveRule | None


def reserve_rule(year: int) -> RuleInForce:
    rule = ReserveRule.objects.filter(year=year).first()
    if rule is None:
        return RuleInForce(year, DEFAULT_MAX_AGE, DEFAULT_MIN_SCORE, None)
    return RuleInForce(year, rule.max_age, rule.min_score, rule)


def candidates_visible_to(user: Any) -> QuerySet[ReserveCandidate]:
    return ReserveCandidate.objects.filter(policy.visible_q(user)).select_related(
        "representative", "representative__unit__parent", "decided_by"
    )


def candidates_of(
    user: Any, *, year: int | None = None, status: str = "", unit: Unit | None = None
) -> QuerySet[ReserveCandidate]:
    qs = candidates_visible_to(user)
    if year is not None:
        qs = qs.filter(year=year)
    if status:
        qs = qs.filter(status=status)
    if unit is not None:
        qs = qs.filter(unit_path__startswith=unit.path)
    return qs.order_by("-year", "unit_path", "-score_total", "id")


def candidate_get(user: Any, pk: Any) -> ReserveCandidate:
    if not is_id(pk):
        raise NotFound(_("No such candidate."))
    found = candidates_visible_to(user).filter(pk=int(pk)).first()
    if found is None:
        raise NotFound(_("No such candidate."))
    return found


def units_visible(user: Any) -> QuerySet[Unit]:
    """Towns and villages the user may filter by."""
    qs = Unit.objects.filter(depth__in=(TOWN_DEPTH, TOWN_DEPTH + 1)).select_related("parent")
    return qs.filter(policy.visible_q(user, "path")).order_by("path")
