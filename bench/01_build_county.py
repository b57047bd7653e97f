"""Build the county (mission scale) with `demo_data county` if the database is empty.

Prints the wall time of the command and the row counts. When the county was
built by an earlier run, prints the time recorded then (var/bench/county-build.json).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from _common import ROOT, bench_url, setup_django, table

RECORD = ROOT / "var" / "bench" / "county-build.json"


def row_counts() -> dict[str, int]:
    from django.db import connection

    tables = [
        ("units", "org_unit"),
        ("households", "org_household"),
        ("members", "org_member"),
        ("representatives", "org_representative"),
        ("household_links", "org_householdlink"),
        ("active links", "org_householdlink WHERE valid_to IS NULL"),
        ("places", "org_place"),
        ("unassigned places", "org_place WHERE representative_id IS NULL"),
        ("guard_teams", "org_guardteam"),
        ("guard_team_members", "org_guardteammember"),
        ("users", "accounts_user"),
    ]
    out = {}
    with connection.cursor() as cur:
        for label, t in tables:
            cur.execute(f"SELECT count(*) FROM {t}")
            out[label] = cur.fetchone()[0]
    return out


def main() -> int:
    setup_django()
    from linli.org.models import Unit

    scale = os.environ.get("LINLI_BENCH_SCALE", "1")
    if not Unit.objects.exists():
        cmd = [sys.executable, "-m", "linli", "demo_data", "county", "--scale", scale]
        print("building the county:", " ".join(cmd[1:]), flush=True)
        env = {**os.environ, "LINLI_DATABASE_URL": bench_url(), "PYTHONPATH": str(ROOT / "src")}
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - t0
        if proc.returncode != 0:
            print(proc.stdout, proc.stderr)
            return proc.returncode
        for line in proc.stdout.splitlines():
            if line.startswith(("rows generated", "constraints checked", "demo_data county")):
                print("  " + line)
        RECORD.parent.mkdir(parents=True, exist_ok=True)
        RECORD.write_text(json.dumps({"seconds": seconds, "scale": scale, "url": bench_url()}))
        print(f"demo_data county: {seconds:.1f}s wall time (this run)")
    elif RECORD.exists():
        rec = json.loads(RECORD.read_text())
        print(
            f"county already built; demo_data county took {rec['seconds']:.1f}s when it was "
            "built (drop the database or set LINLI_BENCH_REBUILD=1 to time it again)"
        )
    else:
        print("county already built (no build time recorded)")
    counts = row_counts()
    print(table(("rows", "count"), [(k, f"{v:,}") for k, v in counts.items()]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
