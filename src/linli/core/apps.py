from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "linli.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from linli.core.ticks import register

        # Idempotency keys older than their 48 hours (linli.core.idempotency).
        register("core.idempotency_purge", "linli.core.idempotency.idempotency_purge", every=3600)
