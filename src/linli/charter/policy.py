"""Who may see and write the responsibility and rights lists: each rule once, as a filter
and as a check (`tests/charter/test_policy.py` checks that the two agree).

- **look at a unit's list** (`list_units_q`, `can_view_list`): the list in force for a
  unit is seen by whoever has a role at that unit, above it or below it: the units of
  their scope and the units above them (a representative of a group sees the lists of
  its village, town and city).
- **view a version** (`view_versions_q`, `can_view_version`): a published version of a
  unit whose list the user may look at; a draft only by those who may write it.
- **write** (`write_units_q`, `can_write`): the city's list by an administrator or the
  command centre (`city`) of the city; a town's (subdistrict's) also by its town staff; a
  village's (community's) also by its village cadres. A role counts at the unit or above
  it, so a town's staff never write the city's list, nor another town's.
"""

from __future__ import annotations

from django.db.models import Q

from linli.accounts.models import Role
from linli.accounts.scope import scope_for
from linli.org.models import CITY_DEPTH, TOWN_DEPTH, VILLAGE_DEPTH, Unit, ancestor_paths_of

from .models import CharterStatus, CharterVersion

# The roles that write each level's list (held at the unit or above it).
WRITERS: dict[int, frozenset[Role]] = {
    CITY_DEPTH: frozenset({Role.ADMIN, Role.CITY}),
    TOWN_DEPTH: frozenset({Role.ADMIN, Role.CITY, Role.TOWN}),
    VILLAGE_DEPTH: frozenset({Role.ADMIN, Role.CITY, Role.TOWN, Role.VILLAGE}),
}
# Everyone who writes some list (the drafts pages).
WRITE_ROLES = frozenset().union(*WRITERS.values())

NOTHING = Q(pk__in=[])


def line_paths(user) -> set[str]:
    """The paths of the user's units and of every unit above them."""
    out: set[str] = set()
    for path in scope_for(user).unit_paths:
        out.update(ancestor_paths_of(path))
    return out


def list_units_q(user, prefix: str = "") -> Q:
    """Units (a filter on `Unit`, or through `prefix`) whose list the user may look at."""
    scope = scope_for(user)
    if scope.is_superuser:
        return Q()
    return Q(**{f"{prefix}path__in": sorted(line_paths(user))}) | scope.path_q(
        f"{prefix}path", scope.unit_paths
    )


def can_view_list(user, unit: Unit) -> bool:
    scope = scope_for(user)
    return (
        scope.is_superuser
        or unit.path in line_paths(user)
        or any(unit.path.startswith(p) for p in scope.unit_paths)
    )


def write_units_q(user, prefix: str = "") -> Q:
    """Units (a filter) whose list the user may write."""
    scope = scope_for(user)
    if scope.is_superuser:
        return Q(**{f"{prefix}depth__lte": VILLAGE_DEPTH})
    q = NOTHING
    for depth, roles in WRITERS.items():
        paths = scope.paths_for(set(roles))
        if paths:
            q |= Q(**{f"{prefix}depth": depth}) & scope.path_q(f"{prefix}path", paths)
    return q


def can_write(user, unit: Unit) -> bool:
    roles = WRITERS.get(unit.depth)
    return roles is not None and scope_for(user).can(set(roles), unit.path)


def view_versions_q(user) -> Q:
    """Versions (a filter on `CharterVersion`) the user may see."""
    scope = scope_for(user)
    if scope.is_superuser:
        return Q()
    return (Q(status=CharterStatus.PUBLISHED) & list_units_q(user, "unit__")) | write_units_q(
        user, "unit__"
    )


def can_view_version(user, version: CharterVersion) -> bool:
    if version.status == CharterStatus.PUBLISHED and can_view_list(user, version.unit):
        return True
    return can_write(user, version.unit)


def can_write_any(user) -> bool:
    """Does the user write some unit's list (the drafts pages offer them a form)?"""
    scope = scope_for(user)
    return scope.is_superuser or bool(scope.paths_for(set(WRITE_ROLES)))
