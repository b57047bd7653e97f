"""The charter API under /api/v1/charter/: the list in force (for a unit, a representative
or me), the versions of the lists, and drafts (open, change, add and change entries,
publish).

Thin: every id is fetched through a scoped selector (404 for "not yours"), every write
goes through a service (403 `charter_not_yours` / `charter_inherited`, 409
`charter_published`, 400 `charter_weakens` with `details.problems`).
"""

from typing import Any

from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.pagination import paginate
from ninja.responses import Status

from linli.core.api_schemas import WRITE_ERRORS, Paged, errors
from linli.core.errors import InvalidInput, NotFound
from linli.core.inputs import Id
from linli.core.timeutil import today
from linli.org import selectors as org_selectors

from . import selectors, services
from .schemas import (
    CharterDraftIn,
    CharterDraftPatch,
    CharterEntryIn,
    CharterEntryOut,
    CharterEntryPatch,
    CharterInForceOut,
    CharterQuery,
    CharterVersionDetailOut,
    CharterVersionFilters,
    CharterVersionOut,
    change_out,
    entry_out,
    in_force_out,
    item_out,
    problem_out,
    version_out,
)

router = Router(tags=["charter"])


@router.get(
    "/charter/in-force",
    response={200: CharterInForceOut, **errors(400, 401, 404)},
    summary="The responsibility and rights list in force",
    description="For `unit`, for `representative` (their unit), or, with neither, for me "
    "(a representative's unit, else my first unit). The lists of the city, the town and the "
    "village merged; each entry names the level it comes from; measurable duties show the "
    "duty rule in force.",
)
def in_force(request, filters: Query[CharterQuery]):
    user = request.user
    if filters.representative is not None:
        unit = org_selectors.representative_get(user, filters.representative).unit
    elif filters.unit is not None:
        unit = selectors.list_unit_get(user, filters.unit)
    else:
        found = selectors.default_unit(user)
        if found is None:
            raise NotFound(_("You have no unit: ask an administrator for a role."))
        unit = found
    charter = selectors.charter_for(user, unit, filters.day or today())
    return in_force_out(charter)


@router.get(
    "/charter/versions",
    response={200: list[CharterVersionOut], **errors(400, 401, 404)},
    summary="List the versions of the lists",
    description="Published versions of the lists on my line (my units, those above and "
    "below them); drafts of the lists I write.",
)
@paginate(Paged)
def version_list(request, filters: Query[CharterVersionFilters]):
    unit = selectors.list_unit_get(request.user, filters.unit) if filters.unit else None
    return selectors.versions_filtered(request.user, unit=unit, status=filters.status)


def _detail(user, version_id: int) -> dict[str, Any]:
    version = selectors.version_get(user, version_id)
    view = selectors.version_view(user, version)
    return {
        **version_out(version),
        "entries": [entry_out(e) for e in version.entries.all()],
        "changes": [change_out(c) for c in view.changes],
        "inherited": [item_out(e) for e in view.inherited.entries],
        "problems": [problem_out(p) for p in view.problems],
    }


@router.get(
    "/charter/versions/{version_id}",
    response={200: CharterVersionDetailOut, **errors(400, 401, 404)},
    summary="One version: its entries, what it changed, what it inherits",
)
def version_detail(request, version_id: Id):
    return _detail(request.user, version_id)


@router.post(
    "/charter/versions",
    response={201: CharterVersionDetailOut, **WRITE_ERRORS},
    summary="Open a draft of a unit's list",
    description="It starts from the unit's latest published version. One draft per unit "
    "(409 `charter_draft_exists`); it takes effect after the unit's latest version and "
    "not in the past.",
)
def version_create(request, payload: CharterDraftIn):
    unit = selectors.list_unit_get(request.user, payload.unit_id)
    version = services.charter_draft_create(
        actor=request.user,
        unit=unit,
        title=payload.title,
        effective_from=payload.effective_from,
        note=payload.note,
    )
    return Status(201, _detail(request.user, version.pk))


@router.patch(
    "/charter/versions/{version_id}",
    response={200: CharterVersionDetailOut, **WRITE_ERRORS},
    summary="Change a draft's title, effective date or note",
)
def version_update(request, version_id: Id, payload: CharterDraftPatch):
    version = selectors.version_get(request.user, version_id)
    services.charter_draft_update(
        actor=request.user, version=version, **payload.dict(exclude_unset=True)
    )
    return _detail(request.user, version_id)


@router.post(
    "/charter/versions/{version_id}/publish",
    response={200: CharterVersionDetailOut, **WRITE_ERRORS},
    summary="Publish a draft",
    description="Refused (400 `charter_weakens`, `details.problems`), with nothing written, "
    "when the draft removes, lowers or changes the kind of an entry of the lists above.",
)
def version_publish(request, version_id: Id):
    version = selectors.version_get(request.user, version_id)
    services.charter_publish(actor=request.user, version=version)
    return _detail(request.user, version_id)


def _entry_data(data: dict[str, Any]) -> dict[str, Any]:
    if "duty" in data:
        data["duty"] = data["duty"] or ""
    return data


@router.post(
    "/charter/versions/{version_id}/entries",
    response={201: CharterEntryOut, **WRITE_ERRORS},
    summary="Add an entry to a draft",
    description="With the code of an entry of the lists above it extends that entry: "
    "a higher floor, a supplementary text; never a lower floor or another kind.",
)
def entry_create(request, version_id: Id, payload: CharterEntryIn):
    version = selectors.version_get(request.user, version_id)
    entry = services.charter_entry_add(
        actor=request.user, version=version, **_entry_data(payload.dict())
    )
    return Status(201, entry_out(entry))


@router.patch(
    "/charter/entries/{entry_id}",
    response={200: CharterEntryOut, **WRITE_ERRORS},
    summary="Change an entry of a draft",
    description="Only the fields sent are changed; send `floor: null` to clear the floor.",
)
def entry_update(request, entry_id: Id, payload: CharterEntryPatch):
    entry = selectors.entry_get(request.user, entry_id)
    data = payload.dict(exclude_unset=True)
    for name in ("code", "kind", "title", "text", "floor_unit", "order"):
        if name in data and data[name] is None:
            raise InvalidInput(
                _("%(field)s cannot be null.") % {"field": name}, code="charter_null"
            )
    entry = services.charter_entry_update(actor=request.user, entry=entry, **_entry_data(data))
    return entry_out(entry)


@router.delete(
    "/charter/entries/{entry_id}",
    response={200: CharterEntryOut, **WRITE_ERRORS},
    summary="Remove an entry of a draft",
    description="Only the draft's own entries: an entry of a list above is refused "
    "(403 `charter_inherited`), a published one too (409 `charter_published`).",
)
def entry_delete(request, entry_id: Id):
    entry = selectors.entry_get(request.user, entry_id)
    out = entry_out(entry)
    services.charter_entry_delete(actor=request.user, entry=entry)
    return out
