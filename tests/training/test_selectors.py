"""The contract other apps read: `minutes_by_representative` (one grouped query however
many representatives), `attended_sessions`; and the scoped reads."""

from __future__ import annotations

import datetime as dt

import pytest

from linli.core.errors import NotFound
from linli.core.timeutil import today
from linli.training import selectors, services
from linli.training.models import (
    Attendance,
    AttendanceStatus,
    Enrolment,
    SessionStatus,
    TrainingPlan,
    TrainingSession,
)
from tests.support.factories import appoint
from tests.support.queries import count_queries

from .conftest import make_session

pytestmark = pytest.mark.django_db

P, A = AttendanceStatus.PRESENT, AttendanceStatus.ABSENT


def test_minutes_count_present_at_held_sessions_of_the_year(county, plan, town_cadre):
    one = make_session(plan, town_cadre, credit=120)
    two = make_session(plan, town_cadre, credit=90, title="第二次")
    rep_x = appoint(county, 11, "张代表")
    reps = [county.rep_a, rep_x]
    for s in (one, two):
        services.enrol(actor=town_cadre, session=s, representatives=reps)
    services.attendance_record(
        actor=town_cadre,
        session=one,
        marks=[services.Mark(county.rep_a.pk, P), services.Mark(rep_x.pk, A)],
    )
    services.attendance_record(
        actor=town_cadre,
        session=two,
        marks=[services.Mark(county.rep_a.pk, P, 45), services.Mark(rep_x.pk, P)],
    )
    year = today().year
    assert selectors.minutes_by_representative(year) == {county.rep_a.pk: 165, rep_x.pk: 90}
    assert selectors.minutes_by_representative(year, [rep_x.pk, county.rep_b.pk]) == {rep_x.pk: 90}
    assert selectors.minutes_by_representative(year, []) == {}
    assert selectors.minutes_by_representative(year - 1) == {}
    # More ids than go into one IN list: the same answer.
    many = list(range(10**6, 10**6 + selectors.IN_LIST_MAX + 5)) + [county.rep_a.pk]
    assert selectors.minutes_by_representative(year, many) == {county.rep_a.pk: 165}
    attended = selectors.attended_sessions(county.rep_a, year)
    assert [(a.title, a.minutes) for a in attended] == [("履职培训", 120), ("第二次", 45)]
    assert attended[0].organiser == county.town_a.name
    assert selectors.attended_sessions(rep_x.pk, year)[0].minutes == 90


def test_last_years_and_planned_sessions_do_not_count(county, town_cadre):
    """Rows written directly: a held session of last year, and a present mark at a
    session still planned (not possible through the services) count nothing."""
    year = today().year
    last = TrainingPlan.objects.create(unit=county.town_a, year=year - 1, title="去年")
    old = TrainingSession.objects.create(
        plan=last,
        title="去年的",
        held_on=dt.date(year - 1, 12, 31),
        duration_minutes=60,
        place="x",
        capacity=5,
        credit_minutes=60,
        status=SessionStatus.HELD,
    )
    Attendance.objects.create(session=old, representative=county.rep_a, status=P, minutes=60)
    this = TrainingPlan.objects.create(unit=county.town_a, year=year, title="今年")
    planned = TrainingSession.objects.create(
        plan=this,
        title="计划",
        held_on=dt.date(year, 1, 1),
        duration_minutes=60,
        place="x",
        capacity=5,
        credit_minutes=60,
    )
    Attendance.objects.create(session=planned, representative=county.rep_a, status=P, minutes=60)
    assert selectors.minutes_by_representative(year) == {}
    assert selectors.minutes_by_representative(year - 1) == {county.rep_a.pk: 60}


def _many(county, plan, town_cadre, n: int, start: int):
    """`n` more representatives, each present at a new held session."""
    session = make_session(plan, town_cadre, capacity=n, title=f"第{start}批")
    reps = [appoint(county, start + i, f"代表{start + i}") for i in range(n)]
    services.enrol(actor=town_cadre, session=session, representatives=reps)
    services.attendance_record(
        actor=town_cadre, session=session, marks=[services.Mark(r.pk, P) for r in reps]
    )
    return reps


def test_the_contract_is_constant_in_the_number_of_representatives(county, plan, town_cadre):
    year = today().year
    few = _many(county, plan, town_cadre, 2, 100)
    n_few, result, _sql = count_queries(
        lambda: selectors.minutes_by_representative(year, [r.pk for r in few])
    )
    assert len(result) == 2
    more = few + _many(county, plan, town_cadre, 8, 200)
    n_more, result, _sql = count_queries(
        lambda: selectors.minutes_by_representative(year, [r.pk for r in more])
    )
    assert len(result) == 10
    assert n_few == n_more == 1
    n_all, result, _sql = count_queries(lambda: selectors.minutes_by_representative(year))
    assert n_all == 1 and len(result) == 10


def test_scoped_reads(county, plan, session, town_cadre, town_b_cadre, village_cadre, rep_user):
    services.enrol(actor=town_cadre, session=session, representatives=[county.rep_a])
    assert list(selectors.plans_visible_to(town_cadre)) == [plan]
    # A village cadre sees the town's plan (their representatives attend it).
    assert list(selectors.plans_visible_to(village_cadre)) == [plan]
    assert not selectors.plans_visible_to(town_b_cadre).exists()
    assert not selectors.plans_visible_to(rep_user).exists()
    assert selectors.representative_get(rep_user, county.rep_a.pk) == county.rep_a
    with pytest.raises(NotFound):
        selectors.representative_get(rep_user, county.rep_b.pk)
    with pytest.raises(NotFound):
        selectors.representative_get(town_b_cadre, county.rep_a.pk)
    assert Enrolment.objects.count() == 1
