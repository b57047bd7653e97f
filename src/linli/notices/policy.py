"""Who may do what with policy notices: each rule once, as a query filter and an
object check built from the same data (the user's `accounts.scope.Scope`).

- **publish** (`publish_units_q`, `can_publish`): the administrator, city, town and
  village roles (`PUBLISH_ROLES`) publish to a unit of their scope (their own or one
  below it) of a publishing kind (city, town, subdistrict, village, community).
  **withdraw** is the same rule on the notice's unit.
- **view** (`view_q`, `can_view`): a notice is seen by the household roles whose scope
  holds its unit (they published it or lead above it) or lies inside its subtree (it
  reaches their households), and by a representative serving in its subtree (their
  unit is the notice's unit or below it).
- **reach** (`reach_unit_ok`, `default_reach_path`): the reach table of a notice is shown
  per unit inside both the notice's subtree and the user's household scope; a
  representative sees the checklist of their own households instead.
- **record a delivery**: as a duty record (`duties.policy.can_record_for`): the
  representative themself, or a leader or cadre with a link-writing role over them.
"""

from __future__ import annotations

from django.db.models import Q

from linli.accounts.scope import ORG_WRITE_ROLES, scope_for
from linli.duties import policy as duties_policy
from linli.org.models import Representative, Unit, UnitKind, ancestor_paths_of

from .models import Notice

PUBLISH_ROLES = frozenset(ORG_WRITE_ROLES)
PUBLISH_KINDS = (
    UnitKind.CITY,
    UnitKind.TOWN,
    UnitKind.SUBDISTRICT,
    UnitKind.VILLAGE,
    UnitKind.COMMUNITY,
)
NOTHING = Q(pk__in=[])


def _rep_unit_paths(user) -> list[str]:
    ids = scope_for(user).representative_ids
    if not ids:
        return []
    return list(Representative.objects.filter(pk__in=ids).values_list("unit__path", flat=True))


# --- view ------------------------------------------------------------------------------------


def view_q(user, prefix: str = "") -> Q:
    """Notices (a filter; `prefix` reaches them from another model) the user sees."""
    scope = scope_for(user)
    if scope.is_superuser:
        return Q()
    field = f"{prefix}unit__path"
    q = NOTHING
    above: set[str] = set()
    for path in scope.household_paths:
        q |= Q(**{f"{field}__startswith": path})
        above.update(ancestor_paths_of(path))
    for path in _rep_unit_paths(user):
        above.update(ancestor_paths_of(path))
    if above:
        q |= Q(**{f"{field}__in": sorted(above)})
    return q


def can_view(user, notice: Notice) -> bool:
    scope = scope_for(user)
    if scope.is_superuser:
        return True
    path = notice.unit.path
    return any(path.startswith(p) or p.startswith(path) for p in scope.household_paths) or any(
        p.startswith(path) for p in _rep_unit_paths(user)
    )


# --- publish, withdraw ----------------------------------------------------------------------


def publish_units_q(user) -> Q:
    """Units (a filter on `Unit`) the user may publish a notice to."""
    scope = scope_for(user)
    return scope.path_q("path", scope.paths_for(set(PUBLISH_ROLES))) & Q(kind__in=PUBLISH_KINDS)


def can_publish(user, unit: Unit) -> bool:
    return unit.kind in PUBLISH_KINDS and scope_for(user).can(set(PUBLISH_ROLES), unit.path)


def may_publish_somewhere(user) -> bool:
    scope = scope_for(user)
    return scope.is_superuser or bool(scope.paths_for(set(PUBLISH_ROLES)))


def can_withdraw(user, notice: Notice) -> bool:
    return scope_for(user).can(set(PUBLISH_ROLES), notice.unit.path)


# --- reach ------------------------------------------------------------------------------------


def sees_reach(user) -> bool:
    """Does the user lead or serve over households (the reach tables)?"""
    scope = scope_for(user)
    return scope.is_superuser or bool(scope.household_paths)


def reach_unit_ok(user, notice: Notice, unit: Unit) -> bool:
    """May the user see the reach of `notice` in `unit`'s subtree?"""
    if not unit.path.startswith(notice.unit.path):
        return False
    scope = scope_for(user)
    return scope.is_superuser or any(unit.path.startswith(p) for p in scope.household_paths)


def default_reach_path(user, notice: Notice) -> str | None:
    """Where the user's reach table starts: the notice's unit when their scope holds it,
    else the top of their scope inside the notice's subtree (None: no reach to see)."""
    scope = scope_for(user)
    path = notice.unit.path
    if scope.is_superuser or any(path.startswith(p) for p in scope.household_paths):
        return path
    inside = sorted(p for p in scope.household_paths if p.startswith(path))
    return inside[0] if inside else None


# --- deliveries -------------------------------------------------------------------------------


def can_record_for(user, representative: Representative) -> bool:
    return duties_policy.can_record_for(user, representative)
