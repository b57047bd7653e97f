"""The demo seed: last year's final list with benefits, this year's notice with an
objection, the reserve pool proposed."""

from __future__ import annotations

import pytest

from linli.dashboard.demo import DOMAIN_SEEDERS
from linli.honours import demo
from linli.honours.models import BenefitIssue, Nomination, Objection, Selection, SelectionStage

pytestmark = pytest.mark.django_db


def test_the_seed_is_listed_last():
    assert DOMAIN_SEEDERS[-1].__module__ == "linli.honours.demo"


def test_the_seed_runs_the_selections(county):
    assert demo.seed(progress=lambda _m: None) == 2  # rep_a and rep_b
    stages = dict(Selection.objects.values_list("year", "stage"))
    assert sorted(stages.values()) == [SelectionStage.FINAL, SelectionStage.NOTICE]
    assert Nomination.objects.filter(status="final").count() == 2
    assert BenefitIssue.objects.count() == 2
    assert Objection.objects.count() == 1
