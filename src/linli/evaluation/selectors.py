"""Every read of the evaluation, scoped by `policy`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Substr
from django.utils.translation import gettext as _

from linli.activities.models import Activity, ActivityStatus
from linli.appeals.measures import COUNTED_Q
from linli.appeals.models import Appeal
from linli.conduct.models import Breach
from linli.core.errors import InvalidInput, NotFound
from linli.core.inputs import is_id
from linli.core.timeutil import today
from linli.doorbell.models import Alarm
from linli.funds.models import FundAllocation, yuan
from linli.org.models import TOWN_DEPTH, VILLAGE_DEPTH, Representative, Unit

from . import policy
from .facts import moments, year_bounds
from .models import PART_LABELS, PARTS, Score, ScoreRun, ScoringModel, points_text

# Which rank orders a unit's list: the village's below a village, else the unit's level.
LEVELS = ("city", "town", "village")


def scores_visible_to(user: Any) -> QuerySet[Score]:
    return Score.objects.filter(policy.visible_q(user))


def units_visible(user: Any) -> QuerySet[Unit]:
    return Unit.objects.filter(policy.units_q(user))


def default_unit(user: Any) -> Unit | None:
    """The highest unit whose rankings the user sees."""
    return units_visible(user).order_by("depth", "path").first()


def unit_get(user: Any, pk: Any) -> Unit:
    if not is_id(pk):
        raise InvalidInput(_("The unit is not valid."), code="unit")
    unit = units_visible(user).filter(pk=int(pk)).first()
    if unit is None:
        raise NotFound(_("No such unit."))
    return unit


def level_of(unit: Unit) -> str:
    if unit.depth >= VILLAGE_DEPTH:
        return "village"
    if unit.depth >= TOWN_DEPTH:
        return "town"
    return "city"


def ranking(user: Any, unit: Unit, year: int, *, q: str = "") -> QuerySet[Score]:
    """The scores of the unit's subtree, best first by the rank of the unit's level (the
    excluded last), with what a row shows."""
    level = level_of(unit)
    rank = F(f"rank_{level}")
    qs = scores_visible_to(user).filter(year=year, unit_path__startswith=unit.path)
    if q:
        qs = qs.filter(representative__name__icontains=q)
    return qs.select_related("representative", "unit").order_by(
        rank.asc(nulls_last=True), "-total", "representative__name", "pk"
    )


def rank_field(unit: Unit) -> str:
    return f"rank_{level_of(unit)}"


def score_get(user: Any, representative_id: Any, year: int) -> Score:
    if not is_id(representative_id):
        raise NotFound(_("No such score."))
    score = (
        scores_visible_to(user)
        .select_related("representative", "unit", "model", "run")
        .filter(representative_id=int(representative_id), year=year)
        .first()
    )
    if score is None:
        raise NotFound(_("No such score."))
    return score


def own_scores(user: Any) -> QuerySet[Score]:
    return (
        Score.objects.filter(representative_id__in=policy.own_ids(user))
        .select_related("representative", "unit", "model")
        .order_by("-year")
    )


def representative_of(user: Any, pk: Any) -> Representative:
    """A representative whose score the user may see (their own, or in their subtree)."""
    if not is_id(pk):
        raise NotFound(_("No such representative."))
    rep = Representative.objects.select_related("unit").filter(pk=int(pk)).first()
    if rep is None:
        raise NotFound(_("No such representative."))
    own = rep.pk in policy.own_ids(user)
    if not own and not units_visible(user).filter(pk=rep.unit_id).exists():
        raise NotFound(_("No such representative."))
    return rep


def models_of(year: int) -> list[ScoringModel]:
    return list(ScoringModel.objects.filter(year=year).select_related("created_by"))


def current_model(year: int) -> ScoringModel | None:
    return ScoringModel.objects.filter(year=year).order_by("-version").first()


def last_run(year: int) -> ScoreRun | None:
    return (
        ScoreRun.objects.filter(year=year, finished_at__isnull=False)
        .select_related("model", "requested_by")
        .order_by("-started_at", "-id")
        .first()
    )


def runs_of(year: int, limit: int = 20) -> list[ScoreRun]:
    return list(
        ScoreRun.objects.filter(year=year)
        .select_related("model", "requested_by")
        .order_by("-started_at", "-id")[:limit]
    )


def years() -> list[int]:
    """The years one may look at: this one and those scored before."""
    have = set(Score.objects.values_list("year", flat=True).distinct())
    have.add(today().year)
    return sorted(have, reverse=True)


@dataclass
class PartRow:
    name: str
    label: Any
    weight: int
    num: int
    den: int
    no_data: bool
    points: str
    points_raw: int
    figures: str = ""


def _figures(name: str, num: int, den: int) -> str:
    """Done / owed as a reader takes it: the fund in yuan (its figures are fen), the
    training in minutes, the rest as counts."""
    if name == "funds":
        return _("%(num)s / %(den)s yuan") % {"num": yuan(num), "den": yuan(den)}
    if name == "training":
        return _("%(num)s / %(den)s minutes") % {"num": num, "den": den}
    return f"{num} / {den}"


def breakdown(score: Score) -> list[PartRow]:
    """The parts of a score in order, as the page shows them."""
    rows = []
    for name in PARTS:
        p = score.parts.get(name) or {"weight": 0, "num": 0, "den": 0, "no_data": True, "points": 0}
        rows.append(
            PartRow(
                name=name,
                label=PART_LABELS[name],
                weight=int(p["weight"]),
                num=int(p["num"]),
                den=int(p["den"]),
                no_data=bool(p["no_data"]),
                points=points_text(int(p["points"])),
                points_raw=int(p["points"]),
                figures=_figures(name, int(p["num"]), int(p["den"])),
            )
        )
    return rows


@dataclass
class ChildRow:
    unit: Unit
    scored: int
    excluded: int
    average: str


def children_summary(user: Any, unit: Unit, year: int) -> list[ChildRow]:
    """Per child unit: representatives scored, excluded, and their average score (one
    aggregate query over the child's path prefix)."""
    children = list(units_visible(user).filter(parent=unit).order_by("path"))
    if not children:
        return []
    width = len(children[0].path)
    rows = (
        scores_visible_to(user)
        .filter(year=year, unit_path__startswith=unit.path)
        .annotate(child=Substr("unit_path", 1, width))
        .values("child")
        .annotate(n=Count("id"), x=Count("id", filter=Q(excluded=True)), sum=Sum("total"))
        .order_by()
    )
    by = {r["child"]: r for r in rows}
    out = []
    for child in children:
        r = by.get(child.path)
        n = r["n"] if r else 0
        out.append(
            ChildRow(
                unit=child,
                scored=n,
                excluded=r["x"] if r else 0,
                average=points_text(round(r["sum"] / n)) if r and n else "",
            )
        )
    return out


@dataclass
class Records:
    """The records behind a score's parts, as the "why this score" page lists them."""

    appeals: list[Any]
    activities: list[Any]
    alarms: list[Any]
    breaches: list[Any]
    duties_query: str
    fund: Any


RECORDS_SHOWN = 50


def records_of(score: Score) -> Records:
    """The appeals, activities and alarms the score counted (the first `RECORDS_SHOWN` of
    each, newest first), the breaches that exclude, the fund, and the query of the
    duties page for the year."""
    first, last = year_bounds(score.year)
    start, end = moments(first, last)
    rep = score.representative
    appeals = list(
        Appeal.objects.filter(
            COUNTED_Q, representative=rep, created_at__gte=start, created_at__lt=end
        ).order_by("-created_at")[:RECORDS_SHOWN]
    )
    activities = list(
        Activity.objects.filter(
            organisers=rep,
            status=ActivityStatus.HELD,
            starts_at__gte=start,
            starts_at__lt=end,
        ).order_by("-starts_at")[:RECORDS_SHOWN]
    )
    alarms = []
    if rep.user_id:
        alarms = list(
            Alarm.objects.filter(
                notices__user_id=rep.user_id, raised_at__gte=start, raised_at__lt=end
            )
            .distinct()
            .order_by("-raised_at")[:RECORDS_SHOWN]
        )
    breaches = list(Breach.objects.filter(pk__in=score.breach_ids).select_related("entry"))
    fund = FundAllocation.objects.filter(representative=rep, year=score.year).first()
    duties_query = f"period=custom&start={first.isoformat()}&end={max(first, last).isoformat()}"
    return Records(appeals, activities, alarms, breaches, duties_query, fund)
