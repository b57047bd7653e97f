from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    """The top layer: pages and commands that assemble every domain below it.

    It has no models. It may import any app; no app may import it.
    """

    name = "linli.dashboard"
    label = "dashboard"
    verbose_name = _("Dashboard")
