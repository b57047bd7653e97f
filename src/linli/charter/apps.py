from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CharterConfig(AppConfig):
    name = "linli.charter"
    verbose_name = _("Responsibility and rights list")
