"""Who may see and do what with the hundred best, their benefits and the reserve pool,
each rule written once as a query filter (`*_q`) and an object check (`can_*`).

- **see** (`visible_q`): the city, town and village cadres (`SEE_ROLES`) see the
  nominations, benefits and reserve candidates of their units' subtrees. Representatives
  and leaders do not see the selection's workings; everyone sees the public notice
  and the final list (`selectors.public_*`).
- **the town's steps** (`can_town`): town staff over the town (`TOWN_ROLES`):
  nominate from their town's ranking, write the citation, approve or reject in the
  town review, submit to the city; confirm or decline their town's reserve
  candidates; issue benefits to their town's hundred best.
- **the city's steps** (`is_city`): the city and administrators at the top of the tree
  (`CITY_ROLES`): open a selection, set quotas, move the stages, approve or reject,
  answer objections, finalise; the benefit kinds; the reserve rule. The city may also do
  any town's steps.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from linli.accounts.models import Role
from linli.accounts.scope import ORG_WRITE_ROLES, scope_for
from linli.org.models import Unit

NOTHING = Q(pk__in=[])
SEE_ROLES = frozenset(ORG_WRITE_ROLES)
TOWN_ROLES = frozenset({Role.TOWN})
CITY_ROLES = frozenset({Role.ADMIN, Role.CITY})


def visible_q(user: Any, field: str = "unit_path") -> Q:
    """A filter on rows that carry the representative's unit path in `field`."""
    scope = scope_for(user)
    if scope.is_superuser:
        return Q()
    if scope.user_id is None:
        return NOTHING
    paths = scope.paths_for(set(SEE_ROLES))
    if not paths:
        return NOTHING
    return scope.path_q(field, paths)


def can_see(user: Any, unit_path: str) -> bool:
    return scope_for(user).can(set(SEE_ROLES), unit_path)


def sees_any(user: Any) -> bool:
    scope = scope_for(user)
    return scope.is_superuser or bool(scope.paths_for(set(SEE_ROLES)))


def is_city(user: Any) -> bool:
    """The city or an administrator at the top of the tree (or a superuser)."""
    scope = scope_for(user)
    if scope.is_superuser:
        return True
    roots = Unit.objects.filter(parent__isnull=True).values_list("path", flat=True)
    return any(scope.can(set(CITY_ROLES), path) for path in roots)


def can_town(user: Any, town_path: str) -> bool:
    """The town's own steps: town staff over the town, or the city."""
    return scope_for(user).can(set(TOWN_ROLES), town_path) or is_city(user)


def town_units_q(user: Any) -> Q:
    """A filter on `Unit`: the towns whose steps the user may take."""
    scope = scope_for(user)
    if scope.is_superuser or is_city(user):
        return Q()
    paths = scope.paths_for(set(TOWN_ROLES))
    if not paths:
        return NOTHING
    return scope.path_q("path", paths)
