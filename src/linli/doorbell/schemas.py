"""The love doorbell's API schemas."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import annotated_types
from ninja import Field, Schema

from linli.core.api_schemas import choices_text as _choices
from linli.core.inputs import Day, Id, Latitude, Line, Longitude, Phone, Text, bounded

from .models import (
    AlarmOutcome,
    AlarmStatus,
    BackupKind,
    CareKind,
    CareLevel,
    DeviceStatus,
    TaskKind,
)

# --- care register and pairing ------------------------------------------------------------

Name = Annotated[str, Line(50)]
Reason = Annotated[str, Line(200)]
Notes = Annotated[str, Text(2000)]
FewContacts = annotated_types.MaxLen(5)


class CareFilters(Schema):
    unit: Id | None = Field(None, description="Only recipients in this unit's subtree.")
    kind: CareKind | None = None
    level: CareLevel | None = None
    overdue: bool = Field(False, description="Only those whose primary's visit is overdue.")
    ended: bool = Field(False, description="Those who left care instead of those in care.")


class CareRecipientOut(Schema):
    id: int
    member_id: int
    member_name: str
    household_id: int
    address: str
    unit_id: int
    unit_name: str
    kind: CareKind
    level: CareLevel
    active: bool
    version: int

    # A row of the register is a model; a detail answer is a dict that names them.
    @staticmethod
    def resolve_member_name(obj: Any) -> str:
        return obj["member_name"] if isinstance(obj, dict) else obj.member.name

    @staticmethod
    def resolve_address(obj: Any) -> str:
        return obj["address"] if isinstance(obj, dict) else obj.household.address

    @staticmethod
    def resolve_unit_name(obj: Any) -> str:
        return obj["unit_name"] if isinstance(obj, dict) else obj.unit.name


class CareContactOut(Schema):
    order: int
    name: str
    relation: str
    phone_masked: str


class CareBackupOut(Schema):
    order: int
    kind: BackupKind
    name: str
    user_id: int | None
    phone_masked: str = Field(description="Empty for a backup with an account.")


class CarePairingOut(Schema):
    id: int
    primary_id: int
    primary_name: str
    visit_every_days: int
    started_on: dt.date
    ended_on: dt.date | None
    backups: list[CareBackupOut]


class CareVisitOut(Schema):
    last_visit: dt.date | None
    due_on: dt.date
    overdue_days: int
    linked: bool = Field(description="The household is linked to the primary now.")


class CareRecipientDetailOut(CareRecipientOut):
    health_visible: bool = Field(
        description="Whether the caller may see the health notes (carers, the village cadre)."
    )
    health_notes: str | None = Field(
        description="Null unless `health_visible`; each answer that carries them is audited."
    )
    end_reason: str
    contacts: list[CareContactOut]
    pairing: CarePairingOut | None
    visit: CareVisitOut | None
    history: list[CarePairingOut]


class CareRegisterIn(Schema):
    member_id: Id = Field(description="The resident (a household member in the caller's scope).")
    kind: CareKind
    level: CareLevel = CareLevel.ROUTINE
    health_notes: Notes = ""
    confirm_alone: bool = Field(
        False,
        description="elderly_alone for a member whose household has other members: the "
        "cadre confirms they live elsewhere (else 400 `not_alone`). elderly_alone and "
        "empty_nest are refused for a member known to be under 60 (400 `too_young`).",
    )


class CareUpdateIn(Schema):
    version: Annotated[int, bounded(1, 2**31 - 1)] = Field(
        description="The version the change was made on; a stale one answers 409."
    )
    kind: CareKind
    level: CareLevel
    health_notes: Notes | None = Field(
        None, description="Null: unchanged. Only carers and the village cadre may change them."
    )
    confirm_alone: bool = Field(
        False,
        description="Changing the kind to elderly_alone for a member whose household has "
        "other members: the cadre confirms they live elsewhere (else 400 `not_alone`). "
        "elderly_alone and empty_nest are refused on any change for a member known to be "
        "under 60 (400 `too_young`).",
    )


class CareEndIn(Schema):
    reason: Reason


class CareContactIn(Schema):
    name: Name
    relation: Name = ""
    phone: Phone


class CareContactsIn(Schema):
    contacts: Annotated[list[CareContactIn], FewContacts]


class CareBackupIn(Schema):
    kind: BackupKind
    user_id: Id | None = Field(None, description="An account holding a role in the village.")
    name: Name = Field("", description="Without an account: the name...")
    phone: Phone = Field("", description="...and the mobile number (told by SMS).")


class CarePairIn(Schema):
    primary_id: Id = Field(description="A serving representative of the recipient's village.")
    visit_every_days: Annotated[int, bounded(1, 90)] = 7
    backups: Annotated[list[CareBackupIn], FewContacts] = Field(default_factory=list)


class CarePairEndIn(Schema):
    reason: Reason = ""


class MyCarePairingOut(Schema):
    recipient_id: int
    member_name: str
    kind: CareKind
    level: CareLevel
    address: str
    visit_every_days: int
    last_visit: dt.date | None
    due_on: dt.date
    overdue_days: int


class DoorbellSettingsOut(Schema):
    unit_id: int
    own: bool = Field(description="Whether the unit has its own row (else inherited or defaults).")
    source_unit_id: int | None
    ack_minutes: int
    arrive_minutes: int
    offline_minutes: int
    battery_low: int
    duty_cadre_id: int | None


class DoorbellSettingsIn(Schema):
    ack_minutes: Annotated[int, bounded(1, 60)]
    arrive_minutes: Annotated[int, bounded(5, 240)] | None = Field(
        None,
        description="Minutes after 'on my way' to check in at the door before the next "
        "person is told (5..240); left out: the value in force is kept.",
    )
    offline_minutes: Annotated[int, bounded(10, 10080)]
    battery_low: Annotated[int, bounded(5, 90)]
    duty_cadre_id: Id | None = None


# --- devices, messages and maintenance ----------------------------------------------------


class DeviceFilters(Schema):
    unit: Id | None = Field(None, description="Only doorbells in this unit's subtree.")
    status: DeviceStatus | None = None
    health: Literal["offline", "low_battery"] | None = Field(
        None, description="Only doorbells with an open task of this kind."
    )


class DeviceOut(Schema):
    id: int
    device_id: str
    model_name: str
    status: str
    unit_id: int
    unit_name: str = Field(alias="unit.name")
    household_id: int | None
    last_seen_at: dt.datetime | None
    battery: int | None
    last_seq: int
    seq_epoch: int = Field(description="Raised by each sequence reset.")
    created_at: dt.datetime


class DeviceIn(Schema):
    device_id: Annotated[str, Line(40)] = Field(
        description="The id the device sends (1-40 letters, digits, '.', '_', '-')."
    )
    unit_id: Id = Field(description="The village (or unit) that keeps the doorbell.")
    model_name: Annotated[str, Line(60)] = ""
    household_id: Id | None = Field(None, description="Bind it at once to this household.")


class SeqResetIn(Schema):
    to: int = Field(
        0,
        ge=0,
        le=2**53,
        description="The new highest sequence number, lower than now: what the doorbell "
        "counts from after its firmware reset (0 by default).",
    )
    reason: Annotated[str, Line(200)] = Field(description="Why (kept in the audit log).")
    confirm: bool = Field(
        False,
        description="Must be true: the doorbell's earlier numbers will be accepted again.",
    )


class DeviceCreatedOut(Schema):
    device: DeviceOut
    secret: str = Field(description="The HMAC key to load into the device: shown this once.")


class TaskFilters(Schema):
    unit: Id | None = None
    state: Literal["open", "resolved", "all"] = "open"
    kind: TaskKind | None = None


class TaskOut(Schema):
    id: int
    device_id: str = Field(alias="device.device_id")
    unit_id: int
    kind: str
    detail: str
    opened_at: dt.datetime
    resolved_at: dt.datetime | None
    resolved_automatically: bool
    note: str


class TaskResolveIn(Schema):
    note: Annotated[str, Text(500)] = ""


class MessageAcceptedOut(Schema):
    status: str = Field(description='"accepted"')
    alarm: int | None = Field(description="The alarm the press raised; none for a heartbeat.")


# --- alarms -------------------------------------------------------------------------------


AlarmVersion = Annotated[int, bounded(1, 2**31 - 1)]
ALARM_VERSION = Field(
    None, description="The version you last saw: a change made meanwhile answers 409 `stale`."
)


class AlarmFiltersIn(Schema):
    unit: Id | None = Field(None, description="Alarms of this unit and below.")
    status: AlarmStatus | None = Field(None, description=_choices(AlarmStatus))
    outcome: AlarmOutcome | None = Field(None, description=_choices(AlarmOutcome))
    start: Day | None = Field(None, description="Pressed on or after this day.")
    end: Day | None = Field(None, description="Pressed on or before this day.")


class AlarmOut(Schema):
    id: int
    status: str
    unit_id: int
    unit_name: str
    household_id: int
    address: str
    head_name: str
    device: str
    seq: int | None
    raised_at: dt.datetime
    step: int
    next_step_at: dt.datetime | None
    acknowledged_at: dt.datetime | None
    acknowledged_by: str
    arrived_at: dt.datetime | None
    arrived_by: str
    closed_at: dt.datetime | None
    outcome: str
    outcome_note: str | None = Field(
        description="What happened, written at closing; null unless the caller may see the "
        "health notes (carers, the village cadre) or closed the alarm."
    )
    outcome_note_visible: bool
    arrival_missed_at: dt.datetime | None = Field(
        description="When the acknowledger's arrival timeout ran out and the next person "
        "was told (null: never)."
    )
    appeal: str | None
    version: int


class AlarmEventOut(Schema):
    kind: str
    at: dt.datetime
    actor: str
    note: str


class AlarmNoticeOut(Schema):
    step: int
    position: int
    role: str
    name: str
    phone: str = Field(description="Masked.")
    told_at: dt.datetime
    live: bool
    sms: bool


class AlarmDetailOut(AlarmOut):
    events: list[AlarmEventOut]
    notices: list[AlarmNoticeOut]


class AlarmVersionIn(Schema):
    version: AlarmVersion | None = ALARM_VERSION


class AlarmArriveIn(Schema):
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    version: AlarmVersion | None = ALARM_VERSION


class AlarmCloseIn(Schema):
    outcome: AlarmOutcome = Field(description=_choices(AlarmOutcome))
    note: Annotated[str, Text(500)] = ""
    raise_appeal: bool = Field(False, description="File an appeal for the household with the note.")
    version: AlarmVersion | None = ALARM_VERSION


class FiguresQuery(Schema):
    unit: Id | None = Field(None, description="Alarms of this unit and below.")
    start: Day | None = Field(None, description="Default: 29 days before `end`.")
    end: Day | None = Field(None, description="Default: today.")


class FiguresOut(Schema):
    label: str
    alarms: int
    acknowledged: int
    ack_median_seconds: float | None
    ack_p90_seconds: float | None
    arrive_median_seconds: float | None
    acknowledged_by_primary: int
    primary_share: float | None
    escalated: int


class ResponseFiguresOut(Schema):
    start: dt.date
    end: dt.date
    total: FiguresOut
    units: list[FiguresOut]
    representatives: list[FiguresOut]
