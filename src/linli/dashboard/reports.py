"""A unit's monthly or quarterly report: the figures (`figures`), as Excel
(`render_xlsx`) and as PDF (`render_pdf`, with a bar chart drawn as SVG).

The figures are the domains' own, read over the unit's whole subtree for no one user
(`appeals.selectors.unit_rates`, `duties.compliance`, `doorbell.selectors.
unit_response_figures`): the tick writes a report before anyone asks, and its pages
serve it only to those who may see the unit, who see every record of its subtree.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.utils.translation import pgettext

from linli.appeals import selectors as appeal_selectors
from linli.appeals.models import CLOCK_STATUSES, Appeal
from linli.core.pdf import html_to_pdf
from linli.core.xlsx import Sheet, write_xlsx_sheets
from linli.doorbell import selectors as doorbell_selectors
from linli.duties import compliance
from linli.org.models import Unit

from .models import ReportKind

OVERDUE_ROWS = 200
# The rates a report ranks the units below on, with their labels.
RANKED = (
    ("response_rate", _l("Response rate")),
    ("on_time_rate", _l("On-time rate")),
    ("resolution_rate", _l("Resolution rate")),
    ("first_satisfaction_rate", _l("First-time satisfaction")),
    ("final_satisfaction_rate", _l("Final satisfaction")),
)
LEVELS = ("group", "village", "town", "city")


def period_of(kind: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """The month or quarter holding `day`: (first day, last day)."""
    if kind == ReportKind.MONTH:
        first = day.replace(day=1)
        months = 1
    else:
        first = day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
        months = 3
    month = first.month - 1 + months
    after = first.replace(year=first.year + month // 12, month=month % 12 + 1)
    return first, after - dt.timedelta(days=1)


def previous_period(kind: str, start: dt.date) -> tuple[dt.date, dt.date]:
    return period_of(kind, start - dt.timedelta(days=1))


def period_label(kind: str, start: dt.date) -> str:
    if kind == ReportKind.MONTH:
        return _("%(year)s-%(month)02d") % {"year": start.year, "month": start.month}
    return _("%(year)s Q%(quarter)s") % {"year": start.year, "quarter": (start.month - 1) // 3 + 1}


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=tz),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
    )


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


def figures(unit: Unit, kind: str, start: dt.date, end: dt.date) -> dict[str, Any]:
    """Everything the report shows, as plain JSON-able values."""
    now = timezone.now()
    total, children = appeal_selectors.unit_rates(unit, *_bounds(start, end))
    before = previous_period(kind, start)
    previous, _children = appeal_selectors.unit_rates(unit, *_bounds(*before))
    rows = [c.as_dict() for c in children]
    rankings = {
        key: [
            {"unit": r["unit_name"], "value": r[key]}
            for r in sorted(
                (r for r in rows if r[key] is not None), key=lambda r: (-r[key], r["unit_name"])
            )
        ]
        for key, _label in RANKED
    }
    overdue_qs = (
        Appeal.objects.filter(
            origin_path__startswith=unit.path, status__in=CLOCK_STATUSES, due_at__lte=now
        )
        .select_related("unit")
        .order_by("due_at", "id")
    )
    overdue = [
        {
            "code": a.code,
            "title": a.title,
            "level": a.get_level_display(),
            "unit": a.unit.name,
            "due_at": timezone.localtime(a.due_at).strftime("%Y-%m-%d %H:%M"),
            "days": (now - a.due_at).days,
        }
        for a in overdue_qs[:OVERDUE_ROWS]
        if a.due_at is not None  # (the filter's due_at__lte)
    ]
    per_rep = compliance.compute(None, start, end, unit=unit)
    duty_total, duty_children = compliance.rollup(unit, per_rep)
    duties = [
        {
            "unit": u.unit.name,
            "representatives": u.representatives,
            "behind": u.behind,
            "duties": {
                name: {"required": d.required, "fulfilled": d.fulfilled, "rate": d.rate}
                for name, d in u.duties.items()
            },
        }
        for u in [duty_total, *duty_children]
    ]
    alarms = doorbell_selectors.unit_response_figures(unit, start, end)

    def fig(f: Any) -> dict[str, Any]:
        return {
            "alarms": f.alarms,
            "acknowledged": f.acknowledged,
            "ack_median": f.ack_median,
            "ack_p90": f.ack_p90,
            "arrive_median": f.arrive_median,
            "escalated": f.escalated,
        }

    return {
        "unit": {"id": unit.pk, "name": unit.name, "path": unit.path},
        "kind": kind,
        "label": period_label(kind, start),
        "start": start.isoformat(),
        "end": end.isoformat(),
        "generated_at": timezone.localtime(now).strftime("%Y-%m-%d %H:%M"),
        "rates": total.as_dict(),
        "previous": previous.as_dict(),
        "previous_label": period_label(kind, before[0]),
        "children": rows,
        "rankings": rankings,
        "overdue": overdue,
        "overdue_total": overdue_qs.count(),
        "duties": duties,
        "duty_names": [str(compliance.duty_label(n)) for n in duty_total.duties],
        "alarms": {
            "total": fig(alarms["total"]),
            "units": [{"unit": r.label, **fig(r.figures)} for r in alarms["units"]],
        },
    }


# --- Excel ---------------------------------------------------------------------------------


def _rate_headers() -> list[str]:
    return [
        _("Unit"), pgettext("appeals counted", "Filed"), _("Open"), _("Overdue"), _("Resolved"),
        _("Response rate"), _("On-time rate"), _("Resolution rate"),
        _("First-time satisfaction"), _("Final satisfaction"), _("Mean hours to resolve"),
        _("Resolved in the neighbourhood"), _("Resolved in the village"),
        _("Resolved in the town"), _("Resolved in the city"),
    ]  # fmt: skip


def _rate_row(r: dict[str, Any], name: str | None = None) -> list[Any]:
    share = r.get("level_share") or {}
    return [
        name or r["unit_name"], r["filed"], r["open"], r["overdue"], r["resolved"],
        r["response_rate"], r["on_time_rate"], r["resolution_rate"],
        r["first_satisfaction_rate"], r["final_satisfaction_rate"], r["mean_hours_to_resolve"],
        *[share.get(lv) for lv in LEVELS],
    ]  # fmt: skip


def render_xlsx(f: dict[str, Any]) -> bytes:
    """The report as a workbook: one sheet per section (percentages as numbers)."""
    rates = [
        _rate_row(f["rates"], f"{f['unit']['name']} · {f['label']}"),
        _rate_row(f["previous"], f"{f['unit']['name']} · {f['previous_label']}"),
        *[_rate_row(r) for r in f["children"]],
    ]
    duty_names = f["duty_names"]
    duties = [
        [d["unit"], d["representatives"], d["behind"]]
        + [d["duties"][k]["rate"] for k in d["duties"]]
        for d in f["duties"]
    ]
    sheets = [
        Sheet(_("Rates"), _rate_headers(), rates, wide=[_("Unit")]),
        Sheet(
            _("Rankings"),
            [_("Rate"), _("Rank"), _("Unit"), _("Value")],
            [
                [str(label), i, row["unit"], row["value"]]
                for key, label in RANKED
                for i, row in enumerate(f["rankings"][key], start=1)
            ],
        ),
        Sheet(
            _("Overdue"),
            [_("Case code"), _("Title"), _("Level"), _("Unit"), _("Due"), _("Days overdue")],
            [[o["code"], o["title"], o["level"], o["unit"], o["due_at"], o["days"]] for o in f["overdue"]],
            wide=[_("Title")],
        ),
        Sheet(
            _("Duty compliance"),
            [_("Unit"), _("Representatives"), _("Behind"), *duty_names],
            duties,
        ),
        Sheet(
            _("Doorbell alarms"),
            [_("Unit"), _("Alarms"), _("Acknowledged"), _("Median seconds to acknowledge"),
             _("Median seconds to arrive"), _("Escalated")],
            [
                [a["unit"], a["alarms"], a["acknowledged"], a["ack_median"], a["arrive_median"], a["escalated"]]
                for a in [{"unit": f["unit"]["name"], **f["alarms"]["total"]}, *f["alarms"]["units"]]
            ],
        ),
    ]  # fmt: skip
    out, _counts = write_xlsx_sheets(sheets)
    return out.read()


# --- PDF -------------------------------------------------------------------------------------


def bar_chart_svg(rows: list[tuple[str, float | None]], *, width: int = 640) -> str:
    """A horizontal bar chart of percentages, as SVG text (no script: it goes in a PDF)."""
    from django.utils.html import escape

    bar_h, gap, label_w = 16, 6, 150
    shown = rows[:30]
    height = max(1, len(shown)) * (bar_h + gap) + gap
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img">'
    ]
    span = width - label_w - 60
    for i, (label, value) in enumerate(shown):
        y = gap + i * (bar_h + gap)
        w = 0 if value is None else max(1, round(span * min(value, 100.0) / 100.0))
        parts.append(
            f'<text x="{label_w - 6}" y="{y + bar_h - 4}" text-anchor="end" font-size="10">'
            f"{escape(label)}</text>"
            f'<rect x="{label_w}" y="{y}" width="{w}" height="{bar_h}" fill="#c8161d"/>'
            f'<text x="{label_w + w + 4}" y="{y + bar_h - 4}" font-size="10">{_pct(value)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


REPORT_CSS = """
@page { size: A4 landscape; margin: 14mm 12mm 16mm; }
table { font-size: 9pt; }
th:first-child, td:first-child { width: 8em; }
"""


def render_pdf(f: dict[str, Any]) -> bytes:
    chart = bar_chart_svg([(r["unit_name"], r["resolution_rate"]) for r in f["children"]])
    html = render_to_string(
        "dashboard/report_pdf.html",
        {
            "f": f,
            "chart": chart,
            "headers": _rate_headers(),
            "rows": [
                _rate_row(f["rates"], f["label"]),
                _rate_row(f["previous"], f["previous_label"]),
            ],
            "child_rows": [_rate_row(r) for r in f["children"]],
            "ranked": [(label, f["rankings"][key][:10]) for key, label in RANKED],
        },
    )
    # Landscape: the rates table has fifteen columns.
    return html_to_pdf(html, css=REPORT_CSS)
