"""Reads of policy notices, scoped: the lists, one notice, its reach per unit and per
representative, a representative's households still to reach.

Reach is computed live and set-based: the households of the subtree grouped by unit
(as `org.selectors.coverage_for` does), the notice's deliveries grouped by unit (an
index-only scan of `delivery_notice_unit`), both summed up the tree in Python over the
subtree's units. Nothing loops over households.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from linli.accounts.scope import scope_for
from linli.core.errors import NotFound
from linli.duties import selectors as duties_selectors
from linli.org import selectors as org_selectors
from linli.org.models import (
    CITY_DEPTH,
    STEPLEN,
    VILLAGE_DEPTH,
    Household,
    Representative,
    Unit,
)

from . import policy
from .models import Delivery, Notice

STATUSES = ("active", "withdrawn")


def my_representative(user) -> Representative | None:
    """The serving representative whose account this is, if any."""
    return duties_selectors.my_representative(user)


def notices_visible_to(user) -> QuerySet[Notice]:
    return Notice.objects.filter(policy.view_q(user)).select_related("unit", "published_by")


def notice_get(user, pk) -> Notice:
    notice = notices_visible_to(user).filter(pk=pk).first()
    if notice is None:
        raise NotFound(_("Notice not found."), code="not_found")
    return notice


def notices_filtered(
    user,
    *,
    kind: str = "",
    status: str = "",
    q: str = "",
    unit: Unit | None = None,
    urgent: bool | None = None,
) -> QuerySet[Notice]:
    """The list's filters, shared by the page, the API and the export. `unit`: notices
    published in its subtree or above it (those that reach it)."""
    qs = notices_visible_to(user)
    if kind:
        qs = qs.filter(kind=kind)
    if status == "active":
        qs = qs.filter(withdrawn_at__isnull=True)
    elif status == "withdrawn":
        qs = qs.filter(withdrawn_at__isnull=False)
    term = (q or "").strip()
    if term:
        qs = qs.filter(Q(title__contains=term) | Q(body__contains=term))
    if unit is not None:
        qs = qs.filter(
            Q(unit__path__startswith=unit.path) | Q(unit__path__in=unit.ancestor_paths())
        )
    if urgent is not None:
        qs = qs.filter(urgent=urgent)
    return qs.order_by("-published_at", "-id")


# --- a representative's households -----------------------------------------------------------


def my_households_q(notice: Notice, representative: Representative, prefix: str = "") -> Q:
    """Households (a filter) linked to the representative now, inside the notice's subtree."""
    return Q(
        **{
            f"{prefix}links__representative": representative,
            f"{prefix}links__valid_to__isnull": True,
            f"{prefix}unit__path__startswith": notice.unit.path,
        }
    )


def households_to_reach(notice: Notice, representative: Representative) -> QuerySet[Household]:
    """The representative's households in the notice's subtree not reached yet."""
    delivered = Delivery.objects.filter(notice=notice, household=OuterRef("pk"))
    return (
        Household.objects.filter(my_households_q(notice, representative))
        .filter(~Exists(delivered))
        .select_related("unit")
        .order_by("head_name", "pk")
    )


def my_deliveries(notice: Notice, representative: Representative) -> QuerySet[Delivery]:
    """Deliveries of the notice to the representative's households (by anyone)."""
    mine = Household.objects.filter(my_households_q(notice, representative)).values("pk")
    return (
        Delivery.objects.filter(notice=notice, household__in=mine)
        .select_related("household", "representative")
        .order_by("-delivered_at", "-id")
    )


@dataclass
class MyProgress:
    total: int = 0
    reached: int = 0

    @property
    def left(self) -> int:
        return self.total - self.reached


def my_progress(notices: list[Notice], representative: Representative) -> dict[int, MyProgress]:
    """Per notice, how many of the representative's households it covers and how many
    were reached: two queries for a page of notices."""
    mine = list(
        Household.objects.filter(links__representative=representative, links__valid_to__isnull=True)
        .values_list("pk", "unit__path")
        .distinct()
    )
    ids = [pk for pk, _p in mine]
    reached = set(
        Delivery.objects.filter(notice__in=notices, household_id__in=ids).values_list(
            "notice_id", "household_id"
        )
    )
    out: dict[int, MyProgress] = {}
    for n in notices:
        p = out[n.pk] = MyProgress()
        for pk, path in mine:
            if path.startswith(n.unit.path):
                p.total += 1
                p.reached += (n.pk, pk) in reached
    return out


# --- reach --------------------------------------------------------------------------------


@dataclass
class ReachRow:
    label: str
    households: int = 0
    reached: int = 0
    unit: Unit | None = None
    representative_id: int | None = None
    extra: str = ""  # the representative's unit

    @property
    def percent(self) -> float | None:
        if not self.households:
            return None
        return round(100 * self.reached / self.households, 1)


@dataclass
class Reach:
    notice: Notice
    unit: Unit
    total: ReachRow
    children: list[ReachRow]
    representatives: list[ReachRow] = field(default_factory=list)
    by_method: dict[str, int] = field(default_factory=dict)
    up: Unit | None = None  # the parent unit, when the user may go up to it


def reach_unit(user, notice: Notice, unit_pk=None) -> Unit | None:
    """The unit of the reach table the user asked for, checked; None when the user sees
    no reach of this notice."""
    if unit_pk is None:
        path = policy.default_reach_path(user, notice)
        return Unit.objects.filter(path=path).first() if path else None
    unit = org_selectors.unit_get(user, unit_pk)
    if not policy.reach_unit_ok(user, notice, unit):
        raise NotFound(_("Unit not found."))
    return unit


def reach(user, notice: Notice, unit: Unit) -> Reach:
    """Reached and total households per child unit of `unit` (and in all), and per
    representative from a village down. The caller checked the unit (`reach_unit`)."""
    children = list(Unit.objects.filter(parent=unit).order_by("path"))
    rows = {c.path: ReachRow(label=c.name, unit=c) for c in children}
    total = ReachRow(label=unit.name, unit=unit)
    for attr, per_child in (
        ("households", _per_child(Household._meta.db_table, unit)),
        ("reached", _per_child(Delivery._meta.db_table, unit, notice_id=notice.pk)),
    ):
        for child_path, n in per_child:
            setattr(total, attr, getattr(total, attr) + n)
            row = rows.get(child_path)
            if row is not None:
                setattr(row, attr, getattr(row, attr) + n)
    out = Reach(notice=notice, unit=unit, total=total, children=[rows[c.path] for c in children])
    if unit.depth >= VILLAGE_DEPTH:
        subtree = list(Unit.objects.filter(path__startswith=unit.path).values_list("pk", flat=True))
        out.representatives = _by_representative(notice, subtree)
        out.by_method = dict(
            Delivery.objects.filter(notice=notice, unit_id__in=subtree)
            .values_list("method")
            .annotate(n=Count("*"))
            .order_by()
        )
    parent = unit.parent
    if (
        parent is not None
        and unit.path != notice.unit.path
        and policy.reach_unit_ok(user, notice, parent)
    ):
        out.up = parent
    return out


def _per_child(table: str, unit: Unit, notice_id: int | None = None) -> list[tuple[str, int]]:
    """Rows of `table` (households, or one notice's deliveries) in `unit`'s subtree,
    counted per child unit: `(child path, n)`; rows of the unit itself come back under its
    own path. One statement (SQLite and PostgreSQL): the rows grouped by unit id (an
    index-only scan), joined to the units, summed by the child's path prefix. Below a city
    the rows are first narrowed to the subtree's units; for a whole city, reading every
    row beats a semi-join of 400,000 households to their units."""
    where: list[str] = []
    params: list[int | str] = []
    if notice_id is not None:
        where.append("notice_id = %s")
        params.append(notice_id)
    if unit.depth > CITY_DEPTH:
        where.append(f"unit_id IN (SELECT id FROM {Unit._meta.db_table} WHERE path LIKE %s)")
        params.append(unit.path + "%")
    sql = (
        f"SELECT substr(u.path, 1, %s), SUM(c.n) FROM ("
        f"SELECT unit_id, COUNT(*) AS n FROM {table}"
        f"{' WHERE ' + ' AND '.join(where) if where else ''} GROUP BY unit_id"
        f") c JOIN {Unit._meta.db_table} u ON u.id = c.unit_id WHERE u.path LIKE %s GROUP BY 1"
    )
    with connection.cursor() as cur:
        cur.execute(sql, [(unit.depth + 1) * STEPLEN, *params, unit.path + "%"])
        return [(path, int(n)) for path, n in cur.fetchall()]


def _by_representative(notice: Notice, unit_ids: list[int]) -> list[ReachRow]:
    """Per representative serving households of these units now: their households there,
    and how many were reached (by anyone)."""
    # In two steps: the households by unit (an index), then their current links (the
    # partial unique index on the household); a join lets the planner scan every link.
    households = list(Household.objects.filter(unit_id__in=unit_ids).values_list("pk", flat=True))
    links = list(
        org_selectors.current_links()
        .filter(household_id__in=households)
        .values_list("representative_id", "household_id")
    )
    reached = set(
        Delivery.objects.filter(notice=notice, household_id__in=[h for _r, h in links]).values_list(
            "household_id", flat=True
        )
    )
    reps = {
        r.pk: r
        for r in Representative.objects.filter(pk__in={rep for rep, _h in links}).select_related(
            "unit"
        )
    }
    rows: dict[int, ReachRow] = {}
    for rep_id, household_id in links:
        rep = reps[rep_id]
        row = rows.setdefault(
            rep_id, ReachRow(label=rep.name, representative_id=rep_id, extra=rep.unit.name)
        )
        row.households += 1
        row.reached += household_id in reached
    return sorted(rows.values(), key=lambda r: (r.extra, r.label, r.representative_id or 0))


def deliveries_in(notice: Notice, unit: Unit) -> QuerySet[Delivery]:
    """The notice's deliveries in the unit's subtree (the caller checked the unit)."""
    return (
        Delivery.objects.filter(notice=notice, unit__path__startswith=unit.path)
        .select_related("household", "unit", "representative", "recorded_by")
        .order_by("unit__path", "household_id")
    )


def deliveries_visible_to(user, notice: Notice) -> QuerySet[Delivery]:
    """The notice's deliveries the user sees: in the subtrees of their household roles, and
    to the households linked to them now."""
    scope = scope_for(user)
    q = scope.path_q("unit__path", scope.household_paths)
    # A superuser's filter is the empty Q() (everything): never OR it with another.
    if scope.representative_ids and not scope.is_superuser:
        mine = Household.objects.filter(
            links__representative_id__in=scope.representative_ids, links__valid_to__isnull=True
        ).values("pk")
        q |= Q(household__in=mine)
    return (
        Delivery.objects.filter(q, notice=notice)
        .select_related("household", "unit", "representative", "recorded_by")
        .order_by("-delivered_at", "-id")
    )
