"""Throwaway services for the fault tests: a PostgreSQL cluster, a Redis, the platform's
own processes (server, worker), each on a free port of its own and removed afterwards.

Never the machine's shared PostgreSQL (5432) or Redis (6379): these tests stop and
restart what they start, and nothing else.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


def need(tool: str) -> None:
    if tool == "postgres" and pg_bin() is None:
        pytest.skip("PostgreSQL binaries (/usr/lib/postgresql/*/bin) are not installed")
    if tool == "redis" and shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")


def wait_for(check, *, timeout: float, what: str, every: float = 0.1):
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except Exception as exc:  # noqa: BLE001 - any failure means "not yet"
            last = exc
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}: {last!r}")


class PgCluster:
    """A PostgreSQL cluster of its own (initdb in a temporary directory, trust auth)."""

    def __init__(self) -> None:
        self.bin = pg_bin()
        assert self.bin is not None
        self.dir = Path(tempfile.mkdtemp(prefix="linli-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.as_postgres = os.geteuid() == 0  # initdb refuses to run as root
        if self.as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C",
        )
        # Small and fast: nothing here needs to survive the machine.
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                "shared_buffers = 32MB\nmax_connections = 60\n"
            )

    def _run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [str(self.bin / tool), *args]
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=120)

    def ctl(self, action: str, *extra: str) -> None:
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-w",
            "-t",
            "60",
            "-l",
            str(self.dir / "log"),
            "-o",
            f"-p {self.port} -k {self.dir} -h 127.0.0.1",
            action,
            *extra,
        )

    def start(self) -> None:
        self.ctl("start")

    def stop(self) -> None:
        self.ctl("stop", "-m", "fast")

    def restart(self) -> None:
        self.ctl("restart", "-m", "fast")

    def url(self, db: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{db}"

    def createdb(self, name: str, template: str = "") -> str:
        extra = ["-T", template] if template else []
        self._run(
            "createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", *extra, name
        )
        return self.url(name)

    def psql(self, db: str, sql: str) -> str:
        out = self._run(
            "psql",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-d",
            db,
            "-At",
            "-c",
            sql,
        )
        return out.stdout

    def destroy(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "stop", "-m", "immediate", check=False)
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


class Redis:
    """A Redis of its own, in the foreground of a child process; stop() and start() again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self.ping, timeout=20, what="redis")

    def ping(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


def env(**extra: str) -> dict[str, str]:
    """The environment of a platform process: the checkout's sources, fast hashes."""
    out = {k: v for k, v in os.environ.items() if not k.startswith(("LINLI_", "PYTEST", "DJANGO_"))}
    out.update(
        PYTHONPATH=f"{ROOT / 'src'}{os.pathsep}{ROOT}",
        DJANGO_SETTINGS_MODULE="linli.settings",
        LINLI_FAST_HASHER="1",
        LINLI_LOG_LEVEL="WARNING",
        # A test machine's platform, not a production one (core/hardening.py): the
        # console SMS backend and the demo keys are allowed.
        LINLI_ENV="test",
    )
    out.update(extra)
    return out


def linli(*args: str, environ: dict[str, str], timeout: float = 300) -> str:
    """Run `python -m linli ...` to the end; return its output (raise with it on failure)."""
    done = subprocess.run(
        [PYTHON, "-m", "linli", *args],
        env=environ,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode:
        raise AssertionError(f"linli {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


SETUP = """
import json, django
django.setup()
from tests.support.factories import County
from tests.support.roles import Actors, make_superuser
from linli.accounts.services import token_create
su = make_superuser()
county = County(su)
actors = Actors(county)
_, key = token_create(actor=su, name="faults")
print(json.dumps({"token": key, "household": county.households_a[1].pk,
                  "unit": county.group_a.pk, "user": su.pk, "rep": actors.rep.pk}))
"""


def seed(environ: dict[str, str]) -> dict:
    """Migrate and seed the small county of the test kit; return a token and ids."""
    linli("migrate", "--noinput", "-v", "0", environ=environ)
    done = subprocess.run(
        [PYTHON, "-c", SETUP], env=environ, cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    if done.returncode:
        raise AssertionError(f"seeding failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


class Server:
    """`python -m linli serve` in a child process (uvicorn, the production server)."""

    def __init__(self, environ: dict[str, str], *, ticker: bool = False) -> None:
        self.port = free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="linli-serve-", suffix=".log", delete=False)
        args = [PYTHON, "-m", "linli", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        if not ticker:
            args.append("--no-ticker")
        self.proc = subprocess.Popen(args, env=environ, cwd=ROOT, stdout=self.log, stderr=self.log)
        # The first start collects the static files: on a loaded 2-core machine that
        # alone took over a minute once.
        try:
            wait_for(self.up, timeout=180, what="the server")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n--- server log ---\n{self.output()[-3000:]}") from None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def up(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"the server exited:\n{self.output()}")
        with urllib.request.urlopen(self.base + "/api/v1/public/appeal-categories", timeout=5) as r:
            return r.status == 200

    def output(self) -> str:
        return Path(self.log.name).read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        os.unlink(self.log.name)


def request(
    method: str,
    url: str,
    body: dict | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 15,
) -> tuple[int, dict[str, str], bytes]:
    """One HTTP request; (status, headers, body). A connection error raises OSError."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


class Receiver(ThreadingHTTPServer):
    """A webhook receiver that dedupes by X-Linli-Delivery, as the docs ask receivers to."""

    daemon_threads = True

    def __init__(self, secret: str = "", delay: float = 0.1) -> None:
        super().__init__(("127.0.0.1", free_port()), _Handler)
        self.secret = secret
        self.delay = delay
        self.lock = threading.Lock()
        self.received: list[int] = []  # every delivery, in order
        self.applied: Counter[int] = Counter()  # what the receiver acted on
        self.bad_signatures = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"

    def start(self) -> Receiver:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:
        from linli.notify.backends import verify_signature

        body = self.rfile.read(int(self.headers["Content-Length"]))
        delivery = int(self.headers["X-Linli-Delivery"])
        assert json.loads(body)["id"] == delivery
        ok = verify_signature(
            self.server.secret,
            self.headers["X-Linli-Timestamp"],
            body,
            self.headers["X-Linli-Signature"],
            tolerance=300,
        )
        time.sleep(self.server.delay)  # the receiver's own work
        with self.server.lock:
            if not ok:
                self.server.bad_signatures += 1
            self.server.received.append(delivery)
            if delivery not in self.server.applied:
                self.server.applied[delivery] += 1
        self.send_response(204)
        self.end_headers()
