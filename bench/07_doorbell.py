"""The love doorbell, end to end: from an MQTT publish to the alarm arriving on the
live WebSocket of the representative it is paired with, against the broker's own
publish-to-subscriber latency for the same messages, measured in the same run.

What runs (all on this machine, the real services):

- Mosquitto (LINLI_BENCH_MQTT_URL, default mqtt://127.0.0.1:1883) and Redis
  (LINLI_BENCH_REDIS_URL, default redis://127.0.0.1:6379/13: the Channels layer,
  shared by the two processes below; the run empties that database first);
- the server: `python -m uvicorn linli.asgi:application` (one process, no access log,
  DJANGO_SETTINGS_MODULE=_server_settings), with LINLI_REDIS_URL;
- the bridge, a process of its own: `python -m linli doorbell_bridge`, with a topic
  prefix and client id of its own for this run (LINLI_MQTT_PREFIX, LINLI_MQTT_CLIENT_ID);
- in this process: the representative's WebSocket (/ws/notify/, a session made for
  them in the database), a plain paho-mqtt subscriber on `<prefix>/+/press` (QoS 1),
  and the publisher: `rate` signed presses a second (`protocol.build`, QoS 1, open
  loop: each is sent at its scheduled time whatever happened to the others) for
  `seconds`. Every latency is measured from the moment just before `publish()` to the
  moment the message is read, with one clock (time.perf_counter) for all three.

The fixture, made with the ORM on first use and kept: a village of its own
("爱心门铃基准村", under the county's first town, or under a city and town of its own on
a database without a county), one household per doorbell, each with a resident in
care (独居老人), paired with ONE representative (with an account) as primary, and a
bound doorbell (BENCH-DB-00001..., known secrets). Each doorbell is pressed once per run
by default, so every press is a new alarm for a household with none open; the alarms,
messages and outbox rows of earlier runs are deleted first (audit rows stay).

A warm-up (a probe until the bridge answers, then one second of presses) runs before
the measured presses and is not counted. After the last press the run waits up to
LINLI_BENCH_DOORBELL_DRAIN seconds for stragglers; a press missing at either the
broker's subscriber or the WebSocket then FAILS the run (exit 1): "nothing lost". The
targets (end-to-end p99 < 1 s, and within 100 ms of the broker's p99) are reported.
Also reported, where the time went: from the rows the bridge wrote, publish → message
accepted (DeviceMessage.received_at) → the primary's SMS queued (Outbox.created_at, the
last write of the bridge's transaction) → the push read on the socket (wall clocks of
the same machine); the bridge's pace (presses accepted a second); CPU per press of the
bridge, the server and the database's PostgreSQL backends (/proc).

Environment (besides LINLI_BENCH_DATABASE_URL and LINLI_BENCH_SCALE):
  LINLI_BENCH_DOORBELL_RATE=100      presses a second (below scale 0.1: 20)
  LINLI_BENCH_DOORBELL_SECONDS=30    seconds of presses (below scale 0.1: 3 at 0.01)
  LINLI_BENCH_DOORBELL_DEVICES       doorbells (default: one per press, warm-up included)
  LINLI_BENCH_DOORBELL_DRAIN=30      seconds to wait for the last pushes
  LINLI_BENCH_MQTT_URL, LINLI_BENCH_REDIS_URL   (above)
  LINLI_BENCH_DOORBELL_BROKER        a Celery broker (redis://...): each SMS's delivery is
                                     queued there (no worker runs); unset: the SMS wait
                                     in the outbox for a tick (the bridge never sends them)
Without Mosquitto or Redis the run is skipped with a message (it fails instead when
LINLI_REQUIRE_SERVICES=1, as in CI). Figures go to var/bench/doorbell.json, logs of the
two processes to var/bench/doorbell-server.log and var/bench/doorbell-bridge.log.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from pathlib import Path

from _common import ROOT, bench_url, setup_django, table

HERE = Path(__file__).resolve().parent
RECORD = ROOT / "var" / "bench" / "doorbell.json"
SERVER_LOG = ROOT / "var" / "bench" / "doorbell-server.log"
BRIDGE_LOG = ROOT / "var" / "bench" / "doorbell-bridge.log"
DEFAULT_MQTT = "mqtt://127.0.0.1:1883"
DEFAULT_REDIS = "redis://127.0.0.1:6379/13"
ADMIN_PHONE = "13899990700"  # the superuser that creates the fixture's units
REP_PHONE = "13899990701"  # the representative whose WebSocket is timed
DEVICE_PREFIX = "BENCH-DB-"
VILLAGE_NAME = "爱心门铃基准村"
TARGET_P99_MS = 1000.0
TARGET_OVER_BROKER_MS = 100.0
PROBES = 45  # presses that wait for the bridge, one every 2 s (90 s at most)


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def bench_scale() -> float:
    return float(os.environ.get("LINLI_BENCH_SCALE") or 1)


def settings_of_run() -> tuple[float, int, int]:
    """(rate a second, seconds, devices). Full settings at scale 0.1 and above; below,
    shorter and slower (at least 3 s at 20 a second), so CI's tiny run takes seconds."""
    small = min(1.0, bench_scale() * 10)
    rate = float(os.environ.get("LINLI_BENCH_DOORBELL_RATE") or (100 if small >= 1 else 20))
    seconds = env_int("LINLI_BENCH_DOORBELL_SECONDS", max(3, round(30 * small)))
    warmup = warmup_count(rate)
    # One press per doorbell, with room for the probes that wait for the bridge.
    devices = env_int("LINLI_BENCH_DOORBELL_DEVICES", PROBES + warmup + round(rate * seconds))
    return rate, seconds, devices


def warmup_count(rate: float) -> int:
    """Presses of the warm-up second (besides the probes)."""
    return max(5, min(50, round(rate)))


def loadavg() -> str:
    one, five, _fifteen = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} CPUs"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of `values`, in the unit given; nan when empty."""
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, max(0, round(p / 100 * len(v)) - 1))]


def summary(values_s: list[float]) -> dict[str, float]:
    ms = [v * 1000 for v in values_s]
    return {
        "n": len(ms),
        "p50": pct(ms, 50),
        "p90": pct(ms, 90),
        "p99": pct(ms, 99),
        "max": max(ms) if ms else float("nan"),
    }


# --- services ---------------------------------------------------------------------------------


def mqtt_host_port(url: str) -> tuple[str, int]:
    parsed = urllib.parse.urlsplit(url)
    return parsed.hostname or "127.0.0.1", parsed.port or 1883


def services_missing(mqtt_url: str, redis_url: str) -> list[str]:
    missing = []
    host, port = mqtt_host_port(mqtt_url)
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError as exc:
        missing.append(f"Mosquitto at {mqtt_url} ({exc})")
    try:
        import redis

        redis.Redis.from_url(redis_url, socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001 - any failure means no Redis for the run
        missing.append(f"Redis at {redis_url} ({exc})")
    return missing


# --- the fixture ------------------------------------------------------------------------------


def secret_of(i: int) -> str:
    return f"bench-doorbell-secret-{i:05d}"


def device_id_of(i: int) -> str:
    return f"{DEVICE_PREFIX}{i:05d}"


def bench_admin():
    from linli.accounts.models import User
    from linli.accounts.selectors import user_by_phone

    user = user_by_phone(ADMIN_PHONE)
    if user is None:
        user = User.objects.create_superuser(phone=ADMIN_PHONE, password=None, name="压测（门铃）")
    return user


def bench_village(admin):
    """The benchmark's village: under the county's first town, else under a city and a
    town of its own (a database without the county)."""
    from linli.org.models import Unit, UnitKind
    from linli.org.services import unit_create

    village = Unit.objects.filter(name=VILLAGE_NAME, kind=UnitKind.VILLAGE).first()
    if village is not None:
        return village
    town = (
        Unit.objects.filter(kind__in=(UnitKind.TOWN, UnitKind.SUBDISTRICT)).order_by("path").first()
    )
    if town is None:
        city = unit_create(actor=admin, parent=None, kind=UnitKind.CITY, name="门铃基准市")
        town = unit_create(actor=admin, parent=city, kind=UnitKind.TOWN, name="门铃基准镇")
    return unit_create(actor=admin, parent=town, kind=UnitKind.VILLAGE, name=VILLAGE_NAME)


def ensure_fixture(devices: int):
    """The village, the representative (with an account) and `devices` doorbells, each in a
    household with a resident in care paired with that representative. Returns
    (representative's user, {device_id: secret}, {device pk: device_id})."""
    from django.db import transaction
    from django.utils import timezone

    from linli.accounts.models import User
    from linli.accounts.selectors import user_by_phone
    from linli.doorbell.models import (
        CareKind,
        CarePairing,
        CareRecipient,
        Device,
    )
    from linli.org.models import Household, HouseholdTag, Member, Relation, Representative

    admin = bench_admin()
    village = bench_village(admin)
    with transaction.atomic():
        user = user_by_phone(REP_PHONE)
        if user is None:
            user = User(phone=REP_PHONE, name="门铃代表")
            user.set_unusable_password()
            user.save()
        rep = Representative.objects.filter(user=user, term_end__isnull=True).first()
        if rep is None:
            home = Household.objects.create(
                unit=village, head_name="门铃代表", address=f"{VILLAGE_NAME}代表家"
            )
            member = Member.objects.create(household=home, name="门铃代表", relation=Relation.HEAD)
            rep = Representative.objects.create(
                member=member,
                unit=village,
                user=user,
                name="门铃代表",
                term_start=timezone.localdate() - dt.timedelta(days=30),
            )
        have = set(
            Device.objects.filter(device_id__startswith=DEVICE_PREFIX).values_list(
                "device_id", flat=True
            )
        )
        todo = [i for i in range(1, devices + 1) if device_id_of(i) not in have]
        for start in range(0, len(todo), 1000):
            chunk = todo[start : start + 1000]
            homes = Household.objects.bulk_create(
                [
                    Household(
                        unit=village,
                        head_name=f"独居老人{i}",
                        address=f"{VILLAGE_NAME}{i}号",
                        tags=[HouseholdTag.ELDERLY_ALONE],
                    )
                    for i in chunk
                ]
            )
            members = Member.objects.bulk_create(
                [Member(household=h, name=h.head_name, relation=Relation.HEAD) for h in homes]
            )
            recipients = CareRecipient.objects.bulk_create(
                [
                    CareRecipient(
                        household=h, member=m, unit=village, kind=CareKind.ELDERLY_ALONE,
                        created_by=admin,
                    )
                    for h, m in zip(homes, members, strict=True)
                ]
            )  # fmt: skip
            CarePairing.objects.bulk_create(
                [CarePairing(recipient=r, primary=rep, created_by=admin) for r in recipients]
            )
            Device.objects.bulk_create(
                [
                    Device(
                        device_id=device_id_of(i), secret=secret_of(i), household=h,
                        unit=village, model_name="bench", created_by=admin,
                    )
                    for i, h in zip(chunk, homes, strict=True)
                ]
            )  # fmt: skip
        if todo:
            print(f"fixture: {len(todo):,} doorbells made in {village.name}", flush=True)
    rows = Device.objects.filter(device_id__startswith=DEVICE_PREFIX).order_by("device_id")
    pks = {}
    secrets = {}
    for d in rows[:devices]:
        pks[d.pk] = d.device_id
        secrets[d.device_id] = d.secret
    return user, secrets, pks


def clean_runs(user) -> dict[str, int]:
    """Delete what earlier runs left: the bench doorbells' alarms (with their notices and
    events), messages, rejections and maintenance tasks, and the representative's
    outbox rows and notifications. Audit rows stay (they are a chain)."""
    from django.db import transaction

    from linli.doorbell.models import (
        Alarm,
        Device,
        DeviceMessage,
        DeviceRejection,
        MaintenanceTask,
    )
    from linli.notify.models import Notification, Outbox

    bench = Device.objects.filter(device_id__startswith=DEVICE_PREFIX)
    out = {}
    with transaction.atomic():
        out["alarms"] = Alarm.objects.filter(device__in=bench).delete()[0]
        out["messages"] = DeviceMessage.objects.filter(device__in=bench).delete()[0]
        out["rejections"] = DeviceRejection.objects.filter(
            claimed_id__startswith=DEVICE_PREFIX
        ).delete()[0]
        out["tasks"] = MaintenanceTask.objects.filter(device__in=bench).delete()[0]
        out["notifications"] = Notification.objects.filter(user=user).delete()[0]
        out["outbox"] = Outbox.objects.filter(user=user).delete()[0]
    return out


def make_session(user) -> str:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


# --- the processes ----------------------------------------------------------------------------


def child_env(redis_url: str, mqtt_url: str, prefix: str, client_id: str) -> dict[str, str]:
    env = {
        **os.environ,
        "LINLI_DATABASE_URL": bench_url(),
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(HERE)]),
        "LINLI_REDIS_URL": redis_url,
        "LINLI_MQTT_URL": mqtt_url,
        "LINLI_MQTT_PREFIX": prefix,
        "LINLI_MQTT_CLIENT_ID": client_id,
        "LINLI_LOG_LEVEL": os.environ.get("LINLI_BENCH_LOG_LEVEL", "WARNING"),
    }
    env.setdefault("LINLI_ENV", "demo")  # console SMS and the demo keys (as scripts/bench.sh)
    env.pop("LINLI_DEBUG", None)
    # The bridge never sends the SMS itself (notify.services.deliveries_by_tick): without
    # a Celery broker they wait in the outbox for a tick (none runs here: no `serve`);
    # with LINLI_BENCH_DOORBELL_BROKER each delivery is queued there (no worker runs; the
    # queue is emptied at the end), as in production, where a worker sends them.
    broker = os.environ.get("LINLI_BENCH_DOORBELL_BROKER", "")
    if broker:
        env["LINLI_CELERY_BROKER_URL"] = broker
    else:
        env.pop("LINLI_CELERY_BROKER_URL", None)
    return env


def purge_broker() -> None:
    broker = os.environ.get("LINLI_BENCH_DOORBELL_BROKER", "")
    if broker:
        import redis

        redis.Redis.from_url(broker).delete("celery")


def start(cmd: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        return subprocess.Popen(
            cmd, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)  # its own process group (a new session)
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass


def tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def wait_http(port: int, proc: subprocess.Popen, seconds: float = 90) -> None:
    import urllib.request

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}:\n{tail(SERVER_LOG)}")
        try:
            url = f"http://127.0.0.1:{port}/api/v1/public/appeal-categories"
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError("the server did not answer in time")


# --- CPU by process (Linux /proc) ---------------------------------------------------------------


TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_of(pid: int) -> float:
    """CPU seconds (user + system, all threads) of a live process; 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except (OSError, IndexError, ValueError):
        return 0.0


def backends_of(dbname: str) -> list[int]:
    """PostgreSQL backends serving `dbname` (their process title names the database)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if title.startswith("postgres: ") and f" {dbname} " in title:
            pids.append(int(entry.name))
    return pids


def cpu_snapshot(procs: dict[str, int], dbname: str) -> dict[str, float]:
    out = {name: cpu_of(pid) for name, pid in procs.items()}
    out["postgres"] = sum(cpu_of(pid) for pid in backends_of(dbname))
    out["this process"] = sum(os.times()[:2])
    return out


# --- the clients (in this process, one clock) -------------------------------------------------


class Recorder:
    """Arrival times by (device_id, seq), for one receiver."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.at: dict[tuple[str, int], float] = {}
        self.duplicates = 0
        self.other = 0

    def record(self, key: tuple[str, int] | None, t: float) -> None:
        with self.lock:
            if key is None:
                self.other += 1
            elif key in self.at:
                self.duplicates += 1
            else:
                self.at[key] = t

    def has(self, key: tuple[str, int]) -> bool:
        with self.lock:
            return key in self.at

    def count(self, keys) -> int:
        with self.lock:
            return sum(1 for k in keys if k in self.at)


class Socket:
    """The representative's live-push WebSocket, read by an asyncio loop in a thread."""

    def __init__(self, port: int, session: str, pks: dict[int, str]) -> None:
        self.url = f"ws://127.0.0.1:{port}/ws/notify/"
        self.headers = {"Cookie": f"sessionid={session}", "Origin": f"http://127.0.0.1:{port}"}
        self.pks = pks
        self.recorder = Recorder()
        self.samples: list[str] = []
        self.ready = threading.Event()
        self.error: BaseException | None = None
        self.loop = asyncio.new_event_loop()
        self.ws = None
        self.thread = threading.Thread(target=self._run, name="bench-ws", daemon=True)
        self.thread.start()

    def _key(self, message: dict) -> tuple[str, int] | None:
        alarm = message.get("alarm")
        if not isinstance(alarm, dict):
            return None
        device, seq = alarm.get("device"), alarm.get("seq")
        if isinstance(device, int):  # a primary key rather than the device's id
            device = self.pks.get(device)
        if not isinstance(device, str) or not isinstance(seq, int):
            return None
        return device, seq

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._main())
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            self.error = exc
            self.ready.set()

    async def _main(self) -> None:
        from websockets.asyncio.client import connect

        async with connect(
            self.url, additional_headers=self.headers, open_timeout=10, max_queue=None
        ) as ws:
            self.ws = ws
            first = json.loads(await ws.recv())
            if "unread" not in first:
                raise RuntimeError(f"unexpected first message on the socket: {first}")
            self.ready.set()
            async for raw in ws:
                t = time.perf_counter()
                try:
                    message = json.loads(raw)
                except ValueError:
                    message = {}
                key = self._key(message) if isinstance(message, dict) else None
                if key is None and len(self.samples) < 3:
                    self.samples.append(str(raw)[:300])
                self.recorder.record(key, t)

    def close(self) -> None:
        ws = self.ws
        if ws is not None and self.loop.is_running():
            fut = asyncio.run_coroutine_threadsafe(ws.close(), self.loop)
            try:
                fut.result(timeout=5)
            except Exception:  # noqa: BLE001 - closing a socket the server dropped
                pass
        self.thread.join(timeout=5)


def mqtt_client(client_id: str):
    import paho.mqtt.client as mqtt

    client = mqtt.Client(
        callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=mqtt.MQTTv311,
        clean_session=True,
    )
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    return client


def connect(client, mqtt_url: str, what: str) -> None:
    connected = threading.Event()
    client.on_connect = lambda c, u, flags, rc, props=None: connected.set()
    host, port = mqtt_host_port(mqtt_url)
    client.connect(host, port, keepalive=30)
    client.loop_start()
    if not connected.wait(10):
        raise RuntimeError(f"the {what} could not connect to {mqtt_url}")


class BrokerSubscriber:
    """A plain subscriber on `<prefix>/+/press`, QoS 1: the broker's own latency."""

    def __init__(self, mqtt_url: str, prefix: str, run: str) -> None:
        self.recorder = Recorder()
        self.client = mqtt_client(f"bench-sub-{run}")
        subscribed = threading.Event()
        self.client.on_subscribe = lambda *a, **k: subscribed.set()
        self.client.on_message = self._on_message
        connect(self.client, mqtt_url, "broker subscriber")
        self.client.subscribe(f"{prefix}/+/press", qos=1)
        if not subscribed.wait(10):
            raise RuntimeError("the broker subscriber was not subscribed in time")

    def _on_message(self, client, userdata, msg) -> None:
        t = time.perf_counter()
        try:
            data = json.loads(msg.payload)
            key = (str(data["device"]), int(data["seq"]))
        except (ValueError, KeyError, TypeError):
            key = None
        self.recorder.record(key, t)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class Publisher:
    def __init__(self, mqtt_url: str, prefix: str, run: str, secrets: dict[str, str]) -> None:
        from linli.doorbell import protocol

        self.protocol = protocol
        self.prefix = prefix
        self.secrets = secrets
        self.sent: dict[tuple[str, int], float] = {}
        self.sent_wall: dict[tuple[str, int], float] = {}
        self.acked = 0
        self.lag: list[float] = []  # how late each publish was against its schedule
        self.client = mqtt_client(f"bench-pub-{run}")
        self.client.on_publish = self._on_publish
        connect(self.client, mqtt_url, "publisher")

    def _on_publish(self, *args, **kwargs) -> None:
        self.acked += 1

    def press(self, device_id: str, seq: int) -> tuple[str, int]:
        topic, payload = self.protocol.build(
            device_id=device_id,
            secret=self.secrets[device_id],
            seq=seq,
            kind="press",
            battery=90,
            prefix=self.prefix,
        )
        key = (device_id, seq)
        self.sent_wall[key] = time.time()
        self.sent[key] = time.perf_counter()
        self.client.publish(topic, payload, qos=1)
        return key

    def run(self, plan: list[tuple[str, int]], rate: float) -> list[tuple[str, int]]:
        """Press `plan` at `rate` a second, each at its scheduled time (open loop)."""
        keys = []
        begin = time.perf_counter() + 0.05
        for i, (device_id, seq) in enumerate(plan):
            due = begin + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            self.lag.append(max(0.0, time.perf_counter() - due))
            keys.append(self.press(device_id, seq))
        return keys

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def wait_for(keys: list[tuple[str, int]], recorders: list[Recorder], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if all(r.count(keys) == len(keys) for r in recorders):
            return True
        time.sleep(0.05)
    return all(r.count(keys) == len(keys) for r in recorders)


# --- where the time went (from the rows the bridge wrote) --------------------------------------


def stages(
    keys: list[tuple[str, int]], pub: Publisher, sock: Socket, user
) -> tuple[list[tuple], float]:
    """Per press: publish → message accepted → the primary's SMS queued → push read, from
    the database's wall-clock timestamps and this process's (one machine, one clock). The
    SMS row is the last write of the bridge's transaction; the live push is sent after
    its commit."""
    from linli.doorbell.models import Alarm, DeviceMessage
    from linli.notify.models import Outbox

    wanted = set(keys)
    bench = {"device__device_id__startswith": DEVICE_PREFIX}
    accepted: dict[tuple[str, int], float] = {}
    for device_id, seq, received_at in DeviceMessage.objects.filter(
        kind="press", **bench
    ).values_list("device__device_id", "seq", "received_at"):
        if (device_id, seq) in wanted:
            accepted[(device_id, seq)] = received_at.timestamp()
    key_of = {
        pk: (device_id, seq)
        for pk, device_id, seq in Alarm.objects.filter(**bench).values_list(
            "pk", "device__device_id", "message__seq"
        )
    }
    queued: dict[tuple[str, int], float] = {}
    for payload, created_at in Outbox.objects.filter(user=user).values_list(
        "payload", "created_at"
    ):
        key = key_of.get((payload or {}).get("alarm"))
        if key in wanted and key not in queued:
            queued[key] = created_at.timestamp()
    # The socket's perf_counter times, on the wall clock.
    offset = time.time() - time.perf_counter()
    a, b, c = [], [], []
    for key in keys:
        t_pub = pub.sent_wall[key]
        t_ws = sock.recorder.at.get(key)
        if key in accepted:
            a.append(accepted[key] - t_pub)
        if key in accepted and key in queued:
            b.append(queued[key] - accepted[key])
        if key in queued and t_ws is not None:
            c.append(t_ws + offset - queued[key])
    # The bridge's pace: presses accepted a second, from its first to its last.
    times = sorted(accepted[k] for k in keys if k in accepted)
    pace = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else float("nan")
    rows = []
    for label, values in (
        ("publish → message accepted by the bridge (DeviceMessage.received_at)", a),
        ("accepted → the primary's SMS queued (Outbox.created_at)", b),
        ("SMS queued → commit, push, read on the WebSocket", c),
    ):
        s = summary(values)
        rows.append((label, s["n"], f"{s['p50']:.1f}", f"{s['p99']:.1f}", f"{s['max']:.1f}"))
    return rows, pace


# --- main -------------------------------------------------------------------------------------


def main() -> int:
    # A terminated run still stops the server and the bridge.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    mqtt_url = os.environ.get("LINLI_BENCH_MQTT_URL", DEFAULT_MQTT)
    redis_url = os.environ.get("LINLI_BENCH_REDIS_URL", DEFAULT_REDIS)
    missing = services_missing(mqtt_url, redis_url)
    if missing:
        print("the doorbell benchmark needs " + " and ".join(missing))
        if os.environ.get("LINLI_REQUIRE_SERVICES") == "1":
            return 1
        print("skipped")
        return 0
    setup_django()
    from django.db import connection

    if connection.vendor != "postgresql":
        print("skipped: the doorbell benchmark needs PostgreSQL (LINLI_BENCH_DATABASE_URL)")
        return 0

    rate, seconds, devices = settings_of_run()
    presses = round(rate * seconds)
    warm = warmup_count(rate)
    drain = env_int("LINLI_BENCH_DOORBELL_DRAIN", 30)
    t0 = time.perf_counter()
    user, secrets, pks = ensure_fixture(devices)
    fixture_s = time.perf_counter() - t0
    cleaned = clean_runs(user)
    if cleaned["alarms"] or cleaned["messages"]:
        print(
            f"cleaned up earlier runs: {cleaned['alarms']:,} alarm rows, "
            f"{cleaned['messages']:,} messages, {cleaned['outbox']:,} outbox rows"
        )
    session = make_session(user)
    import redis

    redis.Redis.from_url(redis_url).flushdb()  # the Channels layer's database, the run's own

    run = uuid.uuid4().hex[:10]
    prefix = f"linli-bench/{run}"
    bridge_client = f"linli-bench-bridge-{run}"
    env = child_env(redis_url, mqtt_url, prefix, bridge_client)
    env_server = {
        **env,
        "DJANGO_SETTINGS_MODULE": os.environ.get("LINLI_BENCH_SERVER_SETTINGS")
        or "_server_settings",
    }
    port = free_port()
    server_cmd = [
        sys.executable, "-m", "uvicorn", "linli.asgi:application", "--host", "127.0.0.1",
        "--port", str(port), "--no-access-log", "--lifespan", "off",
    ]  # fmt: skip
    bridge_cmd = [sys.executable, "-m", "linli", "doorbell_bridge"]
    print(
        f"{presses:,} presses at {rate:g}/s for {seconds} s over {len(secrets):,} doorbells "
        f"(+{warm} warm-up), all paired with one representative; broker {mqtt_url}, "
        f"Channels layer {redis_url}, topic prefix {prefix}; SMS "
        + (
            f"queued in the Celery broker {os.environ['LINLI_BENCH_DOORBELL_BROKER']} (no worker)"
            if os.environ.get("LINLI_BENCH_DOORBELL_BROKER")
            else "left in the outbox for a tick (no Celery broker; the bridge never sends them)"
        )
        + "\n"
        f"  server: {' '.join(server_cmd[1:])}\n  bridge: {' '.join(bridge_cmd[1:])} "
        f"(LINLI_MQTT_CLIENT_ID={bridge_client})\n  logs: "
        f"{SERVER_LOG.relative_to(ROOT)}, {BRIDGE_LOG.relative_to(ROOT)}; {loadavg()}",
        flush=True,
    )
    device_ids = list(secrets)
    if len(device_ids) < 2:
        print("LINLI_BENCH_DOORBELL_DEVICES must be at least 2")
        return 2
    seq_base = int(time.time() * 1000)
    presses_of: dict[str, int] = {}

    def next_press(i: int) -> tuple[str, int]:
        device_id = device_ids[i % len(device_ids)]
        n = presses_of.get(device_id, 0) + 1
        presses_of[device_id] = n
        return device_id, seq_base + n

    server = bridge = sub = pub = sock = None
    out: dict = {"rate": rate, "seconds": seconds, "devices": len(device_ids), "prefix": prefix}
    try:
        server = start(server_cmd, env_server, SERVER_LOG)
        bridge = start(bridge_cmd, env, BRIDGE_LOG)
        wait_http(port, server)
        sock = Socket(port, session, pks)
        if not sock.ready.wait(15) or sock.error is not None:
            raise RuntimeError(f"the representative's WebSocket did not open: {sock.error!r}")
        sub = BrokerSubscriber(mqtt_url, prefix, run)
        pub = Publisher(mqtt_url, prefix, run, secrets)

        # Probe until the bridge is subscribed and pushing (presses published before it
        # subscribed are not delivered to it: its session is new).
        i = 0
        probed = False
        for _probe in range(PROBES):
            if bridge.poll() is not None:
                raise RuntimeError(
                    f"the bridge exited with {bridge.returncode}:\n{tail(BRIDGE_LOG)}"
                )
            key = pub.press(*next_press(i))
            i += 1
            if wait_for([key], [sock.recorder], 2):
                probed = True
                break
        if not probed:
            raise RuntimeError(
                f"no press reached the WebSocket within {2 * PROBES} s; the bridge's log:\n"
                + tail(BRIDGE_LOG)
                + (f"\nother messages on the socket: {sock.samples}" if sock.samples else "")
            )
        warm_keys = pub.run([next_press(i + k) for k in range(warm)], rate)
        i += warm
        if not wait_for(warm_keys, [sock.recorder, sub.recorder], drain):
            print("warning: the warm-up's presses did not all arrive", flush=True)

        print(f"pressing: {presses:,} at {rate:g}/s ... {loadavg()}", flush=True)
        plan = [next_press(i + k) for k in range(presses)]
        pub.lag.clear()
        dbname = connection.settings_dict["NAME"]
        procs = {"bridge": bridge.pid, "server": server.pid}
        cpu0 = cpu_snapshot(procs, dbname)
        t_start = time.perf_counter()
        keys = pub.run(plan, rate)
        publish_s = time.perf_counter() - t_start
        all_in = wait_for(keys, [sock.recorder, sub.recorder], drain)
        drained_s = time.perf_counter() - t_start - publish_s
        cpu1 = cpu_snapshot(procs, dbname)

        broker_lat = [sub.recorder.at[k] - pub.sent[k] for k in keys if k in sub.recorder.at]
        e2e_lat = [sock.recorder.at[k] - pub.sent[k] for k in keys if k in sock.recorder.at]
        broker, e2e = summary(broker_lat), summary(e2e_lat)
        lost_broker = len(keys) - broker["n"]
        lost_ws = len(keys) - e2e["n"]
        gap = e2e["p99"] - broker["p99"]
        out.update(
            presses=len(keys),
            publish_seconds=publish_s,
            publish_lag_ms=summary(pub.lag),
            drain_seconds=drained_s,
            broker=broker,
            end_to_end=e2e,
            lost_broker=lost_broker,
            lost_websocket=lost_ws,
            duplicates_websocket=sock.recorder.duplicates,
            other_pushes=sock.recorder.other,
            p99_over_broker_ms=gap,
            loadavg=loadavg(),
        )
        print(
            table(
                ("press → received (ms)", "received", "lost", "p50", "p90", "p99", "max"),
                [
                    (
                        "broker's own: a plain MQTT subscriber (QoS 1)",
                        f"{broker['n']:,} / {len(keys):,}",
                        lost_broker,
                        f"{broker['p50']:.1f}",
                        f"{broker['p90']:.1f}",
                        f"{broker['p99']:.1f}",
                        f"{broker['max']:.1f}",
                    ),
                    (
                        "end to end: the representative's WebSocket",
                        f"{e2e['n']:,} / {len(keys):,}",
                        lost_ws,
                        f"{e2e['p50']:.1f}",
                        f"{e2e['p90']:.1f}",
                        f"{e2e['p99']:.1f}",
                        f"{e2e['max']:.1f}",
                    ),
                ],
            )
        )
        lag = out["publish_lag_ms"]
        print(
            f"published {len(keys):,} in {publish_s:.1f} s ({len(keys) / publish_s:.0f}/s; "
            f"publisher behind schedule p99 {lag['p99']:.1f} ms), {pub.acked:,} acknowledged "
            f"by the broker (warm-up included); waited {drained_s:.1f} s after the last; "
            f"{sock.recorder.duplicates} duplicate and {sock.recorder.other} other pushes "
            f"on the socket; {out['loadavg']}"
        )
        done = max(1, e2e["n"])
        cpu = {k: (cpu1[k] - cpu0[k]) * 1000 / done for k in cpu1}
        out["cpu_ms_per_press"] = cpu
        print(
            "CPU per press delivered, from the first measured press to the end of the wait: "
            + ", ".join(f"{k} {v:.1f} ms" for k, v in cpu.items())
            + f" (PostgreSQL: the backends of {dbname}; 2 cores give 2,000 ms a second)"
        )
        try:
            rows, pace = stages(keys, pub, sock, user)
            out["stages"] = [list(r) for r in rows]
            out["bridge_per_second"] = pace
            print(table(("where the time went (ms)", "presses", "p50", "p99", "max"), rows))
            print(
                f"the bridge accepted {pace:.1f} presses a second (first to last accepted), "
                f"for {rate:g} published"
            )
        except Exception as exc:  # noqa: BLE001 - the breakdown is a diagnosis, not the result
            print(f"(no breakdown by stage: {exc!r})")
        verdict = [
            (
                "end-to-end p99",
                f"{e2e['p99']:.0f} ms",
                f"< {TARGET_P99_MS:.0f} ms",
                "met" if e2e["p99"] < TARGET_P99_MS else "NOT met",
            ),
            (
                "end-to-end p99 − broker p99",
                f"{gap:.0f} ms",
                f"≤ {TARGET_OVER_BROKER_MS:.0f} ms",
                "met" if gap <= TARGET_OVER_BROKER_MS else "NOT met",
            ),
            (
                "nothing lost",
                f"{lost_broker} at the broker's subscriber, {lost_ws} on the socket",
                "0",
                "met" if all_in else "NOT met",
            ),
        ]
        print(table(("target", "measured", "target", ""), verdict))
        out["met"] = {row[0]: row[3] == "met" for row in verdict}
        if not all_in:
            missing_keys = [k for k in keys if not sock.recorder.has(k)][:5]
            print(f"LOST: first presses missing on the socket: {missing_keys}")
            print("the bridge's log (last lines):\n" + tail(BRIDGE_LOG))
            print(
                "(a subscriber that falls behind: Mosquitto keeps at most max_queued_messages "
                "QoS-1 messages for it, 1000 by default, and drops the rest; its log says "
                "'Outgoing messages are being dropped for client ...')"
            )
        return 0 if all_in else 1
    except Exception as exc:
        print(f"ERROR: {exc}")
        out["error"] = str(exc)
        return 1
    finally:
        for closer in (pub, sub, sock):
            if closer is not None:
                try:
                    closer.close()
                except Exception:  # noqa: BLE001 - cleaning up after a failure
                    pass
        stop(bridge)
        stop(server)
        purge_broker()
        forget_session(mqtt_url, bridge_client)
        out["at"] = time.strftime("%Y-%m-%d %H:%M")
        out["fixture_seconds"] = fixture_s
        RECORD.parent.mkdir(parents=True, exist_ok=True)
        RECORD.write_text(json.dumps(out, indent=1, default=str))


def forget_session(mqtt_url: str, client_id: str) -> None:
    """The bridge's persistent session (a client id of this run's) is of no further use:
    connect once with a clean session under its id, so the broker drops it."""
    try:
        client = mqtt_client(client_id)
        connect(client, mqtt_url, "session cleaner")
        client.disconnect()
        client.loop_stop()
    except Exception:  # noqa: BLE001 - the broker keeps an unused session; harmless
        pass


if __name__ == "__main__":
    sys.exit(main())
