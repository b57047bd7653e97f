"""Serve the platform with uvicorn (the embedded default's single process)."""

import asyncio
import sys
import threading
from typing import Any

import uvicorn
from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from linli.core import companions, serverloop
from linli.core.checks import ensure_safe_to_serve
from linli.core.hardening import DEMO
from linli.core.ticks import Ticker


class _Server(uvicorn.Server):
    """uvicorn's server, recording its running loop in `core.serverloop` while it serves:
    the companions' threads (the doorbell bridge) and the ticker put their live pushes
    onto it when the channel layer is in memory."""

    async def serve(self, sockets: Any = None) -> None:
        loop = asyncio.get_running_loop()
        serverloop.register(loop)
        try:
            await super().serve(sockets)
        finally:
            serverloop.unregister(loop)


class Command(BaseCommand):
    help = "Serve the platform over ASGI with uvicorn (and run the periodic ticks in-process)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--no-ticker",
            action="store_true",
            help="do not run the periodic ticks in this process",
        )
        parser.add_argument(
            "--no-companions",
            action="store_true",
            help="do not run the companions (the doorbell's MQTT bridge) in this process",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # Production (LINLI_ENV unset or "production") refuses unsafe settings here.
        ensure_safe_to_serve()
        if settings.LINLI_ENV == DEMO:
            self.stdout.write(
                "linli: DEMO mode (LINLI_ENV=demo): one-time codes are shown at "
                "/notify/dev-inbox/ and no SMS is sent; never use it with real residents"
            )
        self.collect_static_once()
        ticker = None
        if options["no_ticker"]:
            self.stdout.write(
                "linli: ticker off (--no-ticker); run `linli tick --loop` or Celery beat"
            )
        elif settings.CELERY_BROKER_URL:
            self.stdout.write("linli: ticker off; Celery beat and a worker run the ticks")
        else:
            ticker = Ticker()
            ticker.start()
            self.stdout.write("linli: ticker on (in-process, no Celery broker configured)")
        # Companions (core.companions, e.g. the doorbell's MQTT bridge) after the ticker.
        stop_companions = threading.Event()
        if options["no_companions"]:
            self.stdout.write("linli: companions off (--no-companions)")
        else:
            companions.start_all(self._report, stop_companions)
        self.stdout.write(
            f"linli: serving on http://{options['host']}:{options['port']}/  (Ctrl+C stops)"
        )
        try:
            config = uvicorn.Config(
                "linli.asgi:application",
                host=options["host"],
                port=options["port"],
                log_level="info",
                lifespan="off",
            )
            server = _Server(config)
            try:
                server.run()
            except KeyboardInterrupt:
                pass
            if not server.started:
                sys.exit(3)  # uvicorn's STARTUP_FAILURE, as uvicorn.run exits
        finally:
            stop_companions.set()
            if ticker is not None:
                ticker.stop()

    def _report(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()

    def collect_static_once(self) -> None:
        """Pages name static files by the hashed names of collectstatic's manifest
        (settings.STORAGES); collect them when that was never done (a fresh
        checkout started without `make demo`). After a change to a static file,
        `collectstatic` again (`make demo` does it on every start)."""
        if not isinstance(staticfiles_storage, ManifestFilesMixin):
            return
        if staticfiles_storage.exists(staticfiles_storage.manifest_name):
            return
        self.stdout.write("linli: collecting the static files (first start) ...")
        call_command("collectstatic", interactive=False, verbosity=0)
