"""The love doorbell's API schemas."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Schema

from linli.core.inputs import Id, Line, Text

from .models import DeviceStatus, TaskKind

# --- care register and pairing ------------------------------------------------------------


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
    created_at: dt.datetime


class DeviceIn(Schema):
    device_id: Annotated[str, Line(40)] = Field(
        description="The id the device sends (1-40 letters, digits, '.', '_', '-')."
    )
    unit_id: Id = Field(description="The village (or unit) that keeps the doorbell.")
    model_name: Annotated[str, Line(60)] = ""
    household_id: Id | None = Field(None, description="Bind it at once to this household.")


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
