"""Request and response shapes of the appeals API.

Responses never carry the reporter's raw mobile number, only
`reporter_phone_masked`.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Literal

from ninja import Field, Schema

from linli.core.api_schemas import choices_text as _choices
from linli.core.inputs import (
    Count,
    Day,
    Id,
    Latitude,
    Line,
    Longitude,
    Moment,
    Phone,
    Search,
    Text,
    bounded,
)
from linli.org.models import UnitKind

from .models import Appeal, AppealEvent, Channel, Kind, Level, Status, Urgency
from .workflow import ACTION_LABELS, Action, Event

# Input text bounds: the columns (and the services' limits) they go to.
CaseCode = Annotated[str, Line(20)]
CategoryCode = Annotated[str, Line(30)]
Description = Annotated[str, Text(2000)]
Title = Annotated[str, Line(100)]
Choice = Annotated[str, Line(20)]
Address = Annotated[str, Line(200)]
Name = Annotated[str, Line(50)]
Note = Annotated[str, Text(2000)]

# The `status` filter of the appeal list: a status, or `open` for every open one.
AppealStatusFilter = StrEnum(
    "AppealStatusFilter", {**{s.name: s.value for s in Status}, "OPEN": "open"}
)


class CategoryOut(Schema):
    code: str
    name: str
    kind: Kind
    default_department: str | None = None
    children: list[CategoryOut] = []


class DepartmentOut(Schema):
    id: int
    name: str


class AppealIn(Schema):
    category: CategoryCode = Field(description="A second-level category code, e.g. `facilities`.")
    description: Description
    title: Title = ""
    urgency: Choice = Field("normal", description=_choices(Urgency))
    channel: Choice = Field(
        "hotline",
        description=_choices(Channel) + " (`self` is only for the public endpoint).",
    )
    household_id: Id | None = Field(None, description="The resident's household, if known.")
    unit_id: Id | None = Field(None, description="The group or village where the problem is.")
    address: Address = ""
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    reporter_name: Name = ""
    reporter_phone: Phone = ""


class PublicCodeIn(Schema):
    phone: Phone = Field(description="Mobile number to confirm; a 6-digit code is sent to it.")


class PublicAppealIn(Schema):
    category: CategoryCode
    description: Description
    title: Title = ""
    urgency: Choice = "normal"
    unit_id: Id | None = Field(None, description="Village or group (see /public/units).")
    address: Address = ""
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    reporter_name: Name = ""
    phone: Phone
    code: Annotated[str, Line(10)] = Field(description="The one-time code sent to `phone`.")


class CodeSentOut(Schema):
    sent: bool


class TrackIn(Schema):
    code: CaseCode = Field(description="Case code.")
    phone: Phone = Field(description="The mobile number the appeal was reported with.")


class PublicUnitOut(Schema):
    id: int
    name: str
    kind: UnitKind
    parent_id: int | None


class ActionIn(Schema):
    note: Note = Field("", description="Note, reason, result or instructions.")
    version: Count | None = Field(
        None, description="The `version` you last saw; a newer one answers 409 `stale`."
    )
    department_id: Id | None = Field(None, description="For `refer`.")
    merge_into: CaseCode | None = Field(None, description="Case code, for `merge`.")
    unit_id: Id | None = Field(None, description="For `return`: the unit below to return to.")
    assignee_id: Id | None = Field(
        None,
        description="For `reassign`: the user who is to handle it (one who handles appeals "
        "at its level and unit).",
    )
    rating: Annotated[int, bounded(1, 5)] | None = Field(
        None, description="For `rate` (a phone return visit)."
    )
    party_name: Name = ""
    party_phone: Phone = ""
    party_side: Name = ""
    held_at: Moment | None = None
    internal: bool = Field(False, description="For `note`: hide it from the resident.")


class AppealFilters(Schema):
    status: AppealStatusFilter | None = Field(
        None, description="Only appeals of this status; `open`: every open status."
    )
    level: Level | None = Field(None, description="Only appeals handled at this level.")
    kind: Kind | None = None
    category: CategoryCode | None = None
    q: Search | None = Field(None, description="Case code, or text in the title or address.")
    overdue: bool = False
    unit: Id | None = Field(None, description="Only appeals from this unit's subtree.")
    mine: bool = Field(False, description="Only those in my queue.")


class StatsQuery(Schema):
    unit: Id = Field(description="Unit id; its subtree is counted, per child unit too.")
    start: Day = Field(description="First day (local time), inclusive.")
    end: Day = Field(description="Last day (local time), inclusive.")


class RatesOut(Schema):
    unit_id: int | None
    unit_name: str
    filed: int
    open: int
    overdue: int
    resolved: int
    rated: int = Field(description="Appeals rated at least once.")
    ratings: int = Field(description="Every rating given, a reopened appeal's each time.")
    ratings_satisfied: int = Field(description="Of those, ratings from 3 to 5.")
    satisfied_first: int = Field(description="Rated appeals satisfied at their first rating.")
    satisfied_final: int = Field(description="Rated appeals satisfied at their last rating.")
    response_rate: float | None = Field(
        description="% claimed within the first claim deadline, of the filed ones and the "
        "withdrawn ones that were claimed or waited past that deadline."
    )
    on_time_rate: float | None = Field(
        description="% of resolved ones resolved by the deadline and never reopened."
    )
    resolution_rate: float | None = Field(
        description="% of filed ones resolved (waiting for the rating, or closed)."
    )
    satisfaction_rate: float | None = Field(
        description="The first-time satisfaction rate (kept under its old name)."
    )
    first_satisfaction_rate: float | None = Field(
        description="% of rated appeals whose first rating was 3-5: a dissatisfied rating "
        "stays even after the appeal is handled again."
    )
    final_satisfaction_rate: float | None = Field(
        description="% of rated appeals whose last rating was 3-5."
    )
    mean_hours_to_resolve: float | None = Field(
        description="Mean calendar hours from filing to the last resolution, suspensions included."
    )
    resolved_at_level: dict[str, int] = Field(
        description="Resolved appeals by the highest level they reached (filed or escalated to)."
    )
    level_share: dict[str, float | None]


class StatsOut(Schema):
    total: RatesOut
    children: list[RatesOut]


class AppealOut(Schema):
    code: str
    kind: Kind
    category: str = Field(alias="category.code")
    category_name: str = Field(alias="category.name")
    title: str
    description: str
    urgency: Urgency
    channel: Channel
    status: Status
    status_label: str
    level: Level
    unit_id: int
    unit_name: str = Field(alias="unit.name")
    origin_unit_id: int
    household_id: int | None
    address: str
    latitude: float | None
    longitude: float | None
    reporter_name: str
    reporter_phone_masked: str
    representative_id: int | None
    assignee_name: str | None
    department: str | None
    claim_due_at: dt.datetime | None
    due_at: dt.datetime | None
    overdue: bool
    supervised: bool
    resolved_at: dt.datetime | None
    resolved_level: Level | Literal[""] = Field(description="Empty until resolved.")
    result: str
    rating: int | None
    rating_comment: str
    closed_at: dt.datetime | None
    merged_into: str | None
    agreement: str
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_status_label(obj: Appeal) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_assignee_name(obj: Appeal) -> str | None:
        return obj.assignee.name if obj.assignee is not None else None

    @staticmethod
    def resolve_department(obj: Appeal) -> str | None:
        return obj.department.name if obj.department is not None else None

    @staticmethod
    def resolve_overdue(obj: Appeal) -> bool:
        return obj.is_overdue

    @staticmethod
    def resolve_merged_into(obj: Appeal) -> str | None:
        return obj.merged_into.code if obj.merged_into is not None else None


class AppealDetailOut(AppealOut):
    actions: list[str] = Field(description="Actions you may take now.")
    photos: list[str] = Field(alias="photo_urls", description="URLs of the photos.")


class EventOut(Schema):
    action: str = Field(
        description="An action (see the actions endpoint), or an event: "
        + ", ".join(e.value for e in Event)
        + "."
    )
    action_label: str
    at: dt.datetime
    by: str = Field(description="Who: a user's name, `resident` or `system`.")
    from_status: Status | Literal[""] = Field(description="Empty when the appeal was filed.")
    to_status: Status | Literal[""]
    level: Level
    unit_name: str = Field(alias="unit.name")
    department_name: str | None = Field(
        None, description="The department the actor acted for (a department's answer)."
    )
    note: str
    internal: bool
    data: dict

    @staticmethod
    def resolve_action_label(obj: AppealEvent) -> str:
        known = obj.action in Action._value2member_map_ or obj.action in Event._value2member_map_
        return str(ACTION_LABELS[obj.action]) if known else obj.action

    @staticmethod
    def resolve_by(obj: AppealEvent) -> str:
        return obj.actor_label or obj.data.get("by", "system")

    @staticmethod
    def resolve_department_name(obj: AppealEvent) -> str | None:
        return obj.department.name if obj.department is not None else None


class PublicAppealOut(Schema):
    code: str
    title: str
    category_name: str = Field(alias="category.name")
    status: Status
    status_label: str
    level: Level
    created_at: dt.datetime
    due_at: dt.datetime | None
    resolved_at: dt.datetime | None
    result: str
    rating: int | None
    events: list[EventOut] = Field(alias="public_events")

    @staticmethod
    def resolve_status_label(obj: Appeal) -> str:
        return str(obj.get_status_display())


class FiledOut(Schema):
    code: str
    status: Status
    level: Level
    unit_name: str = Field(alias="unit.name")
