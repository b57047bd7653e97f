from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppealsConfig(AppConfig):
    name = "linli.appeals"
    verbose_name = _("Appeals")

    def ready(self) -> None:
        from linli.core import hooks
        from linli.core.ticks import register

        from .receivers import units_moved

        # Appeals keep a copy of their origin's path; a unit move rewrites it.
        hooks.connect("units_moved", units_moved)

        # Deadlines live in rows; the tick finds what is due (see services.appeals_tick).
        register("appeals.tick", "linli.appeals.tasks.appeals_tick", every=60)
        # The rates' rollup: the days that writes marked, rebuilt (see appeals/tally.py).
        register("appeals.tally", "linli.appeals.tasks.appeals_tally", every=60)
