from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppealsConfig(AppConfig):
    name = "linli.appeals"
    verbose_name = _("Appeals")

    def ready(self) -> None:
        from linli.core.ticks import register

        # Deadlines live in rows; the tick finds what is due (see services.appeals_tick).
        register("appeals.tick", "linli.appeals.tasks.appeals_tick", every=60)
