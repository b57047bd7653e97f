#!/usr/bin/env bash
# The whole suite: once on SQLite (the embedded default, with the browser
# tests), once on PostgreSQL (the production engine). Where PostgreSQL is not
# reachable the second pass is skipped with a visible reason, unless
# LINLI_REQUIRE_SERVICES=1, which makes it a failure. The fault tests (marker
# `faults`: they stop and restart services of their own) run in scripts/faults.sh.
#
# The two passes run at the same time, one per core: each is one Python process,
# and in sequence they took most of CI's 90 minutes on a slow 2-core machine.
# They share nothing but the services, and the tests that use those keep to names
# of their own (random MQTT client ids and topics, a Celery queue per run, the
# Redis channel layer only in the browser tests, which run in pass 1 alone).
# The PostgreSQL pass writes to a log that is printed when both are done.
# LINLI_TEST_SERIAL=1 runs them one after the other, as before.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PG_URL="${LINLI_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/linli}"
export LINLI_FAST_HASHER=1
# The slowest tests of each pass are listed at its end, to keep the suite's time in view.
DURATIONS=(--durations=15 --durations-min=5)

run() {
  "$@"
  local rc=$?
  if [ $rc -eq 5 ]; then echo "pytest ran no tests: that is a failure"; return 1; fi
  return $rc
}

pg_pass() {
  LINLI_DATABASE_URL="$PG_URL" LINLI_TEST_PASS=postgres run "$PY" -m pytest \
    -p no:cacheprovider -m "not browser and not faults" "${DURATIONS[@]}" "$@"
}

status=0
pg_pid=""
pg_log=""
pg_rc_file=""
if "$PY" scripts/service_up.py postgres "$PG_URL"; then
  if [ "${LINLI_TEST_SERIAL:-0}" != "1" ]; then
    pg_log="$(mktemp -t linli-test-pg.XXXXXX.log)"
    pg_rc_file="$pg_log.rc"
    echo "== pass 2: PostgreSQL ($PG_URL), started beside pass 1; its output follows pass 1's =="
    (pg_pass "$@" >"$pg_log" 2>&1; echo $? >"$pg_rc_file") &
    pg_pid=$!
  fi
  pg_up=1
else
  pg_up=0
fi

echo "== pass 1: SQLite =="
(unset LINLI_DATABASE_URL; LINLI_TEST_PASS=sqlite run "$PY" -m pytest \
  -m "not postgres and not faults" "${DURATIONS[@]}" "$@") || status=1

echo "== pass 2: PostgreSQL ($PG_URL) =="
if [ "$pg_up" = "1" ]; then
  if [ -n "$pg_pid" ]; then
    wait "$pg_pid"
    cat "$pg_log"
    [ "$(cat "$pg_rc_file" 2>/dev/null)" = "0" ] || status=1
    rm -f "$pg_log" "$pg_rc_file"
  else
    pg_pass "$@" || status=1
  fi
elif [ "${LINLI_REQUIRE_SERVICES:-0}" = "1" ]; then
  echo "FAILED: PostgreSQL is required (LINLI_REQUIRE_SERVICES=1) but not reachable at $PG_URL"
  status=1
else
  echo "SKIPPED the PostgreSQL pass: not reachable at $PG_URL (set LINLI_TEST_PG_URL)"
fi
exit $status
