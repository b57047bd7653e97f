from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DutiesConfig(AppConfig):
    name = "linli.duties"
    verbose_name = _("Duties (four ones)")

    def ready(self) -> None:
        from linli.core import hooks
        from linli.core.ticks import register

        from .compliance import invalidate

        # Ownership follows the link history: a link change from a day on makes
        # the rollup cells from that day on stale.
        hooks.connect("links_changed", invalidate)

        # Reminders before the end of each week and month (idempotent per period).
        register("duties.remind", "linli.duties.services.duty_reminders", every=3600)
        # Refill the rollup cells the day's writes dropped, before a page reads them.
        register("duties.warm", "linli.duties.compliance.warm", every=600)
