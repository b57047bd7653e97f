"""The transport of the alarm's live push (issue 13's review): a push sent from another
thread reaches consumers waiting on the server's loop at once (in-memory layer); a
channel layer that is away never holds up the intake and cannot pile pushes up; and the
alarm stays in the in-app inbox of each account told, without a second toast."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time

import pytest
import uvicorn
from asgiref.sync import async_to_sync, sync_to_async
from channels.db import database_sync_to_async
from channels.layers import InMemoryChannelLayer, channel_layers, get_channel_layer
from django.db import transaction
from redis.exceptions import ConnectionError as RedisConnectionError

from linli.asgi import application
from linli.core import serverloop
from linli.core.management.commands.serve import _Server
from linli.doorbell import services
from linli.notify import services as notify_services
from linli.notify.models import Notification, Outbox
from tests.notify.fakes import WebsocketClient
from tests.support.roles import make_user

from .alarm_kit import AlarmWorld

HEADERS = [(b"origin", b"http://testserver"), (b"host", b"testserver")]


class ServerLoop:
    """A loop in a thread of its own, registered as the server's (as `serve` does), where
    a receiver waits on the in-memory layer like a page's consumer."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        serverloop.register(self.loop)

    def run(self, coro, timeout: float = 5):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        serverloop.unregister(self.loop)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@pytest.fixture
def server_loop():
    channel_layers.backends.clear()
    loop = ServerLoop()
    try:
        yield loop
    finally:
        loop.close()
        channel_layers.backends.clear()


def _receiver(server_loop: ServerLoop, group: str):
    """Join `group` on the server's loop and start waiting; the future of (message, when)."""
    layer = get_channel_layer()
    assert isinstance(layer, InMemoryChannelLayer)

    async def join() -> str:
        channel = await layer.new_channel()
        await layer.group_add(group, channel)
        return channel

    channel = server_loop.run(join())

    async def wait():
        message = await asyncio.wait_for(layer.receive(channel), 3)
        return message, time.monotonic()

    return asyncio.run_coroutine_threadsafe(wait(), server_loop.loop)


def test_a_push_from_another_thread_wakes_the_server_loop_at_once(server_loop):
    waiting = _receiver(server_loop, "doorbell.alarms.u.0001")
    time.sleep(0.1)  # the receiver waits; nothing else wakes the server's loop
    sent = time.monotonic()
    services._send((["doorbell.alarms.u.0001"], {"type": "alarm.change", "change": "notified"}))
    message, received = waiting.result(5)
    assert message["change"] == "notified"
    assert received - sent < 0.5
    assert services.pushes_settled(2)


def test_the_in_app_delivery_push_from_another_thread_wakes_the_server_loop(server_loop):
    group = notify_services.user_group(424242)
    waiting = _receiver(server_loop, group)
    time.sleep(0.1)
    sent = time.monotonic()
    notify_services.push(424242, unread=3)
    message, received = waiting.result(5)
    assert message["unread"] == 3
    assert received - sent < 0.5


def test_without_a_server_loop_the_push_is_sent_in_place():
    """Tests and commands of their own: no loop registered, today's async_to_sync."""
    assert serverloop.registered() is None
    layer = get_channel_layer()

    async def run():
        channel = await layer.new_channel()
        await layer.group_add("doorbell.alarms.u.0002", channel)
        await sync_to_async(services._send)(
            (["doorbell.alarms.u.0002"], {"type": "alarm.change", "change": "closed"})
        )
        return await asyncio.wait_for(layer.receive(channel), 1)

    assert async_to_sync(run)()["change"] == "closed"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _empty_app(scope, receive, send):  # pragma: no cover - never called
    raise AssertionError("no request expected")


def test_serve_records_its_running_loop_while_it_serves():
    config = uvicorn.Config(_empty_app, host="127.0.0.1", port=_free_port(), lifespan="off")
    server = _Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        assert server.started
        loop = serverloop.registered()
        assert loop is not None and loop.is_running()
        assert serverloop.loop_for(InMemoryChannelLayer()) is loop
    finally:
        server.should_exit = True
        thread.join(10)
    assert serverloop.registered() is None


# --- a channel layer that is away ---


@pytest.fixture
def redis_away(settings):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [{"address": "redis://127.0.0.1:1/0", "socket_connect_timeout": 1}]
            },
        }
    }
    channel_layers.backends.clear()
    yield
    assert services.pushes_settled(10)
    channel_layers.backends.clear()


def test_pushes_to_a_closed_port_never_hold_up_the_caller(redis_away, caplog):
    caplog.set_level(logging.WARNING, logger="linli.doorbell")
    started = time.monotonic()
    for n in range(20):
        services._send(
            ([notify_services.user_group(n)], {"type": "notify.push", "title": "x"}),
            ([f"doorbell.alarms.u.{n:04d}"], {"type": "alarm.change", "change": "notified"}),
        )
    assert time.monotonic() - started < 0.3
    assert services.pushes_settled(5)
    failed = [r for r in caplog.records if "live push" in r.getMessage()]
    assert len(failed) == 20
    assert all(r.levelno == logging.WARNING for r in failed)


class StuckLayer:
    """A channel layer whose sends never finish (a Redis that accepts and never answers)."""

    def __init__(self) -> None:
        self.started = 0

    async def group_send(self, group, message):
        self.started += 1
        await asyncio.sleep(60)


def test_pushes_in_flight_are_bounded_and_given_up_after_their_timeout(monkeypatch, caplog):
    caplog.set_level(logging.WARNING, logger="linli.doorbell")
    layer = StuckLayer()
    monkeypatch.setattr("channels.layers.get_channel_layer", lambda *a: layer)
    monkeypatch.setattr(services, "PUSH_IN_FLIGHT", 3)
    monkeypatch.setattr(services, "PUSH_TIMEOUT", 0.5)
    started = time.monotonic()
    for n in range(5):
        services._send(([f"doorbell.alarms.u.{n:04d}"], {"type": "alarm.change"}))
    assert time.monotonic() - started < 0.3
    dropped = [r for r in caplog.records if "dropped" in r.getMessage()]
    assert len(dropped) == 2
    assert services.pushes_settled(5)
    assert layer.started == 3
    gave_up = [r for r in caplog.records if "gave up" in r.getMessage()]
    assert len(gave_up) == 3
    # The places are free again.
    caplog.clear()
    services._send((["doorbell.alarms.u.0009"], {"type": "alarm.change"}))
    assert not [r for r in caplog.records if "dropped" in r.getMessage()]
    assert services.pushes_settled(5)


def test_a_refused_connection_fails_at_once(redis_away):
    """channels_redis's connections retry nothing: a refused connect fails in
    milliseconds, whatever the connect timeout."""
    layer = get_channel_layer()

    async def run():
        started = time.monotonic()
        with pytest.raises(RedisConnectionError):
            await layer.group_send("g", {"type": "x"})
        return time.monotonic() - started

    assert asyncio.run(run()) < 0.5


# --- the in-app inbox ---


def _inapp(user) -> list[Outbox]:
    return list(Outbox.objects.filter(user=user, channel="inapp", kind=services.NOTIFY_KIND))


@pytest.mark.django_db
def test_the_alarm_leaves_a_quiet_in_app_row_for_each_account_told(county):
    world = AlarmWorld(county)
    alarm = world.press()
    rows = _inapp(world.rep)
    assert len(rows) == 1
    row = rows[0]
    assert row.payload == {"alarm": alarm.pk, notify_services.QUIET: True}
    assert row.url == f"/doorbell/alarms/{alarm.pk}/"
    assert world.household.address in row.body
    # Only the people told: the backups and the cadre are not told yet.
    assert not _inapp(world.neighbour) and not _inapp(world.cadre)


@pytest.mark.django_db
def test_the_escalation_leaves_the_backup_an_in_app_row(county):
    import datetime as dt

    from django.utils import timezone

    world = AlarmWorld(county)
    alarm = world.press()
    services.escalate_tick(now=timezone.now() + dt.timedelta(hours=1))
    alarm.refresh_from_db()
    assert alarm.step == 1
    assert len(_inapp(world.neighbour)) == 1
    assert len(_inapp(world.rep)) == 1  # nobody is told twice


@pytest.mark.django_db
def test_the_in_app_row_is_rolled_back_with_the_alarm(county):
    world = AlarmWorld(county)
    with pytest.raises(RuntimeError), transaction.atomic():
        world.press()
        assert len(_inapp(world.rep)) == 1
        raise RuntimeError("the intake fails after the alarm")
    assert not _inapp(world.rep)


@pytest.mark.django_db
def test_a_switched_off_account_gets_no_in_app_row(county):
    world = AlarmWorld(county)
    world.rep.is_active = False
    world.rep.save(update_fields=["is_active"])
    world.press()
    assert not _inapp(world.rep)


def cookie_of(user) -> str:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


@pytest.mark.django_db(transaction=True)
def test_the_open_page_gets_the_banner_once_and_the_badge_without_a_toast(county):
    """The delivery of the in-app row (eager in the tests) pushes the count only: the
    page's script shows a toast only for a push with a title (notify.js)."""
    world = AlarmWorld(county)
    cookie = cookie_of(world.rep)

    async def run():
        ws = WebsocketClient(application, "/ws/notify/", [*HEADERS, (b"cookie", cookie.encode())])
        assert await ws.connect()
        await ws.receive_json()  # the unread count
        alarm = await database_sync_to_async(world.press)()
        first = await ws.receive_json()
        second = await ws.receive_json()
        nothing = await ws.receive_nothing(timeout=0.3)
        await ws.disconnect()
        return alarm, first, second, nothing

    alarm, first, second, nothing = async_to_sync(run)()
    assert first["alarm"]["id"] == alarm.pk and first["sound"] is True
    assert second == {"unread": 1}
    assert nothing
    notification = Notification.objects.get(user=world.rep)
    assert notification.kind == services.NOTIFY_KIND
    assert notification.url == f"/doorbell/alarms/{alarm.pk}/"
    assert notification.read_at is None


@pytest.mark.django_db
def test_notify_users_quiet_marks_only_the_in_app_rows():
    user = make_user("13955550099", "李安静")
    rows = notify_services.notify_users(
        users=[user], kind="x.y", title="t", channels=("inapp", "sms"), quiet=True
    )
    by_channel = {r.channel: r.payload for r in rows}
    assert by_channel["inapp"] == {notify_services.QUIET: True}
    assert by_channel["sms"] == {}
