"""Celery tasks of the core app."""

from celery import shared_task

from . import ticks


@shared_task(name="linli.core.tasks.run_tick", ignore_result=True)
def run_tick(name: str) -> bool:
    """Run the registered tick `name` once (sent by Celery beat); return whether it succeeded.

    The tick logs its own failure; a name no longer registered (a beat running
    with an older schedule) is logged and skipped.
    """
    try:
        return ticks.execute(name).ok
    except KeyError:
        ticks.logger.warning("Tick %s is not registered; skipped", name)
        return False
