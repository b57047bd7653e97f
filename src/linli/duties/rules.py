"""Which duty rule is in force: a read shared by the services (the late-entry window),
the selectors (what is still owed) and the compliance engine. Kept apart from
`services.py` so that no read module imports the write module."""

from __future__ import annotations

import datetime as dt

from .models import DutyRule

# The defaults when no rule was entered (1 of each, a visit counts as a contact, 14 days).
DEFAULT_RULE = DutyRule(effective_from=dt.date(2000, 1, 1))


def rule_on(day: dt.date) -> DutyRule:
    """The rule in force on `day` (the defaults if none was entered)."""
    return (
        DutyRule.objects.filter(effective_from__lte=day).order_by("-effective_from").first()
        or DEFAULT_RULE
    )
