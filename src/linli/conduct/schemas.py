"""Request and response shapes of the conduct API (names prefixed for uniqueness)."""

import datetime as dt
from typing import Annotated

from ninja import Field, Schema

from linli.core.inputs import Day, Id, Line, Search, Text

from .models import BreachStage, EventKind, EvidenceKind, Severity


class ConductEntryOut(Schema):
    id: int
    code: str
    title: str
    description: str
    severity: Severity
    active: bool
    unit_id: int | None = Field(description="None: the city's list; else the town's own.")
    unit_name: str | None = Field(None, description="The town of an entry of a town's list.")

    @staticmethod
    def resolve_unit_name(obj) -> str | None:
        return obj.unit.name if obj.unit_id else None


class ConductEntryFilters(Schema):
    active: bool | None = Field(None, description="Only active (true) or inactive (false).")
    severity: Severity | None = None


class ConductEntryIn(Schema):
    code: Annotated[str, Line(20)] = Field(description="Unique, e.g. `FM-07`.")
    title: Annotated[str, Line(200)]
    description: Annotated[str, Text(2000)] = ""
    severity: Severity
    unit_id: Id | None = Field(
        None, description="A town: add to its own list. Omitted: the city's list."
    )


class ConductEntryUpdateIn(Schema):
    title: Annotated[str, Line(200)]
    description: Annotated[str, Text(2000)] = ""
    severity: Severity
    active: bool = True


class BreachFilters(Schema):
    stage: BreachStage | None = None
    severity: Severity | None = None
    unit: Id | None = Field(None, description="Only breaches in this unit's subtree.")
    overdue: bool = Field(
        False, description="Only those whose response window passed without a statement."
    )
    q: Search = Field("", description="Search the representative's name, entry and text.")
    mine: bool = Field(False, description="Only breach records against my own account.")


class BreachIn(Schema):
    representative_id: Id
    entry_id: Id
    description: Annotated[str, Text(5000)]
    occurred_on: Day
    place: Annotated[str, Line(200)] = ""
    source: Annotated[str, Line(100)] = Field(
        "", description="A resident's report entered by a cadre: the resident's name."
    )


class BreachStatementIn(Schema):
    text: Annotated[str, Text(5000)]


class BreachDecisionIn(Schema):
    reason: Annotated[str, Text(2000)]


class BreachWithdrawIn(Schema):
    reason: Annotated[str, Text(2000)] = ""


class BreachOut(Schema):
    id: int
    representative_id: int
    representative_name: str = Field(alias="representative.name")
    unit_id: int
    unit_name: str = Field(alias="unit.name")
    entry_id: int
    entry_code: str = Field(alias="entry.code")
    entry_title: str = Field(alias="entry.title")
    severity: Severity
    stage: BreachStage
    description: str
    occurred_on: dt.date
    reported_at: dt.datetime
    respond_by: dt.date = Field(description="The statement is due by this day (inclusive).")


class BreachEvidenceOut(Schema):
    id: int
    kind: EvidenceKind
    name: str
    content_type: str
    size: int
    url: str

    @staticmethod
    def resolve_url(obj) -> str:
        return f"/conduct/evidence/{obj.pk}/"


class BreachEventOut(Schema):
    kind: EventKind
    actor_name: str | None = None
    at: dt.datetime
    note: str

    @staticmethod
    def resolve_actor_name(obj) -> str | None:
        return obj.actor.name if obj.actor_id else None


class BreachDetailOut(BreachOut):
    place: str
    source: str
    reported_by_name: str = Field(
        description="Empty for the representative the breach is against (no retaliation)."
    )
    response_days: int
    statement: str
    statement_by_name: str | None = None
    statement_at: dt.datetime | None
    decided_at: dt.datetime | None
    decision_reason: str
    evidence: list[BreachEvidenceOut]
    events: list[BreachEventOut] = Field(alias="timeline")
    actions: list[str] = Field(
        description="What the caller may do now: statement, confirm, dismiss, withdraw, evidence."
    )

    @staticmethod
    def resolve_reported_by_name(obj) -> str:
        label = getattr(obj, "reporter_label", None)
        if label is not None:
            return label
        return obj.reported_by.name if obj.reported_by_id else ""

    @staticmethod
    def resolve_statement_by_name(obj) -> str | None:
        return obj.statement_by.name if obj.statement_by_id else None


class EvidenceAddedOut(Schema):
    added: int
