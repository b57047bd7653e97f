"""Every read of the responsibility and rights lists, scoped by `policy`.

"Does not exist" and "not yours" are the same `NotFound`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from linli.accounts.scope import scope_for
from linli.core.errors import NotFound
from linli.org.models import STEPLEN, VILLAGE_DEPTH, Representative, Unit

from . import policy, rules
from .models import CharterEntry, CharterStatus, CharterVersion
from .rules import Charter, EntryChange

# At most this many units are offered in the pages' choice of unit.
UNIT_CHOICES_MAX = 300


def list_unit_get(user, pk) -> Unit:
    """A unit whose list the user may look at."""
    unit = Unit.objects.filter(policy.list_units_q(user), pk=pk).first()
    if unit is None:
        raise NotFound(_("Unit not found."))
    return unit


def default_unit(user) -> Unit | None:
    """The unit whose list is "mine": a representative's unit, else the user's first unit
    (the top unit for a superuser without a role)."""
    scope = scope_for(user)
    if scope.representative_ids:
        rep = (
            Representative.objects.filter(pk__in=scope.representative_ids)
            .select_related("unit")
            .order_by("pk")
            .first()
        )
        if rep is not None:
            return rep.unit
    paths = scope.unit_paths
    if paths:
        return Unit.objects.filter(path__in=paths).order_by("depth", "path").first()
    if scope.is_superuser:
        return Unit.objects.filter(parent__isnull=True).order_by("path").first()
    return None


def unit_choices(user, current: Unit | None = None) -> list[Unit]:
    """Units to choose from on the pages: the user's own, the list-holding units (city,
    towns, villages) above them and in their scope."""
    scope = scope_for(user)
    if scope.is_superuser:
        where = Q()
    else:
        above = {p for p in policy.line_paths(user) if len(p) // STEPLEN <= VILLAGE_DEPTH}
        # Not `path_q(...) | ...` for a superuser: Django drops an empty Q from an OR.
        where = scope.path_q("path", scope.unit_paths) | Q(path__in=sorted(above))
    qs = Unit.objects.filter(where, depth__lte=VILLAGE_DEPTH).order_by("path")
    units = list(qs[:UNIT_CHOICES_MAX])
    own = default_unit(user)
    for extra in (own, current):
        if extra is not None and extra not in units:
            units.insert(0, extra)
    return units


def charter_for(user, unit: Unit, day: dt.date) -> Charter:
    """The list in force for `unit` on `day` (the caller fetched `unit` through
    `list_unit_get` or the user's own units)."""
    if not policy.can_view_list(user, unit):
        raise NotFound(_("Unit not found."))
    return rules.in_force(unit, day)


def versions_visible_to(user) -> QuerySet[CharterVersion]:
    return CharterVersion.objects.filter(policy.view_versions_q(user)).select_related(
        "unit", "published_by", "created_by"
    )


def versions_filtered(
    user, *, unit: Unit | None = None, status: str | None = None
) -> QuerySet[CharterVersion]:
    qs = versions_visible_to(user)
    if unit is not None:
        qs = qs.filter(unit=unit)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("unit__path", "-number")


def version_get(user, pk) -> CharterVersion:
    version = (
        versions_visible_to(user)
        .prefetch_related(Prefetch("entries", CharterEntry.objects.order_by("order", "id")))
        .filter(pk=pk)
        .first()
    )
    if version is None:
        raise NotFound(_("Version not found."))
    return version


def entry_get(user, pk) -> CharterEntry:
    entry = (
        CharterEntry.objects.filter(version__in=versions_visible_to(user).values("pk"), pk=pk)
        .select_related("version", "version__unit")
        .first()
    )
    if entry is None:
        raise NotFound(_("Entry not found."))
    return entry


def previous_version(version: CharterVersion) -> CharterVersion | None:
    """The unit's published version before this one."""
    return (
        CharterVersion.objects.filter(
            unit_id=version.unit_id, status=CharterStatus.PUBLISHED, number__lt=version.number
        )
        .order_by("-number")
        .first()
    )


@dataclass
class VersionView:
    """A version with what it inherits and what it changes (the history and the editor)."""

    version: CharterVersion
    inherited: Charter
    changes: list[EntryChange]
    previous: CharterVersion | None
    problems: list[rules.Weakening]
    can_write: bool


def version_view(user, version: CharterVersion) -> VersionView:
    inherited = rules.in_force(version.unit, version.effective_from, below=False)
    previous = previous_version(version)
    by_code = inherited.by_code()
    changes = rules.version_changes(version, previous, by_code)
    problems = rules.weakenings(by_code, version.entries.all()) if version.is_draft else []
    return VersionView(
        version=version,
        inherited=inherited,
        changes=changes,
        previous=previous,
        problems=problems,
        can_write=version.is_draft and policy.can_write(user, version.unit),
    )


def writable_units(user) -> QuerySet[Unit]:
    """Units whose list the user may write (the new-draft form)."""
    return Unit.objects.filter(policy.write_units_q(user)).order_by("path")
