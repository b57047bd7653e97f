"""The command centre's live socket: which Channels groups a page showing one unit joins.

A page (the dashboard, the map, the big screen) shows one unit and everything below it.
It joins the unit's appeals group (`appeals.live.unit_group`: every filing, transition
and overdue mark of an appeal from the subtree) and, when the viewer may see the unit's
doorbell alarms, its alarm group (`doorbell.selectors.unit_alarm_group`: every raise,
escalation, answer and close). Both are sent to the unit of the event and every unit
above it, so joining one group per page is enough."""

from __future__ import annotations

from linli.accounts.scope import HOUSEHOLD_ROLES, scope_for
from linli.appeals.live import unit_group as appeals_group
from linli.core.errors import DomainError
from linli.doorbell import policy as doorbell_policy
from linli.doorbell.selectors import unit_alarm_group
from linli.org import selectors as org_selectors


def groups_for(user, unit_id: int) -> list[str] | None:
    """The groups of the unit's page for this user; None when the user may not see the
    unit's dashboard (not signed in, not theirs)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    try:
        unit = org_selectors.unit_get(user, unit_id)
    except DomainError:
        return None
    scope = scope_for(user)
    if not scope.can(set(HOUSEHOLD_ROLES), unit.path):
        return None
    groups = [appeals_group(unit.path)]
    if scope.can(set(doorbell_policy.VIEW_ROLES), unit.path):
        groups.append(unit_alarm_group(unit.path))
    return groups
