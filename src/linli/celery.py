"""The Celery application (production: a worker and beat on Redis).

With no LINLI_CELERY_BROKER_URL (the embedded default) settings make tasks
eager: `.delay()` runs the task in-process, and the serve command's ticker
thread drives the periodic ticks instead of beat.
"""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import beat_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linli.settings")

app = Celery("linli")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

TICK_TASK = "linli.core.tasks.run_tick"


def beat_schedule() -> dict[str, dict]:
    """Return a beat entry per registered tick: run_tick(name) every `every` seconds."""
    import django
    from django.apps import apps

    if not apps.ready and not apps.loading:
        django.setup()
    from linli.core import ticks

    return {
        f"tick:{name}": {
            "task": TICK_TASK,
            "schedule": float(tick.every),
            "args": [name],
            # A tick queued behind a backlog is useless once the next is due.
            "options": {"expires": float(tick.every)},
        }
        for name, tick in sorted(ticks.registered().items())
    }


def install_beat_schedule(celery_app: Celery = app) -> None:
    """Put the ticks into the app's beat schedule (idempotent), keeping other entries."""
    schedule = celery_app.conf.beat_schedule
    for key in [k for k in schedule if k.startswith("tick:")]:
        del schedule[key]
    schedule.update(beat_schedule())


@app.on_after_finalize.connect
def _on_after_finalize(sender: Celery, **kwargs) -> None:
    from django.apps import apps

    # Ticks are registered in AppConfig.ready(); wait for it if Django is
    # still loading (beat_init below installs the schedule again anyway).
    if apps.loading and not apps.ready:
        return
    install_beat_schedule(sender)


@beat_init.connect
def _on_beat_init(sender, **kwargs) -> None:
    # The scheduler has read conf.beat_schedule by now; add the ticks to it in
    # case the app was finalized before Django had loaded the apps.
    install_beat_schedule(sender.app)
    sender.scheduler.update_from_dict(beat_schedule())
