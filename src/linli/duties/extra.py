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
from dataclasses import dataclass
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


# --- duties the apps above add to the compliance engine ------------------------------------
#
# The same pattern for the compliance figures (`compliance.compute`, the team and
# representative pages, the API and the Excel export): an app above registers, in its
# `AppConfig.ready()`, a duty with a provider of its figures:
#
#     from linli.duties.extra import provide_compliance
#     provide_compliance("care_visits", label=_("Care visits"),
#                        subjects_label=_("Pairings"), provider=care_visit_compliance)
#
# The provider takes (representative ids, first day, last day, today) and answers
# {representative id: ExtraCounts}; a representative it leaves out owed nothing.


@dataclass(frozen=True, slots=True)
class ExtraCounts:
    """One representative's figures for an added duty over a period."""

    subjects: int = 0  # what the duty is owed for (the love doorbell: pairings)
    required: int = 0  # occasions due in the period (care visits due)
    fulfilled: int = 0  # of those, met in time (visits made on time)
    overdue: int = 0  # of those, past their day and not met in time


CountsProvider = Callable[[list[int], dt.date, dt.date, dt.date], dict[int, ExtraCounts]]


@dataclass(frozen=True)
class ComplianceDuty:
    name: str
    label: Any
    subjects_label: Any
    provider: CountsProvider


_compliance: dict[str, ComplianceDuty] = {}


def provide_compliance(
    name: str, *, label: Any, subjects_label: Any, provider: CountsProvider
) -> None:
    """Register (or replace) an added compliance duty."""
    _compliance[name] = ComplianceDuty(name, label, subjects_label, provider)


def compliance_duties() -> list[ComplianceDuty]:
    """The added duties, in the order they were registered."""
    return list(_compliance.values())
