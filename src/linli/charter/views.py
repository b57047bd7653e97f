"""Pages of the responsibility and rights list: the list in force for me (or a unit I
may look at, on a day), print-friendly and exportable; the versions with their history;
and the draft editor (phone-usable forms).

Thin: reads through selectors, writes through services; a refusal comes back on the
form (or as a message) with nothing written.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linli.accounts.access import roles_required
from linli.accounts.models import Role
from linli.core.errors import DomainError, NotFound
from linli.core.inputs import is_id, parse_day
from linli.core.paging import paginate
from linli.core.timeutil import today

from . import exports, policy, selectors, services
from .forms import DraftEditForm, DraftForm, EntryForm
from .models import CharterStatus

# Every role held at a unit sees the list in force for them.
EVERY_ROLE = frozenset(Role)
# Cadres who write some list see the versions and drafts pages.
WRITE_ROLES = policy.WRITE_ROLES
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _get(fn, *args):
    try:
        return fn(*args)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _day(request):
    raw = request.GET.get("day") or ""
    day = parse_day(raw) if raw else None
    return day or today()


def _unit(request):
    """The unit asked for (`?unit=`), when the user may look at its list; else mine."""
    raw = request.GET.get("unit") or ""
    if raw:
        if not is_id(raw):
            raise Http404
        return _get(selectors.list_unit_get, request.user, raw)
    return selectors.default_unit(request.user)


@roles_required(EVERY_ROLE)
def mine(request):
    """The list in force for me (or `?unit=`) on `?day=`."""
    unit = _unit(request)
    day = _day(request)
    charter = selectors.charter_for(request.user, unit, day) if unit else None
    return render(
        request,
        "charter/mine.html",
        {
            "unit": unit,
            "day": day,
            "charter": charter,
            "units": selectors.unit_choices(request.user, unit),
            "can_write": policy.can_write_any(request.user),
        },
    )


@roles_required(EVERY_ROLE)
def export(request):
    unit = _unit(request)
    if unit is None:
        raise Http404
    charter = selectors.charter_for(request.user, unit, _day(request))
    result = exports.charter_xlsx(user=request.user, charter=charter)
    return FileResponse(
        result.file, as_attachment=True, filename=result.filename, content_type=XLSX
    )


def _versions_filters(request):
    raw = request.GET.get("unit") or ""
    unit = _get(selectors.list_unit_get, request.user, raw) if is_id(raw) else None
    status = request.GET.get("status") or ""
    if status not in CharterStatus.values:
        status = ""
    return unit, status


@roles_required(WRITE_ROLES)
def versions(request):
    """The versions of the lists on my line, and the form to open a draft."""
    unit, status = _versions_filters(request)
    qs = selectors.versions_filtered(request.user, unit=unit, status=status or None)
    form = DraftForm(
        request.POST or None,
        units=selectors.writable_units(request.user).select_related("parent"),
        initial={"effective_from": today()},
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            version = services.charter_draft_create(
                actor=request.user,
                unit=d["unit"],
                title=d["title"],
                effective_from=d["effective_from"],
                note=d["note"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Draft opened."))
            return redirect("charter:version_detail", pk=version.pk)
    page = paginate(qs, request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "charter/versions.html",
        {
            "page": page,
            "versions": page.object_list,
            "unit": unit,
            "status": status,
            "statuses": CharterStatus.choices,
            "units": selectors.unit_choices(request.user, unit),
            "form": form,
            "query": query.urlencode(),
        },
        status=400 if request.method == "POST" else 200,
    )


@roles_required(WRITE_ROLES)
def versions_export(request):
    unit, status = _versions_filters(request)
    qs = selectors.versions_filtered(request.user, unit=unit, status=status or None)
    result = exports.versions_xlsx(
        user=request.user, versions=qs, unit_name=unit.name if unit else _("all")
    )
    return FileResponse(
        result.file, as_attachment=True, filename=result.filename, content_type=XLSX
    )


@roles_required(EVERY_ROLE)
def version_detail(request, pk: int):
    """One version: its entries, what it inherits, what it changed; for a draft's
    writers the editor."""
    version = _get(selectors.version_get, request.user, pk)
    view = selectors.version_view(request.user, version)
    inherited_codes = {e.code for e in view.inherited.entries}
    return render(
        request,
        "charter/version.html",
        {
            "version": version,
            "view": view,
            "entries": list(version.entries.all()),
            "inherited_codes": inherited_codes,
            "edit_form": DraftEditForm(
                initial={
                    "title": version.title,
                    "effective_from": version.effective_from,
                    "note": version.note,
                }
            )
            if view.can_write
            else None,
        },
    )


def _writable_draft(request, pk: int):
    version = _get(selectors.version_get, request.user, pk)
    if not policy.can_write(request.user, version.unit):
        raise Http404
    return version


@roles_required(WRITE_ROLES)
@require_POST
def version_edit(request, pk: int):
    version = _writable_draft(request, pk)
    form = DraftEditForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("charter:version_detail", pk=version.pk)
    try:
        services.charter_draft_update(actor=request.user, version=version, **form.cleaned_data)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Draft saved."))
    return redirect("charter:version_detail", pk=version.pk)


@roles_required(WRITE_ROLES)
@require_POST
def version_publish(request, pk: int):
    version = _writable_draft(request, pk)
    try:
        services.charter_publish(actor=request.user, version=version)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Version published."))
    return redirect("charter:version_detail", pk=version.pk)


def _entry_page(request, version, form, entry=None):
    view = selectors.version_view(request.user, version)
    return render(
        request,
        "charter/entry_form.html",
        {"version": version, "form": form, "entry": entry, "inherited": view.inherited},
        status=400 if request.method == "POST" else 200,
    )


@roles_required(WRITE_ROLES)
def entry_new(request, pk: int):
    """Add an entry to a draft; `?code=` of an inherited entry starts an extension."""
    version = _writable_draft(request, pk)
    initial = {}
    code = request.GET.get("code") or ""
    if code:
        parent = selectors.version_view(request.user, version).inherited.by_code().get(code)
        if parent is not None:
            initial = {
                "code": parent.code,
                "kind": parent.kind,
                "floor": parent.floor,
                "floor_unit": parent.floor_unit,
            }
    form = EntryForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.charter_entry_add(
                actor=request.user, version=version, **form.data_for_service()
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Entry saved."))
            return redirect("charter:version_detail", pk=version.pk)
    return _entry_page(request, version, form)


@roles_required(WRITE_ROLES)
def entry_edit(request, pk: int):
    entry = _get(selectors.entry_get, request.user, pk)
    version = _writable_draft(request, entry.version_id)
    fields = ("code", "kind", "title", "text", "floor", "floor_unit", "duty", "order")
    form = EntryForm(request.POST or None, initial={f: getattr(entry, f) for f in fields})
    if request.method == "POST" and form.is_valid():
        try:
            services.charter_entry_update(
                actor=request.user, entry=entry, **form.data_for_service()
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Entry saved."))
            return redirect("charter:version_detail", pk=version.pk)
    return _entry_page(request, version, form, entry)


@roles_required(WRITE_ROLES)
@require_POST
def entry_delete(request, pk: int):
    entry = _get(selectors.entry_get, request.user, pk)
    version_pk = entry.version_id
    try:
        services.charter_entry_delete(actor=request.user, entry=entry)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Entry removed."))
    return redirect("charter:version_detail", pk=version_pk)
