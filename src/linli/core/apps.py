from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "linli.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        # Registers the production checks (`check --deploy`, and the start of serving).
        from . import checks  # noqa: F401
