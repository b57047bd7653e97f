"""The hand-made set of appeals the rates are checked on (described, appeal by appeal,
in test_rates_honest's docstring): filed through the services on a fixed clock.
`handmade` is a fixture of tests/appeals/conftest.py."""

from __future__ import annotations

import contextlib
import datetime as dt
from unittest import mock

import pytest

from linli.appeals import services
from linli.appeals.models import Appeal, Urgency
from tests.support.factories import RESIDENT_PHONE

T = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@contextlib.contextmanager
def at(hours: float):
    with mock.patch("django.utils.timezone.now", return_value=T + dt.timedelta(hours=hours)):
        yield


@pytest.fixture
def handmade(actors, file_appeal):
    rep, village = actors.rep, actors.fresh(actors.village)

    def act(hours, appeal, action, actor=rep, **kw):
        with at(hours):
            return services.appeal_act(actor=actor, appeal=appeal, action=action, **kw)

    def rate(hours, appeal, rating):
        return act(hours, appeal, "rate", None, rating=rating, resident_phone=RESIDENT_PHONE)

    with at(0):
        a = {i: file_appeal(urgency=Urgency.URGENT) for i in range(1, 10)}

    act(1, a[1], "claim")
    act(10, a[1], "resolve", note="已修复")
    rate(11, a[1], 5)

    act(3, a[2], "claim")
    act(20, a[2], "resolve", note="已修复")
    rate(21, a[2], 4)

    act(1, a[3], "claim")
    act(6, a[3], "resolve", note="已修复")
    rate(7, a[3], 2)
    act(8, a[3], "claim")
    act(12, a[3], "resolve", note="重新修复")
    rate(13, a[3], 5)

    act(1, a[4], "escalate", note="需要村里协调")
    act(1.5, a[4], "claim", village)
    act(2, a[4], "return", village, note="组里能办")
    act(2.5, a[4], "claim")
    act(6, a[4], "resolve", note="已修复")

    act(1, a[5], "claim")
    act(3, a[5], "resolve", note="已修复")
    with at(4):
        services.appeal_act(actor=None, appeal=a[5], action="expire_visit", system=True)
    act(5, a[5], "reopen", village, note="居民再次反映")
    act(6, a[5], "merge", note="与另一件重复", merge_into=a[6])

    act(1, a[6], "claim")
    act(30, a[6], "suspend", note="等待材料")

    act(5, a[7], "withdraw", None, resident_phone=RESIDENT_PHONE)
    act(1, a[8], "withdraw", None, resident_phone=RESIDENT_PHONE)
    return {i: Appeal.objects.get(pk=x.pk) for i, x in a.items()}
