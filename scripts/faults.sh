#!/usr/bin/env bash
# The fault tests (marker `faults`): PostgreSQL restarted during a burst of filing,
# Redis stopped and started again, a worker killed with SIGKILL mid-delivery, backup
# and restore. Each starts throwaway services of its own on free ports (PostgreSQL
# clusters from /usr/lib/postgresql/*/bin, redis-server) and never touches the
# machine's shared ones. Their figures are printed as "FIGURES ..." lines.
# Missing binaries skip a test visibly, unless LINLI_REQUIRE_SERVICES=1.
set -uo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-.venv/bin/python}"
export LINLI_FAST_HASHER=1

if [ "${LINLI_REQUIRE_SERVICES:-0}" = "1" ]; then
  ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 \
    || { echo "FAILED: the fault tests need the PostgreSQL binaries"; exit 1; }
  command -v redis-server >/dev/null 2>&1 \
    || { echo "FAILED: the fault tests need redis-server"; exit 1; }
fi

# The pytest process itself needs no database of its own: SQLite in a temporary
# directory (the services under test are the throwaway ones).
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
env -u LINLI_DATABASE_URL LINLI_VAR_DIR="$tmp" LINLI_TEST_PASS=faults \
  "$PY" -m pytest tests/faults -m faults -s -p no:cacheprovider "$@"
rc=$?
if [ $rc -eq 5 ]; then echo "pytest ran no fault tests: that is a failure"; exit 1; fi
exit $rc
