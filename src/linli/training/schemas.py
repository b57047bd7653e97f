"""The API's shapes for representative training (every input through `core.inputs`).
Minutes are integers."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from ninja import Field, Schema

from linli.core.api_schemas import MAX_PAGE_SIZE
from linli.core.inputs import Day, Id, Line, NotBool, Page, bounded

from .models import MAX_CAPACITY, MAX_MINUTES, AttendanceStatus, SessionStatus

Year = Annotated[int, NotBool, bounded(2000, 2100)]
Minutes = Annotated[int, NotBool, bounded(1, MAX_MINUTES)]
MinutesOrZero = Annotated[int, NotBool, bounded(0, MAX_MINUTES)]
Capacity = Annotated[int, NotBool, bounded(1, MAX_CAPACITY)]
Title = Annotated[str, Line(200)]
Topic = Annotated[str, Line(500)]
Reason = Annotated[str, Line(500)]
Clock = Annotated[str, Line(8)]
PageSize = Annotated[int, NotBool, bounded(1, MAX_PAGE_SIZE)]


class PlanFilters(Schema):
    year: Year | None = Field(None, description="Only this year's plans.")
    unit: Id | None = Field(None, description="Only this organiser's plans.")


class PlanIn(Schema):
    unit_id: Id = Field(description="The organiser: a city, town or village you manage.")
    year: Year
    title: Title


class PlanOut(Schema):
    id: int
    unit_id: int
    unit_name: str
    year: int
    title: str

    @staticmethod
    def resolve_unit_name(obj: Any) -> str:
        return str(obj.unit.name)


class SessionFilters(Schema):
    plan: Id | None = Field(None, description="Only this plan's sessions.")
    year: Year | None = None
    status: SessionStatus | None = None


class SessionIn(Schema):
    plan_id: Id
    title: Title
    topic: Topic = ""
    held_on: Day = Field(description="In the plan's year.")
    starts_at: Clock | None = Field(None, description="HH:MM, such as 09:30.")
    duration_minutes: Minutes
    credit_minutes: Minutes | None = Field(
        None, description="Minutes credited to each present (default: the duration)."
    )
    place: Title
    capacity: Capacity


class SessionOut(Schema):
    id: int
    plan_id: int
    organiser: str
    title: str
    topic: str
    held_on: dt.date
    starts_at: dt.time | None
    duration_minutes: int
    credit_minutes: int
    place: str
    capacity: int
    status: SessionStatus
    cancel_reason: str

    @staticmethod
    def resolve_organiser(obj: Any) -> str:
        return str(obj.plan.unit.name)


class EnrolIn(Schema):
    representative_ids: list[Id] = Field(min_length=1, max_length=1000)


class TrainingWithdrawIn(Schema):
    representative_id: Id


class EnrolOut(Schema):
    enrolled: int
    total: int


class MarkIn(Schema):
    representative_id: Id
    status: AttendanceStatus
    minutes: MinutesOrZero | None = Field(
        None, description="When present; default the session's minutes credited."
    )


class TrainingAttendanceIn(Schema):
    records: list[MarkIn] = Field(min_length=1, max_length=1000)
    reason: Reason = Field("", description="Needed when correcting attendance recorded.")


class AttendanceOut(Schema):
    recorded: int
    corrected: int
    unchanged: int


class TrainingCancelIn(Schema):
    reason: Reason


class EnrolledOut(Schema):
    representative_id: int
    representative_name: str
    unit_name: str
    attendance: AttendanceStatus | None
    minutes: int | None

    @staticmethod
    def resolve_representative_id(obj: Any) -> int:
        return int(obj.representative.pk)

    @staticmethod
    def resolve_representative_name(obj: Any) -> str:
        return str(obj.representative.name)

    @staticmethod
    def resolve_unit_name(obj: Any) -> str:
        return str(obj.representative.unit.name)

    @staticmethod
    def resolve_attendance(obj: Any) -> str | None:
        return obj.attendance.status if obj.attendance else None

    @staticmethod
    def resolve_minutes(obj: Any) -> int | None:
        return obj.attendance.minutes if obj.attendance else None


class SessionDetailOut(SessionOut):
    enrolled: list[EnrolledOut]


class RecordQuery(Schema):
    year: Year | None = Field(None, description="Default: this year.")


class AttendedOut(Schema):
    session_id: int
    title: str
    organiser: str
    held_on: dt.date
    minutes: int

    @staticmethod
    def resolve_session_id(obj: Any) -> int:
        return int(obj.session.pk)


class RecordOut(Schema):
    representative_id: int
    representative_name: str
    year: int
    total_minutes: int
    attended: list[AttendedOut]

    @staticmethod
    def resolve_representative_id(obj: Any) -> int:
        return int(obj.representative.pk)

    @staticmethod
    def resolve_representative_name(obj: Any) -> str:
        return str(obj.representative.name)


class HoursQuery(Schema):
    year: Year | None = Field(None, description="Default: this year.")
    unit: Id | None = Field(None, description="Default: the highest unit you see.")


class HoursRowOut(Schema):
    representative_id: int
    representative_name: str
    unit_id: int
    unit_name: str
    sessions: int
    minutes: int

    @staticmethod
    def resolve_representative_id(obj: Any) -> int:
        return int(obj.representative.pk)

    @staticmethod
    def resolve_representative_name(obj: Any) -> str:
        return str(obj.representative.name)

    @staticmethod
    def resolve_unit_id(obj: Any) -> int:
        return int(obj.representative.unit_id)

    @staticmethod
    def resolve_unit_name(obj: Any) -> str:
        return str(obj.representative.unit.name)


class HoursQueryPaged(HoursQuery):
    page: Page = 1
    page_size: PageSize | None = None


class HoursOut(Schema):
    unit_id: int
    year: int
    total_minutes: int
    items: list[HoursRowOut]
    count: int
    page: int
    pages: int
    page_size: int
