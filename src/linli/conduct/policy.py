"""Who may see and do what on the negative list and breach records, each rule once as a
query filter (`*_q`) and as a check on one object (`can_*`).

- **catalogue, see** (`entries_q`, `can_see_entry`): everyone with a role sees the
  city's entries, and the entries of the towns their units lie in or under.
- **catalogue, write** (`can_write_city_list`, `can_write_entry_at`): the city's list
  by an administrator or the command centre held at a root unit (or a superuser);
  a town's own entries by the town, city or administrator roles over that town.
- **breach, see** (`breaches_q`, `can_see`): the representative themself (their
  account), the reporter, and the household roles (`VIEW_ROLES`) over the unit the
  representative served in when reported. Nobody else: not other representatives.
- **report** (`can_report`): a household role over the representative's unit.
- **state** (`can_state`): the representative themself, or a leader or cadre over
  their unit who writes down what the representative said.
- **review** (`can_review`): town staff or above (`REVIEW_ROLES`) over the unit, and
  never the reporter of that breach.
- **withdraw** (`can_withdraw`): the reporter, while the record is open.
- **add evidence** (`can_add_evidence`): the reporter, a reviewer, or the
  representative themself, while the record is open.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from linli.accounts.models import Role
from linli.accounts.scope import HOUSEHOLD_ROLES, LINK_WRITE_ROLES, scope_for
from linli.org.models import TOWN_DEPTH, Representative, Unit, UnitKind, path_at

from .models import Breach, NegativeEntry

VIEW_ROLES = frozenset(HOUSEHOLD_ROLES)
REPORT_ROLES = frozenset(HOUSEHOLD_ROLES)
# Leaders and cadres who may write down a representative's statement for them.
STATE_ROLES = frozenset(LINK_WRITE_ROLES)
REVIEW_ROLES = frozenset({Role.ADMIN, Role.CITY, Role.TOWN})
CITY_LIST_ROLES = frozenset({Role.ADMIN, Role.CITY})
TOWN_LIST_ROLES = frozenset({Role.ADMIN, Role.CITY, Role.TOWN})
TOWN_KINDS = (UnitKind.TOWN, UnitKind.SUBDISTRICT)

NOTHING = Q(pk__in=[])


def _pk(user: Any) -> int | None:
    return getattr(user, "pk", None) if getattr(user, "is_authenticated", False) else None


# --- the catalogue ------------------------------------------------------------------------


def entries_q(user: Any) -> Q:
    """Entries the user sees: the city's, and those of the towns above or below their units."""
    scope = scope_for(user)
    if scope.is_superuser:
        return Q()
    if _pk(user) is None:
        return NOTHING
    paths = scope.unit_paths
    q = Q(unit__isnull=True) if paths else NOTHING
    towns = {path_at(p, TOWN_DEPTH) for p in paths}
    if towns:
        q |= Q(unit__path__in=sorted(towns))
    for p in paths:
        q |= Q(unit__path__startswith=p)
    return q


def can_see_entry(user: Any, entry: NegativeEntry) -> bool:
    scope = scope_for(user)
    if scope.is_superuser:
        return True
    if not scope.unit_paths:
        return False
    if entry.unit is None:
        return True
    town = entry.unit.path
    return any(p.startswith(town) or town.startswith(p) for p in scope.unit_paths)


def can_write_city_list(user: Any) -> bool:
    scope = scope_for(user)
    if scope.is_superuser:
        return True
    return any(len(p) == len(path_at(p, 1)) for p in scope.paths_for(set(CITY_LIST_ROLES)))


def can_write_entry_at(user: Any, unit: Unit | None) -> bool:
    """May the user add or change entries of this list (None: the city's)?"""
    if unit is None:
        return can_write_city_list(user)
    return unit.kind in TOWN_KINDS and scope_for(user).can(set(TOWN_LIST_ROLES), unit.path)


def town_units_for(user: Any) -> list[Unit]:
    """The towns whose own list the user may extend."""
    scope = scope_for(user)
    qs = Unit.objects.filter(kind__in=TOWN_KINDS)
    if not scope.is_superuser:
        qs = qs.filter(scope.path_q("path", scope.paths_for(set(TOWN_LIST_ROLES))))
    return list(qs.order_by("path"))


def can_write_catalogue(user: Any) -> bool:
    return can_write_city_list(user) or bool(town_units_for(user))


def entry_applies_to(entry: NegativeEntry, representative: Representative) -> bool:
    """A town's entry binds the representatives of that town only."""
    return entry.unit is None or representative.unit.path.startswith(entry.unit.path)


# --- breach records -----------------------------------------------------------------------


def breaches_q(user: Any) -> Q:
    scope = scope_for(user)
    if scope.is_superuser:
        return Q()
    pk = _pk(user)
    if pk is None:
        return NOTHING
    q = Q(representative__user_id=pk) | Q(reported_by_id=pk)
    paths = scope.paths_for(set(VIEW_ROLES))
    if paths:
        q |= scope.path_q("unit__path", paths)
    return q


def is_own(user: Any, breach: Breach) -> bool:
    pk = _pk(user)
    return pk is not None and breach.representative.user_id == pk


def is_reporter(user: Any, breach: Breach) -> bool:
    pk = _pk(user)
    return pk is not None and breach.reported_by_id == pk


def can_see(user: Any, breach: Breach) -> bool:
    scope = scope_for(user)
    return (
        scope.is_superuser
        or is_own(user, breach)
        or is_reporter(user, breach)
        or scope.can(set(VIEW_ROLES), breach.unit.path)
    )


def can_report(user: Any, representative: Representative) -> bool:
    return scope_for(user).can(set(REPORT_ROLES), representative.unit.path)


def can_report_anywhere(user: Any) -> bool:
    scope = scope_for(user)
    return scope.is_superuser or any(r in scope.roles for r in REPORT_ROLES)


def can_state(user: Any, breach: Breach) -> bool:
    """The representative; or a leader or cadre over them who did not report the breach
    (the accuser does not write the accused's defence), and only while the representative
    has not written their own (a cadre does not replace what they said themselves)."""
    if is_own(user, breach):
        return True
    if is_reporter(user, breach) or stated_by_representative(breach):
        return False
    return scope_for(user).can(set(STATE_ROLES), breach.unit.path)


def stated_by_representative(breach: Breach) -> bool:
    rep_user = breach.representative.user_id
    return bool(breach.statement_by_id and rep_user and breach.statement_by_id == rep_user)


def wrote_statement_for(user: Any, breach: Breach) -> bool:
    """`user` wrote the statement on the representative's behalf: they may not confirm."""
    return bool(
        breach.statement_by_id
        and breach.statement_by_id == getattr(user, "pk", None)
        and not stated_by_representative(breach)
    )


def can_review(user: Any, breach: Breach) -> bool:
    """Town staff or above over the unit; the reporter never reviews their own report."""
    return not is_reporter(user, breach) and scope_for(user).can(
        set(REVIEW_ROLES), breach.unit.path
    )


def can_withdraw(user: Any, breach: Breach) -> bool:
    return is_reporter(user, breach)


def can_add_evidence(user: Any, breach: Breach) -> bool:
    return (
        is_reporter(user, breach)
        or is_own(user, breach)
        or scope_for(user).can(set(REVIEW_ROLES), breach.unit.path)
    )
