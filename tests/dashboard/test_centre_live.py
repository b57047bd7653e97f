"""The command centre's live socket (`/ws/centre/<unit>/`, the real ASGI application on
the in-memory channel layer): a page showing a unit hears every new appeal, transition
and doorbell alarm of its subtree, and nothing of another town's."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async

from linli.appeals import services as appeal_services
from tests.doorbell.alarm_kit import AlarmWorld
from tests.doorbell.test_alarm_live import HEADERS, cookie_of, socket
from tests.notify.fakes import WebsocketClient
from tests.support import factories
from tests.support.roles import Actors

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_town_page_hears_its_appeals_and_alarms_and_nothing_of_another_town(
    county, reference_data
):
    actors = Actors(county)
    world = AlarmWorld(county)
    town, other = cookie_of(actors.town), cookie_of(actors.town_b)
    town_url = f"/ws/centre/{county.town_a.pk}/"
    other_url = f"/ws/centre/{county.town_b.pk}/"

    async def run():
        mine = socket(town, town_url)
        theirs = socket(other, other_url)
        assert await mine.connect() and await theirs.connect()
        filed = await database_sync_to_async(
            lambda: factories.appeal(county.households_a[1], description="井盖坏了，请尽快处理。")
        )()
        heard_filed = await mine.receive_json()
        await database_sync_to_async(
            lambda: appeal_services.appeal_act(
                actor=actors.fresh(world.rep), appeal=filed, action="claim"
            )
        )()
        heard_claim = await mine.receive_json()
        alarm = await database_sync_to_async(world.press)()
        heard_alarm = await mine.receive_json()
        quiet = await theirs.receive_nothing(timeout=0.3)
        await mine.disconnect()
        await theirs.disconnect()
        return filed, heard_filed, heard_claim, alarm, heard_alarm, quiet

    filed, heard_filed, heard_claim, alarm, heard_alarm, quiet = async_to_sync(run)()
    assert heard_filed["kind"] == "appeal"
    assert heard_filed["appeal"]["code"] == filed.code
    assert heard_filed["appeal"]["action"] == "filed"
    assert heard_filed["appeal"]["status"] == "pending"
    assert "reporter" not in str(heard_filed) and factories.RESIDENT_PHONE not in str(heard_filed)
    assert heard_claim["appeal"]["action"] == "claim"
    assert heard_claim["appeal"]["status"] == "claimed"
    assert heard_alarm["kind"] == "alarm" and heard_alarm["alarm"]["id"] == alarm.pk
    assert quiet  # town B's page hears nothing of town A


def test_the_socket_refuses_another_towns_unit_and_the_anonymous(county, reference_data):
    actors = Actors(county)
    cookie, rep_cookie = cookie_of(actors.town), cookie_of(actors.rep)

    async def run():
        theirs = await socket(cookie, f"/ws/centre/{county.town_b.pk}/").connect()
        missing = await socket(cookie, "/ws/centre/999999/").connect()
        anonymous = await WebsocketClient(
            application_, f"/ws/centre/{county.town_a.pk}/", HEADERS
        ).connect()
        rep = await socket(rep_cookie, f"/ws/centre/{county.town_a.pk}/").connect()
        return theirs, missing, anonymous, rep

    from linli.asgi import application as application_

    theirs, missing, anonymous, rep = async_to_sync(run)()
    assert theirs is False and missing is False and anonymous is False
    assert rep is False  # a representative has no dashboard of the town
