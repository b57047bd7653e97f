"""The training pages: plans, a plan's sessions, a session (enrol, attendance for all in
one form, cancel), a representative's record (their own only), the hours table with
paging and filters and its Excel export; hostile form input answers 400 in Chinese and
writes nothing."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from linli.core.timeutil import today
from linli.training import services
from linli.training.models import (
    Attendance,
    AttendanceRecord,
    Enrolment,
    SessionStatus,
    TrainingPlan,
    TrainingSession,
)
from tests.support.factories import appoint

from .conftest import make_session

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def get(client, name, *args, **params):
    return client.get(reverse(name, args=args), params, **ZH)


def test_a_town_cadre_makes_a_plan_and_a_session(client, county, town_cadre):
    client.force_login(town_cadre)
    assert "代表培训" in get(client, "training:plans").content.decode()
    r = client.post(
        reverse("training:plans"),
        {"unit": county.town_a.pk, "year": today().year, "title": "履职培训计划"},
        **ZH,
    )
    assert r.status_code == 302, r.content.decode()[:1500]
    plan = TrainingPlan.objects.get()
    r = client.post(
        reverse("training:plan", args=[plan.pk]),
        {
            "title": "诉求办理培训",
            "held_on": str(today()),
            "starts_at": "09:30",
            "duration_minutes": "180",
            "credit_minutes": "",
            "place": "镇会议室",
            "capacity": "30",
        },
        **ZH,
    )
    assert r.status_code == 302, r.content.decode()[:1500]
    session = TrainingSession.objects.get()
    assert session.credit_minutes == 180 and session.starts_at.hour == 9
    body = get(client, "training:plan", plan.pk).content.decode()
    assert "诉求办理培训" in body


HOSTILE = [
    {"duration_minutes": "99999999999999999999"},
    {"duration_minutes": "-5"},
    {"duration_minutes": "1e5"},
    {"capacity": "0"},
    {"credit_minutes": "500"},
    {"title": "培训\x1b[31m"},
    {"title": "   "},
    {"held_on": "0001-01-01"},
    {"held_on": "9999-12-31"},
    {"held_on": "2026-02-30"},
    {"held_on": "昨天"},
    {"held_on": "2001-05-01"},
    {"starts_at": "25:61"},
    {"place": "x" * 201},
]


@pytest.mark.parametrize("change", HOSTILE)
def test_hostile_session_form_is_a_400_in_chinese(client, plan, town_cadre, change):
    client.force_login(town_cadre)
    data = {
        "title": "培训",
        "held_on": str(today()),
        "duration_minutes": "120",
        "place": "会议室",
        "capacity": "10",
        **change,
    }
    r = client.post(reverse("training:plan", args=[plan.pk]), data, **ZH)
    assert r.status_code == 400
    text = r.content.decode()
    assert 'class="errorlist' in text
    assert not TrainingSession.objects.exists()


def test_a_nul_in_a_form_is_refused_before_the_view(client, plan, town_cadre):
    client.force_login(town_cadre)
    r = client.post(reverse("training:plan", args=[plan.pk]), {"title": "a\x00"}, **ZH)
    assert r.status_code == 400 and "无法识别这个请求" in r.content.decode()


def test_enrol_record_attendance_for_all_and_correct(client, county, plan, town_cadre):
    session = make_session(plan, town_cadre, capacity=5)
    rep_x = appoint(county, 11, "张代表")
    client.force_login(town_cadre)
    url = reverse("training:session", args=[session.pk])
    body = get(client, "training:session", session.pk).content.decode()
    assert "报名" in body and county.rep_a.name in body and county.rep_b.name not in body
    r = client.post(url, {"action": "enrol", "representatives": [county.rep_a.pk, rep_x.pk]}, **ZH)
    assert r.status_code == 302
    assert Enrolment.objects.count() == 2
    form = {
        "action": "attendance",
        f"status_{county.rep_a.pk}": "present",
        f"minutes_{county.rep_a.pk}": "120",
        f"status_{rep_x.pk}": "absent",
        f"minutes_{rep_x.pk}": "",
    }
    r = client.post(url, form, **ZH)
    assert r.status_code == 302, r.content.decode()[:2000]
    assert Attendance.objects.filter(status="present").count() == 1
    session.refresh_from_db()
    assert session.status == SessionStatus.HELD
    # A correction without a reason: refused, in Chinese, nothing changed.
    form[f"status_{rep_x.pk}"], form[f"minutes_{rep_x.pk}"] = "present", "60"
    r = client.post(url, form, **ZH)
    assert r.status_code == 400 and "原因" in r.content.decode()
    # Minutes above what the session credits: the field's error.
    r = client.post(url, {**form, f"minutes_{rep_x.pk}": "121", "reason": "x"}, **ZH)
    assert r.status_code == 400 and "errorlist" in r.content.decode()
    r = client.post(url, {**form, "reason": "迟到补录"}, **ZH)
    assert r.status_code == 302
    assert AttendanceRecord.objects.count() == 3
    body = get(client, "training:session", session.pk).content.decode()
    assert "迟到补录" in body


def test_cancel_and_unknown_actions(client, county, plan, town_cadre, village_cadre):
    session = make_session(plan, town_cadre)
    url = reverse("training:session", args=[session.pk])
    client.force_login(village_cadre)
    # The village cadre enrols, but neither records nor cancels the town's session.
    assert client.post(url, {"action": "cancel", "reason": "x"}, **ZH).status_code == 404
    client.force_login(town_cadre)
    assert client.post(url, {"action": "explode"}, **ZH).status_code == 404
    assert client.post(url, {"action": "cancel", "reason": ""}, **ZH).status_code == 400
    r = client.post(url, {"action": "cancel", "reason": "改期"}, **ZH)
    assert r.status_code == 302
    session.refresh_from_db()
    assert session.status == SessionStatus.CANCELLED
    r = client.post(url, {"action": "enrol", "representatives": [county.rep_a.pk]}, **ZH)
    assert r.status_code == 409 and "只有计划中的培训可以报名" in r.content.decode()
    assert not Enrolment.objects.exists()


def test_a_representative_sees_only_their_own_record(
    client, county, plan, session, town_cadre, rep_user, rep_b_user
):
    services.enrol(actor=town_cadre, session=session, representatives=[county.rep_a])
    services.attendance_record(
        actor=town_cadre, session=session, marks=[services.Mark(county.rep_a.pk, "present")]
    )
    client.force_login(rep_user)
    body = get(client, "training:mine").content.decode()
    assert "履职培训" in body and "120" in body
    own = get(client, "training:representative", county.rep_a.pk, year=today().year)
    assert own.status_code == 200 and "履职培训" in own.content.decode()
    assert get(client, "training:representative", county.rep_b.pk).status_code == 404
    assert get(client, "training:plans").status_code == 403
    assert get(client, "training:representative", county.rep_a.pk, year="x").status_code == 400
    assert get(client, "training:representative", county.rep_a.pk, year="99999").status_code == 400
    client.force_login(rep_b_user)
    assert get(client, "training:representative", county.rep_a.pk).status_code == 404
    assert "履职培训" not in get(client, "training:mine").content.decode()


def test_the_hours_table_pages_filters_and_exports(
    client, county, plan, session, town_cadre, settings
):
    settings.LINLI = {**settings.LINLI, "PAGE_SIZE": 2}
    extra = [appoint(county, 20 + i, f"代表{i}") for i in range(3)]
    services.enrol(actor=town_cadre, session=session, representatives=[county.rep_a, *extra])
    services.attendance_record(
        actor=town_cadre,
        session=session,
        marks=[services.Mark(r.pk, "present") for r in [county.rep_a, *extra]],
    )
    client.force_login(town_cadre)
    r = get(client, "training:hours", unit=county.village_a.pk, year=today().year)
    body = r.content.decode()
    assert r.status_code == 200 and "480" in body  # 4 x 120 minutes in all
    assert "page=2" in body
    assert get(client, "training:hours", unit="abc").status_code == 400
    assert get(client, "training:hours", year="1").status_code == 400
    assert get(client, "training:hours", unit=county.village_b.pk).status_code == 400
    r = get(client, "training:export", unit=county.village_a.pk, year=today().year)
    assert r.status_code == 200
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(b"".join(r.streaming_content)), read_only=True)
    cells = [row for row in book.worksheets[0].iter_rows(values_only=True)]
    assert cells[0][0] == "年度" and len(cells) == 1 + 4  # rep_a and three more
    assert {c[-1] for c in cells[1:]} == {120}
