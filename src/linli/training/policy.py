"""Who may see and do what with representative training, each rule written once as a
query filter (`*_q`) and an object check (`can_*`).

- **see a plan and its sessions** (`plan_visible_q`): leaders and cadres
  (`SEE_ROLES`) see the plans of the units of their subtrees and of the units above
  them (a village cadre sees the town's plan, which their representatives attend).
  On a session's page the enrolled are listed only as far as the user sees
  representatives (`representative_visible_q`).
- **organise** (`can_manage`, `organiser_units_q`): the city, town and village cadres
  and administrators (`MANAGE_ROLES`) over the plan's unit (a city, town or village):
  make plans and sessions, record attendance, cancel a session.
- **enrol** (`can_enrol`, `enrollable_q`): those who organise, and the cadres below the
  organiser, each the serving representatives of the organiser's subtree that are in
  their own (a village cadre enrols their village's representatives in the town's
  session).
- **a representative's training record** (`representative_visible_q`): the
  representative their own; leaders and cadres the representatives of their subtrees.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from linli.accounts.scope import HOUSEHOLD_ROLES, ORG_WRITE_ROLES, scope_for
from linli.org.models import Unit, UnitKind, ancestor_paths_of

from .models import TrainingPlan

NOTHING = Q(pk__in=[])
SEE_ROLES = frozenset(HOUSEHOLD_ROLES)
MANAGE_ROLES = frozenset(ORG_WRITE_ROLES)
# Units that organise training: a city, town (subdistrict) or village (community).
ORGANISER_KINDS = (
    UnitKind.CITY,
    UnitKind.TOWN,
    UnitKind.SUBDISTRICT,
    UnitKind.VILLAGE,
    UnitKind.COMMUNITY,
)


def plan_visible_q(user: Any, prefix: str = "") -> Q:
    """A filter on `TrainingPlan` (or, with `prefix="plan__"`, on its sessions)."""
    scope = scope_for(user)
    if scope.is_superuser:
        return Q()
    paths = scope.paths_for(set(SEE_ROLES))
    if not paths:
        return NOTHING
    above = {a for p in paths for a in ancestor_paths_of(p)}
    return scope.path_q(f"{prefix}unit__path", paths) | Q(**{f"{prefix}unit__path__in": above})


def can_manage(user: Any, plan: TrainingPlan) -> bool:
    return scope_for(user).can(set(MANAGE_ROLES), plan.unit.path)


def may_manage_anywhere(user: Any) -> bool:
    scope = scope_for(user)
    return scope.is_superuser or bool(scope.paths_for(set(MANAGE_ROLES)))


def organiser_units_q(user: Any) -> Q:
    """A filter on `Unit`: where the user may make a plan."""
    scope = scope_for(user)
    kinds = Q(kind__in=ORGANISER_KINDS)
    if scope.is_superuser:
        return kinds
    return kinds & scope.path_q("path", scope.paths_for(set(MANAGE_ROLES)))


def can_organise(user: Any, unit: Unit) -> bool:
    return unit.kind in ORGANISER_KINDS and scope_for(user).can(set(MANAGE_ROLES), unit.path)


def enrollable_q(user: Any, plan: TrainingPlan) -> Q:
    """A filter on `Representative`: whom the user may enrol in the plan's sessions
    (serving, in the organiser's subtree and in the user's own)."""
    scope = scope_for(user)
    base = Q(term_end__isnull=True, unit__path__startswith=plan.unit.path)
    if scope.is_superuser:
        return base
    paths = scope.paths_for(set(MANAGE_ROLES))
    if not paths:
        return NOTHING
    return base & scope.path_q("unit__path", paths)


def can_enrol(user: Any, plan: TrainingPlan) -> bool:
    """Manages the organiser, or a unit below it."""
    scope = scope_for(user)
    if scope.is_superuser:
        return True
    return any(
        p.startswith(plan.unit.path) or plan.unit.path.startswith(p)
        for p in scope.paths_for(set(MANAGE_ROLES))
    )


def representative_visible_q(user: Any, prefix: str = "") -> Q:
    """A filter on `Representative` (or, with a prefix such as `representative__`, on
    rows naming one)."""
    scope = scope_for(user)
    if scope.is_superuser:
        return Q()
    if scope.user_id is None:
        return NOTHING
    own = Q(**{f"{prefix}pk__in": scope.representative_ids})
    return scope.path_q(f"{prefix}unit__path", scope.paths_for(set(SEE_ROLES))) | own


def units_q(user: Any) -> Q:
    """A filter on `Unit`: the units whose hours table the user sees (their subtrees)."""
    scope = scope_for(user)
    if scope.is_superuser:
        return Q()
    return scope.path_q("path", scope.paths_for(set(SEE_ROLES)))


def own_ids(user: Any) -> tuple[int, ...]:
    """The representative records the user serves as now."""
    return scope_for(user).representative_ids
