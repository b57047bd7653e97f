"""A settable "today" for the duties app."""

from __future__ import annotations

import datetime as dt

from linli.duties import compliance, selectors, services


class Clock:
    """The duties app's notion of today, set by the test.

    Records are refused when dated more than the late-entry window back, so
    tests that build history move "today" along instead of entering late.
    """

    def __init__(self, monkeypatch):
        self._monkeypatch = monkeypatch
        self.today: dt.date | None = None

    def set(self, day: dt.date) -> dt.date:
        self.today = day
        for module in (services, compliance, selectors):
            self._monkeypatch.setattr(module, "today", lambda: self.today)
        return day
