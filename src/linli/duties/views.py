"""Pages of the four duties: the representative's phone page (households still
owed, one-tap contacts, this quarter and year, history), the forms for home
visits, deliberation events and reports, and the leaders' team table with a
drill-down per representative and an Excel export.

Thin: reads through selectors (and `queries`), writes through services.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import os
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import get_template, render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_POST

from linli.accounts.access import roles_required
from linli.accounts.scope import HOUSEHOLD_LIST_ROLES
from linli.core.errors import DomainError, NotFound
from linli.core.inputs import in_window, is_id
from linli.core.nexturl import next_url
from linli.core.paging import paginate
from linli.core.timeutil import today
from linli.org import selectors as org_selectors
from linli.org.models import Household

from . import exports, extra, policy, queries, selectors, services
from .compliance import STATUS_LABELS, ExtraDuty, RepCompliance, all_duties, duty_label
from .compliance import subjects_label as added_subjects_label
from .forms import ContactForm, DeliberationForm, QuickContactForm, ReportForm, VisitForm
from .models import ContactMethod, FiveRole

HISTORY_KINDS = [
    ("contact", gettext_lazy("Contacts")),
    ("visit", gettext_lazy("Home visits")),
    ("deliberation", gettext_lazy("Deliberations")),
    ("report", gettext_lazy("Reports")),
]
KINDS = [k for k, _label in HISTORY_KINDS]
PERIOD_CHOICES = [
    ("week", gettext_lazy("This week")),
    ("month", gettext_lazy("This month")),
    ("quarter", gettext_lazy("This quarter")),
    ("year", gettext_lazy("This year")),
    ("custom", gettext_lazy("Choose dates")),
]
STATUS_CSS = {"on_track": "ok", "behind": "warn", "missed": "bad"}
HISTORY_PAGE = 10


def _get(fn, *args):
    try:
        return fn(*args)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _next_url(request, default: str) -> str:
    """`next` when it is a path of this site, else `default` (`core.nexturl`)."""
    return next_url(request, default)


def _back(request, rep) -> str:
    """Where to go after a write: my page for my own records, else the drill-down."""
    mine = policy.is_own(request.user, rep)
    return _next_url(
        request, reverse("duties:mine") if mine else reverse("duties:rep", args=[rep.pk])
    )


# --- presentation of compliance figures -------------------------------------------------------


@dataclass
class Cell:
    duty: str
    label: str
    required: int
    fulfilled: int
    rate: float | None
    status: str | None = None
    # An added duty (the care visits): what it is owed for, and how many are overdue.
    subjects: int | None = None
    subjects_label: str = ""
    overdue: int | None = None

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status]) if self.status else ""

    @property
    def css(self) -> str:
        return STATUS_CSS.get(self.status or "", "")


def _cells(duties: dict, rc: RepCompliance | None = None) -> list[Cell]:
    return [
        Cell(
            duty=d,
            label=str(duty_label(d)),
            required=duties[d].required,
            fulfilled=duties[d].fulfilled,
            rate=duties[d].rate,
            # Nothing was due: no verdict to show (the engine counts it as on track).
            status=rc.status(d) if rc is not None and duties[d].required else None,
            subjects=duties[d].subjects if isinstance(duties[d], ExtraDuty) else None,
            subjects_label=str(added_subjects_label(d) or ""),
            overdue=duties[d].overdue if isinstance(duties[d], ExtraDuty) else None,
        )
        for d in all_duties()
        if d in duties
    ]


@dataclass
class RepRow:
    rc: RepCompliance
    cells: list[Cell]

    @property
    def rep(self):
        return self.rc.representative

    @property
    def status(self) -> str:
        return self.rc.overall

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.rc.overall])

    @property
    def css(self) -> str:
        return STATUS_CSS[self.rc.overall]


def _period(request) -> tuple[str, dt.date, dt.date]:
    """The period asked for (`period=week|month|quarter|year|custom`, `start`, `end`)."""
    period = request.GET.get("period") or "month"
    if period == "custom":
        try:
            start = dt.date.fromisoformat(request.GET.get("start", ""))
            end = dt.date.fromisoformat(request.GET.get("end", ""))
            if not (in_window(start) and in_window(end)):
                raise ValueError("outside the date window")
            queries.check_period(start, end)
        except ValueError:
            messages.error(request, _("The date is not valid."))
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            return period, start, end
        period = "month"
    if period not in queries.PERIODS:
        period = "month"
    start, end = queries.period_range(period, today())
    return period, start, end


def _period_query(period: str, start: dt.date, end: dt.date) -> str:
    if period == "custom":
        return f"period=custom&start={start.isoformat()}&end={end.isoformat()}"
    return f"period={period}"


# --- the representative's page ----------------------------------------------------------------


def _owed_context(rep, day: dt.date) -> dict:
    owed = selectors.households_owed(rep, day)
    week_first, week_last = queries.period_range("week", day)
    return {
        "rep": rep,
        "week_first": week_first,
        "week_last": week_last,
        "to_contact": list(owed["contacts"]),
        "to_visit": list(owed["visits"]),
        "methods": ContactMethod.choices,
        "roles": FiveRole.choices,
    }


def _history(request, rep, kind: str, start=None, end=None) -> dict:
    qs = queries.records_of(request.user, kind, rep)
    if kind == "visit":
        qs = qs.prefetch_related("photos")
    if start is not None:
        qs = qs.filter(day__gte=start, day__lte=end)
    page = paginate(qs, request.GET.get("page"), per_page=HISTORY_PAGE)
    return {
        "rep": rep,
        "can_write": policy.can_record_for(request.user, rep),
        "history_kind": kind,
        "history_kinds": HISTORY_KINDS,
        "page": page,
        "records": page.object_list,
    }


def _kind(request) -> str:
    kind = request.GET.get("history", "contact")
    return kind if kind in KINDS else "contact"


@roles_required(HOUSEHOLD_LIST_ROLES)
def mine(request):
    """My duties, on a phone: who is still owed a contact or a visit, one tap each."""
    rep = selectors.my_representative(request.user)
    if rep is None:
        if policy.can_view_team(request.user):
            return redirect("duties:team")
        return render(request, "duties/mine.html", {"rep": None})
    kind = _kind(request)
    history = _history(request, rep, kind)
    history["query"] = f"history={kind}"
    if request.htmx and request.htmx.target == "history":
        return render(request, "duties/_history.html", history)
    if request.htmx and request.htmx.target == "owed":
        # Refreshed by the offline queue after it synced.
        return HttpResponse(_owed_html(request, rep, with_history=True))
    day = today()
    context = {
        **_owed_context(rep, day),
        **history,
        "duties": queries.period_duties(rep, day),
        "extra_lines": extra.lines(rep, day),
    }
    return render(request, "duties/mine.html", context)


def _wants_json(request) -> bool:
    """The offline queue's replay (duties-offline.js) asks for JSON: it needs a status
    code to tell an accepted tap (2xx) from a refused one (400) from a failure."""
    return "application/json" in request.headers.get("Accept", "")


@login_required
@require_POST
def contact_quick(request):
    """The one-tap "contacted": record the contact and answer the updated list.

    The page's script adds the tap's `client_key` and the phone's `day`, so a tap
    queued offline is recorded on the day it happened, once however often it is sent.
    """
    rep = selectors.my_representative(request.user)
    if rep is None:
        if _wants_json(request):
            message = _("You are not a serving representative.")
            return JsonResponse({"code": "not_found", "message": message}, status=404)
        raise Http404
    form = QuickContactForm(request.POST)
    error, code, done, record = "", "invalid", None, None
    if not form.is_valid():
        error = " ".join(str(e) for errors in form.errors.values() for e in errors)
    else:
        d = form.cleaned_data
        try:
            household = queries.household_for_record(request.user, rep, d["household"])
            record = services.contact_log(
                actor=request.user,
                representative=rep,
                household=household,
                day=d["day"],
                method=d["method"],
                role=d["role"],
                note=d["note"],
                client_key=d["client_key"],
            )
        except DomainError as exc:
            error, code = exc.message, exc.code
        else:
            done = household
    if _wants_json(request):
        if record is None:
            return JsonResponse({"code": code, "message": error}, status=400)
        return JsonResponse(
            {"id": record.pk, "household": record.household_id, "day": record.day.isoformat()}
        )
    if request.htmx:
        return HttpResponse(_owed_html(request, rep, error=error, done=done))
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Contact with %(name)s recorded.") % {"name": done.head_name})
    return redirect("duties:mine")


def _owed_html(request, rep, *, error: str = "", done=None, with_history: bool = False) -> str:
    """The owed list (the htmx swap), with the contact history out of band after a write."""
    context = {**_owed_context(rep, today()), "error": error, "done": done}
    html = render_to_string("duties/_owed.html", context, request)
    if done is not None or with_history:
        # The history below shows the new contact too (an out-of-band swap).
        history = _history(request, rep, "contact")
        history.update(query="history=contact", oob=True, here=reverse("duties:mine"))
        html += render_to_string("duties/_history.html", history, request)
    return html


@require_GET
@cache_control(no_cache=True)
def service_worker(request):
    """The service worker of the duties pages (`duties/sw.js`), served under /duties/ so
    its scope is /duties/ and nothing else. Its cache is named after the content of the
    script and of the assets it keeps, so a new release replaces them."""
    body = render_to_string("duties/sw.js", {"version": _sw_version()})
    return HttpResponse(body, content_type="application/javascript; charset=utf-8")


@functools.cache
def _sw_version() -> str:
    digest = hashlib.sha256()
    for name in ("duties/sw.js",):
        digest.update(get_template(name).template.source.encode())
    for asset in SW_ASSETS:
        path = finders.find(asset)
        if path:
            with open(path, "rb") as f:
                digest.update(f.read())
    return digest.hexdigest()[:12]


SW_ASSETS = (
    "linli/app.css",
    "linli/notify.js",
    "linli/duties-offline.js",
    "vendor/htmx.min.js",
)


def _old(request, kind: str):
    """The record a form corrects (`?supersedes=`), in the user's scope."""
    pk = request.POST.get("supersedes") or request.GET.get("supersedes")
    if not pk:
        return None
    if not is_id(pk):
        raise Http404
    record = _get(selectors.record_get, request.user, kind, int(pk))
    if record.superseded_by_id is not None or record.void:
        raise Http404(_("This record was already corrected."))
    return record


def _my_rep(request):
    rep = selectors.my_representative(request.user)
    if rep is None:
        raise Http404(_("You are not a serving representative."))
    return rep


def _rep_for(request):
    """Whose record a form writes: `?rep=` (or the form's hidden `rep`) names a
    representative the user may keep records for (a leader or cadre over them, 404
    for anyone else); without it, the user's own representative record."""
    pk = request.POST.get("rep") or request.GET.get("rep")
    if not pk:
        return _my_rep(request)
    if not is_id(pk):
        raise Http404
    return _get(selectors.representative_for_entry, request.user, int(pk))


def _for_other(request, rep) -> bool:
    """Is the user entering this record for another representative?"""
    return not policy.is_own(request.user, rep)


def _form_page(request, template: str, form, title: str, old, **extra):
    return render(
        request,
        template,
        {"form": form, "title": title, "old": old, "next": _next_url(request, ""), **extra},
    )


@login_required
def contact_new(request):
    """A contact with a date (a late entry), or the correction of one."""
    old = _old(request, "contact")
    rep = old.representative if old else _rep_for(request)
    households = Household.objects.filter(
        pk__in=queries.households_of(rep, include=old.household_id if old else None)
    ).order_by("head_name", "pk")
    initial = {"household": request.GET.get("household")}
    if old:
        initial = {
            "household": old.household_id,
            "day": old.day,
            "method": old.method,
            "role": old.role,
            "note": old.note,
        }
    form = ContactForm(request.POST or None, households=households, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.contact_log(
                actor=request.user,
                representative=rep,
                household=d["household"],
                day=d["day"],
                method=d["method"],
                role=d["role"],
                note=d["note"],
                supersedes=old,
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request, _("Contact with %(name)s recorded.") % {"name": d["household"].head_name}
            )
            return redirect(_back(request, rep))
    title = _("Correct a contact") if old else _("Record a contact")
    return _form_page(
        request, "duties/form.html", form, title, old, rep=rep, for_rep=_for_other(request, rep)
    )


@login_required
def visit_new(request):
    """A home visit to one household (or the correction of one)."""
    old = _old(request, "visit")
    rep = old.representative if old else _rep_for(request)
    pk = (
        old.household_id if old else (request.POST.get("household") or request.GET.get("household"))
    )
    if not is_id(pk or ""):
        raise Http404
    household = _get(queries.household_for_record, request.user, rep, int(pk))
    initial = {}
    if old:
        initial = {
            f: getattr(old, f) for f in ("day", "role", "met", "findings", "needs", "risks", "note")
        }
    form = VisitForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            visit = services.visit_log(
                actor=request.user,
                representative=rep,
                household=household,
                day=d["day"],
                role=d["role"],
                met=d["met"],
                findings=d["findings"],
                needs=d["needs"],
                risks=d["risks"],
                latitude=d["latitude"],
                longitude=d["longitude"],
                note=d["note"],
                raise_appeal=form.appeal(),
                photos=d["photos"],
                supersedes=old,
            )
        except DomainError as exc:
            if exc.code == "visit_empty":  # beside the two fields that would fill it
                form.add_error("met", exc.message)
                form.add_error("findings", exc.message)
            else:
                form.add_error(None, exc.message)
        else:
            text = _("Home visit to %(name)s recorded.") % {"name": household.head_name}
            if visit.appeal_id:
                text += " " + _("Appeal %(code)s filed.") % {"code": visit.appeal.code}
            messages.success(request, text)
            return redirect(_back(request, rep))
    title = _("Correct a home visit") if old else _("Record a home visit")
    visit_fields = [form[f] for f in ("day", "role", "met", "findings", "needs", "risks", "note")]
    return _form_page(
        request,
        "duties/visit_form.html",
        form,
        title,
        old,
        rep=rep,
        for_rep=_for_other(request, rep),
        household=household,
        visit_fields=visit_fields,
        old_photos=list(old.photos.all()) if old else [],
    )


@login_required
def deliberation_new(request):
    old = _old(request, "deliberation")
    my = selectors.my_representative(request.user)
    units = queries.deliberation_units(request.user)
    initial: dict = {}
    if old:
        initial = {
            "unit": old.unit_id,
            "organisers": [r.pk for r in old.organisers.all()],
            **{
                f: getattr(old, f)
                for f in (
                    "day",
                    "place",
                    "topic",
                    "attendee_count",
                    "attendees",
                    "minutes",
                    "outcomes",
                )
            },
        }
    elif my is not None:
        village = my.unit.parent_id if my.unit.kind == "group" else my.unit_id
        initial = {"unit": village, "organisers": [my.pk]}
    # The organisers offered are those who may organise in the chosen unit; choosing
    # another unit reloads that list (htmx).
    chosen = request.POST.get("unit") or request.GET.get("unit") or initial.get("unit")
    unit = units.filter(pk=chosen).first() if is_id(chosen or "") else None
    if unit is not None:
        initial["unit"] = unit.pk
    reps = queries.organisers_for(request.user, unit)
    if unit is None:
        reps = reps.none()
    form = DeliberationForm(
        request.POST or None, units=units, representatives=reps, initial=initial
    )
    if unit is None:
        form.fields["organisers"].help_text = _("Choose where it was held first.")
    form.fields["unit"].widget.attrs.update(
        {
            "hx-get": reverse("duties:deliberation_new"),
            "hx-trigger": "change",
            "hx-target": "#row-organisers",
            "hx-select": "#row-organisers",
            "hx-swap": "outerHTML",
        }
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.deliberation_log(
                actor=request.user,
                unit=d["unit"],
                organisers=list(d["organisers"]),
                day=d["day"],
                place=d["place"],
                topic=d["topic"],
                attendee_count=d["attendee_count"],
                attendees=d["attendees"],
                minutes=d["minutes"],
                outcomes=d["outcomes"],
                supersedes=old,
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Deliberation event recorded."))
            default = reverse("duties:mine") if my else reverse("duties:team")
            return redirect(_next_url(request, default))
    title = _("Correct a deliberation event") if old else _("Record a deliberation event")
    return _form_page(request, "duties/form.html", form, title, old)


@login_required
def report_new(request):
    old = _old(request, "report")
    my = selectors.my_representative(request.user)
    reps = queries.serving_representatives(request.user)
    initial: dict = {"representative": my.pk if my else None}
    if old:
        initial = {
            f: getattr(old, f)
            for f in ("representative", "kind", "day", "audience", "text", "feedback")
        }
        initial["representative"] = old.representative_id
    form = ReportForm(
        request.POST or None, request.FILES or None, representatives=reps, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        rep = old.representative if old else d["representative"]
        try:
            services.report_log(
                actor=request.user,
                representative=rep,
                kind=d["kind"],
                day=d["day"],
                audience=d["audience"],
                text=d["text"],
                document=d["document"],
                feedback=d["feedback"],
                supersedes=old,
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Report recorded."))
            return redirect(_back(request, rep))
    title = _("Correct a report") if old else _("Record a yearly report")
    return _form_page(request, "duties/form.html", form, title, old, multipart=True)


@login_required
def report_document(request, pk: int):
    report = _get(selectors.record_get, request.user, "report", pk)
    if not report.document:
        raise Http404
    return FileResponse(
        default_storage.open(report.document.name, "rb"),
        as_attachment=True,
        filename=os.path.basename(report.document.name),
    )


def visit_photo(request, pk: int):
    """A home visit's photo, for whoever may see the visit (404 otherwise, and
    to anyone without an account)."""
    if not request.user.is_authenticated:
        raise Http404
    photo = _get(selectors.visit_photo_get, request.user, pk)
    response = FileResponse(
        default_storage.open(photo.image.name, "rb"), content_type=photo.content_type
    )
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
def record_correct(request, kind: str, pk: int):
    """Open the form of a record's kind to write its correction."""
    if kind not in KINDS:
        raise Http404
    record = _get(selectors.record_get, request.user, kind, pk)
    names = {
        "contact": "duties:contact_new",
        "visit": "duties:visit_new",
        "deliberation": "duties:deliberation_new",
        "report": "duties:report_new",
    }
    params = {"supersedes": record.pk}
    target = _next_url(request, "")
    if target:
        params["next"] = target
    return redirect(f"{reverse(names[kind])}?{urlencode(params)}")


@login_required
@require_POST
def record_withdraw(request, kind: str, pk: int):
    if kind not in KINDS:
        raise Http404
    record = _get(selectors.record_get, request.user, kind, pk)
    try:
        services.record_withdraw(
            actor=request.user, record=record, reason=request.POST.get("reason", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The record was withdrawn."))
    return redirect(_next_url(request, reverse("duties:mine")))


# --- leaders and cadres -----------------------------------------------------------------------


def _unit(request):
    pk = request.GET.get("unit", "")
    if is_id(pk):
        return _get(org_selectors.unit_get, request.user, int(pk))
    return next(iter(org_selectors.root_units_for(request.user).order_by("path")[:1]), None)


STATUS_FILTERS = [
    ("", gettext_lazy("Everyone")),
    ("behind", gettext_lazy("Not on track")),
    ("missed", gettext_lazy("Missed")),
]


@login_required
def team(request):
    """The representatives of my unit, duty by duty, for a period; rollup per child unit."""
    unit = _unit(request)
    period, start, end = _period(request)
    status = request.GET.get("status", "")
    context = {
        "unit": unit,
        "period": period,
        "periods": PERIOD_CHOICES,
        "start": start,
        "end": end,
        "status": status,
        "status_filters": STATUS_FILTERS,
        "duty_labels": [str(duty_label(d)) for d in all_duties()],
        "counts": queries.period_counts(period, start, end),
    }
    if unit is None:
        return render(request, "duties/team.html", context)
    result = queries.team_compliance(request.user, unit=unit, start=start, end=end)
    rows = [RepRow(rc, _cells(rc.duties, rc)) for rc in result.rows]
    if status == "behind":
        rows = [r for r in rows if r.status != "on_track"]
    elif status == "missed":
        rows = [r for r in rows if r.status == "missed"]
    page = paginate(rows, request.GET.get("page"))
    pq = _period_query(period, start, end)
    context.update(
        {
            "total": result.total,
            "total_cells": _cells(result.total.duties) if result.total else [],
            "children": [(c, _cells(c.duties)) for c in result.children],
            "page": page,
            "rows": page.object_list,
            "period_query": pq,
            "query": f"unit={unit.pk}&{pq}&status={status}",
            "period_over": end < today(),
            "up": org_selectors.parent_visible(request.user, unit),
            # This week's contacts, which a month view may not count (its Thursday
            # may fall in the next month: 30 November counts in December).
            "this_week": queries.week_progress(request.user, unit, period, start, end, today()),
        }
    )
    return render(request, "duties/team.html", context)


@login_required
def team_export(request):
    unit = _unit(request)
    if unit is None:
        raise Http404
    _p, start, end = _period(request)
    result = exports.compliance_xlsx(user=request.user, unit=unit, start=start, end=end)
    return FileResponse(
        result.file,
        as_attachment=True,
        filename=result.filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@login_required
def rep_detail(request, pk: int):
    """One representative: figures for the period, what is owed now, records."""
    rep = _get(selectors.representative_get, request.user, pk)
    period, start, end = _period(request)
    result = queries.team_compliance(request.user, representative=rep, start=start, end=end)
    rc = result.rows[0] if result.rows else None
    kind = _kind(request)
    pq = _period_query(period, start, end)
    history = _history(request, rep, kind, start, end)
    history["query"] = f"{pq}&history={kind}"
    if request.htmx and request.htmx.target == "history":
        return render(request, "duties/_history.html", history)
    owed = None
    can_enter = history["can_write"] and rep.term_end is None
    if rep.term_end is None:
        o = selectors.households_owed(rep, today())
        owed = {"contacts": list(o["contacts"]), "visits": list(o["visits"])}
    context = {
        "rep": rep,
        "can_enter": can_enter,
        # A leader recording for the representative: any household they serve now.
        "rep_households": (
            Household.objects.filter(pk__in=queries.households_of(rep)).order_by("head_name", "pk")
            if can_enter
            else []
        ),
        "rc": rc,
        "cells": _cells(rc.duties, rc) if rc else [],
        "owed": owed,
        "period": period,
        "periods": PERIOD_CHOICES,
        "start": start,
        "end": end,
        "period_query": pq,
        "period_over": end < today(),
        "counts": queries.period_counts(period, start, end),
        **history,
    }
    return render(request, "duties/rep.html", context)
