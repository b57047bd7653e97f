"""The outbox: written with the change, delivered at least once, retried with backoff."""

import datetime as dt

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from linli.core.errors import InvalidInput
from linli.notify import services
from linli.notify.models import Channel, Notification, Outbox, OutboxStatus, Webhook
from linli.notify.services import (
    backoff,
    notify_event,
    notify_phone,
    notify_user,
    notify_users,
    outbox_deliver_due,
)

pytestmark = pytest.mark.django_db


def later(seconds: int) -> dt.datetime:
    return timezone.now() + dt.timedelta(seconds=seconds)


def test_outbox_rows_are_written_in_the_callers_transaction_and_vanish_on_rollback(user):
    with pytest.raises(RuntimeError), transaction.atomic():
        notify_user(user=user, kind="appeal.assigned", title="新诉求", channels=("inapp", "sms"))
        assert Outbox.objects.count() == 2
        raise RuntimeError("the caller's change fails")
    assert Outbox.objects.count() == 0


def test_notify_user_writes_one_row_per_channel(user):
    rows = notify_user(
        user=user,
        kind="appeal.assigned",
        title="新诉求",
        body="请及时领办",
        url="/appeals/1/",
        data={"appeal": 1},
        channels=("inapp", "sms"),
    )
    assert [(r.channel, r.address, r.status) for r in rows] == [
        ("inapp", "", "pending"),
        ("sms", user.phone, "pending"),
    ]
    assert rows[0].payload == {"appeal": 1}
    assert all(r.pk for r in rows)


def test_email_is_queued_only_when_an_address_is_given(user):
    assert notify_user(user=user, kind="k", title="t", channels=("email",)) == []
    rows = notify_user(
        user=user, kind="k", title="t", data={"email": "li@example.cn"}, channels=("email",)
    )
    assert [r.address for r in rows] == ["li@example.cn"]


def test_notify_users_deduplicates_users(user, other_user):
    rows = notify_users(users=[user, other_user, user], kind="k", title="t")
    assert sorted(r.user_id for r in rows) == sorted([user.pk, other_user.pk])


def test_unknown_channel_is_refused(user):
    with pytest.raises(InvalidInput) as exc:
        notify_user(user=user, kind="k", title="t", channels=("fax",))
    assert exc.value.code == "notify_channel_unknown"
    assert Outbox.objects.count() == 0


def test_notify_phone_normalises_and_refuses_a_bad_number():
    row = notify_phone(phone="138 0013 8000", kind="otp", body="验证码 123456")
    assert (row.channel, row.address) == ("sms", "13800138000")
    with pytest.raises(InvalidInput):
        notify_phone(phone="12345", kind="otp", body="x")


def test_notify_event_writes_a_row_per_subscribed_active_webhook():
    a = Webhook.objects.create(name="a", url="http://a.example/", events=["appeal.created"])
    b = Webhook.objects.create(name="b", url="http://b.example/", events=["*"])
    Webhook.objects.create(name="c", url="http://c.example/", events=["appeal.closed"])
    Webhook.objects.create(name="d", url="http://d.example/", events=["*"], active=False)
    rows = notify_event(kind="appeal.created", payload={"id": 7})
    assert sorted(r.webhook_id for r in rows) == sorted([a.pk, b.pk])
    assert {r.address for r in rows} == {"http://a.example/", "http://b.example/"}


def test_delivery_marks_inapp_sent_and_creates_the_notification(user):
    row = notify_user(user=user, kind="k", title="新诉求", body="b", url="/x/")[0]
    assert outbox_deliver_due() == 1
    row.refresh_from_db()
    assert row.status == OutboxStatus.SENT and row.sent_at and row.attempts == 1
    assert row.locked_until is None
    n = Notification.objects.get(outbox=row)
    assert (n.user, n.title, n.body, n.url, n.read_at) == (user, "新诉求", "b", "/x/", None)
    assert outbox_deliver_due() == 0


def test_email_is_sent_with_the_delivery_header(user):
    row = notify_user(
        user=user,
        kind="k",
        title="主题",
        body="正文",
        data={"email": "li@example.cn"},
        channels=("email",),
    )[0]
    outbox_deliver_due()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert (message.to, message.subject, message.body) == (["li@example.cn"], "主题", "正文")
    assert message.extra_headers["X-Linli-Delivery"] == str(row.pk)


def test_a_failed_delivery_is_retried_with_backoff_and_delivered_exactly_once(user, flaky_sms):
    flaky_sms.fail_next = 1
    with transaction.atomic():
        row = notify_user(user=user, kind="k", title="请领办", channels=("sms",))[0]
    now = later(1)

    assert outbox_deliver_due(now=now) == 1
    row.refresh_from_db()
    assert row.status == OutboxStatus.RETRY and row.attempts == 1
    assert row.next_attempt_at == now + dt.timedelta(seconds=30)
    assert "gateway down" in row.last_error
    assert flaky_sms.sent == []

    # Not due before the backoff has passed.
    assert outbox_deliver_due(now=now + dt.timedelta(seconds=29)) == 0
    assert outbox_deliver_due(now=now + dt.timedelta(seconds=30)) == 1
    row.refresh_from_db()
    assert row.status == OutboxStatus.SENT and row.attempts == 2 and row.last_error == ""
    assert outbox_deliver_due(now=now + dt.timedelta(hours=5)) == 0
    assert flaky_sms.sent == [(user.phone, "请领办", row.pk)]


def test_backoff_doubles_and_is_capped():
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff(30).total_seconds() == 3600


def test_a_row_is_dead_after_max_attempts(user, flaky_sms, linli):
    linli(OUTBOX_MAX_ATTEMPTS=3)
    flaky_sms.fail_next = 100
    row = notify_phone(phone=user.phone, kind="otp", body="x")
    now = later(1)
    for step in range(5):
        outbox_deliver_due(now=now + dt.timedelta(hours=2 * step))
    row.refresh_from_db()
    assert row.status == OutboxStatus.DEAD and row.attempts == 3
    assert flaky_sms.sent == []


class Killed(BaseException):
    """Stands for the worker process dying mid-delivery."""


def test_an_expired_lease_is_redelivered_but_the_notification_is_created_once(user, monkeypatch):
    row = notify_user(user=user, kind="k", title="t")[0]
    now = later(1)
    real_mark_sent = services._mark_sent
    monkeypatch.setattr(services, "_mark_sent", lambda row: (_ for _ in ()).throw(Killed()))
    with pytest.raises(Killed):
        outbox_deliver_due(now=now)
    row.refresh_from_db()
    assert row.status == OutboxStatus.PENDING and row.locked_until == now + services.LEASE
    assert Notification.objects.filter(outbox=row).count() == 1

    monkeypatch.setattr(services, "_mark_sent", real_mark_sent)
    # Another worker leaves the leased row alone until the lease expires.
    assert outbox_deliver_due(now=now + dt.timedelta(seconds=30)) == 0
    assert outbox_deliver_due(now=now + dt.timedelta(seconds=61)) == 1
    row.refresh_from_db()
    assert row.status == OutboxStatus.SENT and row.attempts == 2
    assert Notification.objects.filter(outbox=row).count() == 1
    assert Notification.objects.filter(user=user).count() == 1


def test_a_deactivated_webhook_is_not_called(flaky_sms):
    hook = Webhook.objects.create(name="a", url="http://127.0.0.1:9/", events=["*"])
    row = notify_event(kind="k", payload={})[0]
    hook.active = False
    hook.save()
    outbox_deliver_due()
    row.refresh_from_db()
    assert row.status == OutboxStatus.RETRY and "deactivated" in row.last_error


def test_delivery_is_kicked_after_commit(user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            row = notify_user(user=user, kind="k", title="t")[0]
            assert Notification.objects.count() == 0
    assert len(callbacks) == 1
    row.refresh_from_db()
    assert row.status == OutboxStatus.SENT
    assert Notification.objects.filter(user=user).count() == 1


def test_a_failing_kick_never_breaks_the_caller(
    user, monkeypatch, django_capture_on_commit_callbacks
):
    from linli.notify import tasks

    def broken():
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.outbox_deliver, "apply", broken)
    monkeypatch.setattr(tasks.outbox_deliver, "delay", broken)
    with django_capture_on_commit_callbacks(execute=True):
        rows = notify_user(user=user, kind="k", title="t")
    # The row waits for the periodic tick.
    assert Outbox.objects.get(pk=rows[0].pk).status == OutboxStatus.PENDING


def test_the_task_delivers_what_is_due(user):
    from linli.notify.tasks import outbox_deliver

    notify_user(user=user, kind="k", title="t")
    assert outbox_deliver() == 1
    assert Outbox.objects.get().channel == Channel.INAPP
    assert Outbox.objects.get().status == OutboxStatus.SENT


def test_under_deliveries_by_tick_the_kick_only_makes_the_outbox_tick_due(
    user, monkeypatch, django_capture_on_commit_callbacks
):
    """The doorbell bridge's threads queue SMS but do not send them: the kick makes the
    outbox tick due at once in the process (the Ticker of `serve` runs it within a
    second), and the tick delivers."""
    import time

    from linli.core import ticks

    monkeypatch.setitem(ticks._last_run, services.OUTBOX_TICK, time.monotonic())
    with services.deliveries_by_tick(), django_capture_on_commit_callbacks(execute=True) as hooks:
        row = notify_user(user=user, kind="k", title="t", channels=("sms",))[0]
    assert len(hooks) == 1
    row.refresh_from_db()
    assert row.status == OutboxStatus.PENDING
    assert services.OUTBOX_TICK not in ticks._last_run  # due now
    assert ticks.execute(services.OUTBOX_TICK).ok
    row.refresh_from_db()
    assert row.status == OutboxStatus.SENT
    # Outside the block, the kick delivers after the commit as before.
    with django_capture_on_commit_callbacks(execute=True):
        other = notify_user(user=user, kind="k", title="t", channels=("sms",))[0]
    other.refresh_from_db()
    assert other.status == OutboxStatus.SENT
