"""Background entry points: thin wrappers that call services with ids."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="linli.appeals.tasks.appeals_tick")
def appeals_tick() -> dict[str, int]:
    """Act on whatever is due now; idempotent, safe to run concurrently."""
    return services.appeals_tick()


@shared_task(name="linli.appeals.tasks.appeals_tally")
def appeals_tally() -> int:
    """Rebuild the rollup's days that writes have marked (see appeals/tally.py)."""
    from . import tally

    return tally.rebuild_marked()
