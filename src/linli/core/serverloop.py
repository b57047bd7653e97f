"""The server's event loop, for live pushes sent from other threads.

The in-memory channel layer (the embedded default: one process, `python -m linli serve`)
keeps its groups as asyncio queues of the server's loop, where the sockets' consumers
wait. asyncio objects are not thread-safe: a thread of the same process (the doorbell
bridge, the ticker) that sends with `async_to_sync` runs the send on a loop of its own,
and the consumer waiting on the server's loop may not wake until something else wakes
that loop, or at all. `serve` records its loop here when the server starts
(`register`), and a sender of another thread puts its send onto that loop
(`loop_for(layer)`, then `asyncio.run_coroutine_threadsafe`).

Only the in-memory layer needs it: a Redis layer is shared through Redis, each loop with
its own connections.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

_loop: asyncio.AbstractEventLoop | None = None
_lock = threading.Lock()


def register(loop: asyncio.AbstractEventLoop) -> None:
    """Record the server's running loop (called by `serve` once the loop runs)."""
    global _loop
    with _lock:
        _loop = loop


def unregister(loop: asyncio.AbstractEventLoop | None = None) -> None:
    """Forget the server's loop (`loop`: only if it is still the one recorded)."""
    global _loop
    with _lock:
        if loop is None or _loop is loop:
            _loop = None


def registered() -> asyncio.AbstractEventLoop | None:
    """The server's loop while it runs, else None."""
    loop = _loop
    if loop is None or loop.is_closed() or not loop.is_running():
        return None
    return loop


def _running_here() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def loop_for(layer: Any) -> asyncio.AbstractEventLoop | None:
    """The loop a send to `layer` from this thread must run on: the server's, when the
    layer is in memory, the server's loop runs and this thread is not running it; else
    None (send as usual)."""
    from channels.layers import InMemoryChannelLayer

    if not isinstance(layer, InMemoryChannelLayer):
        return None
    loop = registered()
    if loop is None or _running_here() is loop:
        return None
    return loop
