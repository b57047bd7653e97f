"""The base of every page socket: `GroupsConsumer` joins Channels groups and forwards what
they carry. notify's own socket (`consumers.NotifyConsumer`), the doorbell's alarm panel
and the command centre's socket are its subclasses; each says which groups a user joins
and how each message type is forwarded."""

from __future__ import annotations

import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from redis.exceptions import RedisError

from linli.accounts import twofactor

logger = logging.getLogger("linli.notify")

LAYER_ERRORS = (ConnectionError, OSError, RedisError)


class GroupsConsumer(AsyncJsonWebsocketConsumer):
    """One socket per open page. The handshake is refused (closed before it is
    accepted: HTTP 403) for an anonymous user, a session still owing its two-factor
    code, a user with no group to join, and when the channel layer is away (the page's
    script tries again later; pages and forms do not need the socket). Each group is
    joined once more after a failure: the first command after Redis came back may meet
    a pooled connection the restart closed. What the page sends is ignored."""

    # The socket's name in the log.
    label = "live"
    groups_joined: list[str]

    def groups_of(self, user: Any) -> list[str]:
        """The groups `user` joins (run in a thread: it may read the database)."""
        raise NotImplementedError

    async def accepted(self, user: Any) -> None:
        """Called once the socket is open (a first message, for instance)."""

    async def connect(self) -> None:
        self.groups_joined = []
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close()
            return
        owed = await database_sync_to_async(twofactor.session_pending)(
            user, self.scope.get("session")
        )
        if owed is not None:
            await self.close()
            return
        groups = await database_sync_to_async(self.groups_of)(user)
        if not groups:
            await self.close()
            return
        for group in groups:
            if not await self._join(group):
                await self._leave()
                await self.close()
                return
        await self.accept()
        await self.accepted(user)

    async def _join(self, group: str) -> bool:
        for attempt in (1, 2):
            try:
                await self.channel_layer.group_add(group, self.channel_name)
            except LAYER_ERRORS as exc:
                logger.warning(
                    "%s: joining %s failed (attempt %d): %s", self.label, group, attempt, exc
                )
                continue
            self.groups_joined.append(group)
            return True
        return False

    async def _leave(self) -> None:
        for group in self.groups_joined:
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except LAYER_ERRORS:
                pass
        self.groups_joined = []

    async def disconnect(self, code: int) -> None:
        await self._leave()

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """Ignore what the page sends: the socket only carries what the groups send."""
