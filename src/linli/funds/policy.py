"""Who may see and do what with the service fund, each rule written once as a query
filter (`*_q`) and an object check (`can_*`).

- **see** (`visible_q`, `can_view`): a representative sees their own fund only (the
  allocations of the representative records their account serves as); leaders and
  cadres (`HOUSEHOLD_ROLES`) see the funds of the representatives of their units'
  subtrees. Entries and receipts follow their allocation.
- **spend** (`can_spend`): the representative, from their own fund.
- **approve or refuse** (`approve_q`, `can_approve`): the village cadre above the
  representative, and the town, city and administrators above them (`APPROVE_ROLES`
  over the representative's unit). Never one's own spending.
- **reverse** (`can_reverse`): the representative of the fund, or one who may approve.
- **set the rule** (`can_set_rule`, `rule_units_q`): town staff, the city and
  administrators (`RULE_ROLES`) over a city, town (subdistrict) or village
  (community); opening a unit's allocations for a year is theirs too.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from linli.accounts.models import Role
from linli.accounts.scope import HOUSEHOLD_ROLES, ORG_WRITE_ROLES, scope_for
from linli.org.models import Unit, UnitKind

from .models import FundAllocation, FundEntry

NOTHING = Q(pk__in=[])
APPROVE_ROLES = frozenset(ORG_WRITE_ROLES)
RULE_ROLES = frozenset({Role.ADMIN, Role.CITY, Role.TOWN})
SEE_ROLES = frozenset(HOUSEHOLD_ROLES)
# Units that keep a rule: a city, town or village (their subdistrict and community kin).
RULE_KINDS = (
    UnitKind.CITY,
    UnitKind.TOWN,
    UnitKind.SUBDISTRICT,
    UnitKind.VILLAGE,
    UnitKind.COMMUNITY,
)


def visible_q(user: Any, prefix: str = "") -> Q:
    """A filter on `FundAllocation` (or, with `prefix="allocation__"`, on its rows)."""
    scope = scope_for(user)
    if scope.is_superuser:
        return Q()
    if scope.user_id is None:
        return NOTHING
    field = f"{prefix}representative__unit__path"
    own = Q(**{f"{prefix}representative_id__in": scope.representative_ids})
    return scope.path_q(field, scope.paths_for(set(SEE_ROLES))) | own


def is_own(user: Any, allocation: FundAllocation) -> bool:
    return allocation.representative_id in scope_for(user).representative_ids


def can_view(user: Any, allocation: FundAllocation) -> bool:
    scope = scope_for(user)
    if scope.is_superuser or is_own(user, allocation):
        return True
    return scope.can(set(SEE_ROLES), allocation.representative.unit.path)


def can_spend(user: Any, allocation: FundAllocation) -> bool:
    return is_own(user, allocation) and allocation.representative.term_end is None


def approve_q(user: Any, prefix: str = "") -> Q:
    """A filter on `FundEntry`: the spending the user may decide on."""
    scope = scope_for(user)
    paths = scope.paths_for(set(APPROVE_ROLES))
    base = scope.path_q(f"{prefix}allocation__representative__unit__path", paths)
    if scope.is_superuser:
        return base
    if not paths:
        return NOTHING
    return base & ~Q(**{f"{prefix}allocation__representative_id__in": scope.representative_ids})


def can_approve(user: Any, entry: FundEntry) -> bool:
    allocation = entry.allocation
    if is_own(user, allocation) and not scope_for(user).is_superuser:
        return False
    return scope_for(user).can(set(APPROVE_ROLES), allocation.representative.unit.path)


def can_reverse(user: Any, entry: FundEntry) -> bool:
    allocation = entry.allocation
    return is_own(user, allocation) or scope_for(user).can(
        set(APPROVE_ROLES), allocation.representative.unit.path
    )


def may_approve_anywhere(user: Any) -> bool:
    scope = scope_for(user)
    return scope.is_superuser or bool(scope.paths_for(set(APPROVE_ROLES)))


def can_set_rule(user: Any, unit: Unit) -> bool:
    return unit.kind in RULE_KINDS and scope_for(user).can(set(RULE_ROLES), unit.path)


def rule_units_q(user: Any) -> Q:
    """A filter on `Unit`: where the user may set the rule and open allocations."""
    scope = scope_for(user)
    kinds = Q(kind__in=RULE_KINDS)
    if scope.is_superuser:
        return kinds
    return kinds & scope.path_q("path", scope.paths_for(set(RULE_ROLES)))


def units_q(user: Any) -> Q:
    """A filter on `Unit`: the units whose totals the user sees (their subtrees)."""
    scope = scope_for(user)
    if scope.is_superuser:
        return Q()
    return scope.path_q("path", scope.paths_for(set(SEE_ROLES)))


def own_ids(user: Any) -> tuple[int, ...]:
    """The representative records whose funds are the user's own."""
    return scope_for(user).representative_ids
