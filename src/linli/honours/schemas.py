"""The API's shapes for the hundred best, their benefits and the reserve pool (every
input through `core.inputs`). Scores are integer hundredths of a point."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any

from ninja import Field, Schema

from linli.core.inputs import Day, Id, Line, NotBool, Text, bounded

from .models import (
    CITATION_MAX,
    NOTE_MAX,
    NominationEventKind,
    NominationStatus,
    ReserveStatus,
    SelectionStage,
)

Year = Annotated[int, NotBool, bounded(2000, 2100)]
Note = Annotated[str, Line(NOTE_MAX)]


class NominationAction(StrEnum):
    TOWN_APPROVE = "town_approve"
    TOWN_REJECT = "town_reject"
    CITY_APPROVE = "city_approve"
    CITY_REJECT = "city_reject"
    WITHDRAW = "withdraw"


class HonoursQuotaOut(Schema):
    town_id: int
    town_name: str
    seats: int
    submitted_at: dt.datetime | None

    @staticmethod
    def resolve_town_name(obj: Any) -> str:
        return str(obj.town.name)


class HonoursSelectionOut(Schema):
    year: int
    seats: int
    stage: SelectionStage
    notice_starts: dt.date | None
    notice_ends: dt.date | None
    quotas: list[HonoursQuotaOut]

    @staticmethod
    def resolve_quotas(obj: Any) -> list[Any]:
        return list(obj.quotas.select_related("town").order_by("town__path"))


class NominationFilters(Schema):
    year: Year | None = Field(None, description="Default: the latest selection.")
    status: NominationStatus | None = None
    town: Id | None = Field(None, description="Only this town's nominations.")


class NominationEventOut(Schema):
    kind: NominationEventKind
    actor_name: str | None
    note: str
    at: dt.datetime

    @staticmethod
    def resolve_actor_name(obj: Any) -> str | None:
        return obj.actor.name if obj.actor_id else None


class NominationOut(Schema):
    id: int
    year: int
    representative_id: int
    representative_name: str
    town_id: int
    town_name: str
    village_name: str
    score_total: int = Field(description="Hundredths of a point, when nominated.")
    rank_town: int | None
    rank_city: int | None
    score_version: int
    citation: str
    status: NominationStatus
    created_at: dt.datetime

    @staticmethod
    def resolve_year(obj: Any) -> int:
        return int(obj.selection.year)

    @staticmethod
    def resolve_representative_name(obj: Any) -> str:
        return str(obj.representative.name)

    @staticmethod
    def resolve_town_name(obj: Any) -> str:
        return str(obj.town.name)

    @staticmethod
    def resolve_village_name(obj: Any) -> str:
        return str(obj.village.name)


class NominationDetailOut(NominationOut):
    events: list[NominationEventOut]
    open_objections: int

    @staticmethod
    def resolve_events(obj: Any) -> list[Any]:
        return list(obj.events.select_related("actor").order_by("at", "id"))

    @staticmethod
    def resolve_open_objections(obj: Any) -> int:
        return int(obj.objections.filter(status="open").count())


class NominateIn(Schema):
    year: Year
    representative_id: Id
    citation: Annotated[str, Text(CITATION_MAX)] = ""


class NominationDecisionIn(Schema):
    action: NominationAction
    note: Note = Field("", description="Needed to reject or withdraw.")


class PublicNomineeOut(Schema):
    name: str
    town: str
    village: str
    score_total: int
    citation: str

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return str(obj.representative.name)

    @staticmethod
    def resolve_town(obj: Any) -> str:
        return str(obj.town.name)

    @staticmethod
    def resolve_village(obj: Any) -> str:
        return str(obj.village.name)


class PublicHonoursOut(Schema):
    year: int
    stage: SelectionStage
    notice_starts: dt.date | None
    notice_ends: dt.date | None
    nominees: list[PublicNomineeOut]


class BenefitFilters(Schema):
    year: Year | None = Field(None, description="Default: last year.")


class BenefitIssueOut(Schema):
    id: int
    kind_id: int
    kind_name: str
    representative_id: int
    representative_name: str
    year: int
    issued_on: dt.date
    reference: str
    revoked_at: dt.datetime | None
    revoke_reason: str

    @staticmethod
    def resolve_kind_name(obj: Any) -> str:
        return str(obj.kind.name)

    @staticmethod
    def resolve_representative_name(obj: Any) -> str:
        return str(obj.representative.name)


class BenefitIssueIn(Schema):
    kind_id: Id
    representative_id: Id
    year: Year
    issued_on: Day
    reference: Annotated[str, Line(100)] = ""


class ReserveFilters(Schema):
    year: Year | None = Field(None, description="Default: this year.")
    status: ReserveStatus | None = None


class ReserveCandidateOut(Schema):
    id: int
    representative_id: int
    representative_name: str
    year: int
    age: int
    score_total: int
    score_version: int
    status: ReserveStatus
    note: str
    decided_at: dt.datetime | None

    @staticmethod
    def resolve_representative_name(obj: Any) -> str:
        return str(obj.representative.name)


class ReserveDecisionIn(Schema):
    confirm: bool
    note: Note = Field("", description="Needed to decline.")
