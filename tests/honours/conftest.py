"""Hundred-best fixtures: the actors around town A, scores of this year for the county's
representatives (and three more of town A), and a breach helper."""

from __future__ import annotations

import pytest
from django.utils import translation

from linli.core.timeutil import today
from linli.evaluation import services as evaluation
from linli.evaluation.models import Score
from tests.support import factories
from tests.support.roles import Actors

YEAR = today().year


@pytest.fixture
def actors(county):
    return Actors(county)


@pytest.fixture
def zh():
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def scored(county, actors):
    """Town A: rep_a and three more (赵代表...), town B: rep_b; every one scored this
    year, with totals set so that town A ranks rep_a first, then the others in order."""
    extra = factories.add_representatives(county, 3)
    evaluation.scores_compute(YEAR)
    reps = [county.rep_a, *extra]
    for i, rep in enumerate(reps):
        Score.objects.filter(representative=rep, year=YEAR).update(
            total=9500 - i * 500, rank_town=i + 1, rank_city=i + 1
        )
    Score.objects.filter(representative=county.rep_b, year=YEAR).update(
        total=8800, rank_town=1, rank_city=2
    )
    return reps


def confirm_breach(actors, county, rep=None):
    """A confirmed severe breach against `rep` (rep_a by default), this year."""
    from linli.conduct import services as conduct
    from linli.conduct.demo import seed_catalogue
    from linli.conduct.models import NegativeEntry

    rep = rep or county.rep_a
    if not NegativeEntry.objects.filter(code="FM-06").exists():
        seed_catalogue(county.superuser)
    entry = NegativeEntry.objects.get(code="FM-06")
    in_a = rep.unit.path.startswith(county.town_a.path)
    breach = conduct.breach_report(
        actor=actors.village if in_a else actors.town_b,
        representative=rep,
        entry=entry,
        description="违规收受礼品",
        occurred_on=today(),
    )
    conduct.breach_statement(
        actor=rep.user if rep.user_id else actors.city, breach=breach, text="本人说明"
    )
    conduct.breach_confirm(actor=actors.town if in_a else actors.city, breach=breach, reason="属实")
    return breach


class Later:
    """Moves the honours app's "today" (the notice's days) forward."""

    def __init__(self, monkeypatch):
        self._mp = monkeypatch

    def set(self, day):
        from linli.honours import selectors, services

        for module in (services, selectors):
            self._mp.setattr(module, "today", lambda: day)
        return day


@pytest.fixture
def later(monkeypatch):
    return Later(monkeypatch)
