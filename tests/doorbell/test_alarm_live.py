"""The live side of an alarm: the push to the pages of the people told (the contract the
benchmark reads: `alarm.id`, `alarm.device`, `alarm.seq`) and the panel's socket, which
hears every change of the alarms of the user's units (the real ASGI application,
in-memory channel layer)."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async

from linli.asgi import application
from linli.doorbell import services
from tests.notify.fakes import WebsocketClient

from .alarm_kit import AlarmWorld

pytestmark = pytest.mark.django_db(transaction=True)

HEADERS = [(b"origin", b"http://testserver"), (b"host", b"testserver")]


def cookie_of(user) -> str:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


def socket(cookie: str, path: str) -> WebsocketClient:
    return WebsocketClient(application, path, [*HEADERS, (b"cookie", cookie.encode())])


def test_the_primary_gets_the_alarm_push_with_sound(county):
    world = AlarmWorld(county)
    cookie = cookie_of(world.rep)

    async def run():
        ws = socket(cookie, "/ws/notify/")
        assert await ws.connect()
        await ws.receive_json()  # the unread count
        alarm = await database_sync_to_async(world.press)()
        pushed = await ws.receive_json()
        await ws.disconnect()
        return alarm, pushed

    alarm, pushed = async_to_sync(run)()
    assert pushed["sound"] is True
    assert pushed["url"] == f"/doorbell/alarms/{alarm.pk}/"
    assert pushed["alarm"]["id"] == alarm.pk
    assert pushed["alarm"]["device"] == world.device.device_id
    assert pushed["alarm"]["seq"] == alarm.message.seq
    assert pushed["alarm"]["status"] == "notified"
    assert pushed["alarm"]["household"] == world.household.address


def test_the_panel_hears_every_change_of_its_units_only(county):
    world = AlarmWorld(county)
    town_cookie, other_cookie = cookie_of(world.town), cookie_of(world.town_b)

    async def run():
        town = socket(town_cookie, "/ws/doorbell/alarms/")
        other = socket(other_cookie, "/ws/doorbell/alarms/")
        assert await town.connect() and await other.connect()
        alarm = await database_sync_to_async(world.press)()
        raised = await town.receive_json()
        await database_sync_to_async(
            lambda: services.alarm_acknowledge(actor=world.rep, alarm=alarm)
        )()
        acked = await town.receive_json()
        quiet = await other.receive_nothing(timeout=0.3)
        await town.disconnect()
        await other.disconnect()
        return alarm, raised, acked, quiet

    alarm, raised, acked, quiet = async_to_sync(run)()
    assert raised["change"] == "notified" and raised["alarm"]["id"] == alarm.pk
    assert acked["change"] == "acknowledged" and acked["alarm"]["status"] == "acknowledged"
    assert quiet  # town B's panel hears nothing of town A


def test_the_panel_socket_refuses_the_anonymous(db):
    async def run():
        return await WebsocketClient(application, "/ws/doorbell/alarms/", HEADERS).connect()

    assert async_to_sync(run)() is False


def test_a_channel_layer_outage_never_breaks_the_press(county, settings, caplog):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},
        }
    }
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    try:
        world = AlarmWorld(county)
        alarm = world.press()
        assert alarm.pk and alarm.notices.count() == 1
        # The push is not waited for: its failure is logged when it is done.
        assert services.pushes_settled(5)
        assert "live push" in caplog.text
    finally:
        channel_layers.backends.clear()
