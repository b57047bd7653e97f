"""What a user may see: the one place role assignments turn into query filters.

Every selector starts from `scope_for(user)`. A role at a unit grants that
unit and its subtree (a prefix match on the materialised path); a
representative sees the households linked to them now.

Which representative records an account serves as is `org`'s to know, and
`accounts` sits below `org` (it must not import it): `org` registers that lookup
with `provide_representative_ids` in `OrgConfig.ready()`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q

from .models import Role, RoleAssignment


class UnitRef(Protocol):
    """What accounts needs of an `org.Unit` (accounts sits below org and cannot
    import it, even for typing)."""

    pk: Any

    @property
    def path(self) -> str: ...


# Roles that see households, members and representatives of their subtree.
HOUSEHOLD_ROLES = {
    Role.ADMIN,
    Role.CITY,
    Role.TOWN,
    Role.VILLAGE,
    Role.AREA_LEADER,
    Role.GROUP_LEADER,
}
# Roles that may change the organisation (units, households, links) in their subtree.
ORG_WRITE_ROLES = {Role.ADMIN, Role.CITY, Role.TOWN, Role.VILLAGE}
# Roles that may move household links in their subtree.
LINK_WRITE_ROLES = ORG_WRITE_ROLES | {Role.AREA_LEADER, Role.GROUP_LEADER}
# Roles that list households: the household roles, and representatives (the
# households linked to them); the same roles keep the duties of the "four ones".
HOUSEHOLD_LIST_ROLES = HOUSEHOLD_ROLES | {Role.REPRESENTATIVE}


def _minimal(paths: set[str]) -> tuple[str, ...]:
    """Drop paths already covered by an ancestor path in the set."""
    out: list[str] = []
    for p in sorted(paths):
        if not any(p.startswith(q) for q in out):
            out.append(p)
    return tuple(out)


@dataclass(frozen=True)
class Scope:
    user_id: int | None
    is_superuser: bool = False
    # unit paths by role
    roles: dict[str, tuple[str, ...]] = field(default_factory=dict)
    representative_ids: tuple[int, ...] = ()

    def paths_for(self, roles: set[Role] | None = None) -> tuple[str, ...]:
        wanted = roles or set(Role)
        paths: set[str] = set()
        for role, role_paths in self.roles.items():
            if role in wanted:
                paths.update(role_paths)
        return _minimal(paths)

    @property
    def unit_paths(self) -> tuple[str, ...]:
        return self.paths_for()

    @property
    def household_paths(self) -> tuple[str, ...]:
        return self.paths_for(HOUSEHOLD_ROLES)

    def has_role(self, *roles: Role) -> bool:
        return self.is_superuser or any(r in self.roles for r in roles)

    def path_q(self, field: str, paths: tuple[str, ...]) -> Q:
        """Q matching rows whose `field` (a unit path) lies in one of `paths`."""
        if self.is_superuser:
            return Q()
        q = Q(pk__in=[])
        for p in paths:
            q |= Q(**{f"{field}__startswith": p})
        return q

    def can(self, roles: set[Role], unit_path: str) -> bool:
        """Does the user hold one of `roles` at this unit or an ancestor?"""
        if self.is_superuser:
            return True
        return any(unit_path.startswith(p) for p in self.paths_for(roles))

    @property
    def role_names(self) -> list[str]:
        return sorted(self.roles)


ANONYMOUS = Scope(user_id=None)

# user -> ids of the representative records the user serves as now; set by org.
_representative_ids: Callable[[Any], Iterable[int]] | None = None


def provide_representative_ids(lookup: Callable[[Any], Iterable[int]]) -> None:
    """Register how a representative account's serving records are found (org does)."""
    global _representative_ids
    _representative_ids = lookup


def scope_for(user: Any) -> Scope:
    """Build (and cache on the user object for this request) the user's scope."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return ANONYMOUS
    cached: Scope | None = getattr(user, "_linli_scope", None)
    if cached is not None:
        return cached
    roles: dict[str, set[str]] = {}
    for role, path in RoleAssignment.objects.filter(user=user).values_list("role", "unit__path"):
        roles.setdefault(role, set()).add(path)
    rep_ids: tuple[int, ...] = ()
    if Role.REPRESENTATIVE in roles:
        if _representative_ids is None:
            raise ImproperlyConfigured(
                "No representative lookup registered: is linli.org in INSTALLED_APPS?"
            )
        rep_ids = tuple(_representative_ids(user))
    scope = Scope(
        user_id=user.pk,
        is_superuser=user.is_superuser,
        roles={r: _minimal(p) for r, p in roles.items()},
        representative_ids=rep_ids,
    )
    user._linli_scope = scope
    return scope
