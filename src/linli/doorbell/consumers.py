"""The live alarm panel's socket (`/ws/doorbell/alarms/`): joins one Channels group per
unit in the user's scope (and the user's own, for the alarms they were told of) and
forwards each alarm change (raised, escalated, acknowledged, arrived, closed)."""

from __future__ import annotations

from typing import Any

from linli.notify.sockets import GroupsConsumer

from .selectors import panel_groups_for


class AlarmPanelConsumer(GroupsConsumer):
    label = "alarm panel"

    def groups_of(self, user: Any) -> list[str]:
        return list(panel_groups_for(user))

    async def alarm_change(self, event: dict[str, Any]) -> None:
        await self.send_json({"change": event.get("change", ""), "alarm": event.get("alarm")})

    async def alarm_changes(self, event: dict[str, Any]) -> None:
        """Several changes in one message (a batch of the bridge): each forwarded as
        `alarm_change` forwards one."""
        for change in event.get("changes") or []:
            await self.send_json({"change": change.get("change", ""), "alarm": change.get("alarm")})
