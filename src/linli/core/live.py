"""Send a message to Channels groups from synchronous code (a service after its commit,
a tick): for the live pages of the apps above (the command centre's dashboard and map).

A live push is a courtesy: the page is right again on its next load. So a send never
raises and never holds the caller up for long: with the in-memory layer (the embedded
default) and the server's loop running in another thread, the send is put onto that loop
(`core.serverloop`) and not waited for; otherwise (a Redis layer, or a test without a
server loop) it is sent in place. Failures are logged in one line.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from typing import Any

from asgiref.sync import async_to_sync

from . import serverloop

logger = logging.getLogger("linli.live")


def send(groups: list[str], message: dict[str, Any]) -> None:
    """Send `message` to each group; never raise."""
    if not groups:
        return
    try:
        from channels.layers import get_channel_layer

        layer = get_channel_layer()
        if layer is None:
            return

        async def go() -> None:
            for group in groups:
                await layer.group_send(group, message)

        loop = serverloop.loop_for(layer)
        if loop is None:
            async_to_sync(go)()
            return
        future = asyncio.run_coroutine_threadsafe(go(), loop)
        future.add_done_callback(lambda f: _failed(groups, message, f))
    except Exception as exc:  # noqa: BLE001 - a courtesy, logged
        logger.warning("live push %s to %s failed: %s", message.get("type"), groups[0], exc)


def _failed(
    groups: list[str], message: dict[str, Any], future: concurrent.futures.Future[None]
) -> None:
    if not future.cancelled() and future.exception() is not None:
        logger.warning(
            "live push %s to %s failed: %s", message.get("type"), groups[0], future.exception()
        )
