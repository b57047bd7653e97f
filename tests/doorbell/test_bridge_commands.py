"""The simulator (`doorbell_press`), the bridge command and the bridge inside `serve`
(core.companions): against the real Mosquitto and a live server."""

from __future__ import annotations

import io
import threading
import uuid

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from linli.core import companions
from linli.doorbell import bridge as bridge_module
from linli.doorbell.bridge import Bridge, broker_address, reachable
from linli.doorbell.models import Alarm, DeviceMessage
from tests.doorbell.devices_support import SECRET, device, forget_session
from tests.support.services import require_service

URL = "mqtt://127.0.0.1:1883"


def test_the_bridge_is_a_companion_of_serve_only():
    assert companions.registered()["doorbell.bridge"] == "linli.doorbell.bridge.companion"
    # Registered, never started outside `serve`: no bridge thread in the test process.
    assert not [t for t in threading.enumerate() if t.name.startswith("linli-doorbell")]


def test_serve_starts_each_companion_in_a_daemon_thread():
    ran = threading.Event()
    lines: list[str] = []
    companions.register("test.companion", f"{__name__}._companion")
    try:
        stop = threading.Event()
        _STATE["ran"] = ran
        threads = companions.start_all(lines.append, stop)
        assert ran.wait(5)
        stop.set()
        for t in threads:
            t.join(5)
        assert all(t.daemon for t in threads)
        assert "companion ran" in lines
    finally:
        companions.unregister("test.companion")


_STATE: dict = {}


def _companion(report, stop):
    if "ran" in _STATE:
        report("companion ran")
        _STATE["ran"].set()
        stop.wait(5)


def test_the_companion_is_off_in_the_test_mode():
    lines: list[str] = []
    bridge_module.companion(lines.append, threading.Event())
    assert lines == ["linli: doorbell bridge off in the test mode (LINLI_ENV=test)"]


def test_the_companion_says_plainly_when_the_broker_is_not_there(settings):
    settings.LINLI_ENV = "demo"
    settings.LINLI = {**settings.LINLI, "DOORBELL_MQTT_URL": "mqtt://127.0.0.1:9"}
    lines: list[str] = []
    said = threading.Event()
    stop = threading.Event()

    def report(line):
        lines.append(line)
        said.set()

    thread = threading.Thread(target=bridge_module.companion, args=(report, stop), daemon=True)
    thread.start()
    assert said.wait(10)
    stop.set()
    thread.join(5)
    assert not thread.is_alive()
    assert lines == [
        "linli: MQTT broker not reachable at mqtt://127.0.0.1:9: doorbell presses over MQTT "
        "are off; the HTTP endpoint still works (looking again every minute)"
    ]


def test_the_companion_is_off_without_a_broker_url(settings):
    settings.LINLI_ENV = "demo"
    settings.LINLI = {**settings.LINLI, "DOORBELL_MQTT_URL": ""}
    lines: list[str] = []
    bridge_module.companion(lines.append, threading.Event())
    assert "off" in lines[0] and "HTTP endpoint" in lines[0]


@pytest.mark.parametrize("url", ["http://x", "mqtt://", "nonsense"])
def test_a_bad_broker_url_is_refused(url):
    with pytest.raises(ValueError):
        broker_address(url)


def test_a_broker_url_with_credentials():
    address = broker_address("mqtt://bridge:s%40cret@broker.example:1884")
    assert (address.host, address.port, address.username, address.password) == (
        "broker.example",
        1884,
        "bridge",
        "s@cret",
    )
    assert str(address) == "mqtt://broker.example:1884"


@pytest.mark.django_db
def test_the_simulator_refuses_bad_arguments(county):
    with pytest.raises(CommandError):
        call_command("doorbell_press", "bad id!")
    with pytest.raises(CommandError):
        call_command("doorbell_press", "DB-NONE")  # no secret in the database
    with pytest.raises(CommandError):
        call_command("doorbell_press", "DB-X", "--secret", "s", "--battery", "101")


@pytest.mark.django_db
def test_the_simulator_will_not_push_a_counting_doorbell_onto_the_clock(county):
    """A doorbell that counts its own messages (highest seq 41): the default seq (the
    clock in ms) would make its own next press stale; the command asks for --seq."""
    bell = device(county.village_a, household=county.households_a[0])
    bell.last_seq = 41
    bell.save(update_fields=["last_seq"])
    with pytest.raises(CommandError, match="--seq 42"):
        call_command("doorbell_press", "DB-T-001", "--via", "http", "--url", "http://127.0.0.1:9")


@pytest.mark.django_db(transaction=True)
def test_the_simulator_presses_over_http_against_a_live_server(live_server, county):
    device(county.village_a, household=county.households_a[0])
    out = io.StringIO()
    call_command(
        "doorbell_press",
        "DB-T-001",
        "--via",
        "http",
        "--url",
        live_server.url,
        "--count",
        "2",
        stdout=out,
    )
    text = out.getvalue()
    assert text.count('202 {"status": "accepted", "alarm": ') == 2
    # The second press joins the open alarm of the household.
    assert Alarm.objects.count() == 1 and DeviceMessage.objects.count() == 2
    out = io.StringIO()
    call_command(
        "doorbell_press",
        "DB-T-001",
        "--via",
        "http",
        "--url",
        live_server.url,
        "--secret",
        "0" * 32,
        stdout=out,
    )
    assert "401" in out.getvalue() and Alarm.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_simulator_presses_over_mqtt_through_the_bridge(settings, county):
    require_service("mosquitto", reachable(broker_address(URL)), f"nothing listens at {URL}")
    tag = uuid.uuid4().hex[:10]
    prefix = f"linli-test/{tag}/doorbell"
    settings.LINLI = {**settings.LINLI, "DOORBELL_MQTT_PREFIX": prefix, "DOORBELL_MQTT_URL": URL}
    device(county.village_a, household=county.households_a[0], secret=SECRET)
    bridge = Bridge(url=URL, client_id=f"linli-test-{tag}", prefix=prefix)
    thread = threading.Thread(target=bridge.run, daemon=True)
    thread.start()
    try:
        assert bridge.subscribed.wait(10)
        out = io.StringIO()
        call_command(
            "doorbell_press",
            "DB-T-001",
            "--kind",
            "heartbeat",
            "--battery",
            "55",
            "--secret",
            SECRET,
            stdout=out,
        )
        assert f"to {prefix}/DB-T-001/heartbeat: acknowledged by the broker" in out.getvalue()
        deadline = threading.Event()
        for _ in range(200):
            if bridge.counts.accepted:
                break
            deadline.wait(0.05)
    finally:
        bridge.stop()
        thread.join(10)
        forget_session(f"linli-test-{tag}")
    assert DeviceMessage.objects.get().battery == 55


def test_the_bridge_command_runs_for_a_while_and_stops(settings):
    require_service("mosquitto", reachable(broker_address(URL)), f"nothing listens at {URL}")
    tag = uuid.uuid4().hex[:10]
    settings.LINLI = {**settings.LINLI, "DOORBELL_MQTT_PREFIX": f"linli-test/{tag}/doorbell"}
    out = io.StringIO()
    try:
        call_command(
            "doorbell_bridge",
            "--url",
            URL,
            "--client-id",
            f"linli-test-{tag}",
            "--once-for",
            "1",
            stdout=out,
        )
    finally:
        forget_session(f"linli-test-{tag}")
    assert f"topics linli-test/{tag}/doorbell/+/press" in out.getvalue()
    assert "doorbell bridge stopped: 0 accepted, 0 refused, 0 alarms" in out.getvalue()


def test_the_companion_stays_out_of_serve_when_the_channel_layer_is_shared(settings):
    """Several server processes share Redis: each starting a bridge with the one client
    id would steal the broker's session from the others."""
    settings.LINLI_ENV = "demo"
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer"}}
    lines: list[str] = []
    bridge_module.companion(lines.append, threading.Event())
    assert len(lines) == 1 and "doorbell_bridge" in lines[0] and "shared" in lines[0]
