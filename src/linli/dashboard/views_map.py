"""The command centre's map: the page and its GeoJSON (selectors in `maps.py`)."""

from __future__ import annotations

from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from linli.accounts.access import roles_required
from linli.core.errors import InvalidInput, NotFound

from . import maps

# Query parameters the data endpoint knows; anything else is refused, not ignored.
DATA_PARAMS = frozenset({"unit", "category"})


@require_GET
@roles_required(maps.MAP_ROLES)
def map_page(request):
    try:
        unit = maps.unit_checked(request.user, request.GET.get("unit"))
        category = maps.category_checked(request.GET.get("category", ""))
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except InvalidInput as exc:
        # The error page, saying which parameter was wrong (the bare 400 page cannot).
        return render(
            request,
            "core/error.html",
            {"status": 400, "title": _("The request could not be understood"), "text": exc.message},
            status=400,
        )
    view = maps.map_view(request.user, unit)
    return render(
        request,
        "dashboard/map.html",
        {
            "view": view,
            "category": category,
            "categories": maps.map_categories(),
            "colours": maps.STATUS_COLOURS,
            "alarm_colour": maps.ALARM_COLOUR,
            "limit": maps.MAX_POINTS,
        },
    )


@require_GET
@roles_required(maps.MAP_ROLES)
def map_data(request):
    try:
        unknown = sorted(set(request.GET) - DATA_PARAMS)
        if unknown or any(len(request.GET.getlist(k)) > 1 for k in request.GET):
            raise InvalidInput(maps.unknown_params_message())
        unit = maps.unit_checked(request.user, request.GET.get("unit"))
        category = maps.category_checked(request.GET.get("category", ""))
    except InvalidInput as exc:
        return JsonResponse(
            {"code": "invalid", "message": exc.message},
            status=400,
            json_dumps_params={"ensure_ascii": False},
        )
    except NotFound as exc:
        return JsonResponse({"code": "not_found", "message": exc.message}, status=404)
    view = maps.map_view(request.user, unit)
    if view is None:
        return JsonResponse({"code": "not_found", "message": maps.no_unit_message()}, status=404)
    return JsonResponse(
        maps.map_data(request.user, view.unit, category=category),
        json_dumps_params={"ensure_ascii": False},
    )
