"""A settable "today" for the duties app."""

from __future__ import annotations

import datetime as dt

from linli.conduct import selectors as conduct_selectors
from linli.conduct import services as conduct_services
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
        # The conduct app's response windows read the same "today".
        for module in (services, compliance, selectors, conduct_services, conduct_selectors):
            self._monkeypatch.setattr(module, "today", lambda: self.today)
        return day


class LimiterClock:
    """The clock of the attempt counters (`core/ratelimit.py`), set by the test.

    It starts 5 seconds into a day (so into a minute, an hour and every window the
    limits use): a minute's window then has 55 seconds left, a day's 86,395."""

    START = 20834 * 86400 + 5

    def __init__(self, monkeypatch):
        from linli.core import ratelimit

        self.now = float(self.START)
        monkeypatch.setattr(ratelimit, "_now", lambda: self.now)

    def advance(self, seconds: float) -> None:
        self.now += seconds
