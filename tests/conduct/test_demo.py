"""The small demo has a negative list and breach records in every stage."""

from __future__ import annotations

import pytest

from linli.conduct import demo as conduct_demo
from linli.conduct.models import Breach, BreachStage, NegativeEntry
from linli.core.crypto import blind_index
from linli.org import demo as org_demo

pytestmark = pytest.mark.django_db


def test_the_demo_has_the_catalogue_and_a_breach_in_each_stage(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    org_demo.build("small", seed=1, progress=lambda *_: None)
    assert conduct_demo.seed(progress=lambda *_: None) > 0
    assert NegativeEntry.objects.filter(unit__isnull=True).count() == len(conduct_demo.CITY_LIST)
    assert NegativeEntry.objects.filter(unit__isnull=False, code="DY-01").exists()
    stages = set(Breach.objects.values_list("stage", flat=True))
    assert stages == set(BreachStage.values)
    # The demo representative has one waiting for their statement.
    assert Breach.objects.filter(
        representative__user__phone_hash=blind_index("13800000007"), stage=BreachStage.REPORTED
    ).exists()
    # Seeding again adds nothing.
    assert conduct_demo.seed(progress=lambda *_: None) == 0
