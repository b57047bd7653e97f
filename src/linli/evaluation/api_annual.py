"""The annual report (述职报告) API under /api/v1/evaluation/annual/: a representative's
figures of a year as JSON, and the generated document (.docx or PDF) with their own
text. A representative reaches only their own; leaders and cadres those of their
subtrees (404 for anyone else, never saying the representative exists).

Thin: reads through `annual`, as the pages do.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from ninja import Router

from linli.core.api_schemas import errors
from linli.core.inputs import Id, Line

from . import annual, annual_services

router = Router(tags=["evaluation"])

# The year as typed (checked by `annual.parse_year`, which answers a Chinese 400).
YearText = Annotated[str, Line(10)]
YEAR_DOC = "The year (default: the last year of the representative's term, at most this one)."


def _rep_year(request: Any, representative_id: int, year: str | None) -> tuple[Any, int]:
    rep = annual.representative_get(request.user, representative_id)
    years = annual.served_years(rep)
    chosen = annual.parse_year(year, years[0] if years else None)
    annual.check_served(rep, chosen)
    return rep, chosen


@router.get(
    "/evaluation/annual/{representative_id}",
    response={200: dict[str, Any], **errors(400, 401, 404)},
    summary="A representative's annual report figures",
    description="What the records say the representative did in the year: households "
    "served, contacts and visits against the four ones, appeals and their ratings, "
    "activities, doorbell alarms, the service fund (fen) and training (minutes); with "
    "the representative's own text (`text`) and whether the year's report was presented. "
    + YEAR_DOC,
)
def annual_figures(request, representative_id: Id, year: YearText | None = None):
    rep, chosen = _rep_year(request, representative_id, year)
    data = annual.figures(rep, chosen).as_dict()
    done = annual.presented(rep, chosen)
    data["text"] = annual_services.draft_text(rep, chosen)
    data["presented"] = None if done is None else {"id": done.pk, "day": done.day.isoformat()}
    return data


@router.get(
    "/evaluation/annual/{representative_id}/document",
    response={**errors(400, 401, 404)},
    summary="A representative's annual report as .docx or PDF",
    description="The generated document (header, figures, chart, the representative's own "
    "text), as an attachment. " + YEAR_DOC,
    openapi_extra={
        "responses": {
            "200": {
                "description": "The document.",
                "content": {
                    annual.DOCX_TYPE: {"schema": {"type": "string", "format": "binary"}},
                    annual.PDF_TYPE: {"schema": {"type": "string", "format": "binary"}},
                },
            }
        }
    },
)
def annual_document(
    request,
    representative_id: Id,
    year: YearText | None = None,
    format: Literal["docx", "pdf"] = "pdf",
):
    rep, chosen = _rep_year(request, representative_id, year)
    figures = annual.figures(rep, chosen)
    text = annual_services.draft_text(rep, chosen)
    if format == "docx":
        content, ctype = annual.render_docx(figures, text), annual.DOCX_TYPE
    else:
        content, ctype = annual.render_pdf(figures, text), annual.PDF_TYPE
    response = HttpResponse(content, content_type=ctype)
    disposition = content_disposition_header(True, annual.filename(figures, format))
    response["Content-Disposition"] = disposition or "attachment"
    response["Cache-Control"] = "private, no-store"
    return response
