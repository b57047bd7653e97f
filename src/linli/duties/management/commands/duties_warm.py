"""Fill the duties rollup (`DutyTally`) ahead of the first read: after a bulk
import of logs or links, or to check how long a cold fill takes."""

from __future__ import annotations

import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError

from linli.duties.compliance import warm


class Command(BaseCommand):
    help = "Compute the missing duty rollup cells from --since to the end of this month."

    def add_arguments(self, parser):
        parser.add_argument(
            "--since",
            help="first day to fill, YYYY-MM-DD (default: the first day of last month)",
        )

    def handle(self, *args, since=None, **options):
        first = None
        if since:
            try:
                first = dt.date.fromisoformat(since)
            except ValueError as exc:
                raise CommandError(f"--since must be a date YYYY-MM-DD, not {since!r}") from exc
        t0 = time.perf_counter()
        covered = warm(since=first)
        self.stdout.write(
            f"duty rollup warm for {covered} representatives in {time.perf_counter() - t0:.1f}s"
        )
