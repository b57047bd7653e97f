"""Every write of the annual report (述职报告): the representative's own text, kept as
a draft per year (`draft_save`), and presenting it (`present`), which records the
year's `duties.AnnualReport` to the residents with the text and the generated PDF as
its document, through `duties.services.report_log` (its rules apply: the record is
append-only, and presenting again supersedes the year's current report).

Only the representative themself writes (`annual.can_edit`); leaders and cadres read.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.core.errors import Forbidden, InvalidInput
from linli.core.inputs import clean_text
from linli.core.timeutil import today
from linli.duties import services as duties_services
from linli.duties.models import AnnualReport, ReportKind
from linli.duties.rules import rule_on
from linli.org.models import Representative

from . import annual
from .models import AnnualReportDraft


def _refuse_unless_own(actor: Any, representative: Representative) -> None:
    if not annual.can_edit(actor, representative):
        raise Forbidden(
            _("Only the representative writes and presents their own report."),
            code="not_your_report",
        )


def clean_report_text(text: Any) -> str:
    if text is not None and not isinstance(text, str):
        raise InvalidInput(_("The report text is not valid."), code="text")
    return clean_text(text, _("Your report text"), annual.TEXT_MAX)


def draft_save(
    *, actor: Any, representative: Representative, year: int, text: Any
) -> AnnualReportDraft:
    """Keep the representative's text for the year (replacing what was saved)."""
    _refuse_unless_own(actor, representative)
    annual.check_served(representative, year)
    text = clean_report_text(text)
    values = {"text": text, "updated_by": actor, "updated_at": timezone.now()}
    try:
        with transaction.atomic():
            draft, _created = AnnualReportDraft.objects.update_or_create(
                representative=representative, year=year, defaults=values
            )
    except IntegrityError:  # two first saves at once: the other one made the row
        draft, _created = AnnualReportDraft.objects.update_or_create(
            representative=representative, year=year, defaults=values
        )
    return draft


def draft_text(representative: Representative, year: int) -> str:
    return (
        AnnualReportDraft.objects.filter(representative=representative, year=year)
        .values_list("text", flat=True)
        .first()
        or ""
    )


def current_text(representative: Representative, year: int) -> str:
    """The text the page and the downloads start from: the saved draft, else the text of
    the report already presented for the year (one recorded without a draft too)."""
    text = draft_text(representative, year)
    if not text:
        done = annual.presented(representative, year)
        text = done.text if done is not None else ""
    return text


def presentation_day(year: int) -> dt.date:
    """The date the year's report is recorded on: today within the year; the year's last
    day when presented just after it, within the duties' late-entry window."""
    now = today()
    if year == now.year:
        return now
    last = dt.date(year, 12, 31)
    window = rule_on(now).late_entry_days
    if year > now.year or (now - last).days > window:
        raise InvalidInput(
            _("A year's report is presented during that year, or at most %(n)d days after it ends.")
            % {"n": window},
            code="present_closed",
        )
    return last


@transaction.atomic
def present(*, actor: Any, representative: Representative, year: int, text: Any) -> AnnualReport:
    """Record the year's report to the residents: the text and the generated PDF. The
    draft is saved with the same text; a report already recorded for the year is
    superseded by this one."""
    _refuse_unless_own(actor, representative)
    annual.check_served(representative, year)
    text = clean_report_text(text)
    if not text:
        raise InvalidInput(
            _("Write your own text before presenting the report."), code="report_empty"
        )
    day = presentation_day(year)
    # One presentation at a time per representative and year: the draft row is the lock.
    draft_save(actor=actor, representative=representative, year=year, text=text)
    AnnualReportDraft.objects.select_for_update().get(representative=representative, year=year)
    figures = annual.figures(representative, year)
    pdf = annual.render_pdf(figures, text)
    current = annual.presented(representative, year)
    return duties_services.report_log(
        actor=actor,
        representative=representative,
        kind=ReportKind.RESIDENTS,
        day=day,
        audience=_("Residents"),
        text=text,
        document=ContentFile(pdf, name=f"annual-{representative.pk}-{year}.pdf"),
        supersedes=current,
    )
