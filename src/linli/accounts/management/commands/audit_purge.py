"""Remove audit entries past the retention: `python -m linli audit_purge --days 365`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from linli.accounts import audit
from linli.accounts.models import AuditAction
from linli.accounts.services import audit_record


class Command(BaseCommand):
    help = "Delete audit entries older than --days (never under the retention, >= 180 days)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--days", type=int, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"] or audit.retention_days()
        try:
            result = audit.purge(days=days)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        with transaction.atomic():
            audit_record(
                actor=None,
                action=AuditAction.AUDIT_PURGE,
                target_type="accounts.auditlog",
                detail={
                    "deleted": result.deleted,
                    "upto_seq": result.upto_seq,
                    "cutoff": result.cutoff.isoformat(),
                },
            )
        self.stdout.write(
            f"deleted {result.deleted} entries older than {days} days "
            f"(the chain now starts after #{result.upto_seq})"
        )
