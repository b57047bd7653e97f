"""The API's shapes for service days and activities (every input through `core.inputs`)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import annotated_types
from ninja import Field, Schema

from linli.core.inputs import Count, Day, Id, Line, Moment, Phone, Text

from . import selectors
from .models import LAST, ActivityKind, ActivityStatus, RuleKind

Short = Annotated[str, Line(200)]
MaxIds = annotated_types.MaxLen(200)
Code = Annotated[str, Line(12)]
# A day of the month (1..28) or LAST (-1); the nth weekday (1..4) or LAST.
MonthDay = Annotated[int, annotated_types.Interval(ge=LAST, le=28)]
Nth = Annotated[int, annotated_types.Interval(ge=LAST, le=4)]
Weekday = Annotated[int, annotated_types.Interval(ge=0, le=6)]


class ActivityFilters(Schema):
    unit: Id | None = Field(None, description="Only activities in this unit's subtree.")
    kind: ActivityKind | None = None
    status: ActivityStatus | None = None
    start: Day | None = Field(None, description="Starting on or after this day.")
    end: Day | None = Field(None, description="Starting on or before this day.")


class ActivityIn(Schema):
    unit_id: Id = Field(description="The town, village, area or group it is held in.")
    kind: ActivityKind
    title: Short
    place: Short
    starts_at: Moment
    ends_at: Moment | None = None
    capacity: Count | None = Field(None, description="At most this many sign-ups; none: no limit.")
    description: Annotated[str, Text(5000)] = ""
    organiser_ids: Annotated[list[Id], MaxIds] = Field(
        default_factory=list, description="Organising representatives (serving in its line)."
    )
    guard_team_ids: Annotated[list[Id], MaxIds] = Field(default_factory=list)
    appeal_codes: Annotated[list[Code], MaxIds] = Field(
        default_factory=list, description="Open appeals in scope the activity takes up."
    )
    on_service_day: bool | None = Field(
        None, description="Default: whether its day is a service day of the unit."
    )


class ActivityUpdateIn(Schema):
    kind: ActivityKind
    title: Short
    place: Short
    starts_at: Moment
    ends_at: Moment | None = None
    capacity: Count | None = None
    description: Annotated[str, Text(5000)] = ""
    organiser_ids: Annotated[list[Id], MaxIds] = Field(default_factory=list)
    guard_team_ids: Annotated[list[Id], MaxIds] = Field(default_factory=list)
    appeal_codes: Annotated[list[Code], MaxIds] = Field(default_factory=list)
    on_service_day: bool | None = None


class CancelIn(Schema):
    reason: Annotated[str, Line(500)]


class AttendanceIn(Schema):
    attended: Annotated[list[Id], annotated_types.MaxLen(100_000)] = Field(
        default_factory=list, description="The sign-ups (ids) who came."
    )
    walk_ins: Count = Field(0, description="People who came without signing up.")


class HeldIn(Schema):
    outcome: Annotated[str, Text(5000)]
    attended: Annotated[list[Id], annotated_types.MaxLen(100_000)] | None = None
    walk_ins: Count | None = None


class Ref(Schema):
    id: int
    name: str


class ActivityOut(Schema):
    id: int
    unit_id: int
    unit_name: str = Field(alias="unit.name")
    kind: str
    kind_label: str
    title: str
    description: str
    place: str
    starts_at: dt.datetime
    ends_at: dt.datetime | None
    capacity: int | None
    on_service_day: bool
    status: str
    outcome: str
    cancel_reason: str
    organisers: list[Ref]
    guard_teams: list[Ref]
    signed_up: int
    places_left: int | None
    walk_ins: int
    attendance: int = Field(description="Sign-ups ticked as attended, plus the walk-ins.")
    deliberation_id: int | None = Field(description="Its duties record once held.")

    @staticmethod
    def resolve_kind_label(obj: Any) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_organisers(obj: Any) -> list[dict[str, Any]]:
        return [{"id": r.pk, "name": r.name} for r in obj.organisers.all()]

    @staticmethod
    def resolve_guard_teams(obj: Any) -> list[dict[str, Any]]:
        return [{"id": t.pk, "name": t.name} for t in obj.guard_teams.all()]

    @staticmethod
    def resolve_signed_up(obj: Any) -> int:
        n = getattr(obj, "signed_up", None)
        return n if n is not None else selectors.signed_up_count(obj)

    @staticmethod
    def resolve_places_left(obj: Any) -> int | None:
        if obj.capacity is None:
            return None
        return max(0, obj.capacity - ActivityOut.resolve_signed_up(obj))

    @staticmethod
    def resolve_attendance(obj: Any) -> int:
        n = getattr(obj, "attended_n", None)
        return (n + obj.walk_ins) if n is not None else selectors.attendance_count(obj)


class SignupOut(Schema):
    id: int
    name: str
    phone_masked: str
    by_account: bool
    attended: bool
    created_at: dt.datetime

    @staticmethod
    def resolve_by_account(obj: Any) -> bool:
        return obj.user_id is not None


class LinkedAppealOut(Schema):
    code: str = Field(alias="appeal.code")
    outcome: str


class ActivityDetailOut(ActivityOut):
    signups: list[SignupOut] | None = Field(
        description="Who signed up (masked mobiles): organisers and cadres only, else null."
    )
    appeals: list[LinkedAppealOut] | None = Field(
        description="The appeals taken up and what became of them: organisers and cadres only."
    )
    photos: int = Field(description="Photos of the day.")

    @staticmethod
    def resolve_signups(obj: Any) -> list[Any] | None:
        return getattr(obj, "signups_out", None)

    @staticmethod
    def resolve_appeals(obj: Any) -> list[Any] | None:
        return getattr(obj, "appeals_out", None)

    @staticmethod
    def resolve_photos(obj: Any) -> int:
        return int(obj.photos.count())


class MySignupOut(Schema):
    id: int
    activity_id: int
    name: str
    created_at: dt.datetime


# --- public ---------------------------------------------------------------------------------


class PublicActivityOut(Schema):
    id: int
    unit_name: str = Field(alias="unit.name")
    kind: str
    kind_label: str
    title: str
    description: str
    place: str
    starts_at: dt.datetime
    ends_at: dt.datetime | None
    status: str
    organisers: list[str]
    places_left: int | None

    @staticmethod
    def resolve_kind_label(obj: Any) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_organisers(obj: Any) -> list[str]:
        return [r.name for r in obj.organisers.all()]

    @staticmethod
    def resolve_places_left(obj: Any) -> int | None:
        return selectors.places_left(obj)


class PublicSignupIn(Schema):
    name: Annotated[str, Line(50)]
    phone: Phone
    code: Annotated[str, Line(12)] = Field(description="The one-time code (`/public/codes`).")


class PublicCancelIn(Schema):
    phone: Phone
    code: Annotated[str, Line(12)]


class PublicSignupOut(Schema):
    id: int
    activity_id: int
    name: str
    phone_masked: str


# --- the service day ---------------------------------------------------------------------------


class ServiceDayRuleIn(Schema):
    kind: RuleKind
    month_day: MonthDay | None = Field(None, description="month_day: 1..28, or -1 (last day).")
    nth: Nth | None = Field(None, description="weekday: 1..4, or -1 (the last).")
    weekday: Weekday | None = Field(None, description="weekday: 0 Monday .. 6 Sunday.")
    effective_from: Day | None = Field(None, description="Default today.")


class ServiceDayRuleOut(Schema):
    id: int
    unit_id: int
    kind: str
    month_day: int | None
    nth: int | None
    weekday: int | None
    effective_from: dt.date
    created_at: dt.datetime


class ServiceDaysOut(Schema):
    unit_id: int
    unit_name: str
    own: bool = Field(description="Whether the rule in force is the unit's own (else its town's).")
    rule: dict[str, Any] | None = Field(description="The rule in force today.")
    history: list[ServiceDayRuleOut] = Field(description="The unit's own rules, newest first.")
    coming: list[dt.date]
