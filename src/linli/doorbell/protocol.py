"""The doorbell wire protocol: one message shape for MQTT and HTTP (docs/doorbell.md).

A device publishes to ``<prefix>/<device_id>/<kind>`` (``kind``: ``press`` or
``heartbeat``; the prefix is settings.LINLI["DOORBELL_MQTT_PREFIX"], by default
``linli/doorbell``) with QoS 1, or POSTs the same JSON to the HTTP endpoint::

    {"v": 1, "device": "DB-0001", "seq": 42, "kind": "press",
     "ts": 1764500000, "battery": 87, "sig": "<64 hex digits>"}

- ``seq``: a positive integer the device increases with every message it sends
  (kept across reboots); the platform accepts each (device, seq) once.
- ``ts``: the device's clock, Unix seconds (informative: the platform times an
  alarm from when the message arrives).
- ``battery``: 0..100, or null when the device cannot tell.
- ``sig``: HMAC-SHA256 with the device's secret over the canonical string
  ``v1|<device>|<seq>|<kind>|<ts>|<battery or empty>``, lowercase hex.

This module only parses and checks the shape and the signature; what is accepted
(known device, replay) is `services`' business.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from dataclasses import dataclass

KINDS = ("press", "heartbeat")
DEVICE_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
MAX_PAYLOAD = 1024
MAX_SEQ = 2**62
# 9999-12-31T23:59:59Z: the last second a datetime can hold.
MAX_TS = 253402300799


class ProtocolError(ValueError):
    """A message that does not have the shape (the reason is `RejectReason.MALFORMED`)."""

    def __init__(self, message: str, device_id: str = "") -> None:
        super().__init__(message)
        self.device_id = device_id


@dataclass(frozen=True)
class Message:
    device_id: str
    seq: int
    kind: str
    ts: int
    battery: int | None
    sig: str

    def canonical(self) -> bytes:
        return canonical(self.device_id, self.seq, self.kind, self.ts, self.battery)


def canonical(device_id: str, seq: int, kind: str, ts: int, battery: int | None) -> bytes:
    return f"v1|{device_id}|{seq}|{kind}|{ts}|{'' if battery is None else battery}".encode()


def sign(secret: str, device_id: str, seq: int, kind: str, ts: int, battery: int | None) -> str:
    return hmac.new(
        secret.encode(), canonical(device_id, seq, kind, ts, battery), hashlib.sha256
    ).hexdigest()


def signature_ok(secret: str, message: Message) -> bool:
    expected = hmac.new(secret.encode(), message.canonical(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, message.sig)


def build(
    *,
    device_id: str,
    secret: str,
    seq: int,
    kind: str = "press",
    battery: int | None = None,
    ts: int | None = None,
    prefix: str = "linli/doorbell",
) -> tuple[str, bytes]:
    """(topic, payload) of a signed message: what a device (or the simulator) publishes."""
    if ts is None:
        ts = int(time.time())
    body = {
        "v": 1,
        "device": device_id,
        "seq": seq,
        "kind": kind,
        "ts": ts,
        "battery": battery,
        "sig": sign(secret, device_id, seq, kind, ts, battery),
    }
    return f"{prefix}/{device_id}/{kind}", json.dumps(body, separators=(",", ":")).encode()


def _int(value: object, name: str, lo: int, hi: int, device_id: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ProtocolError(f"{name} must be an integer from {lo} to {hi}", device_id)
    return value


def parse(
    payload: bytes | str, *, topic: str | None = None, prefix: str = "linli/doorbell"
) -> Message:
    """The message in `payload` (and, over MQTT, its `topic`), or ProtocolError."""
    if isinstance(payload, str):
        payload = payload.encode("utf-8", "replace")
    if len(payload) > MAX_PAYLOAD:
        raise ProtocolError("payload too large")
    try:
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested too deep
        raise ProtocolError("payload is not JSON") from None
    if not isinstance(data, dict):
        raise ProtocolError("payload is not a JSON object")
    device_id = data.get("device")
    if not isinstance(device_id, str) or not DEVICE_ID_RE.match(device_id):
        raise ProtocolError("device must be 1-40 letters, digits, '.', '_' or '-'")
    if data.get("v") != 1:
        raise ProtocolError("v must be 1", device_id)
    kind = data.get("kind")
    if kind not in KINDS:
        raise ProtocolError("kind must be press or heartbeat", device_id)
    seq = _int(data.get("seq"), "seq", 1, MAX_SEQ, device_id)
    ts = _int(data.get("ts"), "ts", 0, MAX_TS, device_id)
    battery = data.get("battery")
    if battery is not None:
        battery = _int(battery, "battery", 0, 100, device_id)
    sig = data.get("sig")
    if not isinstance(sig, str) or not re.fullmatch(r"[0-9a-f]{64}", sig):
        raise ProtocolError("sig must be 64 lowercase hex digits", device_id)
    if topic is not None and topic != f"{prefix}/{device_id}/{kind}":
        raise ProtocolError("the topic does not match the device and kind", device_id)
    return Message(device_id=device_id, seq=seq, kind=kind, ts=ts, battery=battery, sig=sig)
