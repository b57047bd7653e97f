"""Deliberation fixtures: the village cadre of village A, and six more representatives
there (seven serving: a quorum of 2/3 is five)."""

from __future__ import annotations

import pytest

from linli.accounts.models import Role
from tests.support import factories as base

from . import factories


@pytest.fixture
def village_cadre(county):
    return factories.cadre(county.village_a, Role.VILLAGE, "李畋村干部")


@pytest.fixture
def town_cadre(county):
    return factories.cadre(county.town_a, Role.TOWN, "大瑶镇干部")


@pytest.fixture
def town_b_cadre(county):
    return factories.cadre(county.town_b, Role.TOWN, "永和镇干部")


@pytest.fixture
def seven_reps(county):
    """Village A's serving representatives: rep_a and six more."""
    return [county.rep_a, *base.add_representatives(county, 6)]
