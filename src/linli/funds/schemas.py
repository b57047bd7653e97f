"""The API's shapes for the service fund (every input through `core.inputs`).
Amounts are integer fen (分)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from ninja import Field, Schema

from linli.core.inputs import Day, Id, Line, NotBool, bounded

from .models import MAX_FEN, FundEntryKind, FundEntryStatus

# Amounts in fen: integers (never floats or booleans) within what any field takes.
Fen = Annotated[int, NotBool, bounded(1, MAX_FEN)]
FenOrZero = Annotated[int, NotBool, bounded(0, MAX_FEN)]
Year = Annotated[int, NotBool, bounded(2000, 2100)]
Purpose = Annotated[str, Line(500)]
AppealCode = Annotated[str, Line(20)]


class FundAllocationFilters(Schema):
    year: Year | None = Field(None, description="Only this year's funds.")
    unit: Id | None = Field(None, description="Only the funds of this unit's subtree.")


class FundEntryFilters(Schema):
    year: Year | None = None
    unit: Id | None = Field(None, description="Only entries of this unit's subtree.")
    allocation: Id | None = Field(None, description="Only this fund's entries.")
    status: FundEntryStatus | None = None
    kind: FundEntryKind | None = None
    start: Day | None = Field(None, description="Dated on or after this day.")
    end: Day | None = Field(None, description="Dated on or before this day.")


class FundTotalsQuery(Schema):
    year: Year | None = Field(None, description="Default: this year.")
    unit: Id | None = Field(None, description="Default: the highest unit you see.")


class FundAllocationOut(Schema):
    id: int
    representative_id: int
    representative_name: str
    unit_id: int
    unit_name: str
    year: int
    amount_fen: int
    spent_fen: int
    pending_fen: int
    balance_fen: int
    available_fen: int

    @staticmethod
    def resolve_representative_name(obj: Any) -> str:
        return str(obj.representative.name)

    @staticmethod
    def resolve_unit_id(obj: Any) -> int:
        return int(obj.representative.unit_id)

    @staticmethod
    def resolve_unit_name(obj: Any) -> str:
        return str(obj.representative.unit.name)


class FundEntryOut(Schema):
    id: int
    allocation_id: int
    representative_name: str
    year: int
    kind: FundEntryKind
    status: FundEntryStatus
    amount_fen: int
    day: dt.date
    purpose: str
    household_id: int | None
    appeal_code: str | None
    activity_id: int | None
    reverses_id: int | None
    reversed_by_id: int | None
    created_at: dt.datetime
    decided_at: dt.datetime | None
    decision_note: str

    @staticmethod
    def resolve_representative_name(obj: Any) -> str:
        return str(obj.allocation.representative.name)

    @staticmethod
    def resolve_year(obj: Any) -> int:
        return int(obj.allocation.year)

    @staticmethod
    def resolve_appeal_code(obj: Any) -> str | None:
        return obj.appeal.code if obj.appeal_id else None

    @staticmethod
    def resolve_reversed_by_id(obj: Any) -> int | None:
        reversal = getattr(obj, "reversed_by", None)
        return reversal.pk if reversal is not None else None


class FundSpendIn(Schema):
    representative_id: Id | None = Field(
        None, description="Your representative record (needed only if you serve as two)."
    )
    amount_fen: Fen = Field(description="In fen: 12.50 yuan is 1250.")
    day: Day = Field(description="The day of the spending (not in the future).")
    purpose: Purpose
    household_id: Id | None = None
    appeal_code: AppealCode | None = None
    activity_id: Id | None = None


class FundDecisionIn(Schema):
    approve: bool
    note: Purpose = Field("", description="Needed when refusing.")


class FundReversalIn(Schema):
    reason: Purpose


class FundRuleIn(Schema):
    year: Year
    allocation_fen: Fen = Field(description="Per representative, in fen; at least 20000.")
    approval_fen: FenOrZero = Field(description="Spending above this (fen) waits for approval.")


class FundRuleOut(Schema):
    unit_id: int
    year: int
    allocation_fen: int
    approval_fen: int


class FundTotalsRow(Schema):
    label: str
    unit_id: int | None
    allocation_id: int | None
    funds: int
    allocated_fen: int
    spent_fen: int
    pending_fen: int
    balance_fen: int

    @staticmethod
    def resolve_unit_id(obj: Any) -> int | None:
        return obj.unit.pk if obj.unit is not None else None

    @staticmethod
    def resolve_allocation_id(obj: Any) -> int | None:
        return obj.allocation.pk if obj.allocation is not None else None


class FundTotalsOut(Schema):
    unit_id: int
    year: int
    total: FundTotalsRow
    children: list[FundTotalsRow]
    representatives: list[FundTotalsRow]
    unopened: int

    @staticmethod
    def resolve_unit_id(obj: Any) -> int:
        return int(obj.unit.pk)
