"""Request and response shapes of the charter API (the responsibility and rights list)."""

import datetime as dt
from typing import Annotated, Any

from ninja import Field, Schema

from linli.core.inputs import Day, Id, Line, SmallCount, Text, bounded

from .models import CharterEntry, CharterStatus, CharterVersion, DutyLink, EntryKind
from .rules import Charter, EntryChange, MergedEntry, Weakening
from .services import FLOOR_MAX

Floor = Annotated[int, bounded(0, FLOOR_MAX)]


class CharterQuery(Schema):
    unit: Id | None = Field(None, description="The list in force for this unit.")
    representative: Id | None = Field(
        None, description="The list in force for this representative (their unit)."
    )
    day: Day | None = Field(None, description="On this day (default today).")


class CharterSupplementOut(Schema):
    unit_id: int
    unit_name: str
    text: str


class CharterItemOut(Schema):
    """An entry of the list in force, marked with the level it comes from."""

    code: str
    kind: EntryKind
    title: str
    text: str
    floor: int | None = Field(description="The floor in force: the highest of the levels'.")
    floor_unit: str
    base_floor: int | None = Field(description="The floor of the level that defined it.")
    duty: str = Field(description="The duty of the four ones that measures it, or empty.")
    duty_text: str = Field(description="The duty rule in force, in words (from the duty engine).")
    unit_id: int = Field(description="The level (unit) the entry comes from.")
    unit_name: str
    version_id: int
    version_number: int
    raised_by_unit_id: int | None = Field(
        description="The lower level whose higher floor is in force, if any."
    )
    raised_by_unit_name: str | None
    supplements: list[CharterSupplementOut]


class CharterLevelOut(Schema):
    unit_id: int
    unit_name: str
    unit_kind: str
    version_id: int | None
    version_number: int | None
    effective_from: dt.date | None


class CharterInForceOut(Schema):
    unit_id: int
    unit_name: str
    day: dt.date
    duty_rule_from: dt.date = Field(description="Effective date of the duty rule in force.")
    levels: list[CharterLevelOut]
    responsibilities: list[CharterItemOut]
    rights: list[CharterItemOut]


class CharterVersionOut(Schema):
    id: int
    unit_id: int
    unit_name: str
    number: int
    title: str
    effective_from: dt.date
    status: CharterStatus
    note: str
    created_at: dt.datetime
    published_by_name: str | None
    published_at: dt.datetime | None

    # Built from a model (the paged list) or from `version_out` (the detail).
    @staticmethod
    def resolve_unit_name(obj: Any) -> str:
        return str(obj["unit_name"] if isinstance(obj, dict) else obj.unit.name)

    @staticmethod
    def resolve_published_by_name(obj: Any) -> str | None:
        if isinstance(obj, dict):
            return obj["published_by_name"]
        return obj.published_by.name if obj.published_by_id else None


class CharterEntryOut(Schema):
    id: int
    version_id: int
    code: str
    kind: EntryKind
    title: str
    text: str
    floor: int | None
    floor_unit: str
    duty: str
    order: int


class CharterChangeOut(Schema):
    code: str
    title: str
    change: str = Field(description="added | removed | changed | raised | supplemented")
    old_floor: int | None
    new_floor: int | None


class CharterProblemOut(Schema):
    code: str
    reason: str
    message: str


class CharterVersionDetailOut(CharterVersionOut):
    entries: list[CharterEntryOut]
    changes: list[CharterChangeOut] = Field(
        description="What the version adds or raises over the lists above, and what it "
        "changed against the unit's previous version."
    )
    inherited: list[CharterItemOut] = Field(
        description="The lists above it in force on its effective date (read-only)."
    )
    problems: list[CharterProblemOut] = Field(
        description="A draft: what publishing would refuse (empty when it may be published)."
    )


class CharterVersionFilters(Schema):
    unit: Id | None = Field(None, description="Only this unit's versions.")
    status: CharterStatus | None = None


class CharterDraftIn(Schema):
    unit_id: Id
    title: Annotated[str, Line(200)]
    effective_from: Day
    note: Annotated[str, Text(500)] = ""


class CharterDraftPatch(Schema):
    title: Annotated[str, Line(200)] | None = None
    effective_from: Day | None = None
    note: Annotated[str, Text(500)] | None = None


class CharterEntryIn(Schema):
    code: Annotated[str, Line(40)] = Field(
        description="Stable code; the code of an inherited entry extends that entry."
    )
    kind: EntryKind
    title: Annotated[str, Line(200)] = ""
    text: Annotated[str, Text(2000)] = ""
    floor: Floor | None = None
    floor_unit: Annotated[str, Line(20)] = ""
    duty: DutyLink | None = None
    order: SmallCount = 0


class CharterEntryPatch(Schema):
    code: Annotated[str, Line(40)] | None = None
    kind: EntryKind | None = None
    title: Annotated[str, Line(200)] | None = None
    text: Annotated[str, Text(2000)] | None = None
    floor: Floor | None = None
    floor_unit: Annotated[str, Line(20)] | None = None
    duty: DutyLink | None = None
    order: SmallCount | None = None


# --- building the answers -----------------------------------------------------------------------


def item_out(e: MergedEntry) -> dict[str, Any]:
    return {
        "code": e.code,
        "kind": e.kind,
        "title": e.title,
        "text": e.text,
        "floor": e.floor,
        "floor_unit": e.floor_unit,
        "base_floor": e.base_floor,
        "duty": e.duty,
        "duty_text": e.duty_text,
        "unit_id": e.unit.pk,
        "unit_name": e.unit.name,
        "version_id": e.version.pk,
        "version_number": e.version.number,
        "raised_by_unit_id": e.raised_by.pk if e.raised_by else None,
        "raised_by_unit_name": e.raised_by.name if e.raised_by else None,
        "supplements": [
            {"unit_id": s.unit.pk, "unit_name": s.unit.name, "text": s.text} for s in e.supplements
        ],
    }


def in_force_out(c: Charter) -> dict[str, Any]:
    return {
        "unit_id": c.unit.pk,
        "unit_name": c.unit.name,
        "day": c.day,
        "duty_rule_from": c.rule.effective_from,
        "levels": [
            {
                "unit_id": u.pk,
                "unit_name": u.name,
                "unit_kind": u.kind,
                "version_id": v.pk if v else None,
                "version_number": v.number if v else None,
                "effective_from": v.effective_from if v else None,
            }
            for u, v in c.levels
        ],
        "responsibilities": [item_out(e) for e in c.responsibilities],
        "rights": [item_out(e) for e in c.rights],
    }


def version_out(v: CharterVersion) -> dict[str, Any]:
    return {
        "id": v.pk,
        "unit_id": v.unit_id,
        "unit_name": v.unit.name,
        "number": v.number,
        "title": v.title,
        "effective_from": v.effective_from,
        "status": v.status,
        "note": v.note,
        "created_at": v.created_at,
        "published_by_name": v.published_by.name if v.published_by else None,
        "published_at": v.published_at,
    }


def entry_out(e: CharterEntry) -> dict[str, Any]:
    return {
        "id": e.pk,
        "version_id": e.version_id,
        "code": e.code,
        "kind": e.kind,
        "title": e.title,
        "text": e.text,
        "floor": e.floor,
        "floor_unit": e.floor_unit,
        "duty": e.duty,
        "order": e.order,
    }


def change_out(c: EntryChange) -> dict[str, Any]:
    return {
        "code": c.code,
        "title": c.title,
        "change": c.change,
        "old_floor": c.old_floor,
        "new_floor": c.new_floor,
    }


def problem_out(p: Weakening) -> dict[str, Any]:
    return {"code": p.code, "reason": p.reason, "message": p.message}
