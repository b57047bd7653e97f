"""Who may do what with duty records: every rule of the duties domain, written once.

Each rule comes in the two forms the code needs, built from the same data (the user's
`accounts.scope.Scope`, the representative's account, the unit paths):

- a query filter, `*_q(user)`: a `Q` for lists and selectors (`restrict(qs, user, action)`
  applies the right one to a queryset, NetBox style);
- a check on one object, `can_*(user, obj)`: for services (which refuse with `Forbidden`)
  and for pages deciding what to offer.

`tests/duties/test_policy.py` checks for a table of roles that the two forms agree.

The rules:

- **view** (`view_q`, `can_view`; for representatives `view_representatives_q`,
  `can_view_representative`): a representative's records, what they still owe and their
  compliance are seen by whoever sees the representative (`org.selectors.representatives_q`:
  the household roles — admin, city, town, village, area and group leader — over the
  representative's unit, and the representative themself while serving). A deliberation
  event is seen by whoever sees one of its organisers.
- **record** (`record_for_q`, `can_record_for`): the records of a representative are kept
  by the representative themself (their account) or by a leader or cadre with a link-writing
  role (`RECORD_ROLES`) over the representative's unit, e.g. from a paper register.
- **record an event** (`can_record_event`): a deliberation event is recorded by one of its
  organisers, or by a leader or cadre with a `RECORD_ROLES` role over the event's unit.
- **correct** (`correct_q`, `can_correct`; a withdrawal is a correction): a contact, visit
  or report as **record** for its representative; a deliberation event as **record an
  event** for its unit and organisers.
- **where an event is held** (`deliberation_units_q`, `can_hold_deliberation`): villages,
  areas and groups of the user's scope (cadres of a town or above: villages and areas only),
  and for a representative their own unit and the units above it.
- **who organises** (`organisers_q`, `can_organise`): a representative organises events in
  a unit of their own line: their unit, one above it, or one below it.
- **team** (`can_view_team`): users with a household role see the team pages.
- **summaries** (`summary_recipients_q`, `gets_summary`): the group, area and village
  leaders over a unit get the reminder summary of its representatives behind.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Model, Q, QuerySet

from linli.accounts.models import Role
from linli.accounts.scope import LINK_WRITE_ROLES, Scope, scope_for
from linli.org import selectors as org_selectors
from linli.org.models import (
    STEPLEN,
    TOWN_DEPTH,
    Representative,
    Unit,
    UnitKind,
    ancestor_paths_of,
)

from .models import AnnualReport, ContactLog, Deliberation, HomeVisit

# Leaders and cadres who may keep a representative's records for them.
RECORD_ROLES = frozenset(LINK_WRITE_ROLES)
# Leaders who get the reminder summary of the representatives behind under them.
SUMMARY_ROLES = frozenset({Role.GROUP_LEADER, Role.AREA_LEADER, Role.VILLAGE})
# Unit kinds a deliberation event is held in.
DELIBERATION_KINDS = (UnitKind.VILLAGE, UnitKind.COMMUNITY, UnitKind.AREA, UnitKind.GROUP)
# Kinds of record that belong to one representative (a deliberation has organisers).
REP_RECORDS = (ContactLog, HomeVisit, AnnualReport)

NOTHING = Q(pk__in=[])


def _or(*filters: Q) -> Q:
    """The union of filters, where an empty `Q()` means everything (a superuser's): Django
    drops an empty operand (`Q() | x` is `x`), which would narrow "everything" to `x`."""
    if any(not f for f in filters):
        return Q()
    out = filters[0]
    for f in filters[1:]:
        out |= f
    return out


def _user_pk(user) -> int | None:
    return getattr(user, "pk", None)


def _holds(scope: Scope, roles, path: str) -> bool:
    """Does the scope hold one of `roles` at the unit with this path or above it?"""
    return scope.can(set(roles), path)


def _holds_q(scope: Scope, roles, field: str) -> Q:
    """`_holds` as a filter on a unit path `field`."""
    return scope.path_q(field, scope.paths_for(set(roles)))


# --- the representative themself ---------------------------------------------------------


def is_own(user, representative) -> bool:
    """Is this representative record the user's own (their account)?"""
    pk = _user_pk(user)
    return pk is not None and representative.user_id == pk


def own_q(user, prefix: str = "") -> Q:
    """`is_own` as a filter on representatives (`prefix` reaches them from another model)."""
    pk = _user_pk(user)
    return Q(**{f"{prefix}user_id": pk}) if pk is not None else NOTHING


# --- view ------------------------------------------------------------------------------------


def view_representatives_q(user, prefix: str = "") -> Q:
    """Representatives whose duties (records, what is owed, compliance) the user sees."""
    return org_selectors.representatives_q(user, prefix)


def can_view_representative(user, representative: Representative) -> bool:
    return org_selectors.can_see_representative(user, representative)


def view_q(user, model: type[Model]) -> Q:
    """Records of `model` the user sees: those of a representative they see (an event:
    one of its organisers)."""
    reps = Representative.objects.filter(view_representatives_q(user)).values("pk")
    if model is Deliberation:
        organised = Deliberation.organisers.through.objects.filter(representative__in=reps)
        return Q(pk__in=organised.values("deliberation_id"))
    _check_model(model)
    return Q(representative__in=reps)


def can_view(user, record) -> bool:
    if isinstance(record, Deliberation):
        return any(can_view_representative(user, r) for r in record.organisers.all())
    _check_model(type(record))
    return can_view_representative(user, record.representative)


# --- record (for a representative), record an event ----------------------------------------


def record_for_q(user, prefix: str = "") -> Q:
    """Representatives whose records the user may keep."""
    return _or(own_q(user, prefix), _holds_q(scope_for(user), RECORD_ROLES, f"{prefix}unit__path"))


def can_record_for(user, representative: Representative) -> bool:
    return is_own(user, representative) or _holds(
        scope_for(user), RECORD_ROLES, representative.unit.path
    )


def can_record_event(user, unit: Unit, organisers) -> bool:
    """May the user record a deliberation event held in `unit` by these organisers?"""
    return any(is_own(user, r) for r in organisers) or _holds(
        scope_for(user), RECORD_ROLES, unit.path
    )


# --- correct (and withdraw) ------------------------------------------------------------------


def correct_q(user, model: type[Model]) -> Q:
    """Records of `model` the user may correct or withdraw."""
    if model is Deliberation:
        by_organiser = Deliberation.organisers.through.objects.filter(
            own_q(user, "representative__")
        )
        return _or(
            Q(pk__in=by_organiser.values("deliberation_id")),
            _holds_q(scope_for(user), RECORD_ROLES, "unit__path"),
        )
    _check_model(model)
    return record_for_q(user, "representative__")


def can_correct(user, record) -> bool:
    if isinstance(record, Deliberation):
        return can_record_event(user, record.unit, record.organisers.all())
    _check_model(type(record))
    return can_record_for(user, record.representative)


# --- deliberation events: where, and who organises -------------------------------------------


@dataclass(frozen=True)
class _EventUnits:
    """The data of the "where an event is held" rule for one user."""

    scope: Scope
    kinds: tuple[str, ...]  # kinds of the units of their scope
    own_paths: frozenset[str]  # their own representative units and the units above them

    @classmethod
    def of(cls, user) -> _EventUnits:
        scope = scope_for(user)
        # Cadres of a town or above choose among villages: their groups would be thousands.
        broad = scope.is_superuser or any(len(p) // STEPLEN <= TOWN_DEPTH for p in scope.unit_paths)
        kinds = tuple(k for k in DELIBERATION_KINDS if not (broad and k == UnitKind.GROUP))
        own: set[str] = set()
        if scope.representative_ids:
            for path in Representative.objects.filter(pk__in=scope.representative_ids).values_list(
                "unit__path", flat=True
            ):
                own.update(ancestor_paths_of(path))
        return cls(scope, kinds, frozenset(own))


def deliberation_units_q(user) -> Q:
    """Units (a filter on `Unit`) the user may record a deliberation event in."""
    data = _EventUnits.of(user)
    q = data.scope.path_q("path", data.scope.unit_paths) & Q(kind__in=data.kinds)
    if data.own_paths:
        q = _or(q, Q(path__in=data.own_paths, kind__in=DELIBERATION_KINDS))
    return q


def can_hold_deliberation(user, unit: Unit) -> bool:
    data = _EventUnits.of(user)
    in_scope = data.scope.is_superuser or any(
        unit.path.startswith(p) for p in data.scope.unit_paths
    )
    if in_scope and unit.kind in data.kinds:
        return True
    return unit.path in data.own_paths and unit.kind in DELIBERATION_KINDS


def organisers_q(unit: Unit, prefix: str = "") -> Q:
    """Representatives (a filter) who may organise an event in `unit`: those serving in
    its subtree or in a unit above it."""
    return Q(**{f"{prefix}unit__path__startswith": unit.path}) | Q(
        **{f"{prefix}unit__path__in": unit.ancestor_paths()}
    )


def can_organise(representative: Representative, unit: Unit) -> bool:
    path = representative.unit.path
    return path.startswith(unit.path) or unit.path.startswith(path)


# --- the team pages, the reminder summaries --------------------------------------------------


def can_view_team(user) -> bool:
    """Does the user lead or serve over representatives (the team pages)?"""
    scope = scope_for(user)
    return scope.is_superuser or bool(scope.household_paths)


def summary_recipients_q(unit_path: str) -> Q:
    """Users (a filter on `User`) who get the summary of a unit's representatives behind."""
    return Q(
        role_assignments__role__in=SUMMARY_ROLES,
        role_assignments__unit__path__in=ancestor_paths_of(unit_path),
    )


def gets_summary(user, unit_path: str) -> bool:
    scope = scope_for(user)
    return any(unit_path.startswith(p) for p in scope.paths_for(set(SUMMARY_ROLES)))


# --- one entry point per form ----------------------------------------------------------------

ACTIONS = ("view", "record", "correct")


def action_q(user, model: type[Model], action: str = "view") -> Q:
    """The filter of `action` on `model`: representatives (view, record) or records (view,
    correct)."""
    if model is Representative:
        rules = {"view": view_representatives_q, "record": record_for_q}
        if action in rules:
            return rules[action](user)
    elif action == "view":
        return view_q(user, model)
    elif action == "correct":
        return correct_q(user, model)
    raise ValueError(f"no rule for {action!r} on {model.__name__}")


def restrict(qs: QuerySet, user, action: str = "view") -> QuerySet:
    """The queryset narrowed to what the user may `action`."""
    return qs.filter(action_q(user, qs.model, action))


def allows(user, action: str, obj) -> bool:
    """The check of `action` on one object (the object form of `action_q`)."""
    if isinstance(obj, Representative):
        checks = {"view": can_view_representative, "record": can_record_for}
        if action in checks:
            return checks[action](user, obj)
    elif action == "view":
        return can_view(user, obj)
    elif action == "correct":
        return can_correct(user, obj)
    raise ValueError(f"no rule for {action!r} on {type(obj).__name__}")


def _check_model(model) -> None:
    if model not in REP_RECORDS:
        raise ValueError(f"not a duty record: {model.__name__}")
