"""Every write on the negative list and the breach records.

A breach goes `reported` → `stated` (the representative's statement, written by them
or by a leader or cadre who writes down what they said) → `confirmed` or `dismissed`
by a review (town staff or above, never the reporter, with a reason); the reporter may
withdraw it while it is open. A review cannot confirm before the statement is recorded
or the response window (`respond_by`) has passed: the representative is heard first.
Each step writes a `BreachEvent` and an audit row in its transaction; the
representative is told (in-app) when a breach is reported against them and when it is
decided.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.models import AuditAction
from linli.accounts.services import audit_record
from linli.core.documents import CheckedDocument, document_check
from linli.core.errors import Conflict, Forbidden, InvalidInput
from linli.core.inputs import clean_text, in_window
from linli.core.photos import PreparedPhoto, photos_check_count, photos_prepare
from linli.core.timeutil import today
from linli.org.models import Representative, Unit

from . import policy, selectors
from .models import (
    OPEN_STAGES,
    Breach,
    BreachEvent,
    BreachEvidence,
    BreachStage,
    EventKind,
    EvidenceKind,
    NegativeEntry,
    Severity,
)

if TYPE_CHECKING:
    from linli.accounts.models import User

# Documents per breach record (photos: LINLI["PHOTO_MAX_COUNT"]).
DOCUMENT_MAX_COUNT = 5
MAX_RESPONSE_DAYS = 60


def response_days() -> int:
    return int(settings.LINLI["CONDUCT_RESPONSE_DAYS"])


def _event(breach: Breach, kind: str, actor: User, note: str = "", **data: Any) -> BreachEvent:
    return BreachEvent.objects.create(breach=breach, kind=kind, actor=actor, note=note, data=data)


def _choice(value: Any, choices: Any, label: str) -> str:
    if value not in choices.values:
        raise InvalidInput(_("Choose %(label)s.") % {"label": label}, code="choice")
    return str(value)


# --- the catalogue ------------------------------------------------------------------------


def _refuse_catalogue(actor: User, unit: Unit | None) -> None:
    if not policy.can_write_entry_at(actor, unit):
        raise Forbidden(
            _("Only the city may change the city's negative list; a town adds entries of its own.")
            if unit is None
            else _("You may not change this town's negative list."),
            code="conduct_catalogue",
        )


@transaction.atomic
def entry_create(
    *,
    actor: User,
    unit: Unit | None,
    code: str,
    title: str,
    severity: str,
    description: str = "",
) -> NegativeEntry:
    """Add an entry to the city's list (`unit=None`) or to a town's own list."""
    _refuse_catalogue(actor, unit)
    code = clean_text(code, _("Entry code"), 20, required=True, multiline=False)
    if NegativeEntry.objects.filter(code=code).exists():
        raise Conflict(_("An entry with code %(code)s exists.") % {"code": code}, code="entry_code")
    entry = NegativeEntry.objects.create(
        unit=unit,
        code=code,
        title=clean_text(title, _("Title"), 200, required=True, multiline=False),
        description=clean_text(description, _("Description"), 2000),
        severity=_choice(severity, Severity, _("a severity")),
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action=AuditAction.CONDUCT_ENTRY_CREATE,
        target=entry,
        detail={"code": entry.code, "severity": entry.severity, "unit": unit.pk if unit else None},
    )
    return entry


@transaction.atomic
def entry_update(
    *,
    actor: User,
    entry: NegativeEntry,
    title: str,
    severity: str,
    description: str = "",
    active: bool = True,
) -> NegativeEntry:
    """Change an entry of a list the actor writes (a town never touches the city's)."""
    entry = (
        NegativeEntry.objects.select_for_update(of=("self",))
        .select_related("unit")
        .get(pk=entry.pk)
    )
    _refuse_catalogue(actor, entry.unit)
    before = {"title": entry.title, "severity": entry.severity, "active": entry.active}
    entry.title = clean_text(title, _("Title"), 200, required=True, multiline=False)
    entry.description = clean_text(description, _("Description"), 2000)
    entry.severity = _choice(severity, Severity, _("a severity"))
    entry.active = bool(active)
    entry.save(update_fields=["title", "description", "severity", "active"])
    audit_record(
        actor=actor,
        action=AuditAction.CONDUCT_ENTRY_UPDATE,
        target=entry,
        detail={
            "before": before,
            "after": {"title": entry.title, "severity": entry.severity, "active": entry.active},
        },
    )
    return entry


# --- evidence -----------------------------------------------------------------------------


def _prepare_evidence(
    breach: Breach | None, photos: Iterable[Any] | None, documents: Iterable[Any] | None
) -> tuple[list[PreparedPhoto], list[CheckedDocument]]:
    """Check every file before anything is written (counts against what is held)."""
    photos = [p for p in (photos or []) if p]
    documents = [d for d in (documents or []) if d]
    held_photos = held_docs = 0
    if breach is not None:
        kinds = list(breach.evidence.values_list("kind", flat=True))
        held_photos = kinds.count(EvidenceKind.PHOTO)
        held_docs = kinds.count(EvidenceKind.DOCUMENT)
    photos_check_count(held_photos, len(photos))
    if held_docs + len(documents) > DOCUMENT_MAX_COUNT:
        raise InvalidInput(
            _("At most %(n)d documents.") % {"n": DOCUMENT_MAX_COUNT}, code="document_count"
        )
    return photos_prepare(photos), [document_check(d) for d in documents]


def _save_evidence(
    breach: Breach, actor: User, photos: list[PreparedPhoto], documents: list[CheckedDocument]
) -> int:
    """Store the checked files; on a failure remove the files already stored."""
    stored: list[str] = []
    try:
        for n, p in enumerate(photos, 1):
            item = BreachEvidence(
                breach=breach,
                kind=EvidenceKind.PHOTO,
                name=f"{_('Photo')} {n}{p.extension}",
                content_type=p.content_type,
                size=len(p.data),
                added_by=actor,
            )
            item.file.save(f"photo{p.extension}", ContentFile(p.data), save=False)
            stored.append(item.file.name)
            item.save()
        for d in documents:
            data = d.read()
            item = BreachEvidence(
                breach=breach,
                kind=EvidenceKind.DOCUMENT,
                name=(d.name or "document")[:100],
                content_type=d.content_type,
                size=len(data),
                added_by=actor,
            )
            item.file.save(d.name or "document", ContentFile(data), save=False)
            stored.append(item.file.name)
            item.save()
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise
    return len(photos) + len(documents)


def _refuse_closed(breach: Breach) -> None:
    if breach.stage not in OPEN_STAGES:
        raise Conflict(
            _("This breach record is closed (%(stage)s).") % {"stage": breach.get_stage_display()},
            code="breach_closed",
        )


def _lock(breach: Breach) -> Breach:
    return (
        Breach.objects.select_for_update(of=("self",))
        .select_related("representative", "unit", "entry")
        .get(pk=breach.pk)
    )


# --- notifications -------------------------------------------------------------------------


def _tell_representative(breach: Breach, *, kind: str, title: str) -> None:
    """In-app, like the duty reminders; a representative without an account is told by
    the cadre who records their statement."""
    from linli.notify.services import notify_user

    user = breach.representative.user
    if user is None or not user.is_active:
        return
    notify_user(
        user=user,
        kind=kind,
        title=title,
        body=breach.entry.title,
        url=f"/conduct/breaches/{breach.pk}/",
        data={"breach": breach.pk},
    )


# --- breach records -------------------------------------------------------------------------


def _check_occurred(day: Any) -> dt.date:
    if isinstance(day, str):
        try:
            day = dt.date.fromisoformat(day)
        except ValueError:
            raise InvalidInput(_("The date is not valid."), code="date") from None
    if not isinstance(day, dt.date) or not in_window(day):
        raise InvalidInput(_("The date is not valid."), code="date")
    if day > today():
        raise InvalidInput(_("A breach cannot be dated in the future."), code="date_future")
    return day


@transaction.atomic
def breach_report(
    *,
    actor: User,
    representative: Representative,
    entry: NegativeEntry,
    description: str,
    occurred_on: Any,
    place: str = "",
    source: str = "",
    photos: Iterable[Any] | None = None,
    documents: Iterable[Any] | None = None,
) -> Breach:
    """Report a breach of `entry` by `representative` (in the actor's scope)."""
    if not policy.can_report(actor, representative):
        raise Forbidden(
            _("You may only report representatives of your own units."), code="breach_scope"
        )
    if not entry.active or not policy.entry_applies_to(entry, representative):
        raise InvalidInput(
            _("This entry of the negative list does not apply to this representative."),
            code="breach_entry",
        )
    description = clean_text(description, _("What happened"), 5000, required=True)
    day = _check_occurred(occurred_on)
    place = clean_text(place, _("Place"), 200, multiline=False)
    source = clean_text(source, _("Reported by (resident)"), 100, multiline=False)
    prepared_photos, checked_docs = _prepare_evidence(None, photos, documents)
    days = response_days()
    breach = Breach.objects.create(
        representative=representative,
        unit=representative.unit,
        entry=entry,
        severity=entry.severity,
        description=description,
        occurred_on=day,
        place=place,
        source=source,
        reported_by=actor,
        reported_at=timezone.now(),
        response_days=days,
        respond_by=today() + dt.timedelta(days=days),
    )
    added = _save_evidence(breach, actor, prepared_photos, checked_docs)
    _event(breach, EventKind.REPORTED, actor, description, entry=entry.code, files=added)
    audit_record(
        actor=actor,
        action=AuditAction.CONDUCT_BREACH_REPORT,
        target=breach,
        detail={
            "representative": representative.pk,
            "entry": entry.code,
            "severity": entry.severity,
            "files": added,
        },
    )
    _tell_representative(
        breach,
        kind="conduct.reported",
        title=_(
            "A breach of the negative list was reported against you; give your statement by %(day)s."
        )
        % {"day": breach.respond_by.isoformat()},
    )
    return breach


@transaction.atomic
def breach_evidence_add(
    *,
    actor: User,
    breach: Breach,
    photos: Iterable[Any] | None = None,
    documents: Iterable[Any] | None = None,
) -> int:
    """Add photos or documents to an open record; returns how many were added."""
    breach = _lock(breach)
    if not policy.can_add_evidence(actor, breach):
        raise Forbidden(_("You may not add evidence to this record."), code="breach_evidence")
    _refuse_closed(breach)
    prepared_photos, checked_docs = _prepare_evidence(breach, photos, documents)
    if not prepared_photos and not checked_docs:
        raise InvalidInput(_("Choose a photo or a document."), code="evidence_empty")
    added = _save_evidence(breach, actor, prepared_photos, checked_docs)
    _event(breach, EventKind.EVIDENCE, actor, files=added)
    audit_record(
        actor=actor,
        action=AuditAction.CONDUCT_BREACH_EVIDENCE,
        target=breach,
        detail={"files": added},
    )
    return added


@transaction.atomic
def breach_statement(*, actor: User, breach: Breach, text: str) -> Breach:
    """Record the representative's statement (a later one replaces it until the review;
    the history keeps each). Written by the representative, or by a leader or cadre who
    writes down what they said (`statement_by` says who wrote it)."""
    breach = _lock(breach)
    if not policy.can_state(actor, breach):
        if policy.is_reporter(actor, breach):
            message = _("The reporter of a breach cannot record the representative's statement.")
        elif policy.stated_by_representative(breach) and not policy.is_own(actor, breach):
            message = _("The representative wrote their own statement; only they may change it.")
        else:
            message = _("Only the representative, or a cadre over them, records the statement.")
        raise Forbidden(message, code="breach_statement_scope")
    _refuse_closed(breach)
    text = clean_text(text, _("Statement"), 5000, required=True)
    own = policy.is_own(actor, breach)
    breach.statement = text
    breach.statement_by = actor
    breach.statement_at = timezone.now()
    breach.stage = BreachStage.STATED
    breach.save(update_fields=["statement", "statement_by", "statement_at", "stage"])
    _event(breach, EventKind.STATEMENT, actor, text, by_representative=own)
    audit_record(
        actor=actor,
        action=AuditAction.CONDUCT_BREACH_STATEMENT,
        target=breach,
        detail={"by_representative": own, "length": len(text)},
    )
    return breach


def _refuse_review(actor: User, breach: Breach) -> None:
    if policy.is_reporter(actor, breach):
        raise Forbidden(
            _("The reporter of a breach cannot review it."), code="breach_reviewer_is_reporter"
        )
    if not policy.can_review(actor, breach):
        raise Forbidden(
            _("Only town staff or above over the representative's unit review breaches."),
            code="breach_review_scope",
        )
    _refuse_closed(breach)


@transaction.atomic
def breach_confirm(*, actor: User, breach: Breach, reason: str) -> Breach:
    """Confirm the breach, once the representative has been heard (see module doc)."""
    breach = _lock(breach)
    _refuse_review(actor, breach)
    if policy.wrote_statement_for(actor, breach):
        raise Forbidden(
            _(
                "You wrote down the representative's statement: another reviewer confirms "
                "the breach."
            ),
            code="breach_reviewer_wrote_statement",
        )
    reason = clean_text(reason, _("Reason"), 2000, required=True)
    if not selectors.can_confirm_now(breach):
        raise Conflict(
            _(
                "The representative has not given a statement and may still do so until "
                "%(day)s: a breach cannot be confirmed before the statement is recorded "
                "or the response window has passed."
            )
            % {"day": breach.respond_by.isoformat()},
            code="breach_not_heard",
        )
    return _decide(actor, breach, BreachStage.CONFIRMED, reason)


@transaction.atomic
def breach_dismiss(*, actor: User, breach: Breach, reason: str) -> Breach:
    """Dismiss the breach (at any time while open: clearing the representative needs no
    statement)."""
    breach = _lock(breach)
    _refuse_review(actor, breach)
    reason = clean_text(reason, _("Reason"), 2000, required=True)
    return _decide(actor, breach, BreachStage.DISMISSED, reason)


def _decide(actor: User, breach: Breach, stage: str, reason: str) -> Breach:
    heard = breach.stage == BreachStage.STATED
    breach.stage = stage
    breach.decided_by = actor
    breach.decided_at = timezone.now()
    breach.decision_reason = reason
    breach.save(update_fields=["stage", "decided_by", "decided_at", "decision_reason"])
    confirmed = stage == BreachStage.CONFIRMED
    _event(
        breach,
        EventKind.CONFIRMED if confirmed else EventKind.DISMISSED,
        actor,
        reason,
        with_statement=heard,
    )
    audit_record(
        actor=actor,
        action=AuditAction.CONDUCT_BREACH_CONFIRM
        if confirmed
        else AuditAction.CONDUCT_BREACH_DISMISS,
        target=breach,
        detail={"severity": breach.severity, "with_statement": heard},
    )
    _tell_representative(
        breach,
        kind="conduct.decided",
        title=_("The breach reported against you was confirmed.")
        if confirmed
        else _("The breach reported against you was dismissed."),
    )
    return breach


@transaction.atomic
def breach_withdraw(*, actor: User, breach: Breach, reason: str = "") -> Breach:
    """The reporter takes the report back before the review."""
    breach = _lock(breach)
    if not policy.can_withdraw(actor, breach):
        raise Forbidden(_("Only the reporter may withdraw a report."), code="breach_withdraw")
    _refuse_closed(breach)
    reason = clean_text(reason, _("Reason"), 2000)
    breach.stage = BreachStage.WITHDRAWN
    breach.decided_by = actor
    breach.decided_at = timezone.now()
    breach.decision_reason = reason
    breach.save(update_fields=["stage", "decided_by", "decided_at", "decision_reason"])
    _event(breach, EventKind.WITHDRAWN, actor, reason)
    audit_record(actor=actor, action=AuditAction.CONDUCT_BREACH_WITHDRAW, target=breach)
    return breach
