"""Request and response shapes of the notices API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import annotated_types
from ninja import Field, Schema

from linli.core.api_schemas import choices_text as _choices
from linli.core.inputs import Id, Line, SmallCount, Text
from linli.duties.models import ContactMethod

from .models import Delivery, Notice, NoticeKind
from .selectors import MyProgress, Reach, ReachRow

Choice = Annotated[str, Line(20)]
MaxBulk = annotated_types.MaxLen(500)


class NoticeFilters(Schema):
    kind: NoticeKind | None = Field(None, description=_choices(NoticeKind))
    status: Literal["active", "withdrawn"] | None = Field(
        None, description="`active` (not withdrawn) or `withdrawn`."
    )
    urgent: bool | None = None
    unit: Id | None = Field(
        None, description="Only notices that reach this unit (published in it, below or above)."
    )
    q: Annotated[str, Line(100)] = Field("", description="Words of the title or text.")


class NoticeIn(Schema):
    unit_id: Id = Field(description="The publishing unit: yours or one below it in your scope.")
    kind: Choice = Field(description=_choices(NoticeKind))
    title: Annotated[str, Line(200)]
    body: Annotated[str, Text(5000)] = ""
    urgent: bool = False
    remind_after: SmallCount | None = Field(
        None, description="Urgent notices: remind representatives not done after these hours."
    )


class NoticeWithdrawIn(Schema):
    reason: Annotated[str, Text(500)]


class NoticeOut(Schema):
    id: int
    unit_id: int
    unit_name: str = Field(alias="unit.name")
    kind: NoticeKind
    kind_label: str
    title: str
    body: str
    urgent: bool
    remind_after: int | None
    published_by: str
    published_at: dt.datetime
    withdrawn: bool
    withdrawn_at: dt.datetime | None
    withdraw_reason: str

    @staticmethod
    def resolve_kind_label(obj: Notice) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_published_by(obj: Notice) -> str:
        return obj.published_by.name if obj.published_by else ""

    @staticmethod
    def resolve_withdrawn(obj: Notice) -> bool:
        return obj.withdrawn


class ReachRowOut(Schema):
    name: str
    unit_id: int | None = None
    representative_id: int | None = None
    households: int
    reached: int
    percent: float | None = Field(description="Reached / households × 100; null when none.")


def row_out(row: ReachRow) -> ReachRowOut:
    return ReachRowOut(
        name=row.label if not row.extra else f"{row.label}（{row.extra}）",
        unit_id=row.unit.pk if row.unit else None,
        representative_id=row.representative_id,
        households=row.households,
        reached=row.reached,
        percent=row.percent,
    )


class ReachOut(Schema):
    notice_id: int
    unit_id: int
    unit_name: str
    total: ReachRowOut
    children: list[ReachRowOut] = Field(description="One row per child unit.")
    representatives: list[ReachRowOut] = Field(
        description="From a village down: one row per representative serving households there."
    )
    by_method: dict[str, int]


def reach_out(r: Reach) -> ReachOut:
    return ReachOut(
        notice_id=r.notice.pk,
        unit_id=r.unit.pk,
        unit_name=r.unit.name,
        total=row_out(r.total),
        children=[row_out(c) for c in r.children],
        representatives=[row_out(c) for c in r.representatives],
        by_method=r.by_method,
    )


class ToReachOut(Schema):
    id: int
    head_name: str
    address: str
    unit_name: str = Field(alias="unit.name")


class MyHouseholdsOut(Schema):
    notice_id: int
    representative_id: int
    households: int = Field(description="The representative's households the notice covers.")
    reached: int
    to_reach: list[ToReachOut]


def my_out(notice: Notice, rep_id: int, progress: MyProgress, to_reach) -> MyHouseholdsOut:
    return MyHouseholdsOut(
        notice_id=notice.pk,
        representative_id=rep_id,
        households=progress.total,
        reached=progress.reached,
        to_reach=list(to_reach),
    )


class DeliveryIn(Schema):
    household_id: Id
    method: Choice = Field(description=_choices(ContactMethod))
    representative_id: Id | None = Field(
        None, description="The household's representative (checked); default: whoever serves it."
    )


class DeliveryBulkIn(Schema):
    household_ids: Annotated[list[Id], annotated_types.MinLen(1), MaxBulk]
    method: Choice = Field(ContactMethod.ONLINE, description=_choices(ContactMethod))


class DeliveryOut(Schema):
    id: int
    notice_id: int
    household_id: int
    household_name: str = Field(alias="household.head_name")
    unit_id: int
    representative_id: int
    representative_name: str = Field(alias="representative.name")
    method: ContactMethod
    delivered_at: dt.datetime
    contact_id: int | None = Field(
        description="The duties contact it counts as (phone, in person)."
    )

    @staticmethod
    def resolve_contact_id(obj: Delivery) -> int | None:
        return obj.contact_id


class DeliveryBulkOut(Schema):
    recorded: int = Field(description="New deliveries.")
    already: int = Field(description="Households already reached (left as they were).")
    deliveries: list[DeliveryOut]
