"""The demo seed gives training a plan, a held session with a correction, a planned and
a cancelled one."""

from __future__ import annotations

import pytest

from linli.core.timeutil import today
from linli.dashboard.demo import DOMAIN_SEEDERS
from linli.training import demo, selectors
from linli.training.models import AttendanceRecord, TrainingPlan, TrainingSession

pytestmark = pytest.mark.django_db


def test_the_seed_is_listed_after_the_funds():
    names = [s.__module__ for s in DOMAIN_SEEDERS]
    assert names.index("linli.training.demo") > names.index("linli.funds.demo")


def test_the_seed_writes_a_plan_and_attendance(county):
    assert demo.seed(progress=lambda _m: None) >= 1
    plan = TrainingPlan.objects.get()
    assert plan.unit == county.town_a
    statuses = sorted(TrainingSession.objects.values_list("status", flat=True))
    assert statuses == ["cancelled", "held", "planned"]
    assert AttendanceRecord.objects.filter(revision=2).exists()
    assert selectors.minutes_by_representative(today().year)
