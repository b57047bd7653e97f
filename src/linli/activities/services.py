"""Every write on service days and activities.

Each takes the acting user (a resident signing up by mobile has none: the one-time
code is their credential), checks `policy`, validates, runs in one transaction and
writes an audit row. A deliberation meeting that is held creates its
`duties.Deliberation` through `duties.services.deliberation_log`, so the compliance
engine counts it for its organisers; the appeals it takes up are resolved (or noted)
through `appeals.services.appeal_act`, as the acting user and only where they may.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.models import AuditAction, User
from linli.accounts.services import audit_record
from linli.appeals import policy as appeals_policy
from linli.appeals import services as appeals_services
from linli.appeals.models import OPEN_STATUSES, Appeal
from linli.appeals.workflow import Action, allowed
from linli.core.crypto import blind_index
from linli.core.errors import Conflict, DomainError, Forbidden, InvalidInput
from linli.core.inputs import EVENT_YEARS, in_window, parse_id
from linli.core.photos import photos_check_count, photos_prepare
from linli.core.timeutil import today
from linli.core.validators import clean_text
from linli.duties import services as duties_services
from linli.duties.policy import can_organise
from linli.org.models import GuardTeam, Representative, Unit

from . import policy, selectors
from .models import (
    LAST,
    Activity,
    ActivityAppeal,
    ActivityKind,
    ActivityPhoto,
    ActivityStatus,
    AppealOutcome,
    RuleKind,
    ServiceDayRule,
    Signup,
)

MAX_CAPACITY = 100_000
MAX_WALK_INS = 100_000


def _refuse() -> Forbidden:
    return Forbidden(_("You may not manage this activity."), code="not_your_activity")


# --- the service day -------------------------------------------------------------------------


def _small(value: Any, label: str, lo: int, hi: int, *, last: bool = False) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = None
    if number is None or not (lo <= number <= hi or (last and number == LAST)):
        raise InvalidInput(_("Choose %(label)s.") % {"label": label}, code="rule")
    return number


def _day(value: Any, label: str) -> dt.date:
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            value = None
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise InvalidInput(_("%(label)s is not a valid date.") % {"label": label}, code="date")
    if not in_window(value, EVENT_YEARS):
        raise InvalidInput(
            _("%(label)s must be between the years %(lo)d and %(hi)d.")
            % {"label": label, "lo": EVENT_YEARS[0], "hi": EVENT_YEARS[1]},
            code="date_window",
        )
    return value


@transaction.atomic
def service_day_set(
    *,
    actor: User,
    unit: Unit,
    kind: str,
    month_day: Any = None,
    nth: Any = None,
    weekday: Any = None,
    effective_from: Any = None,
) -> ServiceDayRule:
    """Set the unit's service day from `effective_from` (today by default). The rule in
    force before stays in the history. `follow` (a village or community only) goes back
    to the town's day."""
    if not policy.can_set_rule(actor, unit):
        raise Forbidden(
            _("Only the staff of this town or village may set its service day."),
            code="not_your_unit",
        )
    if kind not in RuleKind.values:
        raise InvalidInput(_("Choose how the service day recurs."), code="rule")
    rule = ServiceDayRule(
        unit=unit,
        kind=kind,
        effective_from=_day(effective_from or today(), _("Effective from")),
        created_by=actor,
    )
    if kind == RuleKind.MONTH_DAY:
        rule.month_day = _small(month_day, _("the day of the month"), 1, 28, last=True)
    elif kind == RuleKind.WEEKDAY:
        rule.nth = _small(nth, _("which weekday of the month"), 1, 4, last=True)
        rule.weekday = _small(weekday, _("the weekday"), 0, 6)
    elif unit.kind not in (policy.UnitKind.VILLAGE, policy.UnitKind.COMMUNITY):
        raise InvalidInput(
            _("Only a village or community follows its town's service day."), code="rule"
        )
    rule.save()
    audit_record(
        actor=actor,
        action=AuditAction.SERVICE_DAY_SET,
        target=rule,
        detail={
            "unit": unit.pk,
            "kind": kind,
            "month_day": rule.month_day,
            "nth": rule.nth,
            "weekday": rule.weekday,
            "effective_from": rule.effective_from.isoformat(),
        },
    )
    return rule


# --- activities ---------------------------------------------------------------------------


def _moment(value: Any, label: str, *, required: bool) -> dt.datetime | None:
    if value in (None, ""):
        if required:
            raise InvalidInput(_("%(label)s is required.") % {"label": label}, code="required")
        return None
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            value = None
    if not isinstance(value, dt.datetime):
        raise InvalidInput(_("%(label)s is not a valid time.") % {"label": label}, code="time")
    _day(value.date(), label)
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _capacity(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = -1
    if not 1 <= number <= MAX_CAPACITY:
        raise InvalidInput(
            _("The capacity must be a number from 1 to %(n)d.") % {"n": MAX_CAPACITY},
            code="capacity",
        )
    return number


def _check_organisers(unit: Unit, organisers: list[Representative]) -> None:
    for rep in organisers:
        if rep.term_end is not None and rep.term_end <= today():
            raise InvalidInput(
                _("%(rep)s no longer serves.") % {"rep": rep.name}, code="organiser_term"
            )
        if not can_organise(rep, unit):
            raise InvalidInput(
                _("%(rep)s does not serve in %(unit)s.") % {"rep": rep.name, "unit": unit.name},
                code="organiser_unit",
            )


def _check_teams(unit: Unit, teams: list[GuardTeam]) -> None:
    for team in teams:
        path = team.unit.path
        if not (path.startswith(unit.path) or unit.path.startswith(path)):
            raise InvalidInput(
                _("%(team)s is not a team of %(unit)s.") % {"team": team.name, "unit": unit.name},
                code="team_unit",
            )


def _check_appeals(actor: User, appeals: list[Appeal]) -> None:
    for appeal in appeals:
        if not appeals_policy.can_view(actor, appeal):
            raise InvalidInput(_("No such appeal."), code="appeal")
        if appeal.status not in OPEN_STATUSES:
            raise InvalidInput(
                _("The appeal %(code)s is no longer open.") % {"code": appeal.code},
                code="appeal_closed",
            )


def _fields(
    *,
    kind: Any,
    title: Any,
    place: Any,
    starts_at: Any,
    ends_at: Any,
    capacity: Any,
    description: Any,
) -> dict[str, Any]:
    if kind not in ActivityKind.values:
        raise InvalidInput(_("Choose the kind of activity."), code="kind")
    start = _moment(starts_at, _("Starts at"), required=True)
    end = _moment(ends_at, _("Ends at"), required=False)
    if start is not None and end is not None and end < start:
        raise InvalidInput(_("The activity ends before it starts."), code="time")
    return {
        "kind": kind,
        "title": clean_text(title, _("Title"), 200, required=True, multiline=False),
        "place": clean_text(place, _("Place"), 200, required=True, multiline=False),
        "description": clean_text(description, _("Description"), 5000),
        "starts_at": start,
        "ends_at": end,
        "capacity": _capacity(capacity),
    }


@transaction.atomic
def activity_create(
    *,
    actor: User,
    unit: Unit,
    kind: str,
    title: str,
    place: str,
    starts_at: Any,
    ends_at: Any = None,
    capacity: Any = None,
    description: str = "",
    organisers: Iterable[Representative] = (),
    guard_teams: Iterable[GuardTeam] = (),
    appeals: Iterable[Appeal] = (),
    on_service_day: bool | None = None,
) -> Activity:
    """Plan an activity. `on_service_day` defaults to whether its day is a service day
    of the unit."""
    organisers, teams, linked = list(organisers), list(guard_teams), list(appeals)
    if not policy.can_create_in(actor, unit, organisers):
        raise Forbidden(_("You may not plan activities in this unit."), code="not_your_unit")
    data = _fields(
        kind=kind,
        title=title,
        place=place,
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
        description=description,
    )
    _check_organisers(unit, organisers)
    _check_teams(unit, teams)
    _check_appeals(actor, linked)
    if on_service_day is None:
        on_service_day = selectors.is_service_day(
            unit, timezone.localtime(data["starts_at"]).date()
        )
    now = timezone.now()
    activity = Activity.objects.create(
        unit=unit,
        on_service_day=bool(on_service_day),
        created_by=actor,
        created_at=now,
        updated_at=now,
        **data,
    )
    activity.organisers.set(organisers)
    activity.guard_teams.set(teams)
    ActivityAppeal.objects.bulk_create(ActivityAppeal(activity=activity, appeal=a) for a in linked)
    audit_record(
        actor=actor,
        action=AuditAction.ACTIVITY_CREATE,
        target=activity,
        detail={"unit": unit.pk, "kind": kind, "organisers": [r.pk for r in organisers]},
    )
    return activity


def _lock(activity: Activity) -> Activity:
    return Activity.objects.select_for_update().get(pk=activity.pk)


def _planned(activity: Activity) -> None:
    if activity.status != ActivityStatus.PLANNED:
        raise Conflict(_("This activity was already held or cancelled."), code="activity_closed")


@transaction.atomic
def activity_update(
    *,
    actor: User,
    activity: Activity,
    kind: str,
    title: str,
    place: str,
    starts_at: Any,
    ends_at: Any = None,
    capacity: Any = None,
    description: str = "",
    organisers: Iterable[Representative] = (),
    guard_teams: Iterable[GuardTeam] = (),
    appeals: Iterable[Appeal] = (),
    on_service_day: bool | None = None,
) -> Activity:
    """Change a planned activity (the unit stays). The capacity cannot drop below the
    sign-ups it already has."""
    if not policy.can_manage(actor, activity):
        raise _refuse()
    locked = _lock(activity)
    _planned(locked)
    organisers, teams, linked = list(organisers), list(guard_teams), list(appeals)
    data = _fields(
        kind=kind,
        title=title,
        place=place,
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
        description=description,
    )
    if not organisers and not policy.scope_for(actor).can(
        set(policy.RECORD_ROLES), activity.unit.path
    ):
        raise InvalidInput(_("Name at least one organising representative."), code="organisers")
    _check_organisers(activity.unit, organisers)
    _check_teams(activity.unit, teams)
    kept = {link.appeal_id for link in locked.appeal_links.all()}
    _check_appeals(actor, [a for a in linked if a.pk not in kept])
    signed = selectors.signed_up_count(locked)
    if data["capacity"] is not None and data["capacity"] < signed:
        raise InvalidInput(
            _("%(n)d people have signed up already; the capacity cannot be lower.") % {"n": signed},
            code="capacity",
        )
    for name, value in data.items():
        setattr(locked, name, value)
    if on_service_day is None:
        on_service_day = selectors.is_service_day(
            locked.unit, timezone.localtime(data["starts_at"]).date()
        )
    locked.on_service_day = bool(on_service_day)
    locked.updated_at = timezone.now()
    locked.save(update_fields=[*data, "on_service_day", "updated_at"])
    locked.organisers.set(organisers)
    locked.guard_teams.set(teams)
    wanted = {a.pk for a in linked}
    locked.appeal_links.exclude(appeal_id__in=wanted).delete()
    ActivityAppeal.objects.bulk_create(
        ActivityAppeal(activity=locked, appeal=a) for a in linked if a.pk not in kept
    )
    audit_record(
        actor=actor,
        action=AuditAction.ACTIVITY_UPDATE,
        target=locked,
        detail={"fields": sorted(data), "organisers": [r.pk for r in organisers]},
    )
    return locked


@transaction.atomic
def activity_cancel(*, actor: User, activity: Activity, reason: str) -> Activity:
    if not policy.can_manage(actor, activity):
        raise _refuse()
    locked = _lock(activity)
    _planned(locked)
    locked.cancel_reason = clean_text(reason, _("Reason"), 500, required=True, multiline=False)
    locked.status = ActivityStatus.CANCELLED
    locked.updated_at = timezone.now()
    locked.save(update_fields=["cancel_reason", "status", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.ACTIVITY_CANCEL,
        target=locked,
        detail={"reason": locked.cancel_reason},
    )
    return locked


# --- sign-ups ------------------------------------------------------------------------------


def _open_for_signup(activity: Activity) -> None:
    if activity.status != ActivityStatus.PLANNED:
        raise Conflict(_("This activity is not open for sign-up."), code="signup_closed")
    if activity.starts_at <= timezone.now():
        raise Conflict(_("This activity has already started."), code="signup_closed")


def _check_capacity(activity: Activity) -> None:
    """Under the activity's row lock: two sign-ups at once queue, the second sees the first."""
    if activity.capacity is not None and selectors.signed_up_count(activity) >= activity.capacity:
        raise Conflict(_("This activity is full."), code="full")


def _save_signup(signup: Signup) -> Signup:
    try:
        with transaction.atomic():
            signup.save()
    except IntegrityError:
        raise Conflict(_("You have already signed up."), code="already_signed_up") from None
    return signup


def signup_by_phone(*, activity: Activity, name: str, phone: str, code: str) -> Signup:
    """A resident signs up with their mobile and the one-time code sent to it
    (`appeals.services.phone_code_request`). The code is checked first, outside the
    sign-up's transaction, so a wrong code counts against the mobile even though the
    sign-up is refused."""
    name = clean_text(name, _("Name"), 50, required=True, multiline=False)
    phone = appeals_services.phone_code_verify(phone=phone, code=code)
    with transaction.atomic():
        locked = _lock(activity)
        _open_for_signup(locked)
        if selectors.signups_of(locked).filter(phone_hash=blind_index(phone)).exists():
            raise Conflict(_("You have already signed up."), code="already_signed_up")
        _check_capacity(locked)
        signup = _save_signup(Signup(activity=locked, name=name, phone=phone))
        audit_record(
            actor=None,
            action=AuditAction.ACTIVITY_SIGNUP,
            target=locked,
            detail={"signup": signup.pk, "by": "phone"},
        )
    return signup


@transaction.atomic
def signup_by_account(*, actor: User, activity: Activity) -> Signup:
    """A signed-in user (a representative, a guard-team member) signs up with one tap."""
    if not getattr(actor, "pk", None):
        raise Forbidden(_("Log in to sign up with your account."), code="login")
    locked = _lock(activity)
    _open_for_signup(locked)
    if selectors.signups_of(locked).filter(user=actor).exists():
        raise Conflict(_("You have already signed up."), code="already_signed_up")
    _check_capacity(locked)
    signup = _save_signup(Signup(activity=locked, user=actor, name=actor.name[:50] or "-"))
    audit_record(
        actor=actor,
        action=AuditAction.ACTIVITY_SIGNUP,
        target=locked,
        detail={"signup": signup.pk, "by": "account"},
    )
    return signup


def _cancel_signup(actor: User | None, signup: Signup, by: str) -> Signup:
    locked = _lock(signup.activity)
    _open_for_signup(locked)
    signup.cancelled_at = timezone.now()
    signup.save(update_fields=["cancelled_at"])
    audit_record(
        actor=actor,
        action=AuditAction.ACTIVITY_SIGNUP_CANCEL,
        target=locked,
        detail={"signup": signup.pk, "by": by},
    )
    return signup


@transaction.atomic
def signup_cancel(*, actor: User, activity: Activity) -> Signup:
    """Cancel one's own account sign-up."""
    signup = selectors.signup_of_user(activity, actor)
    if signup is None:
        raise InvalidInput(_("You have not signed up for this activity."), code="not_signed_up")
    return _cancel_signup(actor, signup, "account")


def signup_cancel_by_phone(*, activity: Activity, phone: str, code: str) -> Signup:
    """A resident cancels with their mobile and a new one-time code."""
    phone = appeals_services.phone_code_verify(phone=phone, code=code)
    with transaction.atomic():
        signup = selectors.signups_of(activity).filter(phone_hash=blind_index(phone)).first()
        if signup is None:
            raise InvalidInput(
                _("This mobile number has not signed up for this activity."), code="not_signed_up"
            )
        return _cancel_signup(None, signup, "phone")


# --- on the day -----------------------------------------------------------------------------


def _started(activity: Activity) -> None:
    if timezone.localtime(activity.starts_at).date() > today():
        raise InvalidInput(
            _("Attendance is taken on the day of the activity or after it."), code="not_yet"
        )


def _walk_ins(value: Any) -> int:
    try:
        number = int(value or 0)
    except (TypeError, ValueError):
        number = -1
    if not 0 <= number <= MAX_WALK_INS:
        raise InvalidInput(
            _("The walk-ins must be a number from 0 to %(n)d.") % {"n": MAX_WALK_INS},
            code="walk_ins",
        )
    return number


def _set_attendance(activity: Activity, attended: Iterable[Any], walk_ins: Any) -> list[int]:
    ids = {parse_id(x) for x in attended}
    signups = selectors.signups_of(activity)
    unknown = ids - set(signups.values_list("pk", flat=True))
    if unknown:
        raise InvalidInput(_("Some of the people ticked did not sign up."), code="signup")
    signups.filter(pk__in=ids).update(attended=True)
    signups.exclude(pk__in=ids).update(attended=False)
    activity.walk_ins = _walk_ins(walk_ins)
    return sorted(ids)


@transaction.atomic
def attendance_record(
    *, actor: User, activity: Activity, attended: Iterable[Any], walk_ins: Any = 0
) -> Activity:
    """Tick who came (sign-up ids) and count the walk-ins, on the day or after."""
    if not policy.can_manage(actor, activity):
        raise _refuse()
    locked = _lock(activity)
    if locked.status == ActivityStatus.CANCELLED:
        raise Conflict(_("This activity was cancelled."), code="activity_closed")
    _started(locked)
    ids = _set_attendance(locked, attended, walk_ins)
    locked.updated_at = timezone.now()
    locked.save(update_fields=["walk_ins", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.ACTIVITY_ATTENDANCE,
        target=locked,
        detail={"attended": ids, "walk_ins": locked.walk_ins},
    )
    return locked


@transaction.atomic
def activity_photos_add(*, actor: User, activity: Activity, photos: Any) -> list[ActivityPhoto]:
    """Add photos of the day (checked by content, at most `PHOTO_MAX_COUNT` an activity)."""
    if not policy.can_manage(actor, activity):
        raise _refuse()
    prepared = photos_prepare(photos, already=activity.photos.count())
    if not prepared:
        raise InvalidInput(_("Choose at least one photo."), code="photos")
    locked = _lock(activity)
    photos_check_count(ActivityPhoto.objects.filter(activity=locked).count(), len(prepared))
    stored: list[str] = []
    out: list[ActivityPhoto] = []
    try:
        for p in prepared:
            photo = ActivityPhoto(
                activity=locked,
                content_type=p.content_type,
                size=len(p.data),
                width=p.width,
                height=p.height,
                sha256=p.sha256,
            )
            photo.image.save(f"photo{p.extension}", ContentFile(p.data), save=False)
            stored.append(photo.image.name)
            photo.save()
            out.append(photo)
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise
    audit_record(
        actor=actor,
        action=AuditAction.ACTIVITY_PHOTOS,
        target=locked,
        detail={"photos": [p.pk for p in out]},
    )
    return out


@transaction.atomic
def activity_hold(
    *,
    actor: User,
    activity: Activity,
    outcome: str,
    attended: Iterable[Any] | None = None,
    walk_ins: Any = None,
) -> Activity:
    """Mark a planned activity held, with its outcome (and, optionally, the attendance).

    A deliberation meeting needs an organiser and an attendee: it is recorded in the
    duties as its organisers' deliberation event (`duties.services.deliberation_log`).
    The appeals it took up are resolved with the outcome where the actor may resolve
    them (the handlers' own transition), given a note where they may only add one, and
    left to their handlers otherwise; each link says which.
    """
    if not policy.can_manage(actor, activity):
        raise _refuse()
    locked = _lock(activity)
    _planned(locked)
    _started(locked)
    outcome = clean_text(outcome, _("Outcome"), 5000, required=True)
    if attended is not None or walk_ins is not None:
        _set_attendance(
            locked,
            attended
            if attended is not None
            else selectors.signups_of(locked).filter(attended=True).values_list("pk", flat=True),
            walk_ins if walk_ins is not None else locked.walk_ins,
        )
    count = selectors.attendance_count(locked)
    organisers = list(locked.organisers.all())
    if locked.kind == ActivityKind.DELIBERATION:
        if not organisers:
            raise InvalidInput(
                _("A deliberation meeting needs at least one organising representative."),
                code="organisers",
            )
        if count < 1:
            raise InvalidInput(
                _(
                    "A deliberation meeting needs at least one attendee: tick who came or count the walk-ins."
                ),
                code="attendee_count",
            )
        locked.deliberation = duties_services.deliberation_log(
            actor=actor,
            unit=locked.unit,
            organisers=organisers,
            day=timezone.localtime(locked.starts_at).date(),
            place=locked.place,
            topic=locked.title,
            attendee_count=count,
            outcomes=outcome,
        )
    now = timezone.now()
    locked.status = ActivityStatus.HELD
    locked.outcome = outcome
    locked.held_at = now
    locked.updated_at = now
    locked.save(
        update_fields=["status", "outcome", "held_at", "updated_at", "walk_ins", "deliberation"]
    )
    results = _take_up_appeals(actor, locked, outcome)
    audit_record(
        actor=actor,
        action=AuditAction.ACTIVITY_HOLD,
        target=locked,
        detail={
            "attendance": count,
            "deliberation": locked.deliberation_id,
            "appeals": results,
        },
    )
    return locked


def _take_up_appeals(actor: User, activity: Activity, outcome: str) -> dict[str, str]:
    results: dict[str, str] = {}
    day = timezone.localtime(activity.starts_at).date().isoformat()
    note = _("At the activity “%(title)s” on %(day)s: %(outcome)s") % {
        "title": activity.title,
        "day": day,
        "outcome": outcome,
    }
    for link in activity.appeal_links.select_related("appeal").filter(
        outcome=AppealOutcome.PENDING
    ):
        link.outcome = _act_on(actor, link.appeal, note[:2000])
        link.save(update_fields=["outcome"])
        results[link.appeal.code] = link.outcome
    return results


def _act_on(actor: User, appeal: Appeal, note: str) -> str:
    """Resolve the appeal if the actor may, else add a note if they may; else leave it."""
    appeal.refresh_from_db()
    caps = appeals_policy.capacities(actor, appeal)
    for action, outcome in (
        (Action.RESOLVE, AppealOutcome.RESOLVED),
        (Action.NOTE, AppealOutcome.NOTED),
    ):
        if allowed(action, appeal.status, caps, appeal.kind):
            try:
                appeals_services.appeal_act(actor=actor, appeal=appeal, action=action, note=note)
            except DomainError:
                continue
            return outcome
    return AppealOutcome.UNCHANGED
