"""Compute a year's scores now: `python -m linli evaluation_scores [--year 2026]`.

The `evaluation.scores` tick does this on its own (a new version of the weights, or
the current year every six hours); the command is for a bulk import of records, or
to time a county's computation."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from linli.core.errors import DomainError
from linli.core.timeutil import today
from linli.evaluation import services
from linli.evaluation.models import RunReason


class Command(BaseCommand):
    help = "Compute every representative's score of a year (default: this year)."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, default=None)

    def handle(self, *args, **options):
        year = options["year"] or today().year
        try:
            run = services.scores_compute(year, reason=RunReason.COMMAND)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"{run.representatives} scores of {year} (version {run.model.version}) "
            f"in {run.milliseconds} ms"
        )
