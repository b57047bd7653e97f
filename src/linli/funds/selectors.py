"""Every read of the service fund, scoped by `policy` (a representative sees their own
fund, leaders and cadres their units' subtrees). "Not yours" and "not there" are the
same `NotFound`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import Coalesce, Substr
from django.utils.translation import gettext as _

from linli.activities.models import Activity
from linli.activities.selectors import activities_visible_to
from linli.core.errors import NotFound
from linli.org.models import (
    STEPLEN,
    VILLAGE_DEPTH,
    Household,
    Representative,
    Unit,
    ancestor_paths_of,
)
from linli.org.selectors import current_link_q, own_representatives

from . import policy
from .models import (
    DEFAULT_ALLOCATION_FEN,
    DEFAULT_APPROVAL_FEN,
    FundAllocation,
    FundEntry,
    FundEntryKind,
    FundEntryStatus,
    FundReceipt,
    FundRule,
)

# --- the rule in force ---------------------------------------------------------------------


@dataclass(frozen=True)
class RuleInForce:
    allocation_fen: int
    approval_fen: int
    # The unit whose rule it is; None: the platform's default.
    source: FundRule | None


def rule_for(unit_path: str, year: int) -> RuleInForce:
    """The rule of the nearest unit up `unit_path` (itself included) for `year`."""
    rules = {
        r.unit.path: r
        for r in FundRule.objects.filter(
            unit__path__in=ancestor_paths_of(unit_path), year=year
        ).select_related("unit")
    }
    for path in reversed(ancestor_paths_of(unit_path)):
        rule = rules.get(path)
        if rule is not None:
            return RuleInForce(rule.allocation_fen, rule.approval_fen, rule)
    return RuleInForce(DEFAULT_ALLOCATION_FEN, DEFAULT_APPROVAL_FEN, None)


def own_rule(unit: Unit, year: int) -> FundRule | None:
    return FundRule.objects.filter(unit=unit, year=year).first()


def rules_of(unit: Unit) -> QuerySet[FundRule]:
    return FundRule.objects.filter(unit=unit).order_by("-year")


def rule_units(user: Any) -> QuerySet[Unit]:
    return Unit.objects.filter(policy.rule_units_q(user)).order_by("path")


def rule_unit_get(user: Any, pk: int) -> Unit:
    unit = rule_units(user).filter(pk=pk).first()
    if unit is None:
        raise NotFound(_("No such unit."))
    return unit


# --- allocations -----------------------------------------------------------------------------


def allocations_visible_to(user: Any) -> QuerySet[FundAllocation]:
    return FundAllocation.objects.filter(policy.visible_q(user)).select_related(
        "representative", "representative__unit"
    )


def allocations_filtered(
    user: Any, *, year: int | None = None, unit: Unit | None = None
) -> QuerySet[FundAllocation]:
    qs = allocations_visible_to(user)
    if year is not None:
        qs = qs.filter(year=year)
    if unit is not None:
        qs = qs.filter(representative__unit__path__startswith=unit.path)
    return qs.order_by("-year", "representative__unit__path", "representative_id")


def allocation_get(user: Any, pk: int) -> FundAllocation:
    allocation = allocations_visible_to(user).filter(pk=pk).first()
    if allocation is None:
        raise NotFound(_("No such fund."))
    return allocation


@dataclass
class OwnFund:
    """A representative's fund for a year: the allocation row, or what it will be
    when it is opened (by the first spending, or the town)."""

    representative: Representative
    year: int
    allocation: FundAllocation | None
    rule: RuleInForce

    @property
    def amount_fen(self) -> int:
        return self.allocation.amount_fen if self.allocation else self.rule.allocation_fen

    @property
    def spent_fen(self) -> int:
        return self.allocation.spent_fen if self.allocation else 0

    @property
    def pending_fen(self) -> int:
        return self.allocation.pending_fen if self.allocation else 0

    @property
    def balance_fen(self) -> int:
        return self.amount_fen - self.spent_fen

    @property
    def available_fen(self) -> int:
        return self.balance_fen - self.pending_fen


def own_funds(user: Any, year: int) -> list[OwnFund]:
    reps = own_representatives(user)
    rows = {
        a.representative_id: a
        for a in FundAllocation.objects.filter(representative__in=reps, year=year)
    }
    return [OwnFund(r, year, rows.get(r.pk), rule_for(r.unit.path, year)) for r in reps]


# --- entries -------------------------------------------------------------------------------


def entries_visible_to(user: Any) -> QuerySet[FundEntry]:
    return FundEntry.objects.filter(policy.visible_q(user, "allocation__")).select_related(
        "allocation",
        "allocation__representative",
        "allocation__representative__unit",
        "household",
        "appeal",
        "activity",
        "reverses",
    )


def entries_filtered(
    user: Any,
    *,
    year: int | None = None,
    unit: Unit | None = None,
    status: str = "",
    kind: str = "",
    allocation: FundAllocation | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> QuerySet[FundEntry]:
    qs = entries_visible_to(user)
    if year is not None:
        qs = qs.filter(allocation__year=year)
    if unit is not None:
        qs = qs.filter(allocation__representative__unit__path__startswith=unit.path)
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if allocation is not None:
        qs = qs.filter(allocation=allocation)
    if start is not None:
        qs = qs.filter(day__gte=start)
    if end is not None:
        qs = qs.filter(day__lte=end)
    return qs.order_by("-day", "-id")


def entry_get(user: Any, pk: int) -> FundEntry:
    entry = entries_visible_to(user).filter(pk=pk).first()
    if entry is None:
        raise NotFound(_("No such fund entry."))
    return entry


def approval_queue(user: Any) -> QuerySet[FundEntry]:
    """Spending waiting for the user's decision, oldest first."""
    return (
        entries_visible_to(user)
        .filter(policy.approve_q(user), status=FundEntryStatus.PENDING)
        .order_by("created_at", "id")
    )


def receipts_of(entry: FundEntry) -> list[FundReceipt]:
    return list(entry.receipts.all())


def receipt_get(user: Any, pk: int) -> FundReceipt:
    receipt = (
        FundReceipt.objects.filter(policy.visible_q(user, "entry__allocation__"), pk=pk)
        .select_related("entry")
        .first()
    )
    if receipt is None:
        raise NotFound(_("No such receipt."))
    return receipt


# --- what a spending may name ---------------------------------------------------------------


def households_for(representative: Representative) -> QuerySet[Household]:
    """The households the representative serves now."""
    return (
        Household.objects.filter(current_link_q("links__"), links__representative=representative)
        .distinct()
        .order_by("unit__path", "pk")
    )


def activities_for(user: Any, year: int) -> QuerySet[Activity]:
    """Activities of the year the user sees (the ones a spending may have served)."""
    return activities_visible_to(user).filter(starts_at__year=year).order_by("-starts_at")


# --- totals --------------------------------------------------------------------------------


@dataclass
class Totals:
    label: str
    allocated_fen: int = 0
    spent_fen: int = 0
    pending_fen: int = 0
    funds: int = 0
    unit: Unit | None = None
    allocation: FundAllocation | None = None

    @property
    def balance_fen(self) -> int:
        return self.allocated_fen - self.spent_fen


@dataclass
class UnitTotals:
    unit: Unit
    year: int
    total: Totals
    children: list[Totals] = field(default_factory=list)
    representatives: list[Totals] = field(default_factory=list)
    # Serving representatives of the subtree without an allocation for the year yet.
    unopened: int = 0


def totals_units(user: Any) -> QuerySet[Unit]:
    return Unit.objects.filter(policy.units_q(user)).order_by("path")


def totals_default_unit(user: Any) -> Unit | None:
    return totals_units(user).order_by("depth", "path").first()


def unit_totals(user: Any, unit: Unit, year: int) -> UnitTotals:
    """The year's totals of `unit`'s subtree (of what the user sees), per child unit,
    and per representative from a village down."""
    qs = allocations_filtered(user, year=year, unit=unit)
    sums = {
        "allocated": Coalesce(Sum("amount_fen"), 0),
        "spent": Coalesce(Sum("spent_fen"), 0),
        "pending": Coalesce(Sum("pending_fen"), 0),
        "funds": Count("id"),
    }
    whole = qs.aggregate(**sums)
    total = Totals(
        unit.name, whole["allocated"], whole["spent"], whole["pending"], whole["funds"], unit
    )
    cut = (unit.depth + 1) * STEPLEN
    grouped = (
        qs.order_by()
        .annotate(child=Substr("representative__unit__path", 1, cut))
        .values("child")
        .annotate(**sums)
    )
    by_path = {row["child"]: row for row in grouped}
    children: list[Totals] = []
    for child in Unit.objects.filter(parent=unit).order_by("path"):
        row = by_path.get(child.path, {})
        children.append(
            Totals(
                child.name,
                row.get("allocated", 0),
                row.get("spent", 0),
                row.get("pending", 0),
                row.get("funds", 0),
                child,
            )
        )
    representatives: list[Totals] = []
    if unit.depth >= VILLAGE_DEPTH or unit.path in by_path:
        reps = qs if unit.depth >= VILLAGE_DEPTH else qs.filter(representative__unit=unit)
        for a in reps:
            representatives.append(
                Totals(
                    a.representative.name,
                    a.amount_fen,
                    a.spent_fen,
                    a.pending_fen,
                    1,
                    a.representative.unit,
                    a,
                )
            )
    # The unit is one the user sees whole (`totals_units`), so its serving
    # representatives are all theirs.
    serving = Representative.objects.filter(term_end__isnull=True, unit__path__startswith=unit.path)
    opened = FundAllocation.objects.filter(year=year, representative__in=serving).values(
        "representative"
    )
    unopened = serving.exclude(pk__in=opened).count()
    return UnitTotals(unit, year, total, children, representatives, unopened)


def entry_counts(allocation: FundAllocation) -> dict[str, int]:
    rows = allocation.entries.values("kind", "status").annotate(n=Count("id"))
    out = {"spend": 0, "reversal": 0, "pending": 0, "refused": 0}
    for row in rows:
        if row["kind"] == FundEntryKind.REVERSAL:
            out["reversal"] += row["n"]
        else:
            out["spend"] += row["n"]
            if row["status"] == FundEntryStatus.PENDING:
                out["pending"] += row["n"]
            if row["status"] == FundEntryStatus.REFUSED:
                out["refused"] += row["n"]
    return out


# --- for the evaluation (代表考评) ---------------------------------------------------------


def use_by_representative(
    year: int, representative_ids: list[int] | None = None
) -> dict[int, tuple[int, int]]:
    """Per representative with a fund of `year`: (allocation, spent) in fen. One query.
    Not scoped: the evaluation scores every representative of the city."""
    qs = FundAllocation.objects.filter(year=year)
    if representative_ids is not None:
        qs = qs.filter(representative_id__in=representative_ids)
    return {
        rep: (amount, spent)
        for rep, amount, spent in qs.values_list("representative_id", "amount_fen", "spent_fen")
    }
