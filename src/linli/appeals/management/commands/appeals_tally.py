"""Build the appeals' rollup (`AppealTally`) ahead of the first read: after a bulk
import of appeals, or to see how long a cold build takes."""

from __future__ import annotations

import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from linli.appeals import tally


class Command(BaseCommand):
    help = "Build the appeals rollup's days that are not current, from --since to today."

    def add_arguments(self, parser):
        parser.add_argument(
            "--since", help="first day, YYYY-MM-DD (default: the first day of last year)"
        )
        parser.add_argument("--all", action="store_true", help="rebuild every day, current or not")

    def handle(self, *args, since=None, all=False, **options):
        today = timezone.localdate()
        first = today.replace(year=today.year - 1, month=1, day=1)
        if since:
            try:
                first = dt.date.fromisoformat(since)
            except ValueError as exc:
                raise CommandError(f"--since must be a date YYYY-MM-DD, not {since!r}") from exc
        t0 = time.perf_counter()
        if all:
            tally.forget(first, today)
        built = tally.ensure(first, today)
        self.stdout.write(f"appeals rollup: {built} days built in {time.perf_counter() - t0:.1f}s")
