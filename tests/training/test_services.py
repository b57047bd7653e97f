"""The training services: who may organise and enrol, the capacity, attendance only for
the enrolled at a held session, minutes bounds, corrections kept as history."""

from __future__ import annotations

import datetime as dt

import pytest

from linli.accounts.models import AuditLog
from linli.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from linli.core.timeutil import today
from linli.training import selectors, services
from linli.training.models import (
    Attendance,
    AttendanceRecord,
    AttendanceStatus,
    Enrolment,
    SessionStatus,
    hours,
)
from tests.support.factories import appoint

from .conftest import make_session

pytestmark = pytest.mark.django_db

P, A, E = AttendanceStatus.PRESENT, AttendanceStatus.ABSENT, AttendanceStatus.EXCUSED


def mark(rep, status=P, minutes=None):
    return services.Mark(rep.pk, status, minutes)


def test_hours_are_shown_by_integer_arithmetic():
    assert [hours(m) for m in (0, 30, 60, 90, 100, 1440)] == ["0", "0.5", "1", "1.5", "1.7", "24"]


def test_only_the_units_cadres_organise(county, town_cadre, town_b_cadre, rep_user, zh):
    with pytest.raises(Forbidden):
        services.plan_create(actor=town_b_cadre, unit=county.town_a, year=today().year, title="x")
    with pytest.raises(Forbidden):
        services.plan_create(actor=rep_user, unit=county.town_a, year=today().year, title="x")
    with pytest.raises(Forbidden):  # a group organises no training
        services.plan_create(actor=town_cadre, unit=county.group_a, year=today().year, title="x")
    plan = services.plan_create(actor=town_cadre, unit=county.town_a, year=today().year, title="x")
    assert AuditLog.objects.filter(action="training.plan.create", target_id=str(plan.pk)).exists()
    with pytest.raises(Conflict):
        services.plan_create(actor=town_cadre, unit=county.town_a, year=today().year, title="x")


@pytest.mark.parametrize(
    "change, code",
    [
        ({"duration_minutes": 0}, "duration"),
        ({"duration_minutes": 10**12}, "duration"),
        ({"duration_minutes": 1.5}, "duration"),
        ({"duration_minutes": True}, "duration"),
        ({"credit_minutes": 121}, "credit_above_duration"),
        ({"capacity": 0}, "capacity"),
        ({"capacity": 10**9}, "capacity"),
        ({"title": "培训\x00"}, "bad_characters"),
        ({"title": "   "}, "required"),
        ({"held_on": dt.date(1, 1, 1)}, "day"),
        ({"held_on": dt.date(2000, 1, 1)}, "day_outside_plan"),
    ],
)
def test_a_session_refuses_what_no_session_can_be(plan, town_cadre, zh, change, code):
    kw = {
        "title": "培训",
        "held_on": today(),
        "duration_minutes": 120,
        "credit_minutes": 120,
        "place": "会议室",
        "capacity": 5,
    }
    kw.update(change)
    with pytest.raises(InvalidInput) as caught:
        services.session_create(actor=town_cadre, plan=plan, **kw)
    assert caught.value.code == code


def test_enrolment_is_scoped_and_capacity_bound(county, plan, town_cadre, village_cadre, zh):
    session = make_session(plan, town_cadre, capacity=2)
    rep_x = appoint(county, 11, "张代表")
    rep_y = appoint(county, 12, "王代表")
    # Town B's representative is not in the organiser's subtree.
    with pytest.raises(NotFound):
        services.enrol(actor=town_cadre, session=session, representatives=[county.rep_b])
    # The village cadre enrols their village's representatives in the town's session.
    assert services.enrol(actor=village_cadre, session=session, representatives=[county.rep_a]) == 1
    with pytest.raises(Conflict) as caught:
        services.enrol(actor=town_cadre, session=session, representatives=[rep_x, rep_y])
    assert caught.value.code == "session_full"
    assert "还剩 1" in caught.value.message or "1" in caught.value.message
    assert Enrolment.objects.count() == 1
    services.enrol(actor=town_cadre, session=session, representatives=[rep_x])
    # A withdrawal frees the place; enrolling again reuses the row.
    services.withdraw(actor=town_cadre, session=session, representative=rep_x)
    services.enrol(actor=town_cadre, session=session, representatives=[rep_y])
    assert selectors.enrolled_count(session) == 2
    services.withdraw(actor=town_cadre, session=session, representative=rep_y)
    services.enrol(actor=town_cadre, session=session, representatives=[rep_x])
    assert Enrolment.objects.filter(representative=rep_x).count() == 1


def test_attendance_only_for_the_enrolled(county, session, town_cadre, zh):
    services.enrol(actor=town_cadre, session=session, representatives=[county.rep_a])
    rep_x = appoint(county, 11, "张代表")
    with pytest.raises(Conflict) as caught:
        services.attendance_record(
            actor=town_cadre, session=session, marks=[mark(county.rep_a), mark(rep_x)]
        )
    assert caught.value.code == "not_enrolled"
    assert not Attendance.objects.exists()
    session.refresh_from_db()
    assert session.status == SessionStatus.PLANNED


def test_no_attendance_for_a_cancelled_or_future_session(county, plan, town_cadre, zh):
    cancelled = make_session(plan, town_cadre)
    services.enrol(actor=town_cadre, session=cancelled, representatives=[county.rep_a])
    services.session_cancel(actor=town_cadre, session=cancelled, reason="改期")
    with pytest.raises(Conflict) as caught:
        services.attendance_record(actor=town_cadre, session=cancelled, marks=[mark(county.rep_a)])
    assert caught.value.code == "session_cancelled"
    with pytest.raises(Conflict):  # no enrolment in a cancelled session either
        services.enrol(actor=town_cadre, session=cancelled, representatives=[county.rep_b])
    future_day = today() + dt.timedelta(days=1)
    if future_day.year != today().year:
        pytest.skip("31 December: no later day in the plan's year")
    future = make_session(plan, town_cadre, held_on=future_day)
    services.enrol(actor=town_cadre, session=future, representatives=[county.rep_a])
    with pytest.raises(Conflict) as caught:
        services.attendance_record(actor=town_cadre, session=future, marks=[mark(county.rep_a)])
    assert caught.value.code == "session_in_future"
    assert not Attendance.objects.exists()


def test_minutes_bounds(county, session, town_cadre, zh):
    services.enrol(actor=town_cadre, session=session, representatives=[county.rep_a])
    for bad in (-1, 121, 10**15, 1.5, True):
        with pytest.raises(InvalidInput):
            services.attendance_record(
                actor=town_cadre, session=session, marks=[mark(county.rep_a, P, bad)]
            )
    with pytest.raises(InvalidInput):  # absent, but credited
        services.attendance_record(
            actor=town_cadre, session=session, marks=[mark(county.rep_a, A, 30)]
        )
    with pytest.raises(InvalidInput):
        services.attendance_record(
            actor=town_cadre, session=session, marks=[services.Mark(county.rep_a.pk, "asleep")]
        )
    assert not Attendance.objects.exists()
    services.attendance_record(actor=town_cadre, session=session, marks=[mark(county.rep_a)])
    assert Attendance.objects.get().minutes == 120


def test_corrections_are_kept_as_history(county, session, town_cadre, village_cadre, zh):
    services.enrol(actor=town_cadre, session=session, representatives=[county.rep_a])
    r = services.attendance_record(actor=town_cadre, session=session, marks=[mark(county.rep_a, A)])
    assert (r.recorded, r.corrected) == (1, 0)
    session.refresh_from_db()
    assert session.status == SessionStatus.HELD
    # The same again changes nothing and needs no reason.
    r = services.attendance_record(actor=town_cadre, session=session, marks=[mark(county.rep_a, A)])
    assert r.unchanged == 1 and AttendanceRecord.objects.count() == 1
    with pytest.raises(InvalidInput) as caught:
        services.attendance_record(
            actor=town_cadre, session=session, marks=[mark(county.rep_a, P, 60)]
        )
    assert caught.value.code == "reason_required"
    # Only the organiser records attendance (the village cadre enrols only).
    with pytest.raises(Forbidden):
        services.attendance_record(
            actor=village_cadre, session=session, marks=[mark(county.rep_a, P, 60)], reason="x"
        )
    services.attendance_record(
        actor=town_cadre, session=session, marks=[mark(county.rep_a, P, 60)], reason="迟到补录"
    )
    a = Attendance.objects.get()
    assert (a.status, a.minutes, a.revision) == (P, 60, 2)
    history = list(
        AttendanceRecord.objects.order_by("revision").values_list(
            "revision", "status", "minutes", "reason"
        )
    )
    assert history == [(1, A, 0, ""), (2, P, 60, "迟到补录")]
    assert AuditLog.objects.filter(action="training.attendance").count() == 2
    # A held session is not cancelled, nor does it take enrolments or withdrawals.
    with pytest.raises(Conflict):
        services.session_cancel(actor=town_cadre, session=session, reason="x")
    with pytest.raises(Conflict):
        services.withdraw(actor=town_cadre, session=session, representative=county.rep_a)


def test_a_named_twice_or_empty_batch_is_refused(county, session, town_cadre, zh):
    services.enrol(actor=town_cadre, session=session, representatives=[county.rep_a])
    with pytest.raises(InvalidInput):
        services.attendance_record(
            actor=town_cadre, session=session, marks=[mark(county.rep_a), mark(county.rep_a, A)]
        )
    with pytest.raises(InvalidInput):
        services.attendance_record(actor=town_cadre, session=session, marks=[])
