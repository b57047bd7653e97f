"""Run the periodic ticks: once (cron) or in a loop (systemd, no Celery)."""

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from linli.core import ticks


class Command(BaseCommand):
    help = (
        "Run every registered tick once and print each result; --name runs one; "
        "--loop keeps running them on their intervals until interrupted."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", help="run only this tick")
        parser.add_argument(
            "--loop",
            action="store_true",
            help="run the ticker in the foreground until Ctrl+C or SIGTERM",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        registry = ticks.registered()
        if options["loop"]:
            return self.loop(registry)
        names = sorted(registry)
        if options["name"]:
            if options["name"] not in registry:
                raise CommandError(
                    f"no tick named {options['name']!r}; registered: {', '.join(names) or 'none'}"
                )
            names = [options["name"]]
        if not names:
            self.stdout.write("No ticks registered.")
            return
        failed = 0
        for name in names:
            outcome = ticks.execute(name)
            if outcome.ok:
                self.stdout.write(f"{name}: {outcome.result!r} ({outcome.seconds:.3f}s)")
            else:
                failed += 1
                self.stdout.write(self.style.ERROR(f"{name}: FAILED {outcome.error}"))
        if failed:
            raise CommandError(f"{failed} of {len(names)} ticks failed (see the log)")

    def loop(self, registry: dict[str, ticks.Tick]) -> None:
        ticker = ticks.Ticker()
        self.stdout.write(
            f"linli: ticking {', '.join(sorted(registry)) or 'nothing'} (Ctrl+C stops)"
        )
        if threading.current_thread() is threading.main_thread():
            # systemd stops a unit with SIGTERM: finish the current tick, then exit.
            signal.signal(signal.SIGTERM, lambda *_: ticker.stop_event.set())
        ticker.start()
        try:
            while ticker.is_alive():
                ticker.join(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            ticker.stop(timeout=30)
        self.stdout.write("linli: ticker stopped")
