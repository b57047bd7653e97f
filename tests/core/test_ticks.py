"""The periodic tick: registry, runs, the ticker thread, the commands and Celery."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from linli.accounts.models import phone_index
from linli.core import ticks
from tests.support.services import require_service

HERE = __name__  # tests.core.test_ticks: ticks below are registered by dotted path
CALLS: list[str] = []
FIRED = threading.Event()


def tick_ok():
    CALLS.append("ok")
    return 42


def tick_other():
    CALLS.append("other")
    return "done"


def tick_boom():
    CALLS.append("boom")
    raise RuntimeError("boom")


def tick_fire():
    FIRED.set()
    return "fired"


# Running a tick checks the main thread's database connection (run_one closes
# stale ones), so those tests take the database; the real worker test does not.


@pytest.fixture(autouse=True)
def isolated_registry(monkeypatch):
    """Give each test an empty registry (apps register real ticks in ready())."""
    monkeypatch.setattr(ticks, "_registry", {})
    monkeypatch.setattr(ticks, "_last_run", {})
    CALLS.clear()
    FIRED.clear()


# --- registry and runs -------------------------------------------------------------


@pytest.mark.django_db
def test_run_one_calls_the_registered_function():
    ticks.register("t.ok", f"{HERE}.tick_ok", every=10)
    assert ticks.registered()["t.ok"] == ticks.Tick("t.ok", f"{HERE}.tick_ok", 10)
    assert ticks.run_one("t.ok") == 42
    assert CALLS == ["ok"]
    with pytest.raises(KeyError):
        ticks.run_one("t.missing")


@pytest.mark.django_db
def test_register_replaces_by_name_and_defaults_every_to_tick_seconds(settings):
    settings.LINLI = {**settings.LINLI, "TICK_SECONDS": 17}
    ticks.register("t.ok", f"{HERE}.tick_other", every=5)
    ticks.register("t.ok", f"{HERE}.tick_ok")
    assert ticks.registered() == {"t.ok": ticks.Tick("t.ok", f"{HERE}.tick_ok", 17)}
    with pytest.raises(ValueError):
        ticks.register("t.bad", f"{HERE}.tick_ok", every=0)


@pytest.mark.django_db
def test_a_failing_tick_is_logged_and_does_not_stop_the_others(caplog):
    ticks.register("a.boom", f"{HERE}.tick_boom", every=10)
    ticks.register("b.ok", f"{HERE}.tick_ok", every=10)
    ticks.register("c.missing", f"{HERE}.no_such_function", every=10)
    caplog.set_level(logging.ERROR, logger="linli.ticks")

    assert ticks.run_one("a.boom") is None
    outcomes = ticks.run_due(now_monotonic=1000.0)

    assert set(outcomes) == {"a.boom", "b.ok", "c.missing"}
    assert not outcomes["a.boom"].ok and "RuntimeError: boom" in outcomes["a.boom"].error
    assert outcomes["b.ok"].ok and outcomes["b.ok"].result == 42
    assert not outcomes["c.missing"].ok
    assert CALLS == ["boom", "boom", "ok"]
    failed = [r for r in caplog.records if r.name == "linli.ticks" and r.exc_info]
    assert len(failed) == 3


@pytest.mark.django_db
def test_run_due_respects_each_interval():
    ticks.register("fast", f"{HERE}.tick_ok", every=10)
    ticks.register("slow", f"{HERE}.tick_other", every=60)
    assert set(ticks.run_due(now_monotonic=1000.0)) == {"fast", "slow"}  # never ran: due
    assert ticks.run_due(now_monotonic=1005.0) == {}
    assert set(ticks.run_due(now_monotonic=1010.0)) == {"fast"}
    assert set(ticks.run_due(now_monotonic=1019.0)) == set()
    assert set(ticks.run_due(now_monotonic=1060.0)) == {"fast", "slow"}
    assert CALLS == ["ok", "other", "ok", "ok", "other"]


@pytest.mark.django_db
def test_a_tick_run_inside_a_transaction_keeps_the_connection(django_user_model):
    # run_one closes stale connections, but never one inside the caller's atomic block.
    ticks.register("t.ok", f"{HERE}.tick_ok", every=10)
    django_user_model.objects.create_user(phone="13900000099", password="x", name="x")
    assert ticks.run_one("t.ok") == 42
    assert django_user_model.objects.filter(phone_hash=phone_index("13900000099")).exists()


@pytest.mark.django_db
def test_the_ticker_thread_starts_runs_ticks_and_stops():
    ticks.register("t.fire", f"{HERE}.tick_fire", every=3600)
    ticker = ticks.Ticker(interval=0.05)
    ticker.start()
    try:
        assert ticker.daemon
        assert FIRED.wait(5)
    finally:
        ticker.stop()
    assert not ticker.is_alive()


# --- the commands ---------------------------------------------------------------------


def tick_command(*args) -> str:
    out = StringIO()
    call_command("tick", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_tick_command_runs_every_tick_once_and_prints_results():
    ticks.register("b.other", f"{HERE}.tick_other", every=3600)
    ticks.register("a.ok", f"{HERE}.tick_ok", every=3600)
    lines = tick_command().splitlines()
    assert [line.split(" (")[0] for line in lines] == ["a.ok: 42", "b.other: 'done'"]
    assert tick_command("--name", "b.other").startswith("b.other: 'done'")
    assert CALLS == ["ok", "other", "other"]


@pytest.mark.django_db
def test_tick_command_reports_failures_and_unknown_names():
    ticks.register("a.boom", f"{HERE}.tick_boom", every=3600)
    ticks.register("b.ok", f"{HERE}.tick_ok", every=3600)
    out = StringIO()
    with pytest.raises(CommandError, match="1 of 2 ticks failed"):
        call_command("tick", stdout=out)
    assert "a.boom: FAILED RuntimeError: boom" in out.getvalue()
    assert "b.ok: 42" in out.getvalue()
    with pytest.raises(CommandError, match="no tick named"):
        call_command("tick", "--name", "nope", stdout=StringIO())


@pytest.mark.django_db
def test_tick_command_with_nothing_registered():
    assert tick_command() == "No ticks registered.\n"


def test_tick_loop_runs_until_sigterm(tmp_path):
    env = {
        **os.environ,
        "LINLI_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
        "LINLI_VAR_DIR": str(tmp_path),
        "LINLI_CELERY_BROKER_URL": "",
        "PYTHONUNBUFFERED": "1",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "linli", "tick", "--loop"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        text=True,
    )
    try:
        first = proc.stdout.readline()
        assert "linli: ticking" in first
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert "linli: ticker stopped" in output


def fake_uvicorn(calls):
    """In place of serve's uvicorn server (which records its loop in core.serverloop)."""

    class Server:
        started = True

        def __init__(self, config):
            pass

        def run(self):
            calls.append(sorted(t.name for t in threading.enumerate()))

    return Server


@pytest.mark.django_db
def test_serve_starts_a_ticker_without_a_broker(monkeypatch, settings):
    from linli.core.management.commands import serve

    settings.CELERY_BROKER_URL = ""
    calls = []
    monkeypatch.setattr(serve, "_Server", fake_uvicorn(calls))
    out = StringIO()
    call_command("serve", stdout=out)
    assert "ticker on" in out.getvalue()
    assert "linli-ticker" in calls[0]
    assert "linli-ticker" not in [t.name for t in threading.enumerate()]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args, broker, expected",
    [
        (["--no-ticker"], "", "ticker off (--no-ticker)"),
        ([], "redis://127.0.0.1:6379/0", "Celery beat and a worker run the ticks"),
    ],
)
def test_serve_without_a_ticker(monkeypatch, settings, args, broker, expected):
    from linli.core.management.commands import serve

    settings.CELERY_BROKER_URL = broker
    calls = []
    monkeypatch.setattr(serve, "_Server", fake_uvicorn(calls))
    out = StringIO()
    call_command("serve", *args, stdout=out)
    assert expected in out.getvalue()
    assert "linli-ticker" not in calls[0]


# --- Celery -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_celery_app_loads_with_the_tick_task_and_beat_schedule():
    from linli import celery_app
    from linli.celery import install_beat_schedule
    from linli.core.tasks import run_tick

    assert celery_app.main == "linli"
    assert "linli.core.tasks.run_tick" in celery_app.tasks
    ticks.register("t.ok", f"{HERE}.tick_ok", every=15)
    install_beat_schedule(celery_app)
    entry = celery_app.conf.beat_schedule["tick:t.ok"]
    assert entry["task"] == "linli.core.tasks.run_tick"
    assert entry["args"] == ["t.ok"]
    assert entry["schedule"] == 15.0
    # Eager (no broker): the task runs the tick in-process.
    assert run_tick.delay("t.ok").get() is True
    assert run_tick.apply(args=["t.missing"]).get() is False
    assert CALLS == ["ok"]


def test_beat_in_a_fresh_process_gets_the_ticks_apps_register():
    # As `celery -A linli beat` does: load the app, set Django up (apps register
    # their ticks in ready()), finalize; the schedule holds every registered tick.
    code = (
        "from linli.core import ticks\n"
        "ticks.register('test.probe', 'os.getpid', every=5)\n"
        "from linli.celery import app\n"
        "app.loader.init_worker(); app.finalize()\n"
        "names = sorted(ticks.registered())\n"
        "assert 'test.probe' in names, names\n"
        "assert sorted(k[5:] for k in app.conf.beat_schedule if k.startswith('tick:')) == names\n"
        "assert app.conf.beat_schedule['tick:test.probe']['args'] == ['test.probe']\n"
        "print('ok', names)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "LINLI_CELERY_BROKER_URL": ""},
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok")


REDIS_URL = os.environ.get("LINLI_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def test_a_real_worker_runs_the_tick_task_from_redis():
    require_service("Redis", redis_reachable(), "nothing listens on 127.0.0.1:6379")
    from celery.contrib.testing.worker import start_worker

    from linli import celery_app
    from linli.core.tasks import run_tick

    ticks.register("t.fire", f"{HERE}.tick_fire", every=60)
    saved = {
        key: celery_app.conf[key] for key in ("broker_url", "task_always_eager", "result_backend")
    }

    def drop_connections():
        # The app keeps its connection and producer pools across tests: drop
        # them so the broker URL set here (and restored after) takes effect.
        if celery_app._pool is not None:
            celery_app._pool.force_close_all()
        celery_app._pool = None
        if "amqp" in celery_app.__dict__:
            celery_app.amqp._producer_pool = None

    drop_connections()
    # A queue of its own: another test run may share this Redis database.
    queue = f"linli-test-{uuid.uuid4().hex}"
    celery_app.conf.update(broker_url=REDIS_URL, task_always_eager=False, result_backend=None)
    try:
        with start_worker(celery_app, perform_ping_check=False, loglevel="WARNING", queues=[queue]):
            run_tick.apply_async(args=["t.fire"], queue=queue)
            assert FIRED.wait(20), "the worker did not run the tick"
    finally:
        drop_connections()
        celery_app.conf.update(saved)
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
        client.close()
