"""Who may see and do what with service days and activities, each rule written once as
a query filter (`*_q`) and an object check (`can_*`).

- **see** (`visible_q`, `can_view`): an activity of a unit in the user's scope (the
  subtree of any role's unit), of a unit above one of their units (their village's and
  town's activities), or one they organise. The public page of an activity (title,
  time, place, organisers' names, places left) is open to everyone; the list of who
  signed up is not.
- **manage** (`manage_q`, `can_manage`: edit, cancel, attendance, photos, held, the
  sign-ups list): one of its organisers (their account), or a leader or cadre with a
  record-keeping role over its unit (`duties.policy.RECORD_ROLES`), as for a
  deliberation event.
- **create** (`can_create_in`): the same leaders and cadres in a unit of their scope; a
  representative in a unit of their own line (`duties.policy.can_organise`), naming
  themself among the organisers.
- **set the service day** (`can_set_rule`, `rule_units_q`): the unit's staff, the
  org-write roles (village cadre, town staff, city, administrator) over a town,
  subdistrict, village or community.
- **calendar** (`calendar_units_q`): towns, subdistricts, villages and communities of
  the user's scope and above it.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from linli.accounts.scope import ORG_WRITE_ROLES, scope_for
from linli.duties.policy import RECORD_ROLES, can_organise
from linli.org.models import Representative, Unit, UnitKind, ancestor_paths_of
from linli.org.selectors import own_representatives

from .models import Activity

NOTHING = Q(pk__in=[])
# Units that keep a service day and have a calendar.
CALENDAR_KINDS = (UnitKind.TOWN, UnitKind.SUBDISTRICT, UnitKind.VILLAGE, UnitKind.COMMUNITY)
# Units an activity is held in.
ACTIVITY_KINDS = (*CALENDAR_KINDS, UnitKind.AREA, UnitKind.GROUP)


def _ancestors(paths: tuple[str, ...]) -> set[str]:
    out: set[str] = set()
    for p in paths:
        out.update(ancestor_paths_of(p))
    return out


def _organised_q(user: Any, prefix: str = "") -> Q:
    pk = getattr(user, "pk", None)
    if pk is None:
        return NOTHING
    ids = Activity.organisers.through.objects.filter(representative__user_id=pk)
    return Q(**{f"{prefix}pk__in": ids.values("activity_id")})


def visible_q(user: Any, prefix: str = "") -> Q:
    scope = scope_for(user)
    if scope.is_superuser:
        return Q()
    if scope.user_id is None:
        return NOTHING
    paths = scope.unit_paths
    return (
        scope.path_q(f"{prefix}unit__path", paths)
        | Q(**{f"{prefix}unit__path__in": _ancestors(paths)})
        | _organised_q(user, prefix)
    )


def can_view(user: Any, activity: Activity) -> bool:
    scope = scope_for(user)
    if scope.is_superuser:
        return True
    path = activity.unit.path
    if any(path.startswith(p) or p.startswith(path) for p in scope.unit_paths):
        return True
    return is_organiser(user, activity)


def is_organiser(user: Any, activity: Activity) -> bool:
    pk = getattr(user, "pk", None)
    return pk is not None and activity.organisers.filter(user_id=pk).exists()


def manage_q(user: Any) -> Q:
    scope = scope_for(user)
    if scope.is_superuser:
        return Q()
    return scope.path_q("unit__path", scope.paths_for(set(RECORD_ROLES))) | _organised_q(user)


def can_manage(user: Any, activity: Activity) -> bool:
    return scope_for(user).can(set(RECORD_ROLES), activity.unit.path) or is_organiser(
        user, activity
    )


def can_create_in(user: Any, unit: Unit, organisers: list[Representative]) -> bool:
    if unit.kind not in ACTIVITY_KINDS:
        return False
    if scope_for(user).can(set(RECORD_ROLES), unit.path):
        return True
    mine = [r for r in own_representatives(user) if can_organise(r, unit)]
    return bool(mine) and any(r.pk in {m.pk for m in mine} for r in organisers)


def create_units_q(user: Any) -> Q:
    """Units (a filter on `Unit`) the user may create an activity in."""
    scope = scope_for(user)
    kinds = Q(kind__in=ACTIVITY_KINDS)
    if scope.is_superuser:
        return kinds
    q = scope.path_q("path", scope.paths_for(set(RECORD_ROLES)))
    own = set()
    for rep in own_representatives(user):
        own.update(ancestor_paths_of(rep.unit.path))
    if own:
        q |= Q(path__in=own)
    return q & kinds


def can_set_rule(user: Any, unit: Unit) -> bool:
    return unit.kind in CALENDAR_KINDS and scope_for(user).can(set(ORG_WRITE_ROLES), unit.path)


def rule_units_q(user: Any) -> Q:
    scope = scope_for(user)
    q = Q(kind__in=CALENDAR_KINDS)
    if scope.is_superuser:
        return q
    return q & scope.path_q("path", scope.paths_for(set(ORG_WRITE_ROLES)))


def calendar_units_q(user: Any) -> Q:
    scope = scope_for(user)
    kinds = Q(kind__in=CALENDAR_KINDS)
    if scope.is_superuser:
        return kinds
    paths = scope.unit_paths
    return kinds & (scope.path_q("path", paths) | Q(path__in=_ancestors(paths)))
