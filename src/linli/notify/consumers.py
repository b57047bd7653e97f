"""Live push of the unread count (and the newest title) to a user's open pages; a push may
also carry a `sound` flag and an `alarm` object (a higher app's, passed through)."""

from __future__ import annotations

import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from redis.exceptions import RedisError

from linli.accounts import twofactor

from .selectors import unread_count
from .services import user_group

# `sound`: the page plays a short tone; `alarm`: an object a higher app attaches (the
# doorbell's alarm: id, device, seq...), forwarded as it is for the page's banner.
PUSH_FIELDS = ("unread", "title", "body", "url", "sound", "alarm")

logger = logging.getLogger("linli.notify")


class NotifyConsumer(AsyncJsonWebsocketConsumer):
    """One socket per open page: joins the user's group and forwards each push."""

    group: str | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            # Closing before accept refuses the handshake (HTTP 403).
            await self.close()
            return
        # A session still owing its two-factor code gets no pushes either.
        owed = await database_sync_to_async(twofactor.session_pending)(
            user, self.scope.get("session")
        )
        if owed is not None:
            await self.close()
            return
        self.group = user_group(user.pk)
        if not await self._join(self.group):
            # Redis is away: refuse the handshake (the page's script tries again later)
            # rather than answer 500; pages and filing do not need the socket.
            self.group = None
            await self.close()
            return
        await self.accept()
        await self.send_json({"unread": await database_sync_to_async(unread_count)(user)})

    async def _join(self, group: str) -> bool:
        """Join the user's group, once more after a failure: the first command after
        Redis came back may meet a pooled connection the restart closed."""
        for attempt in (1, 2):
            try:
                await self.channel_layer.group_add(group, self.channel_name)
                return True
            except (ConnectionError, OSError, RedisError) as exc:
                logger.warning("live push: joining %s failed (attempt %d): %s", group, attempt, exc)
        return False

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """Ignore what the page sends: the socket only carries pushes."""

    async def notify_push(self, event: dict[str, Any]) -> None:
        await self.send_json({k: event[k] for k in PUSH_FIELDS if k in event})

    async def notify_pushes(self, event: dict[str, Any]) -> None:
        """Several pushes in one message (services.notify_pushes_message): each
        forwarded as `notify_push` forwards one, in order."""
        for push in event.get("pushes") or []:
            if isinstance(push, dict):
                await self.notify_push(push)
