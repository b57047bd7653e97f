"""Back the database up into one archive with a manifest of row counts (docs/operations.md)."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from linli.core import backup


class Command(BaseCommand):
    help = (
        "Write a backup archive of the database (SQLite: the online backup API; PostgreSQL: "
        "pg_dump -Fc) with a manifest of the rows of every table; --media adds uploaded files."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", required=True, help="the archive to write (a .tar file)")
        parser.add_argument(
            "--media", action="store_true", help="include the uploaded files (LINLI_MEDIA_ROOT)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["out"])
        try:
            manifest = backup.backup(out, media=options["media"])
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        for table, rows in manifest["tables"].items():
            self.stdout.write(f"{table}: {rows}")
        self.stdout.write(
            self.style.SUCCESS(
                f"backup: {out} ({manifest['engine']}, {len(manifest['tables'])} tables, "
                f"{manifest['rows']} rows)"
            )
        )
