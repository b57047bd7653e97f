"""Every read of appeals, already scoped to what the user may see.

A user sees the appeals that came from their units' subtrees (cadres and
leaders), the ones assigned to them or waiting in their group (representatives),
the ones they filed, and the ones referred to their department. "Does not
exist" and "not yours" are the same 404.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    Case,
    Count,
    Q,
    QuerySet,
    When,
)
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.core.crypto import blind_index
from linli.core.errors import InvalidInput, NotFound
from linli.core.inputs import is_id
from linli.org.models import STEPLEN, Place, Unit, UnitKind
from linli.org.selectors import members_with_phone

from . import links, measures, policy, tally
from .models import (
    CLOCK_STATUSES,
    LEVEL_ORDER,
    OPEN_STATUSES,
    Appeal,
    AppealEvent,
    Category,
    Status,
)


def appeals_visible_to(user) -> QuerySet[Appeal]:
    if user is None or not getattr(user, "is_authenticated", False):
        return Appeal.objects.none()
    qs = Appeal.objects.select_related(
        "category", "unit", "representative", "assignee", "department"
    )
    q = policy.visible_q(user)
    return qs if q is None else qs.filter(q)


def appeal_get(user, code: str) -> Appeal:
    appeal = appeals_visible_to(user).filter(code=str(code).strip().upper()).first()
    if appeal is None:
        raise NotFound(_("No such appeal."))
    return appeal


def appeal_for_resident(code: str, phone: str) -> Appeal:
    """The tracking page: an appeal found by its code and the reporter's mobile."""
    appeal = (
        Appeal.objects.select_related("category", "unit", "department")
        .filter(code=str(code or "").strip().upper(), reporter_phone_hash=blind_index(phone))
        .first()
    )
    if appeal is None or not phone:
        raise NotFound(_("No appeal matches this case code and mobile number."))
    return appeal


def appeal_for_link(token: str) -> Appeal:
    """The appeal an SMS link opens (`links.py`): `links.LinkInvalid` when the token is
    malformed, tampered with or names no appeal, `links.LinkExpired` when it is genuine
    but too old."""
    code = links.code_of(token)
    appeal = (
        Appeal.objects.select_related("category", "unit", "department").filter(code=code).first()
    )
    if appeal is None or not appeal.reporter_phone:
        raise links.LinkInvalid
    links.check(token, appeal)
    return appeal


def queue_for(user, level: str | None = None) -> QuerySet[Appeal]:
    """The to-do queue: overdue first, then by deadline."""
    now = timezone.now()
    return (
        appeals_visible_to(user)
        .filter(policy.handling_q(user, level))
        .annotate(
            overdue_first=Case(
                When(status__in=CLOCK_STATUSES, due_at__lte=now, then=0),
                When(status=Status.PENDING, claim_due_at__lte=now, then=0),
                default=1,
            )
        )
        .order_by("overdue_first", "due_at", "id")
    )


def department_queue(user) -> QuerySet[Appeal]:
    return appeals_visible_to(user).filter(policy.department_q(user)).order_by("due_at", "id")


def appeals_filtered(
    user,
    *,
    status: str = "",
    level: str = "",
    kind: str = "",
    category: str = "",
    q: str = "",
    overdue: bool = False,
    unit: Unit | None = None,
    mine: bool = False,
) -> QuerySet[Appeal]:
    qs = appeals_visible_to(user)
    if status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif status:
        qs = qs.filter(status=status)
    if level:
        qs = qs.filter(level=level)
    if kind:
        qs = qs.filter(kind=kind)
    if category:
        qs = qs.filter(Q(category__code=category) | Q(category__parent__code=category))
    if q:
        q = q.strip()
        qs = qs.filter(
            Q(code__iexact=q) | Q(title__icontains=q) | Q(address__icontains=q) | Q(reporter_name=q)
        )
    if overdue:
        qs = qs.filter(status__in=CLOCK_STATUSES, due_at__lte=timezone.now())
    if unit is not None:
        qs = qs.filter(origin_path__startswith=unit.path)
    if mine:
        qs = qs.filter(policy.handling_q(user))
    return qs.order_by("-created_at", "-id")


def timeline(appeal: Appeal, *, public: bool = False) -> QuerySet[AppealEvent]:
    qs = appeal.events.select_related("actor", "unit", "department").prefetch_related("photos")
    if public:
        qs = qs.filter(internal=False)
    return qs.order_by("at", "id")


def categories_tree() -> list[tuple[Category, list[Category]]]:
    cats = list(Category.objects.filter(active=True).select_related("default_department"))
    tops = [c for c in cats if c.parent_id is None]
    return [(t, [c for c in cats if c.parent_id == t.pk]) for t in tops]


# --- numbers -------------------------------------------------------------------------


@dataclass
class Rates:
    """The "three rates" of a 12345 hotline, plus on-time rate and where appeals end.

    Each rate's numerator and denominator are documented in `docs/appeals.md`
    ("How the rates are counted"); a reopened, merged, suspended or withdrawn
    appeal never makes a rate look better than what happened."""

    unit: Unit | None = None
    filed: int = 0
    # The response rate's denominator: the filed ones, and the withdrawn ones that
    # were claimed or whose first claim deadline passed before they were withdrawn.
    response_counted: int = 0
    responded_on_time: int = 0
    resolved: int = 0
    resolved_on_time: int = 0
    # Every rating given (a rating event), satisfied or not, however often the
    # appeal was reopened and rated again ...
    ratings: int = 0
    ratings_satisfied: int = 0
    # ... and per appeal: rated at least once, satisfied at the first rating,
    # satisfied at the last one.
    rated: int = 0
    satisfied_first: int = 0
    satisfied_final: int = 0
    open: int = 0
    overdue: int = 0
    mean_hours_to_resolve: float | None = None
    # Resolved appeals by the highest level they reached (`Appeal.reached_level`).
    resolved_at_level: dict[str, int] = field(default_factory=dict)

    @staticmethod
    def _pct(n: int, d: int) -> float | None:
        return round(100.0 * n / d, 1) if d else None

    @property
    def response_rate(self) -> float | None:
        return self._pct(self.responded_on_time, self.response_counted)

    @property
    def on_time_rate(self) -> float | None:
        return self._pct(self.resolved_on_time, self.resolved)

    @property
    def resolution_rate(self) -> float | None:
        return self._pct(self.resolved, self.filed)

    @property
    def first_satisfaction_rate(self) -> float | None:
        """Of the appeals rated, the share satisfied (3-5) at their first rating."""
        return self._pct(self.satisfied_first, self.rated)

    @property
    def final_satisfaction_rate(self) -> float | None:
        """Of the appeals rated, the share satisfied at their last rating."""
        return self._pct(self.satisfied_final, self.rated)

    @property
    def satisfaction_rate(self) -> float | None:
        """The headline satisfaction rate is the first-time one: a dissatisfied
        rating stays against the unit after the appeal is handled again."""
        return self.first_satisfaction_rate

    @property
    def satisfied(self) -> int:
        return self.satisfied_first

    @property
    def level_share(self) -> dict[str, float | None]:
        return {
            lv: self._pct(self.resolved_at_level.get(lv, 0), self.resolved) for lv in LEVEL_ORDER
        }

    def as_dict(self) -> dict:
        return {
            "unit_id": self.unit.pk if self.unit else None,
            "unit_name": self.unit.name if self.unit else "",
            "filed": self.filed,
            "open": self.open,
            "overdue": self.overdue,
            "resolved": self.resolved,
            "rated": self.rated,
            "ratings": self.ratings,
            "ratings_satisfied": self.ratings_satisfied,
            "satisfied_first": self.satisfied_first,
            "satisfied_final": self.satisfied_final,
            "response_rate": self.response_rate,
            "on_time_rate": self.on_time_rate,
            "resolution_rate": self.resolution_rate,
            "satisfaction_rate": self.satisfaction_rate,
            "first_satisfaction_rate": self.first_satisfaction_rate,
            "final_satisfaction_rate": self.final_satisfaction_rate,
            "mean_hours_to_resolve": self.mean_hours_to_resolve,
            "resolved_at_level": {lv: self.resolved_at_level.get(lv, 0) for lv in LEVEL_ORDER},
            "level_share": self.level_share,
        }


def _rates_from(row: dict, unit: Unit | None, ratings: dict[str, int] | None = None) -> Rates:
    """Rates from one row of `measures.outcome_aggregates()` and `now_aggregates()`
    (raw), with the rating counts."""
    spent = row.get("resolve_time")
    resolved = row["resolved"]
    hours = spent.total_seconds() / 3600 / resolved if spent is not None and resolved else None
    return Rates(
        unit=unit,
        filed=row["filed"],
        response_counted=row["response_counted"],
        responded_on_time=row["responded_on_time"],
        resolved=resolved,
        resolved_on_time=row["resolved_on_time"],
        open=row.get("open", 0),
        overdue=row.get("overdue", 0),
        mean_hours_to_resolve=round(hours, 1) if hours is not None else None,
        resolved_at_level={lv: row[f"at_{lv}"] for lv in LEVEL_ORDER},
        **{k: (ratings or {}).get(k, 0) for k in measures.RATING_KEYS},
    )


def appeal_rates(
    user, unit: Unit, start: dt.datetime, end: dt.datetime
) -> tuple[Rates, list[Rates]]:
    """Rates for appeals filed in [start, end) from the unit's subtree that `user` may
    see, in total and per child unit. Three aggregate queries over the appeals,
    whatever their number: the total, the per-child rows, and the rating events per
    child (summed for the total)."""
    return _rates_over(appeals_visible_to(user), unit, start, end)


def _rates_over(
    qs: QuerySet[Appeal], unit: Unit, start: dt.datetime, end: dt.datetime
) -> tuple[Rates, list[Rates]]:
    now = timezone.now()
    base = qs.filter(origin_path__startswith=unit.path, created_at__gte=start, created_at__lt=end)
    aggs = {**measures.outcome_aggregates(), **measures.now_aggregates(now)}
    n = len(unit.path) + STEPLEN
    ratings = {
        r["child"]: r
        for r in measures.rating_counts(base, child=Substr("appeal__origin_path", 1, n))
    }
    summed = {k: sum(r[k] for r in ratings.values()) for k in measures.RATING_KEYS}
    total = _rates_from(base.order_by().aggregate(**aggs), unit, summed)
    rows = (
        base.exclude(origin_path=unit.path)
        .annotate(child=Substr("origin_path", 1, n))
        .order_by()
        .values("child")
        .annotate(**aggs)
    )
    children = {c.path: c for c in Unit.objects.filter(parent=unit)}
    per_child = [
        _rates_from(r, children.get(r["child"]), ratings.get(r["child"]))
        for r in rows
        if r["child"] in children
    ]
    per_child.sort(key=lambda r: r.unit.path)
    return total, per_child


def subtree_rates(unit: Unit, first: dt.date, last: dt.date) -> tuple[Rates, list[Rates]]:
    """`appeal_rates` for appeals filed on the local days [first, last] from the
    unit's whole subtree, for those who see all of it (the command centre's leaders
    and cadres, the reports the tick writes). Above the villages the outcome counts
    come from the rollup (`tally`) and only the open appeals are read; at a village
    and below (a few thousand appeals a year) from the appeals themselves. Both ways
    count with `measures`, and a test holds them equal."""
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(first, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    if unit.depth >= tally.TALLY_DEPTH:
        return _rates_over(Appeal.objects.all(), unit, start, end)
    tally.ensure(first, last)
    n = len(unit.path) + STEPLEN
    sums = tally.sums(unit.path, first, last, child_len=n)
    live = {
        r["child"]: r
        for r in Appeal.objects.filter(
            status__in=OPEN_STATUSES,
            origin_path__startswith=unit.path,
            created_at__gte=start,
            created_at__lt=end,
        )
        .annotate(child=Substr("origin_path", 1, n))
        .order_by()
        .values("child")
        .annotate(**measures.now_aggregates(timezone.now()))
    }
    keys = (*tally.COUNT_COLUMNS, "resolve_us", "open", "overdue")

    def rates(row: dict[str, Any], unit_: Unit | None) -> Rates:
        row = {k: row.get(k) or 0 for k in keys}
        row["resolve_time"] = dt.timedelta(microseconds=row["resolve_us"])
        return _rates_from(row, unit_, row)

    def merged(child: str) -> dict[str, Any]:
        return {**sums.get(child, {}), **live.get(child, {})}

    total_row: dict[str, Any] = {}
    for child in set(sums) | set(live):
        for k, v in merged(child).items():
            if k in keys:
                total_row[k] = total_row.get(k, 0) + (v or 0)
    children = {c.path: c for c in Unit.objects.filter(parent=unit)}
    per_child = [
        rates(merged(path), c)
        for path, c in sorted(children.items())
        if path in sums or path in live
    ]
    return rates(total_row, unit), per_child


def unit_rates(unit: Unit, start: dt.datetime, end: dt.datetime) -> tuple[Rates, list[Rates]]:
    """`subtree_rates` for [start, end) given as local midnights (the reports)."""
    last = timezone.localdate(end - dt.timedelta(microseconds=1))
    return subtree_rates(unit, timezone.localdate(start), last)


def queue_summary(user) -> dict[str, int]:
    """How many appeals wait in the user's queue, and how many of them are overdue."""
    now = timezone.now()
    return (
        appeals_visible_to(user)
        .filter(policy.handling_q(user))
        .aggregate(
            todo=Count("id"),
            overdue=Count("id", filter=Q(status__in=CLOCK_STATUSES, due_at__lte=now)),
        )
    )


# --- the public report form's place picker ---------------------------------------------
# Unit names are public (a resident without an account chooses where the problem is),
# so these reads are not scoped to a user.

TOWN_KINDS = (UnitKind.TOWN, UnitKind.SUBDISTRICT)
VILLAGE_KINDS = (UnitKind.VILLAGE, UnitKind.COMMUNITY)
PICKER_LIMIT = 500


@dataclass
class ReportPlace:
    """Town › village › area › group as chosen so far, each consistent with the one
    above it, and the options each select offers. Areas are optional: a village
    may hang its groups directly below itself."""

    town: Unit | None = None
    village: Unit | None = None
    area: Unit | None = None
    group: Unit | None = None
    towns: list[Unit] = field(default_factory=list)
    villages: list[Unit] = field(default_factory=list)
    areas: list[Unit] = field(default_factory=list)
    # (group, its label: "一片 / 一组" when it lies in an area)
    groups: list[tuple[Unit, str]] = field(default_factory=list)

    @property
    def unit(self) -> Unit | None:
        """Where the appeal is placed: the most precise unit chosen (a village at least)."""
        return self.group or self.area or self.village

    @property
    def chain(self) -> list[Unit]:
        return [u for u in (self.town, self.village, self.area, self.group) if u is not None]


def _pk(value) -> int | None:
    text = str(value or "").strip()
    return int(text) if is_id(text) else None


def report_towns() -> QuerySet[Unit]:
    return Unit.objects.filter(parent__parent__isnull=True, parent__isnull=False).order_by("path")


def report_place(*, town=None, village=None, area=None, group=None, unit=None) -> ReportPlace:
    """The picker's state from what was sent (ids as text, possibly stale or
    inconsistent: a choice that does not lie in the one above it is dropped), or
    from one `unit` (a search result, the resident's own household) filled upwards."""
    place = ReportPlace()
    if unit is None and _pk(town) is None:
        # A client that sent only the village or group (no cascade): fill upwards.
        unit = _pk(group) or _pk(area) or _pk(village)
    wanted = _pk(unit)
    chosen = Unit.objects.filter(pk=wanted).first() if wanted else None
    if chosen is not None:
        above = {
            u.kind: u
            for u in Unit.objects.filter(path__in=chosen.ancestor_paths()).order_by("depth")
        }
        place.town = next((above[k] for k in TOWN_KINDS if k in above), None)
        place.village = next((above[k] for k in VILLAGE_KINDS if k in above), None)
        place.area = above.get(UnitKind.AREA)
        place.group = above.get(UnitKind.GROUP)
    else:
        town_pk, village_pk, area_pk, group_pk = _pk(town), _pk(village), _pk(area), _pk(group)
        if town_pk is not None:
            place.town = report_towns().filter(pk=town_pk).first()
        if place.town is not None and village_pk is not None:
            place.village = Unit.objects.filter(
                pk=village_pk, parent=place.town, kind__in=VILLAGE_KINDS
            ).first()
        if place.village is not None:
            if area_pk is not None:
                place.area = Unit.objects.filter(
                    pk=area_pk, parent=place.village, kind=UnitKind.AREA
                ).first()
            if group_pk is not None:
                inside = place.area or place.village
                place.group = (
                    Unit.objects.filter(pk=group_pk, kind=UnitKind.GROUP)
                    .filter(inside.subtree_q())
                    .select_related("parent")
                    .first()
                )
                parent = place.group.parent if place.group is not None else None
                if parent is not None and parent.kind == UnitKind.AREA:
                    place.area = parent
    place.towns = list(report_towns()[:PICKER_LIMIT])
    if place.town is not None:
        place.villages = list(
            Unit.objects.filter(parent=place.town, kind__in=VILLAGE_KINDS).order_by("path")[
                :PICKER_LIMIT
            ]
        )
    if place.village is not None:
        place.areas = list(
            Unit.objects.filter(parent=place.village, kind=UnitKind.AREA).order_by("path")
        )
        inside = place.area or place.village
        groups = (
            Unit.objects.filter(inside.subtree_q(), kind=UnitKind.GROUP)
            .select_related("parent")
            .order_by("path")[:PICKER_LIMIT]
        )
        place.groups = [(g, _group_label(g, in_area=place.area is not None)) for g in groups]
    return place


def _group_label(group: Unit, *, in_area: bool) -> str:
    """A group's name, after its area's when the list spans the village's areas."""
    parent = group.parent
    if not in_area and parent is not None and parent.kind == UnitKind.AREA:
        return f"{parent.name} / {group.name}"
    return group.name


@dataclass(frozen=True)
class PlaceMatch:
    unit: Unit
    label: str  # what the resident reads: the name and where it lies


def report_place_search(q: str, limit: int = 12) -> list[PlaceMatch]:
    """Villages, areas and groups by name, and named places (schools, buildings...)
    by name, each with the units above it so that two 一组 can be told apart."""
    q = (q or "").strip()[:50]
    if not q:
        return []
    units = list(
        Unit.objects.filter(
            name__icontains=q, kind__in=(*VILLAGE_KINDS, UnitKind.AREA, UnitKind.GROUP)
        ).order_by("depth", "path")[:limit]
    )
    places = list(
        Place.objects.filter(name__icontains=q).select_related("unit").order_by("name")[:limit]
    )
    paths = {p for u in units for p in u.ancestor_paths()} | {
        p for pl in places for p in pl.unit.ancestor_paths()
    }
    names = dict(Unit.objects.filter(path__in=paths, depth__gte=2).values_list("path", "name"))

    def where(unit: Unit) -> str:
        return " › ".join(names[p] for p in unit.ancestor_paths() if p in names)

    out = [PlaceMatch(u, where(u)) for u in units]
    out += [PlaceMatch(pl.unit, f"{pl.name}（{where(pl.unit)}）") for pl in places]
    return out[:limit]


def resident_home_unit(phone: str) -> Unit | None:
    """The unit of the household whose member has this (confirmed) mobile number."""
    member = (
        members_with_phone(phone).select_related("household__unit").order_by("pk").first()
        if phone
        else None
    )
    return member.household.unit if member is not None else None


def assignable_handlers(appeal: Appeal) -> list:
    """Whom a superior may name as the appeal's handler (reassign): `policy.level_handlers`."""
    return policy.level_handlers(appeal)


def assignable_handler(appeal: Appeal, value: Any):
    """The handler a reassign names (an id from a form or the API): one of
    `assignable_handlers`, else refused with a clear message."""
    text = str(value)
    chosen = next(
        (u for u in assignable_handlers(appeal) if is_id(text) and u.pk == int(text)), None
    )
    if chosen is None:
        raise InvalidInput(
            _("Choose the handler from the list: that person does not handle appeals here."),
            code="assignee_not_handler",
        )
    return chosen


# --- for the evaluation (代表考评) ---------------------------------------------------------


def representative_figures(
    start: dt.datetime, end: dt.datetime, representative_ids: list[int] | None = None
) -> dict[int, dict[str, int]]:
    """Per representative, the appeals filed in [start, end) that they own: `owned`
    (filed: not merged, not withdrawn), `resolved` (and still so), `rated` and
    `satisfied` (a rating of `SATISFIED_FROM` or more). One aggregate query; every
    representative when `representative_ids` is None. Not scoped: the evaluation
    scores every representative of the city, and its pages scope what they show."""
    qs = Appeal.objects.filter(
        measures.COUNTED_Q,
        created_at__gte=start,
        created_at__lt=end,
        representative__isnull=False,
    )
    if representative_ids is not None:
        qs = qs.filter(representative_id__in=representative_ids)
    rows = (
        qs.values("representative_id")
        .annotate(
            owned=Count("id"),
            resolved=Count("id", filter=measures.RESOLVED_Q),
            rated=Count("id", filter=Q(rating__isnull=False)),
            satisfied=Count("id", filter=Q(rating__gte=measures.SATISFIED_FROM)),
        )
        .order_by()
    )
    return {
        r["representative_id"]: {k: r[k] for k in ("owned", "resolved", "rated", "satisfied")}
        for r in rows
    }
