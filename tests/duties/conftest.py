"""Duties fixtures: a settable "today", representatives' accounts, a third representative."""

from __future__ import annotations

import datetime as dt

import pytest

from linli.accounts.models import Role
from linli.duties import compliance, selectors, services
from tests.support import factories
from tests.support.roles import make_user


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


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


def appoint(county, superuser, seq: int, name: str, term_start: dt.date, household_index: int = 6):
    """A further representative of group A, living in one of its households."""
    return factories.appoint(county, seq, name, term_start, household_index)


@pytest.fixture
def rep_c(county, superuser):
    """A second representative of group A (village 李畋村), serving since 2025-01-01."""
    return appoint(county, superuser, 3, "李新代表", dt.date(2025, 1, 1))


class Accounts:
    """Accounts of the two representatives and of a cadre in each village."""

    def __init__(self, county):
        self.rep_a = make_user("13700000101", "李大祥", Role.REPRESENTATIVE, county.group_a)
        county.rep_a.user = self.rep_a
        county.rep_a.save(update_fields=["user"])
        self.rep_b = make_user("13700000102", "刘生辉", Role.REPRESENTATIVE, county.group_b)
        county.rep_b.user = self.rep_b
        county.rep_b.save(update_fields=["user"])
        self.village_a = make_user("13700000103", "李畋村干部", Role.VILLAGE, county.village_a)
        self.village_b = make_user("13700000104", "佳成村干部", Role.VILLAGE, county.village_b)


@pytest.fixture
def accounts(county):
    return Accounts(county)
