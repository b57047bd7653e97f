"""Conduct fixtures: the actors around town A, the demo catalogue, a settable today."""

from __future__ import annotations

import datetime as dt

import pytest

from linli.conduct import services
from linli.conduct.demo import seed_catalogue
from linli.conduct.models import NegativeEntry
from tests.support.clock import Clock
from tests.support.roles import Actors

DAY = dt.date(2026, 3, 2)


@pytest.fixture
def clock(monkeypatch):
    c = Clock(monkeypatch)
    c.set(DAY)
    return c


@pytest.fixture
def actors(county):
    return Actors(county)


@pytest.fixture
def catalogue(superuser):
    seed_catalogue(superuser)
    return {e.code: e for e in NegativeEntry.objects.all()}


@pytest.fixture
def report(actors, county, catalogue, clock):
    """Factory: a breach against rep_a, reported by the village cadre by default."""

    def make(code: str = "FM-01", actor=None, **kw):
        kw.setdefault("description", "利用代表身份为亲属争取低保名额")
        kw.setdefault("occurred_on", clock.today - dt.timedelta(days=3))
        return services.breach_report(
            actor=actor or actors.village,
            representative=county.rep_a,
            entry=catalogue[code],
            **kw,
        )

    return make
