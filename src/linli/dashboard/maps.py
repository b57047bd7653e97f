"""The command centre's map: what it may show a viewer, read through the domains' scoped
selectors (docs/dashboard-map.md).

A viewer (a city, town or village leader; an administrator) sees the unit they hold a
role at, and may drill down to any unit below it, never beside or above it. The data is
one GeoJSON FeatureCollection: the open appeals and the open doorbell alarms in the unit
as points, and the outlines of the unit and its children (`org.Unit.boundary`). It is
bounded: at most `MAX_POINTS` points, with the count of those left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, QuerySet, Window
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.models import Role
from linli.accounts.scope import scope_for
from linli.appeals import selectors as appeal_selectors
from linli.appeals.models import CLOCK_STATUSES, Level, Status
from linli.core.errors import InvalidInput, NotFound
from linli.doorbell import selectors as doorbell_selectors
from linli.doorbell.models import OPEN_ALARM_STATUSES, AlarmStatus
from linli.org.models import VILLAGE_DEPTH, Unit

# Who has the map: the leaders and cadres of a city, town or village, and administrators.
MAP_ROLES = frozenset({Role.ADMIN, Role.CITY, Role.TOWN, Role.VILLAGE})
# The most points one answer carries (appeals and alarms together); the rest are counted.
MAX_POINTS = 5000
# A drill-down stops at the villages: below them the outlines are the households'.
DEEPEST = VILLAGE_DEPTH

# Point colours: by status for appeals (overdue ones are drawn with a red ring, see
# map.js), one colour for alarms. The page's legend and map.css use the same names.
STATUS_COLOURS = {
    Status.PENDING: "#e8590c",
    Status.CLAIMED: "#1971c2",
    Status.IN_PROGRESS: "#1971c2",
    Status.REFERRED: "#7048e8",
    Status.SUSPENDED: "#868e96",
}
ALARM_COLOUR = "#c2255c"


def level_marks() -> dict[str, str]:
    """The one-character mark of each level drawn in an appeal's marker."""
    return {
        Level.GROUP: _("Nb"),
        Level.VILLAGE: _("Vil"),
        Level.TOWN: _("Twn"),
        Level.CITY: _("Cty"),
    }


def viewer_paths(user) -> tuple[str, ...] | None:
    """The unit paths the viewer's map covers; None for a superuser (everything)."""
    scope = scope_for(user)
    if scope.is_superuser:
        return None
    return scope.paths_for(set(MAP_ROLES))


def map_roots(user) -> list[Unit]:
    """The units a viewer's map opens on: those they hold a map role at (cities for a
    superuser), the highest ones only."""
    paths = viewer_paths(user)
    if paths is None:
        return list(Unit.objects.filter(parent__isnull=True).order_by("path"))
    return list(Unit.objects.filter(path__in=paths).order_by("path"))


def map_unit_get(user, pk: Any) -> Unit:
    """A unit the viewer may drill down to; `NotFound` for any other (or a bad id)."""
    paths = viewer_paths(user)
    unit = Unit.objects.filter(pk=pk, depth__lte=DEEPEST).first()
    if unit is None or (paths is not None and not any(unit.path.startswith(p) for p in paths)):
        raise NotFound(_("No such unit on your map."))
    return unit


def map_children(unit: Unit) -> list[Unit]:
    """The units one can drill down to from `unit` (none below the villages)."""
    if unit.depth >= DEEPEST:
        return []
    return list(unit.children.order_by("path"))


def map_ancestors(user, unit: Unit) -> list[Unit]:
    """The way back up from `unit` to the viewer's own unit (both included)."""
    paths = viewer_paths(user)
    wanted = [
        p for p in unit.ancestor_paths() if paths is None or any(p.startswith(q) for q in paths)
    ]
    return list(Unit.objects.filter(path__in=wanted).order_by("depth"))


def map_categories() -> list[tuple[str, str]]:
    """The top-level appeal categories the heat layer can be narrowed to: (code, name)."""
    return [(top.code, top.name) for top, _children in appeal_selectors.categories_tree()]


def category_checked(code: str) -> str:
    """The category filter from a query string: empty, or a known top-level code."""
    code = (code or "").strip()
    if not code:
        return ""
    if len(code) > 30 or code not in dict(map_categories()):
        raise InvalidInput(_("Unknown category."))
    return code


def unit_checked(user, raw: str | None) -> Unit | None:
    """The `unit` query parameter: absent, or the id of a unit on the viewer's map."""
    if raw is None or raw == "":
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 12:
        raise InvalidInput(_("The unit must be given by its number."))
    return map_unit_get(user, int(raw))


@dataclass(frozen=True)
class MapView:
    """The page: the unit shown, how to go up and down, and the roots when there are
    several (a viewer holding roles in two towns chooses one)."""

    unit: Unit
    roots: list[Unit]
    ancestors: list[Unit]
    children: list[Unit]


def map_view(user, unit: Unit | None) -> MapView | None:
    """What the page shows; None when the viewer has no unit on the map."""
    roots = map_roots(user)
    if unit is None:
        if not roots:
            return None
        unit = roots[0]
    return MapView(
        unit=unit,
        roots=roots,
        ancestors=map_ancestors(user, unit),
        children=map_children(unit),
    )


# --- the data -----------------------------------------------------------------------------


def _point(lng: Any, lat: Any) -> dict:
    return {"type": "Point", "coordinates": [round(float(lng), 6), round(float(lat), 6)]}


def _open_appeals(user, unit: Unit, category: str) -> QuerySet:
    qs = appeal_selectors.appeals_filtered(user, status="open", category=category, unit=unit)
    return qs.annotate(
        lat=Coalesce(F("latitude"), F("household__latitude")),
        lng=Coalesce(F("longitude"), F("household__longitude")),
    ).filter(lat__isnull=False, lng__isnull=False)


def _open_alarms(user, unit: Unit) -> QuerySet:
    f = doorbell_selectors.AlarmFilters(unit=unit)
    qs = doorbell_selectors.alarms_filtered(user, f).filter(status__in=OPEN_ALARM_STATUSES)
    return qs.annotate(
        lat=Coalesce(F("latitude"), F("household__latitude")),
        lng=Coalesce(F("longitude"), F("household__longitude")),
    ).filter(lat__isnull=False, lng__isnull=False)


def _url_maker(name: str, sample: str = "0SAMPLE0"):
    """reverse() once, not per point (thousands of points): the URL of `name` for a
    given argument, built from a reversed sample (one its converter accepts)."""
    prefix, _sample, suffix = reverse(name, args=[sample]).partition(sample)
    return lambda arg: f"{prefix}{arg}{suffix}"


def _appeal_features(rows, now) -> list[dict]:
    # Labels translated once, not per point.
    statuses = {k: str(v) for k, v in Status.choices}
    levels = {k: str(v) for k, v in Level.choices}
    marks = {k: str(v) for k, v in level_marks().items()}
    url = _url_maker("appeals:detail")
    out = []
    for r in rows:
        overdue = bool(
            r["status"] in CLOCK_STATUSES and r["due_at"] is not None and r["due_at"] <= now
        )
        out.append(
            {
                "type": "Feature",
                "geometry": _point(r["lng"], r["lat"]),
                "properties": {
                    "kind": "appeal",
                    "code": r["code"],
                    "title": r["title"],
                    "status": r["status"],
                    "status_label": statuses.get(r["status"], r["status"]),
                    "level": r["level"],
                    "level_label": levels.get(r["level"], r["level"]),
                    "level_mark": marks.get(r["level"], ""),
                    "colour": STATUS_COLOURS.get(r["status"], "#868e96"),
                    "overdue": overdue,
                    "urgent": r["urgency"] == "urgent",
                    "category": r["category__parent__code"] or r["category__code"],
                    "category_label": r["category__name"],
                    "url": url(r["code"]),
                },
            }
        )
    return out


def _alarm_features(rows, now) -> list[dict]:
    statuses = {k: str(v) for k, v in AlarmStatus.choices}
    url = _url_maker("doorbell:alarm_detail", "987654321")
    out = []
    for r in rows:
        minutes = max(0, int((now - r["raised_at"]).total_seconds() // 60))
        out.append(
            {
                "type": "Feature",
                "geometry": _point(r["lng"], r["lat"]),
                "properties": {
                    "kind": "alarm",
                    "id": r["pk"],
                    "status": r["status"],
                    "status_label": statuses.get(r["status"], r["status"]),
                    "colour": ALARM_COLOUR,
                    "minutes": minutes,
                    "unit_label": r["unit__name"],
                    "url": url(r["pk"]),
                },
            }
        )
    return out


def _boundary_features(unit: Unit, children: list[Unit]) -> list[dict]:
    out = []
    for u, role in [(unit, "self"), *((c, "child") for c in children)]:
        if not u.boundary:
            continue
        out.append(
            {
                "type": "Feature",
                "geometry": u.boundary,
                "properties": {
                    "kind": "boundary",
                    "role": role,
                    "id": u.pk,
                    "name": u.name,
                    "unit_kind": u.kind,
                },
            }
        )
    return out


def map_data(user, unit: Unit, *, category: str = "", limit: int = MAX_POINTS) -> dict:
    """The map's GeoJSON for `unit` (which the caller got from `map_unit_get` or
    `map_roots`): open alarms first (there are few and each is someone at a door), then
    the open appeals, newest first, up to `limit` points in all; `omitted` counts those
    left out. Appeals without a place of their own take their household's."""
    now = timezone.now()
    alarms_qs = _open_alarms(user, unit)
    alarm_rows = list(
        alarms_qs.order_by("raised_at", "id").values(
            "pk", "status", "raised_at", "unit__name", "lat", "lng"
        )[:limit]
    )
    room = limit - len(alarm_rows)
    appeals_qs = _open_appeals(user, unit, category)
    # The number of matching appeals rides on the rows (a window count over the
    # sorted set the query builds anyway), not a second query joining again.
    appeal_rows = list(
        appeals_qs.annotate(matching=Window(Count("id")))
        .order_by("-created_at", "-id")
        .values(
            "code",
            "title",
            "status",
            "level",
            "urgency",
            "due_at",
            "category__code",
            "category__parent__code",
            "category__name",
            "lat",
            "lng",
            "matching",
        )[: max(room, 0)]
    )
    omitted_alarms = alarms_qs.count() - len(alarm_rows) if len(alarm_rows) >= limit else 0
    if appeal_rows:
        omitted_appeals = appeal_rows[0]["matching"] - len(appeal_rows)
    elif room <= 0:
        omitted_appeals = appeals_qs.count()
    else:
        omitted_appeals = 0
    children = map_children(unit)
    features = [
        *_boundary_features(unit, children),
        *_alarm_features(alarm_rows, now),
        *_appeal_features(appeal_rows, now),
    ]
    return {
        "type": "FeatureCollection",
        "features": features,
        "unit": {"id": unit.pk, "name": unit.name, "kind": unit.kind},
        "category": category,
        "counts": {"appeals": len(appeal_rows), "alarms": len(alarm_rows)},
        "omitted": {"appeals": omitted_appeals, "alarms": omitted_alarms},
        "limit": limit,
    }


def unknown_params_message() -> str:
    return _("Unknown or repeated query parameters: only unit and category, once each.")


def no_unit_message() -> str:
    return _("You hold no role at a unit with a map.")
