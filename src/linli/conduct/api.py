"""The conduct API under /api/v1/conduct/: the negative list, breach records, their
statement, review and evidence. Thin: ids go through scoped selectors (404 for "not
yours"), writes through `services`."""

from django.utils.translation import gettext as _
from ninja import File, Query, Router
from ninja.files import UploadedFile
from ninja.pagination import paginate
from ninja.responses import Status

from linli.core.api_schemas import WRITE_ERRORS, Paged, errors
from linli.core.apiparams import JsonOrMultipart
from linli.core.errors import InvalidInput
from linli.core.idempotency import idempotent
from linli.core.inputs import Id
from linli.org import selectors as org_selectors

from . import policy, selectors, services
from .models import Breach
from .schemas import (
    BreachDecisionIn,
    BreachDetailOut,
    BreachFilters,
    BreachIn,
    BreachOut,
    BreachStatementIn,
    BreachWithdrawIn,
    ConductEntryFilters,
    ConductEntryIn,
    ConductEntryOut,
    ConductEntryUpdateIn,
    EvidenceAddedOut,
)

router = Router(tags=["conduct"])

MULTIPART = (
    " Send JSON, or multipart/form-data with the same JSON in the `payload` field and the "
    "files beside it: `photos` (images, checked by content and re-encoded without metadata) "
    "and `documents` (PDF, Word, plain text, JPEG or PNG, at most 20 MB each; at most "
    f"{services.DOCUMENT_MAX_COUNT} per record)."
)


def _json_too(schema: type) -> dict:
    ref = {"$ref": f"#/components/schemas/{schema.__name__}"}
    return {"requestBody": {"content": {"application/json": {"schema": ref}}}}


# --- the catalogue ------------------------------------------------------------------------


@router.get(
    "/conduct/entries",
    response={200: list[ConductEntryOut], **errors(400, 401)},
    summary="The negative list",
    description="The city's entries and those of the caller's towns.",
)
@paginate(Paged)
def entry_list(request, filters: Query[ConductEntryFilters]):
    qs = selectors.entries_visible_to(request.user)
    if filters.active is not None:
        qs = qs.filter(active=filters.active)
    if filters.severity:
        qs = qs.filter(severity=filters.severity)
    return qs


@router.post(
    "/conduct/entries",
    response={201: ConductEntryOut, **WRITE_ERRORS},
    summary="Add an entry to the negative list",
    description="To the city's list (administrator or command centre at the city), or with "
    "`unit_id` to a town's own list (town staff or above over the town).",
)
def entry_create(request, payload: ConductEntryIn):
    unit = org_selectors.unit_get(request.user, payload.unit_id) if payload.unit_id else None
    entry = services.entry_create(
        actor=request.user,
        unit=unit,
        code=payload.code,
        title=payload.title,
        severity=payload.severity,
        description=payload.description,
    )
    return Status(201, entry)


@router.put(
    "/conduct/entries/{entry_id}",
    response={200: ConductEntryOut, **WRITE_ERRORS},
    summary="Change or deactivate an entry",
    description="Only the list's own writers: a town never changes the city's entries.",
)
def entry_update(request, entry_id: Id, payload: ConductEntryUpdateIn):
    entry = selectors.entry_get(request.user, entry_id)
    return services.entry_update(
        actor=request.user,
        entry=entry,
        title=payload.title,
        severity=payload.severity,
        description=payload.description,
        active=payload.active,
    )


# --- breach records -------------------------------------------------------------------------


@router.get(
    "/conduct/breaches",
    response={200: list[BreachOut], **errors(400, 401, 404)},
    summary="Breach records (the review queue)",
)
@paginate(Paged)
def breach_list(request, filters: Query[BreachFilters]):
    unit = org_selectors.unit_get(request.user, filters.unit) if filters.unit else None
    return selectors.breaches_filtered(
        request.user,
        stage=filters.stage or "",
        severity=filters.severity or "",
        unit=unit,
        overdue=filters.overdue,
        q=filters.q,
        mine=filters.mine,
    )


def _detail(request, breach: Breach) -> Breach:
    breach = (
        Breach.objects.select_related(
            "representative", "unit", "entry", "reported_by", "statement_by"
        )
        .prefetch_related("evidence")
        .get(pk=breach.pk)
    )
    breach.timeline = selectors.history_for(request.user, breach)  # type: ignore[attr-defined]
    breach.actions = selectors.actions_for(request.user, breach)  # type: ignore[attr-defined]
    if policy.is_own(request.user, breach):
        # Not saved: the representative is not told who reported them, nor which resident.
        breach.source = ""
        breach.reporter_label = ""  # type: ignore[attr-defined]
    return breach


@router.get(
    "/conduct/breaches/{breach_id}",
    response={200: BreachDetailOut, **errors(400, 401, 404)},
    summary="A breach record with its evidence, history and the caller's actions",
)
def breach_detail(request, breach_id: Id):
    return _detail(request, selectors.breach_get(request.user, breach_id))


@router.post(
    "/conduct/breaches",
    response={201: BreachDetailOut, **WRITE_ERRORS},
    summary="Report a breach",
    description="Against a representative of the caller's units, for an active entry that "
    "binds them. The representative has `CONDUCT_RESPONSE_DAYS` days (7) to give a "
    "statement." + MULTIPART,
    openapi_extra=_json_too(BreachIn),
)
@idempotent("conduct.breach")
def breach_create(
    request,
    payload: JsonOrMultipart[BreachIn],
    photos: File[list[UploadedFile]] = None,  # type: ignore[assignment]
    documents: File[list[UploadedFile]] = None,  # type: ignore[assignment]
):
    rep = org_selectors.representative_get(request.user, payload.representative_id)
    entry = selectors.entries_visible_to(request.user).filter(pk=payload.entry_id).first()
    if entry is None:
        raise InvalidInput(_("Choose an entry of the negative list."), code="breach_entry")
    breach = services.breach_report(
        actor=request.user,
        representative=rep,
        entry=entry,
        description=payload.description,
        occurred_on=payload.occurred_on,
        place=payload.place,
        source=payload.source,
        photos=photos,
        documents=documents,
    )
    return Status(201, _detail(request, breach))


@router.post(
    "/conduct/breaches/{breach_id}/statement",
    response={200: BreachDetailOut, **WRITE_ERRORS},
    summary="Record the representative's statement",
    description="By the representative, or by a leader or cadre over them writing down what "
    "they said. A later statement replaces it until the review.",
)
def breach_statement(request, breach_id: Id, payload: BreachStatementIn):
    breach = selectors.breach_get(request.user, breach_id)
    services.breach_statement(actor=request.user, breach=breach, text=payload.text)
    return _detail(request, breach)


@router.post(
    "/conduct/breaches/{breach_id}/confirm",
    response={200: BreachDetailOut, **WRITE_ERRORS},
    summary="Confirm a breach (review)",
    description="Town staff or above, not the reporter; a reason is required. Refused (409 "
    "`breach_not_heard`) before the statement is recorded or the response window has passed.",
)
def breach_confirm(request, breach_id: Id, payload: BreachDecisionIn):
    breach = selectors.breach_get(request.user, breach_id)
    services.breach_confirm(actor=request.user, breach=breach, reason=payload.reason)
    return _detail(request, breach)


@router.post(
    "/conduct/breaches/{breach_id}/dismiss",
    response={200: BreachDetailOut, **WRITE_ERRORS},
    summary="Dismiss a breach (review)",
    description="Town staff or above, not the reporter; a reason is required.",
)
def breach_dismiss(request, breach_id: Id, payload: BreachDecisionIn):
    breach = selectors.breach_get(request.user, breach_id)
    services.breach_dismiss(actor=request.user, breach=breach, reason=payload.reason)
    return _detail(request, breach)


@router.post(
    "/conduct/breaches/{breach_id}/withdraw",
    response={200: BreachDetailOut, **WRITE_ERRORS},
    summary="Withdraw a report (the reporter, before the review)",
)
def breach_withdraw(request, breach_id: Id, payload: BreachWithdrawIn):
    breach = selectors.breach_get(request.user, breach_id)
    services.breach_withdraw(actor=request.user, breach=breach, reason=payload.reason)
    return _detail(request, breach)


@router.post(
    "/conduct/breaches/{breach_id}/evidence",
    response={201: EvidenceAddedOut, **WRITE_ERRORS},
    summary="Add evidence to an open breach record",
    description="multipart/form-data with `photos` and/or `documents` (see reporting). The "
    "reporter, a reviewer or the representative.",
)
def breach_evidence(
    request,
    breach_id: Id,
    photos: File[list[UploadedFile]] = None,  # type: ignore[assignment]
    documents: File[list[UploadedFile]] = None,  # type: ignore[assignment]
):
    breach = selectors.breach_get(request.user, breach_id)
    added = services.breach_evidence_add(
        actor=request.user, breach=breach, photos=photos, documents=documents
    )
    return Status(201, {"added": added})


__all__ = ["router"]
