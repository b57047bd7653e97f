"""The love doorbell's pages: thin views over selectors (reads) and services (writes)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linli.accounts.access import roles_required
from linli.accounts.scope import HOUSEHOLD_LIST_ROLES
from linli.core.errors import DomainError, NotFound
from linli.core.inputs import is_id
from linli.core.paging import paginate

from . import alarm_exports, policy, selectors, services, workflow
from .forms import AlarmFilterForm, ArriveForm, CloseForm, EmptyForm, FiguresForm
from .models import AlarmStatus

# --- care register and pairing ------------------------------------------------------------


# --- devices, messages and maintenance ----------------------------------------------------


# --- alarms -------------------------------------------------------------------------------


ALARM_ROLES = frozenset(HOUSEHOLD_LIST_ROLES)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _alarm(user, pk: int):
    try:
        return selectors.alarm_get(user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _alarm_filters(request) -> tuple[AlarmFilterForm, selectors.AlarmFilters, dict[str, Any]]:
    form = AlarmFilterForm(request.GET or None, units=selectors.alarm_units(request.user))
    data = form.cleaned_data if form.is_valid() else {}
    f = selectors.AlarmFilters(
        unit=data.get("unit"),
        status=data.get("status", ""),
        outcome=data.get("outcome", ""),
        start=data.get("start"),
        end=data.get("end"),
    )
    shown = {
        k: (v.pk if hasattr(v, "pk") else str(v)) for k, v in data.items() if v not in (None, "")
    }
    return form, f, shown


@roles_required(ALARM_ROLES)
def alarm_panel(request):
    """The live panel: open alarms first (who was told, the step, time since the press),
    then the closed ones with filters and paging. `?part=open` (the panel's script, on
    every change pushed) answers the open block alone."""
    if request.GET.get("part") == "open":
        return render(
            request,
            "doorbell/alarm_open.html",
            {"open_alarms": selectors.alarms_open(request.user)},
        )
    form, f, _shown = _alarm_filters(request)
    page = paginate(selectors.alarms_closed(request.user, f), request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "rows": page.object_list,
        "query": query.urlencode(),
        "open_alarms": selectors.alarms_open(request.user),
    }
    status = 400 if request.GET and not form.is_valid() else 200
    template = "doorbell/alarm_rows.html" if request.htmx else "doorbell/alarm_panel.html"
    return render(request, template, context, status=status)


@roles_required(ALARM_ROLES)
def alarm_export(request):
    _form, f, shown = _alarm_filters(request)
    result = alarm_exports.alarms_xlsx(
        user=request.user, alarms=selectors.alarms_filtered(request.user, f), filters=shown
    )
    return FileResponse(
        result.file, as_attachment=True, filename=result.filename, content_type=XLSX
    )


def _detail(request, alarm, *, status: int = 200, close_form=None, error: str = ""):
    may = policy.can_respond(request.user, alarm)
    actions = workflow.actions_from(alarm.status) if may else []
    timeline = selectors.alarm_timeline(alarm)
    return render(
        request,
        "doorbell/alarm_detail.html",
        {
            "alarm": alarm,
            "events": timeline["events"],
            "notices": timeline["notices"],
            "actions": actions,
            "close_form": close_form or CloseForm(),
            "arrive_form": ArriveForm(),
            "error": error,
            "is_open": alarm.status != AlarmStatus.CLOSED,
            "unanswered": alarm.status in workflow.WAITING and alarm.next_step_at is None,
            "now": timezone.now(),
        },
        status=status,
    )


@login_required
def alarm_detail(request, pk: int):
    """One alarm: its timeline (every event, who was told when) and the three buttons."""
    return _detail(request, _alarm(request.user, pk))


ACT_FORMS: dict[str, type[forms.Form]] = {
    workflow.Action.ACKNOWLEDGE: EmptyForm,
    workflow.Action.ARRIVE: ArriveForm,
    workflow.Action.CLOSE: CloseForm,
}


@login_required
@require_POST
def alarm_act(request, pk: int, action: str):
    alarm = _alarm(request.user, pk)
    if action not in ACT_FORMS:
        raise Http404
    form = ACT_FORMS[action](request.POST)
    close_form = form if action == workflow.Action.CLOSE else None
    if not form.is_valid():
        errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        return _detail(request, alarm, status=400, close_form=close_form, error=errors)
    params = dict(form.cleaned_data)
    version = request.POST.get("version")
    if is_id(version or ""):
        params["version"] = int(version)
    try:
        services.ACTIONS[action](actor=request.user, alarm=alarm, **params)
    except DomainError as exc:
        alarm = _alarm(request.user, pk)
        return _detail(request, alarm, status=exc.status, close_form=close_form, error=exc.message)
    messages.success(request, _("Saved: %(action)s.") % {"action": workflow.Action(action).label})
    return redirect("doorbell:alarm_detail", pk=alarm.pk)


def _figures(request):
    form = FiguresForm(request.GET or None, units=selectors.alarm_units(request.user))
    data = form.cleaned_data if form.is_valid() else {}
    start, end = selectors.default_period()
    start = data.get("start") or start
    end = data.get("end") or end
    if start > end:
        start = end
    unit = data.get("unit")
    figures = selectors.response_figures(request.user, unit, start, end)
    shown = {"unit": unit.pk if unit else None, "start": str(start), "end": str(end)}
    return form, figures, shown


@roles_required(ALARM_ROLES)
def figures(request):
    form, figs, _shown = _figures(request)
    status = 400 if request.GET and not form.is_valid() else 200
    query = request.GET.urlencode()
    return render(
        request,
        "doorbell/alarm_figures.html",
        {"form": form, "figures": figs, "query": query},
        status=status,
    )


@roles_required(ALARM_ROLES)
def figures_export(request):
    _form, figs, shown = _figures(request)
    result = alarm_exports.figures_xlsx(user=request.user, figures=figs, filters=shown)
    return FileResponse(
        result.file, as_attachment=True, filename=result.filename, content_type=XLSX
    )
