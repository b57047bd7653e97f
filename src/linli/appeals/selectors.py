"""Every read of appeals, already scoped to what the user may see.

A user sees the appeals that came from their units' subtrees (cadres and
leaders), the ones assigned to them or waiting in their group (representatives),
the ones they filed, and the ones referred to their department. "Does not
exist" and "not yours" are the same 404.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import (
    Avg,
    Case,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    When,
)
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.core.errors import NotFound
from linli.org.models import STEPLEN, Unit

from . import policy
from .models import (
    CLOCK_STATUSES,
    LEVEL_ORDER,
    OPEN_STATUSES,
    Appeal,
    AppealEvent,
    Category,
    Status,
)
from .workflow import SATISFIED_FROM


def appeals_visible_to(user) -> QuerySet[Appeal]:
    if user is None or not getattr(user, "is_authenticated", False):
        return Appeal.objects.none()
    qs = Appeal.objects.select_related(
        "category", "unit", "representative", "assignee", "department"
    )
    q = policy.visible_q(user)
    return qs if q is None else qs.filter(q)


def appeal_get(user, code: str) -> Appeal:
    appeal = appeals_visible_to(user).filter(code=str(code).strip().upper()).first()
    if appeal is None:
        raise NotFound(_("No such appeal."))
    return appeal


def appeal_for_resident(code: str, phone: str) -> Appeal:
    """The tracking page: an appeal found by its code and the reporter's mobile."""
    appeal = (
        Appeal.objects.select_related("category", "unit", "department")
        .filter(code=str(code or "").strip().upper(), reporter_phone=phone)
        .first()
    )
    if appeal is None or not phone:
        raise NotFound(_("No appeal matches this case code and mobile number."))
    return appeal


def queue_for(user, level: str | None = None) -> QuerySet[Appeal]:
    """The to-do queue: overdue first, then by deadline."""
    now = timezone.now()
    return (
        appeals_visible_to(user)
        .filter(policy.handling_q(user, level))
        .annotate(
            overdue_first=Case(
                When(status__in=CLOCK_STATUSES, due_at__lte=now, then=0),
                When(status=Status.PENDING, claim_due_at__lte=now, then=0),
                default=1,
            )
        )
        .order_by("overdue_first", "due_at", "id")
    )


def department_queue(user) -> QuerySet[Appeal]:
    return (
        appeals_visible_to(user)
        .filter(policy.department_q(user))
        .order_by("due_at", "id")
    )


def appeals_filtered(
    user,
    *,
    status: str = "",
    level: str = "",
    kind: str = "",
    category: str = "",
    q: str = "",
    overdue: bool = False,
    unit: Unit | None = None,
    mine: bool = False,
) -> QuerySet[Appeal]:
    qs = appeals_visible_to(user)
    if status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif status:
        qs = qs.filter(status=status)
    if level:
        qs = qs.filter(level=level)
    if kind:
        qs = qs.filter(kind=kind)
    if category:
        qs = qs.filter(Q(category__code=category) | Q(category__parent__code=category))
    if q:
        q = q.strip()
        qs = qs.filter(
            Q(code__iexact=q) | Q(title__icontains=q) | Q(address__icontains=q) | Q(reporter_name=q)
        )
    if overdue:
        qs = qs.filter(status__in=CLOCK_STATUSES, due_at__lte=timezone.now())
    if unit is not None:
        qs = qs.filter(origin_path__startswith=unit.path)
    if mine:
        qs = qs.filter(policy.handling_q(user))
    return qs.order_by("-created_at", "-id")


def timeline(appeal: Appeal, *, public: bool = False) -> QuerySet[AppealEvent]:
    qs = appeal.events.select_related("actor", "unit", "department").prefetch_related(
        "photos"
    )
    if public:
        qs = qs.filter(internal=False)
    return qs.order_by("at", "id")


def categories_tree() -> list[tuple[Category, list[Category]]]:
    cats = list(Category.objects.filter(active=True).select_related("default_department"))
    tops = [c for c in cats if c.parent_id is None]
    return [(t, [c for c in cats if c.parent_id == t.pk]) for t in tops]


# --- numbers -------------------------------------------------------------------------


@dataclass
class Rates:
    """The "three rates" of a 12345 hotline, plus on-time rate and where appeals end."""

    unit: Unit | None = None
    filed: int = 0
    responded_on_time: int = 0
    resolved: int = 0
    resolved_on_time: int = 0
    rated: int = 0
    satisfied: int = 0
    open: int = 0
    overdue: int = 0
    mean_hours_to_resolve: float | None = None
    resolved_at_level: dict[str, int] = field(default_factory=dict)

    @staticmethod
    def _pct(n: int, d: int) -> float | None:
        return round(100.0 * n / d, 1) if d else None

    @property
    def response_rate(self) -> float | None:
        return self._pct(self.responded_on_time, self.filed)

    @property
    def on_time_rate(self) -> float | None:
        return self._pct(self.resolved_on_time, self.resolved)

    @property
    def resolution_rate(self) -> float | None:
        return self._pct(self.resolved, self.filed)

    @property
    def satisfaction_rate(self) -> float | None:
        return self._pct(self.satisfied, self.rated)

    @property
    def level_share(self) -> dict[str, float | None]:
        return {
            lv: self._pct(self.resolved_at_level.get(lv, 0), self.resolved) for lv in LEVEL_ORDER
        }

    def as_dict(self) -> dict:
        return {
            "unit_id": self.unit.pk if self.unit else None,
            "unit_name": self.unit.name if self.unit else "",
            "filed": self.filed,
            "open": self.open,
            "overdue": self.overdue,
            "resolved": self.resolved,
            "rated": self.rated,
            "response_rate": self.response_rate,
            "on_time_rate": self.on_time_rate,
            "resolution_rate": self.resolution_rate,
            "satisfaction_rate": self.satisfaction_rate,
            "mean_hours_to_resolve": self.mean_hours_to_resolve,
            "resolved_at_level": {lv: self.resolved_at_level.get(lv, 0) for lv in LEVEL_ORDER},
            "level_share": self.level_share,
        }


def _aggregates(now: dt.datetime) -> dict:
    resolved = Q(resolved_at__isnull=False) & ~Q(status__in=OPEN_STATUSES)
    counted = ~Q(status__in=[Status.MERGED, Status.WITHDRAWN])
    out = {
        "filed": Count("id", filter=counted),
        "responded_on_time": Count(
            "id", filter=counted & Q(first_claimed_at__lte=F("first_claim_due_at"))
        ),
        "resolved": Count("id", filter=resolved),
        "resolved_on_time": Count("id", filter=resolved & Q(resolved_on_time=True)),
        "rated": Count("id", filter=Q(rating__isnull=False, status=Status.CLOSED)),
        "satisfied": Count("id", filter=Q(rating__gte=SATISFIED_FROM, status=Status.CLOSED)),
        "open": Count("id", filter=Q(status__in=OPEN_STATUSES)),
        "overdue": Count("id", filter=Q(status__in=CLOCK_STATUSES, due_at__lte=now)),
        "mean_resolve": Avg(
            ExpressionWrapper(F("resolved_at") - F("created_at"), output_field=DurationField()),
            filter=resolved,
        ),
    }
    for lv in LEVEL_ORDER:
        out[f"at_{lv}"] = Count("id", filter=resolved & Q(resolved_level=lv))
    return out


def _rates_from(row: dict, unit: Unit | None) -> Rates:
    mean = row.get("mean_resolve")
    return Rates(
        unit=unit,
        filed=row["filed"],
        responded_on_time=row["responded_on_time"],
        resolved=row["resolved"],
        resolved_on_time=row["resolved_on_time"],
        rated=row["rated"],
        satisfied=row["satisfied"],
        open=row["open"],
        overdue=row["overdue"],
        mean_hours_to_resolve=round(mean.total_seconds() / 3600, 1) if mean else None,
        resolved_at_level={lv: row[f"at_{lv}"] for lv in LEVEL_ORDER},
    )


def appeal_rates(
    user, unit: Unit, start: dt.datetime, end: dt.datetime
) -> tuple[Rates, list[Rates]]:
    """Rates for appeals filed in [start, end) from the unit's subtree, in total
    and per child unit. Two aggregate queries, whatever the number of appeals."""
    now = timezone.now()
    base = appeals_visible_to(user).filter(
        origin_path__startswith=unit.path, created_at__gte=start, created_at__lt=end
    )
    aggs = _aggregates(now)
    total = _rates_from(base.order_by().aggregate(**aggs), unit)
    n = len(unit.path) + STEPLEN
    rows = (
        base.exclude(origin_path=unit.path)
        .annotate(child=Substr("origin_path", 1, n))
        .order_by()
        .values("child")
        .annotate(**aggs)
    )
    children = {c.path: c for c in Unit.objects.filter(parent=unit)}
    per_child = [_rates_from(r, children.get(r["child"])) for r in rows if r["child"] in children]
    per_child.sort(key=lambda r: r.unit.path)
    return total, per_child


def queue_summary(user) -> dict[str, int]:
    """How many appeals wait in the user's queue, and how many of them are overdue."""
    now = timezone.now()
    return (
        appeals_visible_to(user)
        .filter(policy.handling_q(user))
        .aggregate(
            todo=Count("id"),
            overdue=Count("id", filter=Q(status__in=CLOCK_STATUSES, due_at__lte=now)),
        )
    )
