"""Appeals at county scale: filing through the HTTP API under load, and the tick.

1. A year of appeals (LINLI_BENCH_APPEALS, default 500,000, times
   LINLI_BENCH_SCALE; ~2 % still open) is loaded with COPY when the table holds
   fewer (see _appeals_data.py). Later runs reuse it and move the clocks of the
   open appeals forward to the time of the run.
2. Filing: the real server (uvicorn, LINLI_BENCH_FILE_WORKERS=2 workers, the
   Celery broker on Redis as in production), warmed up, then POST
   /api/v1/appeals over 50 keep-alive connections for 30 s with wrk (closed
   loop: saturation), then at a fixed rate (open loop). Target: p99 < 100 ms.
   The appeals it files are deleted afterwards.
3. The tick (services.appeals_tick, in-process, kicks to the same broker):
   steady state, and one tick after ~1 % of the open appeals became due (those
   rows are restored afterwards). Target: < 1 s.

Environment (besides LINLI_BENCH_DATABASE_URL and LINLI_BENCH_SCALE):
  LINLI_BENCH_APPEALS=500000      appeals in the year (times LINLI_BENCH_SCALE)
  LINLI_BENCH_BROKER_URL=redis://127.0.0.1:6379/14
                                  Celery broker of the server and the tick; its
                                  "celery" queue is emptied afterwards ("none":
                                  the embedded in-process delivery instead)
  LINLI_BENCH_FILE_SECONDS=30     closed-loop duration
  LINLI_BENCH_FILE_CONNECTIONS=50
  LINLI_BENCH_FILE_WORKERS=2      uvicorn worker processes
  LINLI_BENCH_FILE_RATE=          open-loop rate (default 100/s, or half the
                                  closed-loop throughput when that is lower)
  LINLI_BENCH_OPEN_SECONDS=20     open-loop duration
  LINLI_BENCH_FILE_UNIT_SHARE=0.1 share of filings that name a group unit, not a household
  LINLI_BENCH_TICK_RUNS=15
  LINLI_BENCH_INSTALL_WRK=1       0: never apt-get install wrk (the Python client instead)
Below LINLI_BENCH_SCALE=0.1 the two durations shrink with the scale (at least
2 s each), so a tiny-scale run (LINLI_BENCH_SCALE=0.01, as in CI) takes seconds.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import _appeals_data as data
import _http_load
from _common import ROOT, bench_url, measure, setup_django, table

HERE = Path(__file__).resolve().parent
RECORD = ROOT / "var" / "bench" / "appeals.json"
DEFAULT_BROKER = "redis://127.0.0.1:6379/14"
BENCH_PHONE = "13899990310"  # the API user that files the benchmark's appeals
TOKEN_NAME = "bench 03_appeals"
TARGET_P99_MS = 100.0
TARGET_TICK_MS = 1000.0
CLOCK = ("pending", "claimed", "in_progress", "referred")


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def bench_scale() -> float:
    return float(os.environ.get("LINLI_BENCH_SCALE") or 1)


def scaled_seconds(name: str, full: int) -> int:
    """A duration: `name` from the environment, else `full` at scale 0.1 and above,
    shorter below (at least 2 s), so a tiny-scale run (CI) takes seconds."""
    return env_int(name, max(2, round(full * min(1.0, bench_scale() * 10))))


def configure_broker() -> str:
    """Point this process (and the server) at the bench broker, if Redis answers."""
    url = os.environ.get("LINLI_BENCH_BROKER_URL", DEFAULT_BROKER).strip()
    if url.lower() in ("", "none"):
        os.environ.pop("LINLI_CELERY_BROKER_URL", None)
        return ""
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as exc:
        print(f"Redis at {url} does not answer ({exc}); notifications are delivered in-process")
        os.environ.pop("LINLI_CELERY_BROKER_URL", None)
        return ""
    os.environ["LINLI_CELERY_BROKER_URL"] = url
    return url


def purge_broker(url: str) -> int:
    """Empty the Celery queue of the bench broker (nothing consumes it); return its length."""
    if not url:
        return 0
    import redis

    r = redis.Redis.from_url(url)
    n = r.llen("celery")
    r.delete("celery")
    return n


def loadavg() -> str:
    """The machine is shared: say how busy it was."""
    one, five, _fifteen = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} CPUs"


def sql(query: str, params=None) -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(query, params)
        return cur.fetchall() if cur.description else []


class QueryLog:
    """Every statement Django runs inside `with connection.execute_wrapper(log)`, timed."""

    def __init__(self):
        self.entries: list[tuple[str, float]] = []

    def __call__(self, execute, sql_, params, many, context):
        t0 = time.perf_counter()
        try:
            return execute(sql_, params, many, context)
        finally:
            self.entries.append((sql_, (time.perf_counter() - t0) * 1000))

    @staticmethod
    def label(statement: str) -> str:
        words = statement.split()
        verb = words[0].upper() if words else "?"
        if verb in ("SAVEPOINT", "RELEASE", "ROLLBACK"):
            return "SAVEPOINT/RELEASE"
        if verb == "SELECT" and len(words) > 1 and words[1].upper() == "DISTINCT":
            verb = "SELECT DISTINCT"
        target = re.search(r'(?:FROM|INTO|UPDATE)\s+"(\w+)"', statement)
        joins = re.findall(r'JOIN\s+"(\w+)"', statement)
        text = f"{verb} {target.group(1) if target else ''}".strip()
        if "FOR UPDATE" in statement:
            text += " FOR UPDATE"
        if joins:
            text += " + " + ", ".join(dict.fromkeys(joins))
        return text

    def summary(self, top: int = 12) -> list[tuple[str, str, str]]:
        agg: dict[str, list[float]] = {}
        for statement, ms in self.entries:
            agg.setdefault(self.label(statement), []).append(ms)
        rows = sorted(agg.items(), key=lambda kv: -sum(kv[1]))[:top]
        return [(label, str(len(v)), f"{sum(v):.1f}") for label, v in rows]


# --- bench-filed appeals and the "just due" snapshot -------------------------------------


def bench_user():
    from linli.accounts.models import Role, RoleAssignment, User
    from linli.accounts.selectors import user_by_phone
    from linli.org.models import Unit

    user = user_by_phone(BENCH_PHONE)
    if user is None:
        user = User(phone=BENCH_PHONE, name="压测（诉求）")
        user.set_unusable_password()
        user.save()
    city = Unit.objects.filter(parent__isnull=True).order_by("id").first()
    RoleAssignment.objects.get_or_create(user=user, role=Role.CITY, unit=city)
    return user


def _outbox_of(codes_sql: str) -> str:
    return (
        f"SELECT id FROM notify_outbox WHERE payload->>'appeal' IN ({codes_sql}) "
        f"OR payload->>'code' IN ({codes_sql})"
    )


def delete_bench_filed(user) -> int:
    """Delete the appeals the benchmark filed (created_by = the bench user) and what
    they wrote: events, outbox rows, audit rows. Returns the number of appeals."""
    from django.db import transaction

    codes = "SELECT code FROM appeals_appeal WHERE created_by_id = %(u)s"
    with transaction.atomic():
        p = {"u": user.pk}
        sql(f"DELETE FROM notify_notification WHERE outbox_id IN ({_outbox_of(codes)})", p)
        sql(f"DELETE FROM notify_outbox WHERE id IN ({_outbox_of(codes)})", p)
        sql(
            "DELETE FROM appeals_appealevent WHERE appeal_id IN "
            "(SELECT id FROM appeals_appeal WHERE created_by_id = %(u)s)",
            p,
        )
        sql("DELETE FROM accounts_auditlog WHERE actor_id = %(u)s", p)
        n = sql("WITH d AS (DELETE FROM appeals_appeal WHERE created_by_id = %(u)s RETURNING 1) "
                "SELECT count(*) FROM d", p)[0][0]  # fmt: skip
    return n


def snapshot_exists() -> bool:
    return bool(sql("SELECT to_regclass(%s)", [data.SNAPSHOT])[0][0])


def make_due(k: int, seed: int) -> list[int]:
    """Save k open appeals in the snapshot table, then make their deadline pass a
    few seconds to minutes ago (overdue, not yet marked), as if it had just expired."""
    from django.db import transaction
    from django.utils import timezone

    now = timezone.now()
    ids = [
        i
        for (i,) in sql(
            "SELECT id FROM appeals_appeal WHERE status = ANY(%s) AND overdue_at IS NULL "
            "AND due_at > %s AND created_by_id IS NULL ORDER BY id",
            [list(CLOCK), now + dt.timedelta(hours=1)],
        )
    ]
    chosen = sorted(random.Random(seed).sample(ids, min(k, len(ids))))
    with transaction.atomic():
        sql(f"DROP TABLE IF EXISTS {data.SNAPSHOT}")
        sql(f"CREATE TABLE {data.SNAPSHOT} AS SELECT * FROM appeals_appeal WHERE id = ANY(%s)",
            [chosen])  # fmt: skip
        sql(
            f"UPDATE {data.META} SET snapshot_event_id = "
            "(SELECT coalesce(max(id), 0) FROM appeals_appealevent)"
        )
        sql(
            "UPDATE appeals_appeal SET due_at = %(now)s - (1 + id %% 240) * interval '1 second', "
            "remind_at = %(now)s - (1 + id %% 240) * interval '1 second' - interval '8 hours', "
            "reminded_at = coalesce(reminded_at, %(now)s - interval '8 hours') "
            "WHERE id = ANY(%(ids)s)",
            {"now": now, "ids": chosen},
        )
    return chosen


def restore_snapshot() -> int:
    """Put the snapshot rows back and delete what the tick wrote for them."""
    from django.db import transaction

    from linli.appeals.models import Appeal

    if not snapshot_exists():
        return 0
    cols = [f.column for f in Appeal._meta.concrete_fields if f.column != "id"]
    sets = ", ".join(f"{c} = s.{c}" for c in cols)
    codes = f"SELECT code FROM {data.SNAPSHOT}"
    with transaction.atomic():
        mark = sql(f"SELECT coalesce(snapshot_event_id, 0) FROM {data.META}")[0][0]
        sql(f"DELETE FROM notify_notification WHERE outbox_id IN ({_outbox_of(codes)})")
        sql(f"DELETE FROM notify_outbox WHERE id IN ({_outbox_of(codes)})")
        sql(
            f"DELETE FROM appeals_appealevent WHERE id > %s "
            f"AND appeal_id IN (SELECT id FROM {data.SNAPSHOT})",
            [mark],
        )
        sql(f"UPDATE appeals_appeal a SET {sets} FROM {data.SNAPSHOT} s WHERE a.id = s.id")
        n = sql(f"SELECT count(*) FROM {data.SNAPSHOT}")[0][0]
        sql(f"DROP TABLE {data.SNAPSHOT}")
        sql(f"UPDATE {data.META} SET snapshot_event_id = NULL")
    return n


# --- the data ------------------------------------------------------------------------------


def ensure_data(target: int) -> dict:
    from linli.appeals.models import Appeal

    have = Appeal.objects.count()
    meta = data.read_meta()
    if have < target:
        print(f"loading {target:,} appeals (the table holds {have:,}) ...", flush=True)
        result = data.load(target)
        return {"seconds": result["seconds"], "this_run": True}
    if meta is None:
        print(
            f"{have:,} appeals present, not loaded by this benchmark: their clocks stay as they are"
        )
        return {"seconds": None, "this_run": False}
    print(
        f"{have:,} appeals already loaded on {meta['loaded_at']:%Y-%m-%d %H:%M} UTC; the load "
        f"took {meta['load_seconds'] or 0:.1f}s then (drop the database or empty "
        "appeals_appeal to time it again)"
    )
    data.reanchor()
    return {"seconds": meta["load_seconds"], "this_run": False}


def data_counts() -> list[tuple[str, str]]:
    rows = []
    total, events = sql(
        "SELECT (SELECT count(*) FROM appeals_appeal), (SELECT count(*) FROM appeals_appealevent)"
    )[0]
    rows.append(("appeals", f"{total:,}"))
    rows.append(("events", f"{events:,}"))
    span = sql("SELECT min(created_at), max(created_at) FROM appeals_appeal")[0]
    rows.append(("filed between", f"{span[0]:%Y-%m-%d} .. {span[1]:%Y-%m-%d}"))
    by_status = dict(sql("SELECT status, count(*) FROM appeals_appeal GROUP BY 1"))
    open_n = sum(by_status.get(s, 0) for s in data.OPEN_STATUSES)
    rows.append(("open", f"{open_n:,} ({open_n / total:.1%})"))
    rows.append(
        (
            "  by status",
            ", ".join(f"{s} {by_status.get(s, 0):,}" for s in data.OPEN_STATUSES),
        )
    )
    o = sql(
        "SELECT count(*) FILTER (WHERE due_at > now()), "
        "count(*) FILTER (WHERE overdue_at IS NOT NULL), "
        "count(*) FILTER (WHERE overdue_at IS NULL AND due_at <= now() AND status = ANY(%(c)s)), "
        "count(*) FILTER (WHERE overdue_at IS NULL AND status = ANY(%(c)s) "
        "AND due_at > now() AND due_at <= now() + interval '24 hours'), "
        "count(*) FILTER (WHERE claim_overdue_at IS NOT NULL) "
        "FROM appeals_appeal WHERE status = ANY(%(o)s)",
        {"c": list(CLOCK), "o": list(data.OPEN_STATUSES)},
    )[0]
    rows.append(("  due in the future", f"{o[0]:,}"))
    rows.append(("  overdue, marked by a tick", f"{o[1]:,}"))
    rows.append(("  overdue, not yet marked", f"{o[2]:,}"))
    rows.append(("  becoming due within 24 h", f"{o[3]:,}"))
    rows.append(("  not claimed in time (marked)", f"{o[4]:,}"))
    rows.append(("resolved, waiting for a rating", f"{by_status.get('resolved', 0):,}"))
    closed = by_status.get("closed", 0)
    rated = sql(
        "SELECT count(*) FROM appeals_appeal WHERE status = 'closed' AND rating IS NOT NULL"
    )
    rows.append(("closed", f"{closed:,} ({closed / total:.1%}), {rated[0][0]:,} rated"))
    rows.append(("withdrawn", f"{by_status.get('withdrawn', 0):,}"))
    levels = dict(
        sql(
            "SELECT resolved_level, count(*) FROM appeals_appeal WHERE resolved_level <> '' GROUP BY 1"
        )
    )
    n = sum(levels.values()) or 1
    rows.append(
        (
            "resolved at",
            ", ".join(f"{lv} {levels.get(lv, 0) / n:.0%}" for lv in data.LEVELS),
        )
    )
    return rows


# --- the tick -------------------------------------------------------------------------------


def bench_tick(runs: int) -> dict:
    from django.db import connection

    from linli.appeals.services import appeals_tick

    out: dict = {}
    acted: list[dict] = []

    def tick():
        acted.append(appeals_tick())

    log = QueryLog()
    with connection.execute_wrapper(log):
        appeals_tick()
    out["steady_queries"] = len(log.entries)
    stats = measure(tick, runs, warmup=1)
    total = {}
    for d in acted[1:]:  # the first was the warm-up
        for k, v in d.items():
            total[k] = total.get(k, 0) + v
    out["steady"] = stats
    out["steady_acted"] = {k: v for k, v in total.items() if v}
    print(
        f"steady state, {runs} runs: median {stats['median']:.1f} ms, p95 {stats['p95']:.1f} ms, "
        f"max {stats['max']:.1f} ms; {out['steady_queries']} queries a tick when nothing is due; "
        f"acted on (all runs): {out['steady_acted'] or 'nothing'}"
    )

    open_n = sql(
        "SELECT count(*) FROM appeals_appeal WHERE status = ANY(%s)", [list(data.OPEN_STATUSES)]
    )[0][0]
    k = max(1, round(open_n * 0.01))
    times, results, queries = [], [], None
    for i in range(4):  # run 0 counts the queries (and warms up); runs 1-3 are timed
        make_due(k, data.SEED + i)
        try:
            if i == 0:
                log = QueryLog()
                with connection.execute_wrapper(log):
                    done = appeals_tick()
                queries = len(log.entries)
            else:
                t0 = time.perf_counter()
                done = appeals_tick()
                times.append((time.perf_counter() - t0) * 1000)
            results.append(done)
        finally:
            restore_snapshot()
    out["due_k"] = k
    out["due_ms"] = times
    out["due_median"] = statistics.median(times)
    out["due_done"] = results[1:]
    out["due_queries"] = queries
    print(
        f"{k} of {open_n:,} open appeals just became due: one tick took "
        f"{', '.join(f'{t:.0f}' for t in times)} ms (median {out['due_median']:.0f} ms); "
        f"it did {results[-1]}; {queries} statements ({queries / k:.0f} per due appeal), "
        "by kind (first, untimed run):"
    )
    print(table(("statement", "count", "total ms"), log.summary()))
    return out


# --- filing -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_wrk() -> str | None:
    path = shutil.which("wrk")
    if path:
        return path
    apt = shutil.which("apt-get")
    if apt is None or os.environ.get("LINLI_BENCH_INSTALL_WRK", "1") == "0":
        return None
    print("wrk is missing: apt-get install -y wrk", flush=True)
    for cmd in ([apt, "install", "-y", "wrk"], [apt, "update"], [apt, "install", "-y", "wrk"]):
        subprocess.run(
            cmd, capture_output=True, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        )
        if shutil.which("wrk"):
            break
    return shutil.which("wrk")


def http(method: str, url: str, key: str, body: bytes | None = None) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=body, method=method)
    req.add_header("Authorization", f"Bearer {key}")
    if body is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def wait_ready(base: str, key: str, proc: subprocess.Popen, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        try:
            status, _body = http("GET", base + "/api/v1/appeal-categories", key)
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError("the server did not answer in time")


def locations(seed: int, n: int = 20_000) -> list[str]:
    """JSON fragments naming where a filed appeal is: households, and a share
    (LINLI_BENCH_FILE_UNIT_SHARE, default 0.1) of group units, as a resident
    reporting without a household or a hotline call about a place would."""
    share = float(os.environ.get("LINLI_BENCH_FILE_UNIT_SHARE") or 0.1)
    rng = random.Random(seed)
    hh = [i for (i,) in sql("SELECT id FROM org_household ORDER BY id")]
    groups = [i for (i,) in sql("SELECT id FROM org_unit WHERE kind = 'group' ORDER BY id")]
    out = []
    for _ in range(n):
        if rng.random() >= share:
            out.append(f'"household_id":{rng.choice(hh)}')
        else:
            out.append(f'"unit_id":{rng.choice(groups)}')
    return out


def body_maker(locs: list[str], cats: list[str], seed: int):
    rng = random.Random(seed)

    def body() -> bytes:
        cat = rng.choice(cats)
        urgency = "urgent" if rng.random() < 0.05 else "normal"
        return (
            f'{{"category":"{cat}","description":"压测：{cat} 问题，请尽快处理。",'
            f'"channel":"api","urgency":"{urgency}","reporter_name":"压测",'
            f'"reporter_phone":"139{rng.randrange(10**8):08d}",{rng.choice(locs)}}}'
        ).encode()

    return body


def run_wrk(
    wrk: str, base: str, key: str, loc_file: Path, cats: list[str], *, threads, conns, seconds
):
    cmd = [
        wrk, f"-t{threads}", f"-c{conns}", f"-d{seconds}s", "--timeout", "10s", "--latency",
        "-s", str(HERE / "appeals_post.lua"), base, "--", key, str(loc_file), ",".join(cats), "1",
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True)
    result, sample, text = None, "", []
    for line in proc.stdout.splitlines():
        if line.startswith("BENCHJSON "):
            result = json.loads(line.removeprefix("BENCHJSON "))
        elif line.startswith("BENCHSAMPLE "):
            sample = line.removeprefix("BENCHSAMPLE ")
        else:
            text.append(line)
    if result is None:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {proc.stdout}\n{proc.stderr}")
    secs = result["duration_us"] / 1e6
    return {
        "requests": result["requests"],
        "seconds": secs,
        "rps": result["requests"] / secs,
        **{p: result[p] / 1000 for p in ("p50", "p75", "p90", "p99", "max")},
        "statuses": {int(k): v for k, v in result["statuses"].items()},
        "socket_errors": {k: v for k, v in result["errors"].items() if v and k != "status"},
        "sample": sample,
        "text": "\n".join(text),
    }


def filing_path_queries(key: str, loc: str, cat: str) -> list[tuple[str, float]]:
    """The statements of one filing through the API, timed, in-process (Django's test client)."""
    from django.db import connection
    from django.test import Client

    client = Client()
    body = (
        f'{{"category":"{cat}","description":"压测：查询计数","channel":"api",'
        f'"reporter_name":"压测","reporter_phone":"13900000001",{loc}}}'
    )
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    client.post("/api/v1/appeals", body, content_type="application/json", **auth)  # warm-up
    log = QueryLog()
    with connection.execute_wrapper(log):
        r = client.post("/api/v1/appeals", body, content_type="application/json", **auth)
    if r.status_code != 201:
        raise RuntimeError(f"filing in-process failed: {r.status_code} {r.content[:300]!r}")
    return log.entries


class ConnectionSampler:
    """Samples the number of connections to the bench database twice a second."""

    def __init__(self):
        import threading

        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import dj_database_url
        import psycopg

        cfg = dj_database_url.parse(bench_url())
        params = {k.lower(): cfg[k] for k in ("HOST", "PORT", "USER", "PASSWORD") if cfg.get(k)}
        with psycopg.connect(dbname=cfg["NAME"], autocommit=True, **params) as conn:
            while not self._stop.wait(0.5):
                n = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                ).fetchone()[0]
                self.peak = max(self.peak, n)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> int:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        return self.peak


def filing_in_process(key: str, locs: list[str], cats: list[str], n: int = 40) -> dict:
    """Median time of one filing through the API in this process (Django's test
    client, one persistent connection, no HTTP server, no concurrency)."""
    from django.test import Client

    client = Client()
    make = body_maker(locs, cats, 17)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    times = []
    for i in range(n + 5):
        t0 = time.perf_counter()
        r = client.post("/api/v1/appeals", make(), content_type="application/json", **auth)
        if i >= 5:
            times.append((time.perf_counter() - t0) * 1000)
        if r.status_code != 201:
            raise RuntimeError(f"filing in-process failed: {r.status_code} {r.content[:300]!r}")
    times.sort()
    return {"median": statistics.median(times), "p90": times[int(0.9 * len(times)) - 1]}


def bench_filing(broker: str) -> dict:
    from linli.accounts.models import ApiToken
    from linli.accounts.services import token_create

    seconds = scaled_seconds("LINLI_BENCH_FILE_SECONDS", 30)
    conns = env_int("LINLI_BENCH_FILE_CONNECTIONS", 50)
    workers = env_int("LINLI_BENCH_FILE_WORKERS", 2)
    open_seconds = scaled_seconds("LINLI_BENCH_OPEN_SECONDS", 20)
    warmup = min(5, seconds)
    out: dict = {"workers": workers, "connections": conns}

    user = bench_user()
    ApiToken.objects.filter(user=user).delete()
    _token, key = token_create(actor=user, name=TOKEN_NAME)
    cats = [c for (c,) in sql(
        "SELECT code FROM appeals_category WHERE parent_id IS NOT NULL AND active ORDER BY id")]  # fmt: skip
    locs = locations(data.SEED)
    loc_file = ROOT / "var" / "bench" / "appeals-locations.txt"
    loc_file.parent.mkdir(parents=True, exist_ok=True)
    loc_file.write_text("\n".join(locs) + "\n")

    # Evidence of what one filing costs: the queries of one request, in-process.
    # (The 1000th linked household and the 100th group, or the middle one at a
    # tiny scale.)
    linked = sql(
        "SELECT household_id FROM org_householdlink WHERE valid_to IS NULL "
        "ORDER BY household_id LIMIT 1 OFFSET least(1000, "
        "(SELECT count(*) / 2 FROM org_householdlink WHERE valid_to IS NULL))"
    )[0][0]
    group = sql(
        "SELECT id FROM org_unit WHERE kind = 'group' ORDER BY id LIMIT 1 OFFSET least(100, "
        "(SELECT count(*) / 2 FROM org_unit WHERE kind = 'group'))"
    )[0][0]
    for what, loc in (
        ("a household with a representative", f'"household_id":{linked}'),
        ("a group unit, no household", f'"unit_id":{group}'),
    ):
        queries = filing_path_queries(key, loc, "facilities")
        out.setdefault("queries", {})[what] = len(queries)
        print(
            f"one filing through the API for {what} runs {len(queries)} statements besides "
            f"BEGIN/COMMIT ({sum(ms for _q, ms in queries):.1f} ms; in-process, one call):"
        )
        rows = [(QueryLog.label(q), f"{ms:.1f}") for q, ms in queries]
        print(table(("statement", "ms"), rows))
    inproc = filing_in_process(key, locs, cats)
    out["in_process"] = inproc
    print(
        f"one filing in-process (no HTTP, one persistent connection, one at a time): "
        f"median {inproc['median']:.1f} ms, p90 {inproc['p90']:.1f} ms"
    )
    outbox0 = sql("SELECT coalesce(max(id), 0) FROM notify_outbox")[0][0]
    filed0 = sql("SELECT count(*) FROM appeals_appeal WHERE created_by_id = %s", [user.pk])[0][0]

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings_module = os.environ.get("LINLI_BENCH_SERVER_SETTINGS") or "_server_settings"
    env = {
        **os.environ,
        "LINLI_DATABASE_URL": bench_url(),
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(HERE)]),
        "DJANGO_SETTINGS_MODULE": settings_module,
    }
    env.pop("LINLI_DEBUG", None)
    if broker:
        env["LINLI_CELERY_BROKER_URL"] = broker
    else:
        env.pop("LINLI_CELERY_BROKER_URL", None)
    cmd = [
        sys.executable, "-m", "uvicorn", "linli.asgi:application", "--workers", str(workers),
        "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
    ]  # fmt: skip
    log_path = ROOT / "var" / "bench" / "appeals-server.log"
    print(
        f"server: {' '.join(cmd[1:])}\n  DJANGO_SETTINGS_MODULE={settings_module}"
        + (" (linli.settings as shipped, with its connection pool; see _server_settings.py)"
           if settings_module == "_server_settings" else "")
        + f", LINLI_CELERY_BROKER_URL={broker or 'unset: in-process delivery'}"
        f"; log in {log_path.relative_to(ROOT)}",
        flush=True,
    )  # fmt: skip
    out["settings"] = settings_module
    sampler = ConnectionSampler()
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            cmd, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        wait_ready(base, key, server)
        sampler.start()
        status, body = http("POST", base + "/api/v1/appeals", key, body_maker(locs, cats, 7)())
        if status != 201:
            raise RuntimeError(f"filing through the server failed: {status} {body[:300]!r}")
        wrk = ensure_wrk()
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        path = "/api/v1/appeals"
        if wrk:
            out["warmup"] = run_wrk(
                wrk, base, key, loc_file, cats, threads=2, conns=10, seconds=warmup
            )
            out["warmup"].pop("text")
            closed = run_wrk(
                wrk, base, key, loc_file, cats, threads=2, conns=conns, seconds=seconds
            )
            closed["tool"] = "wrk -t2"
            print(closed.pop("text"))
        else:
            print("wrk is not available: closed loop with the Python client instead")
            make = body_maker(locs, cats, 11)
            out["warmup"] = _http_load.closed_loop(
                "127.0.0.1", port, path, headers, make, connections=10, seconds=warmup
            )
            closed = _http_load.closed_loop(
                "127.0.0.1", port, path, headers, make, connections=conns, seconds=seconds
            )
            closed["tool"] = "python asyncio client"
        out["closed"] = closed
        rate = float(os.environ.get("LINLI_BENCH_FILE_RATE") or 0) or min(
            100.0, round(closed["rps"] / 2)
        )
        out["rate"] = rate
        print(f"open loop: {rate:.0f} requests/s for {open_seconds}s ...", flush=True)
        opened = _http_load.open_loop(
            "127.0.0.1", port, path, headers, body_maker(locs, cats, 13),
            rate=rate, seconds=open_seconds, pool=conns,
        )  # fmt: skip
        opened["tool"] = "python asyncio client, latency from the scheduled send time"
        out["open"] = opened
    finally:
        out["peak_connections"] = sampler.stop()
        os.killpg(server.pid, signal.SIGTERM)  # the server's own process group (new session)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        filed = sql("SELECT count(*) FROM appeals_appeal WHERE created_by_id = %s", [user.pk])[0][0]
        outbox = sql("SELECT count(*) FROM notify_outbox WHERE id > %s", [outbox0])[0][0]
        out["filed"] = filed
        out["outbox_per_filing"] = outbox / (filed - filed0) if filed > filed0 else 0
        out["queued"] = purge_broker(broker)
        deleted = delete_bench_filed(user)
        print(
            f"peak PostgreSQL connections to the bench database: {out['peak_connections']}; "
            f"{filed:,} appeals filed ({out['outbox_per_filing']:.1f} outbox rows each, "
            f"{out['queued']:,} delivery kicks queued in Redis); deleted {deleted:,} with "
            "their events, outbox and audit rows"
        )
    return out


def latency_row(label: str, r: dict, note: str) -> tuple:
    return (
        label,
        f"{r['p50']:.0f}",
        f"{r['p75']:.0f}",
        f"{r['p90']:.0f}",
        f"{r['p99']:.0f}",
        f"{r['max']:.0f}",
        f"{r['rps']:.0f}",
        f"{r['requests']:,}",
        note,
    )


def errors_of(r: dict) -> int:
    return sum(v for k, v in r["statuses"].items() if k != 201) + sum(
        r.get("socket_errors", {}).values()
    )


# --- main ---------------------------------------------------------------------------------------


def main() -> int:
    # A terminated run still stops its server and restores the rows it changed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    broker = configure_broker()
    setup_django()
    from django.db import connection

    from linli.org.models import Household

    if connection.vendor != "postgresql":
        print("skipped: the appeals benchmark needs PostgreSQL (LINLI_BENCH_DATABASE_URL)")
        return 0
    if not Household.objects.exists():
        print("skipped: the county is not built (run 01_build_county.py, or `make bench`)")
        return 0
    scale = bench_scale()
    target = max(1000, round(env_int("LINLI_BENCH_APPEALS", 500_000) * scale))

    data.ensure_meta()
    user = bench_user()
    leftovers = delete_bench_filed(user)
    restored = restore_snapshot()
    if leftovers or restored:
        print(f"cleaned up an interrupted run: {leftovers} filed appeals, {restored} rows restored")
    load = ensure_data(target)
    print(table(("appeals", "count"), data_counts()), flush=True)

    print(f"\n-- the tick (services.appeals_tick, in-process) -- {loadavg()}", flush=True)
    tick = bench_tick(env_int("LINLI_BENCH_TICK_RUNS", 15))
    purge_broker(broker)

    print(f"\n-- filing through the HTTP API -- {loadavg()}", flush=True)
    filing = bench_filing(broker)
    filing["loadavg_after"] = loadavg()
    print(
        f"after the filing runs ({filing['loadavg_after']}; this counts the server's own busy threads)"
    )

    closed, opened = filing["closed"], filing["open"]
    print(
        f"\nClosed loop: {filing['connections']} connections each send the next request as soon "
        "as the last one answers, so the server is saturated and the mean latency is bounded by "
        f"throughput (Little's law: {filing['connections']} / {closed['rps']:.0f} req/s = "
        f"{1000 * filing['connections'] / closed['rps']:.0f} ms). The open loop sends "
        f"{filing['rate']:.0f} req/s whatever the answers and measures from the scheduled time."
    )
    rows = [
        latency_row(
            f"file, {filing['connections']} connections, closed loop",
            closed,
            closed["tool"],
        ),
        latency_row(f"file, {filing['rate']:.0f} req/s, open loop", opened, "asyncio client"),
    ]
    print(
        table(("filing (ms)", "p50", "p75", "p90", "p99", "max", "req/s", "requests", "by"), rows)
    )
    s = tick["steady"]
    verdict = []
    for label, value, target_ms in [
        (
            f"filing p99, {filing['connections']} connections (closed loop)",
            closed["p99"],
            TARGET_P99_MS,
        ),
        (f"filing p99, {filing['rate']:.0f} req/s (open loop)", opened["p99"], TARGET_P99_MS),
        ("tick, steady state (median)", s["median"], TARGET_TICK_MS),
        (f"tick, {tick['due_k']} just due (median of 3)", tick["due_median"], TARGET_TICK_MS),
    ]:
        verdict.append((label, f"{value:.0f} ms", f"< {target_ms:.0f} ms",
                        "met" if value < target_ms else "NOT met"))  # fmt: skip
    print(table(("summary", "measured", "target", ""), verdict))

    warm = filing.get("warmup")
    errors = errors_of(closed) + errors_of(opened) + (errors_of(warm) if warm else 0)
    RECORD.parent.mkdir(parents=True, exist_ok=True)
    RECORD.write_text(
        json.dumps(
            {
                "at": time.strftime("%Y-%m-%d %H:%M"),
                "load_seconds": load["seconds"],
                "filing": {k: v for k, v in filing.items()},
                "tick": tick,
                "errors": errors,
            },
            default=str,
            indent=1,
        )
    )
    if errors:
        for name, r in (("warm-up", warm), ("closed loop", closed), ("open loop", opened)):
            if r and errors_of(r):
                print(f"ERROR: {name}: statuses {r['statuses']}, socket errors "
                      f"{r.get('socket_errors', {})}; first: {r['sample']}")  # fmt: skip
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
