"""Backup and restore of the whole database, with a manifest of row counts.

`python -m linli backup --out FILE` writes one tar archive:

- `manifest.json`: the engine, when, the Django migrations applied, and the number of
  rows of every table, counted in the same snapshot the copy was taken from;
- `database.sqlite3` (SQLite: the sqlite3 online backup API, safe while the platform
  runs) or `database.pgdump` (PostgreSQL: `pg_dump -Fc` on an exported snapshot);
- with `--media`, the uploaded files (photos, report documents) under `media/`.

`python -m linli restore FILE` loads it into the configured database, which must be
empty (no tables: a fresh SQLite path, or a database just made with `createdb`), then
counts every table again and fails unless each count equals the manifest's. See
docs/operations.md.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from glob import glob
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
PG_MEMBER = "database.pgdump"
FORMAT = 1


class BackupError(Exception):
    """A backup or a restore that cannot go on; the message says why."""


def engine() -> str:
    vendor = connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        raise BackupError(f"backups support SQLite and PostgreSQL, not {vendor}")
    return vendor


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def table_counts(cursor: Any) -> dict[str, int]:
    """Rows per table of the connected database (every table, Django's or not)."""
    names = sorted(connection.introspection.table_names(cursor))
    counts = {}
    for name in names:
        cursor.execute(f"SELECT COUNT(*) FROM {_quote(name)}")  # noqa: S608 - a table name
        counts[name] = int(cursor.fetchone()[0])
    return counts


def _sqlite_counts(path: Path) -> dict[str, int]:
    db = sqlite3.connect(path)
    try:
        names = [
            row[0]
            for row in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        return {n: int(db.execute(f'SELECT COUNT(*) FROM "{n}"').fetchone()[0]) for n in names}
    finally:
        db.close()


def pg_tool(name: str) -> str:
    """A PostgreSQL client program: LINLI_PG_BIN, else the newest installed, else PATH."""
    if os.environ.get("LINLI_PG_BIN"):
        return str(Path(os.environ["LINLI_PG_BIN"]) / name)
    found = sorted(glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed (set LINLI_PG_BIN to its directory)")
    return path


def _pg_env() -> dict[str, str]:
    db: dict[str, Any] = dict(settings.DATABASES["default"])
    env = dict(os.environ)
    for key, var in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
        ("NAME", "PGDATABASE"),
    ):
        if db.get(key):
            env[var] = str(db[key])
    return env


def _migrations(cursor: Any) -> int:
    cursor.execute("SELECT COUNT(*) FROM django_migrations")
    return int(cursor.fetchone()[0])


def backup(out: Path, *, media: bool = False) -> dict[str, Any]:
    """Write the backup archive `out`; return its manifest."""
    vendor = engine()
    out = Path(out)
    with tempfile.TemporaryDirectory(prefix="linli-backup-") as tmp:
        if vendor == "sqlite":
            copy = Path(tmp) / SQLITE_MEMBER
            connection.ensure_connection()
            target = sqlite3.connect(copy)
            try:
                # The online backup API: a consistent copy while others write.
                connection.connection.backup(target)
            finally:
                target.close()
            counts = _sqlite_counts(copy)
            member = copy
        else:
            member = Path(tmp) / PG_MEMBER
            counts = _pg_dump(member)
        manifest = {
            "format": FORMAT,
            "engine": vendor,
            "created_at": timezone.now().isoformat(),
            "database": member.name,
            "tables": counts,
            "rows": sum(counts.values()),
            "media": media,
        }
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(out.name + ".partial")
        with tarfile.open(partial, "w") as tar:
            data = json.dumps(manifest, indent=1, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            info.mtime = int(timezone.now().timestamp())
            tar.addfile(info, io.BytesIO(data))
            tar.add(member, arcname=member.name)
            if media and Path(settings.MEDIA_ROOT).is_dir():
                tar.add(settings.MEDIA_ROOT, arcname="media")
        partial.replace(out)  # never a half-written archive under the real name
    return manifest


def _pg_dump(path: Path) -> dict[str, int]:
    """pg_dump -Fc on a snapshot exported from a transaction that counts the same rows."""
    connection.ensure_connection()  # its setup queries before the snapshot's transaction
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        counts = table_counts(cursor)
        done = subprocess.run(
            [
                pg_tool("pg_dump"),
                "-Fc",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                "-f",
                str(path),
            ],
            env=_pg_env(),
            capture_output=True,
            text=True,
        )
        if done.returncode:
            raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
    return counts


def read_manifest(archive: Path) -> dict[str, Any]:
    with tarfile.open(archive) as tar:
        member = tar.extractfile(MANIFEST)
        if member is None:
            raise BackupError(f"{archive} has no {MANIFEST}: not a linli backup")
        manifest: dict[str, Any] = json.load(member)
    return manifest


def restore(archive: Path, *, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Load `archive` into the configured, empty database and check every count."""
    archive = Path(archive)
    manifest = read_manifest(archive)
    vendor = engine()
    if manifest.get("engine") != vendor:
        raise BackupError(
            f"this is a {manifest.get('engine')} backup; the configured database is {vendor}"
        )
    with connection.cursor() as cursor:
        existing = connection.introspection.table_names(cursor)
    if existing:
        raise BackupError(
            f"the database is not empty ({len(existing)} tables): restore only into an empty "
            "database (a new SQLite path, or one just made with createdb)"
        )
    with tempfile.TemporaryDirectory(prefix="linli-restore-") as tmp, tarfile.open(archive) as tar:
        member = manifest["database"]
        tar.extract(member, tmp, filter="data")
        source = Path(tmp) / member
        if vendor == "sqlite":
            db = sqlite3.connect(source)
            try:
                connection.ensure_connection()
                db.backup(connection.connection)
            finally:
                db.close()
        else:
            connection.close()
            done = subprocess.run(
                [
                    pg_tool("pg_restore"),
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    "-d",
                    _pg_env().get("PGDATABASE", ""),
                    str(source),
                ],
                env=_pg_env(),
                capture_output=True,
                text=True,
            )
            if done.returncode:
                raise BackupError(f"pg_restore failed: {done.stderr.strip()}")
        if manifest.get("media"):
            _restore_media(tar, log)
    connection.close()
    with connection.cursor() as cursor:
        counts = table_counts(cursor)
    expected: dict[str, int] = manifest["tables"]
    wrong = {
        t: (expected.get(t), counts.get(t))
        for t in sorted(set(expected) | set(counts))
        if expected.get(t) != counts.get(t)
    }
    if wrong:
        raise BackupError(
            "the restored counts differ from the backup's manifest: "
            + ", ".join(f"{t} {a} != {b}" for t, (a, b) in wrong.items())
        )
    return {**manifest, "restored": counts}


def _restore_media(tar: tarfile.TarFile, log: Callable[[str], None]) -> None:
    root = Path(settings.MEDIA_ROOT)
    members = [m for m in tar.getmembers() if m.name.startswith("media/") and m.isfile()]
    clashes = [m.name for m in members if (root / m.name[len("media/") :]).exists()]
    if clashes:
        raise BackupError(f"media files already exist under {root}: {clashes[:3]} ...")
    with tempfile.TemporaryDirectory(prefix="linli-media-") as tmp:
        tar.extractall(tmp, members=members, filter="data")
        shutil.copytree(Path(tmp) / "media", root, dirs_exist_ok=True)
    log(f"media: {len(members)} files restored under {root}")
