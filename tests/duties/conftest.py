"""Duties fixtures: a settable "today", representatives' accounts, a third representative."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.support import factories
from tests.support.clock import Clock
from tests.support.roles import Accounts

__all__ = ["Accounts", "Clock", "appoint"]


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


@pytest.fixture
def accounts(county):
    return Accounts(county)
