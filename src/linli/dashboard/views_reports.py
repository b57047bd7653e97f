"""The units' reports: the list (scoped, filtered, paged), the downloads, and a report
made on demand."""

from __future__ import annotations

import datetime as dt
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linli.accounts.access import roles_required
from linli.core.errors import DomainError, NotFound
from linli.core.inputs import in_window, is_id
from linli.core.paging import paginate

from . import selectors, services
from .maps import MAP_ROLES
from .models import ReportKind

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _labelled(units) -> list:
    """The units with `label`: the names from below the user's top unit down ("大瑶镇 /
    李畋村 / 一片 / 一组"), since a bare "一组" or "一片" names a dozen units in a town."""
    units = list(units)
    names = {u.path: u.name for u in units}
    for u in units:
        parts = [names[p] for p in u.ancestor_paths() if p in names]
        u.label = " / ".join(parts[1:] if len(parts) > 1 else parts)
    return units


@login_required
@roles_required(MAP_ROLES)
def reports(request, status: int = 200) -> HttpResponse:
    units = selectors.report_units(request.user).order_by("path")
    qs = selectors.reports_visible_to(request.user)
    unit = request.GET.get("unit", "").strip()
    if unit:
        # A unit given is one of the user's, by its id: a malformed id is a 400 that says
        # so, another's unit a 404 (not an empty list that looks like "no reports yet").
        if not is_id(unit):
            messages.error(request, _("The unit is not valid."))
            status, unit, qs = 400, "", qs.none()
        else:
            chosen = units.filter(pk=int(unit)).first()
            if chosen is None:
                raise Http404(_("Unit not found."))
            qs = qs.filter(unit__path__startswith=chosen.path)
    kind = request.GET.get("kind", "")
    if kind in ReportKind.values:
        qs = qs.filter(kind=kind)
    page = paginate(qs.order_by("-period_start", "unit__path", "kind"), request.GET.get("page"))
    return render(
        request,
        "dashboard/reports.html",
        {
            "page": page,
            "rows": page.object_list,
            "units": _labelled(units[:500]),
            "unit": unit if is_id(unit) else "",
            "kind": kind if kind in ReportKind.values else "",
            "kinds": ReportKind.choices,
            "month": dt.date.today().strftime("%Y-%m"),
        },
        status=status,
    )


def _report(request, pk: int):
    try:
        return selectors.report_get(request.user, pk)
    except NotFound:
        raise Http404 from None


def _download(request, pk: int, ext: str, content_type: str) -> FileResponse:
    """The report's file of the kind `ext` ("xlsx" or "pdf", the model's field)."""
    report = _report(request, pk)
    name = f"report-{report.unit.code or report.unit.pk}-{report.kind}-{report.period_start:%Y%m}"
    return FileResponse(
        io.BytesIO(bytes(getattr(report, ext))),
        as_attachment=True,
        filename=f"{name}.{ext}",
        content_type=content_type,
    )


@login_required
@roles_required(MAP_ROLES)
def report_xlsx(request, pk: int):
    return _download(request, pk, "xlsx", XLSX_TYPE)


@login_required
@roles_required(MAP_ROLES)
def report_pdf(request, pk: int):
    return _download(request, pk, "pdf", "application/pdf")


@login_required
@roles_required(MAP_ROLES)
@require_POST
def report_make(request):
    """A report made now (or made again) for one of the user's units."""
    post = request.POST
    month = (post.get("month") or "").strip()
    try:
        if not is_id(post.get("unit", "")):
            raise NotFound(_("Choose a unit."))
        unit = selectors.report_unit_get(request.user, int(post["unit"]))
        try:
            day = dt.datetime.strptime(month, "%Y-%m").date()
        except ValueError:
            day = None
        if day is None or not in_window(day):
            # Outside 2000..2100 the period's arithmetic leaves Python's dates (9999-12
            # was a 500) and no figures exist anyway.
            messages.error(request, _("Give the month as YYYY-MM, between 2000 and 2100."))
            return reports(request, status=400)
        report = services.report_generate(
            unit=unit, kind=post.get("kind", ""), day=day, actor=request.user
        )
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
        return reports(request, status=exc.status)
    messages.success(request, _("The report was made."))
    return redirect(f"{reverse('dashboard_reports')}?unit={report.unit_id}")
