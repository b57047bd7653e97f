"""Delete uploaded files that no database row points at (see core.media)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from linli.core.media import purge


class Command(BaseCommand):
    help = "Delete files under MEDIA_ROOT that no row points at, older than --hours."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--hours",
            type=float,
            default=24.0,
            help="leave files younger than this alone (default 24)",
        )
        parser.add_argument("--dry-run", action="store_true", help="list, delete nothing")

    def handle(self, *args: Any, hours: float, dry_run: bool, **options: Any) -> None:
        if hours < 1:
            raise CommandError("--hours must be at least 1: younger files may be in flight")
        found = purge(older_than_hours=hours, dry_run=dry_run)
        for orphan in found:
            self.stdout.write(f"{orphan.name}\t{orphan.size}\t{orphan.age_hours:.0f}h")
        verb = "would delete" if dry_run else "deleted"
        total = sum(o.size for o in found)
        self.stdout.write(f"{verb} {len(found)} unreferenced file(s), {total} bytes")
