"""Serve the platform with uvicorn (the embedded default's single process)."""

import uvicorn
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the platform over ASGI with uvicorn."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, **options):
        self.stdout.write(
            f"linli: serving on http://{options['host']}:{options['port']}/  (Ctrl+C stops)"
        )
        uvicorn.run(
            "linli.asgi:application",
            host=options["host"],
            port=options["port"],
            log_level="info",
            lifespan="off",
        )
