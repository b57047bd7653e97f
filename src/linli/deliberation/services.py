"""Every write on the deliberation list.

Each function takes the acting user, checks `policy`, validates, writes in one
transaction (the item row locked), appends the item's `ItemEvent` and an audit row.
An item's stage moves only as `workflow.FROM` allows; a stale version or a move the
stage does not allow is a 409.

Appeals: an item proposed from a group of appeals links them (`ItemAppeal`) and adds a
note to each appeal's timeline (the appeals timeline writer `appeals.events.record`,
action `note`, the closest event kind the appeals timeline has: it changes no status);
its decision or rejection is noted there too and sent by SMS to each reporter through
the notify outbox, with the link to their appeal's tracking page, as the appeals
services tell a reporter of their appeal's progress.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.models import AuditAction, User
from linli.accounts.services import audit_record
from linli.activities.models import Activity, ActivityKind, ActivityStatus
from linli.appeals import events as appeal_events
from linli.appeals import links as appeal_links
from linli.appeals.models import Appeal
from linli.appeals.workflow import Action as AppealAction
from linli.core import ratelimit
from linli.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from linli.core.inputs import in_window
from linli.core.photos import PreparedPhoto, photos_prepare
from linli.core.timeutil import today
from linli.core.validators import clean_text
from linli.org.models import Representative, Unit

from . import policy, selectors
from .models import (
    Comment,
    Item,
    ItemAppeal,
    ItemEvent,
    ItemPhoto,
    Matter,
    SkippedDeliberation,
    Source,
    Stage,
    Vote,
    VotingRule,
)
from .workflow import Action, allowed

MAX_TEXT = 4000
MAX_NOTICE_DAYS = 365
# Residents' comments: per client address, 5 in 10 minutes and 30 a day.
COMMENT_LIMITS = (("deliberation-comment", 5, 600), ("deliberation-comment-day", 30, 86400))


def _text(value, label: str, max_length: int = MAX_TEXT, *, required: bool = False) -> str:
    return clean_text(value, label, max_length, required=required)


def _line(value, label: str, max_length: int, *, required: bool = False) -> str:
    return clean_text(value, label, max_length, required=required, multiline=False)


def _forbid(message: str | None = None) -> Forbidden:
    return Forbidden(message or _("You may not do this on this deliberation item."))


def _village(unit: Unit) -> Unit:
    if unit.kind not in selectors.VILLAGE_KINDS:
        raise InvalidInput(
            _("A deliberation item belongs to a village or community."), code="not_village"
        )
    return unit


def _event(
    item: Item,
    action: str,
    *,
    actor: User | None,
    before: str,
    note: str = "",
    data: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> ItemEvent:
    return ItemEvent.objects.create(
        item=item,
        action=str(action),
        from_stage=before,
        to_stage=item.stage,
        actor=actor,
        actor_label=getattr(actor, "name", "") if actor else "",
        note=note,
        data=data or {},
        at=at or timezone.now(),
    )


AUDIT = {
    "matter_create": AuditAction.DELIBERATION_MATTER_CREATE,
    "matter_retire": AuditAction.DELIBERATION_MATTER_RETIRE,
    "rule_set": AuditAction.DELIBERATION_RULE_SET,
    "item_propose": AuditAction.DELIBERATION_ITEM_PROPOSE,
    "item_schedule": AuditAction.DELIBERATION_ITEM_SCHEDULE,
    "item_discuss": AuditAction.DELIBERATION_ITEM_DISCUSS,
    "item_vote": AuditAction.DELIBERATION_ITEM_VOTE,
    "item_decide": AuditAction.DELIBERATION_ITEM_DECIDE,
    "item_progress": AuditAction.DELIBERATION_ITEM_PROGRESS,
    "item_complete": AuditAction.DELIBERATION_ITEM_COMPLETE,
    "item_publish": AuditAction.DELIBERATION_ITEM_PUBLISH,
    "item_withdraw": AuditAction.DELIBERATION_ITEM_WITHDRAW,
    "comment_hide": AuditAction.DELIBERATION_COMMENT_HIDE,
    "skipped_record": AuditAction.DELIBERATION_SKIPPED_RECORD,
}
# A short target type for the breaches (the model's label is 32 characters).
BREACH = "deliberation.breach"


def _audit(actor, action: str, target, detail: dict[str, Any] | None = None) -> None:
    audit_record(
        actor=actor,
        action=AUDIT[action],
        target=target,
        target_type=BREACH if isinstance(target, SkippedDeliberation) else "",
        detail=detail,
    )


def _photos(item: Item, event: ItemEvent, prepared: list[PreparedPhoto]) -> None:
    for p in prepared:
        photo = ItemPhoto(
            item=item,
            event=event,
            content_type=p.content_type,
            size=len(p.data),
            width=p.width,
            height=p.height,
            sha256=p.sha256,
        )
        photo.image.save(f"p{p.extension}", ContentFile(p.data), save=False)
        photo.save()


# --- the catalogue ------------------------------------------------------------------------


@transaction.atomic
def matter_create(
    *, actor: User, unit: Unit, code: str, title: str, description: str = ""
) -> Matter:
    """Add an entry to the catalogue of `unit` (and so of every village below it)."""
    if not policy.can_manage(actor, unit):
        raise _forbid(_("You may not change this unit's catalogue."))
    code = _line(code, _("Entry code"), 30, required=True)
    title = _line(title, _("Title"), 100, required=True)
    description = _text(description, _("Description"), 2000)
    applies = selectors.matters_for(unit, active_only=False)
    if (
        applies.filter(code=code).exists()
        or Matter.objects.filter(unit__path__startswith=unit.path, code=code).exists()
    ):
        raise Conflict(
            _("The catalogue already has an entry with the code %(code)s.") % {"code": code},
            code="matter_code_taken",
        )
    matter = Matter.objects.create(
        unit=unit, code=code, title=title, description=description, created_by=actor
    )
    _audit(actor, "matter_create", matter, {"code": code, "title": title, "unit": unit.pk})
    return matter


@transaction.atomic
def matter_retire(*, actor: User, matter: Matter) -> Matter:
    """Retire an entry: only the unit that defined it may (a village cannot remove what
    it inherits from its town)."""
    if not policy.can_manage(actor, matter.unit):
        raise _forbid(_("Only the unit that defined an entry may retire it."))
    if not matter.active:
        raise Conflict(_("This entry is already retired."), code="matter_retired")
    matter.active = False
    matter.save(update_fields=["active"])
    _audit(actor, "matter_retire", matter, {"code": matter.code})
    return matter


# --- the voting rule ------------------------------------------------------------------------


@transaction.atomic
def rule_set(
    *,
    actor: User,
    unit: Unit,
    quorum_num: int,
    quorum_den: int,
    majority_num: int,
    majority_den: int,
) -> VotingRule:
    """Set a village's quorum (a share of its serving representatives present) and
    majority (a share of those present voting for, which must be exceeded)."""
    _village(unit)
    if not policy.can_manage(actor, unit):
        raise _forbid(_("You may not set this village's voting rule."))
    for value in (quorum_num, quorum_den, majority_num, majority_den):
        if not isinstance(value, int) or not 1 <= value <= 100:
            raise InvalidInput(
                _("Each number of the rule is between 1 and 100."), code="rule_range"
            )
    if quorum_num > quorum_den:
        raise InvalidInput(_("The quorum cannot be more than everyone."), code="rule_quorum")
    if majority_num >= majority_den:
        raise InvalidInput(
            _("The majority must be a share below one (more than it must vote for)."),
            code="rule_majority",
        )
    # The law's meeting of villagers' representatives (村民委员会组织法 art. 26) sits with
    # two thirds present and decides by more than half of those present: a village may
    # ask for more, never for less.
    if quorum_num * 3 < quorum_den * 2:
        raise InvalidInput(
            _("The quorum cannot be below two thirds of the serving representatives."),
            code="rule_quorum_floor",
        )
    if majority_num * 2 < majority_den:
        raise InvalidInput(
            _("The majority cannot be below half of those present."), code="rule_majority_floor"
        )
    rule, _created = VotingRule.objects.select_for_update().get_or_create(unit=unit)
    before = [rule.quorum_num, rule.quorum_den, rule.majority_num, rule.majority_den]
    rule.quorum_num, rule.quorum_den = quorum_num, quorum_den
    rule.majority_num, rule.majority_den = majority_num, majority_den
    rule.updated_by = actor
    rule.updated_at = timezone.now()
    rule.save()
    _audit(
        actor,
        "rule_set",
        rule,
        {
            "unit": unit.pk,
            "before": before,
            "after": [quorum_num, quorum_den, majority_num, majority_den],
        },
    )
    return rule


# --- items: proposing -----------------------------------------------------------------------


def _serving_rep(actor: User, village: Unit) -> Representative | None:
    return Representative.objects.filter(
        user=actor, term_end__isnull=True, unit__path__startswith=village.path
    ).first()


@transaction.atomic
def item_propose(
    *,
    actor: User,
    unit: Unit,
    title: str,
    description: str = "",
    matter: Matter | None = None,
    appeals: list[Appeal] | None = None,
    activity: Activity | None = None,
) -> Item:
    """Propose an item on a village's list: by a representative serving there or a cadre
    over it; from a group of the village's appeals (`appeals`, linked and told) or from an
    activity held there (`activity`, read only)."""
    village = _village(unit)
    if not policy.can_propose(actor, village):
        raise _forbid(_("You may not propose items for this village."))
    title = _line(title, _("Title"), 200, required=True)
    description = _text(description, _("Description"))
    if matter is not None and not (village.path.startswith(matter.unit.path) and matter.active):
        raise NotFound(_("Catalogue matter not found."))
    if activity is not None and not activity.unit.path.startswith(village.path):
        raise InvalidInput(
            _("The activity was not held in this village."), code="activity_elsewhere"
        )
    appeals = list(appeals or [])
    for appeal in appeals:
        if not appeal.origin_path.startswith(village.path):
            raise InvalidInput(_("An appeal is from another village."), code="appeal_elsewhere")
    rep = _serving_rep(actor, village)
    if appeals:
        source = Source.APPEALS
    elif activity is not None:
        source = Source.ACTIVITY
    elif rep is not None and not policy.can_manage(actor, village):
        source = Source.REPRESENTATIVE
    else:
        source = Source.CADRE
    now = timezone.now()
    item = Item.objects.create(
        unit=village,
        matter=matter,
        title=title,
        description=description,
        source=source,
        proposed_by=actor,
        representative=rep,
        activity=activity,
        stage=Stage.PROPOSED,
        created_at=now,
        updated_at=now,
    )
    data: dict[str, Any] = {"source": source}
    if appeals:
        data["appeals"] = [a.code for a in appeals]
    if activity is not None:
        data["activity"] = activity.pk
    _event(item, Action.PROPOSE, actor=actor, before="", note=description[:500], data=data, at=now)
    for appeal in appeals:
        ItemAppeal.objects.create(item=item, appeal=appeal)
        appeal_events.record(
            appeal,
            AppealAction.NOTE,
            actor=actor,
            note=_("Put on the deliberation list of %(village)s as item %(n)d: %(title)s")
            % {"village": village.name, "n": item.pk, "title": title},
        )
    _audit(actor, "item_propose", item, data)
    return item


# --- items: the steps -----------------------------------------------------------------------


def _lock(item: Item, version: int | None) -> Item:
    try:
        locked = Item.objects.select_for_update().get(pk=item.pk)
    except Item.DoesNotExist:
        raise NotFound(_("Deliberation item not found.")) from None
    if version is not None and int(version) != locked.version:
        raise Conflict(
            _("The item was changed meanwhile; reload the page and try again."), code="stale"
        )
    return locked


def _check(actor: User, item: Item, action: str) -> None:
    allowed_to = (
        policy.can_withdraw(actor, item)
        if action == Action.WITHDRAW
        else policy.can_manage(actor, item.unit)
    )
    if not allowed_to:
        raise _forbid()
    if not allowed(action, item.stage):
        raise Conflict(
            _("This cannot be done to an item that is %(stage)s.")
            % {"stage": item.get_stage_display()},
            code="wrong_stage",
        )


def _save(item: Item, fields: set[str]) -> None:
    item.version += 1
    item.updated_at = timezone.now()
    item.save(update_fields=sorted(fields | {"stage", "version", "updated_at"}))


def _failed_quorum_at(item: Item) -> bool:
    """Did a vote at the item's current meeting fail its quorum? The item then needs a
    later meeting before it can be discussed or voted again."""
    return (
        item.meeting_id is not None
        and Vote.objects.filter(item=item, meeting_id=item.meeting_id, quorum_met=False).exists()
    )


@transaction.atomic
def item_schedule(
    *, actor: User, item: Item, meeting: Activity, note: str = "", version: int | None = None
) -> Item:
    """Put the item on a deliberation meeting of its village (again, after a failed
    quorum: then a meeting later than the one that failed)."""
    item = _lock(item, version)
    _check(actor, item, Action.SCHEDULE)
    note = _text(note, _("Note"), 1000)
    if (
        meeting.kind != ActivityKind.DELIBERATION
        or meeting.status == ActivityStatus.CANCELLED
        or not meeting.unit.path.startswith(item.unit.path)
    ):
        raise InvalidInput(
            _("Choose a deliberation meeting of this village that is not cancelled."),
            code="meeting",
        )
    if item.meeting_id == meeting.pk and not _failed_quorum_at(item):
        raise Conflict(_("The item is already on this meeting's agenda."), code="same_meeting")
    failed = (
        Vote.objects.filter(item=item, quorum_met=False)
        .select_related("meeting")
        .order_by("-at")
        .first()
    )
    if (
        failed is not None
        and failed.meeting is not None
        and (meeting.pk == failed.meeting_id or meeting.starts_at <= failed.meeting.starts_at)
    ):
        raise InvalidInput(
            _("The last meeting had no quorum: choose a later meeting."),
            code="needs_later_meeting",
        )
    before = item.stage
    item.meeting = meeting
    item.stage = Stage.SCHEDULED
    _save(item, {"meeting"})
    data = {
        "meeting": meeting.pk,
        "meeting_title": meeting.title,
        "starts_at": meeting.starts_at.isoformat(),
    }
    _event(item, Action.SCHEDULE, actor=actor, before=before, note=note, data=data)
    _audit(actor, "item_schedule", item, data)
    return item


def _check_meeting_held_on(item: Item) -> None:
    """A discussion or a vote is of a meeting that takes place: not a cancelled one, and
    not one whose day has not come (offer to put the item on another meeting instead)."""
    meeting = item.meeting
    if meeting is None:
        raise Conflict(_("Put the item on a meeting's agenda first."), code="no_meeting")
    if meeting.status == ActivityStatus.CANCELLED:
        raise Conflict(
            _("The meeting was cancelled: put the item on another meeting."),
            code="meeting_cancelled",
        )
    day = timezone.localdate(meeting.starts_at)
    if day > today():
        raise Conflict(
            _("The meeting is on %(day)s: record its discussion and vote on that day or after.")
            % {"day": day.isoformat()},
            code="meeting_not_yet",
        )


@transaction.atomic
def item_discuss(*, actor: User, item: Item, note: str, version: int | None = None) -> Item:
    """Record what the meeting said about the item."""
    item = _lock(item, version)
    _check(actor, item, Action.DISCUSS)
    _check_meeting_held_on(item)
    note = _text(note, _("Discussion"), required=True)
    if _failed_quorum_at(item):
        raise Conflict(
            _("The last meeting had no quorum: put the item on a later meeting first."),
            code="needs_later_meeting",
        )
    before = item.stage
    item.stage = Stage.DISCUSSED
    _save(item, set())
    _event(
        item,
        Action.DISCUSS,
        actor=actor,
        before=before,
        note=note,
        data={"meeting": item.meeting_id},
    )
    _audit(actor, "item_discuss", item, {"meeting": item.meeting_id})
    return item


def _count(value: Any, label: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value > 100000:
        raise InvalidInput(
            _("%(label)s must be a whole number of people.") % {"label": label}, code="vote_count"
        )
    return value


@transaction.atomic
def item_vote(
    *,
    actor: User,
    item: Item,
    present: int,
    votes_for: int,
    votes_against: int,
    votes_abstain: int,
    note: str = "",
    version: int | None = None,
) -> Item:
    """Record a vote: who was present and how they voted. Without a quorum the vote is
    recorded and the item stays on the agenda, to be put on a later meeting."""
    item = _lock(item, version)
    _check(actor, item, Action.VOTE)
    _check_meeting_held_on(item)
    present = _count(present, _("Present"))
    votes_for = _count(votes_for, _("For"))
    votes_against = _count(votes_against, _("Against"))
    votes_abstain = _count(votes_abstain, _("Abstain"))
    note = _text(note, _("Note"), 1000)
    serving = selectors.serving_count(item.unit)
    if present > serving:
        raise InvalidInput(
            _("%(present)d present is more than the %(serving)d representatives serving.")
            % {"present": present, "serving": serving},
            code="vote_present",
        )
    if votes_for + votes_against + votes_abstain > present:
        raise InvalidInput(
            _("For, against and abstaining add up to more than those present."),
            code="vote_total",
        )
    rule = selectors.voting_rule_for(item.unit)
    quorum = rule.quorum_met(present, serving)
    passed = quorum and rule.passes(votes_for, present)
    vote = Vote.objects.create(
        item=item,
        meeting_id=item.meeting_id,
        serving=serving,
        present=present,
        votes_for=votes_for,
        votes_against=votes_against,
        votes_abstain=votes_abstain,
        quorum_met=quorum,
        passed=passed,
        rule=f"{rule.quorum_num}/{rule.quorum_den}; >{rule.majority_num}/{rule.majority_den}",
        recorded_by=actor,
    )
    before = item.stage
    fields: set[str] = set()
    if quorum:
        item.stage = Stage.VOTED
        item.present, item.votes_for = present, votes_for
        item.votes_against, item.votes_abstain = votes_against, votes_abstain
        item.passed = passed
        fields = {"present", "votes_for", "votes_against", "votes_abstain", "passed"}
    else:
        # Stays on the agenda; it must go on a later meeting (`item_schedule`).
        item.stage = Stage.SCHEDULED
    _save(item, fields)
    data = {
        "vote": vote.pk,
        "meeting": item.meeting_id,
        "serving": serving,
        "present": present,
        "for": votes_for,
        "against": votes_against,
        "abstain": votes_abstain,
        "quorum_met": quorum,
        "passed": passed,
        "rule": vote.rule,
    }
    _event(item, Action.VOTE, actor=actor, before=before, note=note, data=data)
    _audit(actor, "item_vote", item, data)
    return item


@transaction.atomic
def item_decide(*, actor: User, item: Item, decision: str, version: int | None = None) -> Item:
    """Record the decision the vote reached: adopted (decided) or not (rejected); the
    residents whose appeals it came from are told."""
    item = _lock(item, version)
    _check(actor, item, Action.DECIDE)
    decision = _text(decision, _("Decision"), required=True)
    before = item.stage
    item.stage = Stage.DECIDED if item.passed else Stage.REJECTED
    item.decision = decision
    item.decided_at = timezone.now()
    _save(item, {"decision", "decided_at"})
    _event(
        item,
        Action.DECIDE,
        actor=actor,
        before=before,
        note=decision,
        data={"passed": bool(item.passed)},
    )
    told = _tell_appeals(actor, item)
    _audit(actor, "item_decide", item, {"passed": bool(item.passed), "told": told})
    return item


def _tell_appeals(actor: User, item: Item) -> int:
    """Note the outcome on each linked appeal's timeline and SMS its reporter."""
    from linli.notify.services import notify_phone

    outcome = _("adopted") if item.passed else _("not adopted")
    note = _("Deliberation item %(n)d (%(title)s) was %(outcome)s: %(decision)s") % {
        "n": item.pk,
        "title": item.title,
        "outcome": outcome,
        "decision": item.decision[:200],
    }
    told = 0
    now = timezone.now()
    for link in item.appeal_links.select_related("appeal", "appeal__unit"):
        appeal = link.appeal
        appeal_events.record(appeal, AppealAction.NOTE, actor=actor, note=note)
        if appeal.reporter_phone:
            body = _(
                "Your appeal %(code)s went to the village's deliberation: %(outcome)s. %(decision)s"
            ) % {"code": appeal.code, "outcome": outcome, "decision": item.decision[:60]}
            notify_phone(
                phone=appeal.reporter_phone,
                kind="deliberation.decided",
                body=f"{body} {appeal_links.url_for(appeal)}",
                data={"appeal": appeal.code, "item": item.pk},
            )
            told += 1
        link.told_at = now
        link.save(update_fields=["told_at"])
    return told


@transaction.atomic
def item_progress(
    *, actor: User, item: Item, note: str, photos: Any = (), version: int | None = None
) -> Item:
    """A progress update while the decision is carried out, with photos."""
    prepared = photos_prepare(photos) if photos else []
    item = _lock(item, version)
    _check(actor, item, Action.PROGRESS)
    note = _text(note, _("Progress"), required=True)
    before = item.stage
    item.stage = Stage.IN_PROGRESS
    _save(item, set())
    event = _event(
        item, Action.PROGRESS, actor=actor, before=before, note=note, data={"photos": len(prepared)}
    )
    _photos(item, event, prepared)
    _audit(actor, "item_progress", item, {"photos": len(prepared)})
    return item


@transaction.atomic
def item_complete(*, actor: User, item: Item, note: str = "", version: int | None = None) -> Item:
    item = _lock(item, version)
    _check(actor, item, Action.COMPLETE)
    note = _text(note, _("Note"), 1000)
    before = item.stage
    item.stage = Stage.COMPLETED
    item.completed_at = timezone.now()
    _save(item, {"completed_at"})
    _event(item, Action.COMPLETE, actor=actor, before=before, note=note)
    _audit(actor, "item_complete", item)
    return item


@transaction.atomic
def item_publish(
    *, actor: User, item: Item, notice_days: int | None = None, version: int | None = None
) -> Item:
    """Put the item on the public notice board (公示) for `notice_days` days (default the
    item's, 7)."""
    item = _lock(item, version)
    _check(actor, item, Action.PUBLISH)
    days = item.notice_days if notice_days is None else notice_days
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_NOTICE_DAYS:
        raise InvalidInput(
            _("The notice lasts 1 to %(n)d days.") % {"n": MAX_NOTICE_DAYS}, code="notice_days"
        )
    before = item.stage
    now = timezone.now()
    item.stage = Stage.PUBLISHED
    item.notice_days = days
    item.published_at = now
    item.published_until = now + dt.timedelta(days=days)
    _save(item, {"notice_days", "published_at", "published_until"})
    data = {"notice_days": days, "until": item.published_until.isoformat()}
    _event(item, Action.PUBLISH, actor=actor, before=before, data=data, at=now)
    _audit(actor, "item_publish", item, data)
    return item


@transaction.atomic
def item_withdraw(*, actor: User, item: Item, note: str, version: int | None = None) -> Item:
    item = _lock(item, version)
    _check(actor, item, Action.WITHDRAW)
    note = _text(note, _("Reason"), 1000, required=True)
    before = item.stage
    item.stage = Stage.WITHDRAWN
    _save(item, set())
    _event(item, Action.WITHDRAW, actor=actor, before=before, note=note)
    _audit(actor, "item_withdraw", item, {"reason": note})
    return item


def item_act(*, actor: User, item: Item, action: str, **params: Any) -> Item:
    """One door for the pages and the API: the service of `action`."""
    services = {
        Action.SCHEDULE: item_schedule,
        Action.DISCUSS: item_discuss,
        Action.VOTE: item_vote,
        Action.DECIDE: item_decide,
        Action.PROGRESS: item_progress,
        Action.COMPLETE: item_complete,
        Action.PUBLISH: item_publish,
        Action.WITHDRAW: item_withdraw,
    }
    fn = services.get(action)  # type: ignore[call-overload]
    if fn is None:
        raise InvalidInput(_("Unknown action."), code="action")
    return fn(actor=actor, item=item, **params)


# --- residents' comments on the public notice -----------------------------------------------


@transaction.atomic
def comment_add(*, item: Item, name: str, text: str, client: str) -> Comment:
    """A resident's comment on a published item (no account). Limited per client."""
    name = _line(name, _("Name"), 50, required=True)
    text = _text(text, _("Comment"), 1000, required=True)
    if not selectors.is_public(item):
        raise NotFound(_("Deliberation item not found."))
    for scope, limit, window in COMMENT_LIMITS:
        ratelimit.check(scope, client, limit=limit, window=window)
    return Comment.objects.create(item=item, name=name, text=text)


@transaction.atomic
def comment_hide(*, actor: User, comment: Comment, reason: str) -> Comment:
    if not policy.can_manage(actor, comment.item.unit):
        raise _forbid(_("You may not hide comments on this item."))
    reason = _line(reason, _("Reason"), 200, required=True)
    if comment.hidden_at is not None:
        raise Conflict(_("The comment is already hidden."), code="comment_hidden")
    comment.hidden_at = timezone.now()
    comment.hidden_by = actor
    comment.hidden_reason = reason
    comment.save(update_fields=["hidden_at", "hidden_by", "hidden_reason"])
    _audit(actor, "comment_hide", comment, {"item": comment.item_id, "reason": reason})
    return comment


# --- undeliberated decisions ------------------------------------------------------------------


@transaction.atomic
def skipped_record(
    *,
    actor: User,
    unit: Unit,
    matter: Matter,
    decided: str,
    decided_on: dt.date,
    evidence: str = "",
    photo: Any = None,
) -> SkippedDeliberation:
    """A supervisor records that a village decided a catalogue matter without passing
    deliberation."""
    village = _village(unit)
    if not policy.can_supervise(actor, village):
        raise _forbid(_("Only a town cadre or above records an undeliberated decision."))
    if not village.path.startswith(matter.unit.path):
        raise NotFound(_("Catalogue matter not found."))
    decided = _text(decided, _("What was decided"), 2000, required=True)
    evidence = _text(evidence, _("Evidence"), 2000)
    if not isinstance(decided_on, dt.date) or not in_window(decided_on) or decided_on > today():
        raise InvalidInput(_("The date is not valid."), code="date")
    prepared = photos_prepare([photo]) if photo else []
    row = SkippedDeliberation(
        unit=village,
        matter=matter,
        decided=decided,
        decided_on=decided_on,
        evidence=evidence,
        recorded_by=actor,
    )
    if prepared:
        p = prepared[0]
        row.photo.save(f"p{p.extension}", ContentFile(p.data), save=False)
    row.save()
    _audit(actor, "skipped_record", row, {"unit": village.pk, "matter": matter.code})
    return row
