"""Time helpers: store UTC, reason in the platform's local date (Asia/Shanghai)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def today() -> dt.date:
    return timezone.localdate()
