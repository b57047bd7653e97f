"""A real ASGI server for the browser tests: uvicorn, in a thread of the test process,
serving `linli.asgi:application` (HTTP and the WebSockets, as `serve` does) on a free
port of 127.0.0.1, against the test database.

pytest-django's `live_server` is WSGI: a page's WebSocket (/ws/notify/,
/ws/doorbell/alarms/) gets no answer there. Here the page's sockets are the real
consumers. The test must be transactional (`django_db(transaction=True)`): the server's
threads open their own connections, which see only what is committed (SQLite's
in-memory test database is shared between the threads of the process).

Static files: WhiteNoise's middleware (settings, `WHITENOISE_USE_FINDERS`) serves them
from the apps' folders, and the suite's plain storage (tests/conftest.py) names them
unhashed, so no `collectstatic` is needed.

    def test_something(asgi_server, redis_channel_layer, browser):
        page.goto(f"{asgi_server.url}/accounts/login/")

`redis_channel_layer`: the Channels layer on Redis (a database of its own, flushed at
start), for tests where another thread of the process (the doorbell's MQTT bridge)
pushes to the pages the server holds, as processes do in production.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from dataclasses import dataclass, field

import pytest

from linli.core import serverloop
from tests.support.services import require_service

# Database 14 of the local Redis: the channel layer of these tests only (flushed at start).
REDIS_LAYER_URL = "redis://127.0.0.1:6379/14"


@dataclass
class AsgiServer:
    """uvicorn serving the project's ASGI application in a daemon thread."""

    host: str = "127.0.0.1"
    port: int = 0
    _server: object = None
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None
    _failure: list[BaseException] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 15.0) -> AsgiServer:
        import uvicorn

        from linli.asgi import application

        # Bound here, handed to uvicorn: the port is known and nobody can take it between.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            application,
            lifespan="off",  # as `serve` runs it
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=5,
        )
        server = uvicorn.Server(config)
        self._server = server
        self._loop = asyncio.new_event_loop()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            # As `serve` does: a push from another thread of the process (the test's own,
            # a service's on_commit) goes onto this loop, where the consumers wait.
            serverloop.register(self._loop)
            try:
                # Not in the main thread: uvicorn installs no signal handlers.
                self._loop.run_until_complete(server.serve(sockets=[sock]))
            except BaseException as exc:  # noqa: BLE001 - reported by start()/stop()
                self._failure.append(exc)
            finally:
                sock.close()
                # Closing the loop also closes channels_redis's pools of this loop.
                self._loop.close()

        self._thread = threading.Thread(target=run, name="asgi-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started and time.monotonic() < deadline and self._thread.is_alive():
            time.sleep(0.05)
        if not server.started:
            self.stop()
            raise RuntimeError(f"uvicorn did not start: {self._failure or 'timed out'}")
        return self

    def stop(self) -> None:
        server, loop, thread = self._server, self._loop, self._thread
        if server is None or thread is None or loop is None:
            return
        if thread.is_alive() and server.started:  # type: ignore[attr-defined]
            self._settle(loop)
            # Close the database connections the server's sync thread holds (Django's
            # views and the consumers' database calls run there), before the test
            # database is flushed.
            from asgiref.sync import sync_to_async
            from django.db import connections

            try:
                asyncio.run_coroutine_threadsafe(
                    sync_to_async(connections.close_all, thread_sensitive=True)(), loop
                ).result(timeout=5)
            except Exception:  # noqa: BLE001, S110 - the server stops all the same
                pass
        server.should_exit = True  # type: ignore[attr-defined]
        thread.join(timeout=15)
        serverloop.unregister(loop)
        self._server = self._thread = None

    @staticmethod
    def _settle(loop: asyncio.AbstractEventLoop, timeout: float = 5.0) -> None:
        """Give the connections the pages closed a moment to end on their own (a socket's
        consumer leaves its groups) rather than have uvicorn cancel them."""

        async def busy() -> int:
            return sum("run_asgi" in repr(t.get_coro()) for t in asyncio.all_tasks())

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if not asyncio.run_coroutine_threadsafe(busy(), loop).result(timeout=2):
                    return
            except Exception:  # noqa: BLE001 - a loop that does not answer is stopped anyway
                return
            time.sleep(0.1)


@pytest.fixture
def asgi_server(transactional_db):
    """The project's ASGI application served by uvicorn on a free port (`.url`)."""
    server = AsgiServer().start()
    yield server
    server.stop()


def redis_available(url: str = REDIS_LAYER_URL) -> bool:
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except (redis.RedisError, OSError):
        return False


@pytest.fixture
def redis_channel_layer(settings):
    """The Channels layer on Redis (db 14, flushed first), configured as production's
    (settings.py, LINLI_REDIS_URL). Skipped locally without Redis, failed in CI
    (LINLI_REQUIRE_SERVICES=1)."""
    import redis
    from channels.layers import channel_layers

    require_service("redis", redis_available(), f"nothing answers at {REDIS_LAYER_URL}")
    client = redis.Redis.from_url(REDIS_LAYER_URL)
    client.flushdb()
    client.close()
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_LAYER_URL,
                        "socket_timeout": 30,
                        "socket_connect_timeout": 2,
                        "health_check_interval": 5,
                    }
                ]
            },
        }
    }
    channel_layers.backends.clear()  # (the settings signal does it too; be sure)
    yield settings.CHANNEL_LAYERS
    channel_layers.backends.clear()
