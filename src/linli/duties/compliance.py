"""The compliance engine: for any set of representatives and any period, what
each duty required and what was fulfilled. Set-based: a fixed number of
aggregate queries per period segment, whatever the number of households.

Who owes what (documented in docs/duties.md):
- a household-week is owed by the representative serving the household on the
  week's Thursday (the ISO week's own reference day), and fulfilled when that
  representative logged at least N contacts with it that week (a home visit
  counts when the rule says so);
- a household-month is owed by the representative serving it on the month's
  middle day, fulfilled by at least N home visits by them that month;
- a quarter is owed by every representative whose term covers its middle day,
  fulfilled by at least N deliberation events they organised in it;
- a year likewise (middle day 2 July; 1 July in a leap year), fulfilled by at least N reports of each
  kind (to the residents and to the village committees).
A period falls in the requested range when its reference day does. Each period
is judged by the rule in force on its first day.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.core.timeutil import today
from linli.org.models import STEPLEN, Representative, Unit

from .models import DutyRule, DutyTally, ReportKind, month_middle
from .services import DEFAULT_RULE

DUTIES = ("contacts", "visits", "deliberations", "reports")
DUTY_LABELS = {
    "contacts": _("Weekly contact"),
    "visits": _("Monthly home visit"),
    "deliberations": _("Quarterly deliberation"),
    "reports": _("Yearly reports"),
}
STATUS_LABELS = {"on_track": _("On track"), "behind": _("Behind"), "missed": _("Missed")}


# --- periods ------------------------------------------------------------------------------


def _middle(first: dt.date, after_last: dt.date) -> dt.date:
    return first + dt.timedelta(days=((after_last - first).days - 1) // 2)


def weeks_in(start: dt.date, end: dt.date) -> list[dt.date]:
    """Thursdays (week reference days) within [start, end]."""
    first = start + dt.timedelta(days=(3 - start.weekday()) % 7)
    return (
        [first + dt.timedelta(days=7 * i) for i in range(((end - first).days // 7) + 1)]
        if first <= end
        else []
    )


def _month_starts(start: dt.date, end: dt.date) -> Iterable[dt.date]:
    m = start.replace(day=1) - dt.timedelta(days=1)
    m = m.replace(day=1)
    while m <= end:
        yield m
        m = (m.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def months_in(start: dt.date, end: dt.date) -> list[dt.date]:
    """Middle days of the months whose middle day lies within [start, end]."""
    return [mid for m in _month_starts(start, end) if start <= (mid := month_middle(m)) <= end]


def quarters_in(start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date, dt.date]]:
    """(first day, last day, middle day) of quarters whose middle day is in range."""
    out = []
    for year in range(start.year - 1, end.year + 1):
        for q in range(4):
            first = dt.date(year, 3 * q + 1, 1)
            after = dt.date(year + (q == 3), (3 * q + 3) % 12 + 1, 1)
            mid = _middle(first, after)
            if start <= mid <= end:
                out.append((first, after - dt.timedelta(days=1), mid))
    return out


def years_in(start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date, dt.date]]:
    out = []
    for year in range(start.year - 1, end.year + 1):
        first, after = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
        mid = _middle(first, after)
        if start <= mid <= end:
            out.append((first, after - dt.timedelta(days=1), mid))
    return out


def _period_start_of_week(thursday: dt.date) -> dt.date:
    return thursday - dt.timedelta(days=3)


def _rules() -> list[DutyRule]:
    return list(DutyRule.objects.order_by("effective_from")) or [DEFAULT_RULE]


def _rule_for(rules: list[DutyRule], day: dt.date) -> DutyRule:
    current = DEFAULT_RULE
    for r in rules:
        if r.effective_from <= day:
            current = r
    return current


def _segments(periods: list, first_day, rules) -> list[tuple[DutyRule, list]]:
    """Group consecutive periods judged by the same rule."""
    out: list[tuple[DutyRule, list]] = []
    for p in periods:
        rule = _rule_for(rules, first_day(p))
        if out and out[-1][0] is rule:
            out[-1][1].append(p)
        else:
            out.append((rule, [p]))
    return out


# --- results ------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitInfo:
    id: int
    path: str
    name: str

    @property
    def pk(self) -> int:
        return self.id


class RepInfo:
    """The fields of a representative the engine and its pages use."""

    __slots__ = ("id", "name", "term_start", "term_end", "user_id", "unit_id", "unit")

    def __init__(self, id, name, term_start, term_end, user_id, unit_id, unit_path, unit_name):
        self.id = id
        self.name = name
        self.term_start = term_start
        self.term_end = term_end
        self.user_id = user_id
        self.unit_id = unit_id
        self.unit = UnitInfo(unit_id, unit_path, unit_name)

    @property
    def pk(self) -> int:
        return self.id

    def __str__(self) -> str:
        return self.name


@dataclass(slots=True)
class Duty:
    required: int = 0
    fulfilled: int = 0

    @property
    def owed(self) -> int:
        return max(self.required - self.fulfilled, 0)

    @property
    def rate(self) -> float | None:
        return round(100.0 * self.fulfilled / self.required, 1) if self.required else None

    def add(self, other: Duty) -> None:
        self.required += other.required
        self.fulfilled += other.fulfilled


@dataclass
class RepCompliance:
    representative: Representative
    duties: dict[str, Duty] = field(default_factory=lambda: {d: Duty() for d in DUTIES})
    period_over: bool = True

    def status(self, duty: str) -> str:
        d = self.duties[duty]
        if d.fulfilled >= d.required:
            return "on_track"
        return "missed" if self.period_over else "behind"

    @property
    def statuses(self) -> dict[str, str]:
        return {d: self.status(d) for d in DUTIES}

    @property
    def overall(self) -> str:
        s = set(self.statuses.values())
        return "missed" if "missed" in s else ("behind" if "behind" in s else "on_track")


@dataclass
class UnitCompliance:
    unit: Unit
    representatives: int = 0
    duties: dict[str, Duty] = field(default_factory=lambda: {d: Duty() for d in DUTIES})
    behind: int = 0


# --- the queries --------------------------------------------------------------------------


def _in(values: list) -> str:
    return ", ".join(["%s"] * len(values))


def _rep_filter(rep_ids: list[int] | None, unit_path: str | None, alias: str) -> tuple[str, list]:
    """SQL restricting `alias.representative_id` to the representatives asked for."""
    if rep_ids is not None:
        if not rep_ids:
            return " AND 1 = 0", []
        return f" AND {alias}.representative_id IN ({_in(rep_ids)})", list(rep_ids)
    return (
        f" AND {alias}.representative_id IN (SELECT r.id FROM org_representative r"
        " JOIN org_unit u ON u.id = r.unit_id WHERE u.path LIKE %s)",
        [unit_path + "%"],
    )


def _refs_table(refs: list[dt.date]) -> tuple[str, list]:
    """A derived table `(ref)` of the reference days, in each engine's dialect."""
    if connection.vendor == "postgresql":
        return "(SELECT unnest(%s::date[]) AS ref)", [list(refs)]
    return "(" + " UNION ALL ".join(["SELECT %s AS ref"] * len(refs)) + ")", [
        r.isoformat() for r in refs
    ]


def _cells_sql(
    duty: str, refs: list[dt.date], rule: DutyRule, rep_ids: list[int] | None, unit_path: str | None
) -> tuple[str, list]:
    """SELECT (representative, ref, owed, done) for every representative asked for
    and every reference day: household-periods owed (links covering the day)
    and, of those, fulfilled (at least N current records by that representative)."""
    if duty == "contacts":
        tables = ["duties_contactlog"] + (
            ["duties_homevisit"] if rule.visit_counts_as_contact else []
        )
        column, minimum = "week", rule.contacts_per_week
    else:
        tables, column, minimum = ["duties_homevisit"], "month", rule.visits_per_month
    refs_sql, refs_params = _refs_table(refs)
    if rep_ids is not None:
        reps_sql = f"SELECT r.id FROM org_representative r WHERE r.id IN ({_in(rep_ids)})"
        reps_params: list = list(rep_ids)
    else:
        reps_sql = (
            "SELECT r.id FROM org_representative r JOIN org_unit u ON u.id = r.unit_id"
            " WHERE u.path LIKE %s"
        )
        reps_params = [unit_path + "%"]
    parts, part_params = [], []
    for table in tables:
        parts.append(
            f"SELECT c.representative_id, c.household_id, c.{column} AS ref FROM {table} c"
            f" WHERE c.superseded_by_id IS NULL AND c.void = %s"
            f" AND c.{column} IN (SELECT ref FROM {refs_sql} rr)"
            f" AND c.representative_id IN ({reps_sql})"
        )
        part_params += [False, *refs_params, *reps_params]
    if minimum == 0:
        # A rule that asks for nothing: every owed household-period is met.
        done_sql, done_params = None, []
    else:
        done_sql = (
            "SELECT g.representative_id, g.ref, COUNT(*) AS n FROM ("
            "SELECT u.representative_id, u.household_id, u.ref FROM ("
            + " UNION ALL ".join(parts)
            + ") u GROUP BY u.representative_id, u.household_id, u.ref HAVING COUNT(*) >= %s"
            ") g JOIN org_householdlink l ON l.household_id = g.household_id"
            " AND l.representative_id = g.representative_id AND l.valid_from <= g.ref"
            " AND (l.valid_to IS NULL OR l.valid_to > g.ref)"
            " GROUP BY g.representative_id, g.ref"
        )
        done_params = [*part_params, minimum]
    owed_sql = (
        "SELECT l.representative_id, refs.ref, COUNT(*) AS n FROM org_householdlink l"
        f" JOIN {refs_sql} refs ON l.valid_from <= refs.ref"
        " AND (l.valid_to IS NULL OR l.valid_to > refs.ref)"
        f" WHERE l.representative_id IN ({reps_sql})"
        " GROUP BY l.representative_id, refs.ref"
    )
    sql = (
        "SELECT r.id AS rid, refs.ref AS ref, COALESCE(o.n, 0) AS owed, "
        + ("COALESCE(o.n, 0)" if done_sql is None else "COALESCE(d.n, 0)")
        + " AS done"
        + f" FROM ({reps_sql}) r CROSS JOIN {refs_sql} refs"
        f" LEFT JOIN ({owed_sql}) o ON o.representative_id = r.id AND o.ref = refs.ref"
        + (
            ""
            if done_sql is None
            else f" LEFT JOIN ({done_sql}) d ON d.representative_id = r.id AND d.ref = refs.ref"
        )
    )
    params = [*reps_params, *refs_params, *refs_params, *reps_params, *done_params]
    return sql, params


def _tally(
    duty: str,
    refs: list[dt.date],
    rule: DutyRule,
    rep_ids: list[int] | None,
    unit_path: str | None,
    wanted: set[int],
) -> dict[int, tuple[int, int]]:
    """Per representative: (owed, done) summed over `refs`, from the rollup;
    cells that are missing (never computed, or invalidated) are computed first."""
    if not refs:
        return {}
    refs_sql, refs_params = _refs_table(refs)
    rep_sql, rep_params = _rep_filter(rep_ids, unit_path, "t")
    read = (
        "SELECT t.representative_id, COUNT(*), SUM(t.owed), SUM(t.done) FROM duties_dutytally t"
        f" WHERE t.duty = %s AND t.ref IN (SELECT ref FROM {refs_sql} rr){rep_sql}"
        " GROUP BY t.representative_id"
    )
    params = [duty, *refs_params, *rep_params]
    with connection.cursor() as cur:
        cur.execute(read, params)
        rows = {rep: (n, owed, done) for rep, n, owed, done in cur.fetchall()}
        stale = sorted(pk for pk in wanted if rows.get(pk, (0,))[0] < len(refs))
        if stale:
            # Whole subtree at once when most of it is missing, else just those.
            if rep_ids is None and len(stale) > len(wanted) // 2:
                targets: list[list[int] | None] = [None]
            else:
                targets = [stale[i : i + 500] for i in range(0, len(stale), 500)]
            for chunk in targets:
                chunk_sql, chunk_params = _rep_filter(chunk, unit_path, "t")
                cells_sql, cells_params = _cells_sql(duty, refs, rule, chunk, unit_path)
                try:
                    with transaction.atomic():
                        cur.execute(
                            "DELETE FROM duties_dutytally WHERE id IN (SELECT t.id"
                            " FROM duties_dutytally t WHERE t.duty = %s"
                            f" AND t.ref IN (SELECT ref FROM {refs_sql} rr){chunk_sql})",
                            [duty, *refs_params, *chunk_params],
                        )
                        cur.execute(
                            "INSERT INTO duties_dutytally"
                            " (representative_id, duty, ref, owed, done, computed_at)"
                            f" SELECT c.rid, %s, c.ref, c.owed, c.done, %s FROM ({cells_sql}) c",
                            [duty, timezone.now(), *cells_params],
                        )
                except IntegrityError:
                    # Another request filled the same cells first: read theirs.
                    pass
            cur.execute(read, params)
            rows = {rep: (n, owed, done) for rep, n, owed, done in cur.fetchall()}
    return {rep: (int(owed), int(done)) for rep, (_n, owed, done) in rows.items()}


def invalidate(*, representative_ids: Iterable[int] | None = None, since: dt.date) -> int:
    """Drop rollup cells from `since` on (for these representatives, or all)."""
    qs = DutyTally.objects.filter(ref__gte=since)
    if representative_ids is not None:
        qs = qs.filter(representative_id__in=list(representative_ids))
    return qs.delete()[0]


def _serving_on(reps: dict[int, Representative], day: dt.date) -> set[int]:
    return {
        pk
        for pk, r in reps.items()
        if r.term_start <= day and (r.term_end is None or r.term_end > day)
    }


def _organised(first: dt.date, last: dt.date, rep_sql: str, rep_params: list) -> dict[int, int]:
    sql = (
        "SELECT o.representative_id, COUNT(DISTINCT d.id) FROM duties_deliberation d"
        " JOIN duties_deliberation_organisers o ON o.deliberation_id = d.id"
        " WHERE d.superseded_by_id IS NULL AND d.void = %s AND d.day >= %s AND d.day <= %s"
        f"{rep_sql} GROUP BY o.representative_id"
    )
    with connection.cursor() as cur:
        cur.execute(sql, [False, first, last, *rep_params])
        return dict(cur.fetchall())


def _reported(
    first: dt.date, last: dt.date, rep_sql: str, rep_params: list
) -> dict[tuple[int, str], int]:
    sql = (
        "SELECT a.representative_id, a.kind, COUNT(*) FROM duties_annualreport a"
        " WHERE a.superseded_by_id IS NULL AND a.void = %s AND a.day >= %s AND a.day <= %s"
        f"{rep_sql} GROUP BY a.representative_id, a.kind"
    )
    with connection.cursor() as cur:
        cur.execute(sql, [False, first, last, *rep_params])
        return {(rep, kind): n for rep, kind, n in cur.fetchall()}


def compute(
    representatives: Iterable[Representative] | None,
    start: dt.date,
    end: dt.date,
    *,
    unit: Unit | None = None,
) -> dict[int, RepCompliance]:
    """Compliance of the given representatives (or of every representative of
    `unit`'s subtree) for [start, end]. The caller scopes what it passes."""
    if end < start:
        start, end = end, start
    if representatives is not None:
        reps = {r.pk: r for r in representatives}
        rep_ids: list[int] | None = list(reps)
        unit_path = None
    else:
        assert unit is not None
        # Plain rows, not model instances: a county has 36,000 representatives.
        reps = {
            row[0]: RepInfo(*row)
            for row in Representative.objects.filter(unit__path__startswith=unit.path)
            .order_by()
            .values_list(
                "id",
                "name",
                "term_start",
                "term_end",
                "user_id",
                "unit_id",
                "unit__path",
                "unit__name",
            )  # fmt: skip
        }
        rep_ids = None
        unit_path = unit.path
    over = end < today()
    result = {pk: RepCompliance(representative=r, period_over=over) for pk, r in reps.items()}
    rules = _rules()

    # Contacts and visits: household-periods owed and done, per rule segment,
    # summed from the per-(representative, period) rollup.
    for duty, periods, first_day in (
        ("contacts", weeks_in(start, end), _period_start_of_week),
        ("visits", months_in(start, end), lambda m: m.replace(day=1)),
    ):
        for rule, days in _segments(periods, first_day, rules):
            for pk, (owed, done) in _tally(duty, days, rule, rep_ids, unit_path, set(reps)).items():
                if pk in result:
                    result[pk].duties[duty].required += owed
                    result[pk].duties[duty].fulfilled += done

    # Deliberations: one query per quarter (a handful per period).
    for first, last, mid in quarters_in(start, end):
        rule = _rule_for(rules, first)
        owing = _serving_on(reps, mid)
        held = _organised(first, last, *_rep_filter(rep_ids, unit_path, "o"))
        for pk in owing:
            d = result[pk].duties["deliberations"]
            d.required += 1
            d.fulfilled += int(held.get(pk, 0) >= rule.deliberations_per_quarter)
    # Reports: one query per year.
    for first, last, mid in years_in(start, end):
        rule = _rule_for(rules, first)
        owing = _serving_on(reps, mid)
        counts = _reported(first, last, *_rep_filter(rep_ids, unit_path, "a"))
        kinds = list(ReportKind.values)  # once: Django builds the list on each access
        for pk in owing:
            d = result[pk].duties["reports"]
            d.required += 1
            d.fulfilled += int(all(counts.get((pk, k), 0) >= rule.reports_per_year for k in kinds))
    return result


def rollup(
    unit: Unit, per_rep: dict[int, RepCompliance]
) -> tuple[UnitCompliance, list[UnitCompliance]]:
    """Sum representatives' figures for the unit and for each of its children."""
    total = UnitCompliance(unit=unit)
    children = {c.path: UnitCompliance(unit=c) for c in Unit.objects.filter(parent=unit)}
    n = len(unit.path) + STEPLEN
    for rc in per_rep.values():
        path = rc.representative.unit.path
        targets = [total]
        child = children.get(path[:n])
        if child is not None:
            targets.append(child)
        for t in targets:
            t.representatives += 1
            t.behind += int(rc.overall != "on_track")
            for d in DUTIES:
                t.duties[d].add(rc.duties[d])
    return total, sorted(children.values(), key=lambda c: c.unit.path)


def by_status(per_rep: dict[int, RepCompliance]) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for rc in per_rep.values():
        out[rc.overall] += 1
    return dict(out)
