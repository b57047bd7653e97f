"""Live push over the WebSocket (in-memory channel layer, the real ASGI application)."""

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.db import transaction

from linli.asgi import application
from linli.notify.services import notify_user

from .fakes import WebsocketClient, http_get

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = (b"origin", b"http://testserver")


def socket(cookie: str = "", origin: tuple[bytes, bytes] = ORIGIN) -> WebsocketClient:
    headers = [origin, (b"host", b"testserver")]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    return WebsocketClient(application, "/ws/notify/", headers)


def session_cookie(client, user) -> str:
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


def test_anonymous_socket_is_refused(db):
    async def run():
        return await socket().connect()

    assert async_to_sync(run)() is False


def test_a_foreign_origin_is_refused(client, user):
    cookie = session_cookie(client, user)

    async def run():
        return await socket(cookie, origin=(b"origin", b"http://evil.example")).connect()

    assert async_to_sync(run)() is False


def test_user_receives_the_count_then_a_push_after_in_app_delivery(client, user, other_user):
    cookie = session_cookie(client, user)

    def notify_in_a_transaction():
        # The after-commit kick delivers in-process (eager Celery), which pushes.
        with transaction.atomic():
            notify_user(user=other_user, kind="k", title="不是你的")
            notify_user(
                user=user, kind="appeal.assigned", title="新诉求", body="请领办", url="/a/1/"
            )

    async def run():
        ws = socket(cookie)
        assert await ws.connect()
        first = await ws.receive_json()
        await database_sync_to_async(notify_in_a_transaction)()
        pushed = await ws.receive_json()
        nothing_else = await ws.receive_nothing(timeout=0.3)
        await ws.disconnect()
        return first, pushed, nothing_else

    first, pushed, nothing_else = async_to_sync(run)()
    assert first == {"unread": 0}
    assert pushed == {"unread": 1, "title": "新诉求", "body": "请领办", "url": "/a/1/"}
    assert nothing_else


def test_reading_pushes_the_new_count(client, user):
    cookie = session_cookie(client, user)

    def notify_then_read_all():
        from linli.notify.services import notification_read_all

        with transaction.atomic():
            notify_user(user=user, kind="k", title="t")
        notification_read_all(actor=user)

    async def run():
        ws = socket(cookie)
        assert await ws.connect()
        await ws.receive_json()
        await database_sync_to_async(notify_then_read_all)()
        messages = [await ws.receive_json(), await ws.receive_json()]
        await ws.disconnect()
        return messages

    assert [m["unread"] for m in async_to_sync(run)()] == [1, 0]


def test_http_still_goes_to_django(db):
    status, body = async_to_sync(http_get)(application, "/accounts/login/")
    assert status == 200
    assert "登录" in body.decode()


def test_a_session_owing_its_two_factor_code_is_refused(client, user):
    """A user with an authenticator who has given only the password gets no socket."""
    from tests.support.twofactor import enrol

    enrol(user)
    client.force_login(user, verified=False)
    cookie = f"sessionid={client.cookies['sessionid'].value}"

    async def run():
        return await socket(cookie).connect()

    assert async_to_sync(run)() is False

    client.force_login(user)  # now verified
    cookie = f"sessionid={client.cookies['sessionid'].value}"

    async def again():
        ws = socket(cookie)
        ok = await ws.connect()
        await ws.disconnect()
        return ok

    assert async_to_sync(again)() is True
