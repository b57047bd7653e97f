"""The intake's rules (services.message_receive): what is accepted once, what is refused
(a DeviceRejection row, a WARNING on the linli.doorbell log, never an alarm)."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.utils import timezone

from linli.doorbell import protocol, services
from linli.doorbell.models import (
    Alarm,
    AlarmEvent,
    AlarmEventKind,
    Device,
    DeviceMessage,
    DeviceRejection,
    DeviceStatus,
    DoorbellSettings,
    MaintenanceTask,
    RejectReason,
    TaskKind,
)
from tests.doorbell.devices_support import SECRET, device, message, tampered

pytestmark = pytest.mark.django_db


def receive(topic_payload, *, channel="mqtt", topic=True):
    t, payload = topic_payload
    return services.message_receive(
        payload=payload, topic=t if topic else None, channel=channel, remote="10.0.0.9"
    )


@pytest.fixture
def bound(county):
    return device(county.village_a, household=county.households_a[0])


def test_a_press_of_a_bound_doorbell_raises_one_alarm(bound, county):
    outcome = receive(message(seq=5, battery=80))
    assert outcome.accepted and outcome.status == "accepted"
    alarm = Alarm.objects.get()
    assert outcome.alarm_id == alarm.pk
    assert alarm.household == county.households_a[0]
    assert alarm.message.seq == 5 and alarm.message.channel == "mqtt"
    bound.refresh_from_db()
    assert bound.last_seq == 5 and bound.battery == 80 and bound.last_seen_at is not None
    assert not DeviceRejection.objects.exists()


def test_a_heartbeat_is_accepted_without_an_alarm(bound):
    outcome = receive(message(seq=1, kind="heartbeat", battery=90))
    assert outcome.accepted and outcome.alarm_id is None
    assert DeviceMessage.objects.get().kind == "heartbeat"
    assert not Alarm.objects.exists()


def test_a_replay_is_refused_logged_and_makes_no_second_alarm(bound, caplog):
    first = message(seq=7)
    assert receive(first).accepted
    with caplog.at_level(logging.WARNING, logger="linli.doorbell"):
        again = receive(first)
    assert again.status == "duplicate" and again.reason == "replay" and not again.accepted
    assert Alarm.objects.count() == 1
    rejection = DeviceRejection.objects.get()
    assert (rejection.reason, rejection.device, rejection.seq) == ("replay", bound, 7)
    assert rejection.remote == "10.0.0.9" and rejection.channel == "mqtt"
    assert any("replay" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)


def test_a_bad_signature_is_refused(bound, caplog):
    topic, payload = message(seq=3)
    forged = tampered(payload, sig="0" * 64)
    with caplog.at_level(logging.WARNING, logger="linli.doorbell"):
        outcome = services.message_receive(payload=forged, topic=topic, channel="mqtt")
    assert outcome.reason == "bad_signature" and not outcome.accepted
    assert not Alarm.objects.exists() and not DeviceMessage.objects.exists()
    assert DeviceRejection.objects.get().reason == "bad_signature"
    assert "bad_signature" in caplog.text
    bound.refresh_from_db()
    assert bound.last_seq == 0 and bound.last_seen_at is None


def test_a_message_signed_with_another_secret_is_refused(bound):
    outcome = receive(message(seq=3, secret="f" * 32))
    assert outcome.reason == "bad_signature"
    assert not Alarm.objects.exists()


def test_a_changed_field_breaks_the_signature(bound):
    topic, payload = message(seq=3, kind="heartbeat", battery=50)
    outcome = services.message_receive(
        payload=tampered(payload, battery=5), topic=topic, channel="mqtt"
    )
    assert outcome.reason == "bad_signature"


def test_an_unknown_device_is_refused(county, caplog):
    with caplog.at_level(logging.WARNING, logger="linli.doorbell"):
        outcome = receive(message("DB-NOBODY", seq=1))
    assert outcome.reason == "unknown_device"
    rejection = DeviceRejection.objects.get()
    assert rejection.claimed_id == "DB-NOBODY" and rejection.device is None
    assert not Alarm.objects.exists() and not DeviceMessage.objects.exists()
    assert "unknown_device" in caplog.text


def test_a_retired_device_is_refused(bound):
    Device.objects.filter(pk=bound.pk).update(status=DeviceStatus.RETIRED)
    assert receive(message(seq=1)).reason == "retired_device"
    assert not Alarm.objects.exists()


def test_a_sequence_far_below_the_highest_is_stale_a_little_below_is_accepted(bound):
    assert receive(message(seq=5000)).accepted
    assert receive(message(seq=4500)).accepted  # out of order, inside the window
    assert receive(message(seq=4000)).reason == "stale"
    # The second press joins the household's open alarm (one alarm, pressed again).
    assert Alarm.objects.count() == 1
    assert AlarmEvent.objects.filter(kind=AlarmEventKind.PRESSED_AGAIN).count() == 1
    bound.refresh_from_db()
    assert bound.last_seq == 5000


def test_the_topic_must_match_the_message(bound):
    _topic, payload = message(seq=1)
    outcome = services.message_receive(
        payload=payload, topic="linli/doorbell/DB-OTHER/press", channel="mqtt"
    )
    assert outcome.reason == "malformed"
    assert not Alarm.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"not json",
        b"[1, 2]",
        b'{"v": 1}',
        b"\x00\xff\xfe garbage \x1b[31m",
        b'{"v":1,"device":"DB-T-001","seq":1e400,"kind":"press","ts":1,"battery":null,"sig":"x"}',
        b'{"v":1,"device":"DB-T-001","seq":-1,"kind":"press","ts":1,"battery":null,"sig":"x"}',
        b'{"v":1,"device":"DB-T-001","seq":99999999999999999999999,"kind":"press","ts":1}',
        b'{"v":1,"device":"DB-T-001","seq":1,"kind":"press","ts":1,"battery":101,"sig":"x"}',
        b'{"v":1,"device":"DB-T-001","seq":true,"kind":"press","ts":1,"battery":null}',
        b'{"v":1,"device":"../../etc","seq":1,"kind":"press","ts":1,"battery":null}',
        b'{"v":1,"device":"DB-T-001","seq":1,"kind":"open_door","ts":1,"battery":null}',
        b"{" + b'"a":' * 0 + b'"x":"' + b"y" * 5000 + b'"}',
    ],
    ids=range(13),
)
def test_malformed_and_hostile_payloads_are_refused_and_logged(bound, payload, caplog):
    with caplog.at_level(logging.WARNING, logger="linli.doorbell"):
        outcome = services.message_receive(payload=payload, topic=None, channel="http")
    assert outcome.reason == "malformed" and not outcome.accepted
    rejection = DeviceRejection.objects.get()
    assert len(rejection.excerpt) <= services.EXCERPT_CHARS
    assert not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for c in rejection.excerpt)
    assert not Alarm.objects.exists() and not DeviceMessage.objects.exists()
    assert "malformed" in caplog.text


def test_the_excerpt_keeps_no_secret_and_no_control_characters(bound):
    services.message_receive(
        payload=b'{"device":"DB-T-001","note":"\x07\x1b[2J' + SECRET.encode()[:0] + b'"}',
        topic=None,
        channel="http",
        remote="1.2.3.4\n\x00evil",
    )
    rejection = DeviceRejection.objects.get()
    assert "\x1b" not in rejection.excerpt and "\x07" not in rejection.excerpt
    assert rejection.remote == "1.2.3.4evil"
    assert SECRET not in rejection.excerpt


def test_a_press_of_an_unbound_doorbell_is_accepted_without_alarm(county, caplog):
    device(county.village_a)
    with caplog.at_level(logging.WARNING, logger="linli.doorbell"):
        outcome = receive(message(seq=1))
    assert outcome.accepted and outcome.alarm_id is None
    assert not Alarm.objects.exists()
    assert "bound to no household" in caplog.text


def test_a_low_battery_opens_one_task_and_a_good_one_closes_it(bound):
    receive(message(seq=1, kind="heartbeat", battery=15))
    receive(message(seq=2, kind="heartbeat", battery=12))
    task = MaintenanceTask.objects.get()
    assert (task.kind, task.resolved_at) == (TaskKind.LOW_BATTERY, None)
    receive(message(seq=3, kind="heartbeat", battery=95))
    task.refresh_from_db()
    assert task.resolved_at is not None and task.resolved_automatically


def test_the_battery_threshold_is_the_units(bound, county):
    DoorbellSettings.objects.create(unit=county.town_a, battery_low=50)
    receive(message(seq=1, kind="heartbeat", battery=45))
    assert MaintenanceTask.objects.filter(kind=TaskKind.LOW_BATTERY).exists()


def test_a_message_resolves_the_offline_task(bound):
    task = MaintenanceTask.objects.create(
        device=bound,
        unit=bound.unit,
        kind=TaskKind.OFFLINE,
        opened_at=timezone.now() - dt.timedelta(hours=1),
    )
    receive(message(seq=1, kind="heartbeat"))
    task.refresh_from_db()
    assert task.resolved_at is not None and task.resolved_automatically


def test_a_device_clock_at_the_end_of_time_is_accepted_and_past_it_refused(bound):
    """A signed message whose ts is past what a datetime holds used to raise inside the
    intake (a 500 over HTTP, a redelivery loop over MQTT): the protocol bounds ts."""
    ok = receive(message(seq=7, ts=protocol.MAX_TS))
    assert ok.accepted and DeviceMessage.objects.get(seq=7).sent_at.year == 9999
    refused = receive(message(seq=8, ts=protocol.MAX_TS + 1))
    assert not refused.accepted and refused.reason == RejectReason.MALFORMED
    assert Alarm.objects.count() == 1


def test_an_older_message_does_not_overwrite_the_newer_battery_reading(bound):
    assert receive(message(seq=10, kind="heartbeat", battery=80)).accepted
    late = receive(message(seq=9, kind="heartbeat", battery=5))  # sent before, came after
    assert late.accepted
    bound.refresh_from_db()
    assert bound.battery == 80 and bound.last_seq == 10
    assert not MaintenanceTask.objects.filter(kind=TaskKind.LOW_BATTERY).exists()


def test_a_message_the_broker_delivers_again_is_a_quiet_duplicate(bound):
    """MQTT's DUP flag (set by the broker when an acknowledgement was lost): already taken
    in, it is no attack: no DeviceRejection row, still no second alarm."""
    topic, payload = message(seq=40)
    assert receive((topic, payload)).accepted
    again = services.message_receive(
        payload=payload, topic=topic, channel="mqtt", remote="mqtt", redelivered=True
    )
    assert again.status == "duplicate" and not DeviceRejection.objects.exists()
    assert Alarm.objects.count() == 1
    # Without the flag the same message is a replay, refused and kept for the village.
    replay = receive((topic, payload))
    assert replay.status == "duplicate" and DeviceRejection.objects.get().reason == "replay"
