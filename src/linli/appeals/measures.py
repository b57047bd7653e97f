"""What the appeal rates count, defined once: the aggregate expressions that the rates
(`selectors`) and their rollup (`tally`) both use, so the two cannot drift apart.

The definitions are explained in `docs/appeals.md` ("How the rates are counted").
Outcome counts depend only on the appeal's row and its rating events, which change
only through a write; `open` and `overdue` also depend on the clock, so the rollup
never stores them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import (
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast

from .models import CLOCK_STATUSES, LEVEL_ORDER, OPEN_STATUSES, Appeal, AppealEvent, Status
from .workflow import SATISFIED_FROM, Action

# Filed means not a duplicate merged into another, and not withdrawn.
COUNTED_Q = ~Q(status__in=[Status.MERGED, Status.WITHDRAWN])
# Resolved and still so: waiting for the rating or closed (a reopened appeal is open
# again; a merged or withdrawn one is not resolved, whatever it went through before).
RESOLVED_Q = Q(status__in=[Status.RESOLVED, Status.CLOSED], resolved_at__isnull=False)
# A withdrawn appeal still owed a response if it was claimed, or its first claim
# deadline passed before the resident withdrew it (gave up waiting).
OWED_RESPONSE_Q = COUNTED_Q | Q(status=Status.WITHDRAWN) & (
    Q(first_claimed_at__isnull=False) | Q(first_claim_due_at__lt=F("closed_at"))
)
TIME_TO_RESOLVE = ExpressionWrapper(
    F("resolved_at") - F("created_at"), output_field=DurationField()
)

# The outcome counts, in the order the rollup stores them.
OUTCOME_KEYS = (
    "filed",
    "response_counted",
    "responded_on_time",
    "resolved",
    "resolved_on_time",
    *(f"at_{lv}" for lv in LEVEL_ORDER),
)
RATING_KEYS = ("ratings", "ratings_satisfied", "rated", "satisfied_first", "satisfied_final")


def outcome_aggregates() -> dict[str, Any]:
    """Counts that change only when the appeal is written: `OUTCOME_KEYS`, and
    `resolve_time`, the time from filing to resolution summed over the resolved."""
    out: dict[str, Any] = {
        "filed": Count("id", filter=COUNTED_Q),
        "response_counted": Count("id", filter=OWED_RESPONSE_Q),
        "responded_on_time": Count(
            "id", filter=OWED_RESPONSE_Q & Q(first_claimed_at__lte=F("first_claim_due_at"))
        ),
        "resolved": Count("id", filter=RESOLVED_Q),
        "resolved_on_time": Count("id", filter=RESOLVED_Q & Q(resolved_on_time=True)),
        "resolve_time": Sum(TIME_TO_RESOLVE, filter=RESOLVED_Q),
    }
    for lv in LEVEL_ORDER:
        out[f"at_{lv}"] = Count("id", filter=RESOLVED_Q & Q(reached_level=lv))
    return out


def now_aggregates(now: dt.datetime) -> dict[str, Any]:
    """Counts that move with the clock: still open, and overdue now."""
    return {
        "open": Count("id", filter=Q(status__in=OPEN_STATUSES)),
        # A suspension stops the clock but does not hide an appeal already overdue.
        "overdue": Count(
            "id",
            filter=Q(status__in=CLOCK_STATUSES, due_at__lte=now)
            | Q(status=Status.SUSPENDED, due_at__lte=F("suspended_at")),
        ),
    }


def rating_counts(base: QuerySet[Appeal], **groups: Any) -> list[dict[str, Any]]:
    """Every rating event of the appeals in `base`, counted per group (expressions
    over the event, e.g. `child=Substr("appeal__origin_path", 1, n)`) in one
    aggregate query: all ratings, and per appeal its first and its last one. Each row
    holds the group's keys and `RATING_KEYS`."""
    rate = AppealEvent.objects.filter(appeal=OuterRef("appeal"), action=Action.RATE)
    before = Q(at__lt=OuterRef("at")) | Q(at=OuterRef("at"), pk__lt=OuterRef("pk"))
    after = Q(at__gt=OuterRef("at")) | Q(at=OuterRef("at"), pk__gt=OuterRef("pk"))
    value = Cast(KeyTextTransform("rating", "data"), IntegerField())
    satisfied = Q(value__gte=SATISFIED_FROM)
    first, last = ~Exists(rate.filter(before)), ~Exists(rate.filter(after))
    return list(
        AppealEvent.objects.filter(action=Action.RATE, appeal__in=base.values("pk"))
        .annotate(**groups, value=value, first=first, last=last)
        .order_by()
        .values(*groups)
        .annotate(
            ratings=Count("id"),
            ratings_satisfied=Count("id", filter=satisfied),
            rated=Count("id", filter=Q(first=True)),
            satisfied_first=Count("id", filter=Q(first=True) & satisfied),
            satisfied_final=Count("id", filter=Q(last=True) & satisfied),
        )
    )
