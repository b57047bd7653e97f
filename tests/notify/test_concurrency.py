"""Two workers at once never deliver the same row twice (PostgreSQL row locks)."""

import threading

import pytest
from django.db import connection, connections, transaction

from linli.notify import services
from linli.notify.models import Notification, Outbox, OutboxStatus
from linli.notify.services import notify_users, outbox_deliver_due
from tests.support.roles import make_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def recipients(db, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("row-lock race runs in the PostgreSQL pass")
    # No after-commit delivery: the workers below do it.
    monkeypatch.setattr(services, "_kick", lambda: None)
    return [make_user(f"1371111{n:04d}", f"居民{n}") for n in range(20)]


def test_concurrent_workers_split_the_due_rows(recipients):
    notify_users(users=recipients, kind="k", title="t")
    barrier = threading.Barrier(2)
    counts: list[int] = []

    def worker():
        try:
            barrier.wait()
            counts.append(outbox_deliver_due(limit=20))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(counts) == 20
    assert set(Outbox.objects.values_list("status", "attempts")) == {(OutboxStatus.SENT, 1)}
    assert Notification.objects.count() == 20


def test_a_worker_skips_rows_another_worker_has_locked(recipients):
    rows = notify_users(users=recipients[:5], kind="k", title="t")
    locked = threading.Event()
    release = threading.Event()

    def other_worker():
        try:
            with transaction.atomic():
                list(Outbox.objects.select_for_update().filter(pk__in=[r.pk for r in rows[:2]]))
                locked.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert locked.wait(10)
        assert outbox_deliver_due() == 3
    finally:
        release.set()
        thread.join()
    assert Outbox.objects.filter(status=OutboxStatus.PENDING).count() == 2
