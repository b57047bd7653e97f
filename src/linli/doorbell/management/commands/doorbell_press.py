"""Press a doorbell from the terminal: `python -m linli doorbell_press DB-XXX-001`."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from linli.doorbell import protocol, simulator
from linli.doorbell.models import Device


class Command(BaseCommand):
    help = (
        "Send signed doorbell messages like a device (a press by default) over MQTT with "
        "QoS 1 or to the HTTP endpoint of a running platform; print what was sent and the "
        "answer. The secret is read from the database unless --secret is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("device_id")
        parser.add_argument("--secret", help="the device's secret (default: from the database)")
        parser.add_argument("--kind", choices=protocol.KINDS, default="press")
        parser.add_argument("--battery", type=int, help="battery level 0..100")
        parser.add_argument(
            "--seq", type=int, help="the first sequence number (default: the clock in ms)"
        )
        parser.add_argument("--via", choices=("mqtt", "http"), default="mqtt")
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="the platform (http)")
        parser.add_argument("--mqtt-url", help="the broker (default: LINLI_MQTT_URL)")
        parser.add_argument("--count", type=int, default=1, help="how many messages")
        parser.add_argument("--rate", type=float, help="messages per second (default: at once)")

    def handle(self, *args: Any, **options: Any) -> None:
        device_id = options["device_id"]
        if not protocol.DEVICE_ID_RE.match(device_id):
            raise CommandError("a device id is 1-40 letters, digits, '.', '_' or '-'")
        battery = options["battery"]
        if battery is not None and not 0 <= battery <= 100:
            raise CommandError("--battery is 0..100")
        if options["count"] < 1 or (options["rate"] is not None and options["rate"] <= 0):
            raise CommandError("--count and --rate must be positive")
        if options["seq"] is not None and not 1 <= options["seq"] <= protocol.MAX_SEQ:
            raise CommandError(f"--seq is 1..{protocol.MAX_SEQ}")
        secret = options["secret"]
        if secret is None:
            device = Device.objects.filter(device_id=device_id).first()
            if device is None:
                raise CommandError(f"no doorbell {device_id} in the database: give --secret")
            secret = device.secret
            # A doorbell that counts its own messages (a small highest seq) would find its
            # later presses "stale" once the clock in ms had been accepted for it.
            if options["seq"] is None and 0 < device.last_seq < simulator.CLOCK_SEQ_FLOOR:
                raise CommandError(
                    f"{device_id} counts its own messages (highest seq {device.last_seq}): "
                    f"give --seq {device.last_seq + 1}; the default (the clock in ms) would "
                    "make its own later presses stale"
                )
        prefix = settings.LINLI["DOORBELL_MQTT_PREFIX"]

        def report(item: simulator.Sent) -> None:
            self.stdout.write(f"sent {item.payload.decode()}")
            where = f"to {item.topic}" if options["via"] == "mqtt" else "to the HTTP endpoint"
            self.stdout.write(f"  {where}: {item.answer}")

        common = {
            "device_id": device_id,
            "secret": secret,
            "kind": options["kind"],
            "battery": battery,
            "seq": options["seq"],
            "count": options["count"],
            "rate": options["rate"],
            "prefix": prefix,
            "report": report,
        }
        try:
            if options["via"] == "mqtt":
                simulator.send_mqtt(mqtt_url=options["mqtt_url"], **common)
            else:
                simulator.send_http(url=options["url"], **common)
        except (OSError, ValueError) as exc:
            raise CommandError(f"could not send: {exc}") from exc
