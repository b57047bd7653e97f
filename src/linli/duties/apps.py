from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DutiesConfig(AppConfig):
    name = "linli.duties"
    verbose_name = _("Duties (four ones)")

    def ready(self) -> None:
        from linli.core.ticks import register

        # Reminders before the end of each week and month (idempotent per period).
        register("duties.remind", "linli.duties.services.duty_reminders", every=3600)
