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
) -> tuple[str, bytes]:
    return protocol.build(
        device_id=device_id, secret=secret, seq=seq, kind=kind, battery=battery, prefix=prefix
    )


def tampered(payload: bytes, **changes) -> bytes:
    data = json.loads(payload)
    data.update(changes)
    return json.dumps(data).encode()
