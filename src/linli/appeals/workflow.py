"""The appeal state machine, declared once.

Each row says: from which statuses an action may be taken, the status it
leads to, and in which capacity the actor may take it. `services.appeal_act`
is the only code that applies a transition; it looks the action up here,
checks the actor's capacities (`capacities_for`), and refuses anything not
declared, changing nothing.

Capacities are relative to one appeal at its current level:
- handler: may handle it at its current level (the representative it is
  assigned to or a group/area leader at neighbourhood level, a village cadre at
  village level, town staff at town level, the command centre at city level);
- superior: holds a role at a higher level over the unit handling it;
- department: a handler of the department it is referred to;
- resident: the reporter, identified by their confirmed mobile number;
- system: the tick.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from .models import LEVEL_ORDER, Kind, Level, Status


class Cap(StrEnum):
    HANDLER = "handler"
    SUPERIOR = "superior"
    DEPARTMENT = "department"
    RESIDENT = "resident"
    SYSTEM = "system"


class Action(StrEnum):
    CLAIM = "claim"  # 领办
    START = "start"
    NOTE = "note"  # a note or an on-site check, with photos
    RESOLVE = "resolve"  # 办结
    ESCALATE = "escalate"  # 上报
    RETURN = "return"  # 退回
    REFER = "refer"  # 转办
    ANSWER = "answer"  # the department's answer
    SUPERVISE = "supervise"  # 督办
    URGE = "urge"  # 催办
    SUSPEND = "suspend"  # 挂起
    RESUME = "resume"  # 解挂
    MERGE = "merge"
    WITHDRAW = "withdraw"
    RATE = "rate"  # 回访评价
    EXPIRE_VISIT = "expire_visit"  # nobody rated in time
    REOPEN = "reopen"
    PARTY_ADD = "party_add"  # disputes
    MEDIATE = "mediate"
    AGREE = "agree"


# Events that are not transitions; the timeline shows them too.
class Event(StrEnum):
    FILE = "file"
    OVERDUE = "overdue"
    CLAIM_OVERDUE = "claim_overdue"
    REMIND = "remind"


ACTION_LABELS = {
    Action.CLAIM: _("Claim"),
    Action.START: _("Start handling"),
    Action.NOTE: _("Add a note or site check"),
    Action.RESOLVE: _("Resolve"),
    Action.ESCALATE: _("Escalate"),
    Action.RETURN: _("Return to the level below"),
    Action.REFER: _("Refer to a department"),
    Action.ANSWER: _("Answer the referral"),
    Action.SUPERVISE: _("Supervise"),
    Action.URGE: _("Urge"),
    Action.SUSPEND: _("Suspend"),
    Action.RESUME: _("Resume"),
    Action.MERGE: _("Merge into another appeal"),
    Action.WITHDRAW: _("Withdraw"),
    Action.RATE: _("Rate"),
    Action.EXPIRE_VISIT: _("Closed without a rating"),
    Action.REOPEN: _("Reopen"),
    Action.PARTY_ADD: _("Add a party"),
    Action.MEDIATE: _("Record a mediation session"),
    Action.AGREE: _("Record the agreement"),
    Event.FILE: _("Appeal filed"),
    Event.OVERDUE: _("Overdue"),
    Event.CLAIM_OVERDUE: _("Not claimed in time"),
    Event.REMIND: _("Deadline reminder"),
}

SAME = "same"  # the status does not change
PREVIOUS = "previous"  # back to the status before the suspension
BY_RATING = "by_rating"  # closed if satisfied, pending again if not

WORKING = frozenset({Status.CLAIMED, Status.IN_PROGRESS})
ACTIVE = frozenset({Status.PENDING, Status.CLAIMED, Status.IN_PROGRESS})
OPEN = frozenset(ACTIVE | {Status.REFERRED, Status.SUSPENDED})


@dataclass(frozen=True)
class Transition:
    action: Action
    sources: frozenset[str]
    target: str
    who: frozenset[Cap]
    note_required: bool = False
    disputes_only: bool = False


def _t(action, sources, target, who, **kw) -> Transition:
    return Transition(action, frozenset(sources), target, frozenset(who), **kw)


H, S, D, R, SYS = Cap.HANDLER, Cap.SUPERIOR, Cap.DEPARTMENT, Cap.RESIDENT, Cap.SYSTEM

TABLE: dict[Action, Transition] = {
    t.action: t
    for t in [
        _t(Action.CLAIM, {Status.PENDING}, Status.CLAIMED, {H}),
        _t(Action.START, {Status.CLAIMED}, Status.IN_PROGRESS, {H}),
        _t(Action.NOTE, OPEN, SAME, {H, S, D}, note_required=True),
        _t(Action.RESOLVE, WORKING, Status.RESOLVED, {H}, note_required=True),
        _t(Action.ESCALATE, ACTIVE, Status.PENDING, {H, SYS}, note_required=True),
        _t(Action.RETURN, ACTIVE, Status.PENDING, {H}, note_required=True),
        _t(Action.REFER, WORKING, Status.REFERRED, {H}, note_required=True),
        _t(Action.ANSWER, {Status.REFERRED}, Status.IN_PROGRESS, {D}, note_required=True),
        _t(Action.SUPERVISE, OPEN, SAME, {S}, note_required=True),
        _t(Action.URGE, OPEN, SAME, {S}, note_required=True),
        _t(Action.SUSPEND, WORKING, Status.SUSPENDED, {H}, note_required=True),
        _t(Action.RESUME, {Status.SUSPENDED}, PREVIOUS, {H}, note_required=True),
        _t(Action.MERGE, ACTIVE, Status.MERGED, {H}, note_required=True),
        _t(Action.WITHDRAW, OPEN, Status.WITHDRAWN, {R}),
        _t(Action.RATE, {Status.RESOLVED}, BY_RATING, {R, H}),
        _t(Action.EXPIRE_VISIT, {Status.RESOLVED}, Status.CLOSED, {SYS}),
        _t(Action.REOPEN, {Status.CLOSED}, Status.PENDING, {H, S}, note_required=True),
        _t(Action.PARTY_ADD, WORKING, SAME, {H}, disputes_only=True),
        _t(Action.MEDIATE, WORKING, SAME, {H}, note_required=True, disputes_only=True),
        _t(Action.AGREE, WORKING, SAME, {H}, note_required=True, disputes_only=True),
    ]
}

# Ratings at or above this count as satisfied; below it the appeal reopens.
SATISFIED_FROM = 3


def next_level(level: str) -> Level | None:
    i = LEVEL_ORDER.index(Level(level))
    return LEVEL_ORDER[i + 1] if i + 1 < len(LEVEL_ORDER) else None


def previous_level(level: str) -> Level | None:
    i = LEVEL_ORDER.index(Level(level))
    return LEVEL_ORDER[i - 1] if i > 0 else None


def allowed(action: str, status: str, caps: set[Cap], kind: str) -> bool:
    """Is `action` declared from `status` for an actor with these capacities?"""
    try:
        t = TABLE[Action(action)]
    except ValueError:
        return False
    if status not in t.sources or not (caps & t.who):
        return False
    return not (t.disputes_only and kind != Kind.DISPUTE)


def actions_for(status: str, caps: set[Cap], kind: str, level: str) -> list[Action]:
    """The actions a page should offer as buttons."""
    out = []
    for action in TABLE:
        if action == Action.EXPIRE_VISIT or not allowed(action, status, caps, kind):
            continue
        if action == Action.ESCALATE and next_level(level) is None:
            continue
        if action == Action.RETURN and previous_level(level) is None:
            continue
        out.append(action)
    return out
