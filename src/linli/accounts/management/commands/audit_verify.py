"""Check the audit log's hash chain: `python -m linli audit_verify` (exit 1 on a break)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from linli.accounts import audit


class Command(BaseCommand):
    help = "Verify the audit log's hash chain; report changed, deleted or inserted entries."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--seal", action="store_true", help="seal unchained entries first (as the tick does)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["seal"]:
            audit.seal()
        result = audit.verify()
        self.stdout.write(
            f"checked {result.checked} entries; head #{result.head_seq} {result.head_hash}"
        )
        for problem in result.problems:
            self.stderr.write(f"BROKEN: {problem}")
        if not result.ok:
            raise CommandError(f"the audit chain is broken ({len(result.problems)} problems)")
        self.stdout.write("the audit chain is intact")
