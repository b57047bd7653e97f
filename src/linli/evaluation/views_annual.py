"""Pages of the annual report (述职报告): the representative's own (我的述职报告: the
year's figures and chart, their own text saved as a draft, downloads, presenting it),
the report of one representative (the same page; read only for the leaders and cadres
who see them), the leaders' list of their representatives' reports, and the .docx and
.pdf downloads.

Thin: reads through `annual`, writes through `annual_services`.
"""

from __future__ import annotations

import io
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from linli.accounts.access import roles_required
from linli.accounts.models import Role
from linli.core.errors import DomainError
from linli.core.paging import paginate
from linli.core.timeutil import today
from linli.org import selectors as org_selectors
from linli.org.models import Representative

from . import annual, annual_services
from .policy import SEE_ROLES

OWN_ROLES = frozenset({Role.REPRESENTATIVE})
TEAM_ROLES = frozenset(SEE_ROLES)


def _year(request: HttpRequest, representative: Representative | None = None) -> int:
    source = request.POST if request.method == "POST" else request.GET
    years = annual.served_years(representative) if representative is not None else []
    default = years[0] if years else today().year
    return annual.parse_year(source.get("year"), default)


def _page(
    request: HttpRequest, rep: Representative, *, mine: bool, status: int = 200, **extra: Any
) -> HttpResponse:
    year = extra.pop("year", None) or _year(request, rep)
    annual.check_served(rep, year)
    figures = annual.figures(rep, year)
    editable = annual.can_edit(request.user, rep)
    text = extra.pop("text", None)
    if text is None:
        text = annual_services.current_text(rep, year)
    query = f"?year={year}"
    png = annual.chart_png(figures.bars)
    width, height = annual.chart_size(png)
    return render(
        request,
        "evaluation/annual_report.html",
        {
            "rep": rep,
            "year": year,
            "years": annual.served_years(rep),
            "a": figures,
            "text": text,
            "editable": editable,
            "mine": mine,
            "own": org_selectors.own_representatives(request.user) if mine else [],
            "presented": annual.presented(rep, year),
            "max_length": annual.TEXT_MAX,
            "chart": annual.chart_data_uri(png),
            "chart_width": width,
            "chart_height": height,
            "docx_url": reverse("evaluation:annual_docx", args=[rep.pk]) + query,
            "pdf_url": reverse("evaluation:annual_pdf", args=[rep.pk]) + query,
            "action_url": reverse("evaluation:annual_report", args=[rep.pk]),
            **extra,
        },
        status=status,
    )


@roles_required(OWN_ROLES)
def mine(request: HttpRequest) -> HttpResponse:
    """我的述职报告: the representative's own report (of their serving records, the
    one chosen with `rep`)."""
    own = org_selectors.own_representatives(request.user)
    if not own:
        return render(request, "evaluation/annual_none.html")
    rep = next((r for r in own if str(r.pk) == request.GET.get("rep", "")), own[0])
    return _page(request, rep, mine=True)


@login_required
def report(request: HttpRequest, rep_id: int) -> HttpResponse:
    """One representative's report: theirs to write and present, others' to read."""
    rep = annual.representative_get(request.user, rep_id)
    if request.method != "POST":
        return _page(request, rep, mine=annual.can_edit(request.user, rep))
    if not annual.can_edit(request.user, rep):
        raise PermissionDenied
    year = _year(request, rep)
    text = request.POST.get("text", "")
    action = request.POST.get("action", "save")
    try:
        if action == "present":
            annual_services.present(actor=request.user, representative=rep, year=year, text=text)
            messages.success(request, _("Your report was presented and recorded."))
        elif action == "save":
            annual_services.draft_save(actor=request.user, representative=rep, year=year, text=text)
            messages.success(request, _("Your text was saved."))
        else:
            raise PermissionDenied
    except DomainError as exc:
        shown = text if len(text) <= annual.TEXT_MAX else annual_services.draft_text(rep, year)
        return _page(
            request, rep, mine=True, status=exc.status, year=year, text=shown, error=exc.message
        )
    return redirect(f"{reverse('evaluation:annual_mine')}?year={year}&rep={rep.pk}")


def _download(request: HttpRequest, rep_id: int, ext: str) -> FileResponse:
    if not request.user.is_authenticated:
        raise PermissionDenied
    rep = annual.representative_get(request.user, rep_id)
    year = _year(request, rep)
    annual.check_served(rep, year)
    figures = annual.figures(rep, year)
    text = annual_services.current_text(rep, year)
    if ext == "docx":
        content, ctype = annual.render_docx(figures, text), annual.DOCX_TYPE
    else:
        content, ctype = annual.render_pdf(figures, text), annual.PDF_TYPE
    response = FileResponse(
        io.BytesIO(content),
        as_attachment=True,
        filename=annual.filename(figures, ext),
        content_type=ctype,
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def report_docx(request: HttpRequest, rep_id: int) -> FileResponse:
    return _download(request, rep_id, "docx")


@login_required
def report_pdf(request: HttpRequest, rep_id: int) -> FileResponse:
    return _download(request, rep_id, "pdf")


@roles_required(TEAM_ROLES)
def team(request: HttpRequest) -> HttpResponse:
    """The reports of the representatives the leader or cadre sees, for a year."""
    year = annual.parse_year(request.GET.get("year"), today().year)
    first, last = f"{year}-01-01", f"{year}-12-31"
    reps = (
        annual.visible_representatives(request.user)
        .filter(term_start__lte=last)
        .filter(Q(term_end__isnull=True) | Q(term_end__gte=first))
        .order_by("unit__path", "name", "pk")
    )
    page = paginate(reps, request.GET.get("page"))
    done = annual.presented_ids([rep.pk for rep in page.object_list], year)
    rows = [(rep, rep.pk in done) for rep in page.object_list]
    now = today().year
    return render(
        request,
        "evaluation/annual_team.html",
        {
            "year": year,
            "years": sorted({now, now - 1, now - 2, year}, reverse=True),
            "page": page,
            "rows": rows,
            "query": f"year={year}",
        },
    )
