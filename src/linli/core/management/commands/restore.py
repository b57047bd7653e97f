"""Restore a backup archive into an empty database and check its counts (docs/operations.md)."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from linli.core import backup


class Command(BaseCommand):
    help = (
        "Load a backup archive (from `backup`) into the configured database, which must be "
        "empty, then count every table and fail unless the counts equal the manifest's."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", help="the archive `backup --out` wrote")

    def handle(self, *args: Any, **options: Any) -> None:
        archive = Path(options["archive"])
        if not archive.is_file():
            raise CommandError(f"no such file: {archive}")
        try:
            result = backup.restore(archive, log=self.stdout.write)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        for table, rows in result["restored"].items():
            self.stdout.write(f"{table}: {rows} (backup: {result['tables'][table]})")
        self.stdout.write(
            self.style.SUCCESS(
                f"restore: {len(result['restored'])} tables, {result['rows']} rows, "
                "every count equal to the backup's manifest"
            )
        )
