"""The training API: plans, sessions, enrolment, attendance and its corrections, a
representative's record and the hours table; hostile bodies answer a clear 400 in
Chinese, never 500."""

from __future__ import annotations

import pytest

from linli.core.timeutil import today
from linli.training.models import Attendance, TrainingSession
from tests.support.api import ApiClient, rows

from .conftest import yesterday

pytestmark = pytest.mark.django_db


def raw_post(api, path, text):
    return api.client.post(
        f"/api/v1{path}",
        text,
        content_type="application/json",
        headers={**api.headers, "Accept-Language": "zh-hans"},
    )


def test_the_whole_round(county, town_cadre, rep_user, town_b_cadre):
    api = ApiClient(town_cadre)
    r = api.post(
        "/training/plans", {"unit_id": county.town_a.pk, "year": today().year, "title": "计划"}
    )
    assert r.status_code == 201, r.content
    plan = r.json()
    r = api.post(
        "/training/sessions",
        {
            "plan_id": plan["id"],
            "title": "履职培训",
            "held_on": str(yesterday()),
            "starts_at": "09:30",
            "duration_minutes": 120,
            "credit_minutes": 90,
            "place": "镇会议室",
            "capacity": 1,
        },
    )
    assert r.status_code == 201, r.content
    sid = r.json()["id"]
    assert r.json()["credit_minutes"] == 90 and r.json()["organiser"] == county.town_a.name
    r = api.post(f"/training/sessions/{sid}/enrolments", {"representative_ids": [county.rep_a.pk]})
    assert r.json() == {"enrolled": 1, "total": 1}
    r = api.post(f"/training/sessions/{sid}/enrolments", {"representative_ids": [county.rep_b.pk]})
    assert r.status_code == 404
    r = api.post(
        f"/training/sessions/{sid}/attendance",
        {"records": [{"representative_id": county.rep_a.pk, "status": "present"}]},
    )
    assert r.json() == {"recorded": 1, "corrected": 0, "unchanged": 0}
    r = api.post(
        f"/training/sessions/{sid}/attendance",
        {"records": [{"representative_id": county.rep_a.pk, "status": "present", "minutes": 30}]},
    )
    assert r.status_code == 400 and r.json()["code"] == "reason_required"
    detail = api.get(f"/training/sessions/{sid}").json()
    assert detail["status"] == "held" and detail["enrolled"][0]["minutes"] == 90
    assert [p["id"] for p in rows(api.get("/training/plans"))] == [plan["id"]]
    assert rows(ApiClient(town_b_cadre).get("/training/plans")) == []
    assert ApiClient(town_b_cadre).get(f"/training/sessions/{sid}").status_code == 404
    mine = ApiClient(rep_user).get(f"/training/representatives/{county.rep_a.pk}").json()
    assert mine["total_minutes"] == 90 and mine["attended"][0]["title"] == "履职培训"
    assert (
        ApiClient(rep_user).get(f"/training/representatives/{county.rep_b.pk}").status_code == 404
    )
    assert ApiClient(rep_user).get("/training/hours").status_code == 403
    hours = api.get("/training/hours", unit=county.village_a.pk).json()
    assert hours["total_minutes"] == 90 and hours["items"][0]["minutes"] == 90


HOSTILE = [
    '{"plan_id": %(p)s, "title": "x", "held_on": "%(d)s", "duration_minutes": 99999999999999999999, "place": "x", "capacity": 1}',
    '{"plan_id": %(p)s, "title": "x", "held_on": "%(d)s", "duration_minutes": -1, "place": "x", "capacity": 1}',
    '{"plan_id": %(p)s, "title": "x", "held_on": "%(d)s", "duration_minutes": 1.5, "place": "x", "capacity": 1}',
    '{"plan_id": %(p)s, "title": "x", "held_on": "%(d)s", "duration_minutes": true, "place": "x", "capacity": 1}',
    '{"plan_id": %(p)s, "title": "x", "held_on": "%(d)s", "duration_minutes": NaN, "place": "x", "capacity": 1}',
    '{"plan_id": %(p)s, "title": "x", "held_on": "%(d)s", "duration_minutes": 60, "place": "x", "capacity": 0}',
    '{"plan_id": %(p)s, "title": "x", "held_on": "0001-01-01", "duration_minutes": 60, "place": "x", "capacity": 1}',
    '{"plan_id": %(p)s, "title": "x", "held_on": "9999-12-31", "duration_minutes": 60, "place": "x", "capacity": 1}',
    '{"plan_id": %(p)s, "title": "x", "held_on": "2026-02-30", "duration_minutes": 60, "place": "x", "capacity": 1}',
    '{"plan_id": %(p)s, "title": "x", "held_on": "2001-01-01", "duration_minutes": 60, "place": "x", "capacity": 1}',
    '{"plan_id": %(p)s, "title": "x", "held_on": "%(d)s", "starts_at": "25:99", "duration_minutes": 60, "place": "x", "capacity": 1}',
    '{"plan_id": %(p)s, "title": "x\\u0000", "held_on": "%(d)s", "duration_minutes": 60, "place": "x", "capacity": 1}',
    '{"plan_id": %(p)s, "title": "a\\u001b[31m", "held_on": "%(d)s", "duration_minutes": 60, "place": "x", "capacity": 1}',
    '{"plan_id": %(p)s, "title": "\\ud800", "held_on": "%(d)s", "duration_minutes": 60, "place": "x", "capacity": 1}',
    '{"plan_id": 9223372036854775808, "title": "x", "held_on": "%(d)s", "duration_minutes": 60, "place": "x", "capacity": 1}',
    "not json",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_session_bodies_are_a_clear_400(plan, town_cadre, text):
    api = ApiClient(town_cadre)
    values = {"p": plan.pk, "d": today().isoformat()}
    r = raw_post(api, "/training/sessions", text % values if "%(" in text else text)
    assert r.status_code == 400, r.content
    answer = r.json()
    assert any("\u4e00" <= ch <= "\u9fff" for ch in answer["message"]), answer
    assert not TrainingSession.objects.exists()


@pytest.mark.parametrize(
    "records",
    [
        '[{"representative_id": %(r)s, "status": "present", "minutes": 99999999999999999999}]',
        '[{"representative_id": %(r)s, "status": "present", "minutes": -5}]',
        '[{"representative_id": %(r)s, "status": "present", "minutes": 121}]',
        '[{"representative_id": %(r)s, "status": "absent", "minutes": 30}]',
        '[{"representative_id": %(r)s, "status": "asleep"}]',
        '[{"representative_id": -1, "status": "present"}]',
        "[]",
    ],
)
def test_hostile_attendance_is_a_clear_400(county, session, town_cadre, records):
    from linli.training import services

    services.enrol(actor=town_cadre, session=session, representatives=[county.rep_a])
    api = ApiClient(town_cadre)
    text = '{"records": %s}' % (records % {"r": county.rep_a.pk} if "%(" in records else records)
    r = raw_post(api, f"/training/sessions/{session.pk}/attendance", text)
    assert r.status_code == 400, r.content
    assert any("\u4e00" <= ch <= "\u9fff" for ch in r.json()["message"])
    assert not Attendance.objects.exists()
