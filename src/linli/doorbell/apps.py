from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DoorbellConfig(AppConfig):
    name = "linli.doorbell"
    verbose_name = _("Love doorbell")

    def ready(self) -> None:
        from linli.core.ticks import register  # noqa: F401  (the app's ticks register below)
        from linli.duties.extra import provide

        from .selectors import care_visit_summary

        # The care pairings' visit duty, as a line on the representative's duties page.
        provide("doorbell.care_visits", care_visit_summary)
