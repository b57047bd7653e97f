"""Which list is in force, how the levels merge, and what a lower level may not do.

A read shared by the selectors (the list in force, the history) and the services (the
checks before a draft entry is saved and before a version is published). Kept apart
from `services.py` so that no read module imports the write module.

**The list in force** for a unit on a day is the merge, top down, of the versions in
force on that day of the city, the town (subdistrict) and the village (community) the
unit lies in (a unit below a village, an area or a group, has the village's list). A
level's version in force is its published version with the latest `effective_from` on
or before the day (the highest number on a tie).

**Merging**: an entry of a lower level whose code is already in the list extends that
entry: the floor in force is the highest of the levels' floors (so when the city raises
a floor above a town's, the city's figure holds, and a town's higher figure stays in
force while the city's is lower), its text is added as a supplement, and its kind,
title and duty stay those of the level that defined it. Any other code adds an entry,
marked with the level it comes from.

**Extend, never weaken** (`weakenings`): a draft may not give an inherited code
another kind, a floor below the inherited one, a floor where the inherited entry has
none, or another unit for the floor; nor measure an entry by a duty and a floor at
once. A lower level cannot remove an inherited entry: inherited entries are not in its
draft, and the lists above are not its to change (`policy.can_write`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from linli.duties.models import DutyRule
from linli.duties.rules import rule_on
from linli.org.models import VILLAGE_DEPTH, Unit, ancestor_paths_of

from .models import CharterEntry, CharterStatus, CharterVersion, DutyLink, EntryKind


@dataclass
class Supplement:
    unit: Unit
    text: str


@dataclass
class MergedEntry:
    """One entry of the list in force, with where it comes from."""

    code: str
    kind: str
    title: str
    text: str
    floor: int | None
    floor_unit: str
    duty: str
    order: int
    unit: Unit  # the level that defined it
    version: CharterVersion
    base_floor: int | None = None  # the defining level's floor
    raised_by: Unit | None = None  # the level whose floor is in force, when not `unit`
    supplements: list[Supplement] = field(default_factory=list)
    duty_text: str = ""

    @property
    def kind_label(self) -> str:
        return str(EntryKind(self.kind).label)

    @property
    def level_depth(self) -> int:
        return self.unit.depth


@dataclass
class Charter:
    """The list in force for `unit` on `day`."""

    unit: Unit
    day: dt.date
    levels: list[tuple[Unit, CharterVersion | None]]
    entries: list[MergedEntry]
    rule: DutyRule

    @property
    def responsibilities(self) -> list[MergedEntry]:
        return [e for e in self.entries if e.kind == EntryKind.RESPONSIBILITY]

    @property
    def rights(self) -> list[MergedEntry]:
        return [e for e in self.entries if e.kind == EntryKind.RIGHT]

    def by_code(self) -> dict[str, MergedEntry]:
        return {e.code: e for e in self.entries}


def level_paths(unit: Unit) -> list[str]:
    """The paths of the levels whose lists apply to `unit`: city, town, village."""
    return ancestor_paths_of(unit.path)[:VILLAGE_DEPTH]


def versions_in_force(paths: list[str], day: dt.date) -> dict[str, CharterVersion]:
    """Unit path -> its version in force on `day`, for the units with one."""
    found: dict[str, CharterVersion] = {}
    qs = (
        CharterVersion.objects.filter(
            unit__path__in=paths, status=CharterStatus.PUBLISHED, effective_from__lte=day
        )
        .select_related("unit", "published_by")
        .order_by("unit__depth", "-effective_from", "-number")
    )
    for version in qs:
        found.setdefault(version.unit.path, version)
    return found


def duty_text(duty: str, rule: DutyRule) -> str:
    """The measure of a duty under `rule`, in words (from the duty engine, never copied)."""
    if duty == DutyLink.CONTACT:
        return _("%(n)d contact(s) with each linked household every week") % {
            "n": rule.contacts_per_week
        }
    if duty == DutyLink.VISIT:
        return _("%(n)d home visit(s) to each linked household every month") % {
            "n": rule.visits_per_month
        }
    if duty == DutyLink.DELIBERATION:
        return _("%(n)d deliberation event(s) every quarter") % {
            "n": rule.deliberations_per_quarter
        }
    if duty == DutyLink.REPORT:
        return _(
            "%(n)d report(s) to the residents and %(n)d to the village committees every year"
        ) % {"n": rule.reports_per_year}
    return ""


def merge(
    levels: Iterable[tuple[Unit, Iterable[CharterEntry], CharterVersion]],
) -> dict[str, MergedEntry]:
    """Merge the levels' entries, top down (see the module's docstring)."""
    merged: dict[str, MergedEntry] = {}
    for unit, entries, version in levels:
        for entry in entries:
            have = merged.get(entry.code)
            if have is None:
                merged[entry.code] = MergedEntry(
                    code=entry.code,
                    kind=entry.kind,
                    title=entry.title,
                    text=entry.text,
                    floor=entry.floor,
                    floor_unit=entry.floor_unit,
                    duty=entry.duty,
                    order=entry.order,
                    unit=unit,
                    version=version,
                    base_floor=entry.floor,
                )
                continue
            if entry.floor is not None and (have.floor is None or entry.floor > have.floor):
                have.floor = entry.floor
                have.raised_by = unit
                have.floor_unit = have.floor_unit or entry.floor_unit
            if entry.text.strip():
                have.supplements.append(Supplement(unit, entry.text))
    return merged


def in_force(unit: Unit, day: dt.date, *, below: bool = True) -> Charter:
    """The list in force for `unit` on `day`. With `below=False` the unit's own level is
    left out: what a draft of that unit inherits."""
    paths = level_paths(unit)
    if not below:
        paths = [p for p in paths if p != unit.path]
    versions = versions_in_force(paths, day)
    units = {u.path: u for u in Unit.objects.filter(path__in=paths)}
    entries_of: dict[int, list[CharterEntry]] = {}
    for entry in CharterEntry.objects.filter(version__in=list(versions.values())).order_by(
        "order", "id"
    ):
        entries_of.setdefault(entry.version_id, []).append(entry)
    chain = [(units[p], versions.get(p)) for p in paths if p in units]
    merged = merge((u, entries_of.get(v.pk, []), v) for u, v in chain if v is not None)
    rule = rule_on(day)
    entries = sorted(merged.values(), key=lambda e: (e.unit.depth, e.order, e.code))
    for e in entries:
        e.duty_text = duty_text(e.duty, rule)
    return Charter(unit=unit, day=day, levels=chain, entries=entries, rule=rule)


# --- extend, never weaken ----------------------------------------------------------------------


@dataclass(frozen=True)
class Weakening:
    code: str
    reason: str  # kind | lower | floor_added | floor_unit | duty_and_floor | untitled
    message: str


def _name(e: MergedEntry) -> str:
    return f"{e.title}（{e.code}）"


def weakenings(
    inherited: dict[str, MergedEntry], entries: Iterable[CharterEntry]
) -> list[Weakening]:
    """What in `entries` (a draft's own) would weaken the inherited list, or is not a
    whole entry; empty when the draft may be published."""
    out: list[Weakening] = []
    for entry in entries:
        parent = inherited.get(entry.code)
        if parent is None:
            if entry.duty and entry.floor is not None:
                out.append(
                    Weakening(
                        entry.code,
                        "duty_and_floor",
                        _(
                            "%(code)s: an entry measured by a duty takes its figure from the "
                            "duty rules and cannot also have a floor."
                        )
                        % {"code": entry.code},
                    )
                )
            if not entry.title.strip():
                out.append(
                    Weakening(
                        entry.code,
                        "untitled",
                        _(
                            "%(code)s has no title: it extends no entry of the lists above "
                            "(any more), so it needs a title of its own."
                        )
                        % {"code": entry.code},
                    )
                )
            continue
        if entry.kind != parent.kind:
            out.append(
                Weakening(
                    entry.code,
                    "kind",
                    _(
                        "%(entry)s is a %(kind)s of the list above; a lower level cannot "
                        "make it a %(new)s."
                    )
                    % {
                        "entry": _name(parent),
                        "kind": EntryKind(parent.kind).label,
                        "new": EntryKind(entry.kind).label,
                    },
                )
            )
        if entry.floor is None:
            continue
        if parent.floor is None:
            out.append(
                Weakening(
                    entry.code,
                    "floor_added",
                    _(
                        "%(entry)s has no figure in the list above, so there is no floor "
                        "to raise; add an entry of your own instead."
                    )
                    % {"entry": _name(parent)},
                )
            )
        elif entry.floor < parent.floor:
            out.append(
                Weakening(
                    entry.code,
                    "lower",
                    _(
                        "%(entry)s is at least %(floor)s %(unit)s in the list above; a lower "
                        "level may raise it but not lower it to %(new)s."
                    )
                    % {
                        "entry": _name(parent),
                        "floor": parent.floor,
                        "unit": parent.floor_unit,
                        "new": entry.floor,
                    },
                )
            )
        if entry.floor_unit and parent.floor_unit and entry.floor_unit != parent.floor_unit:
            out.append(
                Weakening(
                    entry.code,
                    "floor_unit",
                    _("%(entry)s is counted in %(unit)s in the list above; keep that unit.")
                    % {"entry": _name(parent), "unit": parent.floor_unit},
                )
            )
    return out


# --- history: what a version changed -----------------------------------------------------------


@dataclass
class EntryChange:
    code: str
    title: str
    change: str  # added | removed | changed | raised | supplemented
    old_floor: int | None = None
    new_floor: int | None = None


def version_changes(
    version: CharterVersion, previous: CharterVersion | None, inherited: dict[str, MergedEntry]
) -> list[EntryChange]:
    """What `version` adds or raises over the list it inherits, and what it changed
    against the unit's previous published version."""
    own = list(version.entries.all())
    before = {e.code: e for e in previous.entries.all()} if previous else {}
    out: list[EntryChange] = []
    for e in own:
        parent = inherited.get(e.code)
        if parent is not None:
            if e.floor is not None and (parent.floor is None or e.floor > parent.floor):
                out.append(EntryChange(e.code, parent.title, "raised", parent.floor, e.floor))
            if e.text.strip():
                out.append(EntryChange(e.code, parent.title, "supplemented"))
            continue
        old = before.get(e.code)
        if previous is None or old is None:
            out.append(EntryChange(e.code, e.title, "added", None, e.floor))
        elif (old.title, old.text, old.floor, old.kind, old.duty) != (
            e.title,
            e.text,
            e.floor,
            e.kind,
            e.duty,
        ):
            out.append(EntryChange(e.code, e.title, "changed", old.floor, e.floor))
    codes = {e.code for e in own}
    for code, old in before.items():
        if code not in codes:
            out.append(EntryChange(code, old.title or code, "removed", old.floor, None))
    return out
