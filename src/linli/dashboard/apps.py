from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    """The top layer: pages and commands that assemble every domain below it.

    Its models are the units' reports (`UnitReport`) and the snapshots of the centre's
    costly sections (`FigureSnapshot`). It may import any app; no app
    may import it.
    """

    name = "linli.dashboard"
    label = "dashboard"
    verbose_name = _("Dashboard")

    def ready(self) -> None:
        from linli.core.ticks import register

        # Hourly: writes the last month's and quarter's reports once, on the first
        # day of a period (or the first run after it).
        register("dashboard.reports", "linli.dashboard.services.reports_tick", every=3600)
        # The costly sections' snapshots that leaders read lately, computed again.
        register("dashboard.snapshots", "linli.dashboard.snapshots.refresh_tick", every=300)
