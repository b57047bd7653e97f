"""Every write on duty records, and the reminders.

A record is dated (`day`), may be entered late within the rule's window, and
is never edited: `record_correct` writes a new record and marks the old one
superseded, `record_withdraw` writes a void correction. Who may write is
`policy` (the representative, or a leader or cadre over them entering it for
them, e.g. from paper); the household must have been served on that day.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
import uuid

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext as _

from linli.accounts.models import AuditAction, User
from linli.accounts.services import audit_record
from linli.core.documents import document_check
from linli.core.errors import Forbidden, InvalidInput, NotFound
from linli.core.photos import PreparedPhoto, photos_prepare
from linli.core.timeutil import today
from linli.core.validators import clean_coordinate, clean_text
from linli.org.models import Household, HouseholdLink, Representative, Unit
from linli.org.selectors import link_on_q

from . import policy
from .models import (
    AnnualReport,
    ContactLog,
    ContactMethod,
    Deliberation,
    FiveRole,
    HomeVisit,
    HomeVisitPhoto,
    ReportKind,
    month_middle,
    month_of,
    week_of,
)
from .rules import rule_on


def _text(value, label: str, max_length: int, *, required: bool = False) -> str:
    return clean_text(value, label, max_length, required=required)


def _blank(text: str) -> bool:
    """Nothing but whitespace, control or format characters (a zero-width space,
    a stray NUL from a paste): nothing a reader could read."""
    return not any(not ch.isspace() and unicodedata.category(ch)[0] != "C" for ch in text)


def _check_day(day) -> dt.date:
    if isinstance(day, str):
        try:
            day = dt.date.fromisoformat(day)
        except ValueError:
            raise InvalidInput(_("The date is not valid."), code="date") from None
    if not isinstance(day, dt.date):
        raise InvalidInput(_("The date is not valid."), code="date")
    now = today()
    if day > now:
        raise InvalidInput(_("A record cannot be dated in the future."), code="date_future")
    window = rule_on(now).late_entry_days
    if (now - day).days > window:
        raise InvalidInput(
            _("Records may be entered at most %(n)d days late.") % {"n": window},
            code="date_too_late",
        )
    return day


def _served_on(representative: Representative, household: Household, day: dt.date) -> bool:
    return HouseholdLink.objects.filter(
        link_on_q(day), representative=representative, household=household
    ).exists()


def _refuse_unless(allowed: bool) -> None:
    """Refuse what `policy` refuses."""
    if not allowed:
        raise Forbidden(
            _("You may only keep the records of your own households."), code="not_your_record"
        )


def _may_write_for(actor, representative: Representative) -> None:
    """The representative themself, or a leader or cadre over their unit (`policy`)."""
    _refuse_unless(policy.can_record_for(actor, representative))


def _check_household(representative: Representative, household: Household, day: dt.date) -> None:
    if not _served_on(representative, household, day):
        raise InvalidInput(
            _("%(rep)s did not serve the household of %(head)s on %(day)s.")
            % {"rep": representative.name, "head": household.head_name, "day": day.isoformat()},
            code="not_linked",
        )


def _choice(value, choices, label: str) -> str:
    if value not in choices.values:
        raise InvalidInput(_("Choose %(label)s.") % {"label": label}, code="choice")
    return value


def _raise_appeal(actor, household: Household, raise_appeal: dict | None):
    if not raise_appeal:
        return None
    from linli.appeals.models import Category
    from linli.appeals.services import appeal_file

    category = Category.objects.filter(code=raise_appeal.get("category", ""), active=True).first()
    return appeal_file(
        actor=actor,
        category=category,
        description=raise_appeal.get("description", ""),
        household=household,
        channel="representative",
        reporter_name=raise_appeal.get("reporter_name", "") or household.head_name,
        reporter_phone=raise_appeal.get("reporter_phone", ""),
    )


@transaction.atomic
def contact_log(
    *,
    actor: User,
    representative: Representative,
    household: Household,
    day=None,
    method: str = ContactMethod.PHONE,
    role: str = FiveRole.LIAISON,
    note: str = "",
    raise_appeal: dict | None = None,
    supersedes: ContactLog | None = None,
    client_key=None,
) -> ContactLog:
    """Record a contact; optionally raise an appeal from it in the same step.

    `client_key` (a UUID the phone gave the tap) makes the write idempotent: when a
    record with that key exists for the same representative, it is returned
    unchanged and nothing is written (a tap queued offline and sent twice counts
    once). A key already used by another representative is refused.
    """
    _may_write_for(actor, representative)
    key = _client_key(client_key)
    if key is not None:
        existing = _contact_by_key(key, representative, household)
        if existing is not None:
            return existing
    day = _check_day(day or today())
    _check_household(representative, household, day)
    record = ContactLog(
        representative=representative,
        household=household,
        day=day,
        week=week_of(day),
        method=_choice(method, ContactMethod, _("how")),
        role=_choice(role, FiveRole, _("the role served")),
        note=_text(note, _("Note"), 500),
        created_by=actor,
        client_key=key,
    )
    if key is None:
        record.appeal = _raise_appeal(actor, household, raise_appeal)
        record.save()
    else:
        try:
            # A savepoint: a concurrent request with the same key may win the insert;
            # then only this attempt (and any appeal it raised) is rolled back.
            with transaction.atomic():
                record.appeal = _raise_appeal(actor, household, raise_appeal)
                record.save()
        except IntegrityError:
            existing = _contact_by_key(key, representative, household)
            if existing is None:
                raise
            return existing
    _supersede(actor, supersedes, record)
    _invalidate(record, supersedes)
    return record


def _client_key(value) -> uuid.UUID | None:
    if value in (None, ""):
        return None
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise InvalidInput(_("The key of this entry is not valid."), code="client_key") from None


def _contact_by_key(
    key: uuid.UUID, representative: Representative, household: Household
) -> ContactLog | None:
    """The contact recorded under `key` (whatever became of it since: a tap that was
    recorded and later corrected or withdrawn is not recorded again)."""
    existing = ContactLog.objects.filter(client_key=key).first()
    if existing is None:
        return None
    if existing.representative_id != representative.pk or existing.household_id != household.pk:
        raise InvalidInput(
            _("This entry's key was already used for another record."), code="client_key"
        )
    return existing


@transaction.atomic
def visit_log(
    *,
    actor: User,
    representative: Representative,
    household: Household,
    day=None,
    role: str = FiveRole.LIAISON,
    met: str = "",
    findings: str = "",
    needs: str = "",
    risks: str = "",
    latitude=None,
    longitude=None,
    note: str = "",
    raise_appeal: dict | None = None,
    photos=None,
    supersedes: HomeVisit | None = None,
) -> HomeVisit:
    """Record a home visit (it also counts as that week's contact).

    A visit says who was met or what was found (`visit_empty` otherwise: text of
    only whitespace or control characters is empty), so an empty form never
    counts as the month's visit, whichever way it arrives (page, API).

    `photos` (uploads, at most PHOTO_MAX_COUNT) are all checked before anything is
    written, and saved in the same transaction. A correction without photos keeps
    the corrected visit's photos; one with photos has those photos only.
    """
    _may_write_for(actor, representative)
    day = _check_day(day or today())
    _check_household(representative, household, day)
    record = HomeVisit(
        representative=representative,
        household=household,
        day=day,
        week=week_of(day),
        month=month_middle(month_of(day)),
        role=_choice(role, FiveRole, _("the role served")),
        met=_text(met, _("Who was met"), 200),
        findings=_text(findings, _("What was found"), 2000),
        needs=_text(needs, _("Needs"), 500),
        risks=_text(risks, _("Risks"), 500),
        latitude=clean_coordinate(latitude, -90, 90, _("Latitude")),
        longitude=clean_coordinate(longitude, -180, 180, _("Longitude")),
        note=_text(note, _("Note"), 500),
        created_by=actor,
    )
    if _blank(record.met) and _blank(record.findings):
        raise InvalidInput(
            _("Say who was met or what was found: an empty visit does not count."),
            code="visit_empty",
        )
    prepared = photos_prepare(photos)  # every photo checked before the first write
    record.appeal = _raise_appeal(actor, household, raise_appeal)
    record.save()
    _supersede(actor, supersedes, record)
    _invalidate(record, supersedes)
    # Files last, so that a refusal above leaves none behind.
    if prepared:
        _save_visit_photos(record, prepared)
    elif supersedes is not None:
        _carry_photos(supersedes, record)
    return record


def _save_visit_photos(visit: HomeVisit, prepared: list[PreparedPhoto]) -> None:
    """Store the prepared photos; on a failure, remove the files already stored."""
    stored: list[str] = []
    try:
        for p in prepared:
            photo = HomeVisitPhoto(
                visit=visit,
                content_type=p.content_type,
                size=len(p.data),
                width=p.width,
                height=p.height,
                sha256=p.sha256,
            )
            photo.image.save(f"photo{p.extension}", ContentFile(p.data), save=False)
            stored.append(photo.image.name)
            photo.save()
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise


def _carry_photos(old: HomeVisit, new: HomeVisit) -> None:
    """The correction shows the photos of the visit it corrects (the same files)."""
    HomeVisitPhoto.objects.bulk_create(
        HomeVisitPhoto(
            visit=new,
            image=p.image.name,
            content_type=p.content_type,
            size=p.size,
            width=p.width,
            height=p.height,
            sha256=p.sha256,
            created_at=p.created_at,
        )
        for p in old.photos.all()
    )


@transaction.atomic
def deliberation_log(
    *,
    actor: User,
    unit: Unit,
    organisers: list[Representative],
    day,
    place: str,
    topic: str,
    attendee_count: int,
    attendees: str = "",
    minutes: str = "",
    outcomes: str = "",
    supersedes: Deliberation | None = None,
) -> Deliberation:
    """Record a deliberation event organised by one or more representatives."""
    organisers = list(organisers or [])
    if not organisers:
        raise InvalidInput(_("Name at least one organising representative."), code="organisers")
    _refuse_unless(policy.can_record_event(actor, unit, organisers))
    for rep in organisers:
        if not policy.can_organise(rep, unit):
            raise InvalidInput(
                _("%(rep)s does not serve in %(unit)s.") % {"rep": rep.name, "unit": unit.name},
                code="organiser_unit",
            )
    day = _check_day(day)
    try:
        count = int(attendee_count)
    except (TypeError, ValueError):
        count = -1
    if count < 1:
        raise InvalidInput(_("Give the number of attendees."), code="attendee_count")
    event = Deliberation.objects.create(
        unit=unit,
        day=day,
        place=_text(place, _("Place"), 200, required=True),
        topic=_text(topic, _("Topic"), 200, required=True),
        attendee_count=count,
        attendees=_text(attendees, _("Who attended"), 2000),
        minutes=_text(minutes, _("Minutes"), 10000),
        outcomes=_text(outcomes, _("Outcomes"), 5000),
        created_by=actor,
    )
    event.organisers.set(organisers)
    _supersede(actor, supersedes, event)
    return event


@transaction.atomic
def report_log(
    *,
    actor: User,
    representative: Representative,
    kind: str,
    day,
    audience: str = "",
    text: str = "",
    document=None,
    feedback: str = "",
    supersedes: AnnualReport | None = None,
) -> AnnualReport:
    """Record a yearly report (to the residents, or to the village committees).

    A new `document` is checked by content (`core.documents`: PDF, Word, text,
    JPEG or PNG, at most 20 MB). A correction without a document keeps the
    document of the report it corrects.
    """
    _may_write_for(actor, representative)
    day = _check_day(day)
    if document and not isinstance(document, FieldFile):
        document = document_check(document)
    elif not document and getattr(supersedes, "document", None):
        document = supersedes.document
    text = _text(text, _("Report"), 20000)
    if not text and not document:
        raise InvalidInput(_("Write the report or attach the document."), code="report_empty")
    report = AnnualReport(
        representative=representative,
        kind=_choice(kind, ReportKind, _("the kind of report")),
        day=day,
        audience=_text(audience, _("Audience"), 200),
        text=text,
        feedback=_text(feedback, _("Feedback"), 5000),
        created_by=actor,
    )
    if document:
        report.document = document
    report.save()
    _supersede(actor, supersedes, report)
    return report


def _supersede(actor, old, new) -> None:
    """Mark `old` as superseded by `new` (once); audit the correction."""
    if old is None:
        return
    if type(old) is not type(new) or old.pk == new.pk:
        raise InvalidInput(
            _("A record can only be corrected by one of its kind."), code="supersede"
        )
    _refuse_unless(policy.can_correct(actor, old))
    if not isinstance(old, Deliberation):
        if old.representative_id != new.representative_id:
            raise InvalidInput(
                _("A correction must be for the same representative."), code="supersede"
            )
    locked = type(old).objects.select_for_update().get(pk=old.pk)
    if locked.superseded_by_id is not None:
        raise InvalidInput(_("This record was already corrected."), code="already_corrected")
    type(old).objects.filter(pk=old.pk).update(superseded_by=new)
    audit_record(
        actor=actor,
        action=AuditAction(f"duties.{type(old).__name__.lower()}.correct"),
        target=old,
        detail={"by": new.pk, "void": bool(getattr(new, "void", False))},
    )


@transaction.atomic
def record_withdraw(*, actor: User, record, reason: str) -> object:
    """Withdraw a record entered by mistake: a void copy supersedes it."""
    reason = _text(reason, _("Reason"), 500, required=True)
    model = type(record)
    if model not in (ContactLog, HomeVisit, AnnualReport, Deliberation):
        raise NotFound(_("No such record."))
    _refuse_unless(policy.can_correct(actor, record))
    if model is Deliberation:
        copy = Deliberation.objects.create(
            unit=record.unit, day=record.day, place=record.place, topic=record.topic,
            attendee_count=record.attendee_count, void=True, created_by=actor,
            minutes=reason,
        )  # fmt: skip
        copy.organisers.set(record.organisers.all())
    else:
        fields = {
            f.name: getattr(record, f.name)
            for f in model._meta.concrete_fields
            if f.name
            not in ("id", "superseded_by", "void", "note", "created_by", "created_at", "client_key")
        }
        copy = model.objects.create(**fields, void=True, note=reason, created_by=actor)
    _supersede(actor, record, copy)
    _invalidate(copy, record)
    return copy


def _invalidate(*records) -> None:
    """Drop the rollup cells these contact or visit records count in."""
    from .compliance import invalidate

    refs = [
        ref
        for r in records
        if isinstance(r, ContactLog | HomeVisit)
        for ref in (r.week - dt.timedelta(days=3), getattr(r, "month", r.week).replace(day=1))
    ]
    if refs:
        rep = next(r.representative_id for r in records if r is not None)
        invalidate(representative_ids=[rep], since=min(refs))


def duty_reminders(*, now=None) -> dict[str, int]:
    """Remind representatives with households still owed, near the end of a week
    or month, once per period; summarise for their group and village leaders."""
    from .reminders import send_reminders

    return send_reminders(now=now)
