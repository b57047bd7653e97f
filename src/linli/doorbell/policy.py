"""Who may see and do what with the love doorbell: each rule once, as a query filter
and an object check built from the same data (the user's `accounts.scope.Scope`).

- **care register** (`recipient_q`, `can_view_recipient`): the household roles whose
  scope holds the recipient's unit (village cadres, area and group leaders, town,
  city, administrators), and the recipient's carers: the primary representative of
  the current pairing and the backups with an account.
- **health notes** (`can_see_health`): only the carers and the village cadre (the
  village role at the recipient's village or above it inside that village); not the
  town, the city, an administrator or a leader. Every view is audited.
- **manage** (`can_manage`, `manage_units_q`): the organisation-writing roles
  (administrator, city, town, village) over the unit: register, pair, devices,
  settings.
- **alarms** (`alarm_q`, `can_view_alarm`): the household roles over the alarm's unit
  (the village, town and city panels), the recipient's carers, and everyone told of it
  while it is open and for `TOLD_VIEW_HOURS` after it closed (a neighbour backup told
  once does not keep reading the alarm, and through it the recipient's name and
  kind of need, for ever). **outcome note** (`outcome_note_reader`,
  `can_see_outcome_note`): the free text written at closing may describe a health
  problem: only those who may see the health notes (`can_see_health`; without a
  recipient, the village cadre) and the person who closed it; the others see the
  outcome category only. **attend** (`can_attend`: acknowledge "我马上到", arrive "我已到门口"):
  only those who may go to the door: the people told, the carers and the village
  cadres of the alarm's village (`is_village_cadre`); a town, city or administrator
  tapping it would stop the escalation with nobody going. **respond**
  (`can_respond`: close): the people told, the carers, and the organisation-writing
  roles over the unit (a false press confirmed by phone).
- **devices and maintenance tasks** (`device_q`): the household roles over the unit;
  changes are `can_manage`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db.models import Q
from django.utils import timezone

from linli.accounts.models import Role
from linli.accounts.scope import HOUSEHOLD_ROLES, ORG_WRITE_ROLES, scope_for
from linli.org.models import VILLAGE_DEPTH, Unit, path_at

from .models import Alarm, AlarmNotice, CareBackup, CarePairing, CareRecipient

NOTHING = Q(pk__in=[])
# A person told of an alarm who is neither a carer nor holds a household role over its
# unit sees it while it is open and this many hours after it closed.
TOLD_VIEW_HOURS = 24
# A press while the alarm is open pushes a reminder (with sound) to the people told at
# most once in this many seconds (services._pressed_again): a stuck button would ring
# their pages without end.
REMIND_SECONDS = 20
MANAGE_ROLES = frozenset(ORG_WRITE_ROLES)
VIEW_ROLES = frozenset(HOUSEHOLD_ROLES)


def _carer_recipient_ids(user) -> set[int]:
    """Recipients the user cares for now: as the primary or as a backup with an account."""
    if not getattr(user, "is_authenticated", False):
        return set()
    scope = scope_for(user)
    ids: set[int] = set()
    if scope.representative_ids:
        ids.update(
            CarePairing.objects.filter(
                primary_id__in=scope.representative_ids, ended_on__isnull=True
            ).values_list("recipient_id", flat=True)
        )
    ids.update(
        CareBackup.objects.filter(user=user, pairing__ended_on__isnull=True).values_list(
            "pairing__recipient_id", flat=True
        )
    )
    return ids


# --- care register ------------------------------------------------------------------------


def recipient_q(user, prefix: str = "") -> Q:
    """Care recipients (a filter; `prefix` reaches them from another model) the user sees."""
    scope = scope_for(user)
    if scope.is_superuser:
        return Q()
    q = scope.path_q(f"{prefix}unit__path", scope.paths_for(set(VIEW_ROLES)))
    carer = _carer_recipient_ids(user)
    if carer:
        q |= Q(**{f"{prefix}id__in": sorted(carer)})
    return q


def can_view_recipient(user, recipient: CareRecipient) -> bool:
    scope = scope_for(user)
    if scope.is_superuser or scope.can(set(VIEW_ROLES), recipient.unit.path):
        return True
    return recipient.pk in _carer_recipient_ids(user)


def is_carer(user, recipient: CareRecipient) -> bool:
    return recipient.pk in _carer_recipient_ids(user)


def is_village_cadre(user, unit: Unit) -> bool:
    """The village role at the unit's village (or a unit above it inside the village)."""
    if not getattr(user, "is_authenticated", False):
        return False
    village = path_at(unit.path, VILLAGE_DEPTH)
    paths = scope_for(user).roles.get(Role.VILLAGE, ())
    return any(unit.path.startswith(p) and p.startswith(village) for p in paths)


def can_see_health(user, recipient: CareRecipient) -> bool:
    """Health notes: the carers and the village cadre only (not even an administrator)."""
    return is_carer(user, recipient) or is_village_cadre(user, recipient.unit)


# --- manage -------------------------------------------------------------------------------


def manage_units_q(user, field: str = "path") -> Q:
    scope = scope_for(user)
    return scope.path_q(field, scope.paths_for(set(MANAGE_ROLES)))


def can_manage(user, unit: Unit) -> bool:
    return scope_for(user).can(set(MANAGE_ROLES), unit.path)


# --- devices ------------------------------------------------------------------------------


def device_q(user, prefix: str = "") -> Q:
    scope = scope_for(user)
    return scope.path_q(f"{prefix}unit__path", scope.paths_for(set(VIEW_ROLES)))


def can_view_device(user, unit: Unit) -> bool:
    return scope_for(user).can(set(VIEW_ROLES), unit.path)


# --- alarms -------------------------------------------------------------------------------


def alarm_q(user, prefix: str = "") -> Q:
    scope = scope_for(user)
    if scope.is_superuser:
        return Q()
    q = scope.path_q(f"{prefix}unit__path", scope.paths_for(set(VIEW_ROLES)))
    if getattr(user, "is_authenticated", False):
        told = AlarmNotice.objects.filter(user=user).values_list("alarm_id", flat=True)
        q |= Q(**{f"{prefix}id__in": told}) & (
            Q(**{f"{prefix}closed_at__isnull": True})
            | Q(**{f"{prefix}closed_at__gte": told_view_since()})
        )
        carer = _carer_recipient_ids(user)
        if carer:
            q |= Q(**{f"{prefix}recipient_id__in": sorted(carer)})
    return q


def can_view_alarm(user, alarm: Alarm) -> bool:
    scope = scope_for(user)
    if scope.is_superuser or scope.can(set(VIEW_ROLES), alarm.unit.path):
        return True
    return _told_or_carer(user, alarm)


def told_view_since(now: dt.datetime | None = None) -> dt.datetime:
    """Alarms closed before this are no longer seen by the people only told of them."""
    return (now or timezone.now()) - dt.timedelta(hours=TOLD_VIEW_HOURS)


def told_may_see(alarm: Alarm, now: dt.datetime | None = None) -> bool:
    """Whether someone told of the alarm (and nothing more) still sees it."""
    return alarm.closed_at is None or alarm.closed_at >= told_view_since(now)


def _told_or_carer(user, alarm: Alarm) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if told_may_see(alarm) and AlarmNotice.objects.filter(alarm=alarm, user=user).exists():
        return True
    return alarm.recipient_id is not None and alarm.recipient_id in _carer_recipient_ids(user)


def can_attend(user, alarm: Alarm) -> bool:
    """Acknowledge and arrive: the people told, the carers, the village's cadres."""
    return is_village_cadre(user, alarm.unit) or _told_or_carer(user, alarm)


def can_call_contacts(user, alarm: Alarm) -> bool:
    """The recipient's emergency contacts in clear (a call from the alarm's page, each
    audited): the carers and the village cadre, as for the health notes."""
    return alarm.recipient is not None and can_see_health(user, alarm.recipient)


def can_respond(user, alarm: Alarm) -> bool:
    """Close: the people told, the carers, the managing roles."""
    return can_manage(user, alarm.unit) or _told_or_carer(user, alarm)


def outcome_note_reader(user) -> Callable[[Alarm], bool]:
    """Whether the user may read an alarm's outcome note, as a function of the alarm,
    with the user's carer recipients and village paths read once (for lists and
    exports): the closer, the recipient's carers and the village cadre of the alarm's
    village (`can_see_health`); an alarm without a recipient: the closer and the village
    cadre. Not the town, the city, an administrator, a superuser or a leader."""
    if not getattr(user, "is_authenticated", False):
        return lambda alarm: False
    carer = _carer_recipient_ids(user)
    village_paths = scope_for(user).roles.get(Role.VILLAGE, ())

    def may(alarm: Alarm) -> bool:
        if alarm.closed_by_id is not None and alarm.closed_by_id == user.pk:
            return True
        if alarm.recipient_id is not None and alarm.recipient_id in carer:
            return True
        path = alarm.unit.path
        village = path_at(path, VILLAGE_DEPTH)
        return any(path.startswith(p) and p.startswith(village) for p in village_paths)

    return may


def can_see_outcome_note(user, alarm: Alarm) -> bool:
    return outcome_note_reader(user)(alarm)
