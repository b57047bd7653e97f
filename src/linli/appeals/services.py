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
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.models import AuditAction, Role, RoleAssignment, User
from linli.accounts.scope import scope_for
from linli.accounts.services import audit_record
from linli.core.calendar import deadline_after
from linli.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from linli.core.photos import PreparedPhoto, photos_prepare
from linli.core.validators import clean_coordinate, clean_text, normalize_mobile
from linli.org.models import Department, Household, Member, Representative, Unit, UnitKind
from linli.org.selectors import representative_on
from linli.org.services import same_village

from .models import (
    CLOCK_STATUSES,
    LEVEL_ORDER,
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
    allowed,
    next_level,
    previous_level,
)

log = logging.getLogger("linli.appeals")

# Which roles handle an appeal at each level (see workflow.py).
LEVEL_ROLES: dict[str, set[Role]] = {
    Level.GROUP: {Role.GROUP_LEADER, Role.AREA_LEADER},
    Level.VILLAGE: {Role.VILLAGE},
    Level.TOWN: {Role.TOWN},
    Level.CITY: {Role.CITY, Role.ADMIN},
}
KIND_LEVEL = {
    UnitKind.GROUP: Level.GROUP,
    UnitKind.AREA: Level.GROUP,
    UnitKind.VILLAGE: Level.VILLAGE,
    UnitKind.COMMUNITY: Level.VILLAGE,
    UnitKind.TOWN: Level.TOWN,
    UnitKind.SUBDISTRICT: Level.TOWN,
    UnitKind.CITY: Level.CITY,
}
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


def level_of(unit: Unit) -> Level:
    return KIND_LEVEL[UnitKind(unit.kind)]


def policy_for(level: str, urgency: str) -> DeadlinePolicy:
    policy = DeadlinePolicy.objects.filter(level=level, urgency=urgency).first()
    return policy or FALLBACK_POLICY


# --- who may do what -------------------------------------------------------------


def departments_of(user) -> list[str]:
    """Names of the departments the user handles appeals for (cached per request)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_linli_departments", None)
    if cached is None:
        cached = list(
            RoleAssignment.objects.filter(
                user=user, role=Role.DEPARTMENT, department__isnull=False
            ).values_list("department__name", flat=True)
        )
        user._linli_departments = cached
    return cached


def _representative_units(user) -> set[int]:
    scope = scope_for(user)
    if not scope.representative_ids:
        return set()
    cached = getattr(user, "_linli_rep_units", None)
    if cached is None:
        cached = set(
            Representative.objects.filter(pk__in=scope.representative_ids).values_list(
                "unit_id", flat=True
            )
        )
        user._linli_rep_units = cached
    return cached


def capacities_for(user, appeal: Appeal, *, resident_phone: str | None = None) -> set[Cap]:
    """In which capacities may this user (or resident) act on the appeal now?"""
    caps: set[Cap] = set()
    if resident_phone and appeal.reporter_phone and resident_phone == appeal.reporter_phone:
        caps.add(Cap.RESIDENT)
    if user is None or not getattr(user, "is_authenticated", False):
        return caps
    scope = scope_for(user)
    path = appeal.unit.path
    level = appeal.level
    if scope.can(LEVEL_ROLES[level], path):
        caps.add(Cap.HANDLER)
    if level == Level.GROUP:
        if appeal.representative_id and appeal.representative_id in scope.representative_ids:
            caps.add(Cap.HANDLER)
        elif appeal.representative_id is None and appeal.unit_id in _representative_units(user):
            caps.add(Cap.HANDLER)
    higher = LEVEL_ORDER[LEVEL_ORDER.index(Level(level)) + 1 :]
    higher_roles = set().union(*(LEVEL_ROLES[lv] for lv in higher)) if higher else set()
    if higher_roles and scope.can(higher_roles, path):
        caps.add(Cap.SUPERIOR)
    if (
        appeal.status == Status.REFERRED
        and appeal.department_id
        and appeal.department.name in departments_of(user)
    ):
        caps.add(Cap.DEPARTMENT)
    return caps


def handlers_of(appeal: Appeal) -> list[User]:
    """The users who handle the appeal at its current level (for notifications)."""
    if appeal.status == Status.REFERRED and appeal.department_id:
        ids = RoleAssignment.objects.filter(
            role=Role.DEPARTMENT, department_id=appeal.department_id
        ).values_list("user_id", flat=True)
    elif appeal.assignee_id and appeal.status != Status.PENDING:
        return [appeal.assignee]
    else:
        # Small indexed look-ups by unit, then one fetch of the users: an OR of
        # joins across role assignments and representatives plans badly.
        ids = set(
            RoleAssignment.objects.filter(
                role__in=LEVEL_ROLES[appeal.level], unit_id=appeal.unit_id
            ).values_list("user_id", flat=True)
        )
        if appeal.level == Level.GROUP:
            reps = Representative.objects.filter(user__isnull=False)
            if appeal.representative_id:
                reps = reps.filter(pk=appeal.representative_id)
            else:
                reps = reps.filter(unit_id=appeal.unit_id, term_end__isnull=True)
            ids.update(reps.values_list("user_id", flat=True))
    return list(User.objects.filter(pk__in=list(ids), is_active=True).order_by("pk"))


def superiors_of(appeal: Appeal) -> list[User]:
    """The users one level above the appeal's current level (for overdue notices)."""
    target = next_level(appeal.level)
    if target is None:
        return []
    unit = _ancestor_at(appeal.unit, target)
    if unit is None:
        return []
    return list(
        User.objects.filter(
            is_active=True,
            role_assignments__role__in=LEVEL_ROLES[level_of(unit)],
            role_assignments__unit=unit,
        ).distinct()
    )


def _ancestor_at(unit: Unit, level: Level) -> Unit | None:
    """The nearest ancestor handling `level`, or the next level up if the tree skips it."""
    ancestors = list(Unit.objects.filter(path__in=unit.ancestor_paths()).order_by("-depth"))
    wanted = LEVEL_ORDER[LEVEL_ORDER.index(level) :]
    for lv in wanted:
        for a in ancestors:
            if a.pk != unit.pk and level_of(a) == lv:
                return a
    return None


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
    if not appeal.reporter_phone:
        return
    from linli.notify.services import notify_phone

    notify_phone(phone=appeal.reporter_phone, kind=kind, body=body, data={"appeal": appeal.code})


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


# --- one-time codes for residents ------------------------------------------------


def _code_hash(phone: str, code: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()


@transaction.atomic
def phone_code_request(*, phone: str) -> PhoneCode:
    """Send a 6-digit code to a mobile number through the outbox."""
    phone = normalize_mobile(phone)
    now = timezone.now()
    recent = PhoneCode.objects.filter(phone=phone, created_at__gte=now - dt.timedelta(hours=24))
    if recent.filter(created_at__gte=now - dt.timedelta(seconds=60)).exists():
        raise Conflict(
            _("A code was sent less than a minute ago; please wait before asking again."),
            code="code_too_soon",
        )
    if recent.count() >= 10:
        raise Conflict(_("Too many codes for this number today."), code="code_too_many")
    code = f"{secrets.randbelow(10**6):06d}"
    row = PhoneCode.objects.create(
        phone=phone,
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
    """Check a code; return the normalised phone or raise InvalidInput."""
    phone = normalize_mobile(phone)
    code = (code or "").strip()
    with transaction.atomic():
        row = (
            PhoneCode.objects.select_for_update()
            .filter(phone=phone, used_at__isnull=True, expires_at__gt=timezone.now())
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


def _has_group_handlers(unit: Unit) -> bool:
    return (
        Representative.objects.filter(unit=unit, term_end__isnull=True, user__isnull=False).exists()
        or RoleAssignment.objects.filter(unit=unit, role__in=LEVEL_ROLES[Level.GROUP]).exists()
    )


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
    level = level_of(unit)
    if level == Level.GROUP and not _has_group_handlers(unit):
        village = _ancestor_at(unit, Level.VILLAGE)
        if village is not None:
            return Placement(level_of(village), village, None)
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


def _event(
    appeal: Appeal,
    action: str,
    *,
    actor=None,
    by: str = "",
    from_status: str = "",
    note: str = "",
    internal: bool = False,
    data: dict | None = None,
    at: dt.datetime | None = None,
    level: str | None = None,
    unit: Unit | None = None,
) -> AppealEvent:
    data = dict(data or {})
    if actor is None:
        data.setdefault("by", by or "system")
    return AppealEvent.objects.create(
        appeal=appeal,
        action=str(action),
        actor=actor,
        actor_label=getattr(actor, "name", "") if actor else "",
        from_status=from_status,
        to_status=appeal.status,
        level=level or appeal.level,
        unit=unit or appeal.unit,
        note=note,
        internal=internal,
        data=data,
        at=at or timezone.now(),
    )


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
    actor,
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
) -> Appeal:
    """File an appeal and route it.

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
        member = (
            Member.objects.filter(phone=reporter_phone).select_related("household__unit").first()
        )
        if member is not None and (unit is None or same_village(member.household.unit, unit)):
            household = member.household
            unit = None
    prepared = photos_prepare(photos)

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
        event = _event(
            appeal,
            Event.FILE,
            actor=actor,
            by="resident" if actor is None else "",
            data={"channel": channel, "representative": appeal.representative_id},
        )
        _save_photos(appeal, event, prepared)
        _notify_users(
            handlers_of(appeal),
            appeal=appeal,
            kind="appeal.new",
            title=_("New appeal %(code)s: %(title)s") % {"code": appeal.code, "title": title},
            body=appeal.address,
            sms=appeal.urgency == Urgency.URGENT,
        )
        _notify_resident(
            appeal,
            "appeal.filed",
            _(
                "Your appeal has been received. Case code %(code)s; follow it with this code and your mobile number."
            )
            % {"code": appeal.code},
        )
        _notify_webhooks(appeal, "filed")
        if actor is not None:
            audit_record(actor=actor, action=AuditAction.APPEAL_FILE, target=appeal)
    return appeal


# --- the state machine -------------------------------------------------------------


def _stale(appeal: Appeal) -> Conflict:
    return Conflict(
        _("This appeal was changed by someone else; reload the page and try again."),
        code="stale",
    )


def _refuse(appeal: Appeal, action: str, caps: set[Cap]) -> Exception:
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


def appeal_act(
    *,
    actor,
    appeal: Appeal,
    action: str,
    note: str = "",
    version: int | None = None,
    resident_phone: str | None = None,
    system: bool = False,
    department: Department | None = None,
    merge_into: Appeal | None = None,
    unit: Unit | None = None,
    rating: int | None = None,
    party: dict | None = None,
    held_at: dt.datetime | None = None,
    internal: bool = False,
    photos=(),
) -> Appeal:
    """Apply one action of the state machine; raise (and change nothing) if refused.

    The appeal row is locked first, so of two people acting at once exactly one
    wins; the other gets a Conflict (HTTP 409), e.g. "already claimed by X".
    `version`, when given (pages and the API send the version they showed),
    refuses a change made on a stale view.
    """
    prepared = photos_prepare(photos, already=appeal.photos.count()) if photos else []
    with transaction.atomic():
        try:
            locked = (
                # No select_related: under a lock PostgreSQL re-reads the locked row
                # but not the joined ones, which could be stale after a concurrent change.
                Appeal.objects.select_for_update().get(pk=appeal.pk)
            )
        except Appeal.DoesNotExist:
            raise NotFound(_("No such appeal.")) from None
        if action == Action.CLAIM and locked.status != Status.PENDING and locked.assignee_id:
            raise Conflict(
                _("Already claimed by %(name)s.") % {"name": locked.assignee.name},
                code="already_claimed",
            )
        if version is not None and int(version) != locked.version:
            raise _stale(locked)
        caps = (
            {Cap.SYSTEM} if system else capacities_for(actor, locked, resident_phone=resident_phone)
        )
        if not allowed(action, locked.status, caps, locked.kind):
            raise _refuse(locked, action, caps)
        t = TABLE[Action(action)]
        note = _text(note, _("Note"), required=t.note_required)
        result = _apply(
            locked,
            t.action,
            actor,
            caps,
            note=note,
            department=department,
            merge_into=merge_into,
            unit=unit,
            rating=rating,
            party=party,
            held_at=held_at,
            internal=internal,
            prepared=prepared,
        )
    return result


def _apply(
    appeal: Appeal,
    action: Action,
    actor,
    caps,
    *,
    note,
    department,
    merge_into,
    unit,
    rating,
    party,
    held_at,
    internal,
    prepared,
    now=None,
) -> Appeal:
    now = now or timezone.now()
    before = appeal.status
    # The event belongs to the level where the actor acted, before any move.
    where = (appeal.level, appeal.unit)
    t = TABLE[action]
    by = "system" if Cap.SYSTEM in caps else ("resident" if actor is None else "")
    data: dict = {}
    fields = {"status", "version", "updated_at"}
    notify_handlers = False
    resident_msg = ""

    if t.target not in (SAME, PREVIOUS, BY_RATING):
        appeal.status = t.target

    if action == Action.CLAIM:
        appeal.assignee = actor
        if appeal.level == Level.GROUP:
            rep = Representative.objects.filter(user=actor, term_end__isnull=True).first()
            if rep is not None:
                appeal.representative = rep
        if appeal.first_claimed_at is None:
            appeal.first_claimed_at = now
        appeal.claim_due_at = None
        fields |= {"assignee", "representative", "first_claimed_at", "claim_due_at"}
        resident_msg = _("Your appeal %(code)s has been claimed by %(name)s.") % {
            "code": appeal.code,
            "name": actor.name,
        }
    elif action == Action.RESOLVE:
        policy = policy_for(appeal.level, appeal.urgency)
        appeal.result = note
        appeal.resolved_at = now
        appeal.resolved_level = appeal.level
        appeal.resolved_on_time = bool(appeal.due_at is None or now <= appeal.due_at)
        appeal.visit_due_at = now + dt.timedelta(days=policy.visit_days)
        fields |= {"result", "resolved_at", "resolved_level", "resolved_on_time", "visit_due_at"}
        resident_msg = _(
            "Your appeal %(code)s has been resolved: %(result)s Please rate the result on the case page."
        ) % {"code": appeal.code, "result": note[:60]}
    elif action in (Action.ESCALATE, Action.RETURN):
        target_level = (
            next_level(appeal.level) if action == Action.ESCALATE else previous_level(appeal.level)
        )
        if target_level is None:
            raise InvalidInput(_("There is no level to send it to."), code="no_level")
        if action == Action.ESCALATE:
            target = _ancestor_at(appeal.unit, target_level)
        else:
            target = _return_target(appeal, unit, target_level)
        if target is None:
            raise InvalidInput(_("There is no level to send it to."), code="no_level")
        data = {
            "from_level": appeal.level,
            "to_level": level_of(target),
            "from_unit": appeal.unit_id,
            "to_unit": target.pk,
            "to_unit_name": target.name,
        }
        appeal.level = level_of(target)
        appeal.unit = target
        appeal.assignee = None
        appeal.status = Status.PENDING
        fields |= {"level", "unit", "assignee"} | _set_deadlines(appeal, now, claim=True)
        notify_handlers = True
    elif action == Action.REFER:
        if department is None or not department.active:
            raise InvalidInput(_("Choose a department."), code="department_required")
        appeal.department = department
        fields.add("department")
        data = {"department": department.name}
        notify_handlers = True
    elif action == Action.ANSWER:
        data = {"department": appeal.department.name if appeal.department_id else ""}
        _notify_users(
            [appeal.assignee] if appeal.assignee_id else [],
            appeal=appeal,
            kind="appeal.answered",
            title=_("The department answered appeal %(code)s") % {"code": appeal.code},
            body=note[:200],
        )
    elif action in (Action.SUPERVISE, Action.URGE):
        if action == Action.SUPERVISE:
            appeal.supervised = True
            fields.add("supervised")
        notify_handlers = True
    elif action == Action.SUSPEND:
        appeal.suspended_at = now
        appeal.suspended_status = before
        fields |= {"suspended_at", "suspended_status"}
    elif action == Action.RESUME:
        paused = now - (appeal.suspended_at or now)
        appeal.status = appeal.suspended_status or Status.IN_PROGRESS
        for name in ("due_at", "remind_at", "claim_due_at"):
            value = getattr(appeal, name)
            if value is not None:
                setattr(appeal, name, value + paused)
        appeal.suspended_at = None
        appeal.suspended_status = ""
        data = {"paused_seconds": int(paused.total_seconds())}
        fields |= {"suspended_at", "suspended_status", "due_at", "remind_at", "claim_due_at"}
    elif action == Action.MERGE:
        if merge_into is None or merge_into.pk == appeal.pk:
            raise InvalidInput(_("Choose the appeal to merge into."), code="merge_target")
        if merge_into.status not in OPEN_STATUSES:
            raise InvalidInput(
                _("The appeal to merge into is no longer open."), code="merge_target_closed"
            )
        appeal.merged_into = merge_into
        appeal.closed_at = now
        fields |= {"merged_into", "closed_at"}
        data = {"merged_into": merge_into.code}
        resident_msg = _("Your appeal %(code)s is being handled together with %(other)s.") % {
            "code": appeal.code,
            "other": merge_into.code,
        }
    elif action == Action.WITHDRAW:
        appeal.closed_at = now
        fields.add("closed_at")
    elif action == Action.RATE:
        try:
            rating = int(rating)
        except (TypeError, ValueError):
            rating = 0
        if not 1 <= rating <= 5:
            raise InvalidInput(_("Give a rating from 1 to 5."), code="rating")
        appeal.rating = rating
        appeal.rating_comment = note[:500]
        data = {"rating": rating, "by_phone": Cap.RESIDENT not in caps}
        fields |= {"rating", "rating_comment"}
        if rating >= SATISFIED_FROM:
            appeal.status = Status.CLOSED
            appeal.closed_at = now
            fields.add("closed_at")
        else:
            # Dissatisfied: back to the same level with a new deadline.
            appeal.status = Status.PENDING
            appeal.assignee = None
            appeal.visit_due_at = None
            fields |= {"assignee", "visit_due_at"} | _set_deadlines(appeal, now, claim=True)
            data["reopened"] = True
            notify_handlers = True
    elif action == Action.EXPIRE_VISIT:
        appeal.closed_at = now
        fields.add("closed_at")
        data = {"no_rating": True}
    elif action == Action.REOPEN:
        appeal.assignee = None
        appeal.closed_at = None
        appeal.visit_due_at = None
        fields |= {"assignee", "closed_at", "visit_due_at"} | _set_deadlines(
            appeal, now, claim=True
        )
        notify_handlers = True
    elif action == Action.PARTY_ADD:
        party = party or {}
        name = _text(party.get("name"), _("Name"), required=True, max_length=50)
        phone = party.get("phone") or ""
        if phone:
            phone = normalize_mobile(phone)
        side = _text(party.get("role"), _("Side"), required=False, max_length=50)
        DisputeParty.objects.create(appeal=appeal, name=name, phone=phone, role=side)
        data = {"party": name, "side": side}
    elif action == Action.MEDIATE:
        MediationSession.objects.create(
            appeal=appeal,
            held_at=held_at or now,
            summary=note,
            mediators=actor.name if actor else "",
            created_by=actor,
        )
    elif action == Action.AGREE:
        appeal.agreement = note
        fields.add("agreement")

    appeal.version += 1
    appeal.updated_at = now
    appeal.save(update_fields=sorted(fields))
    event = _event(
        appeal,
        action,
        actor=actor,
        by=by,
        from_status=before,
        note=note,
        internal=internal and action == Action.NOTE,
        data=data,
        at=now,
        level=where[0],
        unit=where[1],
    )
    if prepared:
        _save_photos(appeal, event, prepared)
    if action in (Action.SUSPEND, Action.RESUME, Action.REOPEN, Action.MERGE):
        audit_record(
            actor=actor,
            action=AuditAction(f"appeal.{action}"),
            target=appeal,
            detail={"note": note},
        )
    if notify_handlers:
        _notify_users(
            handlers_of(appeal),
            appeal=appeal,
            kind=f"appeal.{action}",
            title=_("%(action)s: appeal %(code)s")
            % {
                "action": ACTION_LABELS[action],
                "code": appeal.code,
            },
            body=note[:200],
        )
    if resident_msg:
        _notify_resident(appeal, f"appeal.{action}", resident_msg)
    _notify_webhooks(appeal, str(action))
    return appeal


def _return_target(appeal: Appeal, unit: Unit | None, level: Level) -> Unit | None:
    if unit is not None:
        if not unit.path.startswith(appeal.unit.path) or unit.pk == appeal.unit_id:
            raise InvalidInput(_("Choose a unit below this one."), code="return_unit")
        if level_of(unit) != level:
            raise InvalidInput(_("Choose a unit of the level below."), code="return_unit")
        return unit
    last = (
        AppealEvent.objects.filter(
            appeal=appeal, action=Action.ESCALATE, data__to_unit=appeal.unit_id
        )
        .order_by("-at", "-id")
        .first()
    )
    if last is not None:
        return Unit.objects.filter(pk=last.data.get("from_unit")).first()
    if appeal.origin_unit_id != appeal.unit_id and appeal.origin_unit.path.startswith(
        appeal.unit.path
    ):
        origin = appeal.origin_unit
        if level_of(origin) == level:
            return origin
        return _ancestor_at(origin, level) if level != Level.GROUP else None
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
            _event(
                appeal,
                Event.REMIND,
                internal=True,
                at=now,
                data={"due_at": appeal.due_at.isoformat()},
            )
            _notify_users(
                handlers_of(appeal),
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
            _event(appeal, Event.CLAIM_OVERDUE, at=now)
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
            _event(appeal, Event.OVERDUE, at=now)
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
            _apply(
                appeal,
                Action.EXPIRE_VISIT,
                None,
                {Cap.SYSTEM},
                note="",
                department=None,
                merge_into=None,
                unit=None,
                rating=None,
                party=None,
                held_at=None,
                internal=False,
                prepared=[],
                now=now,
            )
            done["visits_closed"] += 1
    return done


def _overdue_notice(appeal: Appeal, event: str) -> None:
    title = (
        _("Appeal %(code)s was not claimed in time")
        if event == Event.CLAIM_OVERDUE
        else _("Appeal %(code)s is overdue")
    ) % {"code": appeal.code}
    _notify_users(
        handlers_of(appeal) + superiors_of(appeal),
        appeal=appeal,
        kind=f"appeal.{event}",
        title=title,
        body=appeal.title,
        sms=True,
    )


def _auto_escalate(appeal: Appeal, now: dt.datetime) -> bool:
    if appeal.status not in (Status.PENDING, Status.CLAIMED, Status.IN_PROGRESS):
        return False
    if next_level(appeal.level) is None:
        return False
    if not policy_for(appeal.level, appeal.urgency).auto_escalate:
        return False
    if _ancestor_at(appeal.unit, next_level(appeal.level)) is None:
        return False
    _apply(
        appeal,
        Action.ESCALATE,
        None,
        {Cap.SYSTEM},
        note=_("Escalated automatically: the deadline passed."),
        department=None,
        merge_into=None,
        unit=None,
        rating=None,
        party=None,
        held_at=None,
        internal=False,
        prepared=[],
        now=now,
    )
    return True
