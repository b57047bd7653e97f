#!/usr/bin/env bash
# County-scale benchmarks on PostgreSQL (LINLI_BENCH_DATABASE_URL, default
# postgres://postgres@127.0.0.1:5432/linli_bench): create the database if it is
# missing, migrate, build the county with `demo_data county` if it is empty
# (timed), then run every bench/[0-9]*.py in order (the coverage and household-list
# queries, appeals, duties, notices, deliberation, and bench/07_doorbell.py: MQTT
# press to the representative's live WebSocket, which needs Mosquitto and Redis).
#   LINLI_BENCH_RUNS=20      runs per query (median and p95 are printed)
#   LINLI_BENCH_SCALE=1      county scale for the build (0.1 for a quick look)
#   LINLI_BENCH_REBUILD=1    drop and rebuild the benchmark database first
set -euo pipefail
cd "$(dirname "$0")/.."
PY="$(cd "$(dirname "${PY:-.venv/bin/python}")" && pwd)/$(basename "${PY:-.venv/bin/python}")"
export LINLI_BENCH_DATABASE_URL="${LINLI_BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/linli_bench}"
export LINLI_DATABASE_URL="$LINLI_BENCH_DATABASE_URL"
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}"
# The server bench/03_appeals.py starts speaks plain HTTP on 127.0.0.1 with the demo's
# key and console SMS: the demo mode (production would refuse to start, rightly).
export LINLI_ENV="${LINLI_ENV:-demo}"

if [ "${LINLI_BENCH_REBUILD:-0}" = "1" ]; then
  "$PY" - <<'PYEOF'
import os, dj_database_url, psycopg
from psycopg import sql
cfg = dj_database_url.parse(os.environ["LINLI_BENCH_DATABASE_URL"])
with psycopg.connect(dbname="postgres", host=cfg["HOST"] or None, port=cfg["PORT"] or None,
                     user=cfg["USER"] or None, password=cfg["PASSWORD"] or None,
                     autocommit=True) as conn:
    conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(cfg["NAME"])))
    print("dropped", cfg["NAME"])
PYEOF
fi

(cd bench && "$PY" create_db.py)
"$PY" -m linli migrate --noinput -v 0
status=0
for script in bench/[0-9]*.py; do
  echo "== $script =="
  (cd bench && "$PY" "$(basename "$script")") || status=1
done
exit $status
