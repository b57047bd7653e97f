"""Re-encrypt every encrypted column under the first key of LINLI_DATA_KEYS and
recompute every keyed hash under LINLI_HASH_KEY (see `core.crypto`).

Rotation: put the new data key first in LINLI_DATA_KEYS, keep the old ones after
it, run this command, then remove the old keys. Each batch is its own
transaction, so the command can be stopped and run again.
"""

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandParser

from linli.core.crypto import encrypted_fields, rotate_model


class Command(BaseCommand):
    help = "Re-encrypt personal data with the first key of LINLI_DATA_KEYS and rehash it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args: Any, **options: Any) -> None:
        for model in apps.get_models():
            fields = encrypted_fields(model)
            if not fields:
                continue
            n = rotate_model(model, batch_size=options["batch_size"])
            names = ", ".join(f.name for f in fields)
            self.stdout.write(f"{model._meta.label}: {n} rows ({names})")
