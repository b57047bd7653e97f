"""Stop Redis (issue 11): pages and filing keep working; live push and the queue resume
when it returns.

Production shape on services of the test's own: PostgreSQL, Redis as the Channels
layer (LINLI_REDIS_URL) and the Celery broker (LINLI_CELERY_BROKER_URL), the server
(`linli serve --no-ticker`), a Celery worker with its beat. A webhook receiver in the
test sees the queue's deliveries; a WebSocket of a handler's page sees live pushes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import uuid

import pytest

from . import kit

pytestmark = pytest.mark.faults

SEED = """
import json, django
django.setup()
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from linli.accounts.models import User
from linli.notify.models import Webhook
Webhook.objects.create(name="fault receiver", url={url!r}, events=["*"])
handler = User.objects.get(pk={rep})  # the household's representative: told of each appeal
session = SessionStore()
session[SESSION_KEY] = str(handler.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = handler.get_session_auth_hash()
session.create()
print(json.dumps({{"session": session.session_key, "handler": handler.pk}}))
"""


def _file(server: kit.Server, seed: dict, tag: str):
    body = {
        "category": "facilities",
        "description": f"redis test {tag}",
        "household_id": seed["household"],
        "reporter_phone": "13912345678",
        "channel": "hotline",
    }
    headers = {"Authorization": f"Bearer {seed['token']}", "Idempotency-Key": str(uuid.uuid4())}
    started = time.monotonic()
    status, _h, answer = kit.request("POST", server.base + "/api/v1/appeals", body, headers)
    return status, answer, time.monotonic() - started


class Socket:
    """The live-push WebSocket of a handler's open page."""

    def __init__(self, server: kit.Server, session: str, *, patience: float = 10) -> None:
        """Connect, trying again as the page's script does until `patience` runs out."""
        from websockets.exceptions import InvalidHandshake
        from websockets.sync.client import connect

        started = time.monotonic()
        while True:
            try:
                self.ws = connect(
                    f"ws://127.0.0.1:{server.port}/ws/notify/",
                    additional_headers={"Cookie": f"sessionid={session}", "Origin": server.base},
                    open_timeout=5,
                )
                first = json.loads(self.ws.recv(timeout=5))
                break
            except (OSError, TimeoutError, ValueError, InvalidHandshake) as exc:
                if time.monotonic() - started > patience:
                    raise AssertionError(f"the live-push socket does not open: {exc!r}") from exc
                time.sleep(1)
        assert "unread" in first
        self.seconds = time.monotonic() - started

    def pushed_title(self, wanted: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                message = json.loads(self.ws.recv(timeout=max(deadline - time.monotonic(), 0.1)))
            except TimeoutError:
                return False
            if wanted in message.get("title", ""):
                return True
        return False

    def close(self) -> None:
        try:
            self.ws.close()
        except Exception:  # noqa: BLE001 - the server may have dropped it already
            pass


def _pending(pg: kit.PgCluster) -> int:
    return int(
        pg.psql("linli_redis", "select count(*) from notify_outbox where status <> 'sent'").strip()
    )


def test_stop_redis_pages_and_filing_keep_working(pg, seeded, var_dir, figures):
    kit.need("redis")
    redis = kit.Redis()
    redis.start()
    url = pg.createdb("linli_redis", template="linli_seed")
    base = redis.url.rsplit("/", 1)[0]
    environ = kit.env(
        LINLI_DATABASE_URL=url,
        LINLI_VAR_DIR=var_dir,
        LINLI_REDIS_URL=f"{base}/0",
        LINLI_CELERY_BROKER_URL=f"{base}/1",
        LINLI_TICK_SECONDS="5",
    )
    receiver = kit.Receiver(delay=0).start()
    server = worker = None
    sockets: list[Socket] = []
    try:
        seed = dict(seeded)
        done = subprocess.run(
            [kit.PYTHON, "-c", SEED.format(url=receiver.url, **seed)],
            env=environ,
            cwd=kit.ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        seed.update(json.loads(done.stdout.strip().splitlines()[-1]))
        server = kit.Server(environ)
        worker = subprocess.Popen(
            [
                kit.PYTHON,
                "-m",
                "celery",
                "-A",
                "linli",
                "worker",
                "-B",
                "--pool",
                "solo",
                "-l",
                "warning",
                "-s",
                f"{var_dir}/beat-schedule",
            ],
            env=environ,
            cwd=kit.ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # -B forks beat: the group is stopped together
        )

        # Redis up: filed, delivered through the queue, pushed live.
        socket = Socket(server, seed["session"])
        sockets.append(socket)
        status, answer, _s = _file(server, seed, "before")
        assert status == 201, answer
        assert socket.pushed_title(json.loads(answer)["code"], timeout=60), "no live push"
        kit.wait_for(lambda: _pending(pg) == 0, timeout=60, what="the queue to deliver")

        # Redis down.
        redis.stop()
        down_codes, slowest = [], 0.0
        for i in range(5):
            status, answer, seconds = _file(server, seed, f"down {i}")
            assert status == 201, answer
            down_codes.append(json.loads(answer)["code"])
            slowest = max(slowest, seconds)
        login = kit.request("GET", server.base + "/accounts/login/")
        report = kit.request("GET", server.base + "/report/")
        track = kit.request("GET", server.base + "/api/v1/public/appeal-categories")
        assert login[0] == 200 and track[0] == 200
        assert report[0] in (200, 302)
        time.sleep(3)
        pending_while_down = _pending(pg)
        assert pending_while_down > 0, "delivered without the queue?"

        # Redis back: the outbox drains and live push works again.
        redis.start()
        back = time.monotonic()
        kit.wait_for(lambda: _pending(pg) == 0, timeout=90, what="the outbox to drain", every=1)
        drained = time.monotonic() - back
        socket = Socket(server, seed["session"], patience=60)
        sockets.append(socket)
        status, answer, _s = _file(server, seed, "after")
        assert status == 201, answer
        pushed_again = socket.pushed_title(json.loads(answer)["code"], timeout=60)
        kit.wait_for(lambda: _pending(pg) == 0, timeout=60, what="the last delivery")
        figures.update(
            filed_while_down=len(down_codes),
            slowest_filing_s=round(slowest, 2),
            outbox_pending_while_down=pending_while_down,
            outbox_drained_s=round(drained, 1),
            socket_reopened_s=round(socket.seconds, 1),
            pending_after_return=_pending(pg),
            webhook_deliveries=len(receiver.received),
            webhook_distinct=len(set(receiver.received)),
            live_push_after_return=pushed_again,
        )
        assert pushed_again, "no live push after Redis came back"
        assert len(set(receiver.received)) == len(receiver.received)
        assert slowest < 10
    except BaseException:
        if server is not None:
            print("---- server log ----\n" + server.output()[-4000:])
        raise
    finally:
        for s in sockets:
            s.close()
        if worker is not None:
            try:
                os.killpg(worker.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            worker.wait(10)
        if server is not None:
            server.stop()
        receiver.stop()
        redis.stop()
