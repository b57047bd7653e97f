"""The demo seeds the city's default list and 大瑶镇's version through the services."""

from __future__ import annotations

import pytest

from linli.charter import demo, rules
from linli.charter.models import CharterVersion

from .conftest import TODAY

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_the_city_defaults_and_a_town_version(county):
    messages = []
    assert demo.seed(progress=messages.append) == 2
    assert demo.seed(progress=messages.append) == 0  # once
    merged = rules.in_force(county.group_a, TODAY)
    codes = [e.code for e in merged.entries]
    for code in ("contact", "visit", "deliberation", "report", "role-publicist", "role-model"):
        assert code in codes
    assert [e.title for e in merged.rights] == [
        "知情权",
        "列席村级会议",
        "服务群众专项资金",
        "参加培训",
    ]
    assert merged.by_code()["right-fund"].floor == 300
    assert "town-festival" in codes
    assert rules.in_force(county.group_b, TODAY).by_code()["right-fund"].floor == 200
    assert CharterVersion.objects.filter(status="published").count() == 2
