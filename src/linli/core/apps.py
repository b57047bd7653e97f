from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "linli.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from django.core import checks

        from linli.core.crypto import check_keys

        checks.register(check_keys, checks.Tags.security)
