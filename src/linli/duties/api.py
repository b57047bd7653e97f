"""The duties API under /api/v1/duties/: contacts, home visits, deliberation
events and yearly reports (list, create, correct, withdraw), what is still
owed now, and compliance per representative with the unit's rollup.

Handlers are thin: every id is fetched through a scoped selector (404 for
"not yours"), every write goes through a service (403 `not_your_record`, 400
`not_linked`, `date_too_late`, `already_corrected` ...).
"""

from django.utils.translation import gettext as _
from ninja import File, Query, Router
from ninja.files import UploadedFile
from ninja.pagination import paginate
from ninja.responses import Status

from linli.core.api_schemas import WRITE_ERRORS, Paged, errors
from linli.core.apiparams import JsonOrMultipart
from linli.core.errors import InvalidInput, NotFound
from linli.core.idempotency import idempotent
from linli.core.inputs import Id
from linli.core.timeutil import today
from linli.org import selectors as org_selectors

from . import queries, selectors, services
from .models import CURRENT
from .schemas import (
    ComplianceOut,
    ComplianceQuery,
    ContactIn,
    ContactOut,
    DeliberationFilters,
    DeliberationIn,
    DeliberationOut,
    HouseholdRecordFilters,
    OwedOut,
    ReportFilters,
    ReportIn,
    ReportOut,
    VisitIn,
    VisitOut,
    WithdrawIn,
    rep_out,
    unit_out,
)

router = Router(tags=["duties"])
VISIBLE = {
    "contact": selectors.contacts_visible_to,
    "visit": selectors.visits_visible_to,
    "report": selectors.reports_visible_to,
}


def _representative(request, pk: int | None):
    """The representative named, in scope; or the caller's own."""
    if pk is not None:
        return selectors.representative_get(request.user, pk)
    rep = selectors.my_representative(request.user)
    if rep is None:
        raise InvalidInput(
            _("Name the representative: you are not a serving representative."),
            code="representative",
        )
    return rep


def _json_too(schema: type) -> dict:
    """OpenAPI: the body may also be plain JSON (ninja lists the multipart form only)."""
    ref = {"$ref": f"#/components/schemas/{schema.__name__}"}
    return {"requestBody": {"content": {"application/json": {"schema": ref}}}}


MULTIPART = (
    " Send JSON, or multipart/form-data with the same JSON in the `payload` field and the "
    "files beside it."
)


def _supersedes(request, kind: str, pk: int | None):
    return selectors.record_get(request.user, kind, pk) if pk is not None else None


def _filtered(request, kind: str, filters):
    """A scoped list of one kind of record, narrowed by the filters."""
    qs = VISIBLE[kind](request.user).order_by("-day", "-id")
    if filters.representative is not None:
        rep = selectors.representative_get(request.user, filters.representative)
        qs = qs.filter(representative=rep)
    if filters.current:
        qs = qs.filter(CURRENT)
    if filters.start:
        qs = qs.filter(day__gte=filters.start)
    if filters.end:
        qs = qs.filter(day__lte=filters.end)
    return qs


# --- contacts ------------------------------------------------------------------------------


@router.get(
    "/duties/contacts",
    response={200: list[ContactOut], **errors(400, 401, 404)},
    summary="List contacts",
)
@paginate(Paged)
def contact_list(request, filters: Query[HouseholdRecordFilters]):
    qs = _filtered(request, "contact", filters).select_related("appeal")
    if filters.household is not None:
        qs = qs.filter(household_id=filters.household)
    return qs


@router.post(
    "/duties/contacts",
    response={201: ContactOut, **WRITE_ERRORS},
    summary="Record a contact with a household",
    description="Phone, online or in person; one per household per week is owed. "
    "400 `not_linked` if the representative did not serve the household that day.",
)
@idempotent("duties.contact")
def contact_create(request, payload: ContactIn):
    rep = _representative(request, payload.representative_id)
    household = queries.household_for_record(request.user, rep, payload.household_id)
    record = services.contact_log(
        actor=request.user,
        representative=rep,
        household=household,
        day=payload.day,
        method=payload.method,
        role=payload.role,
        note=payload.note,
        raise_appeal=payload.raise_appeal.dict() if payload.raise_appeal else None,
        supersedes=_supersedes(request, "contact", payload.supersedes),
        client_key=payload.client_key,
    )
    return Status(201, record)


# --- home visits ---------------------------------------------------------------------------


@router.get(
    "/duties/visits",
    response={200: list[VisitOut], **errors(400, 401, 404)},
    summary="List home visits",
)
@paginate(Paged)
def visit_list(request, filters: Query[HouseholdRecordFilters]):
    qs = _filtered(request, "visit", filters).select_related("appeal").prefetch_related("photos")
    if filters.household is not None:
        qs = qs.filter(household_id=filters.household)
    return qs


@router.post(
    "/duties/visits",
    response={201: VisitOut, **WRITE_ERRORS},
    summary="Record a home visit",
    description="A home visit also counts as that week's contact. Photos (`photos`, up to 6 "
    "images, each checked by content) are optional; a correction without photos keeps those "
    "of the visit it corrects, one with photos has those only." + MULTIPART,
    openapi_extra=_json_too(VisitIn),
)
@idempotent("duties.visit")
def visit_create(
    request, payload: JsonOrMultipart[VisitIn], photos: File[list[UploadedFile]] = None
):
    rep = _representative(request, payload.representative_id)
    household = queries.household_for_record(request.user, rep, payload.household_id)
    record = services.visit_log(
        actor=request.user,
        representative=rep,
        household=household,
        day=payload.day,
        role=payload.role,
        met=payload.met,
        findings=payload.findings,
        needs=payload.needs,
        risks=payload.risks,
        latitude=payload.latitude,
        longitude=payload.longitude,
        note=payload.note,
        raise_appeal=payload.raise_appeal.dict() if payload.raise_appeal else None,
        photos=photos,
        supersedes=_supersedes(request, "visit", payload.supersedes),
    )
    return Status(201, record)


# --- deliberation events -------------------------------------------------------------------


@router.get(
    "/duties/deliberations",
    response={200: list[DeliberationOut], **errors(400, 401, 404)},
    summary="List deliberation events",
)
@paginate(Paged)
def deliberation_list(request, filters: Query[DeliberationFilters]):
    rep = (
        selectors.representative_get(request.user, filters.representative)
        if filters.representative is not None
        else None
    )
    qs = selectors.deliberations_visible_to(request.user).order_by("-day", "-id")
    if rep is not None:
        qs = qs.filter(organisers=rep)
    if filters.current:
        qs = qs.filter(superseded_by__isnull=True, void=False)
    if filters.unit is not None:
        unit = org_selectors.unit_get(request.user, filters.unit)
        qs = qs.filter(unit__path__startswith=unit.path)
    if filters.start:
        qs = qs.filter(day__gte=filters.start)
    if filters.end:
        qs = qs.filter(day__lte=filters.end)
    return qs


@router.post(
    "/duties/deliberations",
    response={201: DeliberationOut, **errors(400, 401, 403, 404)},
    summary="Record a deliberation event",
    description="Organised by one or more representatives in your scope; one a quarter is "
    "owed by each.",
)
@idempotent("duties.deliberation")
def deliberation_create(request, payload: DeliberationIn):
    unit = queries.deliberation_unit_get(request.user, payload.unit_id)
    ids = set(payload.organiser_ids)
    organisers = list(org_selectors.representatives_visible_to(request.user).filter(pk__in=ids))
    if len(organisers) != len(ids):
        raise NotFound(_("Representative not found."))
    event = services.deliberation_log(
        actor=request.user,
        unit=unit,
        organisers=organisers,
        day=payload.day,
        place=payload.place,
        topic=payload.topic,
        attendee_count=payload.attendee_count,
        attendees=payload.attendees,
        minutes=payload.minutes,
        outcomes=payload.outcomes,
        supersedes=_supersedes(request, "deliberation", payload.supersedes),
    )
    return Status(201, event)


# --- yearly reports ------------------------------------------------------------------------


@router.get(
    "/duties/reports",
    response={200: list[ReportOut], **errors(400, 401, 404)},
    summary="List yearly reports",
)
@paginate(Paged)
def report_list(request, filters: Query[ReportFilters]):
    qs = _filtered(request, "report", filters)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    return qs


@router.post(
    "/duties/reports",
    response={201: ReportOut, **errors(400, 401, 403, 404)},
    summary="Record a yearly report",
    description="To the residents (述职) or to the village committees; one of each a year. "
    "The text, or a `document` (PDF, Word, plain text, JPEG or PNG, at most 20 MB, judged by "
    "its content: 400 `document_type`, `document_too_large`), or both." + MULTIPART,
    openapi_extra=_json_too(ReportIn),
)
@idempotent("duties.report")
def report_create(request, payload: JsonOrMultipart[ReportIn], document: File[UploadedFile] = None):
    rep = _representative(request, payload.representative_id)
    report = services.report_log(
        actor=request.user,
        representative=rep,
        kind=payload.kind,
        day=payload.day,
        audience=payload.audience,
        text=payload.text,
        document=document,
        feedback=payload.feedback,
        supersedes=_supersedes(request, "report", payload.supersedes),
    )
    return Status(201, report)


# --- withdraw ------------------------------------------------------------------------------


def _withdraw(request, kind: str, record_id: Id, payload: WithdrawIn):
    record = selectors.record_get(request.user, kind, record_id)
    return services.record_withdraw(actor=request.user, record=record, reason=payload.reason)


@router.post(
    "/duties/contacts/{record_id}/withdraw",
    response={200: ContactOut, **errors(400, 401, 403, 404)},
    summary="Withdraw a contact entered by mistake",
    description="Answers the withdrawal: a void record superseding the one withdrawn.",
)
def contact_withdraw(request, record_id: Id, payload: WithdrawIn):
    return _withdraw(request, "contact", record_id, payload)


@router.post(
    "/duties/visits/{record_id}/withdraw",
    response={200: VisitOut, **errors(400, 401, 403, 404)},
    summary="Withdraw a home visit entered by mistake",
)
def visit_withdraw(request, record_id: Id, payload: WithdrawIn):
    return _withdraw(request, "visit", record_id, payload)


@router.post(
    "/duties/deliberations/{record_id}/withdraw",
    response={200: DeliberationOut, **errors(400, 401, 403, 404)},
    summary="Withdraw a deliberation event entered by mistake",
)
def deliberation_withdraw(request, record_id: Id, payload: WithdrawIn):
    return _withdraw(request, "deliberation", record_id, payload)


@router.post(
    "/duties/reports/{record_id}/withdraw",
    response={200: ReportOut, **errors(400, 401, 403, 404)},
    summary="Withdraw a yearly report entered by mistake",
)
def report_withdraw(request, record_id: Id, payload: WithdrawIn):
    return _withdraw(request, "report", record_id, payload)


# --- what is owed, compliance --------------------------------------------------------------


@router.get(
    "/duties/owed",
    response={200: OwedOut, **errors(400, 401, 404)},
    summary="Households still to contact this week and to visit this month",
)
def owed(request, representative: Id | None = None):
    rep = _representative(request, representative)
    owed = selectors.households_owed(rep, today())
    contacts = list(owed["contacts"].select_related("unit"))
    visits = list(owed["visits"].select_related("unit"))
    return {
        "representative_id": rep.pk,
        "week": owed["week"],
        "month": owed["month"],
        "contacts_owed": len(contacts),
        "visits_owed": len(visits),
        "contacts": contacts,
        "visits": visits,
    }


@router.get(
    "/duties/compliance",
    response={200: ComplianceOut, **errors(400, 401, 404)},
    summary="Duties required and fulfilled, per representative and per unit",
    description="Give `unit` (every representative of its subtree, with the unit's rollup "
    "and one row per child unit) or `representative`. A period counts when its reference "
    "day (a week's Thursday, a month's middle day, ...) falls within [start, end].",
)
def compliance(request, query: Query[ComplianceQuery]):
    if (query.unit is None) == (query.representative is None):
        raise InvalidInput(_("Give either a unit or a representative."), code="unit_or_rep")
    unit = org_selectors.unit_get(request.user, query.unit) if query.unit is not None else None
    rep = (
        selectors.representative_get(request.user, query.representative)
        if query.representative is not None
        else None
    )
    result = queries.team_compliance(
        request.user, unit=unit, representative=rep, start=query.start, end=query.end
    )
    rows = result.rows
    if query.status == "not_on_track":
        rows = [rc for rc in rows if rc.overall != "on_track"]
    elif query.status is not None:
        rows = [rc for rc in rows if rc.overall == query.status]
    # The same paging as every list, over the engine's rows.
    page = Paged().paginate_queryset(
        rows, Paged.Input(page=query.page, page_size=query.page_size), request
    )
    return {
        "start": result.start,
        "end": result.end,
        "period_over": result.end < today(),
        "representatives": [rep_out(rc) for rc in page["items"]],
        "count": page["count"],
        "page": page["page"],
        "pages": page["pages"],
        "page_size": page["page_size"],
        "total": unit_out(result.total) if result.total is not None else None,
        "children": [unit_out(c) for c in result.children],
    }


__all__ = ["router"]
