"""Snapshots of the command centre's costly sections (`FigureSnapshot`).

Duty compliance over a period reads the duties' rollup for every representative of
the subtree (36,000 for the city), and coverage counts every household and link:
seconds at county scale, and both change slowly (a visit logged, a link made). So a
view takes them from a snapshot younger than `MAX_AGE`, and computes and stores them
otherwise; the tick (`dashboard.snapshots`, every `REFRESH_EVERY`) computes again the
snapshots read within `READ_WINDOW` that are older than `REFRESH_AFTER`, so the
leaders' usual views (this month, quarter, year) are served from a fresh snapshot,
and forgets those nobody has read for `FORGET_AFTER`. The page says how old the
figures are.

A snapshot is computed as its last reader: the centre's viewers of a unit (leaders
and cadres above it) all see its whole subtree, so they share it; the tick computes
again only for a reader who still has the centre and still sees the unit.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from linli.org.models import Unit

from .models import FigureSnapshot

logger = logging.getLogger("linli.dashboard")

MAX_AGE = dt.timedelta(minutes=15)
REFRESH_AFTER = dt.timedelta(minutes=5)
REFRESH_EVERY = 300  # seconds, the tick
READ_WINDOW = dt.timedelta(days=1)
FORGET_AFTER = dt.timedelta(days=7)
READ_MARK_EVERY = dt.timedelta(minutes=1)  # read_at is written at most this often
TICK_BATCH = 50

# kind -> compute(user, unit, period key): registered by the sections (centre.py).
_COMPUTERS: dict[str, Callable[[Any, Unit, str], dict[str, Any]]] = {}


def register(kind: str, compute: Callable[[Any, Unit, str], dict[str, Any]]) -> None:
    _COMPUTERS[kind] = compute


def get(kind: str, user, unit: Unit, period: str = "") -> tuple[dict[str, Any], dt.datetime]:
    """The section's figures and when they were computed: from a fresh snapshot, or
    computed now (and stored)."""
    now = timezone.now()
    snap = FigureSnapshot.objects.filter(kind=kind, unit=unit, period=period).first()
    if snap is not None and now - snap.computed_at < MAX_AGE:
        if now - snap.read_at >= READ_MARK_EVERY or snap.read_by_id != user.pk:
            FigureSnapshot.objects.filter(pk=snap.pk).update(read_at=now, read_by=user)
        return snap.data, snap.computed_at
    data = _COMPUTERS[kind](user, unit, period)
    _store(kind, unit, period, data, user, now)
    return data, now


def _store(kind: str, unit: Unit, period: str, data: dict, user, now: dt.datetime) -> None:
    values = {"data": data, "computed_at": now, "read_at": now, "read_by": user}
    try:
        with transaction.atomic():
            FigureSnapshot.objects.update_or_create(
                kind=kind, unit=unit, period=period, defaults=values
            )
    except IntegrityError:  # two first views at once: the other one's is as good
        pass


def refresh_tick(now: dt.datetime | None = None) -> dict[str, int]:
    """Compute again the snapshots read lately and no longer fresh; forget the unread."""
    from linli.dashboard.centre import may_use_centre  # the centre's own rule

    now = now or timezone.now()
    forgotten, _ = FigureSnapshot.objects.filter(read_at__lt=now - FORGET_AFTER).delete()
    due = list(
        FigureSnapshot.objects.filter(
            read_at__gte=now - READ_WINDOW, computed_at__lt=now - REFRESH_AFTER
        )
        .select_related("unit", "read_by")
        .order_by("computed_at")[:TICK_BATCH]
    )
    refreshed = skipped = 0
    for snap in due:
        compute = _COMPUTERS.get(snap.kind)
        user = snap.read_by
        if compute is None or user is None or not may_use_centre(user, snap.unit):
            skipped += 1
            continue
        try:
            data = compute(user, snap.unit, snap.period)
        except Exception:  # noqa: BLE001 - one section failing must not stop the others
            logger.exception("snapshot %s of unit %s failed", snap.kind, snap.unit_id)
            skipped += 1
            continue
        FigureSnapshot.objects.filter(pk=snap.pk).update(data=data, computed_at=timezone.now())
        refreshed += 1
    return {"refreshed": refreshed, "skipped": skipped, "forgotten": forgotten}
