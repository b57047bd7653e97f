"""Live push of the unread count (and the newest title) to a user's open pages; a push may
also carry a `sound` flag and an `alarm` object (a higher app's, passed through)."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async

from .selectors import unread_count
from .services import user_group
from .sockets import GroupsConsumer

# `sound`: the page plays a short tone; `alarm`: an object a higher app attaches (the
# doorbell's alarm: id, device, seq...), forwarded as it is for the page's banner.
PUSH_FIELDS = ("unread", "title", "body", "url", "sound", "alarm")


class NotifyConsumer(GroupsConsumer):
    """One socket per open page: joins the user's group, sends the unread count, then
    forwards each push."""

    label = "live push"

    def groups_of(self, user: Any) -> list[str]:
        return [user_group(user.pk)]

    async def accepted(self, user: Any) -> None:
        await self.send_json({"unread": await database_sync_to_async(unread_count)(user)})

    async def notify_push(self, event: dict[str, Any]) -> None:
        await self.send_json({k: event[k] for k in PUSH_FIELDS if k in event})

    async def notify_pushes(self, event: dict[str, Any]) -> None:
        """Several pushes in one message (services.notify_pushes_message): each
        forwarded as `notify_push` forwards one, in order."""
        for push in event.get("pushes") or []:
            if isinstance(push, dict):
                await self.notify_push(push)
