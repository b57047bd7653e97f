"""Companions: long-running helpers that `serve` starts beside the ticker, each in a daemon
thread of the server process (the embedded default), such as the doorbell's MQTT bridge.

`core` may not import the apps above it, so an app registers its companion in its
`AppConfig.ready()`:

    from linli.core import companions
    companions.register("doorbell.bridge", "linli.doorbell.bridge.companion")

The function is imported and started only by `serve` (never by tests or other
commands), called as ``func(report, stop)``: `report(line)` prints a line on the
server's console (say plainly what runs and what does not), `stop` is a
`threading.Event` set when the server stops. It may return early (nothing to do).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from django.db import connections
from django.utils.module_loading import import_string

logger = logging.getLogger("linli.companions")

_registry: dict[str, str] = {}
_lock = threading.Lock()


def register(name: str, func_path: str) -> None:
    """Register (or replace) the companion `name`, started by `serve` from `func_path`."""
    with _lock:
        _registry[name] = func_path


def unregister(name: str) -> None:
    with _lock:
        _registry.pop(name, None)


def registered() -> dict[str, str]:
    with _lock:
        return dict(_registry)


def _run(name: str, func_path: str, report: Callable[[str], None], stop: threading.Event) -> None:
    try:
        import_string(func_path)(report, stop)
    except Exception:
        logger.exception("Companion %s (%s) failed", name, func_path)
        report(f"linli: {name} stopped after an error (see the log)")
    finally:
        connections.close_all()


def start_all(report: Callable[[str], None], stop: threading.Event) -> list[threading.Thread]:
    """Start every registered companion in a daemon thread; return the threads."""
    threads = []
    for name, func_path in sorted(registered().items()):
        thread = threading.Thread(
            target=_run, args=(name, func_path, report, stop), name=f"linli-{name}", daemon=True
        )
        thread.start()
        threads.append(thread)
    return threads
