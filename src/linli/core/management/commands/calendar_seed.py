"""Load the official holiday schedules the chinese-calendar package knows."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from linli.core.calendar import package_schedule, seed_from_package


class Command(BaseCommand):
    help = (
        "(Re)load the working-day calendar from the chinese-calendar package for the years "
        "it knows (all by default); report the years it does not know."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--year", type=int, action="append", dest="years", help="only this year (repeatable)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        known = sorted(package_schedule())
        report = seed_from_package(options["years"])
        for year, count in sorted(report["changed"].items()):
            state = f"{count} days changed" if count else "up to date"
            self.stdout.write(f"{year}: {state}")
        for year in report["unknown"]:
            self.stdout.write(
                self.style.WARNING(
                    f"{year}: unknown to chinese-calendar (knows {known[0]}-{known[-1]}); "
                    "enter it in the admin (Holidays and make-up working days, Years with a "
                    "holiday schedule) or upgrade the package"
                )
            )
