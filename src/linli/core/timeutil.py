"""Time helpers: store UTC, reason in the platform's local date (Asia/Shanghai)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def today() -> dt.date:
    return timezone.localdate()


def age(birth: dt.date | None, on: dt.date | None = None) -> int | None:
    """Age in whole years on a date (today by default)."""
    if birth is None:
        return None
    on = on or today()
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
