"""A doorbell in the terminal: signed messages sent like a device would, over MQTT (QoS 1)
or the HTTP endpoint (`python -m linli doorbell_press`, docs/doorbell.md "Running it").
Used by the demo, the tests and the benchmark."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from . import protocol
from .bridge import broker_address

HTTP_PATH = "/api/v1/public/doorbell/messages"


# A seq at or above this is the clock in ms (2001 onwards); below it, a device's own count.
CLOCK_SEQ_FLOOR = 10**12


def next_seq() -> int:
    """A sequence number that grows across runs without a stored counter: the clock in
    milliseconds (a real device keeps a counter in its flash)."""
    return int(time.time() * 1000)


@dataclass(frozen=True)
class Sent:
    seq: int
    topic: str
    payload: bytes
    answer: str  # the broker's acknowledgement, or the HTTP status and body
    status: int | None = None  # HTTP status


def _messages(
    *,
    device_id: str,
    secret: str,
    kind: str,
    battery: int | None,
    seq: int,
    count: int,
    prefix: str,
) -> Iterator[tuple[int, str, bytes]]:
    for i in range(count):
        topic, payload = protocol.build(
            device_id=device_id,
            secret=secret,
            seq=seq + i,
            kind=kind,
            battery=battery,
            prefix=prefix,
        )
        yield seq + i, topic, payload


def _paced(rate: float | None, index: int, started: float) -> None:
    if rate:
        delay = started + index / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)


def send_mqtt(
    *,
    device_id: str,
    secret: str,
    kind: str = "press",
    battery: int | None = None,
    seq: int | None = None,
    count: int = 1,
    rate: float | None = None,
    mqtt_url: str | None = None,
    prefix: str = "linli/doorbell",
    report: Callable[[Sent], None] | None = None,
) -> list[Sent]:
    """Publish `count` signed messages with QoS 1; each waits for the broker's PUBACK."""
    address = broker_address(mqtt_url)
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=f"linli-sim-{uuid.uuid4().hex[:12]}",
        protocol=mqtt.MQTTv311,
    )
    if address.username:
        client.username_pw_set(address.username, address.password)
    if address.tls:
        client.tls_set()
    client.connect(address.host, address.port, 30)
    client.loop_start()
    sent = []
    try:
        started = time.monotonic()
        first = seq if seq is not None else next_seq()
        for i, (n, topic, payload) in enumerate(
            _messages(
                device_id=device_id,
                secret=secret,
                kind=kind,
                battery=battery,
                seq=first,
                count=count,
                prefix=prefix,
            )
        ):
            _paced(rate, i, started)
            info = client.publish(topic, payload, qos=1)
            info.wait_for_publish(timeout=10)
            answer = "acknowledged by the broker" if info.is_published() else "NOT acknowledged"
            item = Sent(seq=n, topic=topic, payload=payload, answer=answer)
            sent.append(item)
            if report:
                report(item)
    finally:
        client.disconnect()
        client.loop_stop()
    return sent


def send_http(
    *,
    device_id: str,
    secret: str,
    kind: str = "press",
    battery: int | None = None,
    seq: int | None = None,
    count: int = 1,
    rate: float | None = None,
    url: str = "http://127.0.0.1:8000",
    prefix: str = "linli/doorbell",
    report: Callable[[Sent], None] | None = None,
) -> list[Sent]:
    """POST `count` signed messages to the HTTP endpoint; each with the answer."""
    endpoint = url.rstrip("/") + HTTP_PATH
    sent = []
    started = time.monotonic()
    first = seq if seq is not None else next_seq()
    for i, (n, topic, payload) in enumerate(
        _messages(
            device_id=device_id,
            secret=secret,
            kind=kind,
            battery=battery,
            seq=first,
            count=count,
            prefix=prefix,
        )
    ):
        _paced(rate, i, started)
        request = urllib.request.Request(
            endpoint, data=payload, headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (our URL)
                status, body = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, body = exc.code, exc.read()
        try:
            answer = json.dumps(json.loads(body), ensure_ascii=False)
        except ValueError:
            answer = body[:200].decode("utf-8", "replace")
        item = Sent(seq=n, topic=topic, payload=payload, answer=f"{status} {answer}", status=status)
        sent.append(item)
        if report:
            report(item)
    return sent
