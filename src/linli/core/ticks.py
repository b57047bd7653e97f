"""The periodic tick: idempotent functions that find and do what is due.

Deadlines and pending deliveries live in database rows; a tick reads them and
acts, so running a tick twice, late, or in two processes at once must be
harmless (lock or claim rows in the tick itself). Apps register their ticks in
`AppConfig.ready()`:

    from linli.core import ticks
    ticks.register("appeals.deadlines", "linli.appeals.services.deadlines_tick", every=60)

Three drivers call the same functions (see docs/background-work.md):

- the `Ticker` thread started by `serve` in the embedded default;
- `python -m linli tick [--loop]` (cron, systemd);
- Celery beat, which sends `linli.core.tasks.run_tick` for each registered
  tick every `every` seconds to a worker (production, LINLI_CELERY_BROKER_URL).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connections
from django.utils.module_loading import import_string

logger = logging.getLogger("linli.ticks")


@dataclass(frozen=True)
class Tick:
    name: str
    func_path: str  # dotted path to a function called with no arguments
    every: int  # seconds between runs


@dataclass(frozen=True)
class TickOutcome:
    name: str
    ok: bool
    result: Any = None
    error: str = ""
    seconds: float = 0.0


_registry: dict[str, Tick] = {}
_last_run: dict[str, float] = {}
_lock = threading.Lock()


def register(name: str, func_path: str, every: int | None = None) -> Tick:
    """Register (or replace) the tick `name`: call `func_path` every `every` seconds.

    `func_path` is imported only when the tick runs. `every` defaults to
    settings.LINLI["TICK_SECONDS"]. Registering the same name again replaces
    the entry, so `ready()` may run twice.
    """
    if every is None:
        every = int(settings.LINLI.get("TICK_SECONDS", 30))
    if every <= 0:
        raise ValueError("every must be a positive number of seconds")
    tick = Tick(name=name, func_path=func_path, every=int(every))
    with _lock:
        _registry[name] = tick
    return tick


def unregister(name: str) -> None:
    """Remove the tick `name` if registered (for tests)."""
    with _lock:
        _registry.pop(name, None)
        _last_run.pop(name, None)


def registered() -> dict[str, Tick]:
    """Return a copy of the registry: name -> Tick."""
    with _lock:
        return dict(_registry)


def _close_old_connections() -> None:
    # django.db.close_old_connections(), except for a connection inside an
    # atomic block: closing it there would break the caller's transaction
    # (a test's, or a caller running a tick by hand inside atomic()).
    for conn in connections.all(initialized_only=True):
        if not conn.in_atomic_block:
            conn.close_if_unusable_or_obsolete()


def execute(name: str) -> TickOutcome:
    """Run the tick `name` once and describe how it went; never raise for its failure.

    Close stale database connections before and after (a ticker thread lives
    long and must not hold a connection the server has dropped). An exception
    from the tick is logged with its traceback and reported as ok=False. Raise
    KeyError for a name that is not registered.
    """
    tick = registered()[name]
    started = time.monotonic()
    _close_old_connections()
    try:
        func = import_string(tick.func_path)
        result = func()
    except Exception as exc:
        logger.exception("Tick %s (%s) failed", name, tick.func_path)
        outcome = TickOutcome(
            name=name,
            ok=False,
            error=f"{type(exc).__name__}: {exc}",
            seconds=time.monotonic() - started,
        )
    else:
        outcome = TickOutcome(name=name, ok=True, result=result, seconds=time.monotonic() - started)
    finally:
        _close_old_connections()
    return outcome


def run_one(name: str) -> Any:
    """Run the tick `name` once; return its result, or None if it failed (logged)."""
    return execute(name).result


def run_due(now_monotonic: float | None = None) -> dict[str, TickOutcome]:
    """Run every tick whose interval has elapsed in this process; return their outcomes.

    A tick that never ran in this process is due at once. `now_monotonic`
    (a time.monotonic() value) is for tests. Ticks run one after another; one
    failing does not stop the others.
    """
    now = time.monotonic() if now_monotonic is None else now_monotonic
    due = []
    with _lock:
        for name, tick in _registry.items():
            last = _last_run.get(name)
            if last is None or now - last >= tick.every:
                _last_run[name] = now
                due.append(name)
    outcomes = {}
    for name in due:
        try:
            outcomes[name] = execute(name)
        except KeyError:  # unregistered meanwhile
            continue
    return outcomes


def nudge(name: str) -> None:
    """Make the tick `name` due now in this process: a `Ticker` running here runs it
    within its interval (a second); without one, nothing happens."""
    with _lock:
        _last_run.pop(name, None)


def reset_schedule() -> None:
    """Forget when each tick last ran in this process (all become due)."""
    with _lock:
        _last_run.clear()


class Ticker(threading.Thread):
    """A daemon thread calling `run_due()` about every `interval` seconds until stopped."""

    def __init__(self, interval: float = 1.0, name: str = "linli-ticker") -> None:
        super().__init__(name=name, daemon=True)
        self.interval = interval
        self.stop_event = threading.Event()

    def run(self) -> None:
        logger.info("Ticker started (%d ticks registered)", len(registered()))
        try:
            while not self.stop_event.is_set():
                try:
                    run_due()
                except Exception:  # never let the thread die
                    logger.exception("Ticker loop failed")
                self.stop_event.wait(self.interval)
        finally:
            # This thread's connections are its own; don't leave them open.
            connections.close_all()
            logger.info("Ticker stopped")

    def stop(self, timeout: float | None = 5.0) -> None:
        """Ask the thread to stop and wait up to `timeout` seconds for it."""
        self.stop_event.set()
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout)
