from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NoticesConfig(AppConfig):
    name = "linli.notices"
    verbose_name = _("Policy notices")

    def ready(self) -> None:
        from linli.core.ticks import register

        # Tell the representatives of a new notice's subtree (in-app), outside the request:
        # a notice to a whole city reaches thousands of them.
        register("notices.announce", "linli.notices.services.notices_announce", every=60)
        # Remind the representatives behind on an urgent notice, once each.
        register("notices.remind", "linli.notices.services.notice_reminders", every=300)
