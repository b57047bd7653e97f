"""Duties at county scale: a year of contact and visit logs, then the compliance
table for the whole county for one quarter and for one village for one week,
side by side with a hand-written SQL query giving the same answer.

The logs are generated inside PostgreSQL (INSERT ... SELECT over the link
table, seeded with setseed) the first time: ~22 million contacts, ~5 million
home visits, deliberation events and reports. Set LINLI_BENCH_DUTIES_RELOAD=1
to regenerate them.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import time

from _common import measure, setup_django, table

# The same answer as the engine (all four duties, per representative), written
# by hand for the rule in force (one contact a week, one visit a month, one
# deliberation a quarter, one report of each kind a year): one aggregate per
# duty, each joined once to the representatives. `{contacts}` and `{visits}`
# give (rep, owed, done), from the rollup or from the raw logs.
# The representatives asked for, repeated where needed: a CTE used several
# times would be materialised and hide its size from the planner.
REPS = (
    "SELECT r.id, r.term_start, r.term_end FROM org_representative r"
    " JOIN org_unit u ON u.id = r.unit_id WHERE u.path LIKE %(path)s"
)

HAND_SQL = """
WITH quarters(first, last, mid) AS (
    SELECT * FROM unnest(%(q_first)s::date[], %(q_last)s::date[], %(q_mid)s::date[])
),
years(first, last, mid) AS (
    SELECT * FROM unnest(%(y_first)s::date[], %(y_last)s::date[], %(y_mid)s::date[])
)
SELECT r.id,
  coalesce(tc.owed, 0), coalesce(tc.done, 0), coalesce(tv.owed, 0), coalesce(tv.done, 0),
  coalesce(dl.req, 0), coalesce(dl.done, 0), coalesce(yr.req, 0), coalesce(yr.done, 0)
FROM ({reps}) r
LEFT JOIN ({contacts}) tc ON tc.rep = r.id
LEFT JOIN ({visits}) tv ON tv.rep = r.id
LEFT JOIN (
    SELECT r.id AS rep, count(*) AS req, count(h.rep) AS done
    FROM ({reps}) r
    JOIN quarters q ON r.term_start <= q.mid AND (r.term_end IS NULL OR r.term_end > q.mid)
    LEFT JOIN (
        SELECT DISTINCT o.representative_id AS rep, q.mid
        FROM duties_deliberation d
        JOIN duties_deliberation_organisers o ON o.deliberation_id = d.id
        JOIN quarters q ON d.day BETWEEN q.first AND q.last
        WHERE d.superseded_by_id IS NULL AND NOT d.void
    ) h ON h.rep = r.id AND h.mid = q.mid
    GROUP BY r.id
) dl ON dl.rep = r.id
LEFT JOIN (
    SELECT r.id AS rep, count(*) AS req, count(p.rep) AS done
    FROM ({reps}) r
    JOIN years y ON r.term_start <= y.mid AND (r.term_end IS NULL OR r.term_end > y.mid)
    LEFT JOIN (
        SELECT a.representative_id AS rep, y.mid
        FROM duties_annualreport a JOIN years y ON a.day BETWEEN y.first AND y.last
        WHERE a.superseded_by_id IS NULL AND NOT a.void
        GROUP BY 1, 2 HAVING count(DISTINCT a.kind) = 2
    ) p ON p.rep = r.id AND p.mid = y.mid
    GROUP BY r.id
) yr ON yr.rep = r.id
"""

# From the rollup: one index-only scan per duty.
ROLLUP = """
    SELECT t.representative_id AS rep, sum(t.owed) AS owed, sum(t.done) AS done
    FROM duties_dutytally t
    WHERE t.duty = '{duty}' AND t.ref = ANY(%({refs})s::date[])
      AND t.representative_id IN (SELECT id FROM ({reps}) x)
    GROUP BY 1
"""

# From the raw logs: household-periods owed (links on the reference day) and,
# of those, fulfilled (a current record by the same representative).
RAW = """
    SELECT o.rep, count(*) AS owed, count(d.hh) AS done
    FROM (
        SELECT l.representative_id AS rep, l.household_id AS hh, p.ref
        FROM org_householdlink l
        JOIN unnest(%({refs})s::date[]) p(ref)
          ON l.valid_from <= p.ref AND (l.valid_to IS NULL OR l.valid_to > p.ref)
        WHERE l.representative_id IN (SELECT id FROM ({reps}) x)
    ) o
    LEFT JOIN (
        SELECT DISTINCT representative_id AS rep, household_id AS hh, {col} AS ref FROM (
            {sources}
        ) s WHERE representative_id IN (SELECT id FROM ({reps}) x)
    ) d ON d.rep = o.rep AND d.hh = o.hh AND d.ref = o.ref
    GROUP BY o.rep
"""
RAW_SOURCE = (
    "SELECT representative_id, household_id, {col} FROM {table}"
    " WHERE superseded_by_id IS NULL AND NOT void AND {col} = ANY(%({refs})s::date[])"
)
ROLLUP_CELLS = {
    "contacts": ROLLUP.format(duty="contacts", refs="weeks", reps=REPS),
    "visits": ROLLUP.format(duty="visits", refs="months", reps=REPS),
}
RAW_CELLS = {
    "contacts": RAW.format(
        reps=REPS,
        refs="weeks",
        col="week",
        sources=" UNION ALL ".join(
            RAW_SOURCE.format(col="week", table=t, refs="weeks")
            for t in ("duties_contactlog", "duties_homevisit")
        ),
    ),
    "visits": RAW.format(
        reps=REPS,
        refs="months",
        col="month",
        sources=RAW_SOURCE.format(col="month", table="duties_homevisit", refs="months"),
    ),
}


def side_by_side(*fns, runs: int) -> list[dict[str, float]]:
    """Median and p95 (ms) of each function, run in turn, after one warm-up each."""
    for fn in fns:
        fn()
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(runs):
        for fn, out in zip(fns, times, strict=True):
            t0 = time.perf_counter()
            fn()
            out.append((time.perf_counter() - t0) * 1000)
    stats = []
    for t in times:
        t.sort()
        p95 = t[min(len(t) - 1, max(0, round(0.95 * len(t)) - 1))]
        stats.append({"median": statistics.median(t), "p95": p95})
    return stats


def thursdays(first: dt.date, n: int) -> list[dt.date]:
    return [first + dt.timedelta(days=7 * i) for i in range(n)]


def load(cur, weeks: list[dt.date], months: list[dt.date]) -> None:
    """Generate a year of contact and visit logs from the links, deterministically."""
    cur.execute("SELECT setseed(0.4301)")
    for table_name in ("duties_contactlog", "duties_homevisit"):
        cur.execute(f"TRUNCATE {table_name} CASCADE")
    # Contacts: ~93% of owed household-weeks, ~10% of them twice.
    for share, extra in ((0.93, False), (0.10, True)):
        cur.execute(
            """
            INSERT INTO duties_contactlog
              (representative_id, household_id, day, week, method, role, note, void,
               created_at, superseded_by_id, created_by_id, appeal_id)
            SELECT l.representative_id, l.household_id,
                   w.ref - 3 + floor(random() * 7)::int, w.ref,
                   (ARRAY['phone','online','in_person'])[1 + floor(random() * 3)::int],
                   'liaison', '', false, now(), NULL, NULL, NULL
            FROM org_householdlink l
            JOIN (SELECT unnest(%s::date[]) AS ref) w
              ON l.valid_from <= w.ref AND (l.valid_to IS NULL OR l.valid_to > w.ref)
            WHERE random() < %s
            """,
            [weeks, share],
        )
        print(f"  contacts{' (second)' if extra else ''}: {cur.rowcount:,}", flush=True)
    # Home visits: ~88% of owed household-months, ~8% twice.
    for share in (0.88, 0.08):
        cur.execute(
            """
            INSERT INTO duties_homevisit
              (representative_id, household_id, day, week, month, role, met, findings, needs,
               risks, latitude, longitude, note, void, created_at, superseded_by_id,
               created_by_id, appeal_id)
            SELECT v.representative_id, v.household_id, v.day,
                   v.day + (4 - extract(isodow FROM v.day)::int), v.mid,
                   'liaison', '户主', '', '', '', NULL, NULL, '', false, now(), NULL, NULL, NULL
            FROM (
              SELECT l.representative_id, l.household_id, m.mid,
                     date_trunc('month', m.mid)::date
                       + floor(random() * extract(day FROM date_trunc('month', m.mid)
                                + interval '1 month' - interval '1 day'))::int AS day
              FROM org_householdlink l
              JOIN (SELECT unnest(%s::date[]) AS mid) m
                ON l.valid_from <= m.mid AND (l.valid_to IS NULL OR l.valid_to > m.mid)
              WHERE random() < %s
            ) v
            """,
            [months, share],
        )
        print(f"  visits: {cur.rowcount:,}", flush=True)
    for t in ("duties_contactlog", "duties_homevisit"):
        cur.execute(f"ANALYZE {t}")


def load_events(cur, quarters, years, end: dt.date) -> None:
    """Deliberation events and yearly reports in the quarters and years of the
    window (none dated after its end), deterministically."""
    cur.execute("SELECT setseed(0.1807)")
    for table_name in (
        "duties_deliberation_organisers",
        "duties_deliberation",
        "duties_annualreport",
    ):
        cur.execute(f"TRUNCATE {table_name} CASCADE")
    # Deliberations: ~90% of representatives hold one a quarter.
    for first, last, _mid in quarters:
        last = min(last, end)
        # The organiser's id rides in `minutes` until the link rows are written.
        cur.execute(
            """
            INSERT INTO duties_deliberation
              (unit_id, day, place, topic, attendee_count, attendees, minutes, outcomes, void,
               created_at, superseded_by_id, created_by_id)
            SELECT r.unit_id, %s::date + floor(random() * (%s::date - %s::date + 1))::int,
                   '村部', '议事', 20, '', r.id::text, '', false, now(), NULL, NULL
            FROM org_representative r WHERE r.term_end IS NULL AND random() < 0.9
            """,
            [first, last, first],
        )
    cur.execute(
        "INSERT INTO duties_deliberation_organisers (deliberation_id, representative_id)"
        " SELECT id, minutes::bigint FROM duties_deliberation WHERE minutes <> ''"
    )
    cur.execute("UPDATE duties_deliberation SET minutes = '' WHERE minutes <> ''")
    # Reports: ~80% of representatives make both reports in the year (in
    # December, or on the window's last day for the current year).
    for first, _last, _mid in years:
        cur.execute(
            """
            INSERT INTO duties_annualreport
              (representative_id, day, kind, audience, text, document, feedback, note, void,
               created_at, superseded_by_id, created_by_id)
            SELECT r.id, %s, k.kind, '', '述职', '', '', '', false, now(), NULL, NULL
            FROM org_representative r CROSS JOIN (VALUES ('residents'), ('committees')) k(kind)
            WHERE r.term_end IS NULL AND random() < 0.8
            """,
            [min(dt.date(first.year, 12, 10), end)],
        )
    for t in ("duties_deliberation", "duties_deliberation_organisers", "duties_annualreport"):
        cur.execute(f"ANALYZE {t}")


def main() -> int:
    setup_django()
    from django.db import connection

    from linli.duties import compliance
    from linli.duties.compliance import months_in, quarters_in, weeks_in, years_in
    from linli.duties.models import AnnualReport, ContactLog, Deliberation
    from linli.org.models import Unit

    city = Unit.objects.filter(depth=1).first()
    if city is None or not Unit.objects.filter(depth=2).exists():
        print("the county is not built; run scripts/bench.sh (01_build_county.py) first")
        return 0
    runs = int(os.environ.get("LINLI_BENCH_RUNS", "15"))
    # A year of logs ending with last week: 52 weeks, 12 months, 4 quarters.
    today = dt.date.today()
    last_thursday = today - dt.timedelta(days=(today.weekday() - 3) % 7 + 7)
    weeks = thursdays(last_thursday - dt.timedelta(weeks=51), 52)
    start, end = weeks[0] - dt.timedelta(days=3), weeks[-1] + dt.timedelta(days=3)
    months = months_in(start, end)
    # The quarters and years whose middle day lies in the window.
    quarters = quarters_in(start, end)
    years = years_in(start, end)

    with connection.cursor() as cur:
        if os.environ.get("LINLI_BENCH_DUTIES_RELOAD") == "1" or not ContactLog.objects.exists():
            print("generating a year of duty logs (once) ...", flush=True)
            t0 = time.perf_counter()
            load(cur, weeks, months)
            print(f"  generated in {time.perf_counter() - t0:.1f}s", flush=True)
        events_missing = any(
            not Deliberation.objects.filter(day__gte=q_first, day__lte=min(q_last, end)).exists()
            for q_first, q_last, _mid in quarters
        ) or any(
            not AnnualReport.objects.filter(day__gte=y_first, day__lte=y_last).exists()
            for y_first, y_last, _mid in years
        )
        if events_missing:
            print("generating deliberation events and reports for the window ...", flush=True)
            load_events(cur, quarters, years, end)
        counts = {}
        for t in (
            "duties_contactlog",
            "duties_homevisit",
            "duties_deliberation",
            "duties_annualreport",
        ):
            cur.execute(f"SELECT count(*) FROM {t}")
            counts[t] = cur.fetchone()[0]
    print(table(("table", "rows"), [(k, f"{v:,}") for k, v in counts.items()]))

    # The quarter with data in all its weeks, and a village in its last week.
    q_first, q_last, _mid = next(
        q for q in reversed(quarters_in(start, end)) if q[0] >= start and q[1] <= end
    )
    town = Unit.objects.filter(parent=city).order_by("path").first()
    village = Unit.objects.filter(parent=town).order_by("path").first()
    wk = weeks[-1]
    w_first, w_last = wk - dt.timedelta(days=3), wk + dt.timedelta(days=3)

    def engine(unit, first, last):
        return compliance.compute(None, first, last, unit=unit)

    def bare(unit, first, last) -> list:
        """The engine's own statement, executed and fetched: no Python objects."""
        plan = compliance._Plan.of(first, last, compliance._rules())
        sql, params = compliance._table_sql(plan, None, unit.path)
        with connection.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()

    def hand(cells: dict[str, str], unit, first, last) -> dict[int, tuple]:
        quarters = quarters_in(first, last)
        years = years_in(first, last)
        params = {
            "path": unit.path + "%",
            "weeks": weeks_in(first, last),
            "months": months_in(first, last),
            "q_first": [q[0] for q in quarters],
            "q_last": [q[1] for q in quarters],
            "q_mid": [q[2] for q in quarters],
            "y_first": [y[0] for y in years],
            "y_last": [y[1] for y in years],
            "y_mid": [y[2] for y in years],
        }
        with connection.cursor() as cur:
            cur.execute(HAND_SQL.format(reps=REPS, **cells), params)
            return {row[0]: tuple(int(v) for v in row[1:]) for row in cur.fetchall()}

    def check(unit, first, last) -> str:
        e = engine(unit, first, last)
        differ = 0
        for cells in (ROLLUP_CELLS, RAW_CELLS):
            h = hand(cells, unit, first, last)
            differ += len(set(h) ^ set(e))
            differ += sum(1 for rep, row in h.items() if rep in e and tuple(e[rep].counts) != row)
        return "same" if differ == 0 else f"{differ} representatives differ"

    from linli.duties.models import DutyTally

    cases = [
        (f"county {q_first}..{q_last} (quarter)", city, q_first, q_last, max(3, runs // 3)),
        (f"village {village.name} {w_first}..{w_last} (week)", village, w_first, w_last, runs),
    ]
    rows = []
    for label, unit, first, last, n in cases:
        # Cold: the rollup cells of this unit and period are computed first.
        DutyTally.objects.filter(representative__unit__path__startswith=unit.path).delete()
        t0 = time.perf_counter()
        engine(unit, first, last)
        cold = (time.perf_counter() - t0) * 1000
        # What autovacuum would do soon after: lets the covering index answer alone.
        with connection.cursor() as cur:
            cur.execute("VACUUM (ANALYZE) duties_dutytally")
        agree = check(unit, first, last)
        # Engine and hand SQL alternate, so all see the same machine.
        e, r, b = side_by_side(
            lambda u=unit, f=first, la=last: engine(u, f, la),
            lambda u=unit, f=first, la=last: hand(ROLLUP_CELLS, u, f, la),
            lambda u=unit, f=first, la=last: bare(u, f, la),
            runs=n,
        )
        best = min(r["median"], b["median"])
        h = measure(lambda u=unit, f=first, la=last: hand(RAW_CELLS, u, f, la), max(3, n // 3))
        rows.append(
            (label, n, f"{cold:.0f}", f"{e['median']:.0f}", f"{e['p95']:.0f}",
             f"{r['median']:.0f}", f"{b['median']:.0f}", f"{e['median'] / best:.2f}",
             f"{h['median']:.0f}", agree)
        )  # fmt: skip
    print(
        table(
            (
                "compliance table",
                "runs",
                "engine cold ms",
                "engine median ms",
                "engine p95 ms",
                "hand SQL on rollup ms",
                "engine's statement alone ms",
                "engine / best SQL",
                "hand SQL on raw logs ms",
                "answers",
            ),
            rows,
        )  # fmt: skip
    )
    print(
        "engine: compliance.compute (all four duties per representative, scope by path, the"
        " rollup filled on first read); hand SQL on rollup: one hand-written statement giving"
        " the same four duties from the same rollup cells; engine's statement alone: the one"
        " statement the engine sends, executed and fetched, no Python objects; best SQL: the"
        " faster of those two; hand SQL on raw logs: the hand statement with the contacts and"
        " visits counted from the raw logs, no rollup"
    )
    print("targets: county-quarter < 2000 ms, village-week < 50 ms, engine / best SQL <= 2")

    # The warm-up tick (every 10 minutes): from empty, as after a bulk import,
    # then with nothing to fill, as on an ordinary day.
    DutyTally.objects.all().delete()
    t0 = time.perf_counter()
    covered = compliance.warm()
    from_empty = time.perf_counter() - t0
    steady = measure(compliance.warm, 3)
    print(
        table(
            ("duties.warm tick (last month to the end of this month)", "representatives", "ms"),
            [
                ("from an empty rollup", f"{covered:,}", f"{from_empty * 1000:.0f}"),
                ("nothing to fill (median of 3)", f"{covered:,}", f"{steady['median']:.0f}"),
            ],
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
