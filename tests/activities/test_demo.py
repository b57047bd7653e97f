"""The demo seed gives the calendar rows: service days, held and coming activities, a
held deliberation meeting with its duties record, sign-ups."""

from __future__ import annotations

import pytest

from linli.activities import demo, selectors
from linli.activities.models import Activity, ActivityStatus, ServiceDayRule, Signup
from linli.dashboard.demo import DOMAIN_SEEDERS
from linli.duties.models import Deliberation

pytestmark = pytest.mark.django_db


def test_the_seed_is_listed_after_the_duties():
    names = [s.__module__ for s in DOMAIN_SEEDERS]
    assert names.index("linli.activities.demo") > names.index("linli.duties.demo")


def test_the_seed_fills_the_calendar(county):
    assert demo.seed(progress=lambda _m: None) == 6
    assert ServiceDayRule.objects.filter(unit=county.town_a).exists()
    assert ServiceDayRule.objects.filter(unit=county.village_a, kind="weekday").exists()
    meeting = Activity.objects.get(kind="deliberation")
    assert meeting.status == ActivityStatus.HELD
    record = Deliberation.objects.get(pk=meeting.deliberation_id)
    assert list(record.organisers.all()) == [county.rep_a]
    assert Activity.objects.filter(status=ActivityStatus.PLANNED).count() == 3
    assert Activity.objects.filter(status=ActivityStatus.CANCELLED).count() == 1
    assert Signup.objects.count() == 3
    coming = selectors.coming_service_days(county.village_a, count=2)
    assert all(d.weekday() == 5 for d in coming)
