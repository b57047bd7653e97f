from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DoorbellConfig(AppConfig):
    name = "linli.doorbell"
    verbose_name = _("Love doorbell")

    def ready(self) -> None:
        from linli.core import companions
        from linli.core.ticks import register  # noqa: F401  (the app's ticks register below)

        # --- devices, messages and maintenance ---
        register("doorbell.health", "linli.doorbell.services.health_tick", every=60)
        companions.register("doorbell.bridge", "linli.doorbell.bridge.companion")
