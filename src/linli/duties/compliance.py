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

The apps above add duties of their own through `duties.extra.provide_compliance`
(the love doorbell's care visits): each answers, per representative, what it is
owed for (`subjects`), what fell due in the period (`required`), what was met in
time (`fulfilled`) and what is `overdue`. They follow the four in `duties`,
`status` and `overall`; `all_duties()` names them all.
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
from linli.org.models import Representative, Unit, path_at

from . import extra
from .models import DutyRule, DutyTally, ReportKind, month_middle
from .rules import DEFAULT_RULE

DUTIES = ("contacts", "visits", "deliberations", "reports")
DUTY_LABELS = {
    "contacts": _("Weekly contact"),
    "visits": _("Monthly home visit"),
    "deliberations": _("Quarterly deliberation"),
    "reports": _("Yearly reports"),
}


def all_duties() -> tuple[str, ...]:
    """The four duties, then those the apps above registered (`duties.extra`)."""
    return DUTIES + tuple(d.name for d in extra.compliance_duties())


def duty_label(duty: str):
    if duty in DUTY_LABELS:
        return DUTY_LABELS[duty]
    for d in extra.compliance_duties():
        if d.name == duty:
            return d.label
    return duty


def subjects_label(duty: str):
    """What an added duty is owed for ("Pairings"), or None for the four."""
    for d in extra.compliance_duties():
        if d.name == duty:
            return d.subjects_label
    return None


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


class UnitInfo:
    __slots__ = ("id", "path", "name")

    def __init__(self, id, path, name):
        self.id = id
        self.path = path
        self.name = name

    @property
    def pk(self) -> int:
        return self.id

    def __str__(self) -> str:
        return self.name


class RepInfo:
    """The fields of a representative the engine and its pages use (plain rows,
    not model instances: a county has 36,000 representatives)."""

    __slots__ = ("id", "name", "term_start", "term_end", "user_id", "unit_id", "_unit")

    def __init__(self, id, name, term_start, term_end, user_id, unit_id, unit_path, unit_name):
        self.id = id
        self.name = name
        self.term_start = term_start
        self.term_end = term_end
        self.user_id = user_id
        self.unit_id = unit_id
        self._unit = (unit_path, unit_name)

    @property
    def pk(self) -> int:
        return self.id

    @property
    def unit(self) -> UnitInfo:
        return UnitInfo(self.unit_id, *self._unit)

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


@dataclass(slots=True)
class ExtraDuty(Duty):
    """An added duty's figures: besides required and fulfilled, what it is owed for
    (`subjects`: the care pairings) and how many of the required are `overdue`."""

    subjects: int = 0
    overdue: int = 0

    @classmethod
    def of(cls, counts: extra.ExtraCounts | None) -> ExtraDuty:
        if counts is None:
            return cls()
        return cls(counts.required, counts.fulfilled, counts.subjects, counts.overdue)

    def add(self, other: Duty) -> None:
        self.required += other.required
        self.fulfilled += other.fulfilled
        if isinstance(other, ExtraDuty):
            self.subjects += other.subjects
            self.overdue += other.overdue


NO_COUNTS = (0,) * (2 * len(DUTIES))


class RepCompliance:
    """One representative's figures: `counts` holds (required, fulfilled) for each
    duty in DUTIES order; `duties` gives them as `Duty` objects, built on demand
    (a county table has 36,000 rows and a page shows 50).

    Built from one row of the engine's statement (representative fields, then
    the counts) without copying it: `representative` is made on first access,
    unless the caller passed its own model instance."""

    __slots__ = ("_row", "_rep", "period_over", "_duties", "extra")

    def __init__(
        self,
        row: tuple,
        period_over: bool = True,
        representative=None,
        extra: dict[str, ExtraDuty] | None = None,
    ):
        self._row = row
        self._rep = representative
        self.period_over = period_over
        self._duties: dict[str, Duty] | None = None
        # The added duties (`duties.extra`), by name.
        self.extra: dict[str, ExtraDuty] = extra or {}

    @property
    def representative(self):
        if self._rep is None:
            self._rep = RepInfo(*self._row[:8])
        return self._rep

    @property
    def counts(self) -> tuple:
        return self._row[8:16]

    @property
    def unit_path(self) -> str:
        return self._row[6]

    @property
    def duties(self) -> dict[str, Duty]:
        if self._duties is None:
            c = self.counts
            self._duties = {d: Duty(c[2 * i], c[2 * i + 1]) for i, d in enumerate(DUTIES)}
            for name in all_duties()[len(DUTIES) :]:
                self._duties[name] = self.extra.get(name) or ExtraDuty()
        return self._duties

    def status(self, duty: str) -> str:
        if duty not in DUTIES:
            d = self.extra.get(duty) or ExtraDuty()
            met = d.fulfilled >= d.required
        else:
            i = 8 + 2 * DUTIES.index(duty)
            met = self._row[i + 1] >= self._row[i]
        if met:
            return "on_track"
        return "missed" if self.period_over else "behind"

    @property
    def statuses(self) -> dict[str, str]:
        return {d: self.status(d) for d in (*DUTIES, *self.extra)}

    @property
    def overall(self) -> str:
        c = self._row
        if (
            c[9] >= c[8]
            and c[11] >= c[10]
            and c[13] >= c[12]
            and c[15] >= c[14]
            and all(d.fulfilled >= d.required for d in self.extra.values())
        ):
            return "on_track"
        return "missed" if self.period_over else "behind"


def _no_duties() -> dict[str, Duty]:
    out: dict[str, Duty] = {d: Duty() for d in DUTIES}
    out.update({d.name: ExtraDuty() for d in extra.compliance_duties()})
    return out


@dataclass
class UnitCompliance:
    unit: Unit
    representatives: int = 0
    duties: dict[str, Duty] = field(default_factory=_no_duties)
    behind: int = 0


# --- the plan: which periods, judged by which rule ----------------------------------------


@dataclass
class _Segment:
    """Consecutive weeks (contacts) or months (visits) judged by one rule."""

    duty: str
    rule: DutyRule
    refs: list[dt.date]


@dataclass
class _Plan:
    segments: list[_Segment]
    quarters: list[tuple[dt.date, dt.date, dt.date, DutyRule]]  # first, last, middle, rule
    years: list[tuple[dt.date, dt.date, dt.date, DutyRule]]

    @classmethod
    def of(cls, start: dt.date, end: dt.date, rules: list[DutyRule]) -> _Plan:
        segments = [
            _Segment(duty, rule, refs)
            for duty, periods, first_day in (
                ("contacts", weeks_in(start, end), _period_start_of_week),
                ("visits", months_in(start, end), lambda m: m.replace(day=1)),
            )
            for rule, refs in _segments(periods, first_day, rules)
        ]
        return cls(
            segments,
            [(f, la, m, _rule_for(rules, f)) for f, la, m in quarters_in(start, end)],
            [(f, la, m, _rule_for(rules, f)) for f, la, m in years_in(start, end)],
        )


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


def _refs_in(column: str, refs: list[dt.date]) -> tuple[str, list]:
    """`column` is one of the reference days (an index-friendly array on PostgreSQL)."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s::date[])", [list(refs)]
    return f"{column} IN ({_in(refs)})", [r.isoformat() for r in refs]


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


def _fill(
    segment: _Segment, rep_ids: list[int] | None, unit_path: str | None, stale: list[int]
) -> None:
    """Compute the rollup cells of one segment: for the representatives in
    `stale`, or for the whole subtree when `stale` is None."""
    duty, refs = segment.duty, segment.refs
    refs_sql, refs_params = _refs_table(refs)
    targets: list[list[int] | None] = (
        [None] if stale is None else [stale[i : i + 500] for i in range(0, len(stale), 500)]
    )
    with connection.cursor() as cur:
        for chunk in targets:
            ids = chunk if chunk is not None else rep_ids
            chunk_sql, chunk_params = _rep_filter(ids, unit_path, "t")
            cells_sql, cells_params = _cells_sql(duty, refs, segment.rule, ids, unit_path)
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
                # Another request filled the same cells first: theirs are as good.
                pass


def _table_sql(plan: _Plan, rep_ids: list[int] | None, unit_path: str | None) -> tuple[str, list]:
    """One statement: every representative asked for, with (required, fulfilled)
    for each duty and a bit per rollup segment whose cells are incomplete.

    Contacts and visits are summed from the rollup (one index-only scan per
    duty); deliberations and reports are counted per quarter and year and
    judged against the representatives' terms in the same statement."""
    if rep_ids is not None:
        where, where_params = f"r.id IN ({_in(rep_ids)})", list(rep_ids)
        sub = f"SELECT r.id FROM org_representative r WHERE {where}"
    else:
        where, where_params = "u.path LIKE %s", [unit_path + "%"]
        sub = f"SELECT r.id FROM org_representative r JOIN org_unit u ON u.id = r.unit_id WHERE {where}"
    cols: list[str] = []
    col_params: list = []
    joins: list[str] = []
    join_params: list = []

    # Contacts and visits: one aggregate over the rollup per duty, a column
    # triple (owed, done, cells present) per rule segment.
    sums: dict[str, list[str]] = {"contacts": [], "visits": []}
    stale_bits: list[str] = []
    for duty in ("contacts", "visits"):
        segs = [(i, s) for i, s in enumerate(plan.segments) if s.duty == duty]
        if not segs:
            sums[duty] = ["0", "0"]
            continue
        alias = "tc" if duty == "contacts" else "tv"
        agg, agg_params = [], []
        for i, s in segs:
            if len(segs) == 1:
                cond, cond_params = "1 = 1", []
            else:
                cond, cond_params = "t.ref >= %s AND t.ref <= %s", [s.refs[0], s.refs[-1]]
            agg += [
                f"SUM(CASE WHEN {cond} THEN t.owed ELSE 0 END) AS o{i}",
                f"SUM(CASE WHEN {cond} THEN t.done ELSE 0 END) AS d{i}",
                f"SUM(CASE WHEN {cond} THEN 1 ELSE 0 END) AS n{i}",
            ]
            agg_params += cond_params * 3
            stale_bits.append(
                f"CASE WHEN COALESCE({alias}.n{i}, 0) < {len(s.refs)} THEN {1 << i} ELSE 0 END"
            )
        all_refs = [r for _i, s in segs for r in s.refs]
        refs_cond, refs_params = _refs_in("t.ref", all_refs)
        joins.append(
            f"LEFT JOIN (SELECT t.representative_id AS rid, {', '.join(agg)}"
            f" FROM duties_dutytally t WHERE t.duty = %s AND {refs_cond}"
            f" AND t.representative_id IN ({sub}) GROUP BY t.representative_id)"
            f" {alias} ON {alias}.rid = r.id"
        )
        join_params += [*agg_params, duty, *refs_params, *where_params]
        sums[duty] = [
            " + ".join(f"COALESCE({alias}.o{i}, 0)" for i, _s in segs),
            " + ".join(f"COALESCE({alias}.d{i}, 0)" for i, _s in segs),
        ]
    cols += [*sums["contacts"], *sums["visits"]]

    def covers(mid: dt.date) -> tuple[str, list]:
        return "r.term_start <= %s AND (r.term_end IS NULL OR r.term_end > %s)", [mid, mid]

    # Deliberations: events organised in each quarter, against the rule's minimum.
    if plan.quarters:
        agg, agg_params, req, req_p, done, done_p = [], [], [], [], [], []
        for j, (first, last, mid, rule) in enumerate(plan.quarters):
            agg.append(f"SUM(CASE WHEN d.day >= %s AND d.day <= %s THEN 1 ELSE 0 END) AS q{j}")
            agg_params += [first, last]
            cov, cov_p = covers(mid)
            req.append(f"CASE WHEN {cov} THEN 1 ELSE 0 END")
            req_p += cov_p
            done.append(f"CASE WHEN {cov} AND COALESCE(dq.q{j}, 0) >= %s THEN 1 ELSE 0 END")
            done_p += [*cov_p, rule.deliberations_per_quarter]
        joins.append(
            f"LEFT JOIN (SELECT o.representative_id AS rid, {', '.join(agg)}"
            " FROM duties_deliberation d"
            " JOIN duties_deliberation_organisers o ON o.deliberation_id = d.id"
            " WHERE d.superseded_by_id IS NULL AND d.void = %s AND d.day >= %s AND d.day <= %s"
            f" AND o.representative_id IN ({sub}) GROUP BY o.representative_id) dq"
            " ON dq.rid = r.id"
        )
        join_params += [
            *agg_params,
            False,
            plan.quarters[0][0],
            plan.quarters[-1][1],
            *where_params,
        ]
        cols += [" + ".join(req), " + ".join(done)]
        col_params += [*req_p, *done_p]
    else:
        cols += ["0", "0"]

    # Reports: each kind counted per year; a year is met when every kind is.
    if plan.years:
        kinds = list(ReportKind.values)
        agg, agg_params, req, req_p, done, done_p = [], [], [], [], [], []
        for k, (first, last, mid, rule) in enumerate(plan.years):
            for x, kind in enumerate(kinds):
                agg.append(
                    f"SUM(CASE WHEN a.day >= %s AND a.day <= %s AND a.kind = %s"
                    f" THEN 1 ELSE 0 END) AS y{k}_{x}"
                )
                agg_params += [first, last, kind]
            cov, cov_p = covers(mid)
            req.append(f"CASE WHEN {cov} THEN 1 ELSE 0 END")
            req_p += cov_p
            met = " AND ".join(f"COALESCE(ay.y{k}_{x}, 0) >= %s" for x in range(len(kinds)))
            done.append(f"CASE WHEN {cov} AND {met} THEN 1 ELSE 0 END")
            done_p += [*cov_p, *([rule.reports_per_year] * len(kinds))]
        joins.append(
            f"LEFT JOIN (SELECT a.representative_id AS rid, {', '.join(agg)}"
            " FROM duties_annualreport a"
            " WHERE a.superseded_by_id IS NULL AND a.void = %s AND a.day >= %s AND a.day <= %s"
            f" AND a.representative_id IN ({sub}) GROUP BY a.representative_id) ay"
            " ON ay.rid = r.id"
        )
        join_params += [*agg_params, False, plan.years[0][0], plan.years[-1][1], *where_params]
        cols += [" + ".join(req), " + ".join(done)]
        col_params += [*req_p, *done_p]
    else:
        cols += ["0", "0"]
    cols.append(" + ".join(stale_bits) if stale_bits else "0")

    sql = (
        "SELECT r.id, r.name, r.term_start, r.term_end, r.user_id, r.unit_id, u.path, u.name, "
        + ", ".join(cols)
        + " FROM org_representative r JOIN org_unit u ON u.id = r.unit_id "
        + " ".join(joins)
        + f" WHERE {where}"
    )
    return sql, [*col_params, *join_params, *where_params]


def invalidate(*, representative_ids: Iterable[int] | None = None, since: dt.date) -> int:
    """Drop rollup cells from `since` on (for these representatives, or all)."""
    qs = DutyTally.objects.filter(ref__gte=since)
    if representative_ids is not None:
        qs = qs.filter(representative_id__in=list(representative_ids))
    return qs.delete()[0]


def compute(
    representatives: Iterable[Representative] | None,
    start: dt.date,
    end: dt.date,
    *,
    unit: Unit | None = None,
) -> dict[int, RepCompliance]:
    """Compliance of the given representatives (or of every representative of
    `unit`'s subtree) for [start, end]. The caller scopes what it passes.

    One statement answers the whole table; when rollup cells are missing
    (never computed, or dropped by a write) they are computed first and the
    statement is run again."""
    if end < start:
        start, end = end, start
    given: dict[int, Representative] | None = None
    if representatives is not None:
        given = {r.pk: r for r in representatives}
        if not given:
            return {}
        rep_ids: list[int] | None = list(given)
        unit_path = None
    else:
        assert unit is not None
        rep_ids, unit_path = None, unit.path
    plan = _Plan.of(start, end, _rules())
    sql, params = _table_sql(plan, rep_ids, unit_path)
    with connection.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    stale_mask = 0
    for row in rows:
        stale_mask |= row[-1]
    if stale_mask:
        for i, segment in enumerate(plan.segments):
            if not stale_mask & (1 << i):
                continue
            stale = [row[0] for row in rows if row[-1] & (1 << i)]
            # Whole subtree at once when most of it is missing, else just those.
            whole = rep_ids is None and len(stale) > len(rows) // 2
            _fill(segment, rep_ids, unit_path, None if whole else stale)
        with connection.cursor() as cur:
            cur.execute(sql, params)
            rows = cur.fetchall()
    now = today()
    over = end < now
    extras = _extra_figures([row[0] for row in rows], start, end, now)
    if given is not None:
        return {
            row[0]: RepCompliance(row, over, given[row[0]], _extra_of(extras, row[0]))
            for row in rows
        }
    return {row[0]: RepCompliance(row, over, None, _extra_of(extras, row[0])) for row in rows}


def _extra_figures(
    rep_ids: list[int], start: dt.date, end: dt.date, now: dt.date
) -> dict[str, dict[int, extra.ExtraCounts]]:
    """Each added duty's figures for these representatives (its provider's own queries)."""
    if not rep_ids:
        return {}
    return {d.name: d.provider(rep_ids, start, end, now) for d in extra.compliance_duties()}


def _extra_of(extras: dict[str, dict[int, extra.ExtraCounts]], rep_id: int) -> dict:
    return {name: ExtraDuty.of(per_rep.get(rep_id)) for name, per_rep in extras.items()}


def rollup(
    unit: Unit, per_rep: dict[int, RepCompliance]
) -> tuple[UnitCompliance, list[UnitCompliance]]:
    """Sum representatives' figures for the unit and for each of its children."""
    width = len(NO_COUNTS)
    children = {c.path: c for c in Unit.objects.filter(parent=unit)}
    # Per target: representatives, behind, then the counts.
    sums: dict[str | None, list[int]] = {None: [0] * (width + 2)}
    for path in children:
        sums[path] = [0] * (width + 2)
    child_depth = unit.depth + 1
    for rc in per_rep.values():
        behind = int(rc.overall != "on_track")
        targets = [sums[None]]
        child = sums.get(path_at(rc.unit_path, child_depth))
        if child is not None:
            targets.append(child)
        for t in targets:
            t[0] += 1
            t[1] += behind
            for i, v in enumerate(rc.counts, 2):
                t[i] += v

    # The added duties, summed the same way.
    names = [d.name for d in extra.compliance_duties()]
    extra_sums: dict[str | None, dict[str, ExtraDuty]] = {
        key: {n: ExtraDuty() for n in names} for key in sums
    }
    for rc in per_rep.values():
        keys: list[str | None] = [None]
        child_path = path_at(rc.unit_path, child_depth)
        if child_path in children:
            keys.append(child_path)
        for key in keys:
            for n in names:
                if n in rc.extra:
                    extra_sums[key][n].add(rc.extra[n])

    def made(u, s: list[int], key: str | None) -> UnitCompliance:
        duties: dict[str, Duty] = {
            d: Duty(s[2 + 2 * i], s[3 + 2 * i]) for i, d in enumerate(DUTIES)
        }
        duties.update(extra_sums[key])
        return UnitCompliance(unit=u, representatives=s[0], behind=s[1], duties=duties)

    return made(unit, sums[None], None), [made(children[p], sums[p], p) for p in sorted(children)]


def by_status(per_rep: dict[int, RepCompliance]) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for rc in per_rep.values():
        out[rc.overall] += 1
    return dict(out)


def _complete(plan: _Plan, unit: Unit, only_root: bool) -> bool:
    """Does the rollup hold every cell of the plan for the unit's subtree? (A
    fill writes one cell per representative and reference day, so counting is
    enough; for the only root unit no representative filter is needed.)"""
    reps = Representative.objects.all()
    cells = DutyTally.objects.all()
    if not only_root:
        reps = reps.filter(unit__path__startswith=unit.path)
        cells = cells.filter(representative__unit__path__startswith=unit.path)
    n = reps.count()
    return all(
        cells.filter(duty=seg.duty, ref__in=seg.refs).count() == n * len(seg.refs)
        for seg in plan.segments
    )


def warm(*, day: dt.date | None = None, since: dt.date | None = None) -> int:
    """Fill the rollup cells that are missing from `since` (default: the first
    day of last month) to the end of the current week and month, for every
    root unit's subtree, so that the pages' first read is a warm one.

    Run as a tick (every 10 minutes: cells dropped by the day's writes are
    refilled for just the representatives concerned; when nothing is missing,
    a count per period says so) and, after a bulk import, by
    `python -m linli duties_warm --since ...`. Returns the number of
    representatives covered."""
    day = day or today()
    since = since or (day.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    week_end = day + dt.timedelta(days=6 - day.weekday())
    month_end = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    until = max(week_end, month_end)
    roots = list(Unit.objects.filter(parent__isnull=True).order_by("path"))
    rules = _rules()
    covered = 0
    for root in roots:
        # A quarter at a time: each fill stays one bounded statement.
        first = since
        while first <= until:
            last = min(first + dt.timedelta(days=90), until)
            if not _complete(_Plan.of(first, last, rules), root, len(roots) == 1):
                compute(None, first, last, unit=root)
            first = last + dt.timedelta(days=1)
        covered += Representative.objects.filter(unit__path__startswith=root.path).count()
    return covered
