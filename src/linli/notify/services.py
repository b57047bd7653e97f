"""Every write on notifications: enqueue, deliver, retry, mark read.

The enqueue functions (`notify_*`) only insert outbox rows, so they belong
inside the caller's transaction: a rollback takes the notifications with it.
After commit they kick the delivery task; if that kick is lost (the process
dies, the broker is down) the periodic tick delivers the rows anyway.

Delivery is at-least-once: a worker claims due rows under a lease, delivers
outside any transaction, then marks each row sent or schedules a retry with
exponential backoff. A worker killed mid-delivery leaves a row whose lease
expires and which the next run delivers again.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import contextvars
import datetime as dt
import logging
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from asgiref.sync import async_to_sync
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.models import AuditAction
from linli.accounts.services import audit_record
from linli.core import serverloop
from linli.core.errors import Forbidden, InvalidInput
from linli.core.inputs import is_id
from linli.core.ticks import nudge
from linli.core.validators import normalize_mobile

from . import backends
from .models import (
    DUE_STATUSES,
    FAILED_STATUSES,
    Channel,
    Notification,
    Outbox,
    OutboxStatus,
    Webhook,
)
from .selectors import can_manage_outbox, unread_count

if TYPE_CHECKING:
    from linli.accounts.models import User

logger = logging.getLogger("linli.notify")

# How long a claimed row stays a worker's: renewed before each delivery, so a
# batch may take longer than this, but a row a dead worker held is due again
# this long after it began to deliver it (settings LINLI["OUTBOX_LEASE_SECONDS"]).
LEASE = dt.timedelta(seconds=60)


def _lease() -> dt.timedelta:
    seconds = settings.LINLI.get("OUTBOX_LEASE_SECONDS")
    return dt.timedelta(seconds=int(seconds)) if seconds else LEASE


OUTBOX_TICK = "notify.outbox"  # the tick's name (apps.py)
BACKOFF_BASE = 30  # seconds before the first retry; doubles each attempt
BACKOFF_MAX = 60 * 60
CHANNELS = frozenset(Channel.values)


# In an in-app row's payload: delivered without a toast (the badge only); see notify_users.
QUIET = "quiet"


def user_group(user_id: int) -> str:
    """The Channels group of a user's open pages."""
    return f"notify.user.{user_id}"


def notify_pushes_message(pushes: list[dict[str, Any]]) -> dict[str, Any]:
    """One channel-layer message carrying several "notify.push" messages for one user's
    group, forwarded by the consumer one by one in this order: a burst (the doorbell
    bridge's batch) costs one group send a user instead of one a push."""
    return {"type": "notify.pushes", "pushes": [{**p, "type": "notify.push"} for p in pushes]}


# --- enqueue ------------------------------------------------------------------------


_delivery_inline = contextvars.ContextVar("linli_notify_delivery_inline", default=True)


@contextlib.contextmanager
def deliveries_by_tick() -> Iterator[None]:
    """Within this block, a kick without a Celery broker does not deliver in this thread
    after the commit (the eager default): it only makes the outbox tick due, and the
    `Ticker` of this process (`serve`) delivers within a second, or the tick of another
    process within its interval. For the doorbell bridge, whose threads must only take
    messages in. With a broker the kick is queued as always (cheap)."""
    token = _delivery_inline.set(False)
    try:
        yield
    finally:
        _delivery_inline.reset(token)


def _kick() -> None:
    """After commit, ask a worker to deliver now (in-process when there is no broker,
    unless `deliveries_by_tick` says otherwise)."""

    def run() -> None:
        try:
            from .tasks import outbox_deliver

            if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
                if not _delivery_inline.get():
                    nudge(OUTBOX_TICK)
                    return
                # apply() runs here and now whether or not the Celery app has
                # read the Django settings yet.
                outbox_deliver.apply()
            else:
                outbox_deliver.delay()
        except Exception:
            # Never break the caller: the periodic tick delivers what is due.
            logger.exception("notify: could not kick delivery; the tick will deliver")

    transaction.on_commit(run)


def _check(kind: str, channels: Iterable[str]) -> tuple[str, ...]:
    if not kind:
        raise InvalidInput(_("A notification needs a kind."), code="notify_kind_missing")
    channels = tuple(channels)
    unknown = [c for c in channels if c not in CHANNELS]
    if unknown:
        raise InvalidInput(
            _("Unknown notification channel: %(name)s.") % {"name": ", ".join(unknown)},
            code="notify_channel_unknown",
        )
    return channels


def _webhooks_for(kind: str) -> list[Webhook]:
    # Few subscribers: filter in Python rather than rely on JSON lookups that
    # SQLite lacks.
    return [w for w in Webhook.objects.filter(active=True).order_by("id") if w.wants(kind)]


def _event_rows(kind: str, payload: dict[str, Any], hooks: list[Webhook]) -> list[Outbox]:
    return [
        Outbox(channel=Channel.WEBHOOK, kind=kind, webhook=w, address=w.url, payload=payload)
        for w in hooks
    ]


def _user_rows(
    user: User,
    *,
    kind: str,
    title: str,
    body: str,
    url: str,
    data: dict[str, Any],
    channels: tuple[str, ...],
    hooks: list[Webhook] | None,
    quiet: bool = False,
) -> list[Outbox]:
    rows: list[Outbox] = []
    common: dict[str, Any] = {
        "kind": kind,
        "user": user,
        "title": title,
        "body": body,
        "url": url,
        "payload": data,
    }
    for channel in channels:
        if channel == Channel.INAPP:
            if quiet:
                rows.append(Outbox(channel=channel, **{**common, "payload": {**data, QUIET: True}}))
            else:
                rows.append(Outbox(channel=channel, **common))
        elif channel == Channel.SMS and user.phone:
            rows.append(Outbox(channel=channel, address=user.phone, **common))
        elif channel == Channel.EMAIL:
            # The User model has no e-mail field: the caller passes data["email"].
            email = getattr(user, "email", "") or data.get("email", "")
            if email:
                rows.append(Outbox(channel=channel, address=email, **common))
        elif channel == Channel.WEBHOOK:
            event = {"user": user.pk, "title": title, "body": body, "url": url, "data": data}
            rows.extend(_event_rows(kind, event, hooks or []))
    return rows


def notify_user(
    *,
    user: User,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    data: dict[str, Any] | None = None,
    channels: tuple[str, ...] = ("inapp",),
) -> list[Outbox]:
    """Queue a notification to one user on each channel; call inside the caller's transaction.

    "sms" goes to the user's mobile; "email" only when `data["email"]` is
    given (accounts have no e-mail address); "webhook" to every active
    webhook subscribed to `kind`.
    """
    return notify_users(
        users=[user], kind=kind, title=title, body=body, url=url, data=data, channels=channels
    )


def notify_users(
    *,
    users: Iterable[User | None],
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    data: dict[str, Any] | None = None,
    channels: tuple[str, ...] = ("inapp",),
    quiet: bool = False,
) -> list[Outbox]:
    """Queue one notification to many users (each once) in one bulk insert.

    `quiet`: the in-app rows update the open pages' badge when delivered but show no
    toast (`QUIET` in their payload): for news the caller has already shown live (the
    doorbell's alarm banner)."""
    channels = _check(kind, channels)
    data = dict(data or {})
    hooks = _webhooks_for(kind) if Channel.WEBHOOK in channels else None
    seen: set[int] = set()
    rows: list[Outbox] = []
    for user in users:
        if user is None or user.pk in seen:
            continue
        seen.add(user.pk)
        rows.extend(
            _user_rows(
                user,
                kind=kind,
                title=title,
                body=body,
                url=url,
                data=data,
                channels=channels,
                hooks=hooks,
                quiet=quiet,
            )
        )
    return _insert(rows)


def notify_phone(*, phone: str, kind: str, body: str, data: dict[str, Any] | None = None) -> Outbox:
    """Queue an SMS to a bare mobile number (a resident without an account, a one-time code)."""
    _check(kind, ())
    row = Outbox(
        channel=Channel.SMS,
        kind=kind,
        address=normalize_mobile(phone),
        body=body,
        payload=dict(data or {}),
    )
    return _insert([row])[0]


def notify_event(*, kind: str, payload: dict[str, Any]) -> list[Outbox]:
    """Queue one webhook delivery per active webhook subscribed to `kind` (or to "*")."""
    _check(kind, ())
    return _insert(_event_rows(kind, dict(payload), _webhooks_for(kind)))


_collected: contextvars.ContextVar[list[Outbox] | None] = contextvars.ContextVar(
    "linli_notify_collected", default=None
)


@contextlib.contextmanager
def outbox_collected() -> Iterator[None]:
    """The rows the enqueue functions queue in this block are inserted when it ends
    without an error, in one bulk insert with one kick, instead of one insert each (the
    doorbell bridge's batches). Inside the block they return their rows unsaved (no
    primary key yet). Call it inside the caller's transaction, as the functions."""
    rows: list[Outbox] = []
    token = _collected.set(rows)
    try:
        yield
    finally:
        _collected.reset(token)
    _insert(rows)


def _insert(rows: list[Outbox]) -> list[Outbox]:
    if not rows:
        return []
    now = timezone.now()
    for row in rows:
        row.created_at = row.next_attempt_at = now
    collected = _collected.get()
    if collected is not None:
        collected.extend(rows)
        return rows
    created = Outbox.objects.bulk_create(rows)
    _kick()
    return created


# --- delivery -----------------------------------------------------------------------


def backoff(attempts: int) -> dt.timedelta:
    """Wait before the next attempt after `attempts` failures: 30 s, 60 s, 2 min … 1 h."""
    return dt.timedelta(seconds=min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_MAX))


def _claim(*, now: dt.datetime, limit: int) -> list[Outbox]:
    """Lease up to `limit` due rows to this worker, in a short transaction of its own."""
    with transaction.atomic():
        # skip_locked: two workers claim different rows instead of queueing
        # (PostgreSQL; SQLite serialises writers and Django ignores it there).
        ids = list(
            Outbox.objects.select_for_update(skip_locked=True)
            .filter(status__in=DUE_STATUSES, next_attempt_at__lte=now)
            .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
            .order_by("next_attempt_at", "id")
            .values_list("id", flat=True)[:limit]
        )
        if not ids:
            return []
        Outbox.objects.filter(pk__in=ids).update(
            locked_until=now + _lease(), attempts=F("attempts") + 1
        )
    return list(Outbox.objects.filter(pk__in=ids).select_related("user", "webhook").order_by("id"))


def outbox_deliver_due(*, now: dt.datetime | None = None, limit: int = 200) -> int:
    """Deliver what is due (the worker's job); return how many deliveries were attempted."""
    now = now or timezone.now()
    rows = _claim(now=now, limit=limit)
    for row in rows:
        if not _renew(row):
            continue  # the lease ran out and another worker took the row over
        try:
            _deliver(row)
        except Exception as exc:
            _mark_failed(row, exc, now=now)
        else:
            _mark_sent(row)
    return len(rows)


def _renew(row: Outbox) -> bool:
    """Extend this worker's lease on `row` just before delivering it; False if lost.

    The rows of a batch are delivered one after another, each webhook up to its
    HTTP timeout: without renewal the last rows' leases could run out while the
    worker is alive, and a second worker would deliver them too.
    """
    until = timezone.now() + _lease()
    if row.locked_until is not None and row.locked_until > until:
        until = row.locked_until  # never shorten (a caller's clock may run ahead)
    renewed = Outbox.objects.filter(
        pk=row.pk, locked_until=row.locked_until, status__in=DUE_STATUSES
    ).update(locked_until=until)
    if renewed:
        row.locked_until = until
    return bool(renewed)


def _deliver(row: Outbox) -> None:
    if row.channel == Channel.INAPP:
        _deliver_inapp(row)
    elif row.channel == Channel.SMS:
        backends.get_sms_backend().send(to=row.address, text=sms_text(row), id=row.pk)
    elif row.channel == Channel.EMAIL:
        text = "\n\n".join(p for p in (row.body, row.url) if p)
        backends.send_email(to=row.address, subject=row.title or row.kind, text=text, id=row.pk)
    elif row.channel == Channel.WEBHOOK:
        hook = row.webhook
        if hook is None or not hook.active:
            raise backends.DeliveryError("the webhook was removed or deactivated")
        backends.post_webhook(
            url=row.address, secret=hook.secret, event=row.kind, id=row.pk, payload=row.payload
        )
    else:
        raise backends.DeliveryError(f"unknown channel {row.channel!r}")


def sms_text(row: Outbox) -> str:
    return " ".join(p for p in (row.title, row.body) if p)


def _deliver_inapp(row: Outbox) -> None:
    if row.user_id is None:
        raise backends.DeliveryError("no recipient")
    # The OneToOne on outbox makes a redelivery find the notification already there.
    notification, created = Notification.objects.get_or_create(
        outbox=row,
        defaults={
            "user_id": row.user_id,
            "kind": row.kind,
            "title": row.title,
            "body": row.body,
            "url": row.url,
            "created_at": row.created_at,
        },
    )
    if created and (row.payload or {}).get(QUIET):
        # Already shown live by the caller (the doorbell's banner): the badge only.
        push(row.user_id, unread=unread_count(row.user))
    elif created:
        push(
            row.user_id,
            unread=unread_count(row.user),
            title=notification.title,
            body=notification.body,
            url=notification.url,
        )


def push(user_id: int, *, unread: int, title: str = "", body: str = "", url: str = "") -> None:
    """Tell the user's open pages the unread count (and a new title); never raise."""
    try:
        from channels.layers import get_channel_layer

        layer = get_channel_layer()
        if layer is None:
            return
        message = {"type": "notify.push", "unread": unread}
        if title:
            message.update(title=title, body=body, url=url)
        # The in-memory layer's consumers wait on the server's loop: from another thread
        # (the ticker delivering) the send goes onto that loop, not waited for.
        loop = serverloop.loop_for(layer)
        if loop is None:
            async_to_sync(layer.group_send)(user_group(user_id), message)
            return
        future = asyncio.run_coroutine_threadsafe(
            layer.group_send(user_group(user_id), message), loop
        )
        future.add_done_callback(lambda f: _push_failed(user_id, f))
    except Exception:
        # Live push is a courtesy: the badge is right again on the next page load.
        logger.warning("notify: live push to user %s failed", user_id, exc_info=True)


def _push_failed(user_id: int, future: concurrent.futures.Future[None]) -> None:
    if not future.cancelled() and future.exception() is not None:
        logger.warning("notify: live push to user %s failed", user_id, exc_info=future.exception())


def _mark_sent(row: Outbox) -> None:
    Outbox.objects.filter(pk=row.pk, status__in=DUE_STATUSES).update(
        status=OutboxStatus.SENT, sent_at=timezone.now(), locked_until=None, last_error=""
    )


def _mark_failed(row: Outbox, exc: Exception, *, now: dt.datetime) -> None:
    error = f"{type(exc).__name__}: {exc}"[:2000]
    dead = row.attempts >= settings.LINLI["OUTBOX_MAX_ATTEMPTS"]
    logger.warning(
        "notify: %s delivery #%s failed (attempt %s)%s: %s",
        row.channel,
        row.pk,
        row.attempts,
        ", giving up" if dead else "",
        error,
    )
    # Only while we still hold the lease: if it expired and another worker
    # took the row over, that worker's outcome stands.
    Outbox.objects.filter(pk=row.pk, locked_until=row.locked_until).update(
        status=OutboxStatus.DEAD if dead else OutboxStatus.RETRY,
        next_attempt_at=now + backoff(row.attempts),
        locked_until=None,
        last_error=error,
    )


# --- administration -----------------------------------------------------------------


@transaction.atomic
def outbox_retry(*, actor: User, ids: Iterable[int | str]) -> int:
    """Re-queue failed or waiting rows for delivery now, with a fresh set of attempts."""
    if not can_manage_outbox(actor):
        raise Forbidden(
            _("Only an administrator may retry notifications."), code="notify_not_admin"
        )
    given = list(ids)
    if not all(is_id(i) for i in given):
        raise InvalidInput(_("Choose the messages to retry."), code="notify_ids_invalid")
    wanted = {int(i) for i in given}
    rows = list(
        Outbox.objects.select_for_update()
        .filter(pk__in=wanted, status__in=FAILED_STATUSES)
        .order_by("id")
    )
    if not rows:
        return 0
    Outbox.objects.filter(pk__in=[r.pk for r in rows]).update(
        status=OutboxStatus.PENDING, attempts=0, next_attempt_at=timezone.now(), locked_until=None
    )
    for row in rows:
        audit_record(
            actor=actor,
            action=AuditAction.OUTBOX_RETRY,
            target=row,
            detail={
                "channel": row.channel,
                "kind": row.kind,
                "status": row.status,
                "attempts": row.attempts,
            },
        )
    _kick()
    return len(rows)


# --- the inbox ----------------------------------------------------------------------


def _push_count_on_commit(user_id: int) -> None:
    """After commit, bring the user's other open pages' badges up to date."""

    def run() -> None:
        push(user_id, unread=Notification.objects.filter(user_id=user_id, read_at=None).count())

    transaction.on_commit(run)


@transaction.atomic
def notification_read(*, actor: User, notification: Notification) -> Notification:
    """Mark one of the actor's notifications read.

    Not audited: it changes only the actor's own inbox, and an audit row per
    read would outnumber the notifications themselves.
    """
    if notification.user_id != actor.pk:
        raise Forbidden(_("This is not your notification."), code="notify_not_yours")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
        _push_count_on_commit(actor.pk)
    return notification


@transaction.atomic
def notification_read_all(*, actor: User) -> int:
    """Mark all the actor's unread notifications read; return how many."""
    count = Notification.objects.filter(user=actor, read_at=None).update(read_at=timezone.now())
    if count:
        _push_count_on_commit(actor.pk)
    return count
