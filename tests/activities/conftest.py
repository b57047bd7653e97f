"""Activities fixtures: people of town A, an activity in village A, the SMS code."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from linli.accounts.models import Role
from linli.core.crypto import blind_index
from tests.support.roles import make_user

RESIDENT = "13912340001"


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    """A local (Asia/Shanghai) time on `day`."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def sent_code(phone: str) -> str:
    from linli.notify.models import Outbox

    body = (
        Outbox.objects.filter(address_hash=blind_index(phone), kind="appeal.code").latest("pk").body
    )
    match = re.search(r"\d{6}", body)
    assert match, body
    return match.group()


@pytest.fixture
def village_cadre(county):
    return make_user("13700000011", "村干部", Role.VILLAGE, county.village_a)


@pytest.fixture
def town_cadre(county):
    return make_user("13700000012", "镇干部", Role.TOWN, county.town_a)


@pytest.fixture
def town_b_cadre(county):
    return make_user("13700000013", "乙镇干部", Role.TOWN, county.town_b)


@pytest.fixture
def rep_user(county):
    """rep_a's account (a representative of group A)."""
    user = make_user("13700000014", "甲代表", Role.REPRESENTATIVE, county.group_a)
    county.rep_a.user = user
    county.rep_a.save(update_fields=["user"])
    return user


@pytest.fixture
def make_activity(county, village_cadre):
    from linli.activities import services

    def make(**kw):
        defaults = dict(
            actor=village_cadre,
            unit=county.village_a,
            kind="volunteer",
            title="清扫村道",
            place="村部广场",
            starts_at=timezone.now() + dt.timedelta(days=3),
            organisers=[county.rep_a],
        )
        defaults.update(kw)
        return services.activity_create(**defaults)

    return make


@pytest.fixture
def clock_later(monkeypatch):
    """Move the clock of the one-time codes past their one-a-minute limit."""
    from linli.appeals import services as appeals_services

    shift = {"n": 0}
    real_now = timezone.now

    def later():
        shift["n"] += 1
        monkeypatch.setattr(
            appeals_services.timezone,
            "now",
            lambda: real_now() + dt.timedelta(minutes=2 * shift["n"]),
        )

    return later
