"""Appeals' live changes, for the command centre's dashboard and map: after the commit of
a filing, a transition (a person's or the tick's) or an overdue mark, one
"appeal.change" message goes to the Channels group of the unit the appeal came from and
of every unit above it (`unit_group`). A page showing a unit joins that unit's group
(dashboard.consumers), so it hears of every appeal in its subtree, as
`selectors.appeals_visible_to` scopes them by `origin_path`.

The message names the appeal and what the dashboard shows of it (no reporter, no
mobile); a page that needs more reads it through the scoped selectors."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from linli.core import live
from linli.org.models import ancestor_paths_of

from .models import CLOCK_STATUSES, Appeal


def unit_group(path: str) -> str:
    """The group of the pages showing the unit at `path`."""
    return f"appeals.u.{path}"


def groups_for(appeal: Appeal) -> list[str]:
    return [unit_group(p) for p in ancestor_paths_of(appeal.origin_path)]


def change_payload(appeal: Appeal, action: str) -> dict[str, Any]:
    overdue = bool(
        appeal.status in CLOCK_STATUSES and appeal.due_at and appeal.due_at <= timezone.now()
    )
    return {
        "code": appeal.code,
        "action": action,
        "status": appeal.status,
        "level": appeal.level,
        "unit": appeal.unit.name,
        "category": appeal.category.name,
        "urgency": appeal.urgency,
        "title": appeal.title,
        "overdue": overdue,
        "lat": float(appeal.latitude) if appeal.latitude is not None else None,
        "lng": float(appeal.longitude) if appeal.longitude is not None else None,
        "at": timezone.now().isoformat(),
    }


def change_on_commit(appeal: Appeal, action: str) -> None:
    """After the caller's commit, tell the pages of the appeal's units (never raises)."""
    groups = groups_for(appeal)
    message = {"type": "appeal.change", "appeal": change_payload(appeal, action)}
    transaction.on_commit(lambda: live.send(groups, message))
