"""Create the benchmark database named in LINLI_BENCH_DATABASE_URL if it is missing."""

from __future__ import annotations

import sys

import dj_database_url
import psycopg
from _common import bench_url
from psycopg import sql


def main() -> int:
    url = bench_url()
    cfg = dj_database_url.parse(url)
    if cfg["ENGINE"] != "django.db.backends.postgresql":
        print(f"LINLI_BENCH_DATABASE_URL must be a PostgreSQL URL, not {url}")
        return 2
    params = {
        "host": cfg.get("HOST") or None,
        "port": cfg.get("PORT") or None,
        "user": cfg.get("USER") or None,
        "password": cfg.get("PASSWORD") or None,
    }
    name = cfg["NAME"]
    try:
        conn = psycopg.connect(dbname="postgres", autocommit=True, connect_timeout=5, **params)
    except psycopg.OperationalError as exc:
        print(f"cannot reach PostgreSQL for the benchmark ({url}): {exc}".strip())
        return 2
    with conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
