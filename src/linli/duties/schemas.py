"""Request and response shapes of the duties API."""

import datetime as dt
import uuid
from typing import Annotated, Literal

import annotated_types
from django.urls import reverse
from ninja import Field, Schema

from linli.core.api_schemas import MAX_PAGE_SIZE, PageSize
from linli.core.api_schemas import choices_text as _choices
from linli.core.inputs import Count, Day, Id, Latitude, Line, Longitude, Page, Text

from .compliance import (
    STATUS_LABELS,
    Duty,
    ExtraDuty,
    RepCompliance,
    UnitCompliance,
    all_duties,
    duty_label,
)
from .models import AnnualReport, ContactLog, ContactMethod, FiveRole, HomeVisit, ReportKind

# Input text bounds: the columns (and the services' limits) they go to.
Choice = Annotated[str, Line(20)]
Short = Annotated[str, Line(200)]
Note = Annotated[str, Text(500)]
MaxOrganisers = annotated_types.MaxLen(100)

ComplianceStatus = Literal["on_track", "behind", "missed"]

SUPERSEDES = Field(
    None,
    description="Correct this earlier record (same kind): it is marked superseded and "
    "no longer counts. A record can be corrected once.",
)


class DutyAppealIn(Schema):
    """An appeal raised from a contact or a visit (the full form is `AppealIn`)."""

    category: Annotated[str, Line(30)] = Field(
        description="A second-level appeal category code, e.g. `roads`."
    )
    description: Annotated[str, Text(2000)]


# --- records ----------------------------------------------------------------------------


class RecordFilters(Schema):
    representative: Id | None = Field(None, description="Only this representative's records.")
    start: Day | None = Field(None, description="From this day (inclusive).")
    end: Day | None = Field(None, description="Until this day (inclusive).")
    current: bool = Field(
        True, description="Only records that count (not corrected, not withdrawn)."
    )


class HouseholdRecordFilters(RecordFilters):
    household: Id | None = Field(None, description="Only records about this household.")


class ReportFilters(RecordFilters):
    kind: ReportKind | None = None


class DeliberationFilters(Schema):
    representative: Id | None = Field(None, description="Only events this one organised.")
    unit: Id | None = Field(None, description="Only events held in this unit's subtree.")
    start: Day | None = None
    end: Day | None = None
    current: bool = True


class _RecordOut(Schema):
    id: int
    representative_id: int
    representative_name: str = Field(alias="representative.name")
    day: dt.date
    note: str
    void: bool = Field(description="A withdrawal: the record it supersedes was withdrawn.")
    superseded_by_id: int | None = Field(description="Set when corrected or withdrawn.")
    current: bool = Field(description="Counts towards the duties.")
    created_at: dt.datetime

    @staticmethod
    def resolve_current(obj) -> bool:
        return obj.is_current


class ContactIn(Schema):
    household_id: Id
    representative_id: Id | None = Field(
        None, description="Whose contact; default: your own (you are the representative)."
    )
    day: Day | None = Field(None, description="Default today; late entries are limited.")
    method: Choice = Field(ContactMethod.PHONE, description=_choices(ContactMethod))
    role: Choice = Field(FiveRole.LIAISON, description=_choices(FiveRole))
    note: Note = ""
    raise_appeal: DutyAppealIn | None = Field(None, description="Raise an appeal from it.")
    supersedes: Id | None = SUPERSEDES
    client_key: uuid.UUID | None = Field(
        None,
        description="A key the client gives the entry: sent again, the contact already "
        "recorded under it is answered and nothing new is written.",
    )


class ContactOut(_RecordOut):
    household_id: int
    household_name: str = Field(alias="household.head_name")
    week: dt.date = Field(description="The Thursday of the record's ISO week.")
    method: ContactMethod
    method_label: str
    role: FiveRole
    role_label: str
    appeal_code: str | None

    @staticmethod
    def resolve_method_label(obj: ContactLog) -> str:
        return str(obj.get_method_display())

    @staticmethod
    def resolve_role_label(obj: ContactLog) -> str:
        return str(obj.get_role_display())

    @staticmethod
    def resolve_appeal_code(obj) -> str | None:
        return obj.appeal.code if obj.appeal_id else None


class VisitIn(Schema):
    household_id: Id
    representative_id: Id | None = None
    day: Day | None = None
    role: Choice = Field(FiveRole.LIAISON, description=_choices(FiveRole))
    met: Short = Field("", description="Who was met.")
    findings: Annotated[str, Text(2000)] = ""
    needs: Note = ""
    risks: Note = ""
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    note: Note = ""
    raise_appeal: DutyAppealIn | None = None
    supersedes: Id | None = SUPERSEDES


class VisitOut(_RecordOut):
    household_id: int
    household_name: str = Field(alias="household.head_name")
    week: dt.date
    month: dt.date = Field(description="The middle day of the record's month.")
    role: FiveRole
    role_label: str
    met: str
    findings: str
    needs: str
    risks: str
    latitude: float | None
    longitude: float | None
    appeal_code: str | None
    photo_urls: list[str] = Field(description="The visit's photos, for those who may see it.")

    @staticmethod
    def resolve_role_label(obj: HomeVisit) -> str:
        return str(obj.get_role_display())

    @staticmethod
    def resolve_photo_urls(obj: HomeVisit) -> list[str]:
        return [reverse("duties:visit_photo", args=[p.pk]) for p in obj.photos.all()]

    @staticmethod
    def resolve_appeal_code(obj) -> str | None:
        return obj.appeal.code if obj.appeal_id else None


class DeliberationIn(Schema):
    unit_id: Id = Field(description="The village, area or group where it was held.")
    organiser_ids: Annotated[list[Id], MaxOrganisers] = Field(
        description="One or more organising representatives."
    )
    day: Day
    place: Short
    topic: Short
    attendee_count: Count
    attendees: Annotated[str, Text(2000)] = ""
    minutes: Annotated[str, Text(10000)] = ""
    outcomes: Annotated[str, Text(5000)] = ""
    supersedes: Id | None = SUPERSEDES


class RepRef(Schema):
    id: int
    name: str


class DeliberationOut(Schema):
    id: int
    unit_id: int
    unit_name: str = Field(alias="unit.name")
    day: dt.date
    place: str
    topic: str
    attendee_count: int
    attendees: str
    minutes: str
    outcomes: str
    organisers: list[RepRef]
    void: bool
    superseded_by_id: int | None
    current: bool
    created_at: dt.datetime

    @staticmethod
    def resolve_organisers(obj) -> list[dict]:
        return [{"id": r.pk, "name": r.name} for r in obj.organisers.all()]

    @staticmethod
    def resolve_current(obj) -> bool:
        return obj.superseded_by_id is None and not obj.void


class ReportIn(Schema):
    representative_id: Id | None = None
    kind: Choice = Field(description=_choices(ReportKind))
    day: Day
    audience: Short = ""
    text: Annotated[str, Text(20000)] = Field(
        "", description="The report; may be empty when a `document` is attached (multipart)."
    )
    feedback: Annotated[str, Text(5000)] = ""
    supersedes: Id | None = SUPERSEDES


class ReportOut(_RecordOut):
    kind: ReportKind
    kind_label: str
    audience: str
    text: str
    document_url: str | None
    feedback: str

    @staticmethod
    def resolve_kind_label(obj: AnnualReport) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_document_url(obj: AnnualReport) -> str | None:
        return f"/duties/reports/{obj.pk}/document/" if obj.document else None


class WithdrawIn(Schema):
    reason: Note = Field(description="Why the record is withdrawn (required).")


# --- what is owed now, and compliance ------------------------------------------------------


class HouseholdBrief(Schema):
    id: int
    head_name: str
    address: str
    unit_name: str = Field(alias="unit.name")


class OwedOut(Schema):
    representative_id: int
    week: dt.date = Field(description="This week's Thursday (its reference day).")
    month: dt.date = Field(description="This month's middle day.")
    contacts_owed: int = Field(description="Households still to contact this week.")
    visits_owed: int = Field(description="Households still to visit this month.")
    contacts: list[HouseholdBrief]
    visits: list[HouseholdBrief]


class ComplianceQuery(Schema):
    unit: Id | None = Field(None, description="Every representative of this unit's subtree.")
    representative: Id | None = Field(None, description="Or one representative.")
    start: Day = Field(description="First day, inclusive.")
    end: Day = Field(description="Last day, inclusive.")
    status: Literal["on_track", "behind", "missed", "not_on_track"] | None = Field(
        None,
        description="Only representatives whose overall status is this (`not_on_track`: "
        "behind or missed). The unit's rollup always counts everyone.",
    )
    page: Page = Field(1, description="Page of `representatives`, from 1.")
    page_size: PageSize | None = Field(
        None, description=f"Representatives per page (default 50, at most {MAX_PAGE_SIZE})."
    )


class DutyOut(Schema):
    label: str
    required: int
    fulfilled: int
    owed: int
    rate: float | None = Field(description="% fulfilled; null when nothing was required.")
    status: ComplianceStatus | None = Field(None, description="Per person only.")
    status_label: str | None = None
    subjects: int | None = Field(
        None,
        description="Added duties only (`care_visits`): what the duty is owed for "
        "(the primary's care pairings that ran in the period).",
    )
    overdue: int | None = Field(
        None,
        description="Added duties only: of `required`, how many are past their day "
        "and were not met in time.",
    )


def duty_out(duty: str, d: Duty, status: str | None = None) -> dict:
    added = d if isinstance(d, ExtraDuty) else None
    return {
        "subjects": added.subjects if added is not None else None,
        "overdue": added.overdue if added is not None else None,
        "label": str(duty_label(duty)),
        "required": d.required,
        "fulfilled": d.fulfilled,
        "owed": d.owed,
        "rate": d.rate,
        "status": status,
        "status_label": str(STATUS_LABELS[status]) if status else None,
    }


class RepComplianceOut(Schema):
    representative_id: int
    name: str
    unit_id: int
    unit_name: str
    status: ComplianceStatus = Field(
        description="Overall: the worst of the duties (the four, and the care visits)."
    )
    status_label: str
    duties: dict[str, DutyOut] = Field(
        description="contacts, visits, deliberations, reports, and the duties the apps "
        "above add: care_visits (the love doorbell's pairings: a visit every N days)."
    )


def rep_out(rc: RepCompliance) -> dict:
    rep = rc.representative
    return {
        "representative_id": rep.pk,
        "name": rep.name,
        "unit_id": rep.unit_id,
        "unit_name": rep.unit.name,
        "status": rc.overall,
        "status_label": str(STATUS_LABELS[rc.overall]),
        "duties": {d: duty_out(d, rc.duties[d], rc.status(d)) for d in all_duties()},
    }


class UnitComplianceOut(Schema):
    unit_id: int
    unit_name: str
    representatives: int
    behind: int = Field(description="Representatives not on track in some duty.")
    duties: dict[str, DutyOut]


def unit_out(uc: UnitCompliance) -> dict:
    return {
        "unit_id": uc.unit.pk,
        "unit_name": uc.unit.name,
        "representatives": uc.representatives,
        "behind": uc.behind,
        "duties": {d: duty_out(d, uc.duties[d]) for d in all_duties()},
    }


class ComplianceOut(Schema):
    start: dt.date
    end: dt.date
    period_over: bool = Field(description="The period has ended: shortfalls are `missed`.")
    representatives: list[RepComplianceOut] = Field(
        description="One page, ordered by unit then name."
    )
    count: int = Field(description="Representatives matching `status`, on all pages.")
    page: int
    pages: int = Field(description="Number of pages (0 when nothing matches).")
    page_size: int
    total: UnitComplianceOut | None = Field(description="The unit's rollup (unit queries only).")
    children: list[UnitComplianceOut] = Field(description="One rollup per child unit.")
