"""The home page, which differs by role: the first screen above every domain."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from linli.accounts.access import roles_required
from linli.core.errors import InvalidInput, NotFound
from linli.core.inputs import is_id
from linli.core.xlsx import write_xlsx_sheets

from . import centre, selectors

PERIOD_LABELS = (
    ("month", _("This month")),
    ("quarter", _("This quarter")),
    ("year", _("This year")),
    ("custom", _("Custom")),
)


@login_required
def home(request):
    return render(request, "dashboard/home.html", selectors.home_for(request.user).context())


# --- the command centre (指挥调度中心) ---------------------------------------------------


def _centre_request(request) -> tuple[Any, Any]:
    """The unit and period a centre request asks for (InvalidInput 400, NotFound 404)."""
    unit = centre.centre_unit(request.user, request.GET.get("unit"))
    period = centre.parse_period(request.GET)
    return unit, period


# What of a refused request goes back into the form: a short date-like text, no more.
_ECHO = re.compile(r"[0-9-]{1,10}")


def _centre_refused(request, exc: InvalidInput):
    """400 for the centre's pages (the dashboard, the big screen, the Excel tables): what
    was wrong, said in the user's language, and the period form again to put it right,
    rather than the bare error page (which cannot say which date was wrong)."""
    get = request.GET
    kind = get.get("period", "")
    unit = get.get("unit", "").strip()
    return render(
        request,
        "dashboard/centre_refused.html",
        {
            "message": exc.message,
            "unit": unit if is_id(unit) else "",
            "kind": kind if kind in dict(PERIOD_LABELS) else "custom",
            "start": get.get("start", "") if _ECHO.fullmatch(get.get("start", "")) else "",
            "end": get.get("end", "") if _ECHO.fullmatch(get.get("end", "")) else "",
            "kinds": PERIOD_LABELS,
        },
        status=400,
    )


@roles_required(centre.CENTRE_ROLES)
def centre_page(request):
    try:
        unit, period = _centre_request(request)
    except InvalidInput as exc:
        return _centre_refused(request, exc)
    data = centre.centre_for(request.user, unit, period)
    query = period.query()
    # The child table's rate columns, in the rankings' order (whatever rates there are).
    columns = [{"key": r["key"], "label": r["label"]} for r in data["rankings"]]
    for row in data["children"]:
        row["cells"] = [
            {
                "label": c["label"],
                "value": row.get(c["key"]),
                "previous": row["previous"].get(c["key"]),
            }
            for c in columns
        ]
    return render(
        request,
        "dashboard/centre.html",
        {
            "data": data,
            "unit": unit,
            "period": period,
            "period_query": query,
            "data_url": f"{reverse('centre_data')}?unit={unit.pk}&{query}",
            "export_query": f"unit={unit.pk}&{query}",
            "kinds": PERIOD_LABELS,
            "columns": columns,
            "margin": int(centre.BEHIND_MARGIN),
        },
    )


@roles_required(centre.CENTRE_ROLES)
def centre_data(request):
    """The dashboard's numbers as JSON (the page's charts read them)."""
    try:
        unit, period = _centre_request(request)
    except InvalidInput as exc:
        return JsonResponse({"error": str(exc.message), "code": exc.code}, status=400)
    except NotFound as exc:
        return JsonResponse({"error": str(exc.message), "code": exc.code}, status=404)
    return JsonResponse(centre.centre_for(request.user, unit, period))


@roles_required(centre.CENTRE_ROLES)
def centre_export(request, table: str):
    """One of the dashboard's tables (or `all` of them) as an Excel workbook."""
    if table != "all" and table not in centre.TABLES:
        raise Http404
    try:
        unit, period = _centre_request(request)
    except InvalidInput as exc:
        return _centre_refused(request, exc)
    data = centre.centre_for(request.user, unit, period)
    names = centre.TABLES if table == "all" else (table,)
    out, _counts = write_xlsx_sheets([centre.table(data, name) for name in names])
    return FileResponse(
        out,
        as_attachment=True,
        filename=f"centre-{unit.pk}-{table}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@roles_required(centre.CENTRE_ROLES)
def centre_screen(request):
    """The big screen (大屏) for the command room's wall: the same numbers as the
    dashboard, large, on a dark page, rotating between the figures, the map and the
    alarms and units falling behind; live like the dashboard (this month by default)."""
    try:
        unit, period = _centre_request(request)
    except InvalidInput as exc:
        return _centre_refused(request, exc)
    data = centre.centre_for(request.user, unit, period)
    total = data["rates"]["total"]
    rates = [
        {"key": k, "label": centre.rate_label(k), "value": total.get(k)}
        for k in SCREEN_RATES
        if k in total
    ]
    return render(
        request,
        "dashboard/screen.html",
        {
            "data": data,
            "unit": unit,
            "period": period,
            "rates": rates,
            "map_url": f"{reverse('dashboard_map_data')}?unit={unit.pk}",
            "rotate": SCREEN_ROTATE_SECONDS,
        },
    )


# The big screen's rates, in this order, and how long each view stays.
SCREEN_RATES = (
    "response_rate",
    "on_time_rate",
    "resolution_rate",
    "first_satisfaction_rate",
    "final_satisfaction_rate",
)
SCREEN_ROTATE_SECONDS = 20
