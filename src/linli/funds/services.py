"""Every write of the service fund: the rules, opening the year's allocations, and the
ledger (spending, approval or refusal, reversal).

The ledger is never edited. A spending's amount, date and purpose never change; a
spending above the approval threshold waits (`pending`, held back from what may be
spent) until the village cadre approves or refuses it, once; a mistake is corrected
by a reversal, a new entry linked to the spending that gives its amount back.

Every change of a fund's totals takes the allocation row's lock first
(`select_for_update`), checks the balance under it and writes the entry and the new
totals in the same transaction: two spendings at once that together exceed the
balance are serialised on the row, and the second is refused with nothing written.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.models import AuditAction
from linli.accounts.services import audit_record
from linli.activities.models import Activity
from linli.activities.selectors import activities_visible_to
from linli.appeals.models import Appeal
from linli.appeals.selectors import appeals_visible_to
from linli.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from linli.core.inputs import EVENT_YEARS, clean_text, in_window
from linli.core.photos import photos_prepare
from linli.core.timeutil import today
from linli.org.models import Household, Representative, Unit
from linli.org.selectors import households_visible_to

from . import policy, selectors
from .models import (
    MAX_FEN,
    MIN_ALLOCATION_FEN,
    FundAllocation,
    FundEntry,
    FundEntryKind,
    FundEntryStatus,
    FundReceipt,
    FundRule,
    yuan,
)

if TYPE_CHECKING:
    from linli.accounts.models import User

PURPOSE_MAX = 500


# --- checks on input -----------------------------------------------------------------------


def check_fen(value: Any, label: str, *, lo: int = 1, hi: int = MAX_FEN) -> int:
    """An amount in fen: an integer (never a float or a bool) from `lo` to `hi`."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(
            _("%(label)s must be a whole number of fen.") % {"label": label}, code="amount"
        )
    if value < lo:
        if lo > 0:
            raise InvalidInput(
                _("%(label)s must be more than zero.") % {"label": label}, code="amount"
            )
        raise InvalidInput(_("%(label)s may not be negative.") % {"label": label}, code="amount")
    if value > hi:
        raise InvalidInput(
            _("%(label)s may be at most %(max)s yuan.") % {"label": label, "max": yuan(hi)},
            code="amount",
        )
    return int(value)


def check_year(year: Any) -> int:
    if (
        isinstance(year, bool)
        or not isinstance(year, int)
        or not EVENT_YEARS[0] <= year <= EVENT_YEARS[1]
    ):
        raise InvalidInput(_("The year is not valid."), code="year")
    return int(year)


def _check_day(day: Any) -> dt.date:
    if not isinstance(day, dt.date) or isinstance(day, dt.datetime) or not in_window(day):
        raise InvalidInput(_("The date is not valid."), code="day")
    if day > today():
        raise InvalidInput(_("The date may not be in the future."), code="day_future")
    return day


# --- rules and allocations -------------------------------------------------------------------


def _allocations_below(unit: Unit, year: int) -> list[FundAllocation]:
    return list(
        FundAllocation.objects.select_for_update()
        .filter(year=year, representative__unit__path__startswith=unit.path)
        .select_related("representative__unit")
        .order_by("pk")
    )


@transaction.atomic
def fund_rule_set(
    *, actor: User, unit: Unit, year: int, allocation_fen: int, approval_fen: int
) -> FundRule:
    """Set a city's, town's or village's allocation per representative (no less than
    200 yuan) and approval threshold for a year.

    The allocations of the year already opened below the unit follow the new rule in
    force for each; a change that would leave one of them less than it has spent and
    holds back is refused whole.
    """
    if not policy.can_set_rule(actor, unit):
        raise Forbidden(_("You may not set the service fund of this unit."), code="forbidden")
    year = check_year(year)
    allocation_fen = check_fen(allocation_fen, _("The allocation"))
    approval_fen = check_fen(approval_fen, _("The approval threshold"), lo=0)
    if allocation_fen < MIN_ALLOCATION_FEN:
        raise InvalidInput(
            _(
                "The allocation per representative may not be less than %(min)s yuan a year "
                "(%(given)s yuan was given)."
            )
            % {"min": yuan(MIN_ALLOCATION_FEN), "given": yuan(allocation_fen)},
            code="allocation_below_floor",
        )
    # The allocations first (the lock order of the ledger: allocation, then the rest).
    opened = _allocations_below(unit, year)
    before = selectors.own_rule(unit, year)
    old = (before.allocation_fen, before.approval_fen) if before else None
    rule, _created = FundRule.objects.update_or_create(
        unit=unit,
        year=year,
        defaults={
            "allocation_fen": allocation_fen,
            "approval_fen": approval_fen,
            "updated_by": actor,
            "updated_at": timezone.now(),
        },
    )
    changed: list[int] = []
    for allocation in opened:
        amount = selectors.rule_for(allocation.representative.unit.path, year).allocation_fen
        if amount == allocation.amount_fen:
            continue
        if amount < allocation.spent_fen + allocation.pending_fen:
            raise Conflict(
                _(
                    "%(name)s has already spent or holds back %(used)s yuan of %(year)d: "
                    "the allocation cannot be lowered to %(amount)s yuan."
                )
                % {
                    "name": allocation.representative.name,
                    "used": yuan(allocation.spent_fen + allocation.pending_fen),
                    "year": year,
                    "amount": yuan(amount),
                },
                code="allocation_below_spent",
            )
        allocation.amount_fen = amount
        allocation.save(update_fields=["amount_fen"])
        changed.append(allocation.pk)
    audit_record(
        actor=actor,
        action=AuditAction.FUND_RULE_SET,
        target=rule,
        detail={
            "unit": unit.pk,
            "year": year,
            "old": list(old) if old else None,
            "allocation_fen": allocation_fen,
            "approval_fen": approval_fen,
            "allocations_changed": changed,
        },
    )
    return rule


def _new_allocation(representative: Representative, year: int) -> FundAllocation:
    amount = selectors.rule_for(representative.unit.path, year).allocation_fen
    return FundAllocation(representative=representative, year=year, amount_fen=amount)


@transaction.atomic
def allocations_open(*, actor: User, unit: Unit, year: int) -> int:
    """Open the year's allocation of every serving representative below `unit` that
    has none yet, at the rule in force for each; answer how many were opened."""
    if not policy.can_set_rule(actor, unit):
        raise Forbidden(_("You may not set the service fund of this unit."), code="forbidden")
    year = check_year(year)
    serving = Representative.objects.filter(
        term_end__isnull=True, unit__path__startswith=unit.path
    ).select_related("unit")
    have = set(
        FundAllocation.objects.filter(year=year, representative__in=serving).values_list(
            "representative_id", flat=True
        )
    )
    rows = [_new_allocation(r, year) for r in serving if r.pk not in have]
    FundAllocation.objects.bulk_create(rows, ignore_conflicts=True)
    audit_record(
        actor=actor,
        action=AuditAction.FUND_ALLOCATIONS_OPEN,
        target=unit,
        detail={"year": year, "opened": len(rows)},
    )
    return len(rows)


def _locked_allocation(representative: Representative, year: int) -> FundAllocation:
    """The representative's allocation for the year, opened if need be, under its lock."""
    found = FundAllocation.objects.filter(representative=representative, year=year).first()
    if found is None:
        new = _new_allocation(representative, year)
        FundAllocation.objects.bulk_create([new], ignore_conflicts=True)
    return (
        FundAllocation.objects.select_for_update()
        .select_related("representative__unit")
        .get(representative=representative, year=year)
    )


def _lock(allocation: FundAllocation) -> FundAllocation:
    return (
        FundAllocation.objects.select_for_update()
        .select_related("representative__unit")
        .get(pk=allocation.pk)
    )


# --- the ledger ----------------------------------------------------------------------------


def _links(
    actor: User,
    household: Household | int | None,
    appeal: Appeal | str | None,
    activity: Activity | int | None,
) -> tuple[Household | None, Appeal | None, Activity | None]:
    """What the spending served, each one the actor sees (404 otherwise)."""
    h = a = act = None
    if household is not None:
        pk = household.pk if isinstance(household, Household) else household
        h = households_visible_to(actor).filter(pk=pk).first()
        if h is None:
            raise NotFound(_("Household not found."))
    if appeal is not None and appeal != "":
        if isinstance(appeal, Appeal):
            a = appeals_visible_to(actor).filter(pk=appeal.pk).first()
        else:
            a = appeals_visible_to(actor).filter(code=str(appeal).strip().upper()).first()
        if a is None:
            raise NotFound(_("No such appeal."))
    if activity is not None:
        pk = activity.pk if isinstance(activity, Activity) else activity
        act = activities_visible_to(actor).filter(pk=pk).first()
        if act is None:
            raise NotFound(_("No such activity."))
    return h, a, act


def _store_receipts(entry: FundEntry, prepared: list[Any]) -> list[FundReceipt]:
    stored: list[str] = []
    out: list[FundReceipt] = []
    try:
        for p in prepared:
            receipt = FundReceipt(
                entry=entry,
                content_type=p.content_type,
                size=len(p.data),
                width=p.width,
                height=p.height,
                sha256=p.sha256,
            )
            receipt.image.save(f"receipt{p.extension}", ContentFile(p.data), save=False)
            stored.append(receipt.image.name)
            receipt.save()
            out.append(receipt)
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise
    return out


@transaction.atomic
def fund_spend(
    *,
    actor: User,
    representative: Representative,
    amount_fen: int,
    day: dt.date,
    purpose: str,
    household: Household | int | None = None,
    appeal: Appeal | str | None = None,
    activity: Activity | int | None = None,
    receipts: Any = None,
) -> FundEntry:
    """Record a spending from the representative's fund of `day`'s year.

    Counted at once up to the approval threshold of the rule in force; above it, held
    back until the village cadre decides. Refused, with nothing written, when it is
    more than what is left (the balance less what waits for approval).
    """
    if representative.pk not in policy.own_ids(actor) or representative.term_end is not None:
        raise Forbidden(_("You may spend only from your own service fund."), code="not_your_fund")
    amount_fen = check_fen(amount_fen, _("The amount"))
    day = _check_day(day)
    if day < representative.term_start:
        # Else a back-dated spending would open a fund for a year they did not serve.
        raise InvalidInput(
            _("The date is before the representative's term began (%(start)s).")
            % {"start": representative.term_start.isoformat()},
            code="day_before_term",
        )
    purpose = clean_text(purpose, _("The purpose"), PURPOSE_MAX, required=True)
    h, a, act = _links(actor, household, appeal, activity)
    # Every photo is checked before anything is written.
    prepared = photos_prepare(receipts)
    allocation = _locked_allocation(representative, day.year)
    rule = selectors.rule_for(allocation.representative.unit.path, day.year)
    if amount_fen > allocation.available_fen:
        raise Conflict(
            _(
                "Not enough left in the service fund: this spending is %(amount)s yuan, "
                "%(left)s yuan is left for %(year)d."
            )
            % {
                "amount": yuan(amount_fen),
                "left": yuan(max(allocation.available_fen, 0)),
                "year": day.year,
            },
            code="fund_overspent",
            details={"available_fen": max(allocation.available_fen, 0)},
        )
    pending = amount_fen > rule.approval_fen
    entry = FundEntry.objects.create(
        allocation=allocation,
        kind=FundEntryKind.SPEND,
        amount_fen=amount_fen,
        day=day,
        purpose=purpose,
        household=h,
        appeal=a,
        activity=act,
        status=FundEntryStatus.PENDING if pending else FundEntryStatus.APPROVED,
        created_by=actor,
    )
    if pending:
        allocation.pending_fen += amount_fen
    else:
        allocation.spent_fen += amount_fen
    allocation.save(update_fields=["pending_fen", "spent_fen"])
    stored = _store_receipts(entry, prepared)
    audit_record(
        actor=actor,
        action=AuditAction.FUND_SPEND,
        target=entry,
        detail={
            "allocation": allocation.pk,
            "amount_fen": amount_fen,
            "status": entry.status,
            "receipts": [r.pk for r in stored],
        },
    )
    return entry


def _entry_under_lock(entry: FundEntry) -> tuple[FundAllocation, FundEntry]:
    allocation = _lock(entry.allocation)
    fresh = FundEntry.objects.select_related("allocation__representative__unit").get(pk=entry.pk)
    fresh.allocation = allocation
    return allocation, fresh


@transaction.atomic
def fund_decide(*, actor: User, entry: FundEntry, approve: bool, note: str = "") -> FundEntry:
    """Approve or refuse a spending that waits for approval (once). An approved one
    counts against the balance; a refused one never counts."""
    note = clean_text(note, _("The note"), PURPOSE_MAX, required=not approve)
    allocation, entry = _entry_under_lock(entry)
    if not policy.can_approve(actor, entry):
        raise Forbidden(_("You may not decide on this spending."), code="forbidden")
    if entry.kind != FundEntryKind.SPEND or entry.status != FundEntryStatus.PENDING:
        raise Conflict(_("This spending is not waiting for approval."), code="entry_decided")
    allocation.pending_fen -= entry.amount_fen
    if approve:
        allocation.spent_fen += entry.amount_fen
    allocation.save(update_fields=["pending_fen", "spent_fen"])
    entry.status = FundEntryStatus.APPROVED if approve else FundEntryStatus.REFUSED
    entry.decided_by = actor
    entry.decided_at = timezone.now()
    entry.decision_note = note
    entry.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    audit_record(
        actor=actor,
        action=AuditAction.FUND_APPROVE if approve else AuditAction.FUND_REFUSE,
        target=entry,
        detail={"allocation": allocation.pk, "amount_fen": entry.amount_fen, "note": note},
    )
    return entry


@transaction.atomic
def fund_reverse(*, actor: User, entry: FundEntry, reason: str) -> FundEntry:
    """Reverse a counted spending: a new entry, linked to it, that gives its amount back
    to the fund. The spending itself is left as it was."""
    reason = clean_text(reason, _("The reason"), PURPOSE_MAX, required=True)
    allocation, entry = _entry_under_lock(entry)
    if not policy.can_reverse(actor, entry):
        raise Forbidden(_("You may not reverse this entry."), code="forbidden")
    if entry.kind != FundEntryKind.SPEND:
        raise Conflict(_("A reversal cannot be reversed."), code="entry_is_reversal")
    if entry.status != FundEntryStatus.APPROVED:
        raise Conflict(
            _("Only a counted spending can be reversed (this one is not counted)."),
            code="entry_not_counted",
        )
    if FundEntry.objects.filter(reverses=entry).exists():
        raise Conflict(_("This spending was reversed already."), code="entry_reversed")
    reversal = FundEntry.objects.create(
        allocation=allocation,
        kind=FundEntryKind.REVERSAL,
        amount_fen=entry.amount_fen,
        day=today(),
        purpose=reason,
        status=FundEntryStatus.APPROVED,
        reverses=entry,
        created_by=actor,
    )
    allocation.spent_fen -= entry.amount_fen
    allocation.save(update_fields=["spent_fen"])
    audit_record(
        actor=actor,
        action=AuditAction.FUND_REVERSE,
        target=reversal,
        detail={
            "allocation": allocation.pk,
            "reverses": entry.pk,
            "amount_fen": entry.amount_fen,
            "reason": reason,
        },
    )
    return reversal
