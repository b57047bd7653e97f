"""Who may see and do what with the evaluation, each rule written once as a query
filter (`*_q`) and an object check (`can_*`).

- **see a score** (`visible_q`, `can_view`): a representative sees their own score
  only (of the representative records their account serves as); leaders and cadres
  (`HOUSEHOLD_ROLES`) see the scores and rankings of their units' subtrees.
- **set the weights** (`can_set_weights`): the city and administrators, at the top
  of the tree (the weights are the city's, one set a year).
- **recompute a year** (`can_recompute`): the same.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from linli.accounts.models import Role
from linli.accounts.scope import HOUSEHOLD_ROLES, scope_for
from linli.org.models import Unit

from .models import Score

NOTHING = Q(pk__in=[])
SEE_ROLES = frozenset(HOUSEHOLD_ROLES)
WEIGHT_ROLES = frozenset({Role.ADMIN, Role.CITY})


def visible_q(user: Any, prefix: str = "") -> Q:
    """A filter on `Score` (or, with a prefix, on rows that point at one)."""
    scope = scope_for(user)
    if scope.is_superuser:
        return Q()
    if scope.user_id is None:
        return NOTHING
    own = Q(**{f"{prefix}representative_id__in": scope.representative_ids})
    return scope.path_q(f"{prefix}unit_path", scope.paths_for(set(SEE_ROLES))) | own


def can_view(user: Any, score: Score) -> bool:
    scope = scope_for(user)
    if scope.is_superuser or score.representative_id in scope.representative_ids:
        return True
    return scope.can(set(SEE_ROLES), score.unit_path)


def units_q(user: Any) -> Q:
    """A filter on `Unit`: the units whose rankings the user sees (their subtrees)."""
    scope = scope_for(user)
    if scope.is_superuser:
        return Q()
    return scope.path_q("path", scope.paths_for(set(SEE_ROLES)))


def sees_rankings(user: Any) -> bool:
    scope = scope_for(user)
    return scope.is_superuser or bool(scope.paths_for(set(SEE_ROLES)))


def can_set_weights(user: Any) -> bool:
    scope = scope_for(user)
    if scope.is_superuser:
        return True
    roots = Unit.objects.filter(parent__isnull=True).values_list("path", flat=True)
    return any(scope.can(set(WEIGHT_ROLES), path) for path in roots)


can_recompute = can_set_weights


def own_ids(user: Any) -> tuple[int, ...]:
    return scope_for(user).representative_ids
