"""The command centre at county scale (issue 14): server time of the dashboard's data
endpoint (`/dashboard/centre/data/`) and of the map's (`/map/data/`), for the city and
for a town, over this year's appeals, with a hand-written SQL query for the appeals'
numbers the endpoint shows, run in the same process on the same data.

Run after 01 (the county) and 03 (a year of appeals): `make bench` runs them in order.
Each request goes through Django's test client in this process (middleware, the view,
the JSON), signed in as the demo's city leader (13800000002) and 大瑶镇's cadre
(13800000003), so the time is the server's, without the network.

The endpoint also reads duty compliance and coverage, which have benchmarks of their own
(02, 04); they are timed here too, separately (`sections`), so the comparison with the
hand-written SQL is made on the appeals' part: the "now" counts, the rates per child
unit with the rating events, the trend, the categories and the hot spots.

Targets (issue 14): p95 < 300 ms for each endpoint, and the appeals' part within 2x of the
hand-written SQL. Both are reported; the run fails only on an error (CI runs it tiny).
"""

from __future__ import annotations

import datetime as dt
import os
import sys

from _common import measure, setup_django, table

HAND_SQL = """
WITH sub AS (
    SELECT a.* FROM appeals_appeal a WHERE a.origin_path LIKE %(path)s
),
period AS (
    SELECT * FROM sub WHERE created_at >= %(start)s AND created_at < %(end)s
),
now_counts AS (
    SELECT
      count(*) FILTER (WHERE status IN ('pending','claimed','in_progress','referred','suspended')) AS open,
      count(*) FILTER (WHERE status IN ('pending','claimed','in_progress','referred') AND due_at <= now()) AS overdue,
      count(*) FILTER (WHERE status IN ('pending','claimed','in_progress','referred')
                         AND due_at > now() AND due_at <= now() + interval '24 hours') AS due_soon,
      count(*) FILTER (WHERE created_at >= %(today)s) AS new_today,
      count(*) FILTER (WHERE closed_at >= %(today)s) AS closed_today
    FROM sub
),
open_by AS (
    SELECT status, level, count(*) AS n FROM sub
    WHERE status IN ('pending','claimed','in_progress','referred','suspended')
    GROUP BY status, level
),
first_last AS (
    SELECT DISTINCT ON (e.appeal_id) e.appeal_id,
      first_value((e.data->>'rating')::int) OVER w AS first_rating,
      last_value((e.data->>'rating')::int) OVER w AS last_rating
    FROM appeals_appealevent e JOIN period p ON p.id = e.appeal_id
    WHERE e.action = 'rate'
    WINDOW w AS (PARTITION BY e.appeal_id ORDER BY e.at, e.id
                 ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
),
rates AS (
    SELECT substr(p.origin_path, 1, %(n)s) AS child,
      count(*) FILTER (WHERE p.status NOT IN ('merged','withdrawn')) AS filed,
      count(*) FILTER (WHERE p.first_claimed_at <= p.first_claim_due_at) AS responded,
      count(*) FILTER (WHERE p.status IN ('resolved','closed') AND p.resolved_at IS NOT NULL) AS resolved,
      count(*) FILTER (WHERE p.status IN ('resolved','closed') AND p.resolved_on_time) AS on_time,
      avg(p.resolved_at - p.created_at) FILTER (WHERE p.status IN ('resolved','closed')) AS mean,
      count(fl.appeal_id) AS rated,
      count(*) FILTER (WHERE fl.first_rating >= 3) AS satisfied_first,
      count(*) FILTER (WHERE fl.last_rating >= 3) AS satisfied_final
    FROM period p LEFT JOIN first_last fl ON fl.appeal_id = p.id
    GROUP BY 1
),
trend AS (
    SELECT date_trunc('week', created_at) AS day, count(*) AS n FROM period GROUP BY 1
),
cats AS (
    SELECT coalesce(c.parent_id, c.id) AS top, count(*) AS n
    FROM period p JOIN appeals_category c ON c.id = p.category_id
    GROUP BY 1 ORDER BY 2 DESC LIMIT 10
),
hot AS (
    SELECT substr(origin_path, 1, %(village)s) AS place, count(*) AS n FROM sub
    WHERE status IN ('pending','claimed','in_progress','referred','suspended')
    GROUP BY 1 ORDER BY 2 DESC LIMIT 10
)
SELECT (SELECT row_to_json(now_counts) FROM now_counts),
       (SELECT json_agg(open_by) FROM open_by),
       (SELECT json_agg(rates) FROM rates),
       (SELECT json_agg(trend) FROM trend),
       (SELECT json_agg(cats) FROM cats),
       (SELECT json_agg(hot) FROM hot)
"""


# The same numbers as the selectors give them now: the outcome counts from the rollup
# (appeals_appealtally, appeals_appealcategorytally) for the period and the previous
# one, the open appeals read as they are.
HAND_TALLY_SQL = """
WITH open_sub AS (
    SELECT * FROM appeals_appeal WHERE origin_path LIKE %(path)s
      AND status IN ('pending','claimed','in_progress','referred','suspended')
),
now_counts AS (
    SELECT count(*) AS open,
      count(*) FILTER (WHERE status <> 'suspended' AND due_at <= now()) AS overdue,
      count(*) FILTER (WHERE status <> 'suspended' AND due_at > now()
                         AND due_at <= now() + interval '24 hours') AS due_soon,
      (SELECT count(*) FROM appeals_appeal WHERE origin_path LIKE %(path)s
         AND created_at >= %(today)s) AS new_today,
      (SELECT count(*) FROM appeals_appeal WHERE origin_path LIKE %(path)s
         AND closed_at >= %(today)s) AS closed_today
    FROM open_sub
),
open_by AS (SELECT status, level, count(*) AS n FROM open_sub GROUP BY status, level),
tally AS (
    SELECT substr(path, 1, %(n)s) AS child, day >= %(first)s AS this_period,
      sum(filed) AS filed, sum(response_counted) AS response_counted,
      sum(responded_on_time) AS responded_on_time, sum(resolved) AS resolved,
      sum(resolved_on_time) AS resolved_on_time, sum(resolve_us) AS resolve_us,
      sum(at_group) AS g, sum(at_village) AS v, sum(at_town) AS t, sum(at_city) AS c,
      sum(ratings) AS ratings, sum(ratings_satisfied) AS ratings_satisfied,
      sum(rated) AS rated, sum(satisfied_first) AS satisfied_first,
      sum(satisfied_final) AS satisfied_final
    FROM appeals_appealtally
    WHERE path LIKE %(path)s
      AND (month AND day = ANY(%(months)s) OR NOT month AND day = ANY(%(days)s))
    GROUP BY 1, 2
),
live AS (
    SELECT substr(origin_path, 1, %(n)s) AS child, created_at >= %(start)s AS this_period,
      count(*) AS open,
      count(*) FILTER (WHERE status <> 'suspended' AND due_at <= now()
                         OR status = 'suspended' AND due_at <= suspended_at) AS overdue
    FROM open_sub WHERE created_at >= %(prev_start)s AND created_at < %(end)s
    GROUP BY 1, 2
),
trend AS (
    SELECT date_trunc('week', day) AS week, sum(created) AS filed, sum(closed) AS closed
    FROM appeals_appealtally
    WHERE NOT month AND path LIKE %(path)s AND day BETWEEN %(first)s AND %(last)s GROUP BY 1
),
cats AS (
    SELECT category_id, sum(created) AS n FROM appeals_appealcategorytally
    WHERE path LIKE %(path)s AND day BETWEEN %(first)s AND %(last)s
    GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10
),
hot AS (
    SELECT substr(origin_path, 1, %(village)s) AS place, count(*) AS n FROM open_sub
    GROUP BY 1 ORDER BY 2 DESC LIMIT 10
)
SELECT (SELECT row_to_json(now_counts) FROM now_counts),
       (SELECT json_agg(open_by) FROM open_by),
       (SELECT json_agg(tally) FROM tally),
       (SELECT json_agg(live) FROM live),
       (SELECT json_agg(trend) FROM trend),
       (SELECT json_agg(cats) FROM cats),
       (SELECT json_agg(hot) FROM hot)
"""


def main() -> int:
    setup_django()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from linli.accounts.selectors import user_by_phone
    from linli.appeals.models import Appeal
    from linli.dashboard import centre
    from linli.org.models import STEPLEN, VILLAGE_DEPTH, Unit

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    runs = int(os.environ.get("LINLI_BENCH_RUNS", "20"))
    city = Unit.objects.filter(depth=1).order_by("path").first()
    town = Unit.objects.filter(parent=city, name="大瑶镇").first() or (
        Unit.objects.filter(parent=city).order_by("path").first()
    )
    leader, cadre = user_by_phone("13800000002"), user_by_phone("13800000003")
    if city is None or town is None or leader is None or cadre is None:
        print("the county and its demo accounts are missing: run 01_build_county.py first")
        return 1
    today = timezone.localdate()
    year = f"period=custom&start={today.replace(month=1, day=1)}&end={today}"
    n_appeals = Appeal.objects.count()

    def client_for(user) -> Client:
        """Signed in and past the second step, as the leader's browser would be (the
        demo's authenticator; the bench only marks the session, as a verified login does)."""
        from django_otp import DEVICE_ID_SESSION_KEY

        from linli.accounts import twofactor

        c = Client()
        c.force_login(user)
        device = twofactor.totp_device(user) or twofactor.demo_device(
            user=user, secret="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
        )
        session = c.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        return c

    clients = {"city": client_for(leader), "town": client_for(cadre)}
    units = {"city": city, "town": town}
    users = {"city": leader, "town": cadre}

    def get(who: str, url: str):
        def fn():
            r = clients[who].get(url)
            assert r.status_code == 200, (url, r.status_code, r.content[:200])
            return r

        return fn

    # Cold: the rollup rebuilt from nothing (the appeals of the last two years), and the
    # snapshots of the costly sections forgotten; the first view of each unit then
    # computes them. The measured runs after a warm-up are the usual view.
    import time

    from linli.appeals import tally
    from linli.dashboard.models import FigureSnapshot

    FigureSnapshot.objects.all().delete()
    tally.forget(dt.date(2000, 1, 1), today)
    t0 = time.perf_counter()
    built = tally.ensure(today.replace(year=today.year - 1, month=1, day=1), today)
    cold_tally = time.perf_counter() - t0
    print(f"appeals rollup built from nothing: {built} days in {cold_tally:.1f}s")
    cold_rows = []
    for who in ("city", "town"):
        u = units[who]
        t0 = time.perf_counter()
        get(who, f"/dashboard/centre/data/?unit={u.pk}&{year}")()
        cold_rows.append((f"{who} ({u.name})", f"{(time.perf_counter() - t0) * 1000:.0f}"))
    print(table(("first view, this year, snapshots cold", "ms"), cold_rows))

    def today_marked(fn):
        """As when appeals are being filed all the time: today's rollup day is marked
        before each request, so each view rebuilds it."""

        def wrapped():
            tally._bump([today])
            return fn()

        return wrapped

    rows = []
    results = {}
    for who in ("city", "town"):
        u = units[who]
        for label, url, marked in (
            ("centre data, this year", f"/dashboard/centre/data/?unit={u.pk}&{year}", False),
            ("centre data, this year, today marked", f"/dashboard/centre/data/?unit={u.pk}&{year}", True),
            ("centre data, this month", f"/dashboard/centre/data/?unit={u.pk}", False),
            ("map data", f"/map/data/?unit={u.pk}", False),
        ):  # fmt: skip
            fn = get(who, url)
            stats = measure(today_marked(fn) if marked else fn, runs)
            results[(who, label)] = stats
            rows.append((f"{who} ({u.name}): {label}", f"{stats['median']:.1f}",
                         f"{stats['p95']:.1f}", "met" if stats["p95"] < 300 else "NOT met"))  # fmt: skip

    print(
        f"{n_appeals:,} appeals in the database; {runs} runs each; the server's time (test client)"
    )
    print(table(("endpoint", "median ms", "p95 ms", "p95 < 300 ms"), rows))

    # The appeals' part against the hand-written SQL, this year.
    period = centre.parse_period(
        {"period": "custom", "start": str(today.replace(month=1, day=1)), "end": str(today)}
    )
    start, end = period.bounds()
    day_start = dt.datetime.combine(today, dt.time.min, tzinfo=timezone.get_current_timezone())
    prev = period.previous()
    p_start, _p_end = prev.bounds()

    def span(first: dt.date, last: dt.date) -> tuple[list[dt.date], list[dt.date]]:
        """The whole months of [first, last] (their first days) and the other days."""
        months, days, d = [], [], first
        while d <= last:
            end = (d.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
            if d.day == 1 and end <= last:
                months.append(d)
                d = end + dt.timedelta(days=1)
            else:
                days.append(d)
                d += dt.timedelta(days=1)
        return months, days

    m1, d1 = span(prev.start, prev.end)
    m2, d2 = span(period.start, period.end)
    span_months, span_days = m1 + m2, d1 + d2
    rows = []
    for who in ("city", "town"):
        u, user = units[who], users[who]

        def appeals_part(u=u, user=user):
            centre.now_figures(user, u)
            centre.rates_figures(user, u, period)
            centre.trend(user, u, period)
            centre.categories(user, u, period)
            centre.hotspots(user, u)

        def hand(u=u):
            with connection.cursor() as cur:
                cur.execute(
                    HAND_SQL,
                    {
                        "path": u.path + "%", "start": start, "end": end, "today": day_start,
                        "n": len(u.path) + STEPLEN, "village": max(VILLAGE_DEPTH, u.depth + 1) * STEPLEN,
                    },
                )  # fmt: skip
                return cur.fetchone()

        def hand_tally(u=u):
            with connection.cursor() as cur:
                cur.execute(
                    HAND_TALLY_SQL,
                    {
                        "path": u.path + "%", "start": start, "end": end, "today": day_start,
                        "first": period.start, "last": period.end, "prev_first": prev.start,
                        "prev_start": p_start, "n": len(u.path) + STEPLEN,
                        "months": span_months, "days": span_days,
                        "village": max(VILLAGE_DEPTH, u.depth + 1) * STEPLEN,
                    },
                )  # fmt: skip
                return cur.fetchone()

        ours, sql = measure(appeals_part, runs), measure(hand, runs)
        sql_tally = measure(hand_tally, runs)
        sections = {
            "duty compliance": measure(lambda u=u, user=user: centre.duty_figures(user, u, period), runs),
            "coverage": measure(lambda u=u, user=user: centre.coverage_figures(user, u), runs),
        }  # fmt: skip
        ratio = ours["median"] / sql["median"] if sql["median"] else float("nan")
        ratio_t = ours["median"] / sql_tally["median"] if sql_tally["median"] else float("nan")
        rows.append((
            f"{who} ({u.name})", f"{ours['median']:.1f} / {ours['p95']:.1f}",
            f"{sql['median']:.1f} / {sql['p95']:.1f}", f"{ratio:.2f}x",
            f"{sql_tally['median']:.1f} / {sql_tally['p95']:.1f}", f"{ratio_t:.2f}x",
            "met" if ratio_t <= 2 else "NOT met",
            ", ".join(f"{k} {v['median']:.0f}" for k, v in sections.items()),
        ))  # fmt: skip
    print(table(
        ("appeals' part, this year", "selectors median / p95 ms",
         "hand SQL, raw rows, median / p95 ms", "ratio", "hand SQL on the rollup, median / p95 ms",
         "ratio", "within 2x of the rollup SQL", "other sections (snapshots), median ms"),
        rows,
    ))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
