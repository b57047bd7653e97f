from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _send_sms(*, phone: str, kind: str, body: str) -> Any:
    from .services import notify_phone

    return notify_phone(phone=phone, kind=kind, body=body)


class NotifyConfig(AppConfig):
    name = "linli.notify"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        # The periodic tick delivers what the after-commit kick missed
        # (retries, a lost kick, a worker that died holding a lease).
        from linli.accounts.sms_login import provide_sender
        from linli.core.ticks import register

        from .services import OUTBOX_TICK

        register(OUTBOX_TICK, "linli.notify.services.outbox_deliver_due", every=10)
        # accounts sits below notify: notify tells accounts how to send a login code.
        provide_sender(_send_sms)
