"""The MQTT bridge against the real Mosquitto (127.0.0.1:1883; skipped locally without it,
failed in CI with LINLI_REQUIRE_SERVICES=1).

The bridge runs in a thread of the test process on the test database (it commits, hence
transaction=True). Each test has its own client id and topic prefix, so runs do not
collide, and removes its persistent session at the end. The test thread reads the
database only once the bridge has stopped (SQLite's shared in-memory test database).
"""

from __future__ import annotations

import threading
import time
import uuid

import paho.mqtt.client as mqtt
import pytest
from django.db import DatabaseError
from paho.mqtt.enums import CallbackAPIVersion

from linli.doorbell import bridge as bridge_module
from linli.doorbell import services, simulator
from linli.doorbell.bridge import Bridge, broker_address, reachable
from linli.doorbell.models import Alarm, AlarmEvent, AlarmEventKind, DeviceMessage, DeviceRejection
from tests.doorbell.devices_support import SECRET, device, forget_session
from tests.support.services import require_service

pytestmark = pytest.mark.django_db(transaction=True)

URL = "mqtt://127.0.0.1:1883"


@pytest.fixture
def run(settings, county):
    require_service("mosquitto", reachable(broker_address(URL)), f"nothing listens at {URL}")
    tag = uuid.uuid4().hex[:10]
    prefix = f"linli-test/{tag}/doorbell"
    settings.LINLI = {**settings.LINLI, "DOORBELL_MQTT_PREFIX": prefix}
    device(county.village_a, household=county.households_a[0])
    client_id = f"linli-bridge-test-{tag}"
    yield {"prefix": prefix, "client_id": client_id}
    forget_session(client_id)


def start(run, **kw) -> tuple[Bridge, threading.Thread]:
    bridge = Bridge(url=URL, client_id=run["client_id"], prefix=run["prefix"], **kw)
    thread = threading.Thread(target=bridge.run, daemon=True)
    thread.start()
    assert bridge.subscribed.wait(10), "the bridge did not subscribe"
    return bridge, thread


def stop(bridge: Bridge, thread: threading.Thread) -> None:
    bridge.stop()
    thread.join(15)
    assert not thread.is_alive()


def wait_until(condition, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


def press(run, seq: int, count: int = 1) -> list[simulator.Sent]:
    sent = simulator.send_mqtt(
        device_id="DB-T-001",
        secret=SECRET,
        seq=seq,
        count=count,
        mqtt_url=URL,
        prefix=run["prefix"],
    )
    assert all(s.answer == "acknowledged by the broker" for s in sent)
    return sent


def test_a_press_published_with_qos1_reaches_the_bridge_and_makes_one_alarm(run):
    bridge, thread = start(run)
    try:
        press(run, seq=11)
        wait_until(lambda: bridge.counts.alarms == 1)
    finally:
        stop(bridge, thread)
    alarm = Alarm.objects.get()
    assert alarm.message.seq == 11 and alarm.message.channel == "mqtt"


def test_presses_published_while_the_bridge_is_down_arrive_when_it_returns(run):
    """THE KEY TEST: persistent session (clean_session=False, same client id), QoS 1."""
    bridge, thread = start(run)  # connects once: the broker now keeps its session
    stop(bridge, thread)
    press(run, seq=101, count=3)  # nobody is listening
    bridge, thread = start(run)
    try:
        wait_until(lambda: bridge.counts.accepted == 3)
    finally:
        stop(bridge, thread)
    assert bridge.counts.alarms == 3 and bridge.counts.refused == 0
    # One household: the first press raised the alarm, the others joined it.
    assert list(Alarm.objects.values_list("message__seq", flat=True)) == [101]
    again = AlarmEvent.objects.filter(kind=AlarmEventKind.PRESSED_AGAIN).count()
    assert again == 2 and DeviceMessage.objects.count() == 3


def test_the_same_message_published_twice_makes_one_alarm(run):
    bridge, thread = start(run)
    try:
        sent = press(run, seq=21)
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"dup-{run['client_id']}")
        client.connect("127.0.0.1", 1883, 10)
        client.loop_start()
        client.publish(sent[0].topic, sent[0].payload, qos=1).wait_for_publish(10)
        client.disconnect()
        client.loop_stop()
        wait_until(lambda: bridge.counts.accepted + bridge.counts.refused == 2)
    finally:
        stop(bridge, thread)
    assert Alarm.objects.count() == 1
    assert DeviceRejection.objects.get().reason == "replay"


def test_a_message_not_committed_is_not_acknowledged_and_comes_again(run, monkeypatch):
    """The database fails on the first delivery: no PUBACK, the bridge reconnects, the
    broker delivers again, and the press makes its one alarm."""
    real = services.message_receive
    failures = {"left": bridge_module.DB_ATTEMPTS}

    def flaky(**kw):
        if failures["left"]:
            failures["left"] -= 1
            raise DatabaseError("the database is away")
        return real(**kw)

    monkeypatch.setattr(bridge_module.services, "message_receive", flaky)
    monkeypatch.setattr(bridge_module.time, "sleep", lambda s: None)
    bridge, thread = start(run)
    try:
        press(run, seq=31)
        wait_until(lambda: bridge.counts.alarms == 1, timeout=20)
    finally:
        stop(bridge, thread)
    assert bridge.counts.failed == 1 and bridge.counts.connections >= 2
    assert Alarm.objects.get().message.seq == 31


def test_forged_and_unknown_messages_over_mqtt_make_no_alarm(run):
    bridge, thread = start(run)
    try:
        simulator.send_mqtt(
            device_id="DB-T-001", secret="f" * 32, seq=41, mqtt_url=URL, prefix=run["prefix"]
        )
        simulator.send_mqtt(
            device_id="DB-GHOST", secret=SECRET, seq=42, mqtt_url=URL, prefix=run["prefix"]
        )
        wait_until(lambda: bridge.counts.refused == 2)
    finally:
        stop(bridge, thread)
    assert not Alarm.objects.exists()
    assert sorted(DeviceRejection.objects.values_list("reason", flat=True)) == [
        "bad_signature",
        "unknown_device",
    ]


def test_three_homes_pressed_while_the_bridge_is_down_make_three_alarms_once_each(run, county):
    """The issue's test as written: the bridge is stopped, three presses are published
    (three homes, so none joins another's open alarm), the bridge restarts: all three
    alarms exist, once each."""
    device(county.village_a, device_id="DB-T-002", household=county.households_a[1])
    device(county.village_a, device_id="DB-T-003", household=county.households_a[2])
    bridge, thread = start(run)  # connects once: the broker now keeps its session
    stop(bridge, thread)
    for n, device_id in enumerate(("DB-T-001", "DB-T-002", "DB-T-003")):
        sent = simulator.send_mqtt(
            device_id=device_id, secret=SECRET, seq=301 + n, mqtt_url=URL, prefix=run["prefix"]
        )
        assert sent[0].answer == "acknowledged by the broker"
    bridge, thread = start(run)
    try:
        wait_until(lambda: bridge.counts.accepted == 3)
    finally:
        stop(bridge, thread)
    alarms = Alarm.objects.order_by("message__seq")
    assert [a.device.device_id for a in alarms] == ["DB-T-001", "DB-T-002", "DB-T-003"]
    assert len({a.household_id for a in alarms}) == 3
    assert DeviceMessage.objects.count() == 3 and not DeviceRejection.objects.exists()


def test_a_message_that_always_fails_is_dropped_after_one_redelivery(run, monkeypatch):
    """Not a database failure but a message that fails every time: given back once (the
    broker delivers it again, flagged DUP), then acknowledged and dropped, so it cannot
    come back first on every reconnection and hold up every doorbell."""
    real = services.message_receive
    seen = {"poison": 0}

    def poisoned(**kw):
        if b'"seq":61,' in kw["payload"]:
            seen["poison"] += 1
            raise RuntimeError("this message always fails")
        return real(**kw)

    monkeypatch.setattr(bridge_module.services, "message_receive", poisoned)
    bridge, thread = start(run)
    try:
        press(run, seq=61)
        wait_until(lambda: bridge.counts.failed == 1, timeout=30)
        press(run, seq=62)
        wait_until(lambda: bridge.counts.alarms == 1, timeout=20)
    finally:
        stop(bridge, thread)
    assert seen["poison"] >= 2  # the first delivery and the redelivery
    assert Alarm.objects.get().message.seq == 62
