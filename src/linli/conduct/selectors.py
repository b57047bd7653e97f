"""Every read of the negative list and the breach records, scoped by `policy`.

`severe_confirmed` and `excluded_from_hundred_best` are the reads the incentives work
(the "hundred best" selection, 百优) uses: they are not scoped, because the selection
is made for the whole city, and they return ids and booleans, never the records.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from linli.core.errors import NotFound
from linli.core.timeutil import today

from . import policy
from .models import Breach, BreachEvent, BreachStage, NegativeEntry, Severity


def entries_visible_to(user: Any, *, active_only: bool = False) -> QuerySet[NegativeEntry]:
    qs = NegativeEntry.objects.filter(policy.entries_q(user)).select_related("unit")
    if active_only:
        qs = qs.filter(active=True)
    return qs.order_by("unit__path", "code")


def entry_get(user: Any, pk: int) -> NegativeEntry:
    entry = entries_visible_to(user).filter(pk=pk).first()
    if entry is None:
        raise NotFound(_("Entry not found."))
    return entry


def entries_for(representative: Any) -> QuerySet[NegativeEntry]:
    """The active entries that bind this representative (the city's and their town's)."""
    path = representative.unit.path
    towns = [path[: i * 4] for i in range(1, len(path) // 4 + 1)]
    return (
        NegativeEntry.objects.filter(Q(unit__isnull=True) | Q(unit__path__in=towns), active=True)
        .select_related("unit")
        .order_by("unit__path", "code")
    )


def breaches_visible_to(user: Any) -> QuerySet[Breach]:
    return Breach.objects.filter(policy.breaches_q(user)).select_related(
        "representative", "representative__unit", "unit", "entry", "reported_by"
    )


def breaches_filtered(
    user: Any,
    *,
    stage: str = "",
    severity: str = "",
    unit: Any = None,
    overdue: bool = False,
    q: str = "",
    mine: bool = False,
) -> QuerySet[Breach]:
    """The review queue: open records first (oldest due first), then the decided ones.

    `overdue`: the response window has passed without a statement (ready to decide)."""
    qs = breaches_visible_to(user)
    if stage:
        qs = qs.filter(stage=stage)
    if severity:
        qs = qs.filter(severity=severity)
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    if overdue:
        qs = qs.filter(stage=BreachStage.REPORTED, respond_by__lt=today())
    if q:
        qs = qs.filter(
            Q(representative__name__icontains=q)
            | Q(description__icontains=q)
            | Q(entry__title__icontains=q)
        )
    if mine:
        qs = qs.filter(representative__user_id=getattr(user, "pk", 0) or 0)
    return qs.order_by("-reported_at", "-id")


def breach_get(user: Any, pk: int) -> Breach:
    breach = breaches_visible_to(user).filter(pk=pk).first()
    if breach is None:
        raise NotFound(_("Breach record not found."))
    return breach


def breaches_of_user(user: Any) -> QuerySet[Breach]:
    """A representative's own records (their account's)."""
    return breaches_visible_to(user).filter(representative__user_id=getattr(user, "pk", 0) or 0)


def history(breach: Breach) -> QuerySet[BreachEvent]:
    return breach.events.select_related("actor").order_by("at", "id")


def history_for(user: Any, breach: Breach) -> list[BreachEvent]:
    """The history as `user` may read it: the representative the breach is against is not
    told who reported it (the steps the reporter took show no name), so that no one
    retaliates against a cadre or a resident."""
    events = list(history(breach))
    if policy.is_own(user, breach):
        for e in events:
            if e.actor_id is not None and e.actor_id == breach.reported_by_id:
                e.actor = None
    return events


def evidence_get(user: Any, pk: int) -> Any:
    from .models import BreachEvidence

    item = (
        BreachEvidence.objects.filter(breach__in=breaches_visible_to(user).values("pk"), pk=pk)
        .select_related("breach")
        .first()
    )
    if item is None:
        raise NotFound(_("Evidence not found."))
    return item


def window_passed(breach: Breach, on: dt.date | None = None) -> bool:
    """Has the representative's response window ended (the day after `respond_by`)?"""
    return (on or today()) > breach.respond_by


def can_confirm_now(breach: Breach) -> bool:
    """The representative has been heard: the statement is recorded, or the window passed."""
    return breach.stage == BreachStage.STATED or window_passed(breach)


def actions_for(user: Any, breach: Breach) -> list[str]:
    """What `user` may do with the record now (the page's buttons, the API's `actions`)."""
    if not breach.is_open:
        return []
    out = []
    if policy.can_state(user, breach):
        out.append("statement")
    if policy.can_review(user, breach):
        if can_confirm_now(breach) and not policy.wrote_statement_for(user, breach):
            out.append("confirm")
        out.append("dismiss")
    if policy.can_withdraw(user, breach):
        out.append("withdraw")
    if policy.can_add_evidence(user, breach):
        out.append("evidence")
    return out


def open_count(user: Any) -> int:
    return (
        breaches_visible_to(user)
        .filter(stage__in=(BreachStage.REPORTED, BreachStage.STATED))
        .count()
    )


# --- for the incentives work (the "hundred best" selection) ------------------------------


def severe_confirmed(representative_ids: Iterable[int], year: int) -> set[int]:
    """Of these representatives, those with a severe breach confirmed in `year` (by the
    local date of the decision). Not scoped: the selection is made city-wide."""
    ids = list(representative_ids)
    if not ids:
        return set()
    return set(severe_breaches(year, ids))


def severe_breaches(year: int, representative_ids: list[int] | None = None) -> dict[int, list[int]]:
    """Per representative (every one when `representative_ids` is None), the ids of
    their severe breaches confirmed in `year`. One query. Not scoped, as above."""
    qs = Breach.objects.filter(
        stage=BreachStage.CONFIRMED, severity=Severity.SEVERE, decided_at__year=year
    )
    if representative_ids is not None:
        qs = qs.filter(representative_id__in=representative_ids)
    out: dict[int, list[int]] = {}
    for rep, pk in qs.order_by("pk").values_list("representative_id", "pk"):
        out.setdefault(rep, []).append(pk)
    return out


def excluded_from_hundred_best(representative: Any, year: int) -> bool:
    """Is this representative excluded from the year's "hundred best" selection?"""
    pk = getattr(representative, "pk", representative)
    return pk in severe_confirmed([pk], year)
