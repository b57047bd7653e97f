"""Every write of the hundred best, their benefits and the reserve pool.

Each step checks the actor (`policy`), the stage and the status under the row's lock,
writes a `NominationEvent` (who, when, what, note) and its audit row in the same
transaction. Nothing is edited silently: a citation changed is an event holding the
old text; a benefit is revoked, never deleted.

A confirmed severe breach (`conduct`) excludes a representative at every step: it is
checked when nominated, approved by the town, approved by the city, when the notice
opens and when the list is finalised (`selectors.breached`).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.models import AuditAction
from linli.accounts.services import audit_record
from linli.core import ratelimit
from linli.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from linli.core.inputs import EVENT_YEARS, clean_text, in_window
from linli.core.timeutil import age, today
from linli.core.validators import normalize_mobile
from linli.evaluation.models import Score
from linli.org.models import TOWN_DEPTH, VILLAGE_DEPTH, Representative, Unit, path_at

from . import policy, selectors
from .models import (
    CITATION_MAX,
    DEFAULT_NOTICE_DAYS,
    MAX_NOTICE_DAYS,
    MAX_SEATS,
    NOTE_MAX,
    OBJECTION_MAX,
    STAGE_ORDER,
    BenefitIssue,
    BenefitKind,
    Nomination,
    NominationEvent,
    NominationEventKind,
    NominationStatus,
    Objection,
    ObjectionStatus,
    Quota,
    ReserveCandidate,
    ReserveEvent,
    ReserveRule,
    ReserveStatus,
    Selection,
    SelectionStage,
)

if TYPE_CHECKING:
    from linli.accounts.models import User

# Residents' objections: per client address, 5 in 10 minutes and 20 a day.
OBJECTION_LIMITS = (("honours-objection", 5, 600), ("honours-objection-day", 20, 86400))


# --- checks ----------------------------------------------------------------------------------


def check_year(year: Any) -> int:
    """A year that has begun (scores of a future year would be empty)."""
    if isinstance(year, bool) or not isinstance(year, int):
        raise InvalidInput(_("The year is not valid."), code="year")
    if not EVENT_YEARS[0] <= year <= today().year:
        raise InvalidInput(
            _("The year must be from %(first)s to %(last)s.")
            % {"first": EVENT_YEARS[0], "last": today().year},
            code="year",
        )
    return int(year)


def _int(value: Any, label: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise InvalidInput(
            _("%(label)s must be a whole number from %(lo)s to %(hi)s.")
            % {"label": label, "lo": lo, "hi": hi},
            code="number",
        )
    return int(value)


def _city(actor: User) -> None:
    if not policy.is_city(actor):
        raise Forbidden(_("Only the city may do this."), code="city_only")


def _town(actor: User, town_path: str) -> None:
    if not policy.can_town(actor, town_path):
        raise Forbidden(_("Only the staff of this town may do this."), code="town_only")


def _stage(selection: Selection, *stages: str) -> None:
    if selection.stage not in stages:
        raise Conflict(
            _("Not possible at this stage of the selection (%(stage)s).")
            % {"stage": selection.get_stage_display()},
            code="wrong_stage",
        )


def _status(nomination: Nomination, *statuses: str) -> None:
    if nomination.status not in statuses:
        raise Conflict(
            _("Not possible for a nomination that is %(status)s.")
            % {"status": nomination.get_status_display()},
            code="wrong_status",
        )


def _refuse_breached(nomination: Nomination) -> None:
    if nomination.representative_id in selectors.breached(
        [nomination.representative_id], nomination.selection.year
    ):
        raise Conflict(
            _(
                "%(name)s has a confirmed severe breach of the negative list and cannot be "
                "among the hundred best."
            )
            % {"name": nomination.representative.name},
            code="breach",
        )


def _event(
    selection: Selection,
    kind: str,
    actor: User | None,
    nomination: Nomination | None = None,
    note: str = "",
    **data: Any,
) -> NominationEvent:
    return NominationEvent.objects.create(
        selection=selection, nomination=nomination, kind=kind, actor=actor, note=note, data=data
    )


def _lock_selection(selection: Selection) -> Selection:
    return Selection.objects.select_for_update().get(pk=selection.pk)


def _lock_nomination(nomination: Nomination) -> Nomination:
    found = (
        Nomination.objects.select_for_update(of=("self",))
        .select_related("selection", "representative", "town")
        .get(pk=nomination.pk)
    )
    return found


# --- selections and quotas -------------------------------------------------------------------


@transaction.atomic
def selection_open(*, actor: User, year: Any, seats: Any = 100) -> Selection:
    """Open the year's selection (one a year), by the city."""
    _city(actor)
    year = check_year(year)
    seats = _int(seats, _("The total seats"), 1, MAX_SEATS)
    if Selection.objects.filter(year=year).exists():
        raise Conflict(_("The selection of this year is already open."), code="exists")
    selection = Selection.objects.create(year=year, seats=seats, created_by=actor)
    _event(selection, NominationEventKind.SELECTION_CREATE, actor, seats=seats)
    audit_record(
        actor=actor,
        action=AuditAction.HONOURS_SELECTION_OPEN,
        target=selection,
        detail={"year": year, "seats": seats},
    )
    return selection


@transaction.atomic
def quota_set(*, actor: User, selection: Selection, town: Unit, seats: Any) -> Quota:
    """Set a town's seats; the towns' seats together may not exceed the total, nor a
    town's seats fall below the nominations it holds."""
    _city(actor)
    selection = _lock_selection(selection)
    _stage(selection, SelectionStage.NOMINATING, SelectionStage.TOWN_REVIEW)
    if town.depth != TOWN_DEPTH:
        raise InvalidInput(_("Quotas are set for towns."), code="town")
    seats = _int(seats, _("The seats"), 0, selection.seats)
    others = selection.quotas.exclude(town=town).aggregate(n=Sum("seats"))["n"] or 0
    if others + seats > selection.seats:
        raise InvalidInput(
            _("The towns' seats together (%(sum)s) would exceed the selection's %(total)s.")
            % {"sum": others + seats, "total": selection.seats},
            code="quota_over_total",
        )
    held = selectors.held_count(selection, town)
    if seats < held:
        raise Conflict(
            _("%(town)s already holds %(held)s nominations; the quota cannot be less.")
            % {"town": town.name, "held": held},
            code="quota_below_held",
        )
    before = selectors.quota_of(selection, town)
    quota, _created = Quota.objects.update_or_create(
        selection=selection,
        town=town,
        defaults={"seats": seats, "updated_by": actor, "updated_at": timezone.now()},
    )
    old = before.seats if before else None
    _event(selection, NominationEventKind.QUOTA_SET, actor, town=town.pk, old=old, seats=seats)
    audit_record(
        actor=actor,
        action=AuditAction.HONOURS_QUOTA_SET,
        target=quota,
        detail={"year": selection.year, "town": town.pk, "old": old, "seats": seats},
    )
    return quota


def _check_days(days: Any) -> int:
    return _int(days, _("The days of the notice"), 1, MAX_NOTICE_DAYS)


@transaction.atomic
def stage_advance(
    *, actor: User, selection: Selection, days: Any = DEFAULT_NOTICE_DAYS, note: str = ""
) -> Selection:
    """Move the selection to its next stage, by the city. Into the city review every
    town must have submitted; into the notice every nomination the towns approved must
    be decided and none of the approved may have a severe breach (the notice runs
    `days` days from today); into the final list see `selection_finalise`."""
    _city(actor)
    note = clean_text(note, _("Note"), NOTE_MAX)
    selection = _lock_selection(selection)
    index = STAGE_ORDER.index(selection.stage)
    if index + 1 >= len(STAGE_ORDER):
        raise Conflict(_("The selection is already final."), code="wrong_stage")
    target = STAGE_ORDER[index + 1]
    if target == SelectionStage.FINAL:
        return _finalise(actor, selection, note)
    noms = selection.nominations
    if target == SelectionStage.TOWN_REVIEW and not selection.quotas.filter(seats__gt=0).exists():
        raise Conflict(
            _("Set the towns' quotas before the towns' review: no town may nominate yet."),
            code="no_quotas",
        )
    if target == SelectionStage.CITY_REVIEW:
        waiting = noms.filter(status=NominationStatus.NOMINATED).count()
        unsubmitted = [
            q.town.name
            for q in selectors.quotas_of(selection)
            if q.submitted_at is None and noms.filter(town=q.town).exists()
        ]
        if waiting or unsubmitted:
            raise Conflict(
                _("Towns still reviewing or not yet submitted: %(towns)s.")
                % {"towns": "、".join(unsubmitted) or str(waiting)},
                code="towns_pending",
            )
    if target == SelectionStage.NOTICE:
        days = _check_days(days)
        if noms.filter(status=NominationStatus.TOWN_APPROVED).exists():
            raise Conflict(
                _("Some nominations still wait for the city's decision."), code="city_pending"
            )
        approved = list(noms.filter(status=NominationStatus.CITY_APPROVED))
        barred = selectors.breached([n.representative_id for n in approved], selection.year)
        if barred:
            raise Conflict(
                _("Nominees with a confirmed severe breach must be withdrawn first: %(names)s.")
                % {
                    "names": "、".join(
                        n.representative.name for n in approved if n.representative_id in barred
                    )
                },
                code="breach",
            )
        selection.notice_starts = today()
        selection.notice_ends = today() + dt.timedelta(days=days - 1)
    old = selection.stage
    selection.stage = target
    selection.save(update_fields=["stage", "notice_starts", "notice_ends"])
    _event(
        selection,
        NominationEventKind.STAGE,
        actor,
        note=note,
        old=old,
        stage=target,
        notice_ends=str(selection.notice_ends or ""),
    )
    audit_record(
        actor=actor,
        action=AuditAction.HONOURS_STAGE,
        target=selection,
        detail={"year": selection.year, "old": old, "stage": target},
    )
    return selection


def _finalise(actor: User, selection: Selection, note: str) -> Selection:
    if selection.notice_ends is None or today() <= selection.notice_ends:
        raise Conflict(
            _("The notice runs until %(day)s; the list is final only after it.")
            % {"day": selection.notice_ends},
            code="notice_running",
        )
    approved = list(
        selection.nominations.select_for_update(of=("self",))
        .filter(status=NominationStatus.CITY_APPROVED)
        .select_related("representative")
    )
    open_ones = Objection.objects.filter(
        nomination__selection=selection, status=ObjectionStatus.OPEN
    ).select_related("nomination__representative")
    if open_ones.exists():
        raise Conflict(
            _("Objections are still open: %(names)s.")
            % {"names": "、".join(sorted({o.nomination.representative.name for o in open_ones}))},
            code="objections_open",
        )
    barred = selectors.breached([n.representative_id for n in approved], selection.year)
    if barred:
        raise Conflict(
            _("Nominees with a confirmed severe breach must be withdrawn first: %(names)s.")
            % {
                "names": "、".join(
                    n.representative.name for n in approved if n.representative_id in barred
                )
            },
            code="breach",
        )
    for n in approved:
        n.status = NominationStatus.FINAL
        n.save(update_fields=["status"])
        _event(selection, NominationEventKind.FINAL, actor, n)
    old = selection.stage
    selection.stage = SelectionStage.FINAL
    selection.save(update_fields=["stage"])
    _event(
        selection, NominationEventKind.STAGE, actor, note=note, old=old, stage=SelectionStage.FINAL
    )
    audit_record(
        actor=actor,
        action=AuditAction.HONOURS_STAGE,
        target=selection,
        detail={
            "year": selection.year,
            "old": old,
            "stage": SelectionStage.FINAL,
            "final": len(approved),
        },
    )
    return selection


def selection_finalise(*, actor: User, selection: Selection, note: str = "") -> Selection:
    """The final list: after the notice, with no objection open and no nominee barred."""
    selection = Selection.objects.get(pk=selection.pk)
    if selection.stage != SelectionStage.NOTICE:
        _city(actor)
        _stage(selection, SelectionStage.NOTICE)
    return stage_advance(actor=actor, selection=selection, note=note)


# --- nominations (the town) -------------------------------------------------------------------


@transaction.atomic
def nominate(
    *, actor: User, selection: Selection, representative: Representative, citation: str = ""
) -> Nomination:
    """Put a representative forward from their town's ranking of the selection's year,
    within the town's quota, with a snapshot of their score."""
    citation = clean_text(citation, _("Citation"), CITATION_MAX)
    town_path = path_at(representative.unit.path, TOWN_DEPTH)
    _town(actor, town_path)
    selection = _lock_selection(selection)
    _stage(selection, SelectionStage.NOMINATING)
    town = Unit.objects.get(path=town_path)
    quota = selectors.quota_of(selection, town)
    if quota is None or quota.submitted_at is not None:
        raise Conflict(
            _("%(town)s has no open quota in this selection.") % {"town": town.name},
            code="no_quota",
        )
    score = (
        Score.objects.filter(year=selection.year, representative=representative)
        .select_related("model")
        .first()
    )
    if score is None:
        raise InvalidInput(
            _("%(name)s has no score for %(year)s.")
            % {"name": representative.name, "year": selection.year},
            code="no_score",
        )
    if score.excluded or representative.pk in selectors.breached(
        [representative.pk], selection.year
    ):
        raise InvalidInput(
            _(
                "%(name)s has a confirmed severe breach of the negative list and cannot be "
                "nominated for the hundred best."
            )
            % {"name": representative.name},
            code="excluded",
        )
    if representative.term_end is not None and representative.term_end < today():
        raise InvalidInput(
            _("%(name)s no longer serves as a representative.") % {"name": representative.name},
            code="not_serving",
        )
    if selection.nominations.filter(representative=representative).exists():
        raise Conflict(
            _("%(name)s is already nominated in this selection.") % {"name": representative.name},
            code="already_nominated",
        )
    held = selectors.held_count(selection, town)
    if held >= quota.seats:
        raise Conflict(
            _("%(town)s's quota of %(seats)s is full.") % {"town": town.name, "seats": quota.seats},
            code="quota_full",
        )
    village = Unit.objects.get(path=path_at(representative.unit.path, VILLAGE_DEPTH))
    nomination = Nomination.objects.create(
        selection=selection,
        representative=representative,
        town=town,
        unit_path=representative.unit.path,
        village=village,
        score_total=score.total,
        rank_town=score.rank_town,
        rank_city=score.rank_city,
        score_model=score.model,
        score_version=score.model.version,
        citation=citation,
        nominated_by=actor,
    )
    _event(
        selection,
        NominationEventKind.NOMINATE,
        actor,
        nomination,
        score=score.total,
        rank_town=score.rank_town,
        version=score.model.version,
    )
    audit_record(
        actor=actor,
        action=AuditAction.HONOURS_NOMINATE,
        target=nomination,
        detail={
            "year": selection.year,
            "representative": representative.pk,
            "score": score.total,
            "rank_town": score.rank_town,
            "version": score.model.version,
        },
    )
    return nomination


def _town_open(nomination: Nomination) -> None:
    """The town may change its nominations until it submits them."""
    quota = selectors.quota_of(nomination.selection, nomination.town)
    if quota is not None and quota.submitted_at is not None:
        raise Conflict(_("The town has submitted its nominations to the city."), code="submitted")


@transaction.atomic
def citation_set(*, actor: User, nomination: Nomination, citation: str) -> Nomination:
    """The town writes (or rewrites) the citation; the old text stays in the history."""
    citation = clean_text(citation, _("Citation"), CITATION_MAX, required=True)
    nomination = _lock_nomination(nomination)
    _town(actor, nomination.town.path)
    _stage(nomination.selection, SelectionStage.NOMINATING, SelectionStage.TOWN_REVIEW)
    _status(nomination, NominationStatus.NOMINATED, NominationStatus.TOWN_APPROVED)
    _town_open(nomination)
    if citation == nomination.citation:
        return nomination
    old = nomination.citation
    nomination.citation = citation
    nomination.save(update_fields=["citation"])
    _event(
        nomination.selection,
        NominationEventKind.CITATION,
        actor,
        nomination,
        note=citation,
        old=old,
    )
    audit_record(
        actor=actor,
        action=AuditAction.HONOURS_CITATION,
        target=nomination,
        detail={"old": old, "new": citation},
    )
    return nomination


@transaction.atomic
def town_decide(
    *, actor: User, nomination: Nomination, approve: bool, note: str = ""
) -> Nomination:
    """The town's review of a nomination: approved (with its citation) or rejected (with
    a reason), once."""
    note = clean_text(note, _("Note"), NOTE_MAX, required=not approve)
    nomination = _lock_nomination(nomination)
    _town(actor, nomination.town.path)
    _stage(nomination.selection, SelectionStage.NOMINATING, SelectionStage.TOWN_REVIEW)
    _status(nomination, NominationStatus.NOMINATED)
    _town_open(nomination)
    if approve:
        if not nomination.citation.strip():
            raise InvalidInput(
                _("Write the citation before approving the nomination."), code="citation"
            )
        _refuse_breached(nomination)
        nomination.status = NominationStatus.TOWN_APPROVED
        kind = NominationEventKind.TOWN_APPROVE
    else:
        nomination.status = NominationStatus.TOWN_REJECTED
        kind = NominationEventKind.TOWN_REJECT
    nomination.save(update_fields=["status"])
    _event(nomination.selection, kind, actor, nomination, note=note)
    audit_record(
        actor=actor,
        action=AuditAction.HONOURS_TOWN_DECIDE,
        target=nomination,
        detail={"approve": approve, "note": note},
    )
    return nomination


@transaction.atomic
def town_submit(*, actor: User, selection: Selection, town: Unit) -> Quota:
    """The town hands its reviewed nominations to the city (every one decided)."""
    _town(actor, town.path)
    selection = _lock_selection(selection)
    _stage(selection, SelectionStage.NOMINATING, SelectionStage.TOWN_REVIEW)
    quota = Quota.objects.select_for_update().filter(selection=selection, town=town).first()
    if quota is None:
        raise NotFound(_("%(town)s has no quota in this selection.") % {"town": town.name})
    if quota.submitted_at is not None:
        raise Conflict(_("The town has submitted its nominations to the city."), code="submitted")
    waiting = selection.nominations.filter(town=town, status=NominationStatus.NOMINATED).count()
    if waiting:
        raise Conflict(
            _("%(n)s nominations still wait for the town's review.") % {"n": waiting},
            code="town_pending",
        )
    quota.submitted_at = timezone.now()
    quota.submitted_by = actor
    quota.save(update_fields=["submitted_at", "submitted_by"])
    approved = selection.nominations.filter(
        town=town, status=NominationStatus.TOWN_APPROVED
    ).count()
    _event(selection, NominationEventKind.TOWN_SUBMIT, actor, town=town.pk, approved=approved)
    audit_record(
        actor=actor,
        action=AuditAction.HONOURS_TOWN_SUBMIT,
        target=quota,
        detail={"year": selection.year, "town": town.pk, "approved": approved},
    )
    return quota


# --- the city's decisions ---------------------------------------------------------------------


@transaction.atomic
def city_decide(
    *, actor: User, nomination: Nomination, approve: bool, note: str = ""
) -> Nomination:
    """The city approves or rejects (with a reason) a nomination the town approved; a
    severe breach confirmed since the nomination blocks the approval."""
    _city(actor)
    note = clean_text(note, _("Note"), NOTE_MAX, required=not approve)
    nomination = _lock_nomination(nomination)
    _stage(nomination.selection, SelectionStage.CITY_REVIEW)
    _status(nomination, NominationStatus.TOWN_APPROVED)
    if approve:
        _refuse_breached(nomination)
        nomination.status = NominationStatus.CITY_APPROVED
        kind = NominationEventKind.CITY_APPROVE
    else:
        nomination.status = NominationStatus.CITY_REJECTED
        kind = NominationEventKind.CITY_REJECT
    nomination.save(update_fields=["status"])
    _event(nomination.selection, kind, actor, nomination, note=note)
    audit_record(
        actor=actor,
        action=AuditAction.HONOURS_CITY_DECIDE,
        target=nomination,
        detail={"approve": approve, "note": note},
    )
    return nomination


def _withdraw(actor: User, nomination: Nomination, note: str, **data: Any) -> None:
    nomination.status = NominationStatus.WITHDRAWN
    nomination.save(update_fields=["status"])
    _event(nomination.selection, NominationEventKind.WITHDRAW, actor, nomination, note=note, **data)


@transaction.atomic
def nomination_withdraw(*, actor: User, nomination: Nomination, note: str) -> Nomination:
    """The city takes a nominee off the notice (a breach confirmed since, say), with the
    reason."""
    _city(actor)
    note = clean_text(note, _("Reason"), NOTE_MAX, required=True)
    nomination = _lock_nomination(nomination)
    _stage(nomination.selection, SelectionStage.CITY_REVIEW, SelectionStage.NOTICE)
    _status(nomination, NominationStatus.CITY_APPROVED)
    _withdraw(actor, nomination, note)
    audit_record(
        actor=actor,
        action=AuditAction.HONOURS_WITHDRAW,
        target=nomination,
        detail={"note": note},
    )
    return nomination


# --- objections during the notice -------------------------------------------------------------


def notice_is_open(selection: Selection) -> bool:
    return (
        selection.stage == SelectionStage.NOTICE
        and selection.notice_starts is not None
        and selection.notice_ends is not None
        and selection.notice_starts <= today() <= selection.notice_ends
    )


@transaction.atomic
def objection_file(
    *, nomination: Nomination, text: str, phone: str, name: str = "", client: str
) -> Objection:
    """A resident's objection to a nominee while the notice runs (no account): the
    mobile is required (the city may call back), stored encrypted; limited per client."""
    text = clean_text(text, _("Objection"), OBJECTION_MAX, required=True)
    name = clean_text(name, _("Name"), 50, multiline=False)
    phone = normalize_mobile(
        clean_text(phone, _("Mobile number"), 20, required=True, multiline=False)
    )
    nomination = _lock_nomination(nomination)
    if nomination.status != NominationStatus.CITY_APPROVED or not notice_is_open(
        nomination.selection
    ):
        raise Conflict(
            _("The notice of this nominee is not open for objections."), code="notice_closed"
        )
    for scope, limit, window in OBJECTION_LIMITS:
        ratelimit.check(scope, client, limit=limit, window=window)
    objection = Objection.objects.create(nomination=nomination, text=text, name=name, phone=phone)
    _event(
        nomination.selection,
        NominationEventKind.OBJECTION,
        None,
        nomination,
        objection=objection.pk,
    )
    return objection


@transaction.atomic
def objection_decide(*, actor: User, objection: Objection, uphold: bool, answer: str) -> Objection:
    """The city's answer to an objection: upheld (the nomination is withdrawn) or
    dismissed (it stays), with the reason."""
    _city(actor)
    answer = clean_text(answer, _("Answer"), NOTE_MAX, required=True)
    objection = Objection.objects.select_for_update().get(pk=objection.pk)
    nomination = _lock_nomination(objection.nomination)
    _stage(nomination.selection, SelectionStage.NOTICE)
    if objection.status != ObjectionStatus.OPEN:
        raise Conflict(_("The objection is already answered."), code="objection_decided")
    objection.status = ObjectionStatus.UPHELD if uphold else ObjectionStatus.DISMISSED
    objection.answer = answer
    objection.decided_by = actor
    objection.decided_at = timezone.now()
    objection.save(update_fields=["status", "answer", "decided_by", "decided_at"])
    kind = (
        NominationEventKind.OBJECTION_UPHELD if uphold else NominationEventKind.OBJECTION_DISMISSED
    )
    _event(nomination.selection, kind, actor, nomination, note=answer, objection=objection.pk)
    if uphold and nomination.status == NominationStatus.CITY_APPROVED:
        _withdraw(actor, nomination, answer, objection=objection.pk)
    audit_record(
        actor=actor,
        action=AuditAction.HONOURS_OBJECTION_DECIDE,
        target=objection,
        detail={"nomination": nomination.pk, "uphold": uphold, "answer": answer},
    )
    return objection


# --- benefits ---------------------------------------------------------------------------------


@transaction.atomic
def benefit_kind_save(
    *,
    actor: User,
    name: str,
    provider: str = "",
    description: str = "",
    active: bool = True,
    kind: BenefitKind | None = None,
) -> BenefitKind:
    """Add a benefit kind, or change one (the city)."""
    _city(actor)
    name = clean_text(name, _("Name"), 100, required=True, multiline=False)
    provider = clean_text(provider, _("Provider"), 100, multiline=False)
    description = clean_text(description, _("Description"), 2000)
    clash = BenefitKind.objects.filter(name=name)
    if kind is not None:
        clash = clash.exclude(pk=kind.pk)
    if clash.exists():
        raise Conflict(_("A benefit of this name exists."), code="exists")
    old = None
    if kind is None:
        kind = BenefitKind(created_by=actor)
    else:
        old = {"name": kind.name, "provider": kind.provider, "active": kind.active}
    kind.name, kind.provider, kind.description, kind.active = name, provider, description, active
    kind.save()
    audit_record(
        actor=actor,
        action=AuditAction.HONOURS_BENEFIT_KIND,
        target=kind,
        detail={"old": old, "name": name, "provider": provider, "active": active},
    )
    return kind


def _check_day(day: Any) -> dt.date:
    if not isinstance(day, dt.date) or isinstance(day, dt.datetime) or not in_window(day):
        raise InvalidInput(_("The date is not valid."), code="day")
    if day > today():
        raise InvalidInput(_("The date may not be in the future."), code="day_future")
    return day


@transaction.atomic
def benefit_issue(
    *,
    actor: User,
    kind: BenefitKind,
    representative: Representative,
    year: Any,
    issued_on: Any,
    reference: str = "",
) -> BenefitIssue:
    """Record a benefit given to one of the year's hundred best (their town or the
    city); one of a kind a person a year while not revoked."""
    year = check_year(year)
    issued_on = _check_day(issued_on)
    reference = clean_text(reference, _("Reference"), 100, multiline=False)
    _town(actor, path_at(representative.unit.path, TOWN_DEPTH))
    if not kind.active:
        raise Conflict(_("This benefit is no longer given."), code="inactive")
    final = Nomination.objects.filter(
        selection__year=year, representative=representative, status=NominationStatus.FINAL
    ).first()
    if final is None:
        raise InvalidInput(
            _("%(name)s is not on the final list of %(year)s.")
            % {"name": representative.name, "year": year},
            code="not_final",
        )
    Representative.objects.select_for_update().filter(pk=representative.pk).first()
    if BenefitIssue.objects.filter(
        kind=kind, representative=representative, year=year, revoked_at__isnull=True
    ).exists():
        raise Conflict(
            _("%(name)s already has %(kind)s for %(year)s.")
            % {"name": representative.name, "kind": kind.name, "year": year},
            code="already_issued",
        )
    issue = BenefitIssue.objects.create(
        kind=kind,
        representative=representative,
        year=year,
        unit_path=final.unit_path,
        issued_on=issued_on,
        reference=reference,
        issued_by=actor,
    )
    audit_record(
        actor=actor,
        action=AuditAction.HONOURS_BENEFIT_ISSUE,
        target=issue,
        detail={"kind": kind.pk, "representative": representative.pk, "year": year},
    )
    return issue


@transaction.atomic
def benefit_revoke(*, actor: User, issue: BenefitIssue, reason: str) -> BenefitIssue:
    reason = clean_text(reason, _("Reason"), NOTE_MAX, required=True, multiline=False)
    issue = BenefitIssue.objects.select_for_update().get(pk=issue.pk)
    _town(actor, path_at(issue.unit_path, TOWN_DEPTH))
    if issue.revoked_at is not None:
        raise Conflict(_("The benefit is already revoked."), code="revoked")
    issue.revoked_at = timezone.now()
    issue.revoked_by = actor
    issue.revoke_reason = reason
    issue.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
    audit_record(
        actor=actor,
        action=AuditAction.HONOURS_BENEFIT_REVOKE,
        target=issue,
        detail={"reason": reason},
    )
    return issue


# --- the reserve pool ------------------------------------------------------------------------


@transaction.atomic
def reserve_rule_set(*, actor: User, year: Any, max_age: Any, min_score: Any) -> ReserveRule:
    """The city's rule of a year: age under `max_age`, score at least `min_score` points."""
    _city(actor)
    year = check_year(year)
    max_age = _int(max_age, _("The age limit"), 18, 100)
    min_score = _int(min_score, _("The minimum score"), 0, 100)
    before = selectors.reserve_rule(year)
    rule, _created = ReserveRule.objects.update_or_create(
        year=year,
        defaults={
            "max_age": max_age,
            "min_score": min_score,
            "updated_by": actor,
            "updated_at": timezone.now(),
        },
    )
    audit_record(
        actor=actor,
        action=AuditAction.HONOURS_RESERVE_RULE,
        target=rule,
        detail={
            "year": year,
            "old": [before.max_age, before.min_score],
            "max_age": max_age,
            "min_score": min_score,
        },
    )
    return rule


@transaction.atomic
def reserve_propose(*, actor: User | None, year: Any) -> int:
    """Propose the year's candidates by its rule from the year's scores: age under the
    limit (from the member's birth date), score at least the threshold, not excluded,
    no severe breach, still serving. Idempotent: a representative proposed before (or
    decided) is left as they are. Answers how many were proposed now."""
    if actor is not None:
        _city(actor)
    year = check_year(year)
    rule = selectors.reserve_rule(year)
    scores = list(
        Score.objects.filter(year=year, excluded=False, total__gte=rule.min_score * 100)
        .select_related("representative__member", "model")
        .order_by("pk")
    )
    have = set(
        ReserveCandidate.objects.filter(year=year).values_list("representative_id", flat=True)
    )
    barred = selectors.breached([s.representative_id for s in scores], year)
    made = []
    for s in scores:
        rep = s.representative
        if rep.pk in have or rep.pk in barred or rep.term_end is not None:
            continue
        years = age(rep.member.birth_date)
        if years is None or years >= rule.max_age:
            continue
        made.append(
            ReserveCandidate(
                representative=rep,
                year=year,
                unit_path=s.unit_path,
                town_path=s.town_path,
                score_total=s.total,
                score_version=s.model.version,
                age=years,
            )
        )
    ReserveCandidate.objects.bulk_create(made, ignore_conflicts=True)
    created = list(
        ReserveCandidate.objects.filter(
            year=year, representative_id__in=[c.representative_id for c in made]
        ).exclude(events__isnull=False)
    )
    ReserveEvent.objects.bulk_create(
        [
            ReserveEvent(
                candidate=c,
                kind=ReserveStatus.PROPOSED,
                actor=actor,
                note=_("By the rule: age under %(age)s, score at least %(score)s.")
                % {"age": rule.max_age, "score": rule.min_score},
            )
            for c in created
        ]
    )
    audit_record(
        actor=actor,
        action=AuditAction.HONOURS_RESERVE_PROPOSE,
        target_type="honours.reservecandidate",
        detail={
            "year": year,
            "max_age": rule.max_age,
            "min_score": rule.min_score,
            "proposed": len(created),
        },
    )
    return len(created)


@transaction.atomic
def reserve_decide(
    *, actor: User, candidate: ReserveCandidate, confirm: bool, note: str = ""
) -> ReserveCandidate:
    """The town confirms or declines (with a reason) a proposed candidate, once."""
    note = clean_text(note, _("Note"), NOTE_MAX, required=not confirm, multiline=False)
    candidate = ReserveCandidate.objects.select_for_update().get(pk=candidate.pk)
    _town(actor, candidate.town_path)
    if candidate.status != ReserveStatus.PROPOSED:
        raise Conflict(_("The candidate is already decided."), code="decided")
    if confirm and candidate.representative_id in selectors.breached(
        [candidate.representative_id], candidate.year
    ):
        raise Conflict(
            _("This representative has a confirmed severe breach and cannot be confirmed."),
            code="breach",
        )
    candidate.status = ReserveStatus.CONFIRMED if confirm else ReserveStatus.DECLINED
    candidate.note = note
    candidate.decided_by = actor
    candidate.decided_at = timezone.now()
    candidate.save(update_fields=["status", "note", "decided_by", "decided_at"])
    ReserveEvent.objects.create(candidate=candidate, kind=candidate.status, actor=actor, note=note)
    audit_record(
        actor=actor,
        action=AuditAction.HONOURS_RESERVE_DECIDE,
        target=candidate,
        detail={"confirm": confirm, "note": note},
    )
    return candidate
