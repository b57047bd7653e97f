"""The appeal state machine, declared once.

Each row says: from which statuses an action may be taken, the status it
leads to, and in which capacity the actor may take it. `services.appeal_act`
is the only code that applies a transition; it looks the action up here,
checks the actor's capacities (`policy.capacities`), and refuses anything not
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

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .models import (
    ACTIVE_STATUSES,
    LEVEL_ORDER,
    OPEN_STATUSES,
    WORKING_STATUSES,
    Kind,
    Level,
    Status,
)


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
    REASSIGN = "reassign"  # 指派: a superior names the handler
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
    Action.REASSIGN: _("Assign to a handler"),
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

OPEN = frozenset(OPEN_STATUSES)
ACTIVE = frozenset(ACTIVE_STATUSES)
WORKING = frozenset(WORKING_STATUSES)


class Notify(StrEnum):
    """Whom a transition notifies in the app (the resident is told by SMS, see
    `Transition.tell_resident`; webhooks hear of every transition)."""

    NOBODY = "nobody"
    HANDLERS = "handlers"  # whoever handles it after the change (`policy.handlers_of`)
    ASSIGNEE = "assignee"  # whoever claimed it (e.g. a department answered)
    HANDLERS_IF_REOPENED = "handlers_if_reopened"  # only if it went back to pending


# The title of the in-app notice; %(action)s and %(code)s are filled in.
DEFAULT_NOTICE: str | Promise = _("%(action)s: appeal %(code)s")


@dataclass(frozen=True)
class Transition:
    """One declared action: when it may be taken, by whom, and what it causes.

    The effects declared here (audit row, notices, the resident's SMS) are applied
    by `services.appeal_act` for every action alike; the per-action handler in
    `services` only changes the appeal's own fields.
    """

    action: Action
    sources: frozenset[str]
    target: str
    who: frozenset[Cap]
    note_required: bool = False
    disputes_only: bool = False
    audited: bool = False  # also written to the audit log (the timeline always is)
    notify: Notify = Notify.NOBODY
    notice: str | Promise = DEFAULT_NOTICE
    # The SMS to the reporter; %(code)s, %(name)s (the actor), %(result)s (the note)
    # and %(other)s (the appeal merged into) are filled in.
    tell_resident: str | Promise | None = None


def _t(
    action: Action, sources: Iterable[str], target: str, who: Iterable[Cap], **kw: Any
) -> Transition:
    return Transition(action, frozenset(sources), target, frozenset(who), **kw)


H, S, D, R, SYS = Cap.HANDLER, Cap.SUPERIOR, Cap.DEPARTMENT, Cap.RESIDENT, Cap.SYSTEM
HANDLERS, ASSIGNEE = Notify.HANDLERS, Notify.ASSIGNEE

TABLE: dict[Action, Transition] = {
    t.action: t
    for t in [
        _t(
            Action.CLAIM,
            {Status.PENDING},
            Status.CLAIMED,
            {H},
            tell_resident=_("Your appeal %(code)s has been claimed by %(name)s."),
        ),
        _t(Action.START, {Status.CLAIMED}, Status.IN_PROGRESS, {H}),
        _t(Action.NOTE, OPEN, SAME, {H, S, D}, note_required=True),
        _t(
            Action.RESOLVE,
            WORKING,
            Status.RESOLVED,
            {H},
            note_required=True,
            tell_resident=_(
                "Your appeal %(code)s has been resolved: %(result)s Please rate the result at this link:"
            ),
        ),
        _t(Action.ESCALATE, ACTIVE, Status.PENDING, {H, SYS}, note_required=True, notify=HANDLERS),
        _t(Action.RETURN, ACTIVE, Status.PENDING, {H}, note_required=True, notify=HANDLERS),
        _t(Action.REFER, WORKING, Status.REFERRED, {H}, note_required=True, notify=HANDLERS),
        _t(
            Action.ANSWER,
            {Status.REFERRED},
            Status.IN_PROGRESS,
            {D},
            note_required=True,
            notify=ASSIGNEE,
            notice=_("The department answered appeal %(code)s"),
        ),
        _t(Action.SUPERVISE, OPEN, SAME, {S}, note_required=True, notify=HANDLERS),
        _t(Action.URGE, OPEN, SAME, {S}, note_required=True, notify=HANDLERS),
        # A leader above names who handles it at its level: a pending appeal becomes
        # claimed by them, a claimed one changes hands (services._on_reassign).
        _t(
            Action.REASSIGN,
            ACTIVE,
            SAME,
            {S},
            note_required=True,
            audited=True,
            notify=ASSIGNEE,
            notice=_("Appeal %(code)s was assigned to you"),
        ),
        _t(Action.SUSPEND, WORKING, Status.SUSPENDED, {H}, note_required=True, audited=True),
        _t(Action.RESUME, {Status.SUSPENDED}, PREVIOUS, {H}, note_required=True, audited=True),
        _t(
            Action.MERGE,
            ACTIVE,
            Status.MERGED,
            {H},
            note_required=True,
            audited=True,
            tell_resident=_("Your appeal %(code)s is being handled together with %(other)s."),
        ),
        _t(Action.WITHDRAW, OPEN, Status.WITHDRAWN, {R}),
        _t(Action.RATE, {Status.RESOLVED}, BY_RATING, {R, H}, notify=Notify.HANDLERS_IF_REOPENED),
        _t(Action.EXPIRE_VISIT, {Status.RESOLVED}, Status.CLOSED, {SYS}),
        _t(
            Action.REOPEN,
            {Status.CLOSED},
            Status.PENDING,
            {H, S},
            note_required=True,
            audited=True,
            notify=HANDLERS,
        ),
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
    out: list[Action] = []
    for action in TABLE:
        if action == Action.EXPIRE_VISIT or not allowed(action, status, caps, kind):
            continue
        if action == Action.ESCALATE and next_level(level) is None:
            continue
        if action == Action.RETURN and previous_level(level) is None:
            continue
        out.append(action)
    return out


# --- the table as documentation ------------------------------------------------------------

_TARGET_WORDS = {
    SAME: "same",
    PREVIOUS: "the status before the suspension",
    BY_RATING: f"closed (rating {SATISFIED_FROM}–5) or pending at the same level (1–{SATISFIED_FROM - 1})",
}
_NAMED_SETS = [(OPEN, "any open"), (ACTIVE, "active"), (WORKING, "working")]


def _statuses(sources: frozenset[str]) -> str:
    for named, word in _NAMED_SETS:
        if sources == named:
            return f"{word} ({', '.join(s for s in Status.values if s in sources)})"
    return ", ".join(s for s in Status.values if s in sources)


def transitions_markdown() -> str:
    """The transition table as Markdown, for `docs/appeals.md` (a test keeps them equal;
    `python scripts/docs_tables.py` rewrites the block)."""
    rows = [
        "| action | from | to | who | note | audited | notifies | tells the resident |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for t in TABLE.values():
        who = ", ".join(c.value for c in Cap if c in t.who)
        note = "required" if t.note_required else ""
        if t.disputes_only:
            note = f"{note}, disputes only" if note else "disputes only"
        notifies = "" if t.notify == Notify.NOBODY else t.notify.value.replace("_", " ")
        rows.append(
            f"| {t.action.value} | {_statuses(t.sources)} | {_TARGET_WORDS.get(t.target, t.target)} "
            f"| {who} | {note} | {'yes' if t.audited else ''} | {notifies} "
            f"| {'yes' if t.tell_resident else ''} |"
        )
    return "\n".join(rows) + "\n"
