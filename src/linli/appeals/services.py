"""Every write on appeals.

`appeal_file` takes an appeal in and routes it; `appeal_act` applies any
action of the state machine in `workflow.py` (lock, check, change, event,
deadlines, notifications, in one transaction); `appeals_tick` is the periodic
job that finds what is due. Notifications go through the notify outbox in the
same transaction as the change.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.models import AuditAction, User
from linli.accounts.scope import scope_for
from linli.accounts.services import audit_record
from linli.core import ratelimit
from linli.core.calendar import deadline_after
from linli.core.crypto import blind_index
from linli.core.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from linli.core.photos import PreparedPhoto, photos_check_count, photos_prepare
from linli.core.validators import clean_coordinate, clean_text, normalize_mobile
from linli.org.models import Department, Household, Representative, Unit
from linli.org.selectors import members_with_phone, representative_on
from linli.org.services import same_village

from . import events, links, live, policy, tally
from .models import (
    ACTIVE_STATUSES,
    CLOCK_STATUSES,
    OPEN_STATUSES,
    Appeal,
    AppealEvent,
    AppealPhoto,
    Category,
    Channel,
    DeadlinePolicy,
    DisputeParty,
    Kind,
    Level,
    MediationSession,
    PhoneCode,
    ResolveUnit,
    Status,
    Urgency,
    higher_level,
)
from .workflow import (
    ACTION_LABELS,
    BY_RATING,
    PREVIOUS,
    SAME,
    SATISFIED_FROM,
    TABLE,
    Action,
    Cap,
    Event,
    Notify,
    Transition,
    allowed,
    next_level,
    previous_level,
)

log = logging.getLogger("linli.appeals")

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
MAX_TEXT = 2000

# Used when an administrator has deleted a policy row: never fail to file.
FALLBACK_POLICY = DeadlinePolicy(
    claim_hours=24,
    resolve_amount=5,
    resolve_unit=ResolveUnit.WORKING_DAYS,
    remind_before_hours=4,
    auto_escalate=False,
    visit_days=3,
)


def policy_for(level: str, urgency: str) -> DeadlinePolicy:
    policy = DeadlinePolicy.objects.filter(level=level, urgency=urgency).first()
    return policy or FALLBACK_POLICY


# --- notifications ---------------------------------------------------------------


def _notify_users(users, *, appeal: Appeal, kind: str, title: str, body: str = "", sms=False):
    from linli.notify.services import notify_users

    users = [u for u in users if u is not None]
    if not users:
        return
    notify_users(
        users=users,
        kind=kind,
        title=title,
        body=body,
        url=f"/appeals/{appeal.code}/",
        data={"appeal": appeal.code},
        channels=("inapp", "sms") if sms else ("inapp",),
    )


def _notify_resident(appeal: Appeal, kind: str, body: str) -> None:
    """An SMS to the reporter. Every one ends with the short link that opens their
    appeal's tracking page without a login (`links.py`), so they can follow, rate or
    withdraw it without retyping the case code."""
    if not appeal.reporter_phone:
        return
    from linli.notify.services import notify_phone

    notify_phone(
        phone=appeal.reporter_phone,
        kind=kind,
        body=f"{body} {links.url_for(appeal)}",
        data={"appeal": appeal.code},
    )


def _notify_webhooks(appeal: Appeal, action: str) -> None:
    from linli.notify.services import notify_event

    notify_event(
        kind=f"appeal.{action}",
        payload={
            "code": appeal.code,
            "action": action,
            "status": appeal.status,
            "level": appeal.level,
            "unit": appeal.unit.name,
            "category": appeal.category.code,
            "urgency": appeal.urgency,
        },
    )


# --- the reporter's mobile in clear ------------------------------------------------


@transaction.atomic
def reporter_phone_reveal(*, actor: User, appeal: Appeal) -> str:
    """The reporter's mobile unmasked, for a call back, and the view audited.

    Whoever handles the appeal, supervises it from above, or holds it while it is
    referred to their department may see it; the mobile is masked everywhere else.
    """
    if not policy.capacities(actor, appeal) & {Cap.HANDLER, Cap.SUPERIOR, Cap.DEPARTMENT}:
        raise Forbidden(_("You may not view unmasked personal data."))
    audit_record(
        actor=actor,
        action=AuditAction.APPEAL_REPORTER_REVEAL,
        target=appeal,
        detail={"fields": ["reporter_phone"]},
    )
    return appeal.reporter_phone


# --- one-time codes for residents ------------------------------------------------


def _code_hash(phone: str, code: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()


@transaction.atomic
def phone_code_request(*, phone: str) -> PhoneCode:
    """Send a 6-digit code to a mobile number through the outbox."""
    phone = normalize_mobile(phone)
    now = timezone.now()
    recent = PhoneCode.objects.filter(
        phone_hash=blind_index(phone), created_at__gte=now - dt.timedelta(hours=24)
    )
    if recent.filter(created_at__gte=now - dt.timedelta(seconds=60)).exists():
        raise Conflict(
            _("A code was sent less than a minute ago; please wait before asking again."),
            code="code_too_soon",
        )
    if recent.count() >= 10:
        raise Conflict(_("Too many codes for this number today."), code="code_too_many")
    code = f"{secrets.randbelow(10**6):06d}"
    row = PhoneCode.objects.create(
        phone_hash=blind_index(phone),
        code_hash=_code_hash(phone, code),
        expires_at=now + dt.timedelta(seconds=settings.LINLI["OTP_TTL_SECONDS"]),
    )
    from linli.notify.services import notify_phone

    minutes = settings.LINLI["OTP_TTL_SECONDS"] // 60
    notify_phone(
        phone=phone,
        kind="appeal.code",
        body=_("Your Linli verification code is %(code)s, valid for %(m)d minutes.")
        % {"code": code, "m": minutes},
    )
    return row


def phone_code_verify(*, phone: str, code: str) -> str:
    """Check a code; return the normalised phone or raise InvalidInput.

    Wrong codes are also counted per mobile across codes
    (`LINLI["THROTTLES"]["code-verify-mobile"]`, 10 an hour): past that every try
    for the number is refused with Throttled until the hour ends, so asking for
    new codes does not buy more guesses."""
    phone = normalize_mobile(phone)
    code = (code or "").strip()
    too_many = _("Too many wrong verification codes for this number.")
    ratelimit.refuse_if_exceeded("code-verify-mobile", phone, message=too_many)
    with transaction.atomic():
        row = (
            PhoneCode.objects.select_for_update()
            .filter(
                phone_hash=blind_index(phone), used_at__isnull=True, expires_at__gt=timezone.now()
            )
            .order_by("-created_at")
            .first()
        )
        if row is None:
            raise InvalidInput(
                _("The verification code has expired; please ask for a new one."),
                code="code_expired",
            )
        if row.attempts >= settings.LINLI["OTP_MAX_ATTEMPTS"]:
            raise InvalidInput(
                _("Too many wrong codes; please ask for a new one."), code="code_locked"
            )
        if not hmac.compare_digest(row.code_hash, _code_hash(phone, code)):
            row.attempts += 1
            row.save(update_fields=["attempts"])
            wrong = True
        else:
            row.used_at = timezone.now()
            row.save(update_fields=["used_at"])
            wrong = False
    if wrong:
        ratelimit.hit("code-verify-mobile", phone)
        raise InvalidInput(_("The verification code is wrong."), code="code_wrong")
    return phone


# --- filing ------------------------------------------------------------------------


def _text(value, label: str, *, required: bool, max_length: int = MAX_TEXT) -> str:
    return clean_text(value, label, max_length, required=required)


@dataclass
class Placement:
    level: Level
    unit: Unit
    representative: Representative | None


def route(*, household: Household | None, unit: Unit | None) -> Placement:
    """Where a new appeal goes: the household's representative, else the group or
    village owning the place, and what cannot be placed lands with the village."""
    if household is not None:
        rep = representative_on(household, timezone.localdate())
        if rep is not None:
            return Placement(Level.GROUP, household.unit, rep)
        unit = household.unit
    if unit is None:
        raise InvalidInput(
            _("Say where the problem is: choose a village or group, or a household."),
            code="location_required",
        )
    level = policy.level_of(unit)
    if level == Level.GROUP and not policy.group_has_handlers(unit):
        village = policy.ancestor_at(unit, Level.VILLAGE)
        if village is not None:
            return Placement(policy.level_of(village), village, None)
    return Placement(level, unit, None)


def _new_code() -> str:
    day = timezone.localdate().strftime("%y%m%d")
    return day + "".join(secrets.choice(CODE_ALPHABET) for _ in range(5))


DEADLINE_FIELDS = frozenset(
    {"claim_due_at", "claim_overdue_at", "due_at", "remind_at", "reminded_at", "overdue_at"}
)


def _set_deadlines(appeal: Appeal, now: dt.datetime, *, claim: bool) -> frozenset[str]:
    """Start the clock for the appeal's current level (claim and resolve); return
    the fields it set, for `save(update_fields=...)`."""
    policy = policy_for(appeal.level, appeal.urgency)
    appeal.claim_due_at = now + dt.timedelta(hours=policy.claim_hours) if claim else None
    appeal.claim_overdue_at = None
    appeal.due_at = deadline_after(now, amount=policy.resolve_amount, unit=policy.resolve_unit)
    appeal.remind_at = appeal.due_at - dt.timedelta(hours=policy.remind_before_hours)
    appeal.reminded_at = None
    appeal.overdue_at = None
    return DEADLINE_FIELDS


def _save_photos(appeal: Appeal, event: AppealEvent | None, prepared: list[PreparedPhoto]):
    for p in prepared:
        photo = AppealPhoto(
            appeal=appeal,
            event=event,
            content_type=p.content_type,
            size=len(p.data),
            width=p.width,
            height=p.height,
            sha256=p.sha256,
        )
        photo.image.save(f"photo{p.extension}", ContentFile(p.data), save=False)
        photo.save()


def appeal_file(
    *,
    actor: User | None,
    category: Category,
    description: str,
    title: str = "",
    urgency: str = Urgency.NORMAL,
    channel: str | None = None,
    household: Household | None = None,
    unit: Unit | None = None,
    address: str = "",
    latitude=None,
    longitude=None,
    reporter_name: str = "",
    reporter_phone: str = "",
    photos=(),
    held_photos: list[PreparedPhoto] | tuple[()] = (),
) -> Appeal:
    """File an appeal and route it.

    `held_photos` were checked already (the report page held them while the form
    came back with an error); they count towards the limit with `photos`.

    `actor` is None for a resident reporting from the public page; the view has
    confirmed `reporter_phone` with a one-time code. A representative files on
    a resident's behalf, a hotline operator from a call, another system through
    the API. The caller has fetched `household`/`unit` through a scoped selector.
    """
    if category is None or not category.active or category.parent_id is None:
        raise InvalidInput(_("Choose a category."), code="category")
    if urgency not in Urgency.values:
        raise InvalidInput(_("Unknown urgency."), code="urgency")
    description = _text(description, _("Description"), required=True)
    title = _text(title, _("Title"), required=False, max_length=100) or description[:30]
    address = _text(address, _("Address"), required=False, max_length=200)
    reporter_name = _text(reporter_name, _("Name"), required=False, max_length=50)
    lat = clean_coordinate(latitude, -90, 90, _("Latitude"))
    lng = clean_coordinate(longitude, -180, 180, _("Longitude"))
    if actor is None:
        channel = Channel.SELF
    elif channel not in Channel.values or channel == Channel.SELF:
        scope = scope_for(actor)
        channel = Channel.REPRESENTATIVE if scope.representative_ids else Channel.HOTLINE
    if reporter_phone:
        reporter_phone = normalize_mobile(reporter_phone)
    elif channel in (Channel.SELF, Channel.HOTLINE):
        raise InvalidInput(_("The resident's mobile number is required."), code="phone_required")
    if household is None and reporter_phone:
        # A resident known to the register, reporting about their own village:
        # route to their household's representative.
        member = members_with_phone(reporter_phone).select_related("household__unit").first()
        if member is not None and (unit is None or same_village(member.household.unit, unit)):
            household = member.household
            unit = None
    prepared = list(held_photos) + photos_prepare(photos, already=len(held_photos))

    with transaction.atomic():
        placement = route(household=household, unit=unit)
        now = timezone.now()
        origin = household.unit if household is not None else (unit or placement.unit)
        appeal = Appeal(
            kind=category.kind,
            category=category,
            title=title,
            description=description,
            urgency=urgency,
            channel=channel,
            status=Status.PENDING,
            level=placement.level,
            reached_level=placement.level,
            unit=placement.unit,
            origin_unit=origin,
            origin_path=origin.path,
            household=household,
            address=address or (household.address if household else ""),
            latitude=lat,
            longitude=lng,
            reporter_name=reporter_name,
            reporter_phone=reporter_phone,
            created_by=actor,
            representative=placement.representative,
            created_at=now,
            updated_at=now,
        )
        _set_deadlines(appeal, now, claim=True)
        appeal.first_claim_due_at = appeal.claim_due_at
        for _attempt in range(5):
            appeal.code = _new_code()
            try:
                with transaction.atomic():
                    appeal.save(force_insert=True)
                break
            except IntegrityError:
                appeal.pk = None
                continue
        else:  # pragma: no cover - 32**5 codes a day
            raise Conflict(_("Could not allocate a case code; please try again."))
        event = events.record(
            appeal,
            Event.FILE,
            actor=actor,
            by="resident" if actor is None else "",
            data=events.filed_data(channel=channel, representative_id=appeal.representative_id),
        )
        _save_photos(appeal, event, prepared)
        _notify_resident(
            appeal,
            "appeal.filed",
            _(
                "Your appeal has been received. Case code %(code)s; follow it with this code and your mobile number."
            )
            % {"code": appeal.code},
        )
        _notify_webhooks(appeal, "filed")
        live.change_on_commit(appeal, "filed")
        if actor is not None:
            audit_record(actor=actor, action=AuditAction.APPEAL_FILE, target=appeal)
        _claim_own(appeal, actor)
        # Whoever may take it on now (after a claim, nobody but the filer).
        _notify_users(
            [u for u in policy.handlers_of(appeal) if actor is None or u.pk != actor.pk],
            appeal=appeal,
            kind="appeal.new",
            title=_("New appeal %(code)s: %(title)s") % {"code": appeal.code, "title": title},
            body=appeal.address,
            sms=appeal.urgency == Urgency.URGENT,
        )
    return appeal


def _claim_own(appeal: Appeal, actor: User | None) -> None:
    """A representative filing for a household they serve takes it on in the same
    step: a claim through the one transition function, checked by the table like
    any other (its own event after the filing). The new row is not yet visible to
    anyone else, so the caller's transaction holds it as a lock would."""
    rep = appeal.representative
    if actor is None or rep is None or rep.user_id != actor.pk:
        return
    caps = policy.capacities(actor, appeal)
    if not allowed(Action.CLAIM, appeal.status, caps, appeal.kind):
        return
    _transition(appeal, Action.CLAIM, actor, caps)


# --- the state machine -------------------------------------------------------------


def _stale(appeal: Appeal) -> Conflict:
    return Conflict(
        _("This appeal was changed by someone else; reload the page and try again."),
        code="stale",
    )


def _refuse(appeal: Appeal, action: str, caps: set[Cap]) -> DomainError:
    t = TABLE.get(Action(action)) if action in Action._value2member_map_ else None
    if t is None:
        return InvalidInput(_("Unknown action."), code="unknown_action")
    if appeal.status not in t.sources:
        return Conflict(
            _("This appeal is %(status)s: it cannot be “%(action)s” now.")
            % {"status": appeal.get_status_display(), "action": ACTION_LABELS[t.action]},
            code="invalid_transition",
        )
    if t.disputes_only and appeal.kind != Kind.DISPUTE:
        return InvalidInput(_("This applies to disputes only."), code="disputes_only")
    return Forbidden(
        _("You may not “%(action)s” this appeal at its current level.")
        % {"action": ACTION_LABELS[t.action]},
        code="not_allowed",
    )


@dataclass(frozen=True)
class ActParams:
    """What some actions need besides a note (the caller fetched each object through
    a scoped selector)."""

    department: Department | None = None  # refer
    merge_into: Appeal | None = None  # merge
    unit: Unit | None = None  # return: the unit below to send it to
    rating: int | str | None = None  # rate
    party: dict[str, Any] | None = None  # party_add: name, phone, role
    held_at: dt.datetime | None = None  # mediate
    assignee: User | None = None  # reassign: the handler a superior names


def appeal_act(
    *,
    actor: User | None,
    appeal: Appeal,
    action: str,
    note: str = "",
    version: int | None = None,
    resident_phone: str | None = None,
    system: bool = False,
    department: Department | None = None,
    merge_into: Appeal | None = None,
    unit: Unit | None = None,
    rating: int | str | None = None,
    party: dict[str, Any] | None = None,
    held_at: dt.datetime | None = None,
    assignee: User | None = None,
    internal: bool = False,
    photos: Any = (),
) -> Appeal:
    """Apply one action of the state machine; raise (and change nothing) if refused.

    The appeal row is locked first, so of two people acting at once exactly one
    wins; the other gets a Conflict (HTTP 409), e.g. "already claimed by X".
    `version`, when given (pages and the API send the version they showed),
    refuses a change made on a stale view.
    """
    # A first check before the costly re-encoding; the binding one is under the lock.
    prepared = photos_prepare(photos, already=appeal.photos.count()) if photos else []
    params = ActParams(
        department=department,
        merge_into=merge_into,
        unit=unit,
        rating=rating,
        party=party,
        held_at=held_at,
        assignee=assignee,
    )
    with transaction.atomic():
        try:
            locked = (
                # No select_related: under a lock PostgreSQL re-reads the locked row
                # but not the joined ones, which could be stale after a concurrent change.
                Appeal.objects.select_for_update().get(pk=appeal.pk)
            )
        except Appeal.DoesNotExist:
            raise NotFound(_("No such appeal.")) from None
        if prepared:
            # Counted under the row lock, in the transaction that inserts: two
            # uploads at once queue here and the second sees the first's photos.
            photos_check_count(AppealPhoto.objects.filter(appeal=locked).count(), len(prepared))
        if action == Action.CLAIM and locked.status != Status.PENDING and locked.assignee_id:
            raise Conflict(
                _("Already claimed by %(name)s.") % {"name": locked.assignee.name},
                code="already_claimed",
            )
        if version is not None and int(version) != locked.version:
            raise _stale(locked)
        caps = (
            {Cap.SYSTEM}
            if system
            else policy.capacities(actor, locked, resident_phone=resident_phone)
        )
        return _transition(
            locked,
            action,
            actor,
            caps,
            note=note,
            params=params,
            internal=internal,
            prepared=prepared,
        )


@dataclass
class _Step:
    """One transition under way: its handler changes the appeal's own fields and
    says what the event records; `_transition` does the rest for every action."""

    appeal: Appeal
    action: Action
    actor: User | None
    caps: set[Cap]
    note: str
    params: ActParams
    now: dt.datetime
    before: str  # the status before
    fields: set[str]  # to save
    data: events.EventData | None = None
    reopened: bool = False  # went back to pending (a dissatisfied rating)


def _transition(
    appeal: Appeal,
    action: str,
    actor: User | None,
    caps: set[Cap],
    *,
    note: str = "",
    params: ActParams = ActParams(),
    internal: bool = False,
    prepared: list[PreparedPhoto] | None = None,
    now: dt.datetime | None = None,
) -> Appeal:
    """The one function that applies a transition, for people and the tick alike:
    check it is declared, run its handler, save, record the event, then the effects
    the table declares (audit, notices, the resident's SMS, webhooks).
    The caller holds the row lock."""
    if not allowed(action, appeal.status, caps, appeal.kind):
        raise _refuse(appeal, action, caps)
    t = TABLE[Action(action)]
    step = _Step(
        appeal=appeal,
        action=t.action,
        actor=actor,
        caps=caps,
        note=_text(note, _("Note"), required=t.note_required),
        params=params,
        now=now or timezone.now(),
        before=appeal.status,
        fields={"status", "version", "updated_at"},
    )
    # The event belongs to the level where the actor acted, before any move.
    where = (appeal.level, appeal.unit)
    if t.target not in (SAME, PREVIOUS, BY_RATING):
        appeal.status = t.target
    HANDLERS[t.action](step)
    appeal.version += 1
    appeal.updated_at = step.now
    appeal.save(update_fields=sorted(step.fields))
    by = "system" if Cap.SYSTEM in caps else ("resident" if actor is None else "")
    # A department's handler acts for the department, not for the level it sits at.
    acting_for = (
        appeal.department
        if Cap.DEPARTMENT in caps
        and Cap.DEPARTMENT in t.who
        and not (caps & (t.who - {Cap.DEPARTMENT}))
        and appeal.department_id
        else None
    )
    event = events.record(
        appeal,
        t.action,
        actor=actor,
        by=by,
        from_status=step.before,
        note=step.note,
        internal=internal and t.action == Action.NOTE,
        data=step.data,
        at=step.now,
        level=where[0],
        unit=where[1],
        department=acting_for,
    )
    if prepared:
        _save_photos(appeal, event, prepared)
    _effects(t, step)
    return appeal


def _effects(t: Transition, step: _Step) -> None:
    """What the table declares beyond the appeal row and its event."""
    appeal, note = step.appeal, step.note
    if t.audited:
        audit_record(
            actor=step.actor,
            action=AuditAction(f"appeal.{t.action}"),
            target=appeal,
            detail={"note": note},
        )
    users: list[User] = []
    if t.notify == Notify.HANDLERS or (t.notify == Notify.HANDLERS_IF_REOPENED and step.reopened):
        users = policy.handlers_of(appeal)
    elif t.notify == Notify.ASSIGNEE and appeal.assignee_id:
        users = [appeal.assignee]
    if users:
        _notify_users(
            users,
            appeal=appeal,
            kind=f"appeal.{t.action}",
            title=str(t.notice) % {"action": ACTION_LABELS[t.action], "code": appeal.code},
            body=note[:200],
        )
    if t.tell_resident:
        merged = step.params.merge_into
        _notify_resident(
            appeal,
            f"appeal.{t.action}",
            str(t.tell_resident)
            % {
                "code": appeal.code,
                "name": getattr(step.actor, "name", ""),
                "result": note[:60],
                "other": merged.code if merged is not None else "",
            },
        )
    _notify_webhooks(appeal, str(t.action))
    live.change_on_commit(appeal, str(t.action))


# --- one handler per action: the appeal's own fields ----------------------------------


def _on_nothing(step: _Step) -> None:
    """The action changes no field beyond the status (start, note, urge)."""


def _on_claim(step: _Step) -> None:
    appeal = step.appeal
    appeal.assignee = step.actor
    if appeal.level == Level.GROUP:
        rep = Representative.objects.filter(user=step.actor, term_end__isnull=True).first()
        if rep is not None:
            appeal.representative = rep
    if appeal.first_claimed_at is None:
        appeal.first_claimed_at = step.now
    appeal.claim_due_at = None
    step.fields |= {"assignee", "representative", "first_claimed_at", "claim_due_at"}


def _on_resolve(step: _Step) -> None:
    appeal, now = step.appeal, step.now
    policy_row = policy_for(appeal.level, appeal.urgency)
    appeal.result = step.note
    # Resolved before means reopened since (a dissatisfied rating or a handler's
    # reopen): the reopening's fresh deadline does not make it on time.
    again = appeal.resolved_at is not None
    appeal.resolved_at = now
    appeal.resolved_level = appeal.level
    appeal.resolved_on_time = not again and bool(appeal.due_at is None or now <= appeal.due_at)
    appeal.visit_due_at = now + dt.timedelta(days=policy_row.visit_days)
    step.fields |= {"result", "resolved_at", "resolved_level", "resolved_on_time", "visit_due_at"}


def _move(step: _Step, target: Unit) -> None:
    appeal = step.appeal
    step.data = events.moved_data(
        from_level=appeal.level,
        from_unit=appeal.unit,
        to_level=policy.level_of(target),
        to_unit=target,
    )
    appeal.level = policy.level_of(target)
    appeal.reached_level = higher_level(appeal.reached_level, appeal.level)
    appeal.unit = target
    appeal.assignee = None
    appeal.status = Status.PENDING
    step.fields |= {"level", "reached_level", "unit", "assignee"} | _set_deadlines(
        appeal, step.now, claim=True
    )


def _no_level() -> InvalidInput:
    return InvalidInput(_("There is no level to send it to."), code="no_level")


def _on_escalate(step: _Step) -> None:
    level = next_level(step.appeal.level)
    target = policy.ancestor_at(step.appeal.unit, level) if level is not None else None
    if target is None:
        raise _no_level()
    _move(step, target)


def _on_return(step: _Step) -> None:
    level = previous_level(step.appeal.level)
    if level is None:
        raise _no_level()
    target = _return_target(step.appeal, step.params.unit, level)
    if target is None:
        raise _no_level()
    _move(step, target)


def _on_refer(step: _Step) -> None:
    department = step.params.department
    if department is None or not department.active:
        raise InvalidInput(_("Choose a department."), code="department_required")
    step.appeal.department = department
    step.fields.add("department")
    step.data = events.department_data(name=department.name)


def _on_answer(step: _Step) -> None:
    appeal = step.appeal
    step.data = events.department_data(name=appeal.department.name if appeal.department_id else "")


def _on_reassign(step: _Step) -> None:
    """A superior names the handler: one of those who handle appeals at its level and
    unit (`policy.level_handlers`). A pending appeal becomes claimed by them (the level
    has answered: the first claim time is set if it was not, as a claim would); a
    claimed or in-progress one changes hands and keeps its status."""
    appeal, chosen = step.appeal, step.params.assignee
    if chosen is None:
        raise InvalidInput(_("Choose the handler."), code="assignee_required")
    if chosen.pk not in {u.pk for u in policy.level_handlers(appeal)}:
        raise InvalidInput(
            _("%(name)s does not handle appeals at this level here: choose one of the list.")
            % {"name": chosen.name},
            code="assignee_not_handler",
        )
    if chosen.pk == appeal.assignee_id and step.before != Status.PENDING:
        raise InvalidInput(
            _("%(name)s already handles this appeal.") % {"name": chosen.name},
            code="assignee_same",
        )
    step.data = events.assigned_data(
        assignee=chosen,
        previous_id=appeal.assignee_id if step.before != Status.PENDING else None,
    )
    if step.before == Status.PENDING:
        appeal.status = Status.CLAIMED
    appeal.assignee = chosen
    if appeal.level == Level.GROUP:
        rep = Representative.objects.filter(user=chosen, term_end__isnull=True).first()
        if rep is not None:
            appeal.representative = rep
    if appeal.first_claimed_at is None:
        appeal.first_claimed_at = step.now
    appeal.claim_due_at = None
    step.fields |= {"assignee", "representative", "first_claimed_at", "claim_due_at"}


def _on_supervise(step: _Step) -> None:
    step.appeal.supervised = True
    step.fields.add("supervised")


def _on_suspend(step: _Step) -> None:
    step.appeal.suspended_at = step.now
    step.appeal.suspended_status = step.before
    step.fields |= {"suspended_at", "suspended_status"}


def _on_resume(step: _Step) -> None:
    appeal = step.appeal
    paused = step.now - (appeal.suspended_at or step.now)
    appeal.status = appeal.suspended_status or Status.IN_PROGRESS
    for name in ("due_at", "remind_at", "claim_due_at"):
        value = getattr(appeal, name)
        if value is not None:
            setattr(appeal, name, value + paused)
    appeal.suspended_at = None
    appeal.suspended_status = ""
    step.data = events.resumed_data(paused=paused)
    step.fields |= {"suspended_at", "suspended_status", "due_at", "remind_at", "claim_due_at"}


def _on_merge(step: _Step) -> None:
    appeal, into = step.appeal, step.params.merge_into
    if into is None or into.pk == appeal.pk:
        raise InvalidInput(_("Choose the appeal to merge into."), code="merge_target")
    if into.status not in OPEN_STATUSES:
        raise InvalidInput(
            _("The appeal to merge into is no longer open."), code="merge_target_closed"
        )
    appeal.merged_into = into
    appeal.closed_at = step.now
    step.fields |= {"merged_into", "closed_at"}
    step.data = events.merged_data(into_code=into.code)


def _on_close(step: _Step) -> None:
    """Withdrawn by the resident, or closed without a rating."""
    step.appeal.closed_at = step.now
    step.fields.add("closed_at")
    if step.action == Action.EXPIRE_VISIT:
        step.data = events.visit_expired_data()


def _on_rate(step: _Step) -> None:
    appeal = step.appeal
    try:
        rating = int(step.params.rating)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise InvalidInput(_("Give a rating from 1 to 5."), code="rating")
    appeal.rating = rating
    appeal.rating_comment = step.note[:500]
    step.fields |= {"rating", "rating_comment"}
    if rating >= SATISFIED_FROM:
        appeal.status = Status.CLOSED
        appeal.closed_at = step.now
        step.fields.add("closed_at")
    else:
        # Dissatisfied: back to the same level with a new deadline.
        appeal.status = Status.PENDING
        appeal.assignee = None
        appeal.visit_due_at = None
        step.fields |= {"assignee", "visit_due_at"} | _set_deadlines(appeal, step.now, claim=True)
        step.reopened = True
    step.data = events.rated_data(
        rating=rating, by_phone=Cap.RESIDENT not in step.caps, reopened=step.reopened
    )


def _on_reopen(step: _Step) -> None:
    appeal = step.appeal
    # The day it had been closed counts one closed appeal fewer.
    tally.mark(appeal.closed_at)
    appeal.assignee = None
    appeal.closed_at = None
    appeal.visit_due_at = None
    step.fields |= {"assignee", "closed_at", "visit_due_at"} | _set_deadlines(
        appeal, step.now, claim=True
    )


def _on_party_add(step: _Step) -> None:
    party = step.params.party or {}
    name = _text(party.get("name"), _("Name"), required=True, max_length=50)
    phone = party.get("phone") or ""
    if phone:
        phone = normalize_mobile(phone)
    side = _text(party.get("role"), _("Side"), required=False, max_length=50)
    DisputeParty.objects.create(appeal=step.appeal, name=name, phone=phone, role=side)
    step.data = events.party_data(name=name, side=side)


def _on_mediate(step: _Step) -> None:
    MediationSession.objects.create(
        appeal=step.appeal,
        held_at=step.params.held_at or step.now,
        summary=step.note,
        mediators=step.actor.name if step.actor else "",
        created_by=step.actor,
    )


def _on_agree(step: _Step) -> None:
    step.appeal.agreement = step.note
    step.fields.add("agreement")


HANDLERS: dict[Action, Callable[[_Step], None]] = {
    Action.CLAIM: _on_claim,
    Action.START: _on_nothing,
    Action.NOTE: _on_nothing,
    Action.RESOLVE: _on_resolve,
    Action.ESCALATE: _on_escalate,
    Action.RETURN: _on_return,
    Action.REFER: _on_refer,
    Action.ANSWER: _on_answer,
    Action.SUPERVISE: _on_supervise,
    Action.URGE: _on_nothing,
    Action.REASSIGN: _on_reassign,
    Action.SUSPEND: _on_suspend,
    Action.RESUME: _on_resume,
    Action.MERGE: _on_merge,
    Action.WITHDRAW: _on_close,
    Action.RATE: _on_rate,
    Action.EXPIRE_VISIT: _on_close,
    Action.REOPEN: _on_reopen,
    Action.PARTY_ADD: _on_party_add,
    Action.MEDIATE: _on_mediate,
    Action.AGREE: _on_agree,
}


def _return_target(appeal: Appeal, unit: Unit | None, level: Level) -> Unit | None:
    if unit is not None:
        if not unit.path.startswith(appeal.unit.path) or unit.pk == appeal.unit_id:
            raise InvalidInput(_("Choose a unit below this one."), code="return_unit")
        if policy.level_of(unit) != level:
            raise InvalidInput(_("Choose a unit of the level below."), code="return_unit")
        return unit
    came_from = events.escalated_from(appeal)
    if came_from is not None:
        return came_from
    if appeal.origin_unit_id != appeal.unit_id and appeal.origin_unit.path.startswith(
        appeal.unit.path
    ):
        origin = appeal.origin_unit
        if policy.level_of(origin) == level:
            return origin
        return policy.ancestor_at(origin, level) if level != Level.GROUP else None
    raise InvalidInput(_("Choose the unit to return it to."), code="return_unit")


# --- the tick ------------------------------------------------------------------------


def _due_ids(qs, limit: int) -> list[int]:
    return list(qs.order_by().values_list("pk", flat=True)[:limit])


def _lock_if(pk: int, condition: Q) -> Appeal | None:
    """Lock one appeal if it still meets `condition`; skip it if another tick holds it."""
    return Appeal.objects.select_for_update(skip_locked=True).filter(condition, pk=pk).first()


def appeals_tick(*, now: dt.datetime | None = None, limit: int = 1000) -> dict[str, int]:
    """Find what is due and act on it once: reminders, overdue marks (with
    auto-escalation where the policy says so) and expired return visits.

    Safe to run twice at once and after a restart: every condition is read
    again under a row lock (`skip_locked`), and the flag that records the act
    is written in the same transaction.
    """
    now = now or timezone.now()
    done = {"reminded": 0, "claim_overdue": 0, "overdue": 0, "escalated": 0, "visits_closed": 0}

    remind_q = Q(status__in=CLOCK_STATUSES, reminded_at__isnull=True, remind_at__lte=now)
    for pk in _due_ids(Appeal.objects.filter(remind_q), limit):
        with transaction.atomic():
            appeal = _lock_if(pk, remind_q)
            if appeal is None or (appeal.due_at and appeal.due_at <= now):
                if appeal is not None:
                    appeal.reminded_at = now
                    appeal.save(update_fields=["reminded_at"])
                continue
            appeal.reminded_at = now
            appeal.save(update_fields=["reminded_at"])
            events.record(
                appeal,
                Event.REMIND,
                internal=True,
                at=now,
                data=events.reminder_data(due_at=appeal.due_at),
            )
            _notify_users(
                policy.handlers_of(appeal),
                appeal=appeal,
                kind="appeal.remind",
                title=_("Appeal %(code)s is due soon") % {"code": appeal.code},
                body=appeal.title,
            )
            done["reminded"] += 1

    claim_q = Q(status=Status.PENDING, claim_overdue_at__isnull=True, claim_due_at__lte=now)
    for pk in _due_ids(Appeal.objects.filter(claim_q), limit):
        with transaction.atomic():
            appeal = _lock_if(pk, claim_q)
            if appeal is None:
                continue
            appeal.claim_overdue_at = now
            appeal.save(update_fields=["claim_overdue_at"])
            events.record(appeal, Event.CLAIM_OVERDUE, at=now)
            _overdue_notice(appeal, Event.CLAIM_OVERDUE)
            done["claim_overdue"] += 1
            if _auto_escalate(appeal, now):
                done["escalated"] += 1

    overdue_q = Q(status__in=CLOCK_STATUSES, overdue_at__isnull=True, due_at__lte=now)
    for pk in _due_ids(Appeal.objects.filter(overdue_q), limit):
        with transaction.atomic():
            appeal = _lock_if(pk, overdue_q)
            if appeal is None:
                continue
            appeal.overdue_at = now
            appeal.save(update_fields=["overdue_at"])
            events.record(appeal, Event.OVERDUE, at=now)
            _overdue_notice(appeal, Event.OVERDUE)
            done["overdue"] += 1
            if appeal.status != Status.REFERRED and _auto_escalate(appeal, now):
                done["escalated"] += 1

    visit_q = Q(status=Status.RESOLVED, visit_due_at__lte=now)
    for pk in _due_ids(Appeal.objects.filter(visit_q), limit):
        with transaction.atomic():
            appeal = _lock_if(pk, visit_q)
            if appeal is None:
                continue
            _transition(appeal, Action.EXPIRE_VISIT, None, {Cap.SYSTEM}, now=now)
            done["visits_closed"] += 1
    return done


def _overdue_notice(appeal: Appeal, event: str) -> None:
    live.change_on_commit(appeal, str(event))
    title = (
        _("Appeal %(code)s was not claimed in time")
        if event == Event.CLAIM_OVERDUE
        else _("Appeal %(code)s is overdue")
    ) % {"code": appeal.code}
    _notify_users(
        policy.handlers_of(appeal) + policy.superiors_of(appeal),
        appeal=appeal,
        kind=f"appeal.{event}",
        title=title,
        body=appeal.title,
        sms=True,
    )


def _auto_escalate(appeal: Appeal, now: dt.datetime) -> bool:
    if appeal.status not in ACTIVE_STATUSES:
        return False
    if next_level(appeal.level) is None:
        return False
    if not policy_for(appeal.level, appeal.urgency).auto_escalate:
        return False
    if policy.ancestor_at(appeal.unit, next_level(appeal.level)) is None:
        return False
    _transition(
        appeal,
        Action.ESCALATE,
        None,
        {Cap.SYSTEM},
        note=_("Escalated automatically: the deadline passed."),
        now=now,
    )
    return True
