"""The MQTT bridge: the broker's doorbell messages into `services.message_receive`.

    python -m linli doorbell_bridge [--client-id linli-bridge] [--once-for SECONDS]

It connects to settings.LINLI["DOORBELL_MQTT_URL"] (``mqtt://[user:pass@]host:port``)
with a FIXED client id and a persistent session (MQTT 3.1.1, clean_session=False) and
subscribes ``<prefix>/+/press`` and ``<prefix>/+/heartbeat`` with QoS 1. The broker then
keeps the QoS-1 messages published while the bridge is away and delivers them when it
connects again with the same client id. The broker only queues for a session that has
subscribed before: the bridge must have connected once (`serve` and `make demo` do it at
start) before presses can wait for it.

Each message is acknowledged (PUBACK, paho's ``manual_ack``) only after
`message_receive` has committed, refusals included. A crash or a database failure
before the commit leaves the message unacknowledged, and the broker delivers it again
on the next connection; the (device, seq) unique constraint makes a delivery that did
commit harmless (refused as a replay, no second alarm).

The embedded default (`serve`) runs the bridge in a thread of the server process
(`companion`, registered in `DoorbellConfig.ready()` through `core.companions`): there the
channel layer is in memory, so the alarm's live push must start in the same process.
"""

from __future__ import annotations

import logging
import os
import queue
import socket
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from django.conf import settings
from django.db import DatabaseError, connections, transaction
from paho.mqtt.enums import CallbackAPIVersion

from linli.core.hardening import TEST
from linli.notify.services import deliveries_by_tick

from . import services
from .selectors import settings_cached, settings_forget

log = logging.getLogger("linli.doorbell.bridge")

DEFAULT_CLIENT_ID = "linli-bridge"
KEEPALIVE = 30
# Attempts at a message when the database fails, before giving the message back to the
# broker (not acknowledged: it comes again after the reconnection).
DB_ATTEMPTS = 3
# Messages are taken in by this many threads, each with its own database connection; a
# device's messages always go to the same thread, in the order they came
# (LINLI_MQTT_BRIDGE_WORKERS; 0: everything in paho's network thread, one at a time).
# One by default: the threads share the interpreter's lock, and on the 2-core benchmark
# machine four of them, each taking smaller batches, spent more CPU a press and doubled
# the latency (docs/performance.md: p99 298 ms with 4, 158 ms with 2, 97 ms with 1).
WORKERS = int(os.environ.get("LINLI_MQTT_BRIDGE_WORKERS", "1"))
# A worker takes the messages waiting in its queue, up to this many, in one transaction
# (one commit; each acknowledged after it): a bridge that fell behind catches up faster.
BATCH = int(os.environ.get("LINLI_MQTT_BRIDGE_BATCH", "20"))


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    tls: bool = False

    def __str__(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"


def broker_address(url: str | None = None) -> BrokerAddress:
    """``mqtt://[user:pass@]host[:port]`` (or ``mqtts://``) as its parts."""
    url = url if url is not None else settings.LINLI["DOORBELL_MQTT_URL"]
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts", "tcp") or not parts.hostname:
        raise ValueError(f"not an MQTT URL (mqtt://host:port): {url!r}")
    tls = parts.scheme == "mqtts"
    return BrokerAddress(
        host=parts.hostname,
        port=parts.port or (8883 if tls else 1883),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        tls=tls,
    )


def reachable(address: BrokerAddress, timeout: float = 2.0) -> bool:
    """Whether something listens at the broker's address (a TCP connection)."""
    try:
        with socket.create_connection((address.host, address.port), timeout=timeout):
            return True
    except OSError:
        return False


def topics(prefix: str | None = None) -> list[str]:
    prefix = (prefix if prefix is not None else settings.LINLI["DOORBELL_MQTT_PREFIX"]).strip("/")
    return [f"{prefix}/+/press", f"{prefix}/+/heartbeat"]


class BrokerLost(RuntimeError):
    """The message could not be committed: drop the connection so the broker keeps it."""


@dataclass
class Counts:
    accepted: int = 0
    refused: int = 0
    alarms: int = 0
    failed: int = 0
    connections: int = 0
    outcomes: list[services.Outcome] = field(default_factory=list)


def _close_old_connections() -> None:
    for conn in connections.all(initialized_only=True):
        if not conn.in_atomic_block:
            conn.close_if_unusable_or_obsolete()


class Bridge:
    """One bridge: `run()` until `stop()` (from another thread) or `once_for` seconds."""

    def __init__(
        self,
        *,
        url: str | None = None,
        client_id: str = DEFAULT_CLIENT_ID,
        prefix: str | None = None,
        keep_outcomes: bool = False,
        report: Callable[[str], None] | None = None,
    ) -> None:
        self.address = broker_address(url)
        self.client_id = client_id
        self.prefix = (
            prefix if prefix is not None else settings.LINLI["DOORBELL_MQTT_PREFIX"]
        ).strip("/")
        self.topics = topics(self.prefix)
        self.keep_outcomes = keep_outcomes
        self.report = report or (lambda line: log.info("%s", line))
        self.counts = Counts()
        settings_forget()  # a new bridge reads the settings afresh
        self.subscribed = threading.Event()
        self._stop = threading.Event()
        self._client: mqtt.Client | None = None
        self._lock = threading.Lock()
        self._queues: list[queue.SimpleQueue] = []
        self._workers: list[threading.Thread] = []

    def _workers_start(self) -> None:
        if WORKERS <= 0:
            return  # everything in paho's network thread
        for i in range(WORKERS):
            q: queue.SimpleQueue = queue.SimpleQueue()
            worker = threading.Thread(
                target=self._work, args=(q,), name=f"bridge-worker-{i}", daemon=True
            )
            self._queues.append(q)
            self._workers.append(worker)
            worker.start()

    def _workers_stop(self) -> None:
        """Each worker finishes what it holds (unacknowledged if the connection is gone:
        the broker sends it again), closes its database connection and ends."""
        queues, workers = self._queues, self._workers
        self._queues, self._workers = [], []
        for q in queues:
            q.put(None)
        for worker in workers:
            worker.join(timeout=30)

    # -- paho callbacks (the network thread) --

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            log.warning("MQTT broker %s refused the bridge: %s", self.address, reason_code)
            return
        self.counts.connections += 1
        log.info(
            "bridge %s connected to %s (session kept by the broker: %s)",
            self.client_id,
            self.address,
            bool(getattr(flags, "session_present", False)),
        )
        client.subscribe([(t, 1) for t in self.topics])

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties) -> None:
        if any(rc.is_failure for rc in reason_codes):
            log.error("the broker refused the subscription to %s: %s", self.topics, reason_codes)
            return
        log.info("bridge %s subscribed to %s with QoS 1", self.client_id, ", ".join(self.topics))
        self.subscribed.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self.subscribed.clear()
        if not self._stop.is_set():
            log.warning(
                "bridge %s lost the broker %s (%s); reconnecting",
                self.client_id,
                self.address,
                reason_code,
            )

    def _on_message(self, client, userdata, message) -> None:
        queues = self._queues
        if queues:
            parts = message.topic.rsplit("/", 2)
            device = parts[-2] if len(parts) == 3 else ""
            queues[zlib.crc32(device.encode()) % len(queues)].put((client, message))
            return
        self.handle(message.payload, message.topic)
        # Committed (accepted or refused and logged): now the broker may forget it.
        if message.qos > 0:
            client.ack(message.mid, message.qos)

    def _work(self, q: queue.SimpleQueue) -> None:
        try:
            while True:
                first = q.get()
                if first is None:
                    return
                batch = [first]
                stop = False
                while len(batch) < BATCH:
                    try:
                        item = q.get_nowait()
                    except queue.Empty:
                        break
                    if item is None:
                        stop = True
                        break
                    batch.append(item)
                if not (len(batch) > 1 and self._take_batch(batch)):
                    for client, message in batch:
                        self._take_one(client, message)
                if stop:
                    return
        finally:
            connections.close_all()  # this thread's own

    def _take_batch(self, batch: list) -> bool:
        """The messages waiting in a worker's queue, in one transaction (one commit for
        all; each acknowledged after it); False when it failed (nothing committed: they
        are then taken one at a time)."""
        try:
            _close_old_connections()
            with deliveries_by_tick(), settings_cached(), transaction.atomic():
                outcomes = services.messages_receive(
                    [(m.payload, m.topic, bool(m.dup)) for _client, m in batch],
                    channel="mqtt",
                    remote="mqtt",
                )
        except Exception:
            log.info("bridge: a batch of %d failed; one at a time", len(batch), exc_info=True)
            connections["default"].close_if_unusable_or_obsolete()
            return False
        for (client, message), outcome in zip(batch, outcomes, strict=True):
            self._count(outcome)
            if message.qos > 0:
                client.ack(message.mid, message.qos)
        return True

    def _take_one(self, client, message) -> None:
        try:
            self.handle(message.payload, message.topic, redelivered=bool(message.dup))
        except BrokerLost:
            log.warning("bridge: giving the message back to the broker; reconnecting")
            client.disconnect()  # not acknowledged: the broker sends it again
            return
        except Exception:
            if message.dup:
                # It failed on an earlier delivery too: a message that always fails would
                # come back first on every reconnection and hold up every doorbell.
                log.exception("bridge: a message failed again on %s; dropped", message.topic)
                self.counts.failed += 1
                if message.qos > 0:
                    client.ack(message.mid, message.qos)
                return
            log.exception("bridge: a message failed; not acknowledged (tried once more)")
            client.disconnect()
            return
        if message.qos > 0:
            client.ack(message.mid, message.qos)

    def handle(self, payload: bytes, topic: str, *, redelivered: bool = False) -> services.Outcome:
        """message_receive, retried on a database failure; BrokerLost when it keeps failing
        (the message is then not acknowledged)."""
        for attempt in range(1, DB_ATTEMPTS + 1):
            _close_old_connections()
            try:
                # The SMS queued here are sent by the outbox's tick (the Ticker of
                # `serve` at once, or a Celery worker), not in this thread after commit.
                # The units' settings are read from a cache at most ten seconds old.
                with deliveries_by_tick(), settings_cached():
                    outcome = services.message_receive(
                        payload=payload,
                        topic=topic,
                        channel="mqtt",
                        remote="mqtt",
                        redelivered=redelivered,
                    )
            except DatabaseError:
                log.exception("bridge: the database failed on %s (attempt %d)", topic, attempt)
                connections.close_all()
                if attempt == DB_ATTEMPTS:
                    self.counts.failed += 1
                    raise BrokerLost(f"the message on {topic} was not committed") from None
                time.sleep(0.5 * 2**attempt)
            else:
                break
            finally:
                _close_old_connections()
        self._count(outcome)
        return outcome

    def _count(self, outcome: services.Outcome) -> None:
        if outcome.accepted:
            self.counts.accepted += 1
            if outcome.alarm_id:
                self.counts.alarms += 1
                log.info("press of %s: alarm %s raised", outcome.device_id, outcome.alarm_id)
        else:
            self.counts.refused += 1
        if self.keep_outcomes:
            self.counts.outcomes.append(outcome)

    # -- running --

    def _client_new(self) -> mqtt.Client:
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            clean_session=False,
            protocol=mqtt.MQTTv311,
            manual_ack=True,
        )
        if self.address.username:
            client.username_pw_set(self.address.username, self.address.password)
        if self.address.tls:
            client.tls_set()
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        client.on_connect = self._on_connect
        client.on_subscribe = self._on_subscribe
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        return client

    def run(self, once_for: float | None = None) -> Counts:
        """Connect, subscribe and take messages until `stop()` (or `once_for` seconds);
        reconnect with a growing delay (1 s to 30 s) whenever the broker is lost."""
        timer = None
        if once_for is not None:
            timer = threading.Timer(once_for, self.stop)
            timer.daemon = True
            timer.start()
        delay = 1.0
        self._workers_start()
        try:
            while not self._stop.is_set():
                client = self._client_new()
                with self._lock:
                    self._client = client
                try:
                    client.connect_async(self.address.host, self.address.port, KEEPALIVE)
                    client.loop_forever(retry_first_connection=True)
                    delay = 1.0
                except BrokerLost:
                    log.warning("bridge: giving the message back to the broker; reconnecting")
                except Exception:
                    log.exception("bridge: the MQTT loop failed; reconnecting")
                finally:
                    with self._lock:
                        self._client = None
                    try:
                        client.disconnect()
                    except Exception:  # noqa: S110 (already gone)
                        pass
                    if not self._stop.is_set():
                        self._stop.wait(delay)
                        delay = min(delay * 2, 30.0)
        finally:
            if timer is not None:
                timer.cancel()
            self._workers_stop()
            connections.close_all()
        log.info(
            "bridge %s stopped: %d accepted, %d refused, %d alarms",
            self.client_id,
            self.counts.accepted,
            self.counts.refused,
            self.counts.alarms,
        )
        return self.counts

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            client = self._client
        if client is not None:
            client.disconnect()


def shared_layer() -> bool:
    """Whether the Channels layer is shared between processes (Redis), rather than the
    embedded default's memory of one process."""
    backend = settings.CHANNEL_LAYERS.get("default", {}).get("BACKEND", "")
    return "InMemoryChannelLayer" not in backend


def companion(report: Callable[[str], None], stop: threading.Event) -> None:
    """The bridge inside `serve` (core.companions): on when the broker answers; when it
    does not, say so plainly and look again every minute."""
    if settings.LINLI_ENV == TEST:
        # A server the tests start must not take the messages (or the session) of the
        # real bridge id; the tests run their own bridges (tests/doorbell).
        report("linli: doorbell bridge off in the test mode (LINLI_ENV=test)")
        return
    if shared_layer():
        # With Redis every process shares the live pushes, and a deployment runs several
        # server processes: each would start a bridge with the one client id and take the
        # broker's session from the others. There the bridge is a process of its own.
        report(
            "linli: doorbell bridge not started inside serve (the channel layer is shared): "
            "run `python -m linli doorbell_bridge` once for the deployment"
        )
        return
    url = settings.LINLI["DOORBELL_MQTT_URL"]
    if not url:
        report("linli: doorbell bridge off (LINLI_MQTT_URL is empty); the HTTP endpoint works")
        return
    try:
        address = broker_address(url)
    except ValueError as exc:
        report(f"linli: doorbell bridge off: {exc}; the HTTP endpoint works")
        return
    told = False
    while not stop.is_set() and not reachable(address):
        if not told:
            report(
                f"linli: MQTT broker not reachable at {address}: doorbell presses over MQTT "
                "are off; the HTTP endpoint still works (looking again every minute)"
            )
            told = True
        stop.wait(60)
    if stop.is_set():
        return
    bridge = Bridge(url=url, client_id=settings.LINLI["DOORBELL_BRIDGE_ID"] or DEFAULT_CLIENT_ID)
    report(
        f"linli: doorbell bridge on: {address} as {bridge.client_id}, "
        f"topics {', '.join(bridge.topics)} (QoS 1, persistent session)"
    )

    def stop_when_told() -> None:
        stop.wait()
        bridge.stop()

    threading.Thread(target=stop_when_told, daemon=True).start()
    bridge.run()
