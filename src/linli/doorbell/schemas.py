"""The love doorbell's API schemas."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from ninja import Field, Schema

from linli.core.api_schemas import choices_text as _choices
from linli.core.inputs import Day, Id, Latitude, Longitude, Text, bounded

from .models import AlarmOutcome, AlarmStatus

# --- care register and pairing ------------------------------------------------------------


# --- devices, messages and maintenance ----------------------------------------------------


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
    outcome_note: str
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
