"""Doorbells for the device, intake and bridge tests (helper B's part)."""

from __future__ import annotations

import itertools
import json

from linli.doorbell import protocol
from linli.doorbell.models import Device

SECRET = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
_seq = itertools.count(1)


def device(unit, *, device_id="DB-T-001", household=None, secret=SECRET, **kw) -> Device:
    return Device.objects.create(
        device_id=device_id,
        secret=secret,
        unit=household.unit if household is not None else unit,
        household=household,
        **kw,
    )


def message(
    device_id="DB-T-001",
    *,
    seq: int,
    kind="press",
    battery=None,
    secret=SECRET,
    prefix="linli/doorbell",
    ts: int | None = None,
) -> tuple[str, bytes]:
    return protocol.build(
        device_id=device_id,
        secret=secret,
        seq=seq,
        kind=kind,
        battery=battery,
        prefix=prefix,
        ts=ts,
    )


def tampered(payload: bytes, **changes) -> bytes:
    data = json.loads(payload)
    data.update(changes)
    return json.dumps(data).encode()


def forget_session(client_id: str) -> None:
    """Connect once with a clean session: the broker drops what it kept for the id."""
    import time

    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True)
    client.connect("127.0.0.1", 1883, 10)
    client.loop_start()
    time.sleep(0.2)
    client.disconnect()
    client.loop_stop()
