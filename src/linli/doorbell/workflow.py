"""An alarm's life as data: which action moves it from which statuses to which.

| action      | from                                  | to           |
|-------------|---------------------------------------|--------------|
| (press)     | -                                     | raised       |
| (told)      | raised                                | notified     |
| acknowledge | raised, notified                      | acknowledged |
| (no arrival)| acknowledged                          | notified     |
| arrive      | raised, notified, acknowledged        | arrived      |
| close       | raised, notified, acknowledged, arrived | closed     |

`raised` and `notified` are waiting for someone to answer: only they escalate (the
tick tells the next person while `next_step_at` is due). Acknowledging stops it for
the unit's `arrive_minutes`: an acknowledged alarm nobody arrived at by then lapses
back to notified and the next person is told (`TIMED`: the statuses the tick reads).
Arriving or closing stops the escalation. Arriving without acknowledging first acknowledges too
(the person at the door answered); closing an alarm nobody acknowledged is allowed
(a false press found out by phone) and leaves it unacknowledged in the figures.

Who may act: acknowledge and arrive `policy.can_attend` (the people told, the carers,
the village's cadres); close `policy.can_respond` (those and the organisation-writing
roles over the unit: the town or city may close a false press confirmed by phone).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from .models import AlarmStatus


class Action(models.TextChoices):
    ACKNOWLEDGE = "acknowledge", _("I am on my way")
    ARRIVE = "arrive", _("I am at the door")
    CLOSE = "close", _("Close the alarm")


WAITING = frozenset({AlarmStatus.RAISED, AlarmStatus.NOTIFIED})
# The statuses with a timer: waiting for an answer, or acknowledged and waiting for the
# acknowledger to arrive (the arrival timeout).
TIMED = WAITING | {AlarmStatus.ACKNOWLEDGED}

FROM: dict[str, frozenset[str]] = {
    Action.ACKNOWLEDGE: WAITING,
    Action.ARRIVE: WAITING | {AlarmStatus.ACKNOWLEDGED},
    Action.CLOSE: WAITING | {AlarmStatus.ACKNOWLEDGED, AlarmStatus.ARRIVED},
}

TO: dict[str, str] = {
    Action.ACKNOWLEDGE: AlarmStatus.ACKNOWLEDGED,
    Action.ARRIVE: AlarmStatus.ARRIVED,
    Action.CLOSE: AlarmStatus.CLOSED,
}

ORDER = [
    AlarmStatus.RAISED,
    AlarmStatus.NOTIFIED,
    AlarmStatus.ACKNOWLEDGED,
    AlarmStatus.ARRIVED,
    AlarmStatus.CLOSED,
]


def allowed(action: str, status: str) -> bool:
    return status in FROM.get(action, frozenset())


def actions_from(status: str) -> list[str]:
    return [a for a, statuses in FROM.items() if status in statuses]


def escalates(status: str) -> bool:
    """Is an alarm in this status still waiting for someone to answer?"""
    return status in WAITING
