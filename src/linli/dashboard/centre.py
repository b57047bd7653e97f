"""The command centre's numbers (指挥调度中心), scoped to the viewer, for one unit.

An app above the domains: every figure comes from the domains' own scoped selectors
(`appeals.selectors.appeals_visible_to` and `appeal_rates`, `doorbell.selectors`,
`duties.queries.team_compliance`, `org.selectors.coverage_for`). The rates are
`appeal_rates`' (never computed a second way): the page shows whatever
`Rates.as_dict()` holds, every key ending in `_rate` as a rate.

Everything here is aggregate: a fixed number of GROUP BY queries whatever the
number of appeals, and plain JSON-ready dicts, so the page, the JSON data endpoint
and the Excel downloads read the same numbers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Q
from django.db.models.functions import Coalesce, Substr, TruncDate, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from linli.accounts.access import holds_any
from linli.accounts.models import Role
from linli.appeals import selectors as appeal_selectors
from linli.appeals import tally as appeal_tally
from linli.appeals.models import (
    CLOCK_STATUSES,
    LEVEL_ORDER,
    OPEN_STATUSES,
    Category,
    Level,
    Status,
)
from linli.appeals.selectors import Rates
from linli.core.errors import InvalidInput, NotFound
from linli.core.inputs import is_id, parse_day
from linli.doorbell import selectors as doorbell_selectors
from linli.doorbell.models import OPEN_ALARM_STATUSES, AlarmStatus
from linli.duties import queries as duty_queries
from linli.duties.compliance import UnitCompliance, all_duties, duty_label
from linli.org import selectors as org_selectors
from linli.org.models import STEPLEN, VILLAGE_DEPTH, Unit

from . import snapshots

# Who has the command centre: the leaders and cadres of a city, town or village.
CENTRE_ROLES = frozenset({Role.ADMIN, Role.CITY, Role.TOWN, Role.VILLAGE})

PERIOD_KINDS = ("month", "quarter", "year", "custom")
# A child unit is "falling behind" on a rate this many points below its parent.
BEHIND_MARGIN = 10.0
# The worst units of each ranking, marked on the page.
WORST = 3
# Periods longer than this are charted per week.
DAILY_UP_TO_DAYS = 62
TOP_CATEGORIES = 10
TOP_HOTSPOTS = 10
ALARMS_SHOWN = 20
SOON = dt.timedelta(hours=24)

# Labels of the rates `Rates.as_dict()` holds today; a rate added later shows under
# its key until it is given one here.
RATE_LABELS: dict[str, Any] = {
    "response_rate": gettext_lazy("Response rate"),
    "on_time_rate": gettext_lazy("On-time rate"),
    "resolution_rate": gettext_lazy("Resolution rate"),
    "satisfaction_rate": gettext_lazy("Satisfaction rate"),
    "first_satisfaction_rate": gettext_lazy("First-time satisfaction"),
    "final_satisfaction_rate": gettext_lazy("Final satisfaction"),
    "duty_rate": gettext_lazy("Duty compliance"),
    "coverage_rate": gettext_lazy("Household coverage"),
}
# The seed's measure: where appeals end (微事不出邻、小事不出村、大事不出镇、难事不出市).
LEVEL_MOTTOS: dict[str, Any] = {
    Level.GROUP: gettext_lazy("Small matters stay in the neighbourhood"),
    Level.VILLAGE: gettext_lazy("Minor matters stay in the village"),
    Level.TOWN: gettext_lazy("Major matters stay in the town"),
    Level.CITY: gettext_lazy("Hard matters stay in the city"),
}


def rate_label(key: str) -> Any:
    return RATE_LABELS.get(key, key)


# --- the request: which unit, which period ------------------------------------------------


def centre_unit(user, raw: str | None) -> Unit:
    """The unit asked for (`?unit=`), or the user's first top unit. A malformed id is
    InvalidInput (400); a unit outside the user's scope is NotFound (404)."""
    raw = (raw or "").strip()
    if raw:
        if not is_id(raw):
            raise InvalidInput(_("The unit is not valid."), code="unit")
        return org_selectors.unit_get(user, int(raw))
    unit = org_selectors.root_units_for(user).order_by("path").first()
    if unit is None:
        raise NotFound(_("Unit not found."))
    return unit


@dataclass(frozen=True)
class Period:
    kind: str
    start: dt.date  # first day
    end: dt.date  # last day, inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """What this period is compared with. A month, quarter or year (up to today):
        as many days from the start of the one before (1-17 December against 1-17
        November; this year to 1 December against last year to 1 December), cut at its
        end. A custom period: the period of the same length just before it."""
        if self.kind in ("month", "quarter", "year"):
            first, end_of = duty_queries.period_range(self.kind, self.start - dt.timedelta(days=1))
            return Period(self.kind, first, min(first + dt.timedelta(days=self.days - 1), end_of))
        end = self.start - dt.timedelta(days=1)
        return Period(self.kind, end - dt.timedelta(days=self.days - 1), end)

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """[start, end) as aware datetimes in the site's time zone."""
        tz = timezone.get_current_timezone()
        return (
            dt.datetime.combine(self.start, dt.time.min, tzinfo=tz),
            dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
        )

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "start": self.start, "end": self.end, "days": self.days}

    def query(self) -> str:
        if self.kind == "custom":
            return f"period=custom&start={self.start:%Y-%m-%d}&end={self.end:%Y-%m-%d}"
        return f"period={self.kind}"


def parse_period(params: Mapping[str, str], today: dt.date | None = None) -> Period:
    """The period of a request: `period` (month, quarter, year: the one holding today,
    up to today; custom: `start` and `end`, inclusive). Bad input is InvalidInput."""
    today = today or timezone.localdate()
    kind = (params.get("period") or "").strip()
    raw_start = (params.get("start") or "").strip()
    raw_end = (params.get("end") or "").strip()
    if not kind:
        kind = "custom" if (raw_start or raw_end) else "month"
    if kind not in PERIOD_KINDS:
        raise InvalidInput(_("The period is not valid."), code="period")
    if kind != "custom":
        start, end = duty_queries.period_range(kind, today)
        return Period(kind, start, min(end, today))
    first, last = parse_day(raw_start), parse_day(raw_end)
    if first is None or last is None:
        raise InvalidInput(
            _("Give the start and end dates as YYYY-MM-DD, between 2000 and 2100."),
            code="period",
        )
    duty_queries.check_period(first, last)
    return Period(kind, first, last)


# --- now --------------------------------------------------------------------------------


def _appeals_of(user, unit: Unit):
    return (
        appeal_selectors.appeals_visible_to(user)
        .filter(origin_path__startswith=unit.path)
        .order_by()
    )


def _child_prefix(unit: Unit) -> Substr:
    return Substr("origin_path", 1, len(unit.path) + STEPLEN)


def now_figures(user, unit: Unit, now: dt.datetime | None = None) -> dict[str, Any]:
    """Open appeals by level and status, overdue and due within 24 h, new and closed
    today, waiting at this unit to be claimed: one aggregate query; then the open and
    overdue per child unit: one grouped query."""
    now = now or timezone.now()
    day_start = dt.datetime.combine(
        timezone.localdate(now), dt.time.min, tzinfo=timezone.get_current_timezone()
    )
    clock = Q(status__in=CLOCK_STATUSES)
    # Three queries, each on an index: the open appeals (a few per cent of a year's),
    # those filed today and those closed today; never a scan of every appeal.
    aggs: dict[str, Any] = {
        "open": Count("id"),
        "overdue": Count("id", filter=clock & Q(due_at__lte=now)),
        "due_soon": Count("id", filter=clock & Q(due_at__gt=now, due_at__lte=now + SOON)),
        "waiting_here": Count("id", filter=Q(status=Status.PENDING, unit=unit)),
    }
    for s in OPEN_STATUSES:
        aggs[f"status_{s}"] = Count("id", filter=Q(status=s))
    for lv in LEVEL_ORDER:
        aggs[f"level_{lv}"] = Count("id", filter=Q(level=lv))
    base = _appeals_of(user, unit)
    row = base.filter(status__in=OPEN_STATUSES).aggregate(**aggs)
    row["new_today"] = base.filter(created_at__gte=day_start).count()
    row["closed_today"] = base.filter(closed_at__gte=day_start).count()
    status_labels = dict(Status.choices)
    level_labels = dict(Level.choices)
    per_child = {
        r["child"]: r
        for r in base.filter(status__in=OPEN_STATUSES)
        .exclude(origin_path=unit.path)
        .annotate(child=_child_prefix(unit))
        .values("child")
        .annotate(
            open=Count("id"),
            overdue=Count("id", filter=clock & Q(due_at__lte=now)),
        )
    }
    return {
        "at": now,
        "open": row["open"],
        "overdue": row["overdue"],
        "due_soon": row["due_soon"],
        "new_today": row["new_today"],
        "closed_today": row["closed_today"],
        "waiting_here": row["waiting_here"],
        "by_status": [
            {"key": s, "label": status_labels[s], "count": row[f"status_{s}"]}
            for s in OPEN_STATUSES
        ],
        "by_level": [
            {"key": lv, "label": level_labels[lv], "count": row[f"level_{lv}"]}
            for lv in LEVEL_ORDER
        ],
        "per_child": per_child,
    }


def open_alarms(user, unit: Unit, now: dt.datetime | None = None) -> dict[str, Any]:
    """The doorbell's open alarms in the unit's subtree (as the alarm panel scopes
    them), oldest press first, with the minutes since the press."""
    now = now or timezone.now()
    qs = (
        doorbell_selectors.alarms_visible(user)
        .filter(status__in=OPEN_ALARM_STATUSES, unit__path__startswith=unit.path)
        .order_by()
    )
    labels = dict(AlarmStatus.choices)
    rows = list(
        qs.order_by("raised_at", "id").values("pk", "unit__name", "status", "raised_at")[
            :ALARMS_SHOWN
        ]
    )
    count = len(rows) if len(rows) < ALARMS_SHOWN else qs.count()
    return {
        "count": count,
        "rows": [
            {
                "id": r["pk"],
                "unit_name": r["unit__name"],
                "status": r["status"],
                "status_label": labels.get(r["status"], r["status"]),
                "raised_at": r["raised_at"],
                "minutes": max(int((now - r["raised_at"]).total_seconds() // 60), 0),
            }
            for r in rows
        ],
    }


# --- rates for a period -----------------------------------------------------------------


def _rate_keys(d: dict[str, Any]) -> list[str]:
    return [k for k in d if k.endswith("_rate")]


def _children(unit: Unit) -> list[Unit]:
    return list(Unit.objects.filter(parent=unit).order_by("path"))


def _pct(n: int, d: int) -> float | None:
    return round(100.0 * n / d, 1) if d else None


def _duty_rate(uc) -> tuple[float | None, dict[str, float | None]]:
    duties = uc.duties if uc is not None else {}
    per = {name: duties[name].rate if name in duties else None for name in all_duties()}
    required = sum(d.required for d in duties.values())
    fulfilled = sum(min(d.fulfilled, d.required) for d in duties.values())
    return _pct(fulfilled, required), per


def may_use_centre(user, unit: Unit) -> bool:
    """The centre's rule: an active user holding a centre role who sees the unit."""
    if not getattr(user, "is_active", False) or not holds_any(user, CENTRE_ROLES):
        return False
    try:
        org_selectors.unit_get(user, unit.pk)
    except NotFound:
        return False
    return True


def _period_key(period: Period) -> str:
    return f"{period.start:%Y-%m-%d}..{period.end:%Y-%m-%d}"


def _period_of_key(key: str) -> Period:
    first, last = (dt.date.fromisoformat(d) for d in key.split(".."))
    return Period("custom", first, last)


def duty_figures(user, unit: Unit, period: Period) -> dict[str, Any]:
    """`compute_duty_figures` from a snapshot (`snapshots`): seconds at county scale,
    so views share one computed at most `snapshots.MAX_AGE` ago. The labels are
    added here, in the viewer's language."""
    data, at = snapshots.get("duties", user, unit, _period_key(period))
    return {
        **data,
        "as_of": at,
        "duties": [{**d, "label": duty_label(d["key"])} for d in data["duties"]],
    }


def coverage_figures(user, unit: Unit) -> dict[str, Any]:
    """`compute_coverage_figures` from a snapshot, as `duty_figures`."""
    data, at = snapshots.get("coverage", user, unit)
    return {**data, "as_of": at}


def compute_duty_figures(user, unit: Unit, period: Period) -> dict[str, Any]:
    """Duty compliance of the unit's representatives over the period, from the duties'
    compliance engine: per duty and overall (fulfilled over required, all duties)."""
    team = duty_queries.team_compliance(user, unit=unit, start=period.start, end=period.end)
    # `TeamCompliance.total` is typed `object`; it is the unit's UnitCompliance.
    total: UnitCompliance | None = team.total  # type: ignore[assignment]
    rate, per = _duty_rate(total)
    children = {}
    for uc in team.children:
        c_rate, c_per = _duty_rate(uc)
        children[uc.unit.path] = {
            "rate": c_rate,
            "duties": c_per,
            "representatives": uc.representatives,
            "behind": uc.behind,
        }
    return {
        "rate": rate,
        "representatives": total.representatives if total else 0,
        "behind": total.behind if total else 0,
        "duties": [{"key": name, "rate": per[name]} for name in all_duties()],
        "per_child": children,
    }


def compute_coverage_figures(user, unit: Unit) -> dict[str, Any]:
    cov = org_selectors.coverage_for(user, unit)

    def rate(row) -> float | None:
        return None if row.empty else round(100.0 * row.household_rate, 1)

    return {
        "rate": rate(cov.total),
        "households": cov.total.households,
        "uncovered": cov.total.uncovered_households,
        "per_child": {
            r.unit.path: {"rate": rate(r), "households": r.households} for r in cov.children
        },
    }


def _rates_row(r: Rates) -> dict[str, Any]:
    d = r.as_dict()
    return d


def rates_figures(user, unit: Unit, period: Period) -> dict[str, Any]:
    """`appeal_rates` for the period and for the previous one of the same length:
    the total, the change, and each child unit's (four aggregate queries)."""
    # The centre's viewers see the whole subtree of the unit they chose (`centre_unit`
    # checked it against their scope), so the rollup-backed subtree rates apply.
    total, per_child = appeal_selectors.subtree_rates(unit, period.start, period.end)
    earlier = period.previous()
    before, before_children = appeal_selectors.subtree_rates(unit, earlier.start, earlier.end)
    now_d, prev_d = _rates_row(total), _rates_row(before)
    keys = _rate_keys(now_d)
    rates = []
    for k in [*keys, "mean_hours_to_resolve"]:
        cur, prev = now_d.get(k), prev_d.get(k)
        rates.append(
            {
                "key": k,
                "label": rate_label(k)
                if k != "mean_hours_to_resolve"
                else _("Mean hours to resolve"),
                "value": cur,
                "previous": prev,
                "change": round(cur - prev, 1) if cur is not None and prev is not None else None,
            }
        )
    level_share = now_d.get("level_share", {})
    prev_share = prev_d.get("level_share", {})
    levels = [
        {
            "key": lv,
            "label": dict(Level.choices)[lv],
            "motto": LEVEL_MOTTOS[lv],
            "resolved": now_d.get("resolved_at_level", {}).get(lv, 0),
            "share": level_share.get(lv),
            "previous": prev_share.get(lv),
        }
        for lv in LEVEL_ORDER
    ]
    return {
        "keys": keys,
        "total": now_d,
        "previous": prev_d,
        "rates": rates,
        "levels": levels,
        "per_child": {r.unit.path: _rates_row(r) for r in per_child if r.unit is not None},
        "per_child_previous": {
            r.unit.path: _rates_row(r) for r in before_children if r.unit is not None
        },
    }


# --- charts -----------------------------------------------------------------------------


def trend(user, unit: Unit, period: Period) -> dict[str, Any]:
    """Appeals filed and closed per day (per week beyond two months): two grouped
    queries, the empty days filled in."""
    weekly = period.days > DAILY_UP_TO_DAYS
    trunc = TruncWeek if weekly else TruncDate
    start, end = period.bounds()
    base = _appeals_of(user, unit)

    def week_of(day: dt.date) -> dt.date:
        return day - dt.timedelta(days=day.weekday()) if weekly else day

    def counts(field: str) -> dict[dt.date, int]:
        out: dict[dt.date, int] = {}
        rows = (
            base.filter(**{f"{field}__gte": start, f"{field}__lt": end})
            .annotate(day=trunc(field))
            .values("day")
            .annotate(n=Count("id"))
        )
        for r in rows:
            day = r["day"]
            if isinstance(day, dt.datetime):
                day = timezone.localtime(day).date() if timezone.is_aware(day) else day.date()
            out[day] = out.get(day, 0) + r["n"]
        return out

    if unit.depth <= appeal_tally.TALLY_DEPTH:
        # The rollup's rows per day (the subtree is whole: see rates_figures).
        appeal_tally.ensure(period.start, period.end)
        filed: dict[dt.date, int] = {}
        closed: dict[dt.date, int] = {}
        for d, (f, c) in appeal_tally.by_day(unit.path, period.start, period.end).items():
            filed[week_of(d)] = filed.get(week_of(d), 0) + f
            closed[week_of(d)] = closed.get(week_of(d), 0) + c
    else:
        filed, closed = counts("created_at"), counts("closed_at")
    day = period.start
    if weekly:
        day -= dt.timedelta(days=day.weekday())
    step = dt.timedelta(days=7 if weekly else 1)
    rows = []
    while day <= period.end:
        rows.append({"day": day, "filed": filed.get(day, 0), "closed": closed.get(day, 0)})
        day += step
    return {"step": "week" if weekly else "day", "rows": rows}


def categories(user, unit: Unit, period: Period) -> list[dict[str, Any]]:
    """Appeals filed in the period by top-level category, most first."""
    start, end = period.bounds()
    if unit.depth <= appeal_tally.CATEGORY_DEPTH:
        appeal_tally.ensure(period.start, period.end)
        rows = [
            {"top": top, "n": n}
            for top, n in appeal_tally.by_category(
                unit.path, period.start, period.end, TOP_CATEGORIES
            )
        ]
    else:
        rows = list(
            _appeals_of(user, unit)
            .filter(created_at__gte=start, created_at__lt=end)
            .annotate(top=Coalesce(F("category__parent_id"), F("category_id")))
            .values("top")
            .annotate(n=Count("id"))
            .order_by("-n", "top")[:TOP_CATEGORIES]
        )
    names = dict(Category.objects.filter(pk__in=[r["top"] for r in rows]).values_list("pk", "name"))
    return [{"id": r["top"], "name": names.get(r["top"], ""), "count": r["n"]} for r in rows]


DISPATCH_ROWS = 20


def dispatch_list(user, unit: Unit, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """The appeals a leader may want to press or hand to someone: open, with their clock
    running, overdue or due within 24 h, the earliest due first (at most DISPATCH_ROWS)."""
    now = now or timezone.now()
    statuses = dict(Status.choices)
    levels = dict(Level.choices)
    rows = (
        _appeals_of(user, unit)
        .filter(status__in=CLOCK_STATUSES, due_at__lte=now + SOON)
        .order_by("due_at", "id")
        .values("code", "title", "status", "level", "unit__name", "due_at", "supervised")[
            :DISPATCH_ROWS
        ]
    )
    return [
        {
            "code": r["code"],
            "title": r["title"],
            "status": statuses.get(r["status"], r["status"]),
            "level": levels.get(r["level"], r["level"]),
            "unit": r["unit__name"],
            "due_at": r["due_at"],
            "overdue": r["due_at"] is not None and r["due_at"] <= now,
            "supervised": r["supervised"],
        }
        for r in rows
    ]


def hotspots(user, unit: Unit) -> list[dict[str, Any]]:
    """The villages (or, below a village, the child units) with the most open appeals."""
    depth = max(VILLAGE_DEPTH, unit.depth + 1)
    rows = list(
        _appeals_of(user, unit)
        .filter(status__in=OPEN_STATUSES)
        .annotate(place=Substr("origin_path", 1, depth * STEPLEN))
        .values("place")
        .annotate(n=Count("id"))
        .order_by("-n", "place")[:TOP_HOTSPOTS]
    )
    units = {u.path: u for u in Unit.objects.filter(path__in=[r["place"] for r in rows])}
    out = []
    for r in rows:
        # An appeal filed at a unit above the villages names no village.
        u = units.get(r["place"]) if len(r["place"]) == depth * STEPLEN else None
        if u is not None:
            out.append({"id": u.pk, "name": u.name, "count": r["n"]})
    return out


# --- rankings and the units falling behind -------------------------------------------------


def child_rows(
    unit: Unit, children: list[Unit], now: dict, rates: dict, duties: dict, coverage: dict
) -> list[dict[str, Any]]:
    """One row per child unit: its open work now and its figures for the period."""
    rows = []
    for c in children:
        r = rates["per_child"].get(c.path) or Rates(unit=c).as_dict()
        live = now["per_child"].get(c.path, {})
        row = {
            "unit_id": c.pk,
            "name": c.name,
            "open_now": live.get("open", 0),
            "overdue_now": live.get("overdue", 0),
            "filed": r.get("filed", 0),
            "resolved": r.get("resolved", 0),
            "mean_hours_to_resolve": r.get("mean_hours_to_resolve"),
            "level_share": r.get("level_share", {}),
            "duty_rate": duties["per_child"].get(c.path, {}).get("rate"),
            "coverage_rate": coverage["per_child"].get(c.path, {}).get("rate"),
        }
        before = rates.get("per_child_previous", {}).get(c.path) or {}
        row["previous"] = {}
        for k in rates["keys"]:
            row[k] = r.get(k)
            # The same rate over the previous period of the same length.
            row["previous"][k] = before.get(k)
        rows.append(row)
    return rows


def rankings(rows: list[dict], parent: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    """Each rate's ranking of the child units (best first; units without a figure
    left out), the worst three marked; and the units falling behind: at least
    BEHIND_MARGIN points below the parent's figure on some rate."""
    out = []
    behind: dict[int, dict[str, Any]] = {}
    for k in keys:
        ranked = sorted((r for r in rows if r.get(k) is not None), key=lambda r: (-r[k], r["name"]))
        worst = {r["unit_id"] for r in ranked[-WORST:]} if len(ranked) > WORST else set()
        out.append(
            {
                "key": k,
                "label": rate_label(k),
                "parent": parent.get(k),
                "rows": [
                    {
                        "rank": i,
                        "unit_id": r["unit_id"],
                        "name": r["name"],
                        "value": r[k],
                        "worst": r["unit_id"] in worst,
                    }
                    for i, r in enumerate(ranked, 1)
                ],
            }
        )
        p = parent.get(k)
        if p is None:
            continue
        for r in ranked:
            if r[k] <= p - BEHIND_MARGIN:
                entry = behind.setdefault(
                    r["unit_id"], {"unit_id": r["unit_id"], "name": r["name"], "gaps": []}
                )
                entry["gaps"].append({"key": k, "label": rate_label(k), "value": r[k], "parent": p})
    return {"rankings": out, "behind": sorted(behind.values(), key=lambda e: -len(e["gaps"]))}


# --- everything -------------------------------------------------------------------------


def centre_for(user, unit: Unit, period: Period) -> dict[str, Any]:
    """Every number of the dashboard for `unit` and `period`, as `user` may see them."""
    now = now_figures(user, unit)
    alarms = open_alarms(user, unit, now["at"])
    rates = rates_figures(user, unit, period)
    duties = duty_figures(user, unit, period)
    coverage = coverage_figures(user, unit)
    children = _children(unit)
    rows = child_rows(unit, children, now, rates, duties, coverage)
    parent = {**rates["total"], "duty_rate": duties["rate"], "coverage_rate": coverage["rate"]}
    rank = rankings(rows, parent, [*rates["keys"], "duty_rate", "coverage_rate"])
    now = {k: v for k, v in now.items() if k != "per_child"}
    return {
        "unit": {
            "id": unit.pk,
            "name": unit.name,
            "kind": unit.get_kind_display(),
            "parent_id": unit.parent_id
            if unit.parent_id and org_selectors.parent_visible(user, unit)
            else None,
        },
        "period": period.as_dict(),
        "previous": period.previous().as_dict(),
        "now": now,
        "alarms": alarms,
        "rates": {k: v for k, v in rates.items() if k not in ("per_child", "per_child_previous")},
        "duties": {k: v for k, v in duties.items() if k != "per_child"},
        "coverage": {k: v for k, v in coverage.items() if k != "per_child"},
        "children": rows,
        "rankings": rank["rankings"],
        "behind": rank["behind"],
        "trend": trend(user, unit, period),
        "categories": categories(user, unit, period),
        "hotspots": hotspots(user, unit),
        "dispatch": dispatch_list(user, unit, now["at"]),
    }


# --- the tables of the Excel downloads -------------------------------------------------------

TABLES = ("now", "rates", "children", "trend", "categories", "hotspots", "alarms")


def _v(value: Any) -> Any:
    return "" if value is None else value


def table(data: dict[str, Any], name: str) -> tuple[str, list[str], list[list[Any]]]:
    """One of the dashboard's tables, as (sheet name, headers, rows), the same
    numbers the page and the JSON hold."""
    if name == "now":
        n = data["now"]
        rows = [
            [_("Open appeals"), n["open"]],
            [_("Overdue"), n["overdue"]],
            [_("Due within 24 hours"), n["due_soon"]],
            [_("New today"), n["new_today"]],
            [_("Closed today"), n["closed_today"]],
            [_("Waiting here to be claimed"), n["waiting_here"]],
            [_("Open doorbell alarms"), data["alarms"]["count"]],
        ]
        rows += [[str(s["label"]), s["count"]] for s in n["by_status"]]
        rows += [[f"{_('Open at level')}: {lv['label']}", lv["count"]] for lv in n["by_level"]]
        return _("Now"), [_("Figure"), _("Count")], rows
    if name == "rates":
        r = data["rates"]
        rows = [[str(x["label"]), _v(x["value"]), _v(x["previous"])] for x in r["rates"]]
        rows += [
            [f"{lv['motto']} ({lv['label']})", _v(lv["share"]), _v(lv["previous"])]
            for lv in r["levels"]
        ]
        rows.append([_("Duty compliance"), _v(data["duties"]["rate"]), ""])
        rows += [
            [f"{_('Duty compliance')}: {d['label']}", _v(d["rate"]), ""]
            for d in data["duties"]["duties"]
        ]
        rows.append([_("Household coverage"), _v(data["coverage"]["rate"]), ""])
        return _("Rates"), [_("Figure"), _("This period"), _("Previous period")], rows
    if name == "children":
        keys = [k for k in data["rates"]["keys"]] + ["duty_rate", "coverage_rate"]
        headers = [
            _("Unit"),
            _("Open now"),
            _("Overdue now"),
            _("Appeals filed"),
            _("Resolved (appeals)"),
            *[str(rate_label(k)) for k in keys],
            # The appeal rates again, over the previous period of the same length.
            *[f"{rate_label(k)} ({_('Previous period')})" for k in data["rates"]["keys"]],
            _("Mean hours to resolve"),
        ]
        rows = [
            [
                c["name"],
                c["open_now"],
                c["overdue_now"],
                c["filed"],
                c["resolved"],
                *[_v(c.get(k)) for k in keys],
                *[_v(c.get("previous", {}).get(k)) for k in data["rates"]["keys"]],
                _v(c["mean_hours_to_resolve"]),
            ]
            for c in data["children"]
        ]
        return _("By unit"), headers, rows
    if name == "trend":
        return (
            _("Trend"),
            [
                _("Week from") if data["trend"]["step"] == "week" else _("Day"),
                _("Filed (appeals)"),
                _("Closed (appeals)"),
            ],
            [[r["day"], r["filed"], r["closed"]] for r in data["trend"]["rows"]],
        )
    if name == "categories":
        return (
            _("Categories"),
            [_("Category"), _("Appeals filed")],
            [[c["name"], c["count"]] for c in data["categories"]],
        )
    if name == "hotspots":
        return (
            _("Hot spots"),
            [_("Unit"), _("Open appeals")],
            [[h["name"], h["count"]] for h in data["hotspots"]],
        )
    if name == "alarms":
        return (
            _("Doorbell alarms"),
            [_("Unit"), _("Status"), _("Pressed at"), _("Minutes since the press")],
            [
                [
                    a["unit_name"],
                    str(a["status_label"]),
                    timezone.localtime(a["raised_at"]).strftime("%Y-%m-%d %H:%M"),
                    a["minutes"],
                ]
                for a in data["alarms"]["rows"]
            ],
        )
    raise KeyError(name)


snapshots.register(
    "duties", lambda user, unit, key: compute_duty_figures(user, unit, _period_of_key(key))
)
snapshots.register("coverage", lambda user, unit, _key: compute_coverage_figures(user, unit))
