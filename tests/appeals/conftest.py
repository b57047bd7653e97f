"""Appeals fixtures: the small county plus one account per handling role."""

from __future__ import annotations

import pytest

from linli.appeals.models import Category
from tests.support import factories
from tests.support.factories import RESIDENT_PHONE, png_bytes
from tests.support.roles import Actors

__all__ = ["RESIDENT_PHONE", "Actors", "png_bytes"]


@pytest.fixture
def actors(reference_data, county):
    return Actors(county)


@pytest.fixture
def manhole_category(reference_data):
    return Category.objects.get(code="facilities")


@pytest.fixture
def file_appeal(actors, manhole_category):
    """Factory: a resident's appeal from a household of group A (rep_a's)."""

    def make(**kw):
        kw.setdefault("household", actors.county.households_a[1])
        kw.setdefault("category", manhole_category)
        return factories.appeal(**kw)

    return make


from tests.appeals.handmade import handmade  # noqa: E402, F401 (fixture)
