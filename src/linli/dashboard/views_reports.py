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
from linli.core.inputs import is_id
from linli.core.paging import paginate

from . import selectors, services
from .maps import MAP_ROLES
from .models import ReportKind

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@login_required
@roles_required(MAP_ROLES)
def reports(request, status: int = 200) -> HttpResponse:
    units = selectors.report_units(request.user).order_by("path")
    qs = selectors.reports_visible_to(request.user)
    unit = request.GET.get("unit", "")
    if is_id(unit):
        chosen = units.filter(pk=int(unit)).first()
        qs = qs.filter(unit__path__startswith=chosen.path) if chosen else qs.none()
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
            "units": units[:500],
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
            messages.error(request, _("Give the month as YYYY-MM."))
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
