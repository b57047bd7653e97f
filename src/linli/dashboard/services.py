"""The command centre's writes: a unit's report, generated (or generated again)."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.models import AuditAction, User
from linli.accounts.services import audit_record
from linli.core.errors import InvalidInput
from linli.core.timeutil import today
from linli.org.models import Unit, UnitKind

from . import reports
from .models import ReportKind, UnitReport

logger = logging.getLogger("linli.dashboard")

# The units the tick writes reports for: the city and the towns and subdistricts (a
# village's report is made on demand).
TICK_KINDS = (UnitKind.CITY, UnitKind.TOWN, UnitKind.SUBDISTRICT)
TICK_BATCH = 20  # reports a tick run writes at most (each is a PDF)


def report_generate(
    *, unit: Unit, kind: str, day: dt.date, actor: User | None = None
) -> UnitReport:
    """The unit's report for the month or quarter holding `day` (written, or written
    again with today's figures). `actor` None: the tick. The caller checked that the
    actor may see the unit."""
    if kind not in ReportKind.values:
        raise InvalidInput(_("Choose monthly or quarterly."), code="report_kind")
    start, end = reports.period_of(kind, day)
    if start > today():
        raise InvalidInput(_("That period has not begun."), code="report_period")
    numbers = reports.figures(unit, kind, start, end)
    xlsx, pdf = reports.render_xlsx(numbers), reports.render_pdf(numbers)
    with transaction.atomic():
        report, _created = UnitReport.objects.update_or_create(
            unit=unit,
            kind=kind,
            period_start=start,
            defaults={
                "period_end": end,
                "generated_at": timezone.now(),
                "generated_by": actor,
                "numbers": numbers,
                "xlsx": xlsx,
                "pdf": pdf,
            },
        )
        if actor is not None:
            audit_record(
                actor=actor,
                action=AuditAction.DASHBOARD_REPORT,
                target=report,
                detail={"unit": unit.pk, "kind": kind, "start": start.isoformat()},
            )
    return report


def reports_tick(*, day: dt.date | None = None) -> dict[str, int]:
    """Write the reports of the last complete month and quarter for the city and the
    towns that have none yet: on the first day of a period, or the first run after it
    (a server that was down that day catches up). At most TICK_BATCH a run."""
    day = day or today()
    written = 0
    for kind in (ReportKind.MONTH, ReportKind.QUARTER):
        start, _end = reports.previous_period(kind, reports.period_of(kind, day)[0])
        have = set(
            UnitReport.objects.filter(kind=kind, period_start=start).values_list(
                "unit_id", flat=True
            )
        )
        for unit in Unit.objects.filter(kind__in=TICK_KINDS).order_by("path"):
            if unit.pk in have:
                continue
            if written >= TICK_BATCH:
                return {"written": written}
            try:
                report_generate(unit=unit, kind=kind, day=start)
            except Exception:
                logger.exception("report of %s (%s %s) failed", unit.pk, kind, start)
                continue
            written += 1
    return {"written": written}
