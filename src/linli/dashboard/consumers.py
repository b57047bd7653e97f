"""The command centre's socket (`/ws/centre/<unit id>/`): joins the unit's groups
(`live.groups_for`) and forwards each appeal and alarm change to the page, which
refreshes its numbers and map (and sounds for an alarm)."""

from __future__ import annotations

from typing import Any

from linli.notify.sockets import GroupsConsumer

from .live import groups_for


class CentreConsumer(GroupsConsumer):
    label = "centre"

    def groups_of(self, user: Any) -> list[str]:
        return list(groups_for(user, int(self.scope["url_route"]["kwargs"]["unit"])) or [])

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
