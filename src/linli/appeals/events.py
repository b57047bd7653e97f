"""The appeal timeline: every `AppealEvent` row is written here, its `data` built by
one typed constructor per kind of event.

The keys of an event's `data` are named once, in the `TypedDict`s below, and the code
that reads them back (a return looks up where an escalation came from) reads them
here too, so no caller queries the JSON by a key it spelt itself.
(After Saleor's `order/events.py`.)
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, TypedDict

from django.utils import timezone

from linli.org.models import Department, Unit

from . import tally
from .models import AppealEvent
from .workflow import Action

if TYPE_CHECKING:
    from .models import Appeal


class FiledData(TypedDict):
    channel: str
    representative: int | None  # the representative it was routed to


class MovedData(TypedDict):
    """An escalation or a return: from one level and unit to another."""

    from_level: str
    to_level: str
    from_unit: int
    to_unit: int
    to_unit_name: str


class DepartmentData(TypedDict):
    department: str  # the department's name when it was referred or answered


class ResumedData(TypedDict):
    paused_seconds: int


class MergedData(TypedDict):
    merged_into: str  # the case code of the appeal it went into


class RatedData(TypedDict, total=False):
    rating: int
    by_phone: bool  # recorded by a handler from a phone call, not by the resident
    reopened: bool  # dissatisfied: back to pending at the same level


class AssignedData(TypedDict):
    """A superior named the handler (reassign)."""

    assignee: int
    assignee_name: str
    previous: int | None  # whoever had claimed it before, if anyone


class VisitExpiredData(TypedDict):
    no_rating: bool


class PartyData(TypedDict):
    party: str
    side: str


class ReminderData(TypedDict):
    due_at: str  # ISO 8601


EventData = (
    FiledData
    | MovedData
    | DepartmentData
    | ResumedData
    | MergedData
    | RatedData
    | AssignedData
    | VisitExpiredData
    | PartyData
    | ReminderData
)


# --- constructors ----------------------------------------------------------------------


def filed_data(*, channel: str, representative_id: int | None) -> FiledData:
    return {"channel": channel, "representative": representative_id}


def moved_data(*, from_level: str, from_unit: Unit, to_level: str, to_unit: Unit) -> MovedData:
    return {
        "from_level": str(from_level),
        "to_level": str(to_level),
        "from_unit": from_unit.pk,
        "to_unit": to_unit.pk,
        "to_unit_name": to_unit.name,
    }


def department_data(*, name: str) -> DepartmentData:
    return {"department": name}


def resumed_data(*, paused: dt.timedelta) -> ResumedData:
    return {"paused_seconds": int(paused.total_seconds())}


def merged_data(*, into_code: str) -> MergedData:
    return {"merged_into": into_code}


def rated_data(*, rating: int, by_phone: bool, reopened: bool) -> RatedData:
    data: RatedData = {"rating": rating, "by_phone": by_phone}
    if reopened:
        data["reopened"] = True
    return data


def assigned_data(*, assignee: Any, previous_id: int | None) -> AssignedData:
    return {"assignee": assignee.pk, "assignee_name": assignee.name, "previous": previous_id}


def visit_expired_data() -> VisitExpiredData:
    return {"no_rating": True}


def party_data(*, name: str, side: str) -> PartyData:
    return {"party": name, "side": side}


def reminder_data(*, due_at: dt.datetime) -> ReminderData:
    return {"due_at": due_at.isoformat()}


# --- the writer --------------------------------------------------------------------------


def record(
    appeal: Appeal,
    action: str,
    *,
    actor: Any = None,
    by: str = "",
    from_status: str = "",
    note: str = "",
    internal: bool = False,
    data: EventData | None = None,
    at: dt.datetime | None = None,
    level: str | None = None,
    unit: Unit | None = None,
    department: Department | None = None,
) -> AppealEvent:
    """Append one event to the appeal's timeline (inside the caller's transaction).

    `level` and `unit` are where the actor acted, which for a move is before it;
    `department` the department the actor acted for, if any (an answer);
    without an actor, `by` says who acted ("resident" or "system")."""
    payload: dict[str, Any] = dict(data or {})
    if actor is None:
        payload["by"] = by or "system"
    at = at or timezone.now()
    # The rollup's days this event can change: the filing day's outcome counts, and
    # this day's (closed today).
    tally.mark(appeal.created_at, at)
    return AppealEvent.objects.create(
        appeal=appeal,
        action=str(action),
        actor=actor,
        actor_label=getattr(actor, "name", "") if actor else "",
        from_status=from_status,
        to_status=appeal.status,
        level=level or appeal.level,
        unit=unit or appeal.unit,
        department=department,
        note=note,
        internal=internal,
        data=payload,
        at=at,
    )


# --- readers ---------------------------------------------------------------------------


def escalated_from(appeal: Appeal) -> Unit | None:
    """The unit the appeal was last escalated from into its current unit, if any."""
    last = (
        AppealEvent.objects.filter(
            appeal=appeal, action=Action.ESCALATE, data__to_unit=appeal.unit_id
        )
        .order_by("-at", "-id")
        .first()
    )
    if last is None:
        return None
    moved: MovedData = last.data
    return Unit.objects.filter(pk=moved["from_unit"]).first()
