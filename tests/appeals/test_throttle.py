"""Limits on the public doors of appeals (appeals/throttle.py): tracking per client
and per case code, one-time codes per client, wrong codes per mobile."""

from __future__ import annotations

import datetime as dt
import logging
import re

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from linli.appeals.models import PhoneCode
from linli.core.crypto import blind_index
from linli.notify.models import Outbox
from tests.appeals.conftest import RESIDENT_PHONE
from tests.support.clock import LimiterClock

TRACK = "/api/v1/public/track"
CODES = "/api/v1/public/codes"
FILE = "/api/v1/public/appeals"


@pytest.fixture
def clock(monkeypatch):
    return LimiterClock(monkeypatch)


def track(client, code: str, phone: str, addr: str = "10.1.0.1"):
    return client.post(
        TRACK, {"code": code, "phone": phone}, content_type="application/json", REMOTE_ADDR=addr
    )


def ask_code(client, phone: str, addr: str = "10.1.0.1"):
    return client.post(CODES, {"phone": phone}, content_type="application/json", REMOTE_ADDR=addr)


def mobile(i: int) -> str:
    return f"139000{i:05d}"


# --- tracking ----------------------------------------------------------------------


def test_track_guessing_from_one_client_is_refused_after_10_a_minute(file_appeal, clock):
    appeal = file_appeal()
    client = Client()
    # Ten guesses at different codes (so no code is locked): each finds nothing.
    answers = [track(client, f"{appeal.code}{i}", mobile(i)).status_code for i in range(10)]
    assert answers == [404] * 10

    refused = track(client, appeal.code, RESIDENT_PHONE)

    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    assert refused["Retry-After"] == "55"
    assert refused.json()["details"]["retry_after"] == 55
    # Another client is not held back, and the next minute this one may try again.
    assert track(client, appeal.code, RESIDENT_PHONE, addr="10.1.0.2").status_code == 200
    clock.advance(55)
    assert track(client, appeal.code, RESIDENT_PHONE).status_code == 200


def test_track_from_one_client_is_refused_after_100_a_day(file_appeal, clock):
    appeal = file_appeal()
    client = Client()
    for minute in range(10):
        for i in range(10):
            assert track(client, f"X{minute}{i}", RESIDENT_PHONE).status_code == 404
        clock.advance(60)

    refused = track(client, appeal.code, RESIDENT_PHONE)

    assert refused.status_code == 429
    assert int(refused["Retry-After"]) == 86400 - 5 - 600


def test_five_wrong_mobiles_lock_the_case_code_for_the_hour(file_appeal, clock):
    appeal = file_appeal()
    other = file_appeal()
    client = Client()
    # Wrong mobiles from five addresses: the per-client limit does not come into it.
    answers = [
        track(client, appeal.code, mobile(i), addr=f"10.2.0.{i}").status_code for i in range(5)
    ]
    assert answers == [404] * 4 + [429]

    refused = track(client, appeal.code.lower(), RESIDENT_PHONE, addr="10.2.0.99")

    assert refused.status_code == 429
    assert refused["Retry-After"] == str(3600 - 5)
    assert "case code" in refused.json()["message"] or "案件编号" in refused.json()["message"]
    # Other codes are not locked; the hour over, the code opens again.
    assert track(client, other.code, RESIDENT_PHONE, addr="10.2.0.99").status_code == 200
    clock.advance(3600)
    assert track(client, appeal.code, RESIDENT_PHONE, addr="10.2.0.99").status_code == 200


def test_an_unknown_code_is_counted_like_a_known_one(file_appeal, clock):
    appeal = file_appeal()
    client = Client()
    known = [track(client, appeal.code, mobile(i), addr=f"10.3.0.{i}") for i in range(6)]
    unknown = [track(client, "NOSUCHCODE", mobile(i), addr=f"10.4.0.{i}") for i in range(6)]
    assert [r.status_code for r in known] == [r.status_code for r in unknown]
    assert [r.status_code for r in unknown] == [404] * 4 + [429] * 2
    assert [r.json() for r in known] == [r.json() for r in unknown]


def test_the_track_page_is_limited_per_client_and_per_code(client, file_appeal, clock):
    appeal = file_appeal()
    page = reverse("appeals:track")
    for i in range(10):
        r = client.post(page, {"code": f"ZZ{i}", "phone": mobile(i)}, REMOTE_ADDR="10.5.0.1")
        assert r.status_code == 200
    refused = client.post(
        page, {"code": appeal.code, "phone": RESIDENT_PHONE}, REMOTE_ADDR="10.5.0.1"
    )
    assert refused.status_code == 429
    assert refused["Retry-After"] == "55"
    assert "尝试次数过多" in refused.content.decode()

    for i in range(5):
        client.post(page, {"code": appeal.code, "phone": mobile(i)}, REMOTE_ADDR=f"10.6.0.{i}")
    locked = client.post(
        page, {"code": appeal.code, "phone": RESIDENT_PHONE}, REMOTE_ADDR="10.6.0.99"
    )
    assert locked.status_code == 429
    assert "案件编号" in locked.content.decode() and "分钟后再试" in locked.content.decode()


# --- one-time codes ----------------------------------------------------------------


@pytest.mark.django_db
def test_codes_for_20_mobiles_from_one_client_stop_after_5(clock):
    client = Client()
    answers = [ask_code(client, mobile(i)).status_code for i in range(20)]

    assert answers == [202] * 5 + [429] * 15
    assert Outbox.objects.filter(kind="appeal.code").count() == 5
    refused = ask_code(client, mobile(99))
    assert refused.json()["code"] == "throttled"
    assert refused["Retry-After"] == str(600 - 5)
    # Another client still gets its code; ten minutes on, this one does again.
    assert ask_code(client, mobile(30), addr="10.1.0.2").status_code == 202
    clock.advance(600)
    assert ask_code(client, mobile(31)).status_code == 202


@pytest.mark.django_db
def test_codes_from_one_client_stop_after_20_a_day(clock):
    client = Client()
    sent = 0
    for window in range(5):
        for i in range(5):
            if ask_code(client, mobile(window * 10 + i)).status_code == 202:
                sent += 1
        clock.advance(600)
    assert sent == 20
    assert ask_code(client, mobile(99)).status_code == 429


@pytest.mark.django_db
def test_the_report_page_code_request_is_limited_per_client(client, clock):
    report = reverse("appeals:report")
    for i in range(5):
        r = client.post(report, {"phone": mobile(i), "send_code": "1"}, REMOTE_ADDR="10.7.0.1")
        assert r.status_code == 200
    refused = client.post(report, {"phone": mobile(9), "send_code": "1"}, REMOTE_ADDR="10.7.0.1")
    assert refused.status_code == 429
    assert refused["Retry-After"] == str(600 - 5)
    assert "获取验证码次数过多" in refused.content.decode()
    assert Outbox.objects.filter(kind="appeal.code").count() == 5


def _sent_code(phone: str) -> str:
    body = (
        Outbox.objects.filter(address_hash=blind_index(phone), kind="appeal.code").latest("pk").body
    )
    return re.search(r"\d{6}", body).group(0)


def test_wrong_codes_are_limited_per_mobile_across_codes(actors, manhole_category, clock):
    client = Client()
    payload = {
        "category": "facilities",
        "description": "井盖坏了",
        "unit_id": actors.county.group_a.pk,
        "phone": RESIDENT_PHONE,
    }
    answers = []
    for _round in range(2):
        assert ask_code(client, RESIDENT_PHONE).status_code == 202
        right = _sent_code(RESIDENT_PHONE)
        wrong = "000000" if right != "000000" else "111111"
        for _ in range(5):
            r = client.post(FILE, {**payload, "code": wrong}, content_type="application/json")
            answers.append(r.json()["code"])
        # The next code may be asked for a minute later.
        PhoneCode.objects.update(created_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    assert answers == ["code_wrong"] * 10

    assert ask_code(client, RESIDENT_PHONE).status_code == 202
    right = _sent_code(RESIDENT_PHONE)
    refused = client.post(FILE, {**payload, "code": right}, content_type="application/json")

    assert refused.status_code == 429
    assert refused["Retry-After"] == str(3600 - 5)
    clock.advance(3600)
    accepted = client.post(FILE, {**payload, "code": right}, content_type="application/json")
    assert accepted.status_code == 201


# --- the cache is down ---------------------------------------------------------------


@pytest.mark.django_db
def test_with_the_cache_unreachable_the_limits_fail_open(caplog):
    down = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    client = Client()
    with override_settings(CACHES=down), caplog.at_level(logging.WARNING):
        answers = [ask_code(client, mobile(i)).status_code for i in range(7)]
        login = client.post(
            "/api/v1/auth/token",
            {"phone": mobile(1), "password": "x"},
            content_type="application/json",
        )
    assert answers == [202] * 7
    assert login.status_code == 401
    assert "rate limiting is off" in caplog.text
