from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "linli.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        # Registers the production checks (`check --deploy`, and the start of serving),
        # among them the encryption keys of personal data (crypto.E001).
        from linli.core.ticks import register

        from . import checks  # noqa: F401

        # Idempotency keys older than their 48 hours (linli.core.idempotency).
        register("core.idempotency_purge", "linli.core.idempotency.idempotency_purge", every=3600)
