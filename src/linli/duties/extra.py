"""Extra lines on a representative's duties page ("My duties"), from the apps above.

`duties` may not import the apps above it, yet some of them owe duties too: the love
doorbell's care pairings owe a home visit every few days. Such an app registers a
line in its `AppConfig.ready()`:

    from linli.duties.extra import provide
    provide("doorbell.care_visits", care_visit_summary)

The callable takes the representative and the day and answers None (nothing to show)
or a dict: `label`, `text`, `url_name` (a page to open, or ""), `warn` (a badge).
The "mine" page renders the lines in the order they were registered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

Line = dict[str, Any]
Provider = Callable[[Any, dt.date], Line | None]

_providers: dict[str, Provider] = {}


def provide(name: str, provider: Provider) -> None:
    """Register (or replace) the provider of one line."""
    _providers[name] = provider


def lines(representative: Any, day: dt.date) -> list[Line]:
    """The lines the registered providers have for this representative on `day`."""
    out: list[Line] = []
    for provider in _providers.values():
        line = provider(representative, day)
        if line:
            out.append(line)
    return out
