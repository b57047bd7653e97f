"""Celery tasks of the notification outbox: thin wrappers around services."""

from celery import shared_task


@shared_task(name="linli.notify.tasks.outbox_deliver", ignore_result=True)
def outbox_deliver() -> int:
    """Deliver the outbox rows that are due; idempotent, safe to run at any time."""
    from .services import outbox_deliver_due

    return outbox_deliver_due()
