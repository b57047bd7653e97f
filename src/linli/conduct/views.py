"""Pages of the negative list: the catalogue (print-friendly, exportable), the breach
records with their review queue, one record's page with its evidence, history and
actions, and a representative's own records with the statement form.

Thin: reads through selectors, writes through services.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linli.accounts.access import roles_required
from linli.accounts.models import Role
from linli.core.errors import DomainError, NotFound
from linli.core.paging import paginate
from linli.org import selectors as org_selectors
from linli.org.models import Unit, UnitKind

from . import exports, policy, selectors, services
from .forms import (
    BreachFilterForm,
    BreachReportForm,
    DecisionForm,
    EntryEditForm,
    EntryFilterForm,
    EntryForm,
    EvidenceForm,
    StatementForm,
    WithdrawForm,
)
from .models import Breach, BreachStage, EvidenceKind

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from linli.accounts.models import User

    class _Request(HttpRequest):
        user: User  # behind login_required / roles_required
        htmx: HtmxDetails
else:
    _Request = HttpRequest

EVERY_ROLE = frozenset(Role)
# The units the breach records can be narrowed to: towns and villages.
FILTER_KINDS = (UnitKind.TOWN, UnitKind.SUBDISTRICT, UnitKind.VILLAGE, UnitKind.COMMUNITY)
BREACH_ROLES = policy.VIEW_ROLES
MINE_ROLES = frozenset({Role.REPRESENTATIVE})
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _get(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _xlsx(result: exports.Export) -> FileResponse:
    return FileResponse(
        result.file, as_attachment=True, filename=result.filename, content_type=XLSX
    )


# --- the catalogue ---------------------------------------------------------------------------


def _entries(request: _Request) -> tuple[EntryFilterForm, Any]:
    form = EntryFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    qs = selectors.entries_visible_to(request.user)
    if not data.get("inactive"):
        qs = qs.filter(active=True)
    if data.get("severity"):
        qs = qs.filter(severity=data["severity"])
    return form, qs


@roles_required(EVERY_ROLE)
def entry_list(request: _Request) -> HttpResponse:
    form, qs = _entries(request)
    page = paginate(qs, request.GET.get("page"), per_page=100)
    query = request.GET.copy()
    query.pop("page", None)
    user = request.user
    # "Change" only on the entries the user may change (a town cadre: their town's,
    # not the city's), as `entry_edit` checks; two queries, not one an entry.
    city = policy.can_write_city_list(user)
    towns = {u.pk for u in policy.town_units_for(user)}
    editable = {e.pk for e in page.object_list if (e.unit_id in towns if e.unit_id else city)}
    return render(
        request,
        "conduct/entries.html",
        {
            "form": form,
            "page": page,
            "rows": page.object_list,
            "query": query.urlencode(),
            "can_write": policy.can_write_catalogue(user),
            "editable": editable,
            "can_report": policy.can_report_anywhere(user),
            "my_open": selectors.breaches_of_user(user).filter(
                stage__in=(BreachStage.REPORTED, BreachStage.STATED)
            ),
        },
    )


@roles_required(EVERY_ROLE)
def entry_export(request: _Request) -> FileResponse:
    _form, qs = _entries(request)
    return _xlsx(exports.entries_xlsx(user=request.user, qs=qs))


@roles_required(policy.TOWN_LIST_ROLES)
def entry_new(request: _Request) -> HttpResponse:
    user = request.user
    city, towns = policy.can_write_city_list(user), policy.town_units_for(user)
    if not city and not towns:
        raise Http404
    form = EntryForm(request.POST or None, city=city, towns=towns)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        unit = Unit.objects.filter(pk=d["unit"]).first() if d["unit"] else None
        try:
            services.entry_create(
                actor=user,
                unit=unit,
                code=d["code"],
                title=d["title"],
                severity=d["severity"],
                description=d["description"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Entry added."))
            return redirect("conduct:entries")
    return render(request, "conduct/form.html", {"form": form, "title": _("Add an entry")})


@roles_required(policy.TOWN_LIST_ROLES)
def entry_edit(request: _Request, pk: int) -> HttpResponse:
    entry = _get(selectors.entry_get, request.user, pk)
    if not policy.can_write_entry_at(request.user, entry.unit):
        raise Http404
    initial = {
        "title": entry.title,
        "severity": entry.severity,
        "description": entry.description,
        "active": entry.active,
    }
    form = EntryEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.entry_update(actor=request.user, entry=entry, **d)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Entry saved."))
            return redirect("conduct:entries")
    title = _("Change entry %(code)s") % {"code": entry.code}
    return render(request, "conduct/form.html", {"form": form, "title": title})


# --- breach records --------------------------------------------------------------------------


def _breach_filters(request: _Request) -> tuple[BreachFilterForm, dict[str, Any], Any]:
    units = org_selectors.units_visible_to(request.user).filter(kind__in=FILTER_KINDS)
    form = BreachFilterForm(request.GET or None, units=units.order_by("path"))
    data = form.cleaned_data if form.is_valid() else {}
    return form, data, data.get("unit")


def _breaches(request: _Request) -> tuple[BreachFilterForm, dict[str, Any], Any, Any]:
    form, data, unit = _breach_filters(request)
    qs = selectors.breaches_filtered(
        request.user,
        stage=data.get("stage", ""),
        severity=data.get("severity", ""),
        unit=unit,
        overdue=bool(data.get("overdue")),
        q=data.get("q", ""),
    )
    return form, data, unit, qs


@roles_required(BREACH_ROLES)
def breach_list(request: _Request) -> HttpResponse:
    form, _data, unit, qs = _breaches(request)
    page = paginate(qs, request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    template = "conduct/_breach_rows.html" if request.htmx else "conduct/breaches.html"
    return render(
        request,
        template,
        {
            "form": form,
            "page": page,
            "rows": page.object_list,
            "unit": unit,
            "query": query.urlencode(),
            "can_report": policy.can_report_anywhere(request.user),
        },
    )


@roles_required(BREACH_ROLES)
def breach_export(request: _Request) -> FileResponse:
    _form, data, _unit, qs = _breaches(request)
    return _xlsx(exports.breaches_xlsx(user=request.user, qs=qs, params=data))


@roles_required(policy.REPORT_ROLES)
def breach_new(request: _Request) -> HttpResponse:
    user = request.user
    reps = org_selectors.representatives_visible_to(user).filter(term_end__isnull=True)
    reps = reps.filter(pk__in=[r.pk for r in reps if policy.can_report(user, r)]).order_by(
        "unit__path", "name"
    )
    entries = selectors.entries_visible_to(user, active_only=True)
    form = BreachReportForm(
        request.POST or None,
        request.FILES or None,
        representatives=reps,
        entries=entries,
        initial={"representative": request.GET.get("representative", "")}
        if (request.GET.get("representative") or "").isdigit()
        else None,
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            breach = services.breach_report(
                actor=user,
                representative=d["representative"],
                entry=d["entry"],
                description=d["description"],
                occurred_on=d["occurred_on"],
                place=d["place"],
                source=d["source"],
                photos=d["photos"],
                documents=d["documents"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Breach reported; the representative has been told."))
            return redirect("conduct:breach", pk=breach.pk)
    return render(
        request,
        "conduct/form.html",
        {
            "form": form,
            "title": _("Report a breach"),
            "multipart": True,
            "photo_max": settings.LINLI["PHOTO_MAX_COUNT"],
            "doc_max": services.DOCUMENT_MAX_COUNT,
        },
    )


def _breach_context(request: _Request, breach: Breach) -> dict[str, Any]:
    evidence = list(breach.evidence.all())
    return {
        "breach": breach,
        "events": selectors.history_for(request.user, breach),
        "photos": [e for e in evidence if e.kind == EvidenceKind.PHOTO],
        "documents": [e for e in evidence if e.kind == EvidenceKind.DOCUMENT],
        "actions": selectors.actions_for(request.user, breach),
        "window_passed": selectors.window_passed(breach),
        "is_own": policy.is_own(request.user, breach),
        "statement_form": StatementForm(initial={"text": breach.statement}),
        "decision_form": DecisionForm(),
        "withdraw_form": WithdrawForm(),
        "evidence_form": EvidenceForm(),
    }


@login_required
def breach_detail(request: _Request, pk: int) -> HttpResponse:
    breach = _get(selectors.breach_get, request.user, pk)
    return render(request, "conduct/breach.html", _breach_context(request, breach))


ACTION_FORMS: dict[str, Any] = {
    "statement": StatementForm,
    "confirm": DecisionForm,
    "dismiss": DecisionForm,
    "withdraw": WithdrawForm,
    "evidence": EvidenceForm,
}
DONE = {
    "statement": _("Statement recorded."),
    "confirm": _("Breach confirmed."),
    "dismiss": _("Breach dismissed."),
    "withdraw": _("Report withdrawn."),
    "evidence": _("Evidence added."),
}


@login_required
@require_POST
def breach_act(request: _Request, pk: int, action: str) -> HttpResponse:
    breach = _get(selectors.breach_get, request.user, pk)
    form_class = ACTION_FORMS.get(action)
    if form_class is None:
        raise Http404
    form = form_class(request.POST, request.FILES or None)
    if form.is_valid():
        d = form.cleaned_data
        actor = request.user
        try:
            if action == "statement":
                services.breach_statement(actor=actor, breach=breach, text=d["text"])
            elif action == "confirm":
                services.breach_confirm(actor=actor, breach=breach, reason=d["reason"])
            elif action == "dismiss":
                services.breach_dismiss(actor=actor, breach=breach, reason=d["reason"])
            elif action == "withdraw":
                services.breach_withdraw(actor=actor, breach=breach, reason=d["reason"])
            else:
                services.breach_evidence_add(
                    actor=actor, breach=breach, photos=d["photos"], documents=d["documents"]
                )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, DONE[action])
            return redirect("conduct:breach", pk=breach.pk)
    context = _breach_context(request, breach)
    context[
        f"{action}_form" if action != "confirm" and action != "dismiss" else "decision_form"
    ] = form
    context["failed"] = action
    return render(request, "conduct/breach.html", context, status=400)


def evidence_file(request: _Request, pk: int) -> FileResponse:
    """One piece of evidence, for whoever sees the record (404 otherwise and anonymously)."""
    if not request.user.is_authenticated:
        raise Http404
    item = _get(selectors.evidence_get, request.user, pk)
    response = FileResponse(
        default_storage.open(item.file.name, "rb"),
        content_type=item.content_type,
        as_attachment=item.kind == EvidenceKind.DOCUMENT,
        filename=item.name,
    )
    response["Cache-Control"] = "private, max-age=3600"
    return response


@roles_required(MINE_ROLES)
def mine(request: _Request) -> HttpResponse:
    """A representative's own breach records, open ones first, each with its form."""
    qs = selectors.breaches_of_user(request.user)
    open_rows = list(
        qs.filter(stage__in=(BreachStage.REPORTED, BreachStage.STATED)).order_by("respond_by")
    )
    page = paginate(
        qs.exclude(stage__in=(BreachStage.REPORTED, BreachStage.STATED)), request.GET.get("page")
    )
    return render(
        request,
        "conduct/mine.html",
        {"open_rows": open_rows, "page": page, "rows": page.object_list, "query": ""},
    )
