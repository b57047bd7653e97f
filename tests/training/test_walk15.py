"""Walk 15 (training as a stranger reads it): the session page says minutes of time
(分钟), not meeting minutes (会议记录, the duties' msgid), and a representative who came
is 出席, not the deliberation's head count (实到人数)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from linli.training.models import AttendanceStatus

from .conftest import make_session

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def test_present_is_attendance_not_a_head_count():
    with translation.override("zh-hans"):
        assert str(AttendanceStatus.PRESENT.label) == "出席"
        assert dict(AttendanceStatus.choices)["present"] == "出席"


def test_the_session_page_says_minutes_of_time(client, county, plan, town_cadre):
    session = make_session(plan, town_cadre, credit=90)
    client.force_login(town_cadre)
    url = reverse("training:session", args=[session.pk])
    r = client.post(url, {"action": "enrol", "representatives": [county.rep_a.pk]}, **ZH)
    assert r.status_code == 302
    form = {
        "action": "attendance",
        f"status_{county.rep_a.pk}": "present",
        f"minutes_{county.rep_a.pk}": "90",
    }
    assert client.post(url, form, **ZH).status_code == 302
    body = client.get(url, **ZH).content.decode()
    assert "90 分钟" in body
    assert "会议记录" not in body
    assert "实到人数" not in body
    assert "出席" in body
