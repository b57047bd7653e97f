"""Evaluation fixtures: the actors around town A."""

from __future__ import annotations

import pytest
from django.utils import translation

from tests.support.roles import Actors


@pytest.fixture
def actors(county):
    return Actors(county)


@pytest.fixture
def zh():
    with translation.override("zh-hans"):
        yield
