from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "linli.notify"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        # The periodic tick delivers what the after-commit kick missed
        # (retries, a lost kick, a worker that died holding a lease).
        from linli.core.ticks import register

        register("notify.outbox", "linli.notify.services.outbox_deliver_due", every=10)
