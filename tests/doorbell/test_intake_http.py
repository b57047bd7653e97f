"""The Wi-Fi doorbells' HTTP endpoint: POST /api/v1/public/doorbell/messages (no account, no
CSRF; the signature is the credential). 202 accepted, 400 malformed, 401 refused (unknown
device, bad signature, retired: one answer), 409 replay or stale, 429 throttled."""

from __future__ import annotations

import pytest
from django.test import Client

from linli.doorbell.models import Alarm, DeviceRejection, DeviceStatus
from tests.doorbell.devices_support import device, message, tampered

pytestmark = pytest.mark.django_db

URL = "/api/v1/public/doorbell/messages"


@pytest.fixture
def http():
    return Client(enforce_csrf_checks=True)


def post(http, payload: bytes, **extra):
    return http.post(URL, payload, content_type="application/json", **extra)


@pytest.fixture
def bound(county):
    return device(county.village_a, household=county.households_a[0])


def test_a_press_is_accepted_with_its_alarm(http, bound):
    response = post(http, message(seq=1)[1])
    assert response.status_code == 202
    assert response.json() == {"status": "accepted", "alarm": Alarm.objects.get().pk}
    assert Alarm.objects.get().message.channel == "http"


def test_a_heartbeat_is_accepted_without_alarm(http, bound):
    response = post(http, message(seq=1, kind="heartbeat", battery=77)[1])
    assert response.status_code == 202 and response.json()["alarm"] is None
    bound.refresh_from_db()
    assert bound.battery == 77


def test_a_replay_is_409_and_logged(http, bound):
    payload = message(seq=3)[1]
    assert post(http, payload).status_code == 202
    again = post(http, payload)
    assert again.status_code == 409 and again.json()["code"] == "duplicate"
    assert Alarm.objects.count() == 1
    assert DeviceRejection.objects.get().reason == "replay"


def test_unknown_device_bad_signature_and_retired_get_the_same_401(http, bound, county):
    unknown = post(http, message("DB-NOPE", seq=1)[1])
    forged = post(http, tampered(message(seq=2)[1], sig="a" * 64))
    device(county.village_a, device_id="DB-OLD", status=DeviceStatus.RETIRED)
    retired = post(http, message("DB-OLD", seq=1)[1])
    assert unknown.status_code == forged.status_code == retired.status_code == 401
    assert unknown.json() == forged.json() == retired.json()
    assert not Alarm.objects.exists()
    assert sorted(DeviceRejection.objects.values_list("reason", flat=True)) == [
        "bad_signature",
        "retired_device",
        "unknown_device",
    ]


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"{",
        b"null",
        b'{"v":1}',
        b"\x00\x01\x02",
        b"x" * 5000,
        '{"device":"\ud800"}'.encode("utf-8", "surrogatepass"),
    ],
    ids=range(7),
)
def test_malformed_is_400_with_the_reason_never_500(http, bound, payload):
    response = post(http, payload)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert not Alarm.objects.exists()
    assert DeviceRejection.objects.get().reason == "malformed"


def test_a_malformed_message_is_told_in_chinese_with_the_technical_reason_apart(http, bound):
    response = post(http, b"{", HTTP_ACCEPT_LANGUAGE="zh-hans")
    body = response.json()
    assert response.status_code == 400 and body["message"].startswith("消息格式错误")
    assert "JSON" not in body["message"] and "JSON" in body["details"]["reason"]
    bad_seq = tampered(message(seq=1)[1], seq=-5)
    body = post(http, bad_seq, HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert "seq" not in body["message"] and "seq" in body["details"]["reason"]


def test_the_remote_address_is_logged(http, bound):
    post(http, message("DB-NOPE", seq=1)[1], REMOTE_ADDR="10.1.2.3")
    assert DeviceRejection.objects.get().remote == "10.1.2.3"


def _limit(settings, n: int) -> None:
    settings.LINLI = {
        **settings.LINLI,
        "THROTTLES": {**settings.LINLI["THROTTLES"], "doorbell-address": (n, 60)},
    }


def test_a_flood_of_refused_messages_from_one_address_is_throttled(http, bound, settings):
    _limit(settings, 3)
    forged = [tampered(message(seq=n)[1], sig="b" * 64) for n in range(1, 6)]
    codes = [post(http, f, REMOTE_ADDR="10.7.0.1").status_code for f in forged]
    assert codes == [401, 401, 401, 429, 429]
    # Over the limit, the forgeries are not even written down (a flood fills no table).
    assert DeviceRejection.objects.count() == 3
    # Malformed and unknown-device messages count too; another address is not affected.
    assert post(http, b"{", REMOTE_ADDR="10.7.0.1").status_code == 429
    assert post(http, message("DB-NOPE", seq=1)[1], REMOTE_ADDR="10.7.0.1").status_code == 429
    assert post(http, message("DB-NOPE", seq=1)[1], REMOTE_ADDR="10.7.0.2").status_code == 401


def test_a_genuine_press_behind_the_same_nat_is_heard_through_a_flood(http, bound, settings):
    """Many Wi-Fi doorbells share a village's address: once forgeries from it spent its
    limit, the genuine, correctly signed press from the same address is still accepted
    with its alarm; the forgeries go on getting 429."""
    _limit(settings, 3)
    for n in range(1, 8):
        post(http, tampered(message(seq=n)[1], sig="b" * 64), REMOTE_ADDR="10.8.0.1")
    genuine = post(http, message(seq=40)[1], REMOTE_ADDR="10.8.0.1")
    assert genuine.status_code == 202
    assert genuine.json()["alarm"] == Alarm.objects.get().pk
    again = tampered(message(seq=41)[1], sig="b" * 64)
    assert post(http, again, REMOTE_ADDR="10.8.0.1").status_code == 429
    # A replay of the genuine message is signed, so it is taken in and refused as a
    # replay (409), never accepted twice.
    assert post(http, message(seq=40)[1], REMOTE_ADDR="10.8.0.1").status_code == 409


def test_forged_messages_never_silence_the_genuine_press(http, bound):
    """The device id is printed on the doorbell: 35 forged messages claiming it (from many
    addresses, in one minute) must not make the genuine, signed press 429."""
    for n in range(1, 36):
        forged = tampered(message(seq=n)[1], sig="b" * 64)
        assert post(http, forged, REMOTE_ADDR=f"10.9.0.{n}").status_code == 401
    genuine = post(http, message(seq=40)[1], REMOTE_ADDR="10.9.1.1")
    assert genuine.status_code == 202
    assert genuine.json()["alarm"] == Alarm.objects.get().pk


def test_genuine_messages_never_spend_the_address_limit(http, bound, settings):
    """Only refused messages count: a village's doorbells may send as many genuine
    messages as they have, and a refused one after them is still the first counted."""
    _limit(settings, 2)
    codes = [post(http, message(seq=n, kind="heartbeat")[1]).status_code for n in range(1, 6)]
    assert codes == [202] * 5
    forged = [tampered(message(seq=n)[1], sig="b" * 64) for n in range(6, 9)]
    assert [post(http, f).status_code for f in forged] == [401, 401, 429]


def test_deeply_nested_json_is_400_not_500(http, bound):
    response = post(http, b"[" * 1000 + b"]" * 0)
    assert response.status_code == 400
    response = post(http, b'{"device":"DB-T-001","x":' + b"[" * 990 + b"]" * 990 + b"}")
    assert response.status_code == 400
