"""Logging filters."""

from __future__ import annotations

import logging

# Refusals a user can cause at will (a stranger's id, a page not for their role): one line
# each in the log, not a traceback (Django logs PermissionDenied with its exc_info).
QUIET_STATUSES = frozenset({403, 404})


class RefusalsWithoutTraceback(logging.Filter):
    """On `django.request`: drop the traceback of 403/404 answers, keep the line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) in QUIET_STATUSES:
            record.exc_info = None
            record.exc_text = None
        return True
