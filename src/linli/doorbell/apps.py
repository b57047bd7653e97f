from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DoorbellConfig(AppConfig):
    name = "linli.doorbell"
    verbose_name = _("Love doorbell")

    def ready(self) -> None:
        from linli.core.ticks import register  # noqa: F401  (the app's ticks register below)

        register("doorbell.escalate", "linli.doorbell.services.escalate_tick", every=15)
