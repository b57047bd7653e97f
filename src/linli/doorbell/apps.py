from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DoorbellConfig(AppConfig):
    name = "linli.doorbell"
    verbose_name = _("Love doorbell")

    def ready(self) -> None:
        from linli.core import companions
        from linli.core.ticks import register
        from linli.duties.extra import provide, provide_compliance

        from .selectors import care_visit_compliance, care_visit_summary

        # The care pairings' visit duty, as a line on the representative's duties page,
        # and as a duty of the compliance engine (pages, API, export).
        provide("doorbell.care_visits", care_visit_summary)
        provide_compliance(
            "care_visits",
            label=_("Care visits"),
            subjects_label=_("Pairings"),
            provider=care_visit_compliance,
        )

        # --- devices, messages and maintenance ---
        register("doorbell.health", "linli.doorbell.services.health_tick", every=60)
        # The refused-message log kept DOORBELL_REJECTION_DAYS (90 by default).
        register(
            "doorbell.prune_rejections", "linli.doorbell.services.rejections_prune", every=3600
        )
        companions.register("doorbell.bridge", "linli.doorbell.bridge.companion")

        # --- alarms ---
        register("doorbell.escalate", "linli.doorbell.services.escalate_tick", every=15)
