"""An item's life as data: which action moves it from which stages to which.

| action   | from                              | to                                   |
|----------|-----------------------------------|--------------------------------------|
| schedule | proposed, scheduled               | scheduled (on a meeting's agenda)    |
| discuss  | scheduled                         | discussed                            |
| vote     | discussed                         | voted; scheduled when quorum fails   |
| decide   | voted                             | decided or rejected, as voted        |
| progress | decided, in_progress              | in_progress                          |
| complete | decided, in_progress              | completed                            |
| publish  | completed, rejected               | published (公示)                      |
| withdraw | proposed, scheduled, discussed    | withdrawn                            |

Every action but `propose` (the item's creation) is a cadre's with a write role over
the village (`policy.can_manage`); a proposer may also withdraw their own proposal.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from .models import Stage


class Action(models.TextChoices):
    PROPOSE = "propose", _("Propose")
    SCHEDULE = "schedule", _("Put on a meeting's agenda")
    DISCUSS = "discuss", _("Record the discussion")
    VOTE = "vote", _("Record the vote")
    DECIDE = "decide", _("Record the decision")
    PROGRESS = "progress", _("Add a progress update")
    COMPLETE = "complete", _("Mark as carried out")
    PUBLISH = "publish", _("Make public")
    WITHDRAW = "withdraw", _("Withdraw")


FROM: dict[str, frozenset[str]] = {
    Action.SCHEDULE: frozenset({Stage.PROPOSED, Stage.SCHEDULED}),
    Action.DISCUSS: frozenset({Stage.SCHEDULED}),
    Action.VOTE: frozenset({Stage.DISCUSSED}),
    Action.DECIDE: frozenset({Stage.VOTED}),
    Action.PROGRESS: frozenset({Stage.DECIDED, Stage.IN_PROGRESS}),
    Action.COMPLETE: frozenset({Stage.DECIDED, Stage.IN_PROGRESS}),
    Action.PUBLISH: frozenset({Stage.COMPLETED, Stage.REJECTED}),
    Action.WITHDRAW: frozenset({Stage.PROPOSED, Stage.SCHEDULED, Stage.DISCUSSED}),
}

# Stages in the order of an item's life (for filters and the stage bar).
ORDER = [
    Stage.PROPOSED,
    Stage.SCHEDULED,
    Stage.DISCUSSED,
    Stage.VOTED,
    Stage.DECIDED,
    Stage.REJECTED,
    Stage.IN_PROGRESS,
    Stage.COMPLETED,
    Stage.PUBLISHED,
    Stage.WITHDRAWN,
]
# An item still before the representatives (counted as "open").
OPEN_STAGES = (Stage.PROPOSED, Stage.SCHEDULED, Stage.DISCUSSED, Stage.VOTED)


def allowed(action: str, stage: str) -> bool:
    return stage in FROM.get(action, frozenset())


def actions_from(stage: str) -> list[str]:
    return [a for a, stages in FROM.items() if stage in stages]
