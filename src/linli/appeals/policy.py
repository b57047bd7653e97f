"""Who may see and who handles an appeal: each rule written once, in two forms.

Lists and queues need a query filter; a page, a service or a notification about
one appeal needs a check on that appeal. Both forms of each rule live side by
side here, built from the same data (`LEVEL_ROLES`, the user's `Scope`, their
representative records and departments), and `tests/appeals/test_policy.py`
checks that they agree for every role against appeals at every level and status.

| rule | query form | object form | reverse lookup |
|---|---|---|---|
| sees the appeal | `visible_q(user)` | `can_view(user, appeal)` | |
| handles it (the queue) | `handling_q(user)` | `capacities(user, appeal)` ∋ handler/department | `handlers_of(appeal)` |
| is above its level | | `capacities(user, appeal)` ∋ superior | `superiors_of(appeal)` |

Selectors, services, views, the API and notifications all ask here; nothing
else in the project decides these questions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q

from linli.accounts.models import Role, RoleAssignment, User
from linli.accounts.scope import HOUSEHOLD_ROLES, scope_for
from linli.org.models import Representative, Unit, UnitKind

from .models import LEVEL_ORDER, OPEN_STATUSES, Level, Status
from .workflow import Cap, next_level

if TYPE_CHECKING:
    from .models import Appeal

# Which roles handle an appeal at each level.
LEVEL_ROLES: dict[Level, frozenset[Role]] = {
    Level.GROUP: frozenset({Role.GROUP_LEADER, Role.AREA_LEADER}),
    Level.VILLAGE: frozenset({Role.VILLAGE}),
    Level.TOWN: frozenset({Role.TOWN}),
    Level.CITY: frozenset({Role.CITY, Role.ADMIN}),
}
# The level at which an appeal placed at a unit of each kind is handled.
KIND_LEVEL: dict[str, Level] = {
    UnitKind.GROUP: Level.GROUP,
    UnitKind.AREA: Level.GROUP,
    UnitKind.VILLAGE: Level.VILLAGE,
    UnitKind.COMMUNITY: Level.VILLAGE,
    UnitKind.TOWN: Level.TOWN,
    UnitKind.SUBDISTRICT: Level.TOWN,
    UnitKind.CITY: Level.CITY,
}


def level_of(unit: Unit) -> Level:
    return KIND_LEVEL[UnitKind(unit.kind)]


def roles_above(level: str) -> frozenset[Role]:
    """The roles that handle the levels above `level` (its superiors)."""
    higher = LEVEL_ORDER[LEVEL_ORDER.index(Level(level)) + 1 :]
    return frozenset().union(*(LEVEL_ROLES[lv] for lv in higher))


def ancestor_at(unit: Unit, level: Level) -> Unit | None:
    """The nearest ancestor handling `level`, or the next level up if the tree skips it."""
    ancestors = list(Unit.objects.filter(path__in=unit.ancestor_paths()).order_by("-depth"))
    for lv in LEVEL_ORDER[LEVEL_ORDER.index(level) :]:
        for a in ancestors:
            if a.pk != unit.pk and level_of(a) == lv:
                return a
    return None


# --- what a user is, for these rules (cached on the user for the request) -----------


def _signed_in(user: Any) -> bool:
    return user is not None and bool(getattr(user, "is_authenticated", False))


def departments_of(user: Any) -> list[int]:
    """Ids of the departments the user handles appeals for."""
    if not _signed_in(user):
        return []
    cached = getattr(user, "_linli_departments", None)
    if cached is None:
        cached = list(
            RoleAssignment.objects.filter(
                user=user, role=Role.DEPARTMENT, department__isnull=False
            ).values_list("department_id", flat=True)
        )
        user._linli_departments = cached
    return cached


def representative_units(user: Any) -> set[int]:
    """The units where the user serves as a representative now."""
    scope = scope_for(user)
    if not scope.representative_ids:
        return set()
    cached = getattr(user, "_linli_rep_units", None)
    if cached is None:
        cached = set(
            Representative.objects.filter(pk__in=scope.representative_ids).values_list(
                "unit_id", flat=True
            )
        )
        user._linli_rep_units = cached
    return cached


# --- seeing ---------------------------------------------------------------------------
# A user sees the appeals that came from their units' subtrees (cadres and leaders),
# the ones assigned to them or waiting in their group (representatives), the ones
# they filed, and the ones referred to their department.


def visible_q(user: Any) -> Q | None:
    """The filter for what `user` may see; None means everything."""
    scope = scope_for(user)
    if scope.is_superuser:
        return None
    q = scope.path_q("origin_path", scope.paths_for(HOUSEHOLD_ROLES))
    q |= Q(created_by_id=user.pk)
    if scope.representative_ids:
        q |= Q(representative_id__in=scope.representative_ids)
        rep_units = representative_units(user)
        if rep_units:
            q |= Q(level=Level.GROUP, representative__isnull=True, unit_id__in=rep_units)
    depts = departments_of(user)
    if depts:
        q |= Q(department_id__in=depts)
    return q


def can_view(user: Any, appeal: Appeal) -> bool:
    """The object form of `visible_q`."""
    if not _signed_in(user):
        return False
    scope = scope_for(user)
    if scope.is_superuser:
        return True
    if any(appeal.origin_path.startswith(p) for p in scope.paths_for(HOUSEHOLD_ROLES)):
        return True
    if appeal.created_by_id is not None and appeal.created_by_id == user.pk:
        return True
    if appeal.representative_id is not None:
        if appeal.representative_id in scope.representative_ids:
            return True
    elif appeal.level == Level.GROUP and appeal.unit_id in representative_units(user):
        return True
    return appeal.department_id is not None and appeal.department_id in departments_of(user)


# --- handling ---------------------------------------------------------------------------
# The handler of an appeal at its current level: a role of LEVEL_ROLES[level] at its
# unit or above; at neighbourhood level also the representative it is assigned to or,
# unassigned, a representative serving its group. A referred appeal is also handled by
# the handlers of the department it is referred to.


def _handler_at_level_q(user: Any, lv: Level) -> Q:
    scope = scope_for(user)
    if scope.is_superuser:
        return Q(level=lv)
    q = Q(pk__in=[])
    paths = scope.paths_for(set(LEVEL_ROLES[lv]))
    if paths:
        q |= Q(level=lv) & scope.path_q("unit__path", paths)
    if lv == Level.GROUP and scope.representative_ids:
        q |= Q(level=lv, representative_id__in=scope.representative_ids)
        rep_units = representative_units(user)
        if rep_units:
            q |= Q(level=lv, representative__isnull=True, unit_id__in=rep_units)
    return q


def department_q(user: Any) -> Q:
    """Appeals referred to one of the user's departments and waiting for its answer."""
    depts = departments_of(user)
    if not depts:
        return Q(pk__in=[])
    return Q(status=Status.REFERRED, department_id__in=depts)


def handling_q(user: Any, level: str | None = None) -> Q:
    """Open appeals the user handles (or may claim) at their level(s), and, unless a
    level is asked for, those waiting for their department's answer."""
    levels = [Level(level)] if level else LEVEL_ORDER
    q = Q(pk__in=[])
    for lv in levels:
        q |= _handler_at_level_q(user, lv)
    if level is None:
        q |= department_q(user)
    return q & Q(status__in=OPEN_STATUSES)


def _is_handler(user: Any, appeal: Appeal) -> bool:
    scope = scope_for(user)
    if scope.can(set(LEVEL_ROLES[Level(appeal.level)]), appeal.unit.path):
        return True
    if appeal.level != Level.GROUP:
        return False
    if appeal.representative_id is not None:
        return appeal.representative_id in scope.representative_ids
    return appeal.unit_id in representative_units(user)


def capacities(user: Any, appeal: Appeal, *, resident_phone: str | None = None) -> set[Cap]:
    """In which capacities may this user (or resident) act on the appeal now?"""
    caps: set[Cap] = set()
    if resident_phone and appeal.reporter_phone and resident_phone == appeal.reporter_phone:
        caps.add(Cap.RESIDENT)
    if not _signed_in(user):
        return caps
    if _is_handler(user, appeal):
        caps.add(Cap.HANDLER)
    above = roles_above(appeal.level)
    if above and scope_for(user).can(set(above), appeal.unit.path):
        caps.add(Cap.SUPERIOR)
    if (
        appeal.status == Status.REFERRED
        and appeal.department_id is not None
        and appeal.department_id in departments_of(user)
    ):
        caps.add(Cap.DEPARTMENT)
    return caps


def in_queue(user: Any, appeal: Appeal) -> bool:
    """The object form of `handling_q(user)`."""
    if appeal.status not in OPEN_STATUSES or not _signed_in(user):
        return False
    return bool(capacities(user, appeal) & {Cap.HANDLER, Cap.DEPARTMENT})


def handlers_of(appeal: Appeal) -> list[User]:
    """The users who handle the appeal now (the reverse of `capacities` ∋ handler):
    the department's handlers while it is referred, whoever claimed it while it is
    claimed, else everyone who may claim it at its level."""
    if appeal.status == Status.REFERRED and appeal.department_id:
        ids: set[int] = set(
            RoleAssignment.objects.filter(
                role=Role.DEPARTMENT, department_id=appeal.department_id
            ).values_list("user_id", flat=True)
        )
    elif appeal.assignee is not None and appeal.status != Status.PENDING:
        return [appeal.assignee]
    else:
        # Small indexed look-ups, then one fetch of the users: an OR of joins
        # across role assignments and representatives plans badly.
        ids = set(
            RoleAssignment.objects.filter(
                role__in=LEVEL_ROLES[Level(appeal.level)],
                unit__path__in=appeal.unit.ancestor_paths(),
            ).values_list("user_id", flat=True)
        )
        if appeal.level == Level.GROUP:
            reps = Representative.objects.filter(user__isnull=False)
            if appeal.representative_id:
                reps = reps.filter(pk=appeal.representative_id, term_end__isnull=True)
            else:
                reps = reps.filter(unit_id=appeal.unit_id, term_end__isnull=True)
            ids.update(reps.values_list("user_id", flat=True))
    return list(User.objects.filter(pk__in=list(ids), is_active=True).order_by("pk"))


def level_handlers(appeal: Appeal) -> list[User]:
    """Whom a superior may name as the appeal's handler (reassign, 指派): everyone who
    handles appeals at its level and unit (the roles of its level held at its unit or
    above; at the neighbourhood level also every serving representative of its unit,
    not only the one it was routed to). Active accounts, by name."""
    ids = set(
        RoleAssignment.objects.filter(
            role__in=LEVEL_ROLES[Level(appeal.level)],
            unit__path__in=appeal.unit.ancestor_paths(),
        ).values_list("user_id", flat=True)
    )
    if appeal.level == Level.GROUP:
        ids.update(
            Representative.objects.filter(
                unit_id=appeal.unit_id, term_end__isnull=True, user__isnull=False
            ).values_list("user_id", flat=True)
        )
    return list(User.objects.filter(pk__in=list(ids), is_active=True).order_by("name", "pk"))


def group_has_handlers(unit: Unit) -> bool:
    """May anyone claim an unassigned neighbourhood-level appeal placed at `unit`?
    (The same people `handlers_of` names for it; routing sends it to the village
    when nobody would.)"""
    return (
        Representative.objects.filter(unit=unit, term_end__isnull=True, user__isnull=False).exists()
        or RoleAssignment.objects.filter(
            role__in=LEVEL_ROLES[Level.GROUP], unit__path__in=unit.ancestor_paths()
        ).exists()
    )


def superiors_of(appeal: Appeal) -> list[User]:
    """The users one level above the appeal's current level (for overdue notices)."""
    level = next_level(appeal.level)
    if level is None:
        return []
    unit = ancestor_at(appeal.unit, level)
    if unit is None:
        return []
    return list(
        User.objects.filter(
            is_active=True,
            role_assignments__role__in=LEVEL_ROLES[level_of(unit)],
            role_assignments__unit=unit,
        ).distinct()
    )
