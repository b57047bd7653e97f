"""The outbox lease: renewed before each delivery, configurable, and a row whose lease
another worker took over is left to that worker."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from linli.notify import services
from linli.notify.models import Notification, Outbox, OutboxStatus
from linli.notify.services import notify_user, outbox_deliver_due


def test_the_lease_is_configurable(user, settings):
    settings.LINLI = {**settings.LINLI, "OUTBOX_LEASE_SECONDS": 5}
    assert services._lease() == dt.timedelta(seconds=5)


def test_a_row_taken_over_by_another_worker_is_skipped(user, monkeypatch):
    rows = notify_user(user=user, kind="k", title="t") + notify_user(
        user=user, kind="k2", title="u"
    )
    Outbox.objects.update(status=OutboxStatus.PENDING, sent_at=None, locked_until=None)
    Notification.objects.all().delete()
    real_deliver = services._deliver
    delivered: list[int] = []

    def deliver(row):
        delivered.append(row.pk)
        real_deliver(row)
        if len(delivered) == 1:
            # Meanwhile another worker claimed the second row (its lease had run out).
            Outbox.objects.filter(pk=rows[1].pk).update(
                locked_until=timezone.now() + dt.timedelta(hours=1)
            )

    monkeypatch.setattr(services, "_deliver", deliver)
    assert outbox_deliver_due() == 2
    assert delivered == [rows[0].pk]
    second = Outbox.objects.get(pk=rows[1].pk)
    assert second.status == OutboxStatus.PENDING  # that worker's to deliver and mark


def test_renewal_never_shortens_a_lease(user):
    row = notify_user(user=user, kind="k", title="t")[0]
    far = timezone.now() + dt.timedelta(hours=2)
    Outbox.objects.filter(pk=row.pk).update(status=OutboxStatus.PENDING, locked_until=far)
    row.refresh_from_db()
    assert services._renew(row)
    row.refresh_from_db()
    assert row.locked_until == far
