"""Charter fixtures: the people who write and read the lists, and the published lists."""

from __future__ import annotations

import datetime as dt

import pytest

from linli.accounts.models import Role
from linli.charter import demo
from linli.core import timeutil
from tests.support.roles import make_user

# "Today" in these tests; the city's list is in force from the first of the year.
TODAY = dt.date(2026, 6, 10)
NEW_YEAR = dt.date(2026, 1, 1)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    """The charter services and pages read today through `core.timeutil.today`."""
    import importlib

    for name in ("services", "selectors", "views", "api", "demo"):
        try:
            module = importlib.import_module(f"linli.charter.{name}")
        except ImportError:
            continue
        if hasattr(module, "today"):
            monkeypatch.setattr(module, "today", lambda: TODAY)
    monkeypatch.setattr(timeutil, "today", lambda: TODAY)
    return TODAY


class People:
    def __init__(self, county):
        self.city = make_user("13710000001", "市指挥中心", Role.CITY, county.city)
        self.admin = make_user("13710000002", "市管理员", Role.ADMIN, county.city)
        self.town_a = make_user("13710000003", "大瑶镇干部", Role.TOWN, county.town_a)
        self.town_b = make_user("13710000004", "永和镇干部", Role.TOWN, county.town_b)
        self.village_a = make_user("13710000005", "李畋村干部", Role.VILLAGE, county.village_a)
        self.group_leader = make_user("13710000006", "一组组长", Role.GROUP_LEADER, county.group_a)
        self.rep_a = make_user("13710000007", "李大祥", Role.REPRESENTATIVE, county.group_a)
        county.rep_a.user = self.rep_a
        county.rep_a.save(update_fields=["user"])
        self.rep_b = make_user("13710000008", "刘生辉", Role.REPRESENTATIVE, county.group_b)
        county.rep_b.user = self.rep_b
        county.rep_b.save(update_fields=["user"])


@pytest.fixture
def people(county):
    return People(county)


@pytest.fixture
def city_list(county, people):
    """The city's default list, published, in force since New Year."""
    return demo.publish_city_defaults(people.city, county.city, NEW_YEAR)


@pytest.fixture
def town_list(county, people, city_list):
    """大瑶镇's version: the fund raised to 300, one entry added."""
    return demo.publish_town_version(people.town_a, county.town_a, NEW_YEAR)
