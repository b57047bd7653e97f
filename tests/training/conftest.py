"""Training fixtures: the cadres around town A, rep_a's and rep_b's accounts, and a
town A plan with a session held yesterday and one planned next week."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from linli.accounts.models import Role
from linli.core.timeutil import today
from linli.training import services
from tests.support.roles import make_user


@pytest.fixture
def rep_user(county):
    user = make_user("13700000031", "甲代表", Role.REPRESENTATIVE, county.group_a)
    county.rep_a.user = user
    county.rep_a.save(update_fields=["user"])
    return user


@pytest.fixture
def rep_b_user(county):
    user = make_user("13700000032", "乙代表", Role.REPRESENTATIVE, county.group_b)
    county.rep_b.user = user
    county.rep_b.save(update_fields=["user"])
    return user


@pytest.fixture
def town_cadre(county):
    return make_user("13700000034", "镇干部", Role.TOWN, county.town_a)


@pytest.fixture
def town_b_cadre(county):
    return make_user("13700000035", "乙镇干部", Role.TOWN, county.town_b)


@pytest.fixture
def village_cadre(county):
    return make_user("13700000033", "村干部", Role.VILLAGE, county.village_a)


@pytest.fixture
def group_leader(county):
    return make_user("13700000036", "组长", Role.GROUP_LEADER, county.group_a)


@pytest.fixture
def zh():
    with translation.override("zh-hans"):
        yield


def yesterday() -> dt.date:
    """Yesterday, or today on 1 January (a session must fall in the plan's year)."""
    day = today() - dt.timedelta(days=1)
    return day if day.year == today().year else today()


def next_week() -> dt.date:
    day = today() + dt.timedelta(days=7)
    return day if day.year == today().year else None  # type: ignore[return-value]


@pytest.fixture
def plan(county, town_cadre):
    return services.plan_create(
        actor=town_cadre, unit=county.town_a, year=today().year, title="代表履职培训计划"
    )


def make_session(plan, actor, *, held_on=None, capacity=10, credit=120, title="履职培训"):
    return services.session_create(
        actor=actor,
        plan=plan,
        title=title,
        held_on=held_on or yesterday(),
        duration_minutes=max(credit, 120),
        credit_minutes=credit,
        place="镇会议室",
        capacity=capacity,
    )


@pytest.fixture
def session(plan, town_cadre):
    return make_session(plan, town_cadre)


def fresh(user):
    return type(user).objects.get(pk=user.pk)
