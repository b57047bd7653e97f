"""Service fund fixtures: rep_a's and rep_b's accounts, the cadres around them."""

from __future__ import annotations

import pytest
from django.utils import translation

from linli.accounts.models import Role
from tests.support.roles import make_user


@pytest.fixture
def rep_user(county):
    """rep_a's account (a representative of group A, village A, town A)."""
    user = make_user("13700000021", "甲代表", Role.REPRESENTATIVE, county.group_a)
    county.rep_a.user = user
    county.rep_a.save(update_fields=["user"])
    return user


@pytest.fixture
def rep_b_user(county):
    user = make_user("13700000022", "乙代表", Role.REPRESENTATIVE, county.group_b)
    county.rep_b.user = user
    county.rep_b.save(update_fields=["user"])
    return user


@pytest.fixture
def village_cadre(county):
    return make_user("13700000023", "村干部", Role.VILLAGE, county.village_a)


@pytest.fixture
def town_cadre(county):
    return make_user("13700000024", "镇干部", Role.TOWN, county.town_a)


@pytest.fixture
def town_b_cadre(county):
    return make_user("13700000025", "乙镇干部", Role.TOWN, county.town_b)


@pytest.fixture
def group_leader(county):
    return make_user("13700000026", "组长", Role.GROUP_LEADER, county.group_a)


@pytest.fixture
def zh():
    """Messages in Chinese, as the pages and the API answer them by default."""
    with translation.override("zh-hans"):
        yield


def fresh(user):
    """The same user without the per-request scope cache."""
    return type(user).objects.get(pk=user.pk)
