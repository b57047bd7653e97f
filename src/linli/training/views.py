"""Pages of representative training: the plans (per unit and year, a new plan), a plan
with its sessions (a new session), a session (enrol, record attendance for all
enrolled in one form, cancel), a representative's training record of a year, the
representative's own, and the hours table per representative with its Excel export.

Thin: reads through selectors, writes through services.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import BadRequest
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from linli.accounts.access import roles_required
from linli.accounts.models import Role
from linli.core.errors import DomainError
from linli.core.inputs import EVENT_YEARS, is_id
from linli.core.paging import paginate
from linli.core.timeutil import today
from linli.org import selectors as org_selectors

from . import exports, policy, selectors, services
from .forms import (
    AttendanceForm,
    CancelForm,
    EnrolForm,
    HoursFilterForm,
    PlanForm,
    SessionForm,
)
from .models import SessionStatus, TrainingSession

if TYPE_CHECKING:
    from linli.accounts.models import User

SEE_ROLES = policy.SEE_ROLES
OWN_ROLES = frozenset({Role.REPRESENTATIVE})
RECORD_ROLES = SEE_ROLES | OWN_ROLES


def _actor(request: HttpRequest) -> User:
    return cast("User", request.user)


def _year(request: HttpRequest) -> int:
    value = request.GET.get("year", "")
    if not value:
        return today().year
    if not value.isdigit() or not EVENT_YEARS[0] <= int(value) <= EVENT_YEARS[1]:
        raise BadRequest(_("The year is not valid."))
    return int(value)


def _years(year: int) -> list[int]:
    now = today().year
    return sorted({now, now - 1, now - 2, year}, reverse=True)


# --- plans -----------------------------------------------------------------------------------


@roles_required(SEE_ROLES)
def plans(request: HttpRequest) -> HttpResponse:
    year = _year(request)
    units = selectors.organiser_units(request.user).select_related("parent")
    may_create = policy.may_manage_anywhere(request.user) and units.exists()
    form = PlanForm(request.POST or None, units=units, initial={"year": year})
    status = 200
    if request.method == "POST":
        if not may_create:
            raise Http404
        if form.is_valid():
            d = form.cleaned_data
            try:
                plan = services.plan_create(
                    actor=_actor(request), unit=d["unit"], year=d["year"], title=d["title"]
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                messages.success(request, _("The training plan was created."))
                return redirect("training:plan", pk=plan.pk)
        else:
            status = 400
    page = paginate(selectors.plans_filtered(request.user, year=year), request.GET.get("page"))
    return render(
        request,
        "training/plans.html",
        {
            "year": year,
            "years": _years(year),
            "page": page,
            "query": urlencode({"year": year}),
            "form": form if may_create else None,
        },
        status=status,
    )


@roles_required(SEE_ROLES)
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = selectors.plan_get(request.user, pk)
    may_manage = policy.can_manage(request.user, plan)
    form = SessionForm(request.POST or None, initial={"held_on": today()})
    status = 200
    if request.method == "POST":
        if not may_manage:
            raise Http404
        if form.is_valid():
            d = form.cleaned_data
            try:
                session = services.session_create(
                    actor=_actor(request),
                    plan=plan,
                    title=d["title"],
                    topic=d["topic"],
                    held_on=d["held_on"],
                    starts_at=d["starts_at"],
                    duration_minutes=d["duration_minutes"],
                    credit_minutes=d["credit_minutes"],
                    place=d["place"],
                    capacity=d["capacity"],
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                messages.success(request, _("The training session was added."))
                return redirect("training:session", pk=session.pk)
        else:
            status = 400
    return render(
        request,
        "training/plan.html",
        {
            "plan": plan,
            "sessions": list(selectors.sessions_filtered(request.user, plan=plan)),
            "form": form if may_manage else None,
        },
        status=status,
    )


# --- a session ---------------------------------------------------------------------------------


@roles_required(SEE_ROLES)
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    session = selectors.session_get(request.user, pk)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    may_manage = policy.can_manage(request.user, session.plan)
    may_enrol = policy.can_enrol(request.user, session.plan)
    if action and action not in ("enrol", "withdraw", "attendance", "cancel"):
        raise Http404
    if action in ("attendance", "cancel") and not may_manage:
        raise Http404
    if action in ("enrol", "withdraw") and not may_enrol:
        raise Http404
    rows = selectors.enrolled_of(request.user, session)
    enrol_form = EnrolForm(
        request.POST if action == "enrol" else None,
        choices=selectors.enrollable(request.user, session),
    )
    attendance_form = AttendanceForm(
        request.POST if action == "attendance" else None,
        rows=rows,
        credit=session.credit_minutes,
    )
    cancel_form = CancelForm(request.POST if action == "cancel" else None)
    status = 200
    if action:
        try:
            done = _session_action(
                request, session, action, enrol_form, attendance_form, cancel_form
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            done, status = False, exc.status
        if done:
            return redirect("training:session", pk=pk)
        status = status if status != 200 else 400
    planned = session.status == SessionStatus.PLANNED
    return render(
        request,
        "training/session.html",
        {
            "session": session,
            "rows": rows,
            "enrolled": selectors.enrolled_count(session),
            "history": selectors.history_of(request.user, session)[:50],
            "may_enrol": may_enrol and planned,
            "may_record": may_manage
            and session.status != SessionStatus.CANCELLED
            and session.held_on <= today()
            and bool(rows),
            "may_cancel": may_manage and planned,
            "enrol_form": enrol_form,
            "attendance_form": attendance_form,
            "cancel_form": cancel_form,
        },
        status=status,
    )


def _session_action(
    request: HttpRequest,
    session: TrainingSession,
    action: str,
    enrol_form: EnrolForm,
    attendance_form: AttendanceForm,
    cancel_form: CancelForm,
) -> bool:
    actor = _actor(request)
    if action == "enrol":
        if not enrol_form.is_valid():
            return False
        n = services.enrol(
            actor=actor, session=session, representatives=enrol_form.cleaned_data["representatives"]
        )
        messages.success(request, _("%(n)d representatives were enrolled.") % {"n": n})
        return True
    if action == "withdraw":
        value = request.POST.get("representative", "")
        if not is_id(value):
            raise BadRequest(_("The representative is not valid."))
        services.withdraw(actor=actor, session=session, representative=int(value))
        messages.success(request, _("The enrolment was withdrawn."))
        return True
    if action == "attendance":
        if not attendance_form.is_valid():
            return False
        result = services.attendance_record(
            actor=actor,
            session=session,
            marks=[services.Mark(pk, s, m) for pk, s, m in attendance_form.marks()],
            reason=attendance_form.cleaned_data["reason"],
        )
        messages.success(
            request,
            _("Attendance saved: %(r)d recorded, %(c)d corrected.")
            % {"r": result.recorded, "c": result.corrected},
        )
        return True
    if not cancel_form.is_valid():
        return False
    services.session_cancel(actor=actor, session=session, reason=cancel_form.cleaned_data["reason"])
    messages.success(request, _("The session was cancelled."))
    return True


# --- a representative's record -------------------------------------------------------------


def _record(request: HttpRequest, rep: Any, own: list[Any]) -> HttpResponse:
    year = _year(request)
    record = selectors.training_record(rep, year)
    return render(
        request,
        "training/representative.html",
        {
            "record": record,
            "rep": rep,
            "year": year,
            "years": _years(year),
            "own": own,
            "is_own": rep.pk in policy.own_ids(request.user),
        },
    )


@roles_required(RECORD_ROLES)
def representative(request: HttpRequest, pk: int) -> HttpResponse:
    rep = selectors.representative_get(request.user, pk)
    return _record(request, rep, [])


@roles_required(OWN_ROLES)
def mine(request: HttpRequest) -> HttpResponse:
    own = org_selectors.own_representatives(request.user)
    if not own:
        return render(request, "training/representative.html", {"rep": None, "years": []})
    chosen = own[0]
    value = request.GET.get("rep", "")
    if value:
        chosen = next((r for r in own if str(r.pk) == value), chosen)
    return _record(request, chosen, own if len(own) > 1 else [])


# --- the hours table --------------------------------------------------------------------------


def _hours_filters(request: HttpRequest) -> tuple[HoursFilterForm, Any, int]:
    units = selectors.hours_units(request.user)
    form = HoursFilterForm(request.GET or None, units=units)
    unit, year = None, today().year
    if form.is_bound:
        if not form.is_valid():
            return form, None, year
        unit = form.cleaned_data.get("unit")
        year = form.cleaned_data.get("year") or year
    return form, unit or selectors.hours_default_unit(request.user), year


@roles_required(SEE_ROLES)
def hours_table(request: HttpRequest) -> HttpResponse:
    form, unit, year = _hours_filters(request)
    page = None
    rows: list[Any] = []
    total = 0
    if unit is not None and not form.errors:
        page = paginate(
            selectors.representatives_of_year(request.user, unit, year), request.GET.get("page")
        )
        rows = selectors.hours_rows(page.object_list, year)
        total = selectors.unit_total_minutes(request.user, unit, year)
    query = urlencode({k: v for k, v in request.GET.items() if k != "page" and v})
    return render(
        request,
        "training/hours.html",
        {
            "form": form,
            "unit": unit,
            "year": year,
            "page": page,
            "rows": rows,
            "total": total,
            "query": query,
            "export_query": urlencode({"unit": unit.pk if unit else "", "year": year}),
        },
        status=400 if form.errors else 200,
    )


@roles_required(SEE_ROLES)
def export(request: HttpRequest) -> FileResponse:
    form, unit, year = _hours_filters(request)
    if form.errors:
        raise BadRequest(_("Some filters are not valid."))
    if unit is None:
        raise Http404
    result = exports.hours_xlsx(
        user=_actor(request),
        representatives=selectors.representatives_of_year(request.user, unit, year),
        unit=unit,
        year=year,
    )
    return FileResponse(
        result.file,
        as_attachment=True,
        filename=result.filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
