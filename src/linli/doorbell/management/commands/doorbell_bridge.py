"""The MQTT bridge as its own process: `python -m linli doorbell_bridge`."""

from __future__ import annotations

import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from linli.doorbell import bridge as bridge_module
from linli.doorbell.bridge import Bridge

# Seconds between the interpreter's thread switches in the bridge's process.
SWITCH_INTERVAL = 0.0005


class Command(BaseCommand):
    help = (
        "Take the doorbells' MQTT messages (QoS 1, persistent session under a fixed client "
        "id) into the platform; reconnect when the broker is lost. `serve` runs it in-process "
        "in the embedded default; run it alone when the server runs elsewhere."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--client-id",
            default=None,
            help="the MQTT client id the broker keeps the session under (default: "
            "LINLI_MQTT_CLIENT_ID or linli-bridge)",
        )
        parser.add_argument("--url", default=None, help="the broker (default: LINLI_MQTT_URL)")
        parser.add_argument("--once-for", type=float, default=None, help="stop after SECONDS")

    def handle(self, *args: Any, **options: Any) -> None:
        client_id = options["client_id"] or settings.LINLI["DOORBELL_BRIDGE_ID"] or "linli-bridge"
        # The workers hold the GIL while they work a batch; the push loop and the MQTT
        # network thread mostly wait on sockets, and with the default 5 ms switch interval
        # each of their many short round trips waited up to that long for the GIL again
        # (a burst's pushes fell seconds behind). A shorter interval hands it back sooner.
        sys.setswitchinterval(SWITCH_INTERVAL)
        try:
            bridge = Bridge(url=options["url"], client_id=client_id)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if not bridge_module.shared_layer():
            self.stderr.write(
                "doorbell bridge: the channel layer is this process's memory (LINLI_REDIS_URL "
                "is not set), so alarms raised here reach no open page live (the SMS still "
                "go); set LINLI_REDIS_URL, or let `serve` run the bridge in its own process"
            )
        self.stdout.write(
            f"doorbell bridge: {bridge.address} as {client_id}, topics "
            f"{', '.join(bridge.topics)} (QoS 1, persistent session); Ctrl+C stops"
        )
        try:
            counts = bridge.run(once_for=options["once_for"])
        except KeyboardInterrupt:
            bridge.stop()
            counts = bridge.counts
        self.stdout.write(
            f"doorbell bridge stopped: {counts.accepted} accepted, {counts.refused} refused, "
            f"{counts.alarms} alarms"
        )
