"""Every write of the responsibility and rights lists.

A unit's writers (`policy.can_write`) open a draft (one at a time per unit; it starts
from the unit's own entries of its latest published version), add, change and remove
the draft's entries, and publish it. Publishing checks the draft against the lists
above it in force on its `effective_from` (`rules.weakenings`) and refuses, writing
nothing, a draft that would weaken them. A published version is never edited. Every
write is audited in its own transaction.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.models import AuditAction
from linli.accounts.services import audit_record
from linli.core.errors import Conflict, Forbidden, InvalidInput
from linli.core.inputs import clean_text, in_window
from linli.core.timeutil import today
from linli.org.models import Unit

from . import policy, rules
from .models import CharterEntry, CharterStatus, CharterVersion, DutyLink, EntryKind

if TYPE_CHECKING:
    from linli.accounts.models import User

CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
TITLE_MAX = 200
TEXT_MAX = 2000
NOTE_MAX = 500
FLOOR_UNIT_MAX = 20
FLOOR_MAX = 10_000_000
ORDER_MAX = 32767


def _may_write(actor, unit: Unit) -> None:
    if not policy.can_write(actor, unit):
        raise Forbidden(
            _(
                "You may not write this list: the city's list is written by the city, a "
                "town's by its town staff, a village's by its cadres. A lower level extends "
                "the lists above it and never changes them."
            ),
            code="charter_not_yours",
        )


def _draft(version: CharterVersion) -> None:
    if version.status != CharterStatus.DRAFT:
        raise Conflict(
            _("A published version is never changed: open a new version instead."),
            code="charter_published",
        )


def _day(value: Any) -> dt.date:
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            value = None
    if not isinstance(value, dt.date) or not in_window(value):
        raise InvalidInput(_("The date is not valid."), code="date")
    return value


def _check_effective(unit: Unit, day: dt.date, *, exclude: int | None = None) -> None:
    """A new version takes effect after the unit's latest published one, and not in the
    past (the first version of a unit may record a list already in force)."""
    published = CharterVersion.objects.filter(unit=unit, status=CharterStatus.PUBLISHED)
    if exclude is not None:
        published = published.exclude(pk=exclude)
    latest = published.order_by("-effective_from").first()
    if latest is None:
        return
    if day <= latest.effective_from:
        raise InvalidInput(
            _("The new version must take effect after version %(n)d (%(day)s).")
            % {"n": latest.number, "day": latest.effective_from.isoformat()},
            code="charter_effective_order",
        )
    if day < today():
        raise InvalidInput(
            _("A new version cannot take effect in the past."), code="charter_effective_past"
        )


def _check_unit(unit: Unit) -> None:
    if unit.depth not in policy.WRITERS:
        raise InvalidInput(
            _("Only a city, a town (subdistrict) or a village (community) has a list."),
            code="charter_unit",
        )


# --- versions --------------------------------------------------------------------------------


def charter_draft_create(
    *, actor: User, unit: Unit, title: str, effective_from: Any, note: str = ""
) -> CharterVersion:
    """Open a draft of `unit`'s list, starting from the entries of its latest published
    version."""
    _check_unit(unit)
    _may_write(actor, unit)
    title = clean_text(title, _("Title"), TITLE_MAX, required=True, multiline=False)
    note = clean_text(note, _("What changed"), NOTE_MAX)
    day = _day(effective_from)
    _check_effective(unit, day)
    with transaction.atomic():
        Unit.objects.select_for_update().filter(pk=unit.pk).first()
        if CharterVersion.objects.filter(unit=unit, status=CharterStatus.DRAFT).exists():
            raise Conflict(
                _("This unit already has a draft: finish or change that one."),
                code="charter_draft_exists",
            )
        number = (CharterVersion.objects.filter(unit=unit).aggregate(n=Max("number"))["n"] or 0) + 1
        version = CharterVersion.objects.create(
            unit=unit,
            number=number,
            title=title,
            effective_from=day,
            note=note,
            created_by=actor,
        )
        latest = (
            CharterVersion.objects.filter(unit=unit, status=CharterStatus.PUBLISHED)
            .order_by("-number")
            .first()
        )
        copied = 0
        if latest is not None:
            rows = [
                CharterEntry(
                    version=version,
                    code=e.code,
                    kind=e.kind,
                    title=e.title,
                    text=e.text,
                    floor=e.floor,
                    floor_unit=e.floor_unit,
                    duty=e.duty,
                    order=e.order,
                )
                for e in latest.entries.all()
            ]
            CharterEntry.objects.bulk_create(rows)
            copied = len(rows)
        audit_record(
            actor=actor,
            action=AuditAction.CHARTER_DRAFT_CREATE,
            target=version,
            detail={
                "unit": unit.pk,
                "number": number,
                "effective_from": day.isoformat(),
                "copied_entries": copied,
            },
        )
    return version


def charter_draft_update(
    *,
    actor: User,
    version: CharterVersion,
    title: str | None = None,
    effective_from: Any = None,
    note: str | None = None,
) -> CharterVersion:
    """Change a draft's title, effective date or note."""
    _may_write(actor, version.unit)
    changed: dict[str, Any] = {}
    if title is not None:
        changed["title"] = clean_text(title, _("Title"), TITLE_MAX, required=True, multiline=False)
    if note is not None:
        changed["note"] = clean_text(note, _("What changed"), NOTE_MAX)
    if effective_from is not None:
        day = _day(effective_from)
        _check_effective(version.unit, day, exclude=version.pk)
        changed["effective_from"] = day
    with transaction.atomic():
        locked = CharterVersion.objects.select_for_update().get(pk=version.pk)
        _draft(locked)
        for name, value in changed.items():
            setattr(locked, name, value)
        if changed:
            locked.save(update_fields=list(changed))
        audit_record(
            actor=actor,
            action=AuditAction.CHARTER_DRAFT_UPDATE,
            target=locked,
            detail={k: str(v) for k, v in changed.items()},
        )
    for name, value in changed.items():
        setattr(version, name, value)
    return version


def charter_publish(*, actor: User, version: CharterVersion) -> CharterVersion:
    """Publish a draft: it is in force from its `effective_from` on. Refused, with
    nothing written, when it would weaken the lists above it."""
    _may_write(actor, version.unit)
    with transaction.atomic():
        locked = (
            CharterVersion.objects.select_for_update().select_related("unit").get(pk=version.pk)
        )
        _draft(locked)
        _check_effective(locked.unit, locked.effective_from, exclude=locked.pk)
        entries = list(locked.entries.all())
        if not entries:
            raise InvalidInput(
                _("The version has no entries: add at least one before publishing."),
                code="charter_empty",
            )
        inherited = rules.in_force(locked.unit, locked.effective_from, below=False).by_code()
        problems = rules.weakenings(inherited, entries)
        if problems:
            raise InvalidInput(
                " ".join(p.message for p in problems),
                code="charter_weakens",
                details={"problems": [{"code": p.code, "reason": p.reason} for p in problems]},
            )
        locked.status = CharterStatus.PUBLISHED
        locked.published_by = actor
        locked.published_at = timezone.now()
        locked.save(update_fields=["status", "published_by", "published_at"])
        audit_record(
            actor=actor,
            action=AuditAction.CHARTER_PUBLISH,
            target=locked,
            detail={
                "unit": locked.unit_id,
                "number": locked.number,
                "effective_from": locked.effective_from.isoformat(),
                "entries": [e.code for e in entries],
                "extends": sorted(e.code for e in entries if e.code in inherited),
            },
        )
    version.status, version.published_by, version.published_at = (
        locked.status,
        locked.published_by,
        locked.published_at,
    )
    return version


# --- entries ---------------------------------------------------------------------------------


def _clean_entry(data: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "code" in data or not partial:
        code = clean_text(data.get("code"), _("Entry code"), 40, required=True, multiline=False)
        code = code.lower()
        if not CODE_RE.match(code):
            raise InvalidInput(
                _(
                    "The code may hold lower-case letters, digits, '-' and '_' and starts "
                    "with a letter or digit."
                ),
                code="charter_code",
            )
        out["code"] = code
    if "kind" in data or not partial:
        if data.get("kind") not in EntryKind.values:
            raise InvalidInput(_("Choose responsibility or right."), code="charter_kind")
        out["kind"] = data["kind"]
    if "title" in data:
        out["title"] = clean_text(data.get("title"), _("Title"), TITLE_MAX, multiline=False)
    if "text" in data:
        out["text"] = clean_text(data.get("text"), _("Text"), TEXT_MAX)
    if "floor" in data:
        floor = data.get("floor")
        if floor is not None and (
            isinstance(floor, bool) or not isinstance(floor, int) or not 0 <= floor <= FLOOR_MAX
        ):
            raise InvalidInput(
                _("The floor is a whole number from 0 to %(n)d.") % {"n": FLOOR_MAX},
                code="charter_floor",
            )
        out["floor"] = floor
    if "floor_unit" in data:
        out["floor_unit"] = clean_text(
            data.get("floor_unit"), _("Unit of the floor"), FLOOR_UNIT_MAX, multiline=False
        )
    if "duty" in data:
        duty = data.get("duty") or ""
        if duty and duty not in DutyLink.values:
            raise InvalidInput(_("Choose a duty of the four ones."), code="charter_duty")
        out["duty"] = duty
    if "order" in data:
        order = data.get("order")
        if order is None:
            order = 0
        if isinstance(order, bool) or not isinstance(order, int) or not 0 <= order <= ORDER_MAX:
            raise InvalidInput(_("The order is not valid."), code="charter_order")
        out["order"] = order
    return out


def _check_entry(version: CharterVersion, entry: CharterEntry) -> None:
    """Refuse at once what publishing would refuse for this entry."""
    inherited = rules.in_force(version.unit, version.effective_from, below=False).by_code()
    if entry.code in inherited:
        # An extension: the inherited title and duty stand.
        entry.title, entry.duty = "", ""
    problems = rules.weakenings(inherited, [entry])
    if problems:
        raise InvalidInput(
            " ".join(p.message for p in problems),
            code="charter_weakens",
            details={"problems": [{"code": p.code, "reason": p.reason} for p in problems]},
        )


def charter_entry_add(*, actor: User, version: CharterVersion, **data: Any) -> CharterEntry:
    """Add an entry to a draft; with the code of an inherited entry, it extends it."""
    _may_write(actor, version.unit)
    fields = _clean_entry(data, partial=False)
    entry = CharterEntry(version=version, **fields)
    if entry.floor is None:
        entry.floor_unit = ""
    _check_entry(version, entry)
    with transaction.atomic():
        locked = CharterVersion.objects.select_for_update().get(pk=version.pk)
        _draft(locked)
        if CharterEntry.objects.filter(version=locked, code=entry.code).exists():
            raise Conflict(
                _("The version already has an entry %(code)s.") % {"code": entry.code},
                code="charter_code_taken",
            )
        try:
            with transaction.atomic():
                entry.save()
        except IntegrityError:
            raise Conflict(
                _("The version already has an entry %(code)s.") % {"code": entry.code},
                code="charter_code_taken",
            ) from None
        audit_record(
            actor=actor,
            action=AuditAction.CHARTER_ENTRY_ADD,
            target=entry,
            detail={"version": locked.pk, "code": entry.code, "floor": entry.floor},
        )
    return entry


def _refuse_inherited(actor, entry: CharterEntry) -> None:
    """A lower level's attempt on an entry of a list above it gets the plain reason."""
    if not policy.can_write(actor, entry.version.unit):
        raise Forbidden(
            _(
                "This entry belongs to the list of %(unit)s: a lower level may extend it "
                "(raise its floor, add a supplement) in its own version, never remove or "
                "change it."
            )
            % {"unit": entry.version.unit.name},
            code="charter_inherited",
        )


def charter_entry_update(*, actor: User, entry: CharterEntry, **data: Any) -> CharterEntry:
    """Change an entry of a draft."""
    _refuse_inherited(actor, entry)
    fields = _clean_entry(data, partial=True)
    for name, value in fields.items():
        setattr(entry, name, value)
    if entry.floor is None:
        entry.floor_unit = ""
    version = entry.version
    _check_entry(version, entry)
    with transaction.atomic():
        locked = CharterVersion.objects.select_for_update().get(pk=version.pk)
        _draft(locked)
        if (
            CharterEntry.objects.filter(version=locked, code=entry.code)
            .exclude(pk=entry.pk)
            .exists()
        ):
            raise Conflict(
                _("The version already has an entry %(code)s.") % {"code": entry.code},
                code="charter_code_taken",
            )
        entry.save(
            update_fields=[
                "code",
                "kind",
                "title",
                "text",
                "floor",
                "floor_unit",
                "duty",
                "order",
            ]
        )
        audit_record(
            actor=actor,
            action=AuditAction.CHARTER_ENTRY_UPDATE,
            target=entry,
            detail={"version": locked.pk, "code": entry.code, "changed": sorted(fields)},
        )
    return entry


def charter_entry_delete(*, actor: User, entry: CharterEntry) -> None:
    """Remove an entry of a draft (the unit's own; inherited entries are not its to
    remove)."""
    _refuse_inherited(actor, entry)
    with transaction.atomic():
        locked = CharterVersion.objects.select_for_update().get(pk=entry.version_id)
        _draft(locked)
        audit_record(
            actor=actor,
            action=AuditAction.CHARTER_ENTRY_DELETE,
            target=entry,
            detail={"version": locked.pk, "code": entry.code},
        )
        entry.delete()
