"""Who may see and do what on the deliberation list: each rule once, as a filter and a
check built from the same data (the user's `Scope` and the unit's path).

- **view** (`view_q`, `can_view`; units: `units_q`, `can_view_unit`): the household
  roles (admin, city, town, village, area and group leaders) over the item's village,
  and the representatives serving in that village (the list is theirs to vote on).
- **manage** (`can_manage`): schedule, discuss, vote, decide, progress, publish,
  withdraw, hide a comment, set the voting rule, add or retire catalogue entries: a
  cadre with a write role (`ORG_WRITE_ROLES`: admin, city, town, village) over the unit.
- **propose** (`can_propose`): a manager, or a representative serving in the village.
- **withdraw** (`can_withdraw`): a manager, or whoever proposed it while it is proposed.
- **supervise** (`supervise_q`, `can_supervise`): record an undeliberated decision: a
  cadre of a town or above (admin, city, town) over the village.
- **see breaches** (`breaches_q`, `can_see_breaches`): the write roles over the village.

The public notice board needs no rule: it shows published items to anyone.
"""

from __future__ import annotations

from django.db.models import Q

from linli.accounts.models import Role
from linli.accounts.scope import HOUSEHOLD_ROLES, ORG_WRITE_ROLES, Scope, scope_for
from linli.org.models import VILLAGE_DEPTH, Unit, path_at

from .models import Item, Stage

VIEW_ROLES = frozenset(HOUSEHOLD_ROLES)
MANAGE_ROLES = frozenset(ORG_WRITE_ROLES)
SUPERVISE_ROLES = frozenset({Role.ADMIN, Role.CITY, Role.TOWN})

NOTHING = Q(pk__in=[])


def _or(*filters: Q) -> Q:
    """The union, where an empty `Q()` (a superuser's "everything") wins."""
    if any(not f for f in filters):
        return Q()
    out = filters[0]
    for f in filters[1:]:
        out |= f
    return out


def rep_village_paths(scope: Scope) -> tuple[str, ...]:
    """The villages a representative account serves in (from its role's units)."""
    if not scope.representative_ids:
        return ()
    return tuple(
        sorted({path_at(p, VILLAGE_DEPTH) for p in scope.paths_for({Role.REPRESENTATIVE})})
    )


def _unit_view_q(user, field: str) -> Q:
    scope = scope_for(user)
    if scope.user_id is None:
        return NOTHING
    q = scope.path_q(field, scope.paths_for(set(VIEW_ROLES)))
    villages = rep_village_paths(scope)
    return _or(q, Q(**{f"{field}__in": villages})) if villages else q


def units_q(user) -> Q:
    """Units (a filter on `Unit`) whose deliberation list the user sees."""
    return _unit_view_q(user, "path")


def can_view_unit(user, unit: Unit) -> bool:
    scope = scope_for(user)
    if scope.user_id is None:
        return False
    return scope.can(set(VIEW_ROLES), unit.path) or unit.path in rep_village_paths(scope)


def view_q(user) -> Q:
    """Items the user sees."""
    return _unit_view_q(user, "unit__path")


def can_view(user, item: Item) -> bool:
    return can_view_unit(user, item.unit)


def can_manage(user, unit: Unit) -> bool:
    return scope_for(user).can(set(MANAGE_ROLES), unit.path)


def manage_q(user, field: str = "unit__path") -> Q:
    scope = scope_for(user)
    if scope.user_id is None:
        return NOTHING
    return scope.path_q(field, scope.paths_for(set(MANAGE_ROLES)))


def can_propose(user, unit: Unit) -> bool:
    scope = scope_for(user)
    return can_manage(user, unit) or unit.path in rep_village_paths(scope)


def can_withdraw(user, item: Item) -> bool:
    if can_manage(user, item.unit):
        return True
    pk = getattr(user, "pk", None)
    return pk is not None and item.stage == Stage.PROPOSED and item.proposed_by_id == pk


def supervise_q(user, field: str = "unit__path") -> Q:
    scope = scope_for(user)
    if scope.user_id is None:
        return NOTHING
    return scope.path_q(field, scope.paths_for(set(SUPERVISE_ROLES)))


def can_supervise(user, unit: Unit) -> bool:
    return scope_for(user).can(set(SUPERVISE_ROLES), unit.path)


def breaches_q(user) -> Q:
    return manage_q(user)


def can_see_breaches(user, unit: Unit) -> bool:
    return can_manage(user, unit)
