"""The command centre's socket (`/ws/centre/<unit id>/`): joins the unit's groups
(`live.groups_for`) and forwards each appeal and alarm change to the page, which
refreshes its numbers and map (and sounds for an alarm)."""

from __future__ import annotations

import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from redis.exceptions import RedisError

from linli.accounts import twofactor

from .live import groups_for

logger = logging.getLogger("linli.dashboard")


class CentreConsumer(AsyncJsonWebsocketConsumer):
    groups_joined: list[str]

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
        unit_id = int(self.scope["url_route"]["kwargs"]["unit"])
        groups = await database_sync_to_async(groups_for)(user, unit_id)
        if not groups:
            await self.close()
            return
        try:
            for group in groups:
                await self.channel_layer.group_add(group, self.channel_name)
                self.groups_joined.append(group)
        except (ConnectionError, OSError, RedisError) as exc:
            logger.warning("centre: joining groups failed: %s", exc)
            await self._leave()
            await self.close()
            return
        await self.accept()

    async def _leave(self) -> None:
        for group in self.groups_joined:
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except (ConnectionError, OSError, RedisError):
                pass
        self.groups_joined = []

    async def disconnect(self, code: int) -> None:
        await self._leave()

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """Ignore what the page sends: the socket only carries changes."""

    async def appeal_change(self, event: dict[str, Any]) -> None:
        await self.send_json({"kind": "appeal", "appeal": event.get("appeal")})

    async def alarm_change(self, event: dict[str, Any]) -> None:
        await self.send_json(
            {"kind": "alarm", "change": event.get("change", ""), "alarm": event.get("alarm")}
        )

    async def alarm_changes(self, event: dict[str, Any]) -> None:
        """Several alarm changes in one message (a batch of the doorbell bridge)."""
        for change in event.get("changes") or []:
            await self.alarm_change(change)
