"""Backup and restore (issue 11): `linli backup --out FILE`, then `linli restore FILE` into
an empty database, every table's count checked against the backup's manifest."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from linli.appeals.models import Appeal
from linli.core import backup
from tests.support import factories

ROOT = Path(__file__).resolve().parents[2]


def _linli(*args: str, database_url: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LINLI_", "DJANGO_"))}
    env.update(
        PYTHONPATH=f"{ROOT / 'src'}{os.pathsep}{ROOT}",
        LINLI_DATABASE_URL=database_url,
        LINLI_VAR_DIR=str(tmp_path / "var"),
        LINLI_MEDIA_ROOT=str(tmp_path / "media-restored"),
    )
    return subprocess.run(
        [sys.executable, "-m", "linli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _some_data(reference_data, county):
    factories.appeal(household=county.households_a[1])
    factories.appeal(household=county.households_a[2])
    assert Appeal.objects.count() == 2


def _backup(tmp_path: Path) -> tuple[Path, dict]:
    out = tmp_path / "linli.tar"
    call_command("backup", "--out", str(out), stdout=open(os.devnull, "w"))
    manifest = backup.read_manifest(out)
    assert manifest["tables"]["appeals_appeal"] == 2
    assert manifest["tables"]["django_migrations"] > 10
    with tarfile.open(out) as tar:
        assert {"manifest.json", manifest["database"]} <= set(tar.getnames())
    return out, manifest


@pytest.mark.django_db(transaction=True)
def test_sqlite_backup_restores_into_an_empty_database_with_equal_counts(
    reference_data, county, tmp_path
):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite pass")
    _some_data(reference_data, county)
    archive, manifest = _backup(tmp_path)
    assert manifest["engine"] == "sqlite"

    target = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    done = _linli("restore", str(archive), database_url=target, tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "appeals_appeal: 2 (backup: 2)" in done.stdout
    assert "every count equal" in done.stdout
    # The restored database is a working one.
    check = _linli("migrate", "--check", database_url=target, tmp_path=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr

    # Never over a database that has tables.
    again = _linli("restore", str(archive), database_url=target, tmp_path=tmp_path)
    assert again.returncode != 0 and "not empty" in again.stderr


@pytest.mark.django_db(transaction=True)
def test_a_backup_of_another_engine_is_refused(reference_data, county, tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite pass")
    _some_data(reference_data, county)
    archive, _manifest = _backup(tmp_path)
    with pytest.raises(backup.BackupError, match="sqlite backup"):
        # As if the configured database were PostgreSQL.
        original = backup.engine
        backup.engine = lambda: "postgresql"  # type: ignore[assignment]
        try:
            backup.restore(archive)
        finally:
            backup.engine = original


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_backup_restores_into_a_fresh_database_with_equal_counts(
    reference_data, county, tmp_path
):
    if connection.vendor != "postgresql":
        pytest.skip("the PostgreSQL pass")
    _some_data(reference_data, county)
    archive, manifest = _backup(tmp_path)
    assert manifest["engine"] == "postgresql"

    settings_db = connection.settings_dict
    name = f"linli_restore_{uuid.uuid4().hex[:8]}"
    host, port, user = (
        settings_db["HOST"] or "127.0.0.1",
        settings_db["PORT"] or 5432,
        (settings_db["USER"] or "postgres"),
    )
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        target = f"postgres://{user}@{host}:{port}/{name}"
        done = _linli("restore", str(archive), database_url=target, tmp_path=tmp_path)
        assert done.returncode == 0, done.stderr
        assert "appeals_appeal: 2 (backup: 2)" in done.stdout
        check = _linli("migrate", "--check", database_url=target, tmp_path=tmp_path)
        assert check.returncode == 0, check.stdout + check.stderr
        again = _linli("restore", str(archive), database_url=target, tmp_path=tmp_path)
        assert again.returncode != 0 and "not empty" in again.stderr
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
